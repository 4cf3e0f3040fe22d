//! Per-metric comparison: effects with intervals, p- and q-values, and the common shift.
//!
//! The unit of replication is the **run** (DESIGN.md): samples inside one process move
//! together when the machine changes, so they never stand in for independent runs. How a
//! metric is judged depends on what the data hold (STATISTICS.md §1.6):
//!
//! | data | effect and interval | p-value |
//! |---|---|---|
//! | ≥ 2 runs on both sides | Hodges–Lehmann shift of the runs' log medians, exact interval | Mann–Whitney U on the run medians; Welch on logs when ranks cannot reach significance; a z-test with the history's noise when there are at most 5 runs and history exists |
//! | 1 run on a side, history of ≥ 5 runs | log ratio of medians, interval from the noise | z-test with σ = max(history noise, current spread across metrics) |
//! | 1 run on a side, no history, ≥ 3 comparable metrics | log ratio, prediction interval from the other metrics' spread | leave-one-out t-test against the other metrics (robust z above 20 metrics) |
//! | otherwise | log ratio only | none: inconclusive beyond the threshold, with "needs N runs" |
//!
//! p-values are adjusted across all metrics with Benjamini–Hochberg, counting only
//! comparisons that could reach significance (Tarone). Metrics are grouped by unit (and
//! CPU time apart from wall time) for the common shift: the median log ratio of the group,
//! significant when the t-interval of the group's mean log ratio lies beyond the practical
//! threshold; control metrics (tag `control`) give the shift on their own when present. This
//! module computes; `classify` decides.

use std::collections::BTreeMap;

use hashbrown::HashMap;
use rayon::prelude::*;
use serde::Serialize;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::align::Run;
use crate::compare::cases::TestComparison;
use crate::config::MetricsConfig;
use crate::model::{Better, Change};
use crate::stats::{
    Alternative, MwuMethod, Sample, WelchOutcome, benjamini_hochberg, hodges_lehmann, mann_whitney,
    mwu_min_attainable_p, normal_quantile, normal_sf, t_quantile, t_sf, welch_t,
    z_test_known_sigma,
};

/// One side's view of a metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricSide {
    /// Runs in which the metric was measured.
    pub runs: usize,
    /// Samples over those runs.
    pub samples: u64,
    /// Median of the runs' medians (the run location), in the metric's unit.
    pub median: Option<f64>,
}

/// A metric to compare, with each side's per-run locations.
#[derive(Debug, Clone)]
pub struct MetricInput {
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
    /// Per-run locations on base.
    pub base: Vec<f64>,
    /// Per-run locations on head.
    pub head: Vec<f64>,
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
}

/// How the noise of a metric was modelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum NoiseModel {
    /// Independent runs on both sides.
    Runs,
    /// The metric's history on the base branch (σ per run, log scale).
    History {
        /// History runs used.
        runs: usize,
        /// σ of the log run medians.
        sigma: f64,
        /// Whether σ was scaled up because the group moved more than its histories predict.
        inflated: bool,
    },
    /// The spread of the other metrics of the group (one run on a side, no history).
    Spread {
        /// Other metrics the spread comes from.
        metrics: usize,
    },
    /// Nothing to judge the noise by.
    None,
}

/// The facts of one metric comparison.
#[derive(Debug, Clone, Serialize)]
pub struct MetricFacts {
    /// The input.
    #[serde(skip)]
    pub input: MetricInput,
    /// Base side.
    pub base: MetricSide,
    /// Head side.
    pub head: MetricSide,
    /// ln(head/base) estimate.
    pub log_ratio: Option<f64>,
    /// Interval of the log ratio.
    pub ci: Option<[f64; 2]>,
    /// Confidence level the interval achieves.
    pub ci_level: Option<f64>,
    /// p-value (two-sided).
    pub p: Option<f64>,
    /// Benjamini–Hochberg adjusted p.
    pub q: Option<f64>,
    /// How p and the interval were obtained.
    pub method: String,
    /// Noise model.
    pub noise: NoiseModel,
    /// Leave-one-out t of this metric against the other metrics of its group.
    pub consistency_t: Option<f64>,
    /// Its p (BH-adjusted within the group).
    pub consistency_q: Option<f64>,
    /// Log ratio minus the group's common shift.
    pub deviation: Option<f64>,
    /// Smallest p the test could reach; above α the comparison cannot be significant.
    pub min_attainable_p: Option<f64>,
    /// Runs per side a rank test would need to reach significance among this many metrics.
    pub runs_needed: usize,
    /// When the history's run-to-run noise is larger than the configured threshold, the
    /// threshold is raised to it: (configured threshold, history runs the noise comes from).
    pub threshold_raised: Option<(f64, usize)>,
}

