//! Attribution: the evidence that a change lies outside the code, or that it cannot.
//!
//! For a test that fails on head, this module gathers the evidence of DESIGN.md
//! ("Attribution"), strongest first, each with its numbers and the snapshots it came from:
//!
//! | id | evidence |
//! |---|---|
//! | E1 | the same failure (similar signature) already happened on the base side |
//! | E2 | within a head run, another attempt of the test passed |
//! | E3 | the base branch's history shows the test passing and failing, with enough runs, and the head failures are likely under that rate |
//! | E4 | every head failure matches a strong infrastructure rule |
//! | E5 | many head failures across unrelated tests share one signature that is a strong rule or also fails on base |
//! | E7 | the two sides' environment fingerprints differ (annotation only) |
//!
//! and the vetoes that keep a verdict a regression whatever the evidence: the test's file
//! or a file of its trace is among the changed files; a deterministic break explained only by
//! E5–E7; a mass failure with a new signature that is not a strong rule. Weak signals
//! (HTTP 5xx, timeouts, setup/teardown errors, E7 alone) become "possible cause" notes.
//! This module finds evidence; `classify` decides.

pub mod rules;
pub use crate::signature;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::align::Run;
use crate::compare::cases::TestComparison;
use crate::config::{Attribution as Thresholds, Strength};
use crate::history::TestHistory;
use crate::model::{EnvFingerprint, Evidence, Status};
use crate::stats::binom::binomial_sf;
use crate::trend::flaky::FailureHistory;
use rules::RuleSet;
use signature::{signature, similarity};

/// The strong kinds of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strong {
    /// Known failure: the same failure on the base side.
    E1,
    /// A retry passed within a head run.
    E2,
    /// Flaky history on the base branch.
    E3,
    /// Strong infrastructure signature.
    E4,
    /// Mass failure with one signature.
    E5,
}

impl Strong {
    /// `E1`…`E5`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strong::E1 => "E1",
            Strong::E2 => "E2",
            Strong::E3 => "E3",
            Strong::E4 => "E4",
            Strong::E5 => "E5",
        }
    }
}

/// A difference between the two sides' environment fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnvDifference {
    /// Which field (`host`, `cpu`, `vars.RUSTFLAGS`, …).
    pub field: String,
    /// Values on base (distinct, sorted).
    pub base: Vec<String>,
    /// Values on head.
    pub head: Vec<String>,
}

/// What attribution found for one test.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Strong evidence found for the head failures.
    pub strong: Vec<(Strong, Evidence)>,
    /// Possible causes and annotations (weak rules, E7, thin history).
    pub causes: Vec<Evidence>,
    /// Vetoes that keep the verdict a regression.
    pub vetoes: Vec<Evidence>,
    /// Strong infrastructure evidence for the *base* failures (for tests that got fixed).
    pub base_infra: Option<Evidence>,
    /// Index of the rule that fired on each failing head run (for the rule hit counts).
    pub rule_hits: Vec<usize>,
    /// E1 came from a base run whose final result failed the same way (not only a retried
    /// attempt).
    pub known_failure_final: bool,
    /// Each failing head run, with the rule that fired on it (for run-wide faults).
    pub head_runs: Vec<HeadFailure>,
    /// Rules that fired on this test's base failures.
    pub base_rules: Vec<usize>,
    /// The test's file, or a file of its trace, is among the changed files (veto V1).
    pub changed_files_veto: bool,
}

/// A failing head run of a test, and the rule that fired on its failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadFailure {
    /// The head run.
    pub run_id: String,
    /// Index of the rule that fired, if any.
    pub rule: Option<usize>,
}

/// Nothing found, to lend where a test's findings were not kept.
pub static NO_FINDINGS: Findings = Findings::EMPTY;

impl Findings {
    /// Nothing found: what nearly every test of a comparison gets.
    pub const EMPTY: Findings = Findings {
        strong: Vec::new(),
        causes: Vec::new(),
        vetoes: Vec::new(),
        base_infra: None,
        rule_hits: Vec::new(),
        known_failure_final: false,
        head_runs: Vec::new(),
        base_rules: Vec::new(),
        changed_files_veto: false,
    };

