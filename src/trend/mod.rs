//! History and trends: over the stored runs of a branch, where did each metric and the pass
//! rate step up or down, at which commit, by how much, and which tests are flaky.
//!
//! **Series.** Each stored run gives each metric the location statistics `compare` uses
//! ([`RunStats`]): the median (what users see), and the *code statistic* beside it — CPU
//! time when the harness gives it per sample, else the lower envelope (the minimum) — in
//! log scale. History order is the run time given to `record --time`, then the store's order.
//!
//! **Outliers first.** A run whose median stands far from its neighbours' (more than
//! [`OUTLIER_K`] times the series' robust scale of such deviations, and beyond the practical
//! threshold) while the runs on either side do not, is an *isolated run*, not a change point:
//! it is set apart before the change points are looked for. It is environmental when there
//! is evidence: most metrics of the same run moved together (a noisy neighbour for one run),
//! or its code statistic stayed within the threshold while the median moved (contention).
//! The latest run is never set apart: whether it starts a new level, only later runs tell.
//!
//! **Change points** are found by E-divisive means in Otava's windowed split-and-merge
//! ([`crate::stats::edivisive`]) on the log medians without the outliers, with Otava's
//! p-value threshold divided by the number of positions a window offers (Bonferroni, as in
//! [`Params::corrected`]; for a history shorter than the window, by its length). A point
//! whose segments hold fewer than [`MIN_SEGMENT`] runs, or whose change is below the
//! practical threshold, is dropped.
//!
//! **Verdicts**, as `compare` judges one metric against its group:
//! - the *common shift* θ at a point is the median change of the other metrics across the
//!   same run (each over the same number of runs before and after);
//! - **environmental** when the environment is shown to have moved there — θ beyond the
//!   threshold with most other metrics moving its way, or the fingerprint (OS, kernel, CPU,
//!   cores, toolchains, variables; not the host name, which CI runners change every run)
//!   changed at that run — and the metric moved with it (its deviation from θ within the
//!   threshold) or its code statistic stayed within the threshold;
//! - **regression** / **improvement** by the metric's direction when its deviation from θ is
//!   beyond the threshold and the code statistic, when there is one, moved the same way
//!   beyond the threshold;
//! - **inconclusive** otherwise, saying why (the median stepped but the code statistic did
//!   not, or the step is within the others' shift).
//!
//! **Slow drift**: Mann–Kendall with a Theil–Sen slope over the runs since the last change
//! point (at most [`TrendOptions::drift_window`]), Benjamini–Hochberg across metrics; a drift
//! is reported when q < α and the fitted change over the window exceeds the threshold.
//!
//! **Tests** ([`flaky`]): the pass rate per run over the tests every run holds, and per test
//! its failure rate with a Wilson interval, its flips, and whether it is flaky or broke at
//! one commit (a step).

pub mod flaky;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::compare::metrics::{RunStats, Scratch, Stat};
use crate::history::{Column, History, MetricRun, TestMatrix};
use crate::model::{Better, EnvFingerprint, Snapshot, Status, Verdict};
use crate::stats::edivisive::{self, Params};
use crate::stats::hl::hodges_lehmann;
use crate::stats::multiple::benjamini_hochberg;
use crate::stats::sample::Sample;
use crate::stats::trend::{mann_kendall, theil_sen};
use flaky::{FailureHistory, Outcome, TestKind};

/// A run's median beyond this many robust scales of the series' local deviations is an
/// outlier candidate (with the practical threshold as a floor).
pub const OUTLIER_K: f64 = 5.0;
/// Fewest runs on each side of a change point.
pub const MIN_SEGMENT: usize = 3;
/// Fewest runs for a drift test.
pub const MIN_DRIFT_POINTS: usize = 10;
/// A run-wide disturbance needs the median deviation of the run's metrics beyond this many
/// robust scales of the runs' median deviations: a lower bar than [`OUTLIER_K`], as the
/// metrics corroborate one another.
pub const RUN_WIDE_K: f64 = 3.0;
/// Neighbours on each side that give a run's local level.
const LOCAL: usize = 3;
/// Share of a run's metrics that must move together for a run-wide disturbance, and of the
/// other metrics for a common shift at a change point.
const MOST: f64 = 2.0 / 3.0;

/// What the analysis needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendOptions {
    /// Practical threshold: relative changes below it are not reported (e.g. 0.05).
    pub threshold: f64,
    /// Significance level of the drift test after Benjamini–Hochberg.
    pub alpha: f64,
    /// E-divisive window (Otava's `window_len`).
    pub window: usize,
    /// Otava's `max_pvalue` before the correction for the window's positions.
    pub max_pvalue: f64,
    /// Runs the drift test looks back over, at most.
    pub drift_window: usize,
    /// Executed runs needed before a test is called flaky.
    pub min_flaky_runs: u64,
}

impl Default for TrendOptions {
    fn default() -> Self {
        TrendOptions {
            threshold: 0.05,
            alpha: 0.05,
            window: 50,
            max_pvalue: 0.001,
            drift_window: 100,
            min_flaky_runs: 10,
        }
    }
}

/// A run of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRun {
    /// Snapshot id.
    pub id: String,
    /// Commit, when known.
    pub commit: Option<String>,
    /// Run time, when known.
    pub time: Option<String>,
}

/// One run's value of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Index of the run in [`Trend::runs`].
    pub run: usize,
    /// The run's median in the metric's unit.
    pub value: f64,
    /// Samples in the run.
    pub samples: u64,
}

