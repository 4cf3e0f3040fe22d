//! Per-metric comparison: what each run tells, the noise model, and each statistic's change
//! relative to its group's common shift. This module computes; `classify` decides.
//!
//! **What a run tells** (DESIGN.md "Unit of replication, and what one run still tells").
//! Samples inside one process are not independent runs, but they carry more than their
//! median: the *lower envelope* (minimum, 25th percentile) moves with the code and far less
//! with a noisy neighbour (contention only ever adds time), and *CPU time* beside wall time
//! barely moves under a same-core hog. So every run of a metric is reduced to [`RunStats`]:
//! median, minimum, 25th percentile and CPU time where the harness gives it, each with its
//! within-run standard error. The median says what the environment does; the **code
//! statistics** (CPU time when given per sample, else the envelope, plus a mean CPU time when
//! given) say what the code does.
//!
//! All statistics live in *cost* space: ln(value) for lower-is-better metrics and −ln(value)
//! for higher-is-better ones, so that a positive change is always worse and the envelope is
//! always the lower one (a throughput's upper envelope).
//!
//! **Noise models**, best first (STATISTICS.md §1.6, §4):
//!
//! | data | change | own noise | rank test (veto) |
//! |---|---|---|---|
//! | ≥ 2 runs on both sides | Hodges–Lehmann shift of the per-run statistics | Welch standard error across runs | Mann–Whitney U across runs |
//! | 1 head run, ≥ 5 stored runs of the base branch, or a base of ≥ 5 runs | head − median of the last W of those runs and the base's | 1.4826·MAD of the window's residuals after removing each run's common shift | Mann–Whitney U across the two runs' samples |
//! | 1 run on a side, ≥ 5 metrics in the group | head − base (a side of several runs at its runs' median) | the within-run standard errors (a floor) | Mann–Whitney U across the two runs' samples |
//! | otherwise | head − base | none: inconclusive | — |
//!
//! **Group model.** Metrics are grouped by kind and unit. Per statistic, the common shift θ
//! is the leave-one-out median of the other metrics' changes (the control metrics' median
//! when there are controls), and the group's spread τ is the robust heterogeneity of their
//! deviations beyond their own noise ([`heterogeneity`]: median and MAD, leave-one-out, never
//! mean and SD). A metric's deviation d = change − θ is judged against
//! noise = √(τ² + own²) with Student's t (Satterthwaite degrees of freedom; a MAD from n
//! values carries ≈ 0.37·n). Fewer than 5 metrics in a group give no spread model. The
//! metric's p-value is the intersection–union p of its code statistics (the largest), each
//! also vetoed by its rank test; Benjamini–Hochberg adjusts them across the group.

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use hashbrown::HashMap;
use rayon::prelude::*;
use serde::Serialize;

use crate::align::Run;
use crate::compare::cases::TestComparison;
use crate::config::{MIN_HISTORY_RUNS, MetricsConfig};
use crate::model::{Better, Change, Metric};
use crate::stats::robust::{
    Heterogeneity, Locations, MAD_DF_PER_VALUE, heterogeneity, mad_scaled_about,
    median_interval_sorted, median_se_sorted, median_select, rank_shift_test, satterthwaite,
};
use crate::stats::{
    Alternative, MwuMethod, benjamini_hochberg, hodges_lehmann, mwu_min_attainable_p, t_quantile,
    t_sf,
};

mod group;
mod history;
mod run;

use group::{group_pass, group_shift, rank_pass};
pub use history::{HistoryRun, HistoryRunRows, MetricHistory};
use history::{HistoryShift, history_pass};
pub use run::{RunStats, Scratch, globs, inputs};

/// Fewest metrics in a group that give a spread model.
pub const MIN_SPREAD_METRICS: usize = 5;
/// Fewest metrics in a group whose median is taken as their common shift.
pub(super) const MIN_SHIFT_METRICS: usize = 3;

/// Up to this many metrics, the shift and spread are computed leave-one-out for each metric;
/// above it one metric moves them by less than 1/200 of a spread, and the group's own are used.
pub(super) const LOO_MAX: usize = 200;

/// A location statistic of a metric's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    /// The median: what users see, and what the environment moves.
    Median,
    /// The minimum (a throughput's maximum): the lower envelope.
    Min,
    /// The 25th percentile (a throughput's 75th).
    Q25,
    /// CPU time (median of per-sample CPU times, or the harness's mean).
    Cpu,
}

impl Stat {
    /// Every statistic, in report order.
    pub const ALL: [Stat; 4] = [Stat::Median, Stat::Min, Stat::Q25, Stat::Cpu];

    fn index(self) -> usize {
        self as usize
    }

    /// The statistic's name for a metric of direction `better`.
    pub fn name(self, better: Better) -> &'static str {
        match (self, better) {
            (Stat::Median, _) => "median",
            (Stat::Min, Better::Lower) => "min",
            (Stat::Min, Better::Higher) => "max",
            (Stat::Q25, Better::Lower) => "q25",
            (Stat::Q25, Better::Higher) => "q75",
            (Stat::Cpu, _) => "CPU time",
        }
    }
}

