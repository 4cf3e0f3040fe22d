//! `regdiff.toml`: thresholds, tags, signature rules and the gate policy.
//!
//! Every key has a default, so the file is optional; unknown keys are an error (a typo in a
//! gate policy must not silently weaken the gate). Example:
//!
//! ```toml
//! [tags]
//! critical = ["tests.mission_critical.*", "*::test_login*"]
//!
//! [gate]
//! fail_on = ["regression"]          # verdicts that fail the gate
//! pass_rate_drop = true             # a significant drop of the pass rate fails it
//! critical_must_pass = true         # a `critical` test that is not passing on head fails it
//! max_removed = 10                  # more removed tests than this fails it
//! max_newly_skipped = 5
//! suspect_environment = "regression"  # or "inconclusive": regressions in a head run with a
//!                                   # run-wide fault and no cause of their own
//!
//! [attribution]
//! alpha = 0.05                      # significance level of the exact tests
//! history_min_runs = 10             # runs of history needed before calling a test flaky (E3)
//! history_window = 50               # history runs considered
//! mass_failure_min = 5              # failures sharing a signature that make a mass failure (E5)
//! run_fault_min = 3                 # failures of one head run from one strong rule that make a
//!                                   # run-wide fault
//!
//! [[rules]]                         # signature rules, tried before the built-in ones
//! name = "vault-outage"
//! pattern = "(?i)vault\\.internal.*(connection refused|503)"
//! strength = "strong"               # strong: evidence (E4); weak: "possible cause" only
//!
//! [record]
//! env = ["RUSTFLAGS", "NODE_VERSION"]   # environment variables kept in the fingerprint
//!
//! [[id_map]]                        # rewrite ids that embed random values (see ingest::idmap)
//! pattern = "tmp_[0-9a-f]{6,}"
//! replace = "tmp_<hex>"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::model::Verdict;

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Tag name → glob patterns (`*` any run of characters, `?` one) matched against the test
    /// id, its file, and its class name written as a path (`tests.api.Test` → `tests/api/Test`).
    #[serde(default)]
    pub tags: BTreeMap<String, Vec<String>>,
    /// Gate policy; a `[gate]` section turns the gate on without `--gate`.
    #[serde(default)]
    pub gate: Option<GatePolicy>,
    /// Attribution thresholds.
    #[serde(default)]
    pub attribution: Attribution,
    /// User signature rules, tried in order before the built-in ones.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// What `record` captures.
    #[serde(default)]
    pub record: RecordConfig,
    /// How metrics are judged.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Rewrites of test ids (regular expressions), in order.
    #[serde(default)]
    pub id_map: Vec<IdMapRule>,
    /// Where the baseline store is.
    #[serde(default)]
    pub store: StoreConfig,
}

/// `[store]`: where the baseline store is, when `--store` is not given.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A folder, or `clickhouse://HOST[:PORT]/DATABASE`. Credentials never go here: they
    /// come from `REGDIFF_STORE_USER` and `REGDIFF_STORE_PASSWORD`.
    pub url: Option<String>,
}

/// One id rewrite: every match of `pattern` in an id becomes `replace` (`$1` for groups).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdMapRule {
    /// Regular expression (Rust `regex` syntax) over the id.
    pub pattern: String,
    /// Replacement text.
    pub replace: String,
}

/// Fewest stored runs of a metric that give it a noise model of its own.
pub const MIN_HISTORY_RUNS: usize = 5;

/// How metrics (benchmarks, sizes, test durations) are judged.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Practical threshold: smaller relative changes are never a regression (0.05 = 5%).
    pub threshold: f64,
    /// Per-metric thresholds: glob over metric ids → relative threshold (first match wins).
    pub thresholds: BTreeMap<String, f64>,
    /// Glob patterns of control metrics: code no change touches, so their moves are the
    /// environment's (they also get the tag `control`).
    pub control: Vec<String>,
    /// Whether durations of tests that passed on both sides are compared as metrics.
    pub test_durations: bool,
    /// Practical threshold for test durations.
    pub duration_threshold: f64,
    /// Tests shorter than this (seconds, on either side) are not compared by duration.
    pub duration_min_s: f64,
    /// Stored runs whose median gives a metric's base level when one run a side is compared
    /// against history (W).
    pub history_window: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            threshold: 0.05,
            thresholds: BTreeMap::new(),
            control: Vec::new(),
            test_durations: true,
            duration_threshold: 0.20,
            duration_min_s: 0.1,
            history_window: 10,
        }
    }
}