/// A change point of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendChange {
    /// Index of the first run of the new level.
    pub run: usize,
    /// Level before (median of the segment, in the metric's unit).
    pub before: f64,
    /// Level after.
    pub after: f64,
    /// Runs in the segments before and after.
    pub runs_before: usize,
    /// Runs after.
    pub runs_after: usize,
    /// after / before.
    pub ratio: f64,
    /// 95% interval of the ratio (Hodges–Lehmann shift of the log medians, exact).
    pub ci: (f64, f64),
    /// The same for the code statistic, when there is one.
    pub code_ci: Option<(f64, f64)>,
    /// The t-test p-value of the split (Otava's).
    pub p: f64,
    /// The level p had to pass.
    pub p_needed: f64,
    /// The series the point was found on: `median`, or the code statistic's name.
    pub found_on: &'static str,
    /// The code statistic's ratio across the same segments, when there is one.
    pub code_ratio: Option<f64>,
    /// The other metrics that stepped at this run (within a run) the same way: their median
    /// change (a ratio), how many, and of how many with runs on both sides.
    pub common: Option<(f64, usize, usize)>,
    /// The verdict.
    pub verdict: Verdict,
    /// The evidence for it, in words.
    pub reason: String,
}

/// A run set apart as an outlier.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlier {
    /// Index of the run.
    pub run: usize,
    /// The run's median over its neighbours' level.
    pub ratio: f64,
    /// Environmental when there is evidence for it (run-wide shift, contention).
    pub environmental: bool,
    /// Why it was set apart.
    pub reason: String,
}

/// Slow drift over the current level's runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// Runs tested (the last ones, since the last change point).
    pub points: usize,
    /// Mann–Kendall p-value.
    pub p: f64,
    /// Benjamini–Hochberg q-value across metrics.
    pub q: f64,
    /// Kendall's tau.
    pub tau: f64,
    /// Fitted ratio per run (Theil–Sen slope of ln value).
    pub per_run: f64,
    /// Fitted ratio over the tested runs, with its 95% interval.
    pub over_window: f64,
    /// Its interval.
    pub ci: (f64, f64),
    /// The code statistic's fitted ratio over the same runs, when there is one.
    pub code_over_window: Option<f64>,
    /// Regression or improvement when reported (inconclusive when the code statistic did
    /// not move with the median), else unchanged.
    pub verdict: Verdict,
}

/// A level between change points, for charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// First run index.
    pub from: usize,
    /// Last run index (inclusive).
    pub to: usize,
    /// Median of the segment in the metric's unit.
    pub level: f64,
}

/// The trend of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricTrend {
    /// Metric id.
    pub id: String,
    /// Unit.
    pub unit: String,
    /// Direction.
    pub better: Better,
    /// Which statistic is the code statistic (`CPU time`, `min`), when there is one.
    pub code_stat: Option<&'static str>,
    /// One point per run that holds the metric.
    pub points: Vec<Point>,
    /// Change points, oldest first.
    pub change_points: Vec<TrendChange>,
    /// Runs set apart.
    pub outliers: Vec<Outlier>,
    /// Levels between change points.
    pub segments: Vec<Segment>,
    /// Slow drift, when there are enough runs.
    pub drift: Option<Drift>,
}

impl MetricTrend {
    /// True when nothing was found: no change point, outlier or reported drift.
    pub fn is_quiet(&self) -> bool {
        self.change_points.is_empty()
            && self.outliers.is_empty()
            && self
                .drift
                .as_ref()
                .is_none_or(|d| d.verdict == Verdict::Unchanged)
    }
}

/// The pass rate of one run, over the tests every run of the history holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassRatePoint {
    /// Index of the run.
    pub run: usize,
    /// Common tests that passed.
    pub passed: u64,
    /// Common tests that ran (not skipped).
    pub executed: u64,
    /// Every test of the run.
    pub total: u64,
}

/// A test's history.
#[derive(Debug, Clone, PartialEq)]
pub struct TestTrend {
    /// Test id.
    pub id: String,
    /// Its failure history.
    pub history: FailureHistory,
    /// What the history says.
    pub kind: TestKind,
    /// For a step (broke or fixed): the run it started at.
    pub since: Option<usize>,
}

/// The whole analysis of a history.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// Branch.
    pub branch: String,
    /// The runs, oldest first.
    pub runs: Vec<TrendRun>,
    /// Every metric, in id order.
    pub metrics: Vec<MetricTrend>,
    /// Pass rate per run that holds tests.
    pub pass_rate: Vec<PassRatePoint>,
    /// Tests in every run with tests (the pass rate's denominator before skips).
    pub common_tests: usize,
    /// Tests that failed at least once (flaky, broke, fixed, failing, too few runs),
    /// flakiest first.
    pub tests: Vec<TestTrend>,
    /// Tests seen in the history.
    pub tests_seen: usize,
    /// The options used.
    pub options: TrendOptions,
}

impl Trend {
    /// True when the latest run sits after a regression change point of some metric: that
    /// metric's last change point is a regression.
    pub fn latest_after_regression(&self) -> Vec<&MetricTrend> {
        self.metrics
            .iter()
            .filter(|m| {
                m.change_points
                    .iter()
                    .rev()
                    .find(|c| c.verdict != Verdict::Inconclusive)
                    .is_some_and(|c| c.verdict == Verdict::Regression)
            })
            .collect()
    }
}

/// One metric's series before analysis.
struct Raw<'a> {
    id: &'a str,
    unit: &'a str,
    better: Better,
    points: Vec<Point>,
    /// ln(median) per point (unit space).
    med: Vec<f64>,
    /// ln(code statistic) per point, when every point has it.
    code: Option<Vec<f64>>,
    code_stat: Option<&'static str>,
}