    /// Whether nothing was found.
    pub fn is_none(&self) -> bool {
        // Every field named, so that a new one cannot be forgotten here.
        let Findings {
            strong,
            causes,
            vetoes,
            base_infra,
            rule_hits,
            known_failure_final,
            head_runs,
            base_rules,
            changed_files_veto,
        } = self;
        strong.is_empty()
            && causes.is_empty()
            && vetoes.is_empty()
            && base_infra.is_none()
            && rule_hits.is_empty()
            && !known_failure_final
            && head_runs.is_empty()
            && base_rules.is_empty()
            && !changed_files_veto
    }

    /// The findings to keep beside a verdict: a box when something was found, none when
    /// nothing was (findings are 232 bytes, and a comparison of a million tests held one
    /// each while building the report).
    pub fn kept(self) -> Option<Box<Findings>> {
        (!self.is_none()).then(|| Box::new(self))
    }

    /// Whether a strong kind of evidence was found.
    pub fn has(&self, kind: Strong) -> bool {
        self.strong.iter().any(|(k, _)| *k == kind)
    }
}

/// Head failures grouped by signature, over the whole comparison (for E5).
#[derive(Debug, Default)]
pub struct MassTable {
    by_signature: HashMap<String, MassEntry>,
    /// Base-side failure signatures with the number of tests failing that way.
    base_signatures: HashMap<String, usize>,
}

#[derive(Debug, Default)]
struct MassEntry {
    tests: usize,
    groups: HashSet<String>,
}

impl MassTable {
    /// Builds the table from every test that newly fails on head, and the signatures of every
    /// failure on the base side.
    pub fn build(comparisons: &[TestComparison<'_>]) -> Self {
        use rayon::prelude::*;
        // Each test's distinct signatures in parallel (reading every base result is most of
        // the work: 200 runs of 10,000 tests are two million), then counted in test order.
        let per_test: Vec<(Vec<String>, Vec<String>)> = comparisons
            .par_iter()
            .map(|c| {
                let mut base: Vec<String> = Vec::new();
                // A single passing attempt has no failure to sign.
                for o in c
                    .base_obs
                    .iter()
                    .filter(|o| !o.single || o.status.is_failure())
                {
                    for a in o.result.attempts.iter().filter(|a| a.status.is_failure()) {
                        let sig = signature(a);
                        if !base.contains(&sig) {
                            base.push(sig);
                        }
                    }
                }
                let mut head: Vec<String> = Vec::new();
                if newly_failing(c) {
                    for o in c.head_obs.iter().filter(|o| o.status.is_failure()) {
                        if let Some(a) = o.result.last_attempt() {
                            let sig = signature(a);
                            if !head.contains(&sig) {
                                head.push(sig);
                            }
                        }
                    }
                }
                (base, head)
            })
            .collect();
        let mut table = MassTable::default();
        for (c, (base, head)) in comparisons.iter().zip(per_test) {
            for sig in base {
                *table.base_signatures.entry(sig).or_default() += 1;
            }
            for sig in head {
                let e = table.by_signature.entry(sig).or_default();
                e.tests += 1;
                e.groups.insert(group_of(c));
            }
        }
        table
    }
}

/// The "unrelated suite" a test belongs to: its suite, else its class name.
fn group_of(c: &TestComparison<'_>) -> String {
    c.suite().or(c.classname()).unwrap_or("").to_string()
}

/// Tests whose head failures are new (not already failing on base).
pub fn newly_failing(c: &TestComparison<'_>) -> bool {
    use crate::model::Change;
    c.head_fails()
        && matches!(
            c.change,
            Change::Broke | Change::Added | Change::Unskipped | Change::FailsMore
        )
}

/// Everything attribution needs besides the test itself.
pub struct Context<'b> {
    /// Thresholds.
    pub thresholds: &'b Thresholds,
    /// Signature rules.
    pub rules: &'b RuleSet,
    /// History of the base branch (base-side runs excluded).
    pub history: &'b TestHistory,
    /// Changed files, when given.
    pub changed_files: Option<&'b [String]>,
    /// Head failures by signature.
    pub mass: &'b MassTable,
    /// Fingerprint differences between the sides.
    pub env_diff: &'b [EnvDifference],
}