/// One side's view of a metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricSide {
    /// Runs in which the metric was measured.
    pub runs: usize,
    /// Samples over those runs.
    pub samples: u64,
    /// Median of the runs' medians (the run location), in the metric's unit; for a base
    /// taken from history, the median of the window.
    pub median: Option<f64>,
    /// This side's unit, when it is not the metric's (the values are then not compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A metric to compare, with each side's runs.
#[derive(Debug, Clone)]
pub struct MetricInput<'a> {
    /// Metric id.
    pub id: String,
    /// Unit (the same on both sides, else `problem` says why).
    pub unit: String,
    /// Direction.
    pub better: Better,
    /// Tags.
    pub tags: Vec<String>,
    /// Group for the common shift (unit and kind).
    pub group: String,
    /// Base runs.
    pub base: Vec<RunStats<'a>>,
    /// Head runs.
    pub head: Vec<RunStats<'a>>,
    /// Samples on base over all runs.
    pub base_samples: u64,
    /// Samples on head over all runs.
    pub head_samples: u64,
    /// Every sample on each side is the same value (and there are at least two per side).
    pub deterministic: bool,
    /// Practical threshold, relative (0.05 = 5%).
    pub threshold: f64,
    /// A reason the metric cannot be compared (units differ, …).
    pub problem: Option<String>,
    /// The head's unit, when it differs from `unit` (the base's).
    pub head_unit: Option<String>,
}

/// How the noise of a metric was modelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum NoiseModel {
    /// Independent runs on both sides: the run is the unit.
    Runs,
    /// The metric's stored history: its base level is the median of a window of stored runs
    /// and its noise their run-to-run spread after each run's common shift.
    History {
        /// Stored runs in the window that hold the metric.
        runs: usize,
        /// Branch of the stored runs, when they name one.
        branch: Option<String>,
        /// Commits of the window's first and last runs, when known.
        commits: Option<[String; 2]>,
        /// Run-to-run noise of the median (σ of ln, after removing each run's common shift).
        sigma: f64,
    },
    /// The spread of the other metrics of the group around their common shift (one run a
    /// side, no history).
    Spread {
        /// Other metrics the spread comes from.
        metrics: usize,
    },
    /// Nothing to judge the noise by.
    None,
}

/// What a statistic counts for in a metric's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Says what the code does: a call needs it significant and beyond both the threshold
    /// and the group's spread; environmental needs it shown within the threshold. CPU time
    /// when the harness gives it per sample, else the lower envelope (minimum and 25th
    /// percentile), plus a mean CPU time where the harness gives one.
    Code,
    /// Must point the same way, beyond the threshold, for a call: the median.
    Agree,
    /// Shown only: the wall-time envelope beside per-sample CPU time (wall time is what a
    /// hog on the core moves).
    Info,
}

/// One statistic of one metric: its change, the group's shift and spread, and its test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatFacts {
    /// Which statistic.
    pub stat: Stat,
    /// What it counts for in the verdict.
    pub role: Role,
    /// Base location (cost-space log; the window's median for a history base).
    pub base: f64,
    /// Head location (cost-space log).
    pub head: f64,
    /// head − base: the raw change (cost space; positive is worse).
    pub change: f64,
    /// The group's common shift of this statistic (leave-one-out), when the group has one.
    pub shift: Option<f64>,
    /// change − shift (the change itself when there is no shift).
    pub deviation: f64,
    /// The group's spread τ beyond its members' own noise, when the group gives one.
    pub spread: Option<f64>,
    /// The metric's own noise: across runs, from history, or the within-run floor.
    pub own_se: Option<f64>,
    /// √(τ² + own²): the noise the deviation is judged against; `None` without a model.
    pub noise: Option<f64>,
    /// Degrees of freedom of `noise`.
    pub df: Option<f64>,
    /// Two-sided p of the deviation against the noise.
    pub p: Option<f64>,
    /// The rank test of the two sides' samples (runs with several runs a side) after
    /// removing the shift; 1 when it points the other way; `None` when it was not needed or
    /// could not tell (one sample a side, summaries).
    pub rank_p: Option<f64>,
}

/// The facts of one metric comparison.
#[derive(Debug, Clone, Serialize)]
pub struct MetricFacts<'a> {
    /// The input.
    #[serde(skip)]
    pub input: MetricInput<'a>,
    /// Base side.
    pub base: MetricSide,
    /// Head side.
    pub head: MetricSide,
    /// Every statistic both sides have, median first.
    pub stats: Vec<StatFacts>,
    /// ln(head/base) of the medians, in the metric's own terms.
    pub log_ratio: Option<f64>,
    /// 95% interval of `log_ratio` from the median's noise.
    pub ci: Option<[f64; 2]>,
    /// Confidence level the interval achieves.
    pub ci_level: Option<f64>,
    /// The intersection–union p: the largest p of the code statistics (with their rank tests).
    pub p: Option<f64>,
    /// Benjamini–Hochberg adjusted `p` across the metrics of the group.
    pub q: Option<f64>,
    /// How the noise was modelled, in words.
    pub method: std::sync::Arc<str>,
    /// Noise model.
    pub noise: NoiseModel,
    /// Runs per side a rank test would need to reach significance among this many metrics.
    pub runs_needed: usize,
    /// When the history's run-to-run noise is larger than the configured threshold, the
    /// threshold is raised to it: (configured threshold, history runs the noise comes from).
    pub threshold_raised: Option<(f64, usize)>,
}