/// Analyses a history of snapshots in memory (oldest first).
pub fn analyse(branch: &str, runs: &[(&str, &Snapshot)], options: TrendOptions) -> Trend {
    analyse_history(branch, &History::from_snapshots(runs), options)
}

/// Analyses a history (oldest first), as the store streams it.
pub fn analyse_history(branch: &str, history: &History, options: TrendOptions) -> Trend {
    let runs = &history.runs;
    let trend_runs: Vec<TrendRun> = runs
        .iter()
        .map(|r| TrendRun {
            id: r.id.clone(),
            commit: r.run.commit.clone(),
            time: r.run.time.clone(),
        })
        .collect();
    let raws = series(runs);
    let fingerprint_changed: Vec<bool> = (0..runs.len())
        .map(|i| i > 0 && fingerprint_key(&runs[i].env) != fingerprint_key(&runs[i - 1].env))
        .collect();
    // Local deviations of every metric, then the runs most metrics deviate in together.
    let local: Vec<Local> = raws.par_iter().map(|r| Local::of(r, options)).collect();
    let disturbed = run_wide(&raws, &local, runs.len(), options);
    let mut metrics: Vec<MetricTrend> = raws
        .par_iter()
        .zip(&local)
        .map(|(r, l)| first_pass(r, l, &disturbed, options))
        .collect();
    // Verdicts need the other metrics' cleaned series (the common shift).
    let cleaned: Vec<Vec<(usize, f64)>> = metrics
        .iter()
        .zip(&raws)
        .map(|(m, r)| clean_series(m, r))
        .collect();
    // Each metric's change points as (run, cost change), for lining them up.
    let others: Vec<Vec<(usize, f64)>> = metrics
        .iter()
        .map(|m| {
            let sign = m.better.cost_sign();
            m.change_points
                .iter()
                .map(|c| (c.run, c.ratio.ln() * sign))
                .collect()
        })
        .collect();
    metrics.par_iter_mut().enumerate().for_each(|(k, m)| {
        judge_points(
            k,
            m,
            &raws[k],
            &cleaned,
            &others,
            &fingerprint_changed,
            options,
        )
    });
    drift(&mut metrics, &raws, &cleaned, options);
    let (pass_rate, common_tests) = pass_rates(&history.tests);
    let (tests, tests_seen) = test_histories(&history.tests, options.min_flaky_runs);
    Trend {
        branch: branch.to_string(),
        runs: trend_runs,
        metrics,
        pass_rate,
        common_tests,
        tests,
        tests_seen,
        options,
    }
}

/// What of a fingerprint tells one environment from another in a history (not the host).
fn fingerprint_key(e: &EnvFingerprint) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        e.os, e.kernel, e.cpu, e.cores, e.toolchains, e.vars
    )
}

fn series<'a>(runs: &'a [MetricRun]) -> Vec<Raw<'a>> {
    let mut by_id: BTreeMap<&'a str, Raw<'a>> = BTreeMap::new();
    let mut cpu_everywhere: HashMap<&'a str, bool> = HashMap::new();
    let mut code: HashMap<&'a str, Vec<Option<(f64, f64)>>> = HashMap::new();
    let mut scratch = Scratch::default();
    for (i, s) in runs.iter().enumerate() {
        for m in &s.metrics {
            let st = RunStats::of(m, &mut scratch);
            let Some(value) = st.median_value().filter(|v| *v > 0.0 && v.is_finite()) else {
                continue;
            };
            let raw = by_id.entry(&m.id).or_insert_with(|| Raw {
                id: &m.id,
                unit: &m.unit,
                better: m.better,
                points: Vec::new(),
                med: Vec::new(),
                code: None,
                code_stat: None,
            });
            if raw.points.last().is_some_and(|p| p.run == i) {
                // The same id twice in one run: the first one counts.
                continue;
            }
            raw.points.push(Point {
                run: i,
                value,
                samples: st.samples(),
            });
            raw.med.push(value.ln());
            let sign = m.better.cost_sign();
            let cpu = st.value(Stat::Cpu).filter(|_| !st.cpu_raw().is_empty());
            let min = st.value(Stat::Min).filter(|_| st.samples() > 1);
            *cpu_everywhere.entry(&m.id).or_insert(true) &= cpu.is_some();
            code.entry(&m.id).or_default().push(Some((
                cpu.unwrap_or(f64::NAN) * sign,
                min.unwrap_or(f64::NAN) * sign,
            )));
        }
    }
    for (id, raw) in by_id.iter_mut() {
        let c = &code[id];
        let use_cpu = cpu_everywhere[id];
        let vals: Vec<f64> = c
            .iter()
            .map(|v| v.map_or(f64::NAN, |(cpu, min)| if use_cpu { cpu } else { min }))
            .collect();
        if vals.iter().all(|v| v.is_finite()) {
            raw.code = Some(vals);
            raw.code_stat = Some(if use_cpu { "CPU time" } else { "min" });
            if !use_cpu && raw.better == Better::Higher {
                raw.code_stat = Some("max");
            }
        }
    }
    by_id.into_values().collect()
}

/// Each point's deviation from its neighbours' level, and the series' robust scale of them.
struct Local {
    /// ln(value) against the levels on both sides ([`side_devs`]), per point.
    dev: Vec<f64>,
    /// The same for the code statistic.
    code_dev: Option<Vec<f64>>,
    /// 1.4826·MAD of the deviations from the neighbours on both sides together.
    scale: f64,
}