/// When the gate fails.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatePolicy {
    /// Verdicts (of tests and metrics) that fail the gate.
    pub fail_on: Vec<Verdict>,
    /// Whether a significant drop of the pass rate over the common tests fails the gate.
    pub pass_rate_drop: bool,
    /// Whether a test tagged `critical` that does not pass on every head run fails the gate.
    pub critical_must_pass: bool,
    /// Most removed tests allowed (lost coverage); unset means no limit.
    pub max_removed: Option<usize>,
    /// Most newly skipped tests allowed; unset means no limit.
    pub max_newly_skipped: Option<usize>,
    /// Performance budgets: glob over metric ids → the largest change allowed in the worse
    /// direction, as `"+3%"` or `0.03`. Exceeded when the estimated change is beyond it and
    /// the metric is not judged environmental or unchanged.
    pub budgets: BTreeMap<String, Budget>,
    /// How the gate counts a regression marked `suspect_environment` (a head run with a
    /// run-wide fault, and no cause of its own): as a regression (the default) or as
    /// inconclusive.
    pub suspect_environment: SuspectPolicy,
}

/// How the gate counts regressions with a suspect environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SuspectPolicy {
    /// They are regressions (the verdict stands).
    #[default]
    Regression,
    /// The gate counts them as inconclusive.
    Inconclusive,
}

/// A performance budget: `"+3%"`, `"3%"` or `0.03`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget(pub f64);

impl<'de> Deserialize<'de> for Budget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        let value = match Raw::deserialize(d)? {
            Raw::Number(x) => x,
            Raw::Text(t) => {
                let s = t.trim().trim_start_matches('+');
                match s.strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
                    None => s.parse::<f64>(),
                }
                .map_err(|_| {
                    serde::de::Error::custom(format!("budget `{t}` is not like \"+3%\" or 0.03"))
                })?
            }
        };
        if !(value.is_finite() && value >= 0.0) {
            return Err(serde::de::Error::custom(
                "a budget must be a change of 0% or more",
            ));
        }
        Ok(Budget(value))
    }
}

impl Default for GatePolicy {
    fn default() -> Self {
        GatePolicy {
            fail_on: vec![Verdict::Regression],
            pass_rate_drop: true,
            critical_must_pass: false,
            max_removed: None,
            max_newly_skipped: None,
            budgets: BTreeMap::new(),
            suspect_environment: SuspectPolicy::Regression,
        }
    }
}

/// Thresholds of the attribution rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Attribution {
    /// Significance level of the exact tests (failure counts, pass rates).
    pub alpha: f64,
    /// Executed history runs of a test needed before its history can call it flaky (E3).
    pub history_min_runs: usize,
    /// How many history runs are considered.
    pub history_window: usize,
    /// Head failures sharing one signature that make a mass failure (E5).
    pub mass_failure_min: usize,
    /// Similarity (0–1) above which two failure signatures count as the same (E1).
    pub similarity: f64,
    /// Whether the built-in signature rules are used.
    pub builtin_rules: bool,
    /// Newly failing tests of one head run that one strong rule must fire on (and none of
    /// the base side's) to call it a run-wide fault.
    pub run_fault_min: usize,
}

impl Default for Attribution {
    fn default() -> Self {
        Attribution {
            alpha: 0.05,
            history_min_runs: 10,
            history_window: 50,
            mass_failure_min: 5,
            similarity: 0.9,
            builtin_rules: true,
            run_fault_min: 3,
        }
    }
}

/// Strength of a signature rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// Evidence that the cause lies outside the change (E4).
    Strong,
    /// Only a possible cause: the change itself may produce it.
    #[default]
    Weak,
}

/// A user signature rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Name shown in reports.
    pub name: String,
    /// Regular expression (Rust `regex` syntax) over failure type, message and trace.
    pub pattern: String,
    /// `strong` or `weak` [default: `weak`, which never excuses a failure on its own].
    #[serde(default)]
    pub strength: Strength,
    /// If this expression matches the matched text, the rule does not fire.
    #[serde(default)]
    pub unless: Option<String>,
}

/// What `record` captures besides the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordConfig {
    /// Environment variables kept in the fingerprint (compared between sides).
    pub env: Vec<String>,
}

