//! The analysis pipeline: runs of both sides (and history) in, one [`Report`] out.
//!
//! This module runs the flow of DESIGN.md and nothing else: align → compare (facts) →
//! attribute (evidence) → classify (verdicts) → pass rate → gate → report. Each stage is a
//! module of its own with data types in between, and the imports run one way: `compare`
//! knows nothing of `classify`, `classify` nothing of `report`. Per-test work runs on rayon;
//! every collection is ordered by id, so the result does not depend on the number of threads.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;

use crate::align::{Run, align_tests};
use crate::attribute::rules::RuleSet;
use crate::attribute::{Context, Findings, MassTable, NO_FINDINGS, attribute, env_differences};
use crate::classify::classify_test;
use crate::classify::{pass_rate, run_fault};
use crate::compare::cases::{TestComparison, compare_test};
use crate::compare::metrics;
use crate::compare::renames;
use crate::config::{Config, Strength};
use crate::gate;
use crate::history::TestHistory;
use crate::model::{Change, Name, Summary, Verdict};
use crate::report::diff::word_diff;
use crate::report::{HistoryInfo, Item, REPORT_SCHEMA, Report, RuleHits, SideInfo, TestItem};
use crate::signature::signature;

/// What the base branch's stored runs before the base say, as the analysis asks it: test
/// outcomes and failure signatures (evidence E3) and metric statistics (the history noise
/// model). Built from snapshots in memory ([`PastRuns::from_runs`]) or streamed from the
/// store without holding its runs whole; both keep the same windows.
#[derive(Debug, Default)]
pub struct PastRuns {
    /// The last `attribution.history_window` runs' outcomes of the tests asked about.
    pub tests: TestHistory,
    /// The last `metrics.history_window` runs' metric statistics, oldest first.
    pub metrics: Vec<metrics::HistoryRun>,
    /// Their branch, when they name one.
    pub branch: Option<String>,
}

