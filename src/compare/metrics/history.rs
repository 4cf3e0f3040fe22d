//! The history model: a one-run base judged against the window of its branch's stored runs —
//! each metric's level (the window's median after removing each run's common shift) and
//! run-to-run noise (the robust scale of the residuals).

use super::*;

/// One stored run of the window: each metric's statistics (cost space).
#[derive(Debug, Clone)]
pub struct HistoryRun {
    /// Snapshot id.
    pub id: String,
    /// Commit, when known.
    pub commit: Option<String>,
    /// Per metric id: its statistics in this run.
    pub values: HashMap<String, [Option<f64>; 4]>,
}

/// The window of stored runs a one-run base is judged by, oldest first.
#[derive(Debug, Default)]
pub struct MetricHistory {
    /// The runs of the window.
    pub runs: Vec<HistoryRun>,
    /// Their branch, when they name one.
    pub branch: Option<String>,
}

impl HistoryRun {
    /// A run's statistics, from its metrics.
    pub fn of(id: &str, commit: Option<String>, metrics: &[Metric]) -> HistoryRun {
        let mut scratch = Scratch::default();
        HistoryRun {
            id: id.to_string(),
            commit,
            values: metrics
                .iter()
                .map(|m| (m.id.clone(), RunStats::of(m, &mut scratch).values()))
                .collect(),
        }
    }
}

/// Gathers a stored run's metric statistics as its rows stream by, without keeping samples.
#[derive(Debug, Default)]
pub struct HistoryRunRows {
    scratch: Scratch,
    values: HashMap<String, [Option<f64>; 4]>,
}

impl HistoryRunRows {
    /// The run, once every row has been read.
    pub fn finish(self, id: &str, commit: Option<String>) -> HistoryRun {
        HistoryRun {
            id: id.to_string(),
            commit,
            values: self.values,
        }
    }
}

