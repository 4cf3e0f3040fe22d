//! Rewriting test ids with regular expressions, for suites whose names embed values
//! that change from run to run (`test_upload[tmp_8f3a1c]`, `TestCache/seed=1732961`).
//!
//! Rules come from `regdiff.toml` (`[[id_map]]` with `pattern` and `replace`) and from
//! `--id-map 'PATTERN => REPLACEMENT'`, applied in that order, each to the whole id with
//! every match replaced (`$1` and `${name}` refer to groups). They apply to every run read,
//! files and stored runs alike. A rewritten test keeps its original id in the property
//! `original_id`, and is rewritten from it when read again, so applying the map twice gives
//! what applying it once does. Rewritten tests that meet the id of another test of the same
//! run are kept apart as `id#2`, `id#3` in file order (tests no rule touched keep theirs),
//! and a warning names the rule.

use std::collections::BTreeMap;

use std::borrow::Cow;

use regex::Regex;

use crate::model::Snapshot;

/// One rule.
#[derive(Debug, Clone)]
pub struct IdRule {
    /// What to match.
    pub pattern: Regex,
    /// What to put instead.
    pub replace: String,
    /// Where the rule was given, for messages.
    pub origin: String,
}

/// The rules, in order.
#[derive(Debug, Clone, Default)]
pub struct IdMap {
    rules: Vec<IdRule>,
}

impl IdMap {
    /// Builds the map; `origin` names where each (pattern, replacement) pair came from.
    pub fn new<P: AsRef<str>, R: AsRef<str>>(
        rules: impl IntoIterator<Item = (P, R, String)>,
    ) -> Result<IdMap, String> {
        let mut out = Vec::new();
        for (pattern, replace, origin) in rules {
            let pattern = pattern.as_ref();
            let re = Regex::new(pattern).map_err(|e| {
                format!("{origin}: `{pattern}` is not a valid regular expression: {e}")
            })?;
            out.push(IdRule {
                pattern: re,
                replace: replace.as_ref().to_string(),
                origin,
            });
        }
        Ok(IdMap { rules: out })
    }