impl MetricFacts {
    /// The practical threshold on the log scale.
    pub fn log_threshold(&self) -> f64 {
        (1.0 + self.input.threshold).ln()
    }
}

/// The common shift of a group of metrics.
#[derive(Debug, Clone, Serialize)]
pub struct GroupShift {
    /// Group name (unit, kind).
    pub group: String,
    /// Metrics in the group with a ratio.
    pub metrics: usize,
    /// Geometric mean of the ratios.
    pub geomean_ratio: Option<f64>,
    /// Its 95% interval (t on the mean log ratio).
    pub geomean_ci: Option<[f64; 2]>,
    /// The common shift as a ratio (median of the ratios, or of the control metrics').
    pub shift_ratio: Option<f64>,
    /// Whether the shift is significant and beyond the practical threshold.
    pub significant: bool,
    /// Control metrics it was taken from, if any.
    pub controls: Vec<String>,
    /// The practical threshold used for the group.
    pub threshold: f64,
}

/// History of metrics on the base branch: per id, the log run locations, oldest first.
#[derive(Debug, Default)]
pub struct MetricHistory {
    by_id: HashMap<String, Vec<f64>>,
}

impl MetricHistory {
    /// Records one history run's location of a metric.
    pub fn push(&mut self, id: &str, location: f64) {
        if location > 0.0 && location.is_finite() {
            self.by_id
                .entry(id.to_string())
                .or_default()
                .push(location.ln());
        }
    }

    /// σ of the metric's log run locations (1.4826·MAD), with the number of runs; needs 5.
    pub fn sigma(&self, id: &str) -> Option<(f64, usize)> {
        let v = self.by_id.get(id)?;
        if v.len() < 5 {
            return None;
        }
        let s = Sample::new(v).ok()?;
        let sigma = s.mad_scaled();
        (sigma > 0.0).then_some((sigma, v.len()))
    }
}

/// Histories shorter than this give no noise model.
pub const MIN_HISTORY_RUNS: usize = 5;
/// Above this many metrics a group's spread is estimated robustly (median, MAD).
const ROBUST_ABOVE: usize = 20;

/// The median, found by selection (linear time; a group may hold ten thousand metrics);
/// NaN for no values (callers check first).
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (below, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        (lower + upper) / 2.0
    }
}