impl Config {
    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Config::parse(path, &text)
    }

    /// Parses configuration text; `path` is used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// The `[[id_map]]` rules as (pattern, replacement, where) triples.
    pub fn id_map_rules(&self) -> impl Iterator<Item = (&str, &str, String)> {
        self.id_map.iter().enumerate().map(|(i, r)| {
            (
                r.pattern.as_str(),
                r.replace.as_str(),
                format!("[[id_map]] #{}", i + 1),
            )
        })
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |m: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: m,
        };
        crate::ingest::idmap::IdMap::new(self.id_map_rules()).map_err(invalid)?;
        let a = &self.attribution;
        if !(a.alpha > 0.0 && a.alpha < 1.0) {
            return Err(invalid(format!(
                "attribution.alpha = {} must lie strictly between 0 and 1",
                a.alpha
            )));
        }
        if !(0.0..=1.0).contains(&a.similarity) {
            return Err(invalid(format!(
                "attribution.similarity = {} must lie between 0 and 1",
                a.similarity
            )));
        }
        if a.mass_failure_min < 2 {
            return Err(invalid(
                "attribution.mass_failure_min must be at least 2".into(),
            ));
        }
        if a.run_fault_min < 2 {
            return Err(invalid(
                "attribution.run_fault_min must be at least 2 (one failure is not a run-wide fault)".into(),
            ));
        }
        if a.history_min_runs < 2 {
            return Err(invalid(
                "attribution.history_min_runs must be at least 2".into(),
            ));
        }
        let m = &self.metrics;
        for (what, v) in [
            ("metrics.threshold", m.threshold),
            ("metrics.duration_threshold", m.duration_threshold),
        ] {
            if !(v.is_finite() && v > 0.0 && v < 10.0) {
                return Err(invalid(format!(
                    "{what} = {v} must be a relative change above 0 (0.05 = 5%)"
                )));
            }
        }
        if m.history_window < MIN_HISTORY_RUNS {
            return Err(invalid(format!(
                "metrics.history_window = {} must be at least {} (fewer stored runs give no noise model)",
                m.history_window, MIN_HISTORY_RUNS
            )));
        }
        for (pattern, v) in &m.thresholds {
            globset::Glob::new(pattern).map_err(|e| {
                invalid(format!(
                    "metrics.thresholds: pattern `{pattern}` is not a valid glob: {e}"
                ))
            })?;
            if !(v.is_finite() && *v > 0.0) {
                return Err(invalid(format!(
                    "metrics.thresholds.\"{pattern}\" = {v} must be above 0"
                )));
            }
        }
        let budgets = self
            .gate
            .as_ref()
            .map(|g| g.budgets.keys().collect::<Vec<_>>())
            .unwrap_or_default();
        for p in m.control.iter().chain(budgets) {
            globset::Glob::new(p)
                .map_err(|e| invalid(format!("pattern `{p}` is not a valid glob: {e}")))?;
        }
        for (tag, patterns) in &self.tags {
            for p in patterns {
                globset::Glob::new(p).map_err(|e| {
                    invalid(format!(
                        "tags.{tag}: pattern `{p}` is not a valid glob: {e}"
                    ))
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("regdiff.toml"), s)
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse("").unwrap();
        assert!(c.gate.is_none());
        let g = GatePolicy::default();
        assert_eq!(g.fail_on, vec![Verdict::Regression]);
        assert!(g.pass_rate_drop);
        assert_eq!(c.attribution.alpha, 0.05);
    }

    #[test]
    fn full_example_parses() {
        let c = parse(
            r#"
[tags]
critical = ["tests.mission_critical.*"]
[gate]
fail_on = ["regression", "inconclusive"]
critical_must_pass = true
max_removed = 3
[attribution]
history_min_runs = 20
[[rules]]
name = "vault"
pattern = "vault.*503"
strength = "strong"
[record]
env = ["RUSTFLAGS"]
"#,
        )
        .unwrap();
        let gate = c.gate.unwrap();
        assert_eq!(
            gate.fail_on,
            vec![Verdict::Regression, Verdict::Inconclusive]
        );
        assert_eq!(gate.max_removed, Some(3));
        assert_eq!(c.rules[0].strength, Strength::Strong);
        assert_eq!(c.tags["critical"].len(), 1);
        assert_eq!(c.attribution.history_min_runs, 20);
        assert_eq!(c.attribution.mass_failure_min, 5);
    }

    #[test]
    fn typos_are_errors_with_position() {
        let e = parse("[gate]\nfail_onn = [\"regression\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("regdiff.toml"), "{e}");
        assert!(e.contains("fail_onn"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        let e = parse("[gate]\nfail_on = [\"regresion\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("regresion"), "{e}");
    }

    #[test]
    fn metrics_and_budgets() {
        let c = parse("[metrics]\nthreshold = 0.02\ncontrol = [\"calib/*\"]\n[metrics.thresholds]\n\"parse/*\" = 0.1\n[gate.budgets]\n\"parse/*\" = \"+3%\"\n\"io\" = 0.5\n").unwrap();
        assert_eq!(c.metrics.threshold, 0.02);
        assert_eq!(c.metrics.thresholds["parse/*"], 0.1);
        let g = c.gate.unwrap();
        assert!((g.budgets["parse/*"].0 - 0.03).abs() < 1e-12);
        assert_eq!(g.budgets["io"].0, 0.5);
        assert!(parse("[gate.budgets]\n\"x\" = \"lots\"\n").is_err());
        assert!(parse("[metrics]\nthreshold = 0\n").is_err());
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse("[attribution]\nalpha = 1.5\n").is_err());
        assert!(parse("[tags]\ncritical = [\"a[\"]\n").is_err());
    }
}