impl MetricFacts<'_> {
    /// What the classification reads of these facts.
    pub fn view(&self) -> MetricView<'_> {
        MetricView {
            better: self.input.better,
            unit: &self.input.unit,
            threshold: self.input.threshold,
            problem: self.input.problem.as_deref(),
            deterministic: self.input.deterministic,
            base: &self.base,
            head: &self.head,
            stats: &self.stats,
            log_ratio: self.log_ratio,
            q: self.q,
            method: &self.method,
            noise: &self.noise,
            runs_needed: self.runs_needed,
        }
    }

    /// The practical threshold on the log scale.
    pub fn log_threshold(&self) -> f64 {
        self.view().log_threshold()
    }

    /// The facts of one statistic, if both sides have it.
    pub fn stat(&self, s: Stat) -> Option<&StatFacts> {
        self.view().stat(s)
    }

    /// The code statistics (the ones a call needs significant).
    pub fn code_stats(&self) -> impl Iterator<Item = &StatFacts> {
        self.view().code_stats()
    }
}

/// What a metric's verdict and evidence are made from, borrowed from where the facts are
/// kept: the comparison's [`MetricFacts`], or the report item built from them (which renders
/// its evidence from these when it is written, not when it is judged).
#[derive(Debug, Clone, Copy)]
pub struct MetricView<'a> {
    /// Direction.
    pub better: Better,
    /// Unit of the medians.
    pub unit: &'a str,
    /// Practical threshold, relative (0.05 = 5%).
    pub threshold: f64,
    /// A reason the metric cannot be compared.
    pub problem: Option<&'a str>,
    /// Every sample on each side is the same value.
    pub deterministic: bool,
    /// Base side.
    pub base: &'a MetricSide,
    /// Head side.
    pub head: &'a MetricSide,
    /// Every statistic both sides have, median first.
    pub stats: &'a [StatFacts],
    /// ln(head/base) of the medians, in the metric's own terms.
    pub log_ratio: Option<f64>,
    /// Benjamini–Hochberg adjusted p.
    pub q: Option<f64>,
    /// How the noise was modelled, in words.
    pub method: &'a str,
    /// Noise model.
    pub noise: &'a NoiseModel,
    /// Runs per side a rank test would need to reach significance.
    pub runs_needed: usize,
}

impl<'a> MetricView<'a> {
    /// The practical threshold on the log scale.
    pub fn log_threshold(&self) -> f64 {
        (1.0 + self.threshold).ln()
    }

    /// The facts of one statistic, if both sides have it.
    pub fn stat(&self, s: Stat) -> Option<&'a StatFacts> {
        self.stats.iter().find(|f| f.stat == s)
    }

    /// The code statistics (the ones a call needs significant).
    pub fn code_stats(&self) -> impl Iterator<Item = &'a StatFacts> + use<'a> {
        self.stats.iter().filter(|f| f.role == Role::Code)
    }

    /// The statistics a call needs to agree: the code statistics and the median.
    pub fn agreeing_stats(&self) -> impl Iterator<Item = &'a StatFacts> + use<'a> {
        self.stats.iter().filter(|f| f.role != Role::Info)
    }

    /// Whether a noise model judged this metric (runs, history, or a group of ≥ 5).
    pub fn has_noise_model(&self) -> bool {
        !matches!(self.noise, NoiseModel::None)
    }
}

/// One statistic's common shift in a group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupStat {
    /// Which statistic.
    pub stat: Stat,
    /// Metrics with this statistic on both sides.
    pub metrics: usize,
    /// The group's median change, as a ratio in the metrics' own terms.
    pub shift_ratio: f64,
    /// The group's spread beyond its members' own noise (relative, e^τ − 1), from ≥ 5 metrics.
    pub spread: Option<f64>,
}