/// Compares every metric and computes each group's common shift.
pub fn compare(
    inputs: Vec<MetricInput>,
    history: &MetricHistory,
    controls: &dyn Fn(&MetricInput) -> bool,
    alpha: f64,
) -> (Vec<MetricFacts>, Vec<GroupShift>) {
    let mut facts: Vec<MetricFacts> = inputs
        .into_par_iter()
        .map(|i| basic(i, history, alpha))
        .collect();

    // Groups: indices of comparable metrics with a ratio.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in facts.iter().enumerate() {
        if f.log_ratio.is_some() && f.input.problem.is_none() {
            groups.entry(f.input.group.clone()).or_default().push(i);
        }
    }
    let mut shifts = Vec::new();
    for (name, idx) in &groups {
        let rs: Vec<f64> = idx.iter().filter_map(|&i| facts[i].log_ratio).collect();
        let b = rs.len();
        // Leave-one-out consistency of each metric with the others (needs ≥ 3 metrics).
        let mut cons_p: Vec<(usize, f64)> = Vec::new();
        if b >= 3 {
            if b > ROBUST_ABOVE {
                let c = median(&mut rs.clone());
                let mut dev: Vec<f64> = rs.iter().map(|r| (r - c).abs()).collect();
                let s = 1.4826 * median(&mut dev);
                for &i in idx {
                    let r = facts[i].log_ratio.unwrap_or(0.0);
                    if s > 0.0 {
                        let z = (r - c) / s;
                        facts[i].consistency_t = Some(z);
                        cons_p.push((i, 2.0 * normal_sf(z.abs())));
                    }
                }
            } else {
                for &i in idx {
                    let r = facts[i].log_ratio.unwrap_or(0.0);
                    let others: Vec<f64> = idx
                        .iter()
                        .filter(|&&j| j != i)
                        .filter_map(|&j| facts[j].log_ratio)
                        .collect();
                    let m = others.len() as f64;
                    let mean = others.iter().sum::<f64>() / m;
                    let var = others.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
                    let sd = var.sqrt();
                    if sd > 0.0 {
                        let t = (r - mean) / (sd * (1.0 + 1.0 / m).sqrt());
                        facts[i].consistency_t = Some(t);
                        cons_p.push((i, 2.0 * t_sf(t.abs(), m - 1.0)));
                    }
                }
            }
            let ps: Vec<f64> = cons_p.iter().map(|(_, p)| *p).collect();
            if let Ok(qs) = benjamini_hochberg(&ps) {
                for ((i, _), q) in cons_p.iter().zip(qs) {
                    facts[*i].consistency_q = Some(q);
                }
            }
        }
        // Geometric mean with a t-interval; the shift (median, or the controls').
        let threshold = idx
            .iter()
            .map(|&i| facts[i].input.threshold)
            .fold(f64::INFINITY, f64::min);
        let thr = (1.0 + threshold).ln();
        let mean = rs.iter().sum::<f64>() / b as f64;
        let (geo_ci, mean_ci) = if b >= 2 {
            let sd = (rs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (b as f64 - 1.0)).sqrt();
            let h = t_quantile(0.975, b as f64 - 1.0) * sd / (b as f64).sqrt();
            (
                Some([(mean - h).exp(), (mean + h).exp()]),
                Some((mean - h, mean + h)),
            )
        } else {
            (None, None)
        };
        let control_ids: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| controls(&facts[i].input))
            .collect();
        let (center, significant) = if !control_ids.is_empty() {
            let mut cr: Vec<f64> = control_ids
                .iter()
                .filter_map(|&i| facts[i].log_ratio)
                .collect();
            let c = median(&mut cr);
            // A control's code never changes: any move beyond the threshold is the environment.
            let sig = c.abs() > thr
                && control_ids.iter().all(|&i| match facts[i].ci {
                    Some([lo, hi]) => lo > thr || hi < -thr,
                    None => true,
                });
            (Some(c), sig)
        } else if b >= 3 {
            let c = median(&mut rs.clone());
            let sig = mean_ci.is_some_and(|(lo, hi)| lo > thr || hi < -thr);
            (Some(c), sig)
        } else {
            (None, false)
        };
        if let Some(c) = center {
            for &i in idx {
                facts[i].deviation = facts[i].log_ratio.map(|r| r - c);
            }
        }
        shifts.push(GroupShift {
            group: name.clone(),
            metrics: b,
            geomean_ratio: Some(mean.exp()),
            geomean_ci: geo_ci,
            shift_ratio: center.map(f64::exp),
            significant,
            controls: control_ids
                .iter()
                .map(|&i| facts[i].input.id.clone())
                .collect(),
            threshold,
        });
    }

    // Single-run metrics judged by their history: when the runs at hand are noisier than the
    // history (a history recorded in a quiet week), every metric's change, measured in its own
    // history noise, inflates together. The median |z| of the group estimates that inflation
    // (a normal |z| has median 0.6745); above 1, each metric's noise is scaled by it, with the
    // t distribution of the group's size.
    for idx in groups.values() {
        let judged: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| {
                matches!(facts[i].noise, NoiseModel::History { .. })
                    && facts[i].base.runs.min(facts[i].head.runs) == 1
            })
            .collect();
        if judged.len() < 3 {
            continue;
        }
        let se_of = |f: &MetricFacts, sigma: f64| {
            sigma * (1.0 / f.base.runs as f64 + 1.0 / f.head.runs as f64).sqrt()
        };
        let mut zs: Vec<f64> = judged
            .iter()
            .filter_map(|&i| match facts[i].noise {
                NoiseModel::History { sigma, .. } => facts[i]
                    .log_ratio
                    .map(|r| (r / se_of(&facts[i], sigma)).abs()),
                _ => None,
            })
            .collect();
        let inflation = median(&mut zs) / 0.6745;
        if inflation <= 1.0 {
            continue;
        }
        let df = judged.len() as f64 - 1.0;
        for &i in &judged {
            let f = &mut facts[i];
            if let (NoiseModel::History { runs, sigma, .. }, Some(r)) =
                (f.noise.clone(), f.log_ratio)
            {
                let se = se_of(f, sigma) * inflation;
                let half = t_quantile(0.975, df) * se;
                f.p = Some((2.0 * t_sf((r / se).abs(), df)).min(1.0));
                f.ci = Some([r - half, r + half]);
                f.noise = NoiseModel::History {
                    runs,
                    sigma: sigma * inflation,
                    inflated: true,
                };
                f.method = format!(
                    "{} vs {} run(s): t-test with the history's noise (σ = {:.1}% from {runs} runs), scaled ×{inflation:.1} because the {} metrics of this group moved more than their histories predict",
                    f.base.runs,
                    f.head.runs,
                    100.0 * sigma,
                    judged.len()
                );
            }
        }
    }

    // Single-run metrics without history are judged against their group's spread.
    for idx in groups.values() {
        for &i in idx {
            if facts[i].noise == NoiseModel::None
                && let (Some(t), Some(r)) = (facts[i].consistency_t, facts[i].log_ratio)
            {
                let m = idx.len() - 1;
                let (p, half) = if idx.len() > ROBUST_ABOVE {
                    let s = if t != 0.0 {
                        (facts[i].deviation.unwrap_or(0.0) / t).abs()
                    } else {
                        0.0
                    };
                    (2.0 * normal_sf(t.abs()), normal_quantile(0.975) * s)
                } else {
                    let df = m as f64 - 1.0;
                    let s = if t != 0.0 {
                        (facts[i].deviation.unwrap_or(0.0) / t).abs()
                    } else {
                        0.0
                    };
                    (2.0 * t_sf(t.abs(), df), t_quantile(0.975, df) * s)
                };
                let f = &mut facts[i];
                f.p = Some(p);
                f.ci = Some([r - half, r + half]);
                f.ci_level = Some(0.95);
                f.noise = NoiseModel::Spread { metrics: m };
                f.method = format!(
                    "one run on a side and no history: compared with the spread of {m} other metrics of the group (leave-one-out {})",
                    if idx.len() > ROBUST_ABOVE {
                        "robust z"
                    } else {
                        "t-test"
                    }
                );
            }
        }
    }

    // A single discovery among m metrics needs p ≤ α/m under Benjamini–Hochberg.
    let family = facts.len().max(1);
    let needed = runs_needed(alpha / family as f64);
    for f in &mut facts {
        f.runs_needed = needed;
    }

    // Benjamini–Hochberg over the metrics that could reach significance.
    let testable: Vec<usize> = (0..facts.len())
        .filter(|&i| facts[i].p.is_some() && facts[i].min_attainable_p.is_none_or(|m| m <= alpha))
        .collect();
    let ps: Vec<f64> = testable.iter().filter_map(|&i| facts[i].p).collect();
    if let Ok(qs) = benjamini_hochberg(&ps) {
        for (&i, q) in testable.iter().zip(qs) {
            facts[i].q = Some(q);
        }
    }
    (facts, shifts)
}