    /// The config's rules, then the `--id-map` arguments.
    pub fn with_args<'a>(
        rules: impl IntoIterator<Item = (&'a str, &'a str, String)>,
        args: &[String],
    ) -> Result<IdMap, String> {
        let parsed: Vec<(String, String)> = args
            .iter()
            .map(|a| IdMap::parse_arg(a))
            .collect::<Result<_, _>>()?;
        let rules = rules
            .into_iter()
            .map(|(p, r, origin)| (p.to_string(), r.to_string(), origin));
        let args = parsed
            .into_iter()
            .map(|(p, r)| (p, r, "--id-map".to_string()));
        IdMap::new(rules.chain(args))
    }

    /// Whether there are no rules (every id is kept as it is).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Parses `--id-map` values: `PATTERN => REPLACEMENT`.
    pub fn parse_arg(arg: &str) -> Result<(String, String), String> {
        match arg.split_once(" => ") {
            Some((p, r)) if !p.is_empty() => Ok((p.to_string(), r.to_string())),
            _ => Err(format!(
                "--id-map `{arg}`: expected `PATTERN => REPLACEMENT` (with spaces around =>)"
            )),
        }
    }

    fn rewrite(&self, id: &str) -> Option<(String, Vec<usize>)> {
        let mut current: Option<String> = None;
        let mut fired = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let now = current.as_deref().unwrap_or(id);
            // `replace_all` borrows when nothing matched: one scan per rule.
            if let Cow::Owned(next) = rule.pattern.replace_all(now, rule.replace.as_str())
                && next != now
            {
                fired.push(i);
                current = Some(next);
            }
        }
        current.map(|s| (s, fired))
    }

    fn describe(&self, fired: &[usize]) -> String {
        fired
            .iter()
            .map(|&i| {
                let r = &self.rules[i];
                format!("{} `{}` => `{}`", r.origin, r.pattern.as_str(), r.replace)
            })
            .collect::<Vec<_>>()
            .join(", then ")
    }

    /// Rewrites the ids of a run's tests. A test rewritten before (a stored run recorded with
    /// the map) is rewritten again from its `original_id`, so the result does not depend on
    /// how often the map was applied.
    pub fn apply(&self, snap: &mut Snapshot) {
        if self.rules.is_empty() {
            return;
        }
        // A run read with repeats shares its tests with other runs: it is never rewritten
        // (sides read with an id map are read whole).
        assert!(
            snap.repeats.is_none(),
            "a run read with repeats is not rewritten"
        );
        let mut rewritten: BTreeMap<Vec<usize>, (u64, String, String)> = BTreeMap::new();
        let mut changed = vec![false; snap.tests.len()];
        for (t, changed) in snap.tests.iter_mut().zip(&mut changed) {
            let original = t
                .properties
                .get("original_id")
                .map_or(&*t.id, String::as_str);
            if let Some((new, fired)) = self.rewrite(original) {
                let original = original.to_string();
                let e = rewritten
                    .entry(fired)
                    .or_insert_with(|| (0, original.clone(), new.clone()));
                e.0 += 1;
                t.id = new.into();
                t.properties.insert("original_id".into(), original);
                *changed = true;
            }
        }
        if rewritten.is_empty() {
            return;
        }
        for (fired, (n, old, new)) in &rewritten {
            snap.warnings.push(format!(
                "{}: {n} test id(s) rewritten, e.g. `{old}` → `{new}`",
                self.describe(fired)
            ));
        }
        // Keep apart what a rule merged: ids no rule touched stay as they are; a rewritten
        // id that is taken already gets the first free `#N`, in file order.
        let mut taken: hashbrown::HashSet<String> = snap
            .tests
            .iter()
            .zip(&changed)
            .filter(|(_, c)| !**c)
            .map(|(t, _)| t.id.to_string())
            .collect();
        let mut merged: Vec<(String, String)> = Vec::new();
        for (t, _) in snap.tests.iter_mut().zip(&changed).filter(|(_, c)| **c) {
            if !taken.contains(&*t.id) {
                taken.insert(t.id.to_string());
                continue;
            }
            let mut n = 2;
            while taken.contains(&format!("{}#{n}", t.id)) {
                n += 1;
            }
            t.id = format!("{}#{n}", t.id).into();
            taken.insert(t.id.to_string());
            let original = t.properties.get("original_id").cloned().unwrap_or_default();
            merged.push((original, t.id.to_string()));
        }
        if let Some((original, id)) = merged.first() {
            snap.warnings.push(format!(
                "the id map gives {} test(s) the id of another in the same run; they are kept apart with `#N` in file order (e.g. `{original}` → `{id}`): make the rule keep what tells them apart",
                merged.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attempt, Status, TestResult};

    fn test(id: &str) -> TestResult {
        TestResult {
            id: id.into(),
            suite: None,
            classname: None,
            name: id.into(),
            status: Status::Passed,
            attempts: smallvec::smallvec![Attempt::new(Status::Passed)],
            duration_s: None,
            file: None,
            line: None,
            tags: Default::default(),
            properties: Default::default(),
        }
    }

    #[test]
    fn rewrites_keep_the_original_and_keep_merged_tests_apart() {
        let map = IdMap::new([
            ("tmp_[0-9a-f]{6,}", "tmp_<hex>", "rule 1".to_string()),
            (r"seed=(\d+)", "seed=<n>", "rule 2".to_string()),
        ])
        .unwrap();
        let mut s = Snapshot::new();
        s.tests = vec![
            test("t::upload[tmp_8f3a1c]"),
            test("t::upload[tmp_77aa00]"),
            test("TestCache/seed=1732961"),
            test("plain"),
        ];
        map.apply(&mut s);
        let ids: Vec<&str> = s.tests.iter().map(|t| t.id.as_ref()).collect();
        assert_eq!(
            ids,
            [
                "t::upload[tmp_<hex>]",
                "t::upload[tmp_<hex>]#2",
                "TestCache/seed=<n>",
                "plain"
            ]
        );
        assert_eq!(
            s.tests[0].properties["original_id"],
            "t::upload[tmp_8f3a1c]"
        );
        assert!(s.tests[3].properties.is_empty());
        assert!(
            s.warnings
                .iter()
                .any(|w| w
                    .contains("rule 1 `tmp_[0-9a-f]{6,}` => `tmp_<hex>`: 2 test id(s) rewritten")),
            "{:?}",
            s.warnings
        );
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("kept apart with `#N`"))
        );
        // Applied again (a stored run read back): the same ids.
        let digits = IdMap::new([(r"\d+", "N", "digits".to_string())]).unwrap();
        digits.apply(&mut s);
        let first: Vec<String> = s.tests.iter().map(|t| t.id.to_string()).collect();
        digits.apply(&mut s);
        let second: Vec<String> = s.tests.iter().map(|t| t.id.to_string()).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn ids_no_rule_touched_keep_their_name() {
        // The subtest's random part is dropped and it meets its parent's id: the parent,
        // which no rule touched, keeps it; the subtest becomes `#2` whatever the order.
        let map = IdMap::new([(r"/seed=\d+", "", "r".to_string())]).unwrap();
        let mut s = Snapshot::new();
        s.tests = vec![test("TestCache/seed=17"), test("TestCache")];
        map.apply(&mut s);
        let ids: Vec<&str> = s.tests.iter().map(|t| t.id.as_ref()).collect();
        assert_eq!(ids, ["TestCache#2", "TestCache"]);
    }

    #[test]
    fn bad_rules_are_errors() {
        assert!(
            IdMap::new([("(", "x", "--id-map".to_string())])
                .unwrap_err()
                .contains("--id-map: `(` is not a valid regular expression")
        );
        assert!(IdMap::parse_arg("a=>b").is_err());
        assert_eq!(
            IdMap::parse_arg(r"\d+ => N").unwrap(),
            (r"\d+".to_string(), "N".to_string())
        );
    }
}