/// Each point's deviation from the median of its [`LOCAL`] neighbours on both sides.
fn local_devs(y: &[f64]) -> Vec<f64> {
    let n = y.len();
    let mut buf = Vec::with_capacity(2 * LOCAL);
    (0..n)
        .map(|i| {
            buf.clear();
            buf.extend(y[i.saturating_sub(LOCAL)..i].iter());
            buf.extend(y[(i + 1).min(n)..(i + 1 + LOCAL).min(n)].iter());
            if buf.is_empty() {
                0.0
            } else {
                y[i] - median(&mut buf)
            }
        })
        .collect()
}

/// Each point's deviation from the level on each side apart (the median of its [`LOCAL`]
/// neighbours before, and after): the smaller of the two when both go the same way, else
/// 0. A run standing out of both sides is disturbed; the first run of a new level stands
/// out of one side only.
fn side_devs(y: &[f64]) -> Vec<f64> {
    let n = y.len();
    (0..n)
        .map(|i| {
            if i == 0 || i + 1 == n {
                return 0.0;
            }
            let l = y[i] - median(&mut y[i.saturating_sub(LOCAL)..i].to_vec());
            let r = y[i] - median(&mut y[i + 1..(i + 1 + LOCAL).min(n)].to_vec());
            if l.signum() == r.signum() {
                l.signum() * l.abs().min(r.abs())
            } else {
                0.0
            }
        })
        .collect()
}

impl Local {
    fn of(r: &Raw<'_>, _options: TrendOptions) -> Local {
        let dev = side_devs(&r.med);
        let code_dev = r.code.as_ref().map(|c| side_devs(c));
        // The scale of ordinary run-to-run deviations, against both sides at once.
        let sym = local_devs(&r.med);
        let mut v = sym.clone();
        let c = median(&mut v);
        let mut a: Vec<f64> = sym.iter().map(|d| (d - c).abs()).collect();
        let scale = 1.4826 * median(&mut a);
        Local {
            dev,
            code_dev,
            scale,
        }
    }
}

/// True when the deviation at `i` (against both sides) is beyond `fence`.
fn stands_out(dev: &[f64], i: usize, fence: f64) -> bool {
    dev[i].abs() > fence
}

/// Per run: `Some((moved, of, common ratio))` when the whole run was disturbed, such as by
/// a noisy neighbour: most of its metrics stood out of the levels on both sides the same way
/// beyond the threshold, and the median of their deviations stands out of the other runs'
/// (beyond [`RUN_WIDE_K`] robust scales of them). Tenants move every run a little; a
/// disturbance of one run moves it far more than they do.
fn run_wide(
    raws: &[Raw<'_>],
    local: &[Local],
    runs: usize,
    options: TrendOptions,
) -> Vec<Option<(usize, usize, f64)>> {
    let thr = (1.0 + options.threshold).ln();
    let mut devs: Vec<Vec<f64>> = vec![Vec::new(); runs];
    for (r, l) in raws.iter().zip(local) {
        let n = r.points.len();
        for (i, p) in r.points.iter().enumerate() {
            if i > 0 && i + 1 < n {
                devs[p.run].push(l.dev[i] * r.better.cost_sign());
            }
        }
    }
    let common: Vec<Option<f64>> = devs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.len() >= 3 && i > 0 && i + 1 < runs).then(|| median(&mut d.clone())))
        .collect();
    let mut cs: Vec<f64> = common.iter().flatten().copied().collect();
    if cs.len() < 3 {
        return vec![None; runs];
    }
    let c0 = median(&mut cs);
    let mut a: Vec<f64> = cs.iter().map(|c| (c - c0).abs()).collect();
    let fence = (RUN_WIDE_K * 1.4826 * median(&mut a)).max(thr);
    (0..runs)
        .map(|i| {
            let c = common[i]?;
            let of = devs[i].len();
            let moved = devs[i]
                .iter()
                .filter(|d| d.signum() == c.signum() && d.abs() > thr)
                .count();
            ((c - c0).abs() > fence && c.abs() > thr && moved as f64 >= MOST * of as f64)
                .then(|| (moved, of, c.exp()))
        })
        .collect()
}

/// The runs of a series set apart before change points are looked for.
fn outliers(
    r: &Raw<'_>,
    l: &Local,
    disturbed: &[Option<(usize, usize, f64)>],
    options: TrendOptions,
) -> Vec<Outlier> {
    let thr = (1.0 + options.threshold).ln();
    let n = r.points.len();
    let fence = (OUTLIER_K * l.scale).max(thr);
    let mut found = Vec::new();
    for i in 1..n.saturating_sub(1) {
        let d = l.dev[i];
        let run = r.points[i].run;
        let ratio = d.exp();
        if let Some((moved, of, common)) = disturbed[run]
            && d.abs() > thr
            && d.signum() == (common.ln() * r.better.cost_sign()).signum()
        {
            found.push(Outlier {
                run,
                ratio,
                environmental: true,
                reason: format!(
                    "run-wide: moved {} against the runs on both sides, and {moved} of the run's {of} metrics moved the same way beyond the threshold (their median {}), far more than other runs moved together",
                    fmt_ratio(ratio),
                    fmt_ratio(common.powf(r.better.cost_sign()))
                ),
            });
            continue;
        }
        if !stands_out(&l.dev, i, fence) {
            continue;
        }
        let code = l.code_dev.as_ref().map(|c| c[i]);
        found.push(match (code, r.code_stat) {
            (Some(c), Some(name)) if c.abs() < thr => Outlier {
                run,
                ratio,
                environmental: true,
                reason: format!(
                    "contention: the median moved {} against the runs around it, the {name} {} (within the {:.0}% threshold)",
                    fmt_ratio(ratio),
                    fmt_ratio(c.exp()),
                    100.0 * options.threshold
                ),
            },
            _ => Outlier {
                run,
                ratio,
                environmental: false,
                reason: format!(
                    "isolated run: moved {} against the runs around it (more than {:.0} times the series' usual deviation), the runs before and after did not{}",
                    fmt_ratio(ratio),
                    OUTLIER_K,
                    match (code, r.code_stat) {
                        (Some(c), Some(name)) => format!("; the {name} moved {}", fmt_ratio(c.exp())),
                        _ => String::new(),
                    }
                ),
            },
        });
    }
    found
}