/// The common shift of a group of metrics.
#[derive(Debug, Clone, Serialize)]
pub struct GroupShift {
    /// Group name (unit, kind).
    pub group: String,
    /// Metrics in the group with a ratio.
    pub metrics: usize,
    /// Direction of the group's metrics.
    pub better: Better,
    /// Geometric mean of the metrics' median ratios.
    pub geomean_ratio: Option<f64>,
    /// Its 95% interval (Student's t on the mean log ratio).
    pub geomean_ci: Option<[f64; 2]>,
    /// The common shift of the medians as a ratio (the median of the ratios, or of the
    /// control metrics').
    pub shift_ratio: Option<f64>,
    /// Distribution-free interval of the median of the metrics' median ratios.
    pub shift_ci: Option<[f64; 2]>,
    /// Its achieved confidence level.
    pub shift_ci_level: Option<f64>,
    /// Whether the environment is shown to have moved: the interval lies beyond the
    /// practical threshold (at least 5 metrics), the head run's shift lies beyond the history's
    /// run-to-run shifts, or the control metrics moved.
    pub significant: bool,
    /// Why `significant` is what it is, in words.
    pub evidence: String,
    /// Per statistic: shift and spread.
    pub stats: Vec<GroupStat>,
    /// Control metrics the shift was taken from, if any.
    pub controls: Vec<String>,
    /// The practical threshold used for the group.
    pub threshold: f64,
    /// Code statistics the environment is shown to have moved in this group: their common
    /// shift lies beyond the least-moved code statistic's by more than the threshold (the
    /// distribution-free interval of the metrics' median difference, 5 metrics at least) —
    /// a hog that reaches the 25th percentile but not the minimum. They cannot show the code
    /// unchanged, so the environmental rule leaves them to the others.
    pub moved_by_environment: Vec<Stat>,
    /// Why, in words, per statistic.
    pub moved_evidence: Vec<String>,
}

/// Compares every metric and computes each group's common shift.
pub fn compare<'a>(
    inputs: Vec<MetricInput<'a>>,
    history: &MetricHistory,
    controls: &dyn Fn(&MetricInput<'a>) -> bool,
    alpha: f64,
) -> (Vec<Box<MetricFacts<'a>>>, Vec<GroupShift>) {
    // Boxed, so that each is freed as its report item is built: facts and items held whole
    // at once were 105 MB at 93,000 metrics.
    let mut facts: Vec<Box<MetricFacts<'a>>> = inputs
        .into_par_iter()
        .map(|i| Box::new(basic(i, history)))
        .collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in facts.iter().enumerate() {
        if !f.stats.is_empty() {
            groups.entry(f.input.group.clone()).or_default().push(i);
        }
    }
    let mut shifts = Vec::with_capacity(groups.len());
    for (name, idx) in &groups {
        let is_control: Vec<bool> = idx.iter().map(|&i| controls(&facts[i].input)).collect();
        let history_shift = history_pass(&mut facts, idx, history);
        let stats = group_pass(&mut facts, idx, &is_control, &history_shift);
        rank_pass(&mut facts, idx, alpha);
        finish_group(&mut facts, idx, alpha);
        shifts.push(group_shift(
            name,
            &facts,
            idx,
            &is_control,
            stats,
            history_shift[Stat::Median.index()],
        ));
    }
    (facts, shifts)
}

