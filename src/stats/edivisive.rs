//! E-divisive means (Matteson & James 2014) with α = 1: the divergence Q̂ of splitting a
//! series into X = z[0..τ] and Y = z[τ..κ] (STATISTICS.md §5.1; oracle `e_divisive.json`).
//!
//! Q̂(τ, κ) = 2/(m+n)·Σ|X_i−Y_j| − 2m/((m+n)(n−1))·Σ_{i<k}|X_i−X_k| − 2n/((m+n)(m−1))·Σ_{j<k}|Y_j−Y_k|,
//! n = τ, m = κ − τ, a within term being 0 when its sample has one element. Every Q̂ comes
//! from one table of 2-D prefix sums of the pairwise distances, so all (τ, κ) of a window of
//! W points cost O(W²) time and memory.

use super::error::{StatsError, check_finite};

/// Prefix sums of |z_i − z_j|: `p[a][b]` = Σ_{i<a, j<b} |z_i − z_j|.
struct Distances {
    n: usize,
    p: Vec<f64>,
}

impl Distances {
    fn new(z: &[f64]) -> Self {
        let n = z.len();
        let w = n + 1;
        let mut p = vec![0.0; w * w];
        for a in 1..=n {
            let mut row = 0.0;
            for b in 1..=n {
                row += (z[a - 1] - z[b - 1]).abs();
                p[a * w + b] = p[(a - 1) * w + b] + row;
            }
        }
        Distances { n, p }
    }

    fn at(&self, a: usize, b: usize) -> f64 {
        self.p[a * (self.n + 1) + b]
    }

    /// Σ over i in a0..a1, j in b0..b1 of |z_i − z_j|.
    fn block(&self, a0: usize, a1: usize, b0: usize, b1: usize) -> f64 {
        self.at(a1, b1) - self.at(a0, b1) - self.at(a1, b0) + self.at(a0, b0)
    }

    /// Q̂ of X = z[s..τ], Y = z[τ..κ].
    fn q(&self, s: usize, tau: usize, kappa: usize) -> f64 {
        let n = (tau - s) as f64;
        let m = (kappa - tau) as f64;
        let between = self.block(s, tau, tau, kappa);
        // Each unordered pair is counted twice in a square block.
        let within_x = self.block(s, tau, s, tau) / 2.0;
        let within_y = self.block(tau, kappa, tau, kappa) / 2.0;
        let mut q = 2.0 / (m + n) * between;
        if n > 1.0 {
            q -= 2.0 * m / ((m + n) * (n - 1.0)) * within_x;
        }
        if m > 1.0 {
            q -= 2.0 * n / ((m + n) * (m - 1.0)) * within_y;
        }
        q
    }
}

fn check(series: &[f64]) -> Result<(), StatsError> {
    check_finite("series", series)?;
    if series.len() < 2 {
        return Err(StatsError::TooFewObservations {
            what: "E-divisive",
            needed: 2,
            got: series.len(),
        });
    }
    Ok(())
}

/// Q̂(τ, N) for τ = 1..N−1: the divergence of splitting the whole series at each τ.
pub fn qhat_whole(series: &[f64]) -> Result<Vec<f64>, StatsError> {
    check(series)?;
    let d = Distances::new(series);
    let n = series.len();
    Ok((1..n).map(|tau| d.q(0, tau, n)).collect())
}

/// The best split of a window: the τ (first index of the right part) and κ ≤ N maximising
/// Q̂(τ, κ), each part at least `min_size` long; the first maximum in (τ, κ) order.
pub fn best_split(
    series: &[f64],
    min_size: usize,
) -> Result<Option<(usize, usize, f64)>, StatsError> {
    check(series)?;
    let d = Distances::new(series);
    let n = series.len();
    let min = min_size.max(1);
    let mut best: Option<(usize, usize, f64)> = None;
    for tau in min..n {
        for kappa in tau + min..=n {
            let q = d.q(0, tau, kappa);
            if best.is_none_or(|(_, _, b)| q > b) {
                best = Some((tau, kappa, q));
            }
        }
    }
    Ok(best)
}