/// Change points of one series (index of the first point of the new level, and p): those
/// E-divisive finds at `p_needed`, less those whose segments hold fewer than
/// [`MIN_SEGMENT`] points or whose segment medians differ by less than the threshold,
/// dropped weakest first and the rest re-measured.
fn detect(y: &[f64], p_needed: f64, options: TrendOptions) -> Vec<(usize, f64)> {
    let thr = (1.0 + options.threshold).ln();
    let params = Params {
        window_len: options.window,
        max_pvalue: p_needed,
        min_magnitude: 0.0,
    };
    let mut cps: Vec<(usize, f64)> = edivisive::change_points(y, params)
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.index, c.p))
        .collect();
    loop {
        let weak = (0..cps.len())
            .filter(|&k| {
                let (s, c, e) = bounds(&cps, k, y.len());
                c - s < MIN_SEGMENT
                    || e - c < MIN_SEGMENT
                    || (median(&mut y[c..e].to_vec()) - median(&mut y[s..c].to_vec())).abs() < thr
            })
            .max_by(|&a, &b| cps[a].1.total_cmp(&cps[b].1));
        match weak {
            Some(k) => {
                cps.remove(k);
            }
            None => return cps,
        }
    }
}

/// (start, point, end) of the segments around change point `k` of `cps`.
fn bounds<T>(cps: &[(usize, T)], k: usize, n: usize) -> (usize, usize, usize) {
    let s = if k == 0 { 0 } else { cps[k - 1].0 };
    let e = cps.get(k + 1).map_or(n, |c| c.0);
    (s, cps[k].0, e)
}