/// The per-metric part: sides, ratio, and the run-level or history-based test.
fn basic(input: MetricInput, history: &MetricHistory, alpha: f64) -> MetricFacts {
    let side = |v: &[f64], samples: u64| MetricSide {
        runs: v.len(),
        samples,
        median: (!v.is_empty()).then(|| median(&mut v.to_vec())),
    };
    let mut f = MetricFacts {
        base: side(&input.base, input.base_samples),
        head: side(&input.head, input.head_samples),
        log_ratio: None,
        ci: None,
        ci_level: None,
        p: None,
        q: None,
        method: String::new(),
        noise: NoiseModel::None,
        consistency_t: None,
        consistency_q: None,
        deviation: None,
        min_attainable_p: None,
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
    let lb: Vec<f64> = f
        .input
        .base
        .iter()
        .map(|x| x.max(f64::MIN_POSITIVE).ln())
        .collect();
    let lh: Vec<f64> = f
        .input
        .head
        .iter()
        .map(|x| x.max(f64::MIN_POSITIVE).ln())
        .collect();
    f.log_ratio = Some((mh / mb).ln());
    if f.input.deterministic {
        f.ci = Some([(mh / mb).ln(), (mh / mb).ln()]);
        f.method = "every sample on each side is the same value: the change is exact".into();
        return f;
    }
    let (nb, nh) = (lb.len(), lh.len());
    let sigma_h = history.sigma(&f.input.id);
    // A change smaller than the metric's own run-to-run noise is not a practical change,
    // whatever the configured threshold says.
    if let Some((sigma, hruns)) = sigma_h {
        let floor = sigma.exp() - 1.0;
        if floor > f.input.threshold {
            f.threshold_raised = Some((f.input.threshold, hruns));
            f.input.threshold = floor;
        }
    }
    let (Ok(sb), Ok(sh)) = (Sample::new(&lb), Sample::new(&lh)) else {
        return f;
    };
    if nb >= 2 && nh >= 2 {
        f.noise = NoiseModel::Runs;
        if let Ok(hl) = hodges_lehmann(&sb, &sh, 0.95) {
            f.log_ratio = Some(hl.estimate);
            match hl.exact {
                Some(e) => {
                    f.ci = Some([e.lower, e.upper]);
                    f.ci_level = e.achieved_conf_level;
                }
                None => {
                    f.ci = Some([hl.asymptotic.lower, hl.asymptotic.upper]);
                    f.ci_level = Some(0.95);
                }
            }
        }
        let min_p = mwu_min_attainable_p(nb, nh, Alternative::TwoSided, MwuMethod::Auto).ok();
        if let Some((sigma, hruns)) = sigma_h.filter(|_| nb.min(nh) <= 5)
            && let Ok(z) = z_test_known_sigma(&sb, &sh, sigma, 0.95)
        {
            f.p = Some(z.p_two_sided);
            f.method = format!(
                "{nb} vs {nh} runs: z-test on the runs' log medians with the history's noise (σ = {:.1}% from {hruns} runs); Hodges–Lehmann interval",
                100.0 * sigma
            );
            f.noise = NoiseModel::History {
                runs: hruns,
                sigma,
                inflated: false,
            };
            return f;
        }
        if min_p.is_some_and(|m| m <= alpha) {
            if let Ok(m) = mann_whitney(&sb, &sh, Alternative::TwoSided, MwuMethod::Auto) {
                f.p = Some(m.p);
                f.min_attainable_p = min_p;
                f.method = format!(
                    "{nb} vs {nh} runs: Mann–Whitney U on the runs' medians; Hodges–Lehmann interval"
                );
            }
        } else if let Ok(WelchOutcome::Tested(w)) = welch_t(&sh, &sb, 0.95) {
            f.p = Some(w.p_two_sided);
            f.method = format!(
                "{nb} vs {nh} runs: too few for a rank test to reach significance, Welch's t on the runs' log medians; Hodges–Lehmann interval"
            );
        } else {
            f.min_attainable_p = min_p;
            f.method = format!("{nb} vs {nh} runs: no spread between runs to judge the noise by");
        }
        return f;
    }
    // One run on a side: history's noise, if any (the group spread comes later).
    if let Some((sigma, hruns)) = sigma_h {
        // σ is estimated from `hruns` runs: Student's t with hruns − 1 degrees of freedom.
        let r = f.log_ratio.unwrap_or(0.0);
        let se = sigma * (1.0 / nb as f64 + 1.0 / nh as f64).sqrt();
        let df = hruns as f64 - 1.0;
        let half = t_quantile(0.975, df) * se;
        f.p = Some((2.0 * t_sf((r / se).abs(), df)).min(1.0));
        f.ci = Some([r - half, r + half]);
        f.ci_level = Some(0.95);
        f.noise = NoiseModel::History {
            runs: hruns,
            sigma,
            inflated: false,
        };
        f.method = format!(
            "{nb} vs {nh} run(s): t-test with the history's run-to-run noise (σ = {:.1}% from {hruns} runs)",
            100.0 * sigma
        );
    } else {
        f.method = format!("{nb} vs {nh} run(s) and no history of this metric");
    }
    f
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

/// The metrics to compare: every metric of the runs, aligned by id, and the durations of
/// tests that passed on every run of both sides.
pub fn inputs(
    base: &[Run<'_>],
    head: &[Run<'_>],
    comparisons: &[TestComparison<'_>],
    mc: &MetricsConfig,
) -> Vec<MetricInput> {
    let threshold_globs: Vec<(GlobSet, f64)> = mc
        .thresholds
        .iter()
        .map(|(p, t)| (globs(std::slice::from_ref(p)), *t))
        .collect();
    let threshold_of = |id: &str| {
        threshold_globs
            .iter()
            .find(|(g, _)| g.is_match(id))
            .map(|(_, t)| *t)
            .unwrap_or(mc.threshold)
    };
    struct Acc<'s> {
        unit: &'s str,
        better: crate::model::Better,
        tags: Vec<String>,
        base: Vec<f64>,
        head: Vec<f64>,
        base_samples: u64,
        head_samples: u64,
        base_values: Vec<f64>,
        head_values: Vec<f64>,
        summaries: bool,
        problem: Option<String>,
    }
    let mut order: Vec<&str> = Vec::new();
    let mut acc: hashbrown::HashMap<&str, Acc<'_>> = hashbrown::HashMap::new();
    for (is_head, side) in [(false, base), (true, head)] {
        for run in side.iter() {
            for m in &run.snapshot.metrics {
                let a = acc.entry(m.id.as_str()).or_insert_with(|| {
                    order.push(m.id.as_str());
                    Acc {
                        unit: &m.unit,
                        better: m.better,
                        tags: m.tags.clone(),
                        base: Vec::new(),
                        head: Vec::new(),
                        base_samples: 0,
                        head_samples: 0,
                        base_values: Vec::new(),
                        head_values: Vec::new(),
                        summaries: false,
                        problem: None,
                    }
                });
                if m.unit != a.unit && a.problem.is_none() {
                    a.problem = Some(format!(
                        "measured in `{}` in {} but in `{}` elsewhere: units differ, so the values are not compared",
                        m.unit, run.id, a.unit
                    ));
                }
                let Some(loc) = m.location() else { continue };
                a.summaries |= m.summary.is_some() && m.samples.is_empty();
                let (locs, count, values) = if is_head {
                    (&mut a.head, &mut a.head_samples, &mut a.head_values)
                } else {
                    (&mut a.base, &mut a.base_samples, &mut a.base_values)
                };
                locs.push(loc);
                *count += m.sample_count();
                if values.len() < 2 || values.iter().all(|v| *v == values[0]) {
                    values.extend(m.samples.iter().take(64));
                }
            }
        }
    }
    let mut out: Vec<MetricInput> = Vec::with_capacity(order.len());
    for id in order {
        let Some(a) = acc.remove(id) else { continue };
        let constant = |v: &[f64]| v.len() >= 2 && v.iter().all(|x| *x == v[0]);
        let deterministic = !a.summaries
            && constant(&a.base_values)
            && constant(&a.head_values)
            && a.base_samples == a.base_values.len() as u64
            && a.head_samples == a.head_values.len() as u64;
        let kind = if id.ends_with(":cpu_time") {
            " (CPU time)"
        } else {
            ""
        };
        out.push(MetricInput {
            id: id.to_string(),
            unit: a.unit.to_string(),
            better: a.better,
            tags: a.tags,
            group: format!("{}{kind}", group_name(a.unit)),
            base: a.base,
            head: a.head,
            base_samples: a.base_samples,
            head_samples: a.head_samples,
            deterministic,
            threshold: threshold_of(id),
            problem: a.problem,
        });
    }
    if mc.test_durations {
        for c in comparisons {
            if c.change != Change::Passing
                || c.base.passed != c.base.runs
                || c.head.passed != c.head.runs
            {
                continue;
            }
            let durations = |obs: &[crate::align::Observation<'_>]| -> Option<Vec<f64>> {
                obs.iter().map(|o| o.result.duration_s).collect()
            };
            let (Some(b), Some(h)) = (durations(c.base_obs), durations(c.head_obs)) else {
                continue;
            };
            if b.iter().chain(&h).any(|d| *d < mc.duration_min_s) {
                continue;
            }
            let id = format!("duration: {}", c.id);
            out.push(MetricInput {
                threshold: threshold_of(&id).max(mc.duration_threshold),
                id,
                unit: "s".into(),
                better: crate::model::Better::Lower,
                tags: Vec::new(),
                group: "test duration (s)".into(),
                base_samples: b.len() as u64,
                head_samples: h.len() as u64,
                base: b,
                head: h,
                deterministic: false,
                problem: None,
            });
        }
    }
    out
}

/// The name of a group of comparable metrics: a kind of figure and its unit.
fn group_name(unit: &str) -> String {
    match unit {
        "s" => "time (s)".to_string(),
        "B" => "size (B)".to_string(),
        "B/s" => "throughput (B/s)".to_string(),
        u if u.starts_with("s/") => format!("time ({u})"),
        u if u.starts_with("B/") => format!("size ({u})"),
        u => format!("unit {u}"),
    }
}

/// A glob set of `patterns` (validated when the configuration was read).
pub fn globs(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        // Validated when the configuration was read.
        if let Ok(g) = Glob::new(p) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str, base: &[f64], head: &[f64]) -> MetricInput {
        MetricInput {
            id: id.into(),
            unit: "s".into(),
            better: Better::Lower,
            tags: vec![],
            group: "s".into(),
            base: base.to_vec(),
            head: head.to_vec(),
            base_samples: base.len() as u64,
            head_samples: head.len() as u64,
            deterministic: false,
            threshold: 0.05,
            problem: None,
        }
    }

    #[test]
    fn replicated_runs_get_rank_tests_and_intervals() {
        let b = [1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 1.01, 0.99, 1.00, 1.02];
        let h: Vec<f64> = b.iter().map(|x| x * 1.3).collect();
        let (facts, _) = compare(
            vec![input("x", &b, &h)],
            &MetricHistory::default(),
            &|_| false,
            0.05,
        );
        let f = &facts[0];
        assert_eq!(f.noise, NoiseModel::Runs);
        assert!((f.log_ratio.unwrap() - 1.3f64.ln()).abs() < 1e-9);
        assert!(f.p.unwrap() < 1e-3);
        let [lo, hi] = f.ci.unwrap();
        assert!(lo <= 1.3f64.ln() && 1.3f64.ln() <= hi);
        assert!(f.method.contains("Mann–Whitney"));
    }

    #[test]
    fn single_runs_use_the_spread_of_other_metrics() {
        let mut inputs = Vec::new();
        for (i, r) in [1.01, 0.99, 1.02, 0.98, 1.00, 2.0].iter().enumerate() {
            inputs.push(input(&format!("m{i}"), &[1.0], &[*r]));
        }
        let (facts, shifts) = compare(inputs, &MetricHistory::default(), &|_| false, 0.05);
        let outlier = &facts[5];
        assert!(matches!(outlier.noise, NoiseModel::Spread { metrics: 5 }));
        assert!(outlier.q.unwrap() < 0.05, "{:?}", outlier.q);
        assert!(facts[0].q.unwrap() > 0.5);
        assert_eq!(shifts.len(), 1);
        assert!(!shifts[0].significant);
    }

    #[test]
    fn a_common_shift_is_found() {
        let inputs: Vec<MetricInput> = [2.0, 2.1, 1.95, 2.05, 2.02]
            .iter()
            .enumerate()
            .map(|(i, r)| input(&format!("m{i}"), &[1.0], &[*r]))
            .collect();
        let (_, shifts) = compare(inputs, &MetricHistory::default(), &|_| false, 0.05);
        assert!(shifts[0].significant);
        assert!((shifts[0].shift_ratio.unwrap() - 2.02).abs() < 1e-9);
    }

    #[test]
    fn the_threshold_is_never_below_the_history_noise() {
        let mut history = MetricHistory::default();
        // Run-to-run noise of about 10% (log scale).
        for x in [1.0, 1.1, 0.9, 1.05, 0.95, 1.12, 0.88, 1.0] {
            history.push("noisy", x);
            history.push("quiet", 1.0 + (x - 1.0) / 10.0);
        }
        let (facts, _) = compare(
            vec![
                input("noisy", &[1.0], &[1.08]),
                input("quiet", &[1.0], &[1.08]),
            ],
            &history,
            &|_| false,
            0.05,
        );
        let (noisy, quiet) = (&facts[0], &facts[1]);
        let (configured, runs) = noisy.threshold_raised.expect("raised");
        assert_eq!((configured, runs), (0.05, 8));
        assert!(noisy.input.threshold > 0.08, "{}", noisy.input.threshold);
        assert_eq!(quiet.threshold_raised, None);
        assert_eq!(quiet.input.threshold, 0.05);
    }

    #[test]
    fn median_by_selection() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [5.0]), 5.0);
        assert!(median(&mut []).is_nan());
    }

    #[test]
    fn runs_needed_for_a_rank_test() {
        assert_eq!(runs_needed(0.05), 4);
        assert_eq!(runs_needed(0.01), 5);
    }
}