/// The per-metric part: sides, the noise model, and each statistic's change and own noise
/// (the history model's come later, from the whole group).
fn basic<'a>(input: MetricInput<'a>, history: &MetricHistory) -> MetricFacts<'a> {
    let side = |runs: &[RunStats<'_>], samples: u64| {
        let mut medians: Vec<f64> = runs.iter().filter_map(|r| r.median_value()).collect();
        MetricSide {
            runs: runs.len(),
            samples,
            median: (!medians.is_empty()).then(|| median_select(&mut medians)),
            unit: None,
        }
    };
    let mut f = MetricFacts {
        base: side(&input.base, input.base_samples),
        head: MetricSide {
            unit: input.head_unit.clone(),
            ..side(&input.head, input.head_samples)
        },
        stats: Vec::new(),
        log_ratio: None,
        ci: None,
        ci_level: None,
        p: None,
        q: None,
        method: "".into(),
        noise: NoiseModel::None,
        runs_needed: 0,
        threshold_raised: None,
        input,
    };
    if f.input.problem.is_some() || f.input.base.is_empty() || f.input.head.is_empty() {
        return f;
    }
    let (Some(mb), Some(mh)) = (f.base.median, f.head.median) else {
        return f;
    };
    if mb <= 0.0 || mh <= 0.0 {
        if mb != mh {
            f.input.problem = Some(format!(
                "a median of zero ({mb} → {mh}) has no ratio; compare the values directly"
            ));
        }
        return f;
    }
    f.log_ratio = Some((mh / mb).ln());
    if f.input.deterministic {
        f.ci = f.log_ratio.map(|r| [r, r]);
        f.method = "every sample on each side is the same value: the change is exact".into();
        return f;
    }
    let (nb, nh) = (f.input.base.len(), f.input.head.len());
    let by_runs = nb >= 2 && nh >= 2;
    let by_history =
        !by_runs && nh == 1 && history.points(&f.input.id, Stat::Median) >= MIN_HISTORY_RUNS;
    // Statistics both sides have in every run.
    let have = |runs: &[RunStats<'_>], s: Stat| runs.iter().all(|r| r.value(s).is_some());
    let cpu_per_sample = f
        .input
        .base
        .iter()
        .chain(&f.input.head)
        .all(|r| !r.cpu_raw().is_empty());
    // A run of one sample has one location: its envelope is its median.
    let single = f
        .input
        .base
        .iter()
        .chain(&f.input.head)
        .all(|r| r.samples() <= 1);
    let wanted = Stat::ALL.map(|s| {
        have(&f.input.head, s)
            && (by_history || have(&f.input.base, s))
            && !(single && matches!(s, Stat::Min | Stat::Q25))
            && !(by_history && history.points(&f.input.id, s) < MIN_HISTORY_RUNS)
    });
    // Room for just these: most metrics of a large comparison are single-run test durations
    // with one statistic, and room for three was 42 MB at 93,000 of them.
    f.stats.reserve_exact(wanted.iter().filter(|&&w| w).count());
    for (s, _) in Stat::ALL.into_iter().zip(wanted).filter(|&(_, w)| w) {
        let role = match s {
            Stat::Median => Role::Agree,
            Stat::Cpu => Role::Code,
            Stat::Min | Stat::Q25 if cpu_per_sample => Role::Info,
            Stat::Min | Stat::Q25 => Role::Code,
        };
        let (base, head, change, own_se, df) = if by_runs {
            let vals = |runs: &[RunStats<'_>]| -> Vec<f64> {
                runs.iter().filter_map(|r| r.value(s)).collect()
            };
            runs_change(&vals(&f.input.base), &vals(&f.input.head))
        } else {
            // One run on a side (or a history base, filled in by the group): the within-run
            // standard errors are the floor of the noise. A side of several runs facing one
            // run is its runs' median, not its first run: a base of `main[20]` is a
            // distribution, and its first run may be the one a noisy neighbour slowed.
            let (b, se_b) = side_level(&f.input.base, s);
            let (h, se_h) = side_level(&f.input.head, s);
            let own = match (se_b, se_h) {
                (Some(x), Some(y)) => Some((x * x + y * y).sqrt()),
                _ => None,
            };
            let n = (f.input.base_samples + f.input.head_samples) as f64;
            (
                b,
                h,
                h - b,
                own,
                Some(MAD_DF_PER_VALUE * (n - 2.0).max(1.0)),
            )
        };
        f.stats.push(StatFacts {
            stat: s,
            role,
            base,
            head,
            change,
            shift: None,
            deviation: change,
            spread: None,
            own_se,
            noise: None,
            df,
            p: None,
            rank_p: None,
        });
    }
    // Without a code statistic (a summary without its minimum), the median stands in.
    if !f.stats.iter().any(|s| s.role == Role::Code)
        && let Some(m) = f.stats.iter_mut().find(|s| s.stat == Stat::Median)
    {
        m.role = Role::Code;
    }
    f.noise = if by_runs {
        NoiseModel::Runs
    } else if by_history {
        NoiseModel::History {
            runs: 0,
            branch: history.branch.clone(),
            commits: None,
            sigma: 0.0,
        }
    } else {
        NoiseModel::None
    };
    f
}

/// The change of one statistic with several runs a side: the Hodges–Lehmann shift of the
/// per-run values, with the Welch standard error and degrees of freedom across runs.
fn runs_change(vb: &[f64], vh: &[f64]) -> (f64, f64, f64, Option<f64>, Option<f64>) {
    let mut b = vb.to_vec();
    let mut h = vh.to_vec();
    let (mb, mh) = (median_select(&mut b), median_select(&mut h));
    let change = match (crate::stats::Sample::new(vb), crate::stats::Sample::new(vh)) {
        (Ok(sb), Ok(sh)) => hodges_lehmann(&sb, &sh, 0.95)
            .map(|hl| hl.estimate)
            .unwrap_or(mh - mb),
        _ => mh - mb,
    };
    let var = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    };
    let (nb, nh) = (vb.len() as f64, vh.len() as f64);
    let (wb, wh) = (var(vb) / nb, var(vh) / nh);
    let se = (wb + wh).sqrt();
    let df = satterthwaite(&[(wb, nb - 1.0), (wh, nh - 1.0)]);
    (mb, mh, change, (se > 0.0).then_some(se), df)
}