fn first_pass(
    r: &Raw<'_>,
    l: &Local,
    disturbed: &[Option<(usize, usize, f64)>],
    options: TrendOptions,
) -> MetricTrend {
    let n = r.points.len();
    let outliers = outliers(r, l, disturbed, options);
    let kept: Vec<usize> = (0..n)
        .filter(|i| !outliers.iter().any(|o| o.run == r.points[*i].run))
        .collect();
    let y: Vec<f64> = kept.iter().map(|&i| r.med[i]).collect();
    let yc: Option<Vec<f64>> = r
        .code
        .as_ref()
        .map(|c| kept.iter().map(|&i| c[i]).collect());
    // Both the median and the code statistic are searched: a change of the code shows in
    // the code statistic with less of the tenants' noise, and one the median alone shows is
    // reported too, as inconclusive. Bonferroni over the window's positions and the series.
    let searched = 1 + usize::from(yc.is_some());
    let p_needed = options.max_pvalue / (options.window.min(y.len()).max(1) * searched) as f64;
    let mut cand: Vec<(usize, (f64, &'static str))> = detect(&y, p_needed, options)
        .into_iter()
        .map(|(i, p)| (i, (p, "median")))
        .collect();
    if let (Some(yc), Some(name)) = (&yc, r.code_stat) {
        cand.extend(
            detect(yc, p_needed, options)
                .into_iter()
                .map(|(i, p)| (i, (p, name))),
        );
    }
    cand.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.0.total_cmp(&b.1.0)));
    // The same step seen by both, a run apart or at the same run: the stronger one stays;
    // then no segment may be shorter than MIN_SEGMENT.
    let mut cps: Vec<(usize, (f64, &'static str))> = Vec::new();
    for c in cand {
        match cps.last_mut() {
            Some(last) if c.0 - last.0 <= 1 => {
                if c.1.0 < last.1.0 {
                    *last = c;
                }
            }
            _ => cps.push(c),
        }
    }
    loop {
        let weak = (0..cps.len())
            .filter(|&k| {
                let (s, c, e) = bounds(&cps, k, y.len());
                c - s < MIN_SEGMENT || e - c < MIN_SEGMENT
            })
            .max_by(|&a, &b| cps[a].1.0.total_cmp(&cps[b].1.0));
        match weak {
            Some(k) => {
                cps.remove(k);
            }
            None => break,
        }
    }
    let mut change_points = Vec::new();
    let mut segments = Vec::new();
    for k in 0..cps.len() {
        let (start, c, e) = bounds(&cps, k, y.len());
        let (p, found_on) = cps[k].1;
        let before = &y[start..c];
        let after = &y[c..e];
        let (lb, la) = (median(&mut before.to_vec()), median(&mut after.to_vec()));
        // The intervals keep the isolated runs that are not shown environmental: they were
        // set apart to locate the step, but they are data, and a step they contradict is
        // not established.
        let to = |k: usize| if k == y.len() { n } else { kept[k] };
        let all = |series: &[f64], from: usize, to: usize| -> Vec<f64> {
            (from..to)
                .filter(|&i| {
                    !outliers
                        .iter()
                        .any(|o| o.environmental && o.run == r.points[i].run)
                })
                .map(|i| series[i])
                .collect()
        };
        let interval = |series: &[f64], sign: f64| {
            let (b, a) = (
                all(series, kept[start], kept[c]),
                all(series, kept[c], to(e)),
            );
            Sample::new(&b)
                .and_then(|b| Sample::new(&a).map(|a| (b, a)))
                .and_then(|(b, a)| hodges_lehmann(&b, &a, 0.95))
                .map(|h| {
                    let i = h.best_interval();
                    let (x, y) = ((i.lower * sign).exp(), (i.upper * sign).exp());
                    (x.min(y), x.max(y))
                })
                .unwrap_or((f64::NAN, f64::NAN))
        };
        let ci = interval(&r.med, 1.0);
        let code_ci = r
            .code
            .as_ref()
            .map(|code| interval(code, r.better.cost_sign()));
        // The code series is in cost space; back to the unit's direction.
        let code_ratio = yc.as_ref().map(|yc| {
            ((median(&mut yc[c..e].to_vec()) - median(&mut yc[start..c].to_vec()))
                * r.better.cost_sign())
            .exp()
        });
        change_points.push(TrendChange {
            run: r.points[kept[c]].run,
            before: lb.exp(),
            after: la.exp(),
            runs_before: c - start,
            runs_after: e - c,
            ratio: (la - lb).exp(),
            ci,
            code_ci,
            p,
            p_needed,
            found_on,
            code_ratio,
            common: None,
            verdict: Verdict::Inconclusive,
            reason: String::new(),
        });
        segments.push(Segment {
            from: r.points[kept[start]].run,
            to: r.points[kept[c - 1]].run,
            level: lb.exp(),
        });
    }
    if !y.is_empty() {
        let start = cps.last().map_or(0, |c| c.0);
        segments.push(Segment {
            from: r.points[kept[start]].run,
            to: r.points[*kept.last().unwrap_or(&0)].run,
            level: median(&mut y[start..].to_vec()).exp(),
        });
    }
    MetricTrend {
        id: r.id.to_string(),
        unit: r.unit.to_string(),
        better: r.better,
        code_stat: r.code_stat,
        points: r.points.clone(),
        change_points,
        outliers,
        segments,
        drift: None,
    }
}

/// (run, cost) of the points that are not outliers: ln value, negated for a throughput, so
/// that one environment moves every metric's cost the same way.
fn clean_series(m: &MetricTrend, r: &Raw<'_>) -> Vec<(usize, f64)> {
    let sign = r.better.cost_sign();
    r.points
        .iter()
        .zip(&r.med)
        .filter(|(p, _)| !m.outliers.iter().any(|o| o.run == p.run))
        .map(|(p, y)| (p.run, *y * sign))
        .collect()
}

/// The change of a cleaned series across `run`, over at most `before` and `after` points.
fn shift_at(s: &[(usize, f64)], run: usize, before: usize, after: usize) -> Option<f64> {
    let cut = s.partition_point(|(r, _)| *r < run);
    if cut == 0 || cut == s.len() {
        return None;
    }
    let mut b: Vec<f64> = s[cut.saturating_sub(before)..cut]
        .iter()
        .map(|x| x.1)
        .collect();
    let mut a: Vec<f64> = s[cut..(cut + after).min(s.len())]
        .iter()
        .map(|x| x.1)
        .collect();
    Some(median(&mut a) - median(&mut b))
}

fn judge_points(
    k: usize,
    m: &mut MetricTrend,
    raw: &Raw<'_>,
    cleaned: &[Vec<(usize, f64)>],
    others: &[Vec<(usize, f64)>],
    fingerprint_changed: &[bool],
    options: TrendOptions,
) {
    let thr = (1.0 + options.threshold).ln();
    let sign = raw.better.cost_sign();
    let pct = 100.0 * options.threshold;
    for c in &mut m.change_points {
        // Cost-space changes: positive is worse.
        let d = c.ratio.ln() * sign;
        // The others that have points on both sides of this run, and those of them that
        // stepped here too (a change point within a run), the same way.
        let of = cleaned
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != k)
            .filter(|(_, s)| shift_at(s, c.run, 1, 1).is_some())
            .count();
        let lined: Vec<f64> = others
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != k)
            .filter_map(|(_, cps)| {
                cps.iter()
                    .filter(|(run, _)| run.abs_diff(c.run) <= 1)
                    .map(|x| x.1)
                    .min_by(|a, b| b.abs().total_cmp(&a.abs()))
            })
            .collect();
        let (up, down): (Vec<f64>, Vec<f64>) = lined.iter().partition(|x| **x > 0.0);
        let mut along = if up.len() >= down.len() { up } else { down };
        let theta = if of >= 2 && !along.is_empty() {
            let t = median(&mut along);
            c.common = Some(((t * sign).exp(), along.len(), of));
            Some((
                t,
                along.len() >= 2 && along.len() as f64 >= MOST * of as f64,
            ))
        } else {
            None
        };
        let (t, common_moved) = theta.unwrap_or((0.0, false));
        let n_along = c.common.map_or(0, |x| x.1);
        let dev = d - if common_moved { t } else { 0.0 };
        let code_cost = c.code_ratio.map(|r| r.ln() * sign);
        let code_within = code_cost.is_some_and(|x| x.abs() < thr);
        let fp = fingerprint_changed.get(c.run).copied().unwrap_or(false);
        let common_text = |t: f64| {
            format!(
                "{n_along} of the {of} other metrics stepped at this run too (their median {})",
                fmt_ratio((t * sign).exp())
            )
        };
        let code_text = |name: &str, r: f64| format!("the {name} moved {}", fmt_ratio(r));
        // A step the isolated runs contradict is not established.
        let on = if c.found_on == "median" {
            c.ci
        } else {
            c.code_ci.unwrap_or(c.ci)
        };
        let established = on.0 > 1.0 || on.1 < 1.0;
        if common_moved && (d - t).abs() < thr {
            c.verdict = Verdict::Environmental;
            c.reason = format!(
                "common shift: {}, and this one moved with them (deviation {} within the {pct:.0}% threshold)",
                common_text(t),
                fmt_ratio(((d - t) * sign).exp())
            );
        } else if fp && (code_within || dev.abs() < thr) {
            c.verdict = Verdict::Environmental;
            c.reason = match (code_within, c.code_ratio, raw.code_stat) {
                (true, Some(r), Some(name)) => format!(
                    "the fingerprint (OS, kernel, CPU, cores, toolchains or variables) changed at this run, and {} (within the {pct:.0}% threshold)",
                    code_text(name, r)
                ),
                _ => "the fingerprint (OS, kernel, CPU, cores, toolchains or variables) changed at this run, and the metric moved with the others".to_string(),
            };
        } else if dev.abs() >= thr {
            let worse = dev > 0.0;
            // The code statistic must have moved the same way beyond the threshold, and its
            // interval (isolated runs kept) must exclude no change on that side.
            let code_agrees = match code_cost {
                None => true,
                Some(x) => {
                    let (lo, hi) = c.code_ci.unwrap_or((f64::NAN, f64::NAN));
                    let excludes = if (x > 0.0) == (sign > 0.0) {
                        lo > 1.0
                    } else {
                        hi < 1.0
                    };
                    x.signum() == dev.signum() && x.abs() >= thr && excludes
                }
            };
            let shift_note = if n_along > 0 {
                format!("; {}", common_text(t))
            } else {
                String::new()
            };
            if !code_agrees {
                c.verdict = Verdict::Inconclusive;
                let (r, name) = (
                    c.code_ratio.unwrap_or(1.0),
                    raw.code_stat.unwrap_or("code statistic"),
                );
                let (lo, hi) = c.code_ci.unwrap_or((f64::NAN, f64::NAN));
                c.reason = format!(
                    "the median stepped {} but {} (95% interval [{}, {}] with the isolated runs kept): contention or the harness's spread may have changed rather than the code; more runs, or an interleaved rerun, would tell{shift_note}",
                    fmt_ratio(c.ratio),
                    code_text(name, r),
                    fmt_ratio(lo),
                    fmt_ratio(hi)
                );
            } else if !established {
                c.verdict = Verdict::Inconclusive;
                c.reason = format!(
                    "the level stepped {}, but with the isolated runs kept the 95% interval of the {} [{}, {}] includes no change: runs of either level sit on both sides{shift_note}",
                    fmt_ratio(c.ratio),
                    c.found_on,
                    fmt_ratio(on.0),
                    fmt_ratio(on.1)
                );
            } else {
                c.verdict = if worse {
                    Verdict::Regression
                } else {
                    Verdict::Improvement
                };
                let code_note = match (c.code_ratio, raw.code_stat) {
                    (Some(r), Some(name)) => format!(", {} too", code_text(name, r)),
                    _ => String::new(),
                };
                c.reason = format!(
                    "the level stepped {} ({} runs before, {} after; p = {} on the {}){code_note}{shift_note}{}",
                    fmt_ratio(c.ratio),
                    c.runs_before,
                    c.runs_after,
                    crate::units::fmt_p(c.p),
                    c.found_on,
                    if fp {
                        "; the fingerprint also changed at this run (possible cause)"
                    } else {
                        ""
                    }
                );
            }
        } else {
            c.verdict = Verdict::Inconclusive;
            let code = match (c.code_ratio, raw.code_stat) {
                (Some(r), Some(name)) => format!("the {name} stepped {}, but ", fmt_ratio(r)),
                _ => String::new(),
            };
            c.reason = if common_moved {
                format!(
                    "{code}the median moved {}, within the {pct:.0}% threshold of the shift of the others ({})",
                    fmt_ratio(c.ratio),
                    common_text(t)
                )
            } else {
                format!(
                    "{code}the median moved {}, within the {pct:.0}% threshold",
                    fmt_ratio(c.ratio)
                )
            };
        }
    }
}