/// Parameters of change-point detection (Otava's names and defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Points per sliding window of the split step (the window moves by half of it).
    pub window_len: usize,
    /// Largest p-value a change point may keep.
    pub max_pvalue: f64,
    /// Smallest relative change a change point may keep (0 keeps every significant one).
    pub min_magnitude: f64,
}

impl Default for Params {
    /// Otava's defaults: a window of 50, p < 0.001, no minimum change.
    fn default() -> Self {
        Params {
            window_len: 50,
            max_pvalue: 0.001,
            min_magnitude: 0.0,
        }
    }
}

impl Params {
    /// Otava's defaults with the p-value divided by the window length. The split a window
    /// offers is the best of its W positions, and a t-test of the chosen split does not know
    /// that it was chosen: on a flat series of 500 points (log-normal noise, CV 3%), Otava's
    /// defaults give a false change point in about 30% of series. Correcting the p for the
    /// W positions (Bonferroni) brings that under 2%, while a +10% step in the same noise
    /// over 60 points is still found in about 98% (`tests/change_points.rs`).
    pub fn corrected() -> Self {
        let p = Params::default();
        Params {
            max_pvalue: p.max_pvalue / p.window_len as f64,
            ..p
        }
    }
}

/// A change point: `index` is the first point of the new regime.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    /// First index after the change.
    pub index: usize,
    /// Q̂ of the split that found it.
    pub qhat: f64,
    /// Two-sided p of Student's t-test between the segments on either side.
    pub p: f64,
    /// Mean of the segment before.
    pub mean_before: f64,
    /// Mean of the segment after.
    pub mean_after: f64,
    /// Standard deviation (population, ddof = 0) of the segment before.
    pub std_before: f64,
    /// Standard deviation (population) of the segment after.
    pub std_after: f64,
}

impl ChangePoint {
    /// after / before − 1 (0 when the mean before is 0).
    pub fn forward_rel_change(&self) -> f64 {
        if self.mean_before == 0.0 {
            0.0
        } else {
            self.mean_after / self.mean_before - 1.0
        }
    }