/// Gathers the evidence for one test (see the module documentation).
pub fn attribute(c: &TestComparison<'_>, ctx: &Context<'_>) -> Findings {
    let mut f = Findings::default();
    let head_failures: Vec<_> = c
        .head_obs
        .iter()
        .filter(|o| o.status.is_failure())
        .collect();

    // Rules over the failing head runs (also counted for the report).
    let mut strong_rules: Vec<String> = Vec::new();
    let mut weak_rules: Vec<String> = Vec::new();
    let mut all_strong = !head_failures.is_empty();
    for o in &head_failures {
        let Some(last) = o.result.last_attempt() else {
            continue;
        };
        let found = ctx.rules.match_failure(last);
        f.head_runs.push(HeadFailure {
            run_id: c.head_run_id(o).to_string(),
            rule: found.as_ref().map(|m| m.rule),
        });
        match found {
            Some(m) => {
                f.rule_hits.push(m.rule);
                let r = &ctx.rules.rules[m.rule];
                let label = format!("{} [rule {}], {}", r.meaning, r.name, m.quoted());
                match r.strength {
                    Strength::Strong => push_unique(&mut strong_rules, label),
                    Strength::Weak => {
                        all_strong = false;
                        push_unique(&mut weak_rules, label);
                    }
                }
            }
            None => all_strong = false,
        }
        if last.status == Status::Errored && mentions_setup(last) {
            push_unique(
                &mut weak_rules,
                "error in setup or teardown rather than in the test body".to_string(),
            );
        }
    }

    if !head_failures.is_empty() {
        evidence_known_failure(c, ctx, &mut f);
        evidence_retry_passed(c, &mut f);
        evidence_history(c, ctx, &mut f);
        if all_strong {
            let ev = Evidence {
                rule: "E4".into(),
                detail: format!(
                    "every failing head run ({}) matches a strong infrastructure rule: {}",
                    head_failures.len(),
                    strong_rules.join("; ")
                ),
                snapshots: head_failures
                    .iter()
                    .map(|o| c.head_run_id(o).to_string())
                    .collect(),
            };
            f.strong.push((Strong::E4, ev));
        } else {
            for r in strong_rules {
                f.causes.push(Evidence::new(
                    "possible_cause",
                    format!("{r}, in some failing head runs only"),
                ));
            }
        }
        for r in weak_rules {
            f.causes.push(Evidence::new("possible_cause", r));
        }
        evidence_mass(c, ctx, &mut f);
        veto_changed_files(c, ctx, &mut f);
    } else if c.head.passed_after_retry > 0 {
        evidence_retry_passed(c, &mut f);
    }

    // Infrastructure on the base side explains a test that merely stopped failing.
    let base_failures: Vec<_> = c
        .base_obs
        .iter()
        .filter(|o| o.status.is_failure())
        .collect();
    if !base_failures.is_empty() {
        let mut names = Vec::new();
        let mut all = true;
        for o in &base_failures {
            let found = o
                .result
                .last_attempt()
                .and_then(|a| ctx.rules.match_failure(a));
            match found {
                Some(m) => {
                    let r = &ctx.rules.rules[m.rule];
                    push_unique(&mut names, r.name.clone());
                    if !f.base_rules.contains(&m.rule) {
                        f.base_rules.push(m.rule);
                    }
                    all &= r.strength == Strength::Strong;
                }
                None => all = false,
            }
        }
        if all {
            f.base_infra = Some(Evidence {
                rule: "E4".into(),
                detail: format!(
                    "the base failures match a strong infrastructure rule ({}): the fix may be the environment recovering",
                    names.join(", ")
                ),
                snapshots: base_failures
                    .iter()
                    .map(|o| c.base_run_id(o).to_string())
                    .collect(),
            });
        }
    }

    if !ctx.env_diff.is_empty() && (c.head_fails() || c.base.failures() > 0) {
        let parts: Vec<String> = ctx
            .env_diff
            .iter()
            .take(4)
            .map(|d| format!("{}: {} → {}", d.field, d.base.join("/"), d.head.join("/")))
            .collect();
        f.causes.push(Evidence::new(
            "E7",
            format!(
                "the environments differ ({}); alone this does not explain a failure",
                parts.join("; ")
            ),
        ));
    }
    f
}