impl crate::ingest::snapshot_lines::Sink for HistoryRunRows {
    fn test(&mut self, _row: crate::ingest::snapshot_lines::TestRow<'_>) {}

    fn metric(&mut self, m: Metric) {
        let v = RunStats::of(&m, &mut self.scratch).values();
        self.values.insert(m.id, v);
    }
}

impl MetricHistory {
    /// The window: the last `window` of `runs` (oldest first).
    pub fn from_runs(runs: &[&Run<'_>], window: usize) -> MetricHistory {
        let start = runs.len().saturating_sub(window);
        let runs = &runs[start..];
        let branch = runs.iter().find_map(|r| r.snapshot.run.branch.clone());
        let runs = runs
            .par_iter()
            .map(|r| HistoryRun::of(r.id, r.snapshot.run.commit.clone(), &r.snapshot.metrics))
            .collect();
        MetricHistory { runs, branch }
    }

    /// The window: the last `window` of `runs` (oldest first), of `branch`.
    pub fn from_parts(
        runs: Vec<HistoryRun>,
        branch: Option<String>,
        window: usize,
    ) -> MetricHistory {
        let start = runs.len().saturating_sub(window);
        MetricHistory {
            runs: runs.into_iter().skip(start).collect(),
            branch,
        }
    }

    pub(super) fn points(&self, id: &str, s: Stat) -> usize {
        self.runs
            .iter()
            .filter(|r| r.values.get(id).is_some_and(|v| v[s.index()].is_some()))
            .count()
    }
}

/// What the history pass found about the window's run shifts of one statistic: whether the
/// head run's common shift stands out from the stored runs' own shifts.
#[derive(Debug, Clone, Copy)]
pub(super) struct HistoryShift {
    /// The head run's common shift of the medians against the window's levels.
    pub(super) head: f64,
    /// Median of the window runs' own shifts.
    pub(super) center: f64,
    /// Their spread (1.4826·MAD).
    pub(super) spread: f64,
    /// Window runs.
    pub(super) runs: usize,
}

/// The history model for the metrics of one group judged by history: per statistic, each
/// metric's base level (median of the window after removing each run's common shift), its
/// run-to-run noise (1.4826·MAD of the residuals), and its head change against the level.
pub(super) fn history_pass(
    facts: &mut [Box<MetricFacts<'_>>],
    idx: &[usize],
    history: &MetricHistory,
) -> [Option<HistoryShift>; 4] {
    let members: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| matches!(facts[i].noise, NoiseModel::History { .. }))
        .collect();
    let mut shifts = [None; 4];
    if members.is_empty() {
        return shifts;
    }
    let w = history.runs.len();
    let mut scratch = Vec::new();
    for s in Stat::ALL {
        // Rows: metrics with this statistic judged by history; columns: window runs.
        let rows: Vec<(usize, Vec<Option<f64>>)> = members
            .iter()
            .copied()
            .filter(|&i| facts[i].stat(s).is_some())
            .map(|i| {
                let id = facts[i].input.id.as_str();
                let col = history
                    .runs
                    .iter()
                    .map(|r| r.values.get(id).and_then(|v| v[s.index()]))
                    .collect();
                (i, col)
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut level: Vec<f64> = rows
            .iter()
            .map(|(_, col)| {
                let mut v: Vec<f64> = col.iter().flatten().copied().collect();
                median_select(&mut v)
            })
            .collect();
        // Each window run's common shift against the levels, then the levels once more
        // without it: a run disturbed by a noisy neighbour does not become the base level.
        let mut run_shift = vec![0.0; w];
        for _ in 0..2 {
            if rows.len() >= MIN_SHIFT_METRICS {
                for (t, g) in run_shift.iter_mut().enumerate() {
                    let mut d: Vec<f64> = rows
                        .iter()
                        .zip(&level)
                        .filter_map(|((_, col), l)| col[t].map(|v| v - l))
                        .collect();
                    *g = if d.is_empty() {
                        0.0
                    } else {
                        median_select(&mut d)
                    };
                }
            }
            for ((_, col), l) in rows.iter().zip(level.iter_mut()) {
                let mut v: Vec<f64> = col
                    .iter()
                    .zip(&run_shift)
                    .filter_map(|(x, g)| x.map(|x| x - g))
                    .collect();
                *l = median_select(&mut v);
            }
        }
        let mut head_changes = Vec::with_capacity(rows.len());
        for ((i, col), l) in rows.iter().zip(&level) {
            let resid: Vec<f64> = col
                .iter()
                .zip(&run_shift)
                .filter_map(|(x, g)| x.map(|x| x - g - l))
                .collect();
            let n = resid.len() as f64;
            // The run-to-run noise: the robust scale of the residuals (a disturbed run beyond
            // three MADs is set aside, see `heterogeneity`).
            let zeros = vec![0.0; resid.len()];
            let noise = heterogeneity(&resid, &zeros, &mut scratch);
            let sigma = noise.tau;
            let f = &mut facts[*i];
            let nh = f.input.head.len() as f64;
            let floor = f.input.head.first().and_then(|r| r.se(s));
            // The level is a median of n runs: its variance is (π/2)·σ²/n.
            let own = (sigma * (1.0 / nh + std::f64::consts::FRAC_PI_2 / n).sqrt())
                .max(floor.unwrap_or(0.0));
            let st = f
                .stats
                .iter_mut()
                .find(|x| x.stat == s)
                .expect("filtered above");
            st.base = *l;
            st.change = st.head - l;
            st.deviation = st.change;
            st.own_se = (own > 0.0).then_some(own);
            st.df = Some(noise.df.max(1.0));
            head_changes.push(st.change);
            if s == Stat::Median {
                let sign = f.input.better.cost_sign();
                f.base.median = Some((sign * l).exp());
                f.log_ratio = Some(sign * st.change);
                let commits = match (
                    history.runs.first().and_then(|r| r.commit.clone()),
                    history.runs.last().and_then(|r| r.commit.clone()),
                ) {
                    (Some(a), Some(b)) => Some([a, b]),
                    _ => None,
                };
                f.noise = NoiseModel::History {
                    runs: n as usize,
                    branch: history.branch.clone(),
                    commits,
                    sigma,
                };
                // A change smaller than the metric's own run-to-run noise is not a practical
                // change, whatever the configured threshold says.
                let noise_floor = sigma.exp() - 1.0;
                if noise_floor > f.input.threshold {
                    f.threshold_raised = Some((f.input.threshold, n as usize));
                    f.input.threshold = noise_floor;
                }
            }
        }
        if rows.len() >= MIN_SHIFT_METRICS {
            let mut g = run_shift.clone();
            let center = median_select(&mut g);
            let spread = mad_scaled_about(&run_shift, center, &mut scratch);
            shifts[s.index()] = Some(HistoryShift {
                head: median_select(&mut head_changes),
                center,
                spread,
                runs: w,
            });
        }
    }
    shifts
}

impl HistoryShift {
    /// Whether the head run's common shift stands out from the stored runs' own: beyond
    /// three of their spreads and beyond the threshold `thr`.
    pub(super) fn stands_out(&self, thr: f64) -> bool {
        let beyond = (self.head - self.center).abs();
        beyond > 3.0 * self.spread && beyond > thr
    }
}