    /// The larger of the relative changes forward and backward.
    pub fn magnitude(&self) -> f64 {
        let back = if self.mean_after == 0.0 {
            0.0
        } else {
            self.mean_before / self.mean_after - 1.0
        };
        self.forward_rel_change().abs().max(back.abs())
    }
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = if v.len() >= 2 {
        (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
    } else {
        0.0
    };
    (mean, std)
}

/// The segments' statistics and the t-test between them, as Otava computes them: Student's
/// pooled t on the population standard deviations (Otava's quirk, kept for parity).
fn judge(index: usize, qhat: f64, left: &[f64], right: &[f64]) -> ChangePoint {
    let (m1, s1) = mean_std(left);
    let (m2, s2) = mean_std(right);
    let (n1, n2) = (left.len() as f64, right.len() as f64);
    let df = n1 + n2 - 2.0;
    let p = if df > 0.0 {
        let pooled = (((n1 - 1.0) * s1 * s1 + (n2 - 1.0) * s2 * s2) / df).sqrt();
        let se = pooled * (1.0 / n1 + 1.0 / n2).sqrt();
        if se > 0.0 {
            (2.0 * super::dist::t_sf(((m1 - m2) / se).abs(), df)).min(1.0)
        } else if m1 != m2 {
            0.0
        } else {
            1.0
        }
    } else {
        1.0
    };
    ChangePoint {
        index,
        qhat,
        p,
        mean_before: m1,
        mean_after: m2,
        std_before: s1,
        std_after: s2,
    }
}

/// The best split of `[s, e)` of the window, in Otava's order: Q̂ over s < τ < κ ≤ e read
/// row by row (τ, then κ), where Otava's matrix holds 0 below its diagonal — so a window
/// whose every split has Q̂ < 0 yields the first of those zeros (τ = s + 2).
fn candidate(d: &Distances, s: usize, e: usize) -> (usize, f64) {
    let size = e - s - 1;
    let mut best = (s + 1, f64::NEG_INFINITY);
    for i in 0..size {
        for j in 0..size {
            let (tau, kappa) = (s + 1 + i, s + 2 + j);
            let q = if j >= i { d.q(s, tau, kappa) } else { 0.0 };
            if q > best.1 {
                best = (tau, q);
            }
        }
    }
    best
}

/// Segments between sorted change points: `[0, c1), [c1, c2), …, [ck, n)`, empty ones left out.
fn intervals(points: &[usize], n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(points.len() + 1);
    let mut start = 0;
    for &p in points {
        if p != start {
            out.push((start, p));
        }
        start = p;
    }
    if start != n {
        out.push((start, n));
    }
    out
}

/// E-divisive on one window: split the best segment while the split is significant.
fn detect_window(window: &[f64], max_pvalue: f64) -> Vec<ChangePoint> {
    let d = Distances::new(window);
    let mut found: Vec<ChangePoint> = Vec::new();
    loop {
        let idx: Vec<usize> = found.iter().map(|c| c.index).collect();
        let segs = intervals(&idx, window.len());
        let mut best: Option<(usize, f64, (usize, usize))> = None;
        for &(s, e) in segs.iter().filter(|(s, e)| e - s > 1) {
            let (tau, q) = candidate(&d, s, e);
            if best.is_none_or(|(_, bq, _)| q > bq) {
                best = Some((tau, q, (s, e)));
            }
        }
        let Some((tau, q, (s, e))) = best else { break };
        let cp = judge(tau, q, &window[s..tau], &window[tau..e]);
        if cp.p <= max_pvalue {
            found.push(cp);
            found.sort_by_key(|c| c.index);
        } else {
            break;
        }
    }
    found
}

/// Re-tests the change point at `k` between its neighbours.
fn retest(points: &mut [ChangePoint], k: usize, series: &[f64]) {
    if k >= points.len() {
        return;
    }
    let start = if k == 0 { 0 } else { points[k - 1].index };
    let end = points.get(k + 1).map_or(series.len(), |c| c.index);
    let c = points[k];
    points[k] = judge(
        c.index,
        c.qhat,
        &series[start..c.index],
        &series[c.index..end],
    );
}

/// Change points of a series, as Apache Otava (Hunter, Fleming et al. ICPE 2023) finds them:
/// E-divisive in sliding windows at a relaxed p (10× `max_pvalue` below 0.05) gives the weak
/// change points; each is re-tested between its neighbours; then the weakest is removed (the
/// largest p, or once every p passes, the smallest change when below `min_magnitude`) and
/// its neighbours re-tested, until all pass. Deterministic.
pub fn change_points(series: &[f64], params: Params) -> Result<Vec<ChangePoint>, StatsError> {
    check_finite("series", series)?;
    if params.window_len < 2 {
        return Err(StatsError::InvalidParameter {
            name: "window_len",
            value: params.window_len as f64,
            reason: "a window needs at least 2 points",
        });
    }
    let max_p = params.max_pvalue;
    let first_pass = if max_p < 0.05 {
        max_p * 10.0
    } else if max_p < 0.5 {
        max_p * 2.0
    } else {
        max_p
    };
    // Split: sliding windows.
    let n = series.len();
    let step = params.window_len / 2;
    let mut weak: Vec<ChangePoint> = Vec::new();
    let mut start = 0;
    while start < n {
        let end = (start + params.window_len).min(n);
        let found = detect_window(&series[start..end], first_pass);
        let last = found.last().map_or(0, |c| c.index + start);
        for mut c in found {
            c.index += start;
            if !weak.iter().any(|w| w.index == c.index) {
                weak.push(c);
            }
        }
        start = last.max(start + step.max(1));
    }
    weak.sort_by_key(|c| c.index);
    // Each weak point between its neighbours in the whole series.
    for k in 0..weak.len() {
        retest(&mut weak, k, series);
    }
    // Merge: remove the weakest until every point passes.
    let mut points = weak;
    while !points.is_empty() {
        let mut weakest = 0;
        for (i, c) in points.iter().enumerate() {
            if c.p > points[weakest].p {
                weakest = i;
            }
        }
        if points[weakest].p < max_p {
            weakest = 0;
            for (i, c) in points.iter().enumerate() {
                if c.magnitude() < points[weakest].magnitude() {
                    weakest = i;
                }
            }
            if points[weakest].magnitude() > params.min_magnitude {
                break;
            }
        }
        points.remove(weakest);
        retest(&mut points, weakest, series);
        retest(&mut points, weakest + 1, series);
    }
    Ok(points)
}