impl PastRuns {
    /// The history of runs in memory (oldest first), with the configured windows; only the
    /// tests in `wanted` are kept (every test when `None`).
    pub fn from_runs(
        runs: &[Run<'_>],
        config: &Config,
        wanted: Option<&HashSet<String>>,
    ) -> PastRuns {
        let tw = &runs[runs.len().saturating_sub(config.attribution.history_window)..];
        let mw = &runs[runs.len().saturating_sub(config.metrics.history_window)..];
        PastRuns {
            tests: TestHistory::from_snapshots(tw.iter().map(|r| (r.id, r.snapshot)), wanted),
            metrics: mw
                .par_iter()
                .map(|r| {
                    metrics::HistoryRun::of(
                        r.id,
                        r.snapshot.run.commit.clone(),
                        &r.snapshot.metrics,
                    )
                })
                .collect(),
            branch: runs.iter().find_map(|r| r.snapshot.run.branch.clone()),
        }
    }

    /// Whether there is no history at all.
    pub fn is_empty(&self) -> bool {
        self.tests.runs.is_empty() && self.metrics.is_empty()
    }
}

/// The ids of the tests that fail in some run of `head`: the only ones whose history the
/// evidence asks about.
pub fn failing_ids(head: &[Run<'_>]) -> HashSet<String> {
    head.iter()
        .flat_map(|r| r.snapshot.results())
        .map(|(t, _)| t)
        .filter(|t| t.status.is_failure())
        .map(|t| t.id.to_string())
        .collect()
}

/// Everything a comparison needs.
pub struct Inputs<'a> {
    /// Base runs.
    pub base: Vec<Run<'a>>,
    /// Head runs.
    pub head: Vec<Run<'a>>,
    /// History of the base branch before the base, base runs excluded.
    pub history: PastRuns,
    /// Configuration.
    pub config: &'a Config,
    /// Changed files (`--changed-files`), when given.
    pub changed_files: Option<Vec<String>>,
    /// The gate policy, when a gate was asked for (`--gate` or a `[gate]` section).
    pub gate: Option<crate::config::GatePolicy>,
    /// Warnings gathered before the analysis (loading, selection).
    pub warnings: Vec<String>,
}

/// Runs the comparison.
pub fn analyse(inputs: &Inputs<'_>) -> Report {
    let config = inputs.config;
    let alpha = config.attribution.alpha;
    let rules = RuleSet::build(&config.rules, config.attribution.builtin_rules);
    let aligned = align_tests(&inputs.base, &inputs.head);
    let (nb, nh) = (inputs.base.len(), inputs.head.len());
    let comparisons: Vec<TestComparison<'_>> = (0..aligned.len())
        .into_par_iter()
        .map(|i| compare_test(aligned.get(i), nb, nh, alpha))
        .collect();

    let mass = MassTable::build(&comparisons);
    let env_diff = env_differences(&inputs.base, &inputs.head);
    let ctx = Context {
        thresholds: &config.attribution,
        rules: &rules,
        history: &inputs.history.tests,
        changed_files: inputs.changed_files.as_deref(),
        mass: &mass,
        env_diff: &env_diff,
    };
    let tagger = Tagger::new(config);
    let mut judged: Vec<_> = comparisons
        .par_iter()
        .map(|c| {
            let findings = attribute(c, &ctx);
            let verdict = classify_test(c, &findings);
            (verdict, findings.kept())
        })
        .collect();
    // A strong signature on many failures of one head run: the other failures of that run
    // are regressions that may share the fault.
    let findings: Vec<&Findings> = judged
        .iter()
        .map(|(_, f)| f.as_deref().unwrap_or(&NO_FINDINGS))
        .collect();
    let faults = run_fault::find(
        &comparisons,
        &findings,
        &rules,
        config.attribution.run_fault_min,
    );
    if !faults.is_empty() {
        for (v, f) in &mut judged {
            let f = f.as_deref().unwrap_or(&NO_FINDINGS);
            run_fault::annotate(v, f, &faults, &rules);
        }
    }

    let mut hits = vec![0usize; rules.rules.len()];
    let mut summary = Summary::default();
    // Probable renames: the removed test is shown within the added one.
    let renames = renames::find(&comparisons);
    let mut renamed_from: HashMap<usize, usize> = HashMap::new();
    let mut merged: HashSet<usize> = HashSet::new();
    for r in &renames {
        renamed_from.insert(r.added, r.removed);
        merged.insert(r.removed);
    }
    // The verdicts alone stay for the pass rate; each verdict with its evidence moves into
    // its item (a clone of every verdict was 281 MB at a million tests).
    let verdicts: Vec<_> = comparisons
        .iter()
        .zip(&judged)
        .map(|(c, (v, _))| (c, v.verdict))
        .collect();
    // A rename notes evidence; it never changes the verdict.
    for (i, (c, (v, f))) in comparisons.iter().zip(&mut judged).enumerate() {
        for &h in f.iter().flat_map(|f| &f.rule_hits) {
            hits[h] += 1;
        }
        if merged.contains(&i) {
            continue;
        }
        if let Some(&r) = renamed_from.get(&i) {
            note_rename(v, c, &comparisons[r]);
        }
        summary.add(v.verdict);
    }
    let (mut pass_rate, suites) = pass_rate::compute(&verdicts, alpha);
    pass_rate.renamed = renames.len();
    pass_rate.added -= renames.len();
    pass_rate.removed -= renames.len();

    let mut warnings = inputs.warnings.clone();
    for (side, runs) in [("base", &inputs.base), ("head", &inputs.head)] {
        for r in runs.iter() {
            for w in &r.snapshot.warnings {
                // Warnings name their file already; say which side and run only when not.
                if w.starts_with(r.id) {
                    warnings.push(format!("{side}: {w}"));
                } else {
                    warnings.push(format!("{side} {}: {w}", r.id));
                }
            }
        }
    }
    for b in &rules.broken {
        warnings.push(format!(
            "signature rule `{}` does not compile and was not used: {}",
            b.name, b.error
        ));
    }
    let any_failure = hits.iter().sum::<usize>() > 0 || comparisons.iter().any(|c| c.head_fails());
    let mut rule_hits = Vec::new();
    for (r, n) in rules.rules.iter().zip(&hits) {
        if !r.builtin && *n == 0 && any_failure {
            warnings.push(format!(
                "signature rule `{}` matched none of the head failures",
                r.name
            ));
        }
        rule_hits.push(RuleHits {
            name: r.name.clone(),
            strength: match r.strength {
                Strength::Strong => "strong",
                Strength::Weak => "weak",
            },
            builtin: r.builtin,
            hits: *n,
        });
    }

    // Metrics: benchmarks, sizes, and durations of tests that passed on both sides.
    let metric_inputs = metrics::inputs(&inputs.base, &inputs.head, &comparisons, &config.metrics);
    // A one-run base is judged against its branch's stored runs: the window is the last W of
    // the history and the base runs themselves. A base of several runs is such a window even
    // with no older runs stored (`main[20]` covering the branch, several base files): a head
    // of one run is judged against their level and run-to-run noise.
    let metric_history = if inputs.history.is_empty() && inputs.base.len() < 2 {
        metrics::MetricHistory::default()
    } else {
        let window: Vec<metrics::HistoryRun> = inputs
            .history
            .metrics
            .iter()
            .cloned()
            .chain(inputs.base.iter().map(|r| {
                metrics::HistoryRun::of(r.id, r.snapshot.run.commit.clone(), &r.snapshot.metrics)
            }))
            .collect();
        let branch = inputs.history.branch.clone().or_else(|| {
            inputs
                .base
                .iter()
                .find_map(|r| r.snapshot.run.branch.clone())
        });
        metrics::MetricHistory::from_parts(window, branch, config.metrics.history_window)
    };
    let controls = metrics::globs(&config.metrics.control);
    let is_control = |m: &metrics::MetricInput| {
        m.tags.iter().any(|t| t == "control") || controls.is_match(&m.id)
    };
    let (facts, metric_groups) =
        metrics::compare(metric_inputs, &metric_history, &is_control, alpha);
    // Judged on every core; the evidence is rendered when the report is written.
    let context = Arc::new(crate::report::MetricContext {
        groups: metric_groups.clone(),
        env_diff: env_diff.clone(),
        alpha,
    });
    // Boxes, not items: an item is 232 bytes, and the list and its sort's scratch were 32 MB
    // at 93,000 metrics.
    let mut metric_items: Vec<Box<crate::report::MetricItem>> = facts
        .into_par_iter()
        .map(|f| {
            let shift = metric_groups.iter().find(|g| g.group == f.input.group);
            let (verdict, change) =
                crate::classify::metric::verdict_of(&f.view(), shift, &env_diff, alpha);
            let control = is_control(&f.input);
            metric_item(f, verdict, change, control, &context)
        })
        .collect();
    for m in &metric_items {
        summary.add(m.verdict);
    }

    // Regressions first; within a verdict, tests in first-seen order, then metrics. Each
    // item is built straight into its place: built into one list per verdict, and the lists
    // then joined, the largest list and the joined one were held at once (twice 330 MB at a
    // million tests).
    let tests_kept = comparisons.len() - merged.len();
    let mut items: Vec<Item> = Vec::with_capacity(tests_kept + metric_items.len());
    // Stable: each verdict's metrics keep their order.
    metric_items.sort_by_key(|m| rank(m.verdict));
    let mut metric_items = metric_items.into_iter().peekable();
    // Each verdict's tests, in first-seen order (one pass over the verdicts).
    let mut of_rank: Vec<Vec<usize>> = vec![Vec::new(); Verdict::ALL.len()];
    for (i, (v, _)) in judged.iter().enumerate() {
        if !merged.contains(&i) {
            of_rank[rank(v.verdict)].push(i);
        }
    }
    for (r, of_rank) in of_rank.iter().enumerate() {
        // Built on every core, straight into the list (an indexed iterator writes in place).
        // The verdict is copied: its evidence is empty for nearly every test (the counts
        // sentence is written with the report).
        items.par_extend(of_rank.par_iter().map(|&i| {
            let mut item = test_item(&comparisons[i], judged[i].0.clone(), &tagger);
            if let Some(&old) = renamed_from.get(&i) {
                item.detail_mut().renamed_from = Some(comparisons[old].id.to_string());
            }
            Item::Test(item)
        }));
        while let Some(m) = metric_items.next_if(|m| rank(m.verdict) == r) {
            items.push(Item::Metric(m));
        }
    }
    drop(judged);

    let mut report = Report {
        schema: REPORT_SCHEMA,
        base: side_info(&inputs.base, &comparisons, true),
        head: side_info(&inputs.head, &comparisons, false),
        history: HistoryInfo {
            runs: inputs.history.tests.runs.len(),
            snapshots: inputs.history.tests.runs.clone(),
        },
        gate: Default::default(),
        summary,
        pass_rate,
        suites,
        items,
        rules: rule_hits,
        metric_groups,
        environment: env_diff,
        warnings,
    };
    report.gate = match &inputs.gate {
        Some(policy) => gate::evaluate(&report, policy, true),
        None => gate::evaluate(&report, &crate::config::GatePolicy::default(), false),
    };
    report
}

/// The report item of a judged metric: its facts moved into it, its evidence left to be
/// rendered ([`crate::report::MetricItem::evidence`]).
fn metric_item(
    f: Box<metrics::MetricFacts<'_>>,
    verdict: Verdict,
    change: Change,
    control: bool,
    context: &Arc<crate::report::MetricContext>,
) -> Box<crate::report::MetricItem> {
    let metrics::MetricFacts {
        input,
        base,
        head,
        log_ratio,
        ci,
        ci_level,
        p,
        q,
        method,
        noise,
        runs_needed,
        threshold_raised,
        stats,
        ..
    } = *f;
    let mut tags = input.tags;
    if control && !tags.iter().any(|t| t == "control") {
        tags.push("control".into());
    }
    Box::new(crate::report::MetricItem {
        id: input.id,
        unit: input.unit,
        better: input.better,
        verdict,
        change,
        ratio: log_ratio.map(f64::exp),
        ci: ci.map(|[lo, hi]| [lo.exp(), hi.exp()]),
        ci_level,
        p,
        q,
        n: [base.runs, head.runs],
        samples: [base.samples, head.samples],
        base,
        head,
        group: input.group,
        threshold: input.threshold,
        threshold_configured: threshold_raised.map(|(t, _)| t),
        method,
        noise,
        stats,
        tags,
        log_ratio,
        problem: input.problem,
        deterministic: input.deterministic,
        runs_needed,
        context: Arc::clone(context),
    })
}

/// A probable rename on the added test's verdict: an unchanged added test becomes
/// `renamed`; a failing one keeps its verdict, with the rename and the old test's base
/// outcome named.
fn note_rename(
    v: &mut crate::classify::TestVerdict,
    new: &TestComparison<'_>,
    old: &TestComparison<'_>,
) {
    let how = format!(
        "renamed (probably) from `{}`: same suite, class and parameters, near-identical name; the old test on base: {}",
        old.id,
        old.base.describe()
    );
    if v.verdict == Verdict::Unchanged && new.change == Change::Added {
        v.change = Change::Renamed;
        let mut detail = how;
        if old.base.failures() > 0 {
            detail.push_str(
                " (it failed there; under its new name it passes: a rename is not a fix)",
            );
        }
        v.evidence
            .push(crate::model::Evidence::new("renamed", detail));
    } else {
        v.evidence.push(crate::model::Evidence::new("renamed", how));
    }
}

/// Report order: regressions first, unchanged last.
fn rank(v: Verdict) -> usize {
    Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

fn side_info(runs: &[Run<'_>], comps: &[TestComparison<'_>], base: bool) -> SideInfo {
    let branches: BTreeSet<String> = runs
        .iter()
        .filter_map(|r| r.snapshot.run.branch.clone())
        .collect();
    let commits: Vec<String> = runs
        .iter()
        .filter_map(|r| r.snapshot.run.commit.clone())
        .collect();
    SideInfo {
        snapshots: runs.iter().map(|r| r.id.to_string()).collect(),
        runs: runs.len(),
        tests: comps
            .iter()
            .filter(|c| {
                if base {
                    c.base.runs > 0
                } else {
                    c.head.runs > 0
                }
            })
            .count(),
        metrics: runs
            .iter()
            .flat_map(|r| r.snapshot.metrics.iter().map(|m| m.id.as_str()))
            .collect::<BTreeSet<_>>()
            .len(),
        branches: branches.into_iter().collect(),
        commits,
    }
}

/// Applies `[tags]` patterns of `regdiff.toml` to test ids and files.
struct Tagger {
    sets: Vec<(String, GlobSet)>,
}

impl Tagger {
    fn new(config: &Config) -> Self {
        let mut sets = Vec::new();
        for (tag, patterns) in &config.tags {
            let mut b = GlobSetBuilder::new();
            for p in patterns {
                // Validated when the configuration was read.
                if let Ok(g) = Glob::new(p) {
                    b.add(g);
                }
            }
            if let Ok(set) = b.build() {
                sets.push((tag.clone(), set));
            }
        }
        Tagger { sets }
    }

    fn tags(&self, c: &TestComparison<'_>) -> Vec<String> {
        let mut tags = c.tags();
        for (tag, set) in &self.sets {
            // Patterns match the test id, its file, or its class name written as a path
            // (`tests/mission_critical/*` matches class `tests.mission_critical.test_x`).
            let hit = set.is_match(c.id)
                || c.file().is_some_and(|f| set.is_match(f))
                || c.classname()
                    .is_some_and(|k| set.is_match(k.replace("::", "/").replace('.', "/")));
            if hit && !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        tags
    }
}

fn first_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).take(6).collect();
    let joined = lines.join("\n");
    if joined.chars().count() > 600 {
        let cut: String = joined.chars().take(600).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

fn failure_text(a: &crate::model::Attempt) -> Option<String> {
    let text = a
        .message()
        .filter(|m| !m.trim().is_empty())
        .or(a.trace())
        .or(a.kind())?;
    Some(first_lines(text))
}

fn test_item(c: &TestComparison<'_>, v: crate::classify::TestVerdict, tagger: &Tagger) -> TestItem {
    let last_failure = |obs: &[crate::align::Observation<'_>]| {
        obs.iter()
            .rev()
            .filter(|o| o.status.is_failure())
            .find_map(|o| o.result.last_attempt())
            .cloned()
    };
    let head_fail = last_failure(c.head_obs);
    let base_fail = last_failure(c.base_obs);
    let message = head_fail.as_ref().and_then(failure_text).or_else(|| {
        // A newly skipped test: show the skip reason.
        (v.change == Change::Skipped)
            .then(|| {
                c.head_obs
                    .iter()
                    .filter_map(|o| o.result.last_attempt())
                    .find_map(|a| a.message().map(first_lines))
            })
            .flatten()
    });
    let mut base_message = None;
    let mut message_diff = None;
    let mut evidence = v.evidence;
    if let (Some(b), Some(h)) = (&base_fail, &head_fail) {
        let bt = failure_text(b).unwrap_or_default();
        let ht = failure_text(h).unwrap_or_default();
        if bt != ht {
            if v.change == Change::StillFailing {
                let detail = if signature(b) != signature(h) {
                    "still failing, but differently: the failure message changed (worth a look)"
                } else {
                    "still failing; the message differs only in numbers, ids or paths"
                };
                evidence.push(crate::model::Evidence::new("diff", detail));
            }
            message_diff = Some(word_diff(&bt, &ht));
            base_message = Some(bt);
        }
    } else if v.change == Change::Fixed {
        base_message = base_fail.as_ref().and_then(failure_text);
    }
    // The names are the runs' own, shared rather than copied: a report of a million tests
    // would otherwise hold five more strings for each.
    let [suite, classname, name, file] = c.shared_names();
    let id = c.head_obs.iter().chain(c.base_obs).next();
    TestItem {
        id: id.map_or_else(|| c.id.into(), |o| o.result.id.clone()),
        suite: suite.cloned(),
        classname: classname.cloned(),
        name: name.map_or_else(|| c.id.into(), Name::clone),
        verdict: v.verdict,
        change: v.change,
        counts_evidence: v.counts,
        evidence,
        base: c.base,
        head: c.head,
        tags: tagger.tags(c).into(),
        file: file.cloned(),
        line: c.line,
        message,
        detail: (base_message.is_some() || message_diff.is_some()).then(|| {
            Box::new(crate::report::TestItemDetail {
                base_message,
                message_diff,
                renamed_from: None,
            })
        }),
        suspect_environment: v.suspect_environment,
    }
}
