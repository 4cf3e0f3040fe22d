//! E-divisive means (Matteson & James 2014) with α = 1: the divergence Q̂ of splitting a
//! series into X = z[0..τ] and Y = z[τ..κ] (STATISTICS.md §5.1; oracle `e_divisive.json`).
//!
//! Q̂(τ, κ) = 2/(m+n)·Σ|X_i−Y_j| − 2m/((m+n)(n−1))·Σ_{i<k}|X_i−X_k| − 2n/((m+n)(m−1))·Σ_{j<k}|Y_j−Y_k|,
//! n = τ, m = κ − τ, a within term being 0 when its sample has one element. Every Q̂ comes
//! from one table of 2-D prefix sums of the pairwise distances, so all (τ, κ) of a window of
//! W points cost O(W²) time and memory.

use super::error::StatsError;

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
    if let Some(index) = series.iter().position(|x| !x.is_finite()) {
        return Err(StatsError::NonFinite {
            what: "series",
            index,
            value: series[index],
        });
    }
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
