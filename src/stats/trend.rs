//! Slow drift over a history: the Mann–Kendall trend test and the Theil–Sen slope with Sen's
//! confidence interval (STATISTICS.md §5.3; oracles `mann_kendall.json`, `theil_sen.json`).
//!
//! Time is the index `0..n` unless given. Both are O(n²) in the number of points: meant for
//! a window of the last W runs (30–500), not a whole history at once.

use super::dist::{normal_quantile, normal_sf};
use super::error::{StatsError, check_conf, check_finite};

/// The Mann–Kendall test of a monotonic trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// Number of points.
    pub n: usize,
    /// S = Σ_{i<j} sign(x_j − x_i).
    pub s: i64,
    /// Var(S), corrected for ties in x.
    pub var_s: f64,
    /// Continuity-corrected z: (S − 1)/√Var for S > 0, (S + 1)/√Var for S < 0, else 0.
    pub z: f64,
    /// Two-sided p of the continuity-corrected normal approximation.
    pub p_asymptotic: f64,
    /// Two-sided exact p (Kendall's distribution), for n ≤ 10 without ties.
    pub p_exact: Option<f64>,
    /// Kendall's τ_a = S / (n(n−1)/2).
    pub tau_a: f64,
}

impl MannKendall {
    /// The p-value to use: exact where it is defined, else the normal approximation.
    pub fn p(&self) -> f64 {
        self.p_exact.unwrap_or(self.p_asymptotic)
    }
}

/// Sizes of the groups of equal values (groups of one left out).
fn tie_groups(v: &[f64]) -> Vec<usize> {
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut groups = Vec::new();
    let mut run = 1;
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            run += 1;
        } else {
            if run > 1 {
                groups.push(run);
            }
            run = 1;
        }
    }
    if run > 1 {
        groups.push(run);
    }
    groups
}

/// Σ t(t−1)(2t+5) over tie groups.
fn tie_term(groups: &[usize]) -> f64 {
    groups
        .iter()
        .map(|&t| {
            let t = t as f64;
            t * (t - 1.0) * (2.0 * t + 5.0)
        })
        .sum()
}

/// The Mann–Kendall test on `x` in time order (at least 2 points).
pub fn mann_kendall(x: &[f64]) -> Result<MannKendall, StatsError> {
    check_finite("series", x)?;
    let n = x.len();
    if n < 2 {
        return Err(StatsError::TooFewObservations {
            what: "Mann–Kendall",
            needed: 2,
            got: n,
        });
    }
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let nf = n as f64;
    let ties = tie_groups(x);
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - tie_term(&ties)) / 18.0;
    let z = if var_s <= 0.0 {
        0.0
    } else if s > 0 {
        (s - 1) as f64 / var_s.sqrt()
    } else if s < 0 {
        (s + 1) as f64 / var_s.sqrt()
    } else {
        0.0
    };
    let p_asymptotic = (2.0 * normal_sf(z.abs())).min(1.0);
    let p_exact = (n <= 10 && ties.is_empty()).then(|| kendall_exact_p(n, s));
    Ok(MannKendall {
        n,
        s,
        var_s,
        z,
        p_asymptotic,
        p_exact,
        tau_a: s as f64 / (nf * (nf - 1.0) / 2.0),
    })
}

/// Two-sided exact p of Kendall's S for n points without ties: the permutations of n with at
/// most min(D, N − D) inversions (D the discordant pairs, N = n(n−1)/2), doubled, capped at 1,
/// as scipy's `kendalltau(method='exact')`.
pub fn kendall_exact_p(n: usize, s: i64) -> f64 {
    let pairs = n * n.saturating_sub(1) / 2;
    let discordant = ((pairs as i64 - s) / 2).clamp(0, pairs as i64) as usize;
    let c = discordant.min(pairs - discordant);
    // Probabilities of k inversions among permutations of 1..=m, built up one element at a
    // time (each new element adds 0..m inversions uniformly).
    let mut prob = vec![1.0f64];
    for m in 2..=n {
        let mut next = vec![0.0; prob.len() + m - 1];
        let mut window = 0.0;
        for (k, slot) in next.iter_mut().enumerate() {
            if k < prob.len() {
                window += prob[k];
            }
            if k >= m {
                window -= prob[k - m];
            }
            *slot = window / m as f64;
        }
        prob = next;
    }
    let cdf: f64 = prob.iter().take(c + 1).sum();
    (2.0 * cdf).min(1.0)
}

/// The Theil–Sen slope with Sen's (1968) confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TheilSen {
    /// Median of the pairwise slopes.
    pub slope: f64,
    /// median(y) − slope · median(x).
    pub intercept: f64,
    /// Lower end of the slope's interval.
    pub low: f64,
    /// Upper end of the slope's interval.
    pub high: f64,
}

/// Theil–Sen on `y` over `x` (the index `0..n` when `x` is `None`) at confidence `conf`.
pub fn theil_sen(y: &[f64], x: Option<&[f64]>, conf: f64) -> Result<TheilSen, StatsError> {
    check_finite("y", y)?;
    check_conf(conf)?;
    let index: Vec<f64>;
    let x = match x {
        Some(x) => {
            check_finite("x", x)?;
            if x.len() != y.len() {
                return Err(StatsError::LengthMismatch {
                    what: "Theil–Sen x and y",
                    left: x.len(),
                    right: y.len(),
                });
            }
            x
        }
        None => {
            index = (0..y.len()).map(|i| i as f64).collect();
            &index
        }
    };
    let n = y.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in 0..n {
            if x[j] > x[i] {
                slopes.push((y[j] - y[i]) / (x[j] - x[i]));
            }
        }
    }
    if slopes.is_empty() {
        return Err(StatsError::TooFewObservations {
            what: "Theil–Sen (points with distinct x)",
            needed: 2,
            got: n,
        });
    }
    slopes.sort_by(f64::total_cmp);
    let slope = median_sorted(&slopes);
    let median = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        median_sorted(&s)
    };
    let intercept = median(y) - slope * median(x);
    let nf = n as f64;
    let sigma = ((nf * (nf - 1.0) * (2.0 * nf + 5.0)
        - tie_term(&tie_groups(x))
        - tie_term(&tie_groups(y)))
        / 18.0)
        .max(0.0)
        .sqrt();
    let z = normal_quantile((1.0 - conf) / 2.0);
    let total = slopes.len() as f64;
    let last = slopes.len() - 1;
    let upper =
        (((total - z * sigma) / 2.0).round_ties_even() as i64).clamp(0, last as i64) as usize;
    let lower =
        ((((total + z * sigma) / 2.0).round_ties_even() as i64) - 1).clamp(0, last as i64) as usize;
    Ok(TheilSen {
        slope,
        intercept,
        low: slopes[lower],
        high: slopes[upper],
    })
}

fn median_sorted(s: &[f64]) -> f64 {
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}