/// Mann–Kendall and Theil–Sen over each metric's runs since its last change point.
fn drift(
    metrics: &mut [MetricTrend],
    raws: &[Raw<'_>],
    cleaned: &[Vec<(usize, f64)>],
    options: TrendOptions,
) {
    let thr = (1.0 + options.threshold).ln();
    let mut found: Vec<(usize, Drift)> = Vec::new();
    for (k, m) in metrics.iter().enumerate() {
        let since = m.change_points.last().map_or(0, |c| c.run);
        let s: Vec<f64> = cleaned[k]
            .iter()
            .filter(|(r, _)| *r >= since)
            .map(|x| x.1)
            .collect();
        let s = &s[s.len().saturating_sub(options.drift_window)..];
        if s.len() < MIN_DRIFT_POINTS {
            continue;
        }
        let (Ok(mk), Ok(ts)) = (mann_kendall(s), theil_sen(s, None, 0.95)) else {
            continue;
        };
        let span = (s.len() - 1) as f64;
        // The code statistic over the same runs (already in cost space).
        let first_run = cleaned[k][cleaned[k].len() - s.len()].0;
        let code_cost = raws[k].code.as_ref().and_then(|c| {
            let v: Vec<f64> = raws[k]
                .points
                .iter()
                .zip(c)
                .filter(|(p, _)| p.run >= first_run && !m.outliers.iter().any(|o| o.run == p.run))
                .map(|(_, x)| *x)
                .collect();
            theil_sen(&v, None, 0.95)
                .ok()
                .map(|t| t.slope * (v.len() - 1) as f64)
        });
        // Back from cost to the unit's direction.
        let sign = m.better.cost_sign();
        let (lo, hi) = {
            let (a, b) = ((ts.low * span * sign).exp(), (ts.high * span * sign).exp());
            (a.min(b), a.max(b))
        };
        found.push((
            k,
            Drift {
                points: s.len(),
                p: mk.p(),
                q: f64::NAN,
                tau: mk.tau_a,
                per_run: (ts.slope * sign).exp(),
                over_window: (ts.slope * span * sign).exp(),
                ci: (lo, hi),
                code_over_window: code_cost.map(|c| (c * sign).exp()),
                verdict: if ts.slope * span > 0.0 {
                    Verdict::Regression
                } else {
                    Verdict::Improvement
                },
            },
        ));
    }
    let ps: Vec<f64> = found.iter().map(|(_, d)| d.p).collect();
    let qs = benjamini_hochberg(&ps).unwrap_or_else(|_| vec![1.0; ps.len()]);
    for ((k, mut d), q) in found.into_iter().zip(qs) {
        d.q = q;
        let cost = d.over_window.ln() * metrics[k].better.cost_sign();
        if !(q < options.alpha && cost.abs() > thr) {
            d.verdict = Verdict::Unchanged;
        } else if let Some(code) = d.code_over_window {
            // As for a step: the code statistic must have moved the same way.
            let c = code.ln() * metrics[k].better.cost_sign();
            if !(c.signum() == cost.signum() && c.abs() > thr) {
                d.verdict = Verdict::Inconclusive;
            }
        }
        metrics[k].drift = Some(d);
    }
}

/// The pass rate of each run with tests over the tests every such run holds.
fn pass_rates(m: &TestMatrix) -> (Vec<PassRatePoint>, usize) {
    let with_tests: Vec<(usize, &Column)> = m
        .columns()
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
        .collect();
    if with_tests.is_empty() {
        return (Vec::new(), 0);
    }
    // A test is common when every run with tests holds it.
    let mut held = vec![0usize; m.tests()];
    for (_, c) in &with_tests {
        for (t, _) in &c.entries {
            held[*t as usize] += 1;
        }
    }
    let common: Vec<bool> = held.iter().map(|&n| n == with_tests.len()).collect();
    let points = with_tests
        .iter()
        .map(|&(i, c)| {
            let mut passed = 0;
            let mut executed = 0;
            for (t, code) in &c.entries {
                if !common[*t as usize] {
                    continue;
                }
                let status = code.status();
                if status != Status::Skipped {
                    executed += 1;
                    passed += u64::from(status == Status::Passed);
                }
            }
            PassRatePoint {
                run: i,
                passed,
                executed,
                total: c.total,
            }
        })
        .collect();
    (points, common.iter().filter(|c| **c).count())
}

/// Every test that failed at least once, flakiest first; and how many tests were seen.
fn test_histories(m: &TestMatrix, min_runs: u64) -> (Vec<TestTrend>, usize) {
    // Only tests that failed (or passed on retry) somewhere get a history.
    let mut failed_once = vec![false; m.tests()];
    let mut executed = vec![false; m.tests()];
    for c in m.columns().iter().flatten() {
        for (t, code) in &c.entries {
            if let Some(o) = code.outcome() {
                executed[*t as usize] = true;
                failed_once[*t as usize] |= o.failed || o.mixed;
            }
        }
    }
    let mut by_test: HashMap<u32, Vec<(usize, Outcome)>> = HashMap::new();
    for (i, c) in m.columns().iter().enumerate() {
        let Some(c) = c else { continue };
        for (t, code) in &c.entries {
            if !failed_once[*t as usize] {
                continue;
            }
            if let Some(o) = code.outcome() {
                by_test.entry(*t).or_default().push((i, o));
            }
        }
    }
    // Tests that ran (not only skipped) in some run.
    let seen = executed.iter().filter(|e| **e).count();
    let mut tests: Vec<TestTrend> = by_test
        .into_iter()
        .map(|(t, v)| {
            let history = FailureHistory::of(v.iter().map(|x| x.1));
            let kind = history.kind(min_runs);
            let since = match kind {
                TestKind::Broke => history.failing_since,
                TestKind::Fixed => history.passing_since,
                _ => None,
            }
            .map(|i| v[i].0);
            TestTrend {
                id: m.id(t).to_string(),
                history,
                kind,
                since,
            }
        })
        .collect();
    let rank = |k: TestKind| match k {
        TestKind::Flaky => 0,
        TestKind::Broke => 1,
        TestKind::TooFewRuns => 2,
        TestKind::Failing => 3,
        TestKind::Fixed => 4,
        TestKind::Stable => 5,
    };
    tests.sort_by(|a, b| {
        rank(a.kind)
            .cmp(&rank(b.kind))
            .then(b.history.flip_rate().total_cmp(&a.history.flip_rate()))
            .then(b.history.rate().total_cmp(&a.history.rate()))
            .then(a.id.cmp(&b.id))
    });
    (tests, seen)
}

/// The median of `v` (reordered); NaN when empty.
fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// A ratio as a signed percentage: `+31.2%`, `-4.0%`, or `×3.10` beyond +200%.
pub fn fmt_ratio(r: f64) -> String {
    if !r.is_finite() {
        return "n/a".into();
    }
    if r >= 3.0 {
        return format!("×{r:.2}");
    }
    format!("{:+.1}%", 100.0 * (r - 1.0))
}