/// Signatures of the failing head runs' last attempts.
fn head_failure_signatures(c: &TestComparison<'_>) -> Vec<String> {
    c.head_obs
        .iter()
        .filter(|o| o.status.is_failure())
        .filter_map(|o| o.result.last_attempt().map(signature))
        .collect()
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn mentions_setup(a: &crate::model::Attempt) -> bool {
    let text =
        format!("{} {}", a.message().unwrap_or(""), a.kind().unwrap_or("")).to_ascii_lowercase();
    [
        "setup",
        "set up",
        "teardown",
        "tear down",
        "fixture",
        "beforeall",
        "afterall",
        "beforeeach",
        "aftereach",
    ]
    .iter()
    .any(|k| text.contains(k))
}

/// E1: a similar failure (same masked signature, or similar above the threshold) already
/// happened on the base side, in a final result or in a retried attempt.
fn evidence_known_failure(c: &TestComparison<'_>, ctx: &Context<'_>, f: &mut Findings) {
    let head_sigs = head_failure_signatures(c);
    let mut runs = Vec::new();
    // Each run once: a set, not a scan of the list (quadratic over hundreds of pooled runs).
    let mut seen: hashbrown::HashSet<&str> = hashbrown::HashSet::new();
    let mut example = None;
    let mut final_failure = false;
    for o in c.base_obs {
        let last = o.result.attempts.len().saturating_sub(1);
        for (i, a) in o.result.attempts.iter().enumerate() {
            if !a.status.is_failure() {
                continue;
            }
            let sig = signature(a);
            if head_sigs
                .iter()
                .any(|h| similarity(h, &sig) >= ctx.thresholds.similarity)
            {
                let id = c.base_run_id(o);
                if seen.insert(id) {
                    runs.push(id.to_string());
                }
                final_failure |= i == last;
                example.get_or_insert(sig);
            }
        }
    }
    if let Some(sig) = example {
        let how = if final_failure {
            "failed"
        } else {
            "failed in an attempt, then passed on retry,"
        };
        f.known_failure_final = final_failure;
        f.strong.push((
            Strong::E1,
            Evidence {
                rule: "E1".into(),
                detail: format!(
                    "the base side {how} with a similar message in {} run(s): `{sig}`",
                    runs.len()
                ),
                snapshots: runs,
            },
        ));
    }
}

/// E2: within a head run, an attempt passed (a retry passed, or passed before failing).
fn evidence_retry_passed(c: &TestComparison<'_>, f: &mut Findings) {
    let runs: Vec<String> = c
        .head_obs
        .iter()
        .filter(|o| {
            o.result.attempts.len() > 1
                && o.result.any_attempt_passed()
                && o.result.attempts.iter().any(|a| a.status.is_failure())
        })
        .map(|o| c.head_run_id(o).to_string())
        .collect();
    if runs.is_empty() {
        return;
    }
    let attempts: usize = c.head_obs.iter().map(|o| o.result.attempts.len()).sum();
    f.strong.push((
        Strong::E2,
        Evidence {
            rule: "E2".into(),
            detail: format!(
                "in {} head run(s) the same code both failed and passed ({} attempts in all)",
                runs.len(),
                attempts
            ),
            snapshots: runs,
        },
    ));
}

/// E3: the base branch's history shows the test passing and failing, with enough runs, at
/// least one of its failures like the head's, and the head failures are not unlikely at the
/// rate the history shows.
fn evidence_history(c: &TestComparison<'_>, ctx: &Context<'_>, f: &mut Findings) {
    let obs = ctx.history.of(c.id);
    let executed: Vec<_> = obs.iter().filter(|o| o.outcome.is_some()).collect();
    // The same computation as `regdiff flaky` (trend::flaky).
    let hist = FailureHistory::of(executed.iter().filter_map(|o| o.outcome));
    let (n, k) = (hist.runs, hist.failures);
    if n == 0 || k == 0 {
        return;
    }
    let failed_runs: Vec<String> = executed
        .iter()
        .filter(|o| o.failure.is_some())
        .map(|o| ctx.history.runs[o.run].clone())
        .collect();
    let min = ctx.thresholds.history_min_runs as u64;
    if k == n {
        f.causes.push(Evidence {
            rule: "possible_cause".into(),
            detail: format!(
                "failed in all {n} history run(s) of the base branch, but passed on the base side: was it fixed and broken again?"
            ),
            snapshots: failed_runs,
        });
        return;
    }
    if n < min {
        f.causes.push(Evidence {
            rule: "possible_cause".into(),
            detail: format!(
                "failed {k} of {n} history run(s); at least {min} runs are needed to call it flaky (E3 not used)"
            ),
            snapshots: failed_runs,
        });
        f.vetoes.push(Evidence::new(
            "veto",
            format!("too few history runs for E3 ({n} < {min})"),
        ));
        return;
    }
    // The history's failures must look like the head's: a test that once timed out is not
    // thereby excused for a new assertion failure.
    let head_sigs = head_failure_signatures(c);
    let alike = executed
        .iter()
        .filter_map(|o| o.failure.as_ref().map(signature))
        .any(|h| {
            head_sigs
                .iter()
                .any(|s| similarity(s, &h) >= ctx.thresholds.similarity)
        });
    let rate = hist.rate();
    let ci = hist.rate_ci;
    let hf = u64::from(c.head.failures());
    let he = u64::from(c.head.executed());
    // How likely are at least this many head failures at the rate the history shows?
    let p = binomial_sf(hf, he, rate).unwrap_or(0.0);
    let described = match ci {
        Some(ci) => format!(
            "failed {k} of {n} history runs ({:.0}%, 95% CI {:.0}–{:.0}%)",
            100.0 * rate,
            100.0 * ci.lower,
            100.0 * ci.upper
        ),
        None => format!("failed {k} of {n} history runs"),
    };

    if !alike {
        f.causes.push(Evidence {
            rule: "possible_cause".into(),
            detail: format!(
                "{described}, but none of those failures looks like the head's (E3 not used)"
            ),
            snapshots: failed_runs,
        });
    } else if p >= ctx.thresholds.alpha {
        f.strong.push((
            Strong::E3,
            Evidence {
                rule: "E3".into(),
                detail: format!(
                    "{described}, failing the same way; at {:.0}%, {hf} or more failures in {he} head run(s) have probability {p:.2}",
                    100.0 * rate
                ),
                snapshots: failed_runs,
            },
        ));
    } else {
        f.causes.push(Evidence {
            rule: "possible_cause".into(),
            detail: format!(
                "{described}, but {hf} failure(s) in {he} head run(s) are more than that rate explains (probability {p:.2e})"
            ),
            snapshots: failed_runs,
        });
    }
}

/// E5 (and veto V3): many head failures across unrelated tests share one signature.
fn evidence_mass(c: &TestComparison<'_>, ctx: &Context<'_>, f: &mut Findings) {
    use crate::model::Change;
    if !newly_failing(c) {
        return;
    }
    // Only a test that passed on base can have been knocked over by an outage; an added test
    // has no base to stand on.
    let may_excuse = c.change == Change::Broke;
    let min = ctx.thresholds.mass_failure_min;
    for o in c.head_obs.iter().filter(|o| o.status.is_failure()) {
        let Some(last) = o.result.last_attempt() else {
            continue;
        };
        let sig = signature(last);
        let Some(entry) = ctx.mass.by_signature.get(&sig) else {
            continue;
        };
        if entry.tests < min || entry.groups.len() < 2 {
            continue;
        }
        // The rule this failure matched, found once in `attribute`.
        let strong_rule = f
            .head_runs
            .iter()
            .find(|h| h.run_id == c.head_run_id(o))
            .and_then(|h| h.rule)
            .is_some_and(|r| ctx.rules.rules[r].strength == Strength::Strong);
        // Seen on base failing several tests the same way: a known outage pattern.
        let on_base = ctx.mass.base_signatures.get(&sig).is_some_and(|n| *n >= 2);
        let what = format!(
            "{} newly failing tests in {} suites share the signature `{}`",
            entry.tests,
            entry.groups.len(),
            sig
        );
        if (strong_rule || on_base) && may_excuse {
            let why = if strong_rule {
                "a strong infrastructure rule"
            } else {
                "also seen failing on the base side"
            };
            f.strong
                .push((Strong::E5, Evidence::new("E5", format!("{what}, {why}"))));
        } else {
            f.vetoes.push(Evidence::new(
                "veto",
                format!(
                    "{what}: a new signature and no infrastructure rule, so a cause shared in the change is as likely as an outage"
                ),
            ));
        }
        return;
    }
}

/// Veto V1: the test's file, or a file in its failure trace, is among the changed files.
fn veto_changed_files(c: &TestComparison<'_>, ctx: &Context<'_>, f: &mut Findings) {
    let Some(changed) = ctx.changed_files else {
        return;
    };
    for raw in changed {
        let path = normalise_path(raw);
        if path.is_empty() {
            continue;
        }
        if let Some(file) = c.file() {
            let file = normalise_path(file);
            if file == path
                || file.ends_with(&format!("/{path}"))
                || path.ends_with(&format!("/{file}"))
            {
                f.vetoes.push(Evidence::new(
                    "veto",
                    format!("the test's file `{file}` is among the changed files"),
                ));
                f.changed_files_veto = true;
                return;
            }
        }
        if path_matches_classname(&path, c.classname()) {
            f.vetoes.push(Evidence::new(
                "veto",
                format!("the changed file `{path}` holds this test (by its class name)"),
            ));
            f.changed_files_veto = true;
            return;
        }
        let in_trace = c
            .head_obs
            .iter()
            .filter(|o| o.status.is_failure())
            .filter_map(|o| o.result.last_attempt())
            .any(|a| {
                [a.trace(), a.message()]
                    .into_iter()
                    .flatten()
                    .any(|t| trace_mentions(t, &path))
            });
        if in_trace {
            f.vetoes.push(Evidence::new(
                "veto",
                format!("the changed file `{path}` appears in the failure trace"),
            ));
            f.changed_files_veto = true;
            return;
        }
    }
}

fn normalise_path(p: &str) -> String {
    let p = p.trim().replace('\\', "/");
    p.trim_start_matches("./").to_string()
}

/// Whether a changed file holds the test with this class name: `tests/test_filters.py` holds
/// `tests.test_filters.TestFilter`; `src/test/java/com/x/PaymentTest.java` holds
/// `com.x.PaymentTest`; `tests/test_version.rs` is the test binary `crate::test_version`.
fn path_matches_classname(path: &str, classname: Option<&str>) -> bool {
    let Some(class) = classname else {
        return false;
    };
    let Some((stem, ext)) = path.rsplit_once('.') else {
        return false;
    };
    if ext == "rs" {
        if path.starts_with("tests/") || path.contains("/tests/") {
            let file_stem = stem.rsplit('/').next().unwrap_or(stem);
            return class.rsplit("::").next() == Some(file_stem);
        }
        return false;
    }
    let dotted = stem.replace('/', ".");
    // Python: the module path is a prefix of the class name.
    if class == dotted || class.starts_with(&format!("{dotted}.")) {
        return true;
    }
    // JVM and .NET: the file is the class, under a source root.
    let class_path = class.split('$').next().unwrap_or(class);
    dotted.ends_with(&format!(".{class_path}")) || dotted == class_path
}

/// Whether a changed file appears in a trace: its path, or its file name as stack frames
/// print it (`(PaymentClient.java:57)`, `PaymentClient.java:57`).
fn trace_mentions(trace: &str, path: &str) -> bool {
    let t = trace.replace('\\', "/");
    if t.contains(path) {
        return true;
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    base.contains('.')
        && (t.contains(&format!("({base}:"))
            || t.contains(&format!("/{base}:"))
            || t.contains(&format!(" {base}:")))
}

/// Fields of the fingerprints that differ between the sides (fields unknown on a side are
/// not compared; `ci` variables are run identifiers and never compared).
pub fn env_differences(base: &[Run<'_>], head: &[Run<'_>]) -> Vec<EnvDifference> {
    fn fields(e: &EnvFingerprint) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put("host", e.host.clone());
        put("os", e.os.clone());
        put("kernel", e.kernel.clone());
        put("cpu", e.cpu.clone());
        put("cores", e.cores.map(|c| c.to_string()));
        for (k, v) in &e.toolchains {
            m.insert(format!("toolchain.{k}"), v.clone());
        }
        for (k, v) in &e.vars {
            m.insert(format!("vars.{k}"), v.clone());
        }
        m
    }
    let collect = |runs: &[Run<'_>]| {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in runs {
            for (k, v) in fields(&r.snapshot.env) {
                out.entry(k).or_default().insert(v);
            }
        }
        out
    };
    let b = collect(base);
    let h = collect(head);
    let mut diffs = Vec::new();
    for (k, bv) in &b {
        let Some(hv) = h.get(k) else { continue };
        if bv != hv {
            diffs.push(EnvDifference {
                field: k.clone(),
                base: bv.iter().cloned().collect(),
                head: hv.iter().cloned().collect(),
            });
        }
    }
    // A chosen variable set on one side only is a difference too.
    for (k, hv) in &h {
        if k.starts_with("vars.") && !b.contains_key(k) && !base.is_empty() {
            diffs.push(EnvDifference {
                field: k.clone(),
                base: vec!["(unset)".into()],
                head: hv.iter().cloned().collect(),
            });
        }
    }
    for (k, bv) in &b {
        if k.starts_with("vars.") && !h.contains_key(k) && !head.is_empty() {
            diffs.push(EnvDifference {
                field: k.clone(),
                base: bv.iter().cloned().collect(),
                head: vec!["(unset)".into()],
            });
        }
    }
    diffs.sort_by(|a, b| a.field.cmp(&b.field));
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings with any one thing found are kept; only nothing at all is dropped.
    #[test]
    fn findings_with_anything_are_kept() {
        assert!(Findings::default().is_none());
        assert!(Findings::default().kept().is_none());
        let e = || Evidence::new("x", "y");
        let one: Vec<fn(&mut Findings, Evidence)> = vec![
            |f, e| f.strong.push((Strong::E1, e)),
            |f, e| f.causes.push(e),
            |f, e| f.vetoes.push(e),
            |f, e| f.base_infra = Some(e),
            |f, _| f.rule_hits.push(0),
            |f, _| f.known_failure_final = true,
            |f, _| {
                f.head_runs.push(HeadFailure {
                    run_id: "r".into(),
                    rule: None,
                })
            },
            |f, _| f.base_rules.push(0),
            |f, _| f.changed_files_veto = true,
        ];
        for (i, set) in one.into_iter().enumerate() {
            let mut f = Findings::default();
            set(&mut f, e());
            assert!(!f.is_none(), "field {i}");
            let kept = f.clone().kept().expect("kept");
            assert_eq!(format!("{kept:?}"), format!("{f:?}"));
        }
    }

    #[test]
    fn changed_python_and_rust_files_map_to_class_names() {
        assert!(path_matches_classname(
            "src/test/java/com/example/PaymentClientTest.java",
            Some("com.example.PaymentClientTest")
        ));
        assert!(!path_matches_classname(
            "src/test/java/com/example/PaymentClientTest.java",
            Some("com.example.OtherTest")
        ));
        assert!(trace_mentions(
            "at com.example.PaymentClient.charge(PaymentClient.java:57)",
            "src/main/java/com/example/PaymentClient.java"
        ));
        assert!(!trace_mentions(
            "at com.example.Other.run(Other.java:3)",
            "src/main/java/com/example/PaymentClient.java"
        ));
        assert!(path_matches_classname(
            "tests/test_filters.py",
            Some("tests.test_filters.TestFilter")
        ));
        assert!(path_matches_classname(
            "tests/test_filters.py",
            Some("tests.test_filters")
        ));
        assert!(!path_matches_classname(
            "tests/test_filters.py",
            Some("tests.test_filters_more")
        ));
        assert!(path_matches_classname(
            "tests/test_version.rs",
            Some("semver::test_version")
        ));
        assert!(!path_matches_classname("src/eval.rs", Some("semver::eval")));
    }

    #[test]
    fn setup_errors_are_recognised() {
        let mut a = crate::model::Attempt::new(Status::Errored);
        a.text_mut().message = Some("failed on setup with \"ValueError\"".into());
        assert!(mentions_setup(&a));
        a.text_mut().message = Some("ZeroDivisionError".into());
        assert!(!mentions_setup(&a));
    }
}