/// The level of one statistic on a side judged without runs on both sides: its one run's
/// value and within-run standard error, or for several runs the median of their values and
/// of their standard errors (the error only when every run has one). `NaN` when no run has
/// the statistic.
fn side_level(runs: &[RunStats<'_>], s: Stat) -> (f64, Option<f64>) {
    match runs {
        [] => (f64::NAN, None),
        [r] => (r.value(s).unwrap_or(f64::NAN), r.se(s)),
        _ => {
            let mut values: Vec<f64> = runs.iter().filter_map(|r| r.value(s)).collect();
            let level = median_select(&mut values);
            let mut ses: Vec<f64> = runs.iter().filter_map(|r| r.se(s)).collect();
            let se = (ses.len() == runs.len()).then(|| median_select(&mut ses));
            (level, se)
        }
    }
}

/// Per metric: the intersection–union p of the code statistics, the headline interval, the
/// method in words; then Benjamini–Hochberg across the group.
pub(super) fn finish_group(facts: &mut [Box<MetricFacts<'_>>], idx: &[usize], alpha: f64) {
    let needed = runs_needed(alpha / idx.len().max(1) as f64);
    let mut quantile_cache: Option<(f64, f64)> = None;
    // The spread model's words, by metrics in the spread and runs a side.
    let mut spread_method: Option<([usize; 3], std::sync::Arc<str>)> = None;
    for &i in idx {
        let f = &mut facts[i];
        f.runs_needed = needed;
        let iut = f
            .code_stats()
            .map(|s| s.p.map(|p| p.max(s.rank_p.unwrap_or(0.0))))
            .try_fold(0.0f64, |acc, p| p.map(|p| acc.max(p)));
        f.p = iut.filter(|_| f.code_stats().next().is_some());
        let sign = f.input.better.cost_sign();
        if let Some(m) = f.stat(Stat::Median)
            && let (Some(noise), Some(df)) = (m.noise, m.df)
        {
            // Most metrics of a group share its degrees of freedom: one quantile for them all.
            let q = match quantile_cache {
                Some((d, q)) if d == df => q,
                _ => {
                    let q = t_quantile(0.975, df.min(1e6));
                    quantile_cache = Some((df, q));
                    q
                }
            };
            let half = q * noise;
            let (a, b) = (sign * (m.change - half), sign * (m.change + half));
            f.ci = Some([a.min(b), a.max(b)]);
            f.ci_level = Some(0.95);
        }
        // The spread model's words are the same for nearly every metric of the group.
        f.method = match (&f.noise, &spread_method) {
            (NoiseModel::Spread { metrics }, Some((key, text)))
                if *key == [*metrics, f.base.runs, f.head.runs] =>
            {
                text.clone()
            }
            (NoiseModel::Spread { metrics }, _) => {
                let text: std::sync::Arc<str> = describe(f).into();
                spread_method = Some(([*metrics, f.base.runs, f.head.runs], text.clone()));
                text
            }
            _ => describe(f).into(),
        };
    }
    let tested: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| facts[i].p.is_some())
        .collect();
    let ps: Vec<f64> = tested.iter().filter_map(|&i| facts[i].p).collect();
    if let Ok(qs) = benjamini_hochberg(&ps) {
        for (&i, q) in tested.iter().zip(qs) {
            facts[i].q = Some(q);
        }
    }
}

/// The noise model in words, for the evidence.
fn describe(f: &MetricFacts<'_>) -> String {
    let pct = |x: f64| crate::units::fixed(100.0 * (x.exp() - 1.0), 1, false);
    match &f.noise {
        NoiseModel::Runs => format!(
            "{} vs {} runs: the run is the unit (per-run statistics, Welch standard errors and a rank test across runs)",
            f.base.runs, f.head.runs
        ),
        NoiseModel::History {
            runs,
            branch,
            commits,
            sigma,
        } => {
            let of = branch
                .as_deref()
                .map(|b| format!(" of {b}"))
                .unwrap_or_default();
            let range = commits
                .as_ref()
                .map(|[a, b]| format!(" (commit {}..{})", short(a), short(b)))
                .unwrap_or_default();
            format!(
                "base: median of {runs} runs{of}{range}, run-to-run noise {}%",
                pct(*sigma)
            )
        }
        NoiseModel::Spread { metrics } => {
            let sides = if f.base.runs <= 1 && f.head.runs <= 1 {
                "one run a side".to_string()
            } else {
                format!(
                    "{} vs {} runs, each side at the median of its runs",
                    f.base.runs, f.head.runs
                )
            };
            format!(
                "{sides}: judged against the spread of {metrics} other metrics of the group around their common shift (median and MAD, leave-one-out), its own samples as a floor"
            )
        }
        NoiseModel::None => format!(
            "no noise model: {} vs {} run(s), fewer than {MIN_SPREAD_METRICS} metrics of its kind and no stored history",
            f.base.runs, f.head.runs
        ),
    }
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

/// Two-sided Student-t p-value of |z| with `df` degrees of freedom; above 5,000 degrees of
/// freedom the normal's (the two differ by under 2% of p at |z| = 4, far below what a
/// q-value against α can notice, and the incomplete beta is costly there). Every metric of a
/// large group takes this path.
pub(super) fn two_sided_p(z: f64, df: f64) -> f64 {
    let p = if df > 5000.0 {
        // 2·Φ̄(|z|) = erfc(|z|/√2), by statrs' rational approximations (a few multiplies,
        // full double accuracy), where the engine's own Φ̄ sums a series.
        statrs::function::erf::erfc(z.abs() / std::f64::consts::SQRT_2)
    } else {
        2.0 * t_sf(z, df)
    };
    p.min(1.0)
}

/// Runs per side a rank test needs before it can reach `alpha` (two-sided, exact).
pub fn runs_needed(alpha: f64) -> usize {
    (2..=30)
        .find(|&n| {
            mwu_min_attainable_p(n, n, Alternative::TwoSided, MwuMethod::Exact)
                .is_ok_and(|p| p <= alpha)
        })
        .unwrap_or(30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Snapshot;

    fn run_of(samples: &[f64]) -> RunStats<'static> {
        let m = Box::leak(Box::new(Metric::new(
            "m",
            "s",
            Better::Lower,
            samples.to_vec(),
        )));
        RunStats::of(m, &mut Scratch::default())
    }

    /// `n` samples around `level` with a relative spread of about `cv`, deterministic.
    fn samples(level: f64, cv: f64, n: usize, phase: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let u = (((i * 7 + phase * 13) % n) as f64 + 0.5) / n as f64;
                level * (cv * crate::stats::normal_quantile(u)).exp()
            })
            .collect()
    }

    fn input<'a>(id: &str, base: Vec<RunStats<'a>>, head: Vec<RunStats<'a>>) -> MetricInput<'a> {
        MetricInput {
            id: id.into(),
            unit: "s".into(),
            better: Better::Lower,
            tags: vec![],
            group: "time (s)".into(),
            base_samples: base.iter().map(|r| r.samples()).sum(),
            head_samples: head.iter().map(|r| r.samples()).sum(),
            base,
            head,
            deterministic: false,
            threshold: 0.05,
            problem: None,
            head_unit: None,
        }
    }

    fn suite(changes: &[f64]) -> Vec<MetricInput<'static>> {
        changes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // Run-to-run noise of about ±1% between the metrics, within-run CV 1%.
                let drift = 1.0 + 0.01 * ((i % 5) as f64 - 2.0) / 2.0;
                input(
                    &format!("m{i}"),
                    vec![run_of(&samples(1e-3, 0.01, 30, i))],
                    vec![run_of(&samples(1e-3 * c * drift, 0.01, 30, i + 1))],
                )
            })
            .collect()
    }

    #[test]
    fn a_run_keeps_its_envelope_and_cpu_time() {
        let mut m = Metric::new("m", "s", Better::Lower, vec![4.0, 1.0, 2.0, 3.0, 5.0]);
        m.cpu = Some(crate::model::CpuTime {
            samples: vec![1.0, 1.0, 2.0, 1.0, 1.0],
            mean: None,
        });
        let r = RunStats::of(&m, &mut Scratch::default());
        assert_eq!(r.median_value(), Some(3.0));
        assert_eq!(r.value(Stat::Min), Some(0.0));
        assert!((r.value(Stat::Q25).unwrap() - 2f64.ln()).abs() < 1e-12);
        assert_eq!(r.value(Stat::Cpu), Some(0.0));
        // A throughput's envelope is its upper one.
        let t = Metric::new("t", "B/s", Better::Higher, vec![4.0, 1.0, 2.0, 3.0, 5.0]);
        let r = RunStats::of(&t, &mut Scratch::default());
        assert!((r.value(Stat::Min).unwrap() + 5f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn one_run_a_side_is_judged_against_the_group() {
        let mut changes = vec![1.0; 12];
        changes[3] = 1.5;
        let (facts, groups) = compare(suite(&changes), &MetricHistory::default(), &|_| false, 0.05);
        let f = &facts[3];
        assert!(matches!(f.noise, NoiseModel::Spread { metrics: 11 }));
        for s in f.code_stats() {
            assert!((s.deviation - 1.5f64.ln()).abs() < 0.03, "{s:?}");
            assert!(s.spread.unwrap() < 0.02, "{s:?}");
        }
        assert!(f.q.unwrap() < 0.01, "{:?}", f.q);
        assert!(facts[0].q.unwrap() > 0.05);
        assert_eq!(groups.len(), 1);
        assert!(!groups[0].significant, "{}", groups[0].evidence);
    }

    #[test]
    fn a_common_shift_is_found_and_removed() {
        let changes = vec![2.0; 10];
        let (facts, groups) = compare(suite(&changes), &MetricHistory::default(), &|_| false, 0.05);
        assert!(groups[0].significant, "{}", groups[0].evidence);
        assert!((groups[0].shift_ratio.unwrap() - 2.0).abs() < 0.05);
        for f in &facts {
            assert!(
                f.stats.iter().all(|s| s.deviation.abs() < 0.03),
                "{:?}",
                f.stats
            );
        }
    }

    #[test]
    fn a_hog_that_reaches_the_quartile_but_not_the_minimum_is_found() {
        // Twelve metrics whose head run is contended in its upper three quarters (×2), the
        // lowest quarter of samples untouched.
        let inputs: Vec<MetricInput<'static>> = (0..12)
            .map(|i| {
                let base = samples(1e-3, 0.01, 40, i);
                let mut head = samples(1e-3, 0.01, 40, i + 1);
                head.sort_by(f64::total_cmp);
                for x in head.iter_mut().skip(6) {
                    *x *= 2.0;
                }
                input(&format!("m{i}"), vec![run_of(&base)], vec![run_of(&head)])
            })
            .collect();
        let (_, groups) = compare(inputs, &MetricHistory::default(), &|_| false, 0.05);
        assert_eq!(
            groups[0].moved_by_environment,
            vec![Stat::Q25],
            "{:?}",
            groups[0]
        );
        assert!(groups[0].significant);
    }

    #[test]
    fn fewer_than_five_metrics_give_no_spread_model() {
        let (facts, _) = compare(
            suite(&[1.0, 1.0, 2.0, 1.0]),
            &MetricHistory::default(),
            &|_| false,
            0.05,
        );
        assert!(facts.iter().all(|f| f.noise == NoiseModel::None));
        assert!(facts.iter().all(|f| f.q.is_none()));
    }

    #[test]
    fn several_runs_a_side_use_the_runs() {
        let runs = |level: f64| -> Vec<RunStats<'static>> {
            (0..6)
                .map(|r| run_of(&samples(level * (1.0 + 0.01 * r as f64), 0.01, 10, r)))
                .collect()
        };
        let inputs = vec![input("m", runs(1.0), runs(1.3))];
        let (facts, _) = compare(inputs, &MetricHistory::default(), &|_| false, 0.05);
        let f = &facts[0];
        assert_eq!(f.noise, NoiseModel::Runs);
        let m = f.stat(Stat::Median).unwrap();
        assert!((m.change - 1.3f64.ln()).abs() < 0.01, "{m:?}");
        assert!(m.own_se.unwrap() > 0.0 && m.df.unwrap() > 5.0);
    }

    #[test]
    fn history_sets_the_level_and_a_disturbed_run_does_not_move_it() {
        let ids: Vec<String> = (0..6).map(|i| format!("m{i}")).collect();
        let snap = |scale: f64, bump: Option<(usize, f64)>, phase: usize| {
            let mut s = Snapshot::new();
            for (i, id) in ids.iter().enumerate() {
                let extra = bump.filter(|b| b.0 == i).map_or(1.0, |b| b.1);
                let drift = 1.0 + 0.01 * (((i + phase) % 3) as f64 - 1.0);
                s.metrics.push(Metric::new(
                    id.clone(),
                    "s",
                    Better::Lower,
                    samples(1e-3 * scale * extra * drift, 0.01, 20, phase),
                ));
            }
            s
        };
        // Eight stored runs, the fourth under a hog (everything ×2).
        let stored: Vec<Snapshot> = (0..8)
            .map(|t| snap(if t == 3 { 2.0 } else { 1.0 }, None, t))
            .collect();
        let names: Vec<String> = (0..8).map(|t| format!("run{t}")).collect();
        let runs: Vec<Run<'_>> = stored
            .iter()
            .zip(&names)
            .map(|(s, id)| Run { id, snapshot: s })
            .collect();
        let window: Vec<&Run<'_>> = runs.iter().collect();
        let history = MetricHistory::from_runs(&window, 10);
        assert_eq!(history.runs.len(), 8);
        let head = snap(1.0, Some((2, 1.4)), 9);
        let base = &stored[7];
        let inputs: Vec<MetricInput<'_>> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                input(
                    id,
                    vec![RunStats::of(&base.metrics[i], &mut Scratch::default())],
                    vec![RunStats::of(&head.metrics[i], &mut Scratch::default())],
                )
            })
            .collect();
        let (facts, _) = compare(inputs, &history, &|_| false, 0.05);
        for (i, f) in facts.iter().enumerate() {
            let NoiseModel::History { runs, sigma, .. } = &f.noise else {
                panic!("{:?}", f.noise)
            };
            assert_eq!(*runs, 8);
            assert!(*sigma < 0.03, "the hog run is not the level: {sigma}");
            let m = f.stat(Stat::Median).unwrap();
            let want = if i == 2 { 1.4f64.ln() } else { 0.0 };
            assert!((m.deviation - want).abs() < 0.04, "{i}: {m:?}");
        }
        assert!(facts[2].q.unwrap() < 0.01, "{:?}", facts[2].q);
        assert!(facts[0].q.unwrap() > 0.1);
    }

    #[test]
    fn the_large_df_p_value_is_the_normal_one() {
        for z in [0.0, 0.5, 1.96, 4.0, 8.0] {
            let exact = 2.0 * crate::stats::normal_sf(z);
            let fast = two_sided_p(z, 1e6);
            assert!(
                (fast - exact).abs() <= 1e-9 * exact.max(1e-300),
                "{z}: {fast} vs {exact}"
            );
        }
        // Below 5,000 degrees of freedom, Student's t.
        assert!((two_sided_p(2.0, 10.0) - 2.0 * t_sf(2.0, 10.0)).abs() < 1e-15);
    }

    #[test]
    fn runs_needed_for_a_rank_test() {
        assert_eq!(runs_needed(0.05), 4);
        assert_eq!(runs_needed(0.01), 5);
    }
}
