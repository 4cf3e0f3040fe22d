//! Robust location, spread and heterogeneity for metric verdicts (issue "Metric verdicts that
//! decide"; DESIGN.md "Unit of replication, and what one run still tells").
//!
//! * [`Locations`]: what one run tells about a metric: its median (what users see), its lower
//!   envelope (minimum, 25th percentile: contention only ever adds time, so a contended run
//!   keeps some uncontended samples; Chen & Revels 2016) and the within-run standard error of
//!   each. Within-run samples understate run-to-run noise, so these errors are a floor of the
//!   noise, never the whole of it.
//! * [`heterogeneity`]: the spread of a group's deviations from their common shift beyond
//!   what each metric's own standard error explains: a robust random-effects scale (median
//!   and MAD, with one reweighting step that sets aside clear outliers), so that the
//!   regressions being looked for do not widen the yardstick that should find them.
//! * [`median_interval_sorted`]: the distribution-free (order-statistic) interval of a median.
//! * [`rank_shift_test`]: the Mann–Whitney U test of one side's samples against the other's
//!   after removing a common shift, for sorted inputs in linear time.

use super::dist::{normal_quantile, normal_sf};
use super::rank::UDistribution;
use super::sample::MAD_NORMAL_SCALE;

/// √(π/2): the standard error of a median relative to that of a mean, under normality.
const MEDIAN_SE: f64 = 1.2533;
/// √(p(1−p))/φ(Φ⁻¹(p)) at p = ¼: the standard error of the lower quartile relative to σ/√n.
const Q25_SE: f64 = 1.3617;
/// Efficiency of the MAD against the standard deviation under normality (0.368): a scale
/// estimated by MAD from n values carries about as much information as one from 0.37·n
/// values by the standard deviation, so its Student-t degrees of freedom are ≈ 0.37·n
/// (checked by simulation at n = 4…50).
pub const MAD_DF_PER_VALUE: f64 = 0.37;
/// Deviations beyond this many standard errors are set aside by the reweighting step.
const REWEIGHT_CUT: f64 = 3.0;
/// Fewest values a reweighted scale is taken from.
const MIN_KEPT: usize = 5;

/// Type-7 quantile (numpy's and R's default) of sorted, non-empty values.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (h - lo as f64)
}

/// The median by selection (linear time; reorders `v`); NaN for no values.
pub fn median_select(v: &mut [f64]) -> f64 {
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

/// 1.4826 × the median absolute deviation of `v` about `center`; `scratch` is reused.
pub fn mad_scaled_about(v: &[f64], center: f64, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend(v.iter().map(|x| (x - center).abs()));
    MAD_NORMAL_SCALE * median_select(scratch)
}

/// Location statistics of one run of a metric on the log scale, with their within-run
/// standard errors (`None` when the run has too few samples to tell).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Locations {
    /// Samples the statistics come from.
    pub n: u64,
    /// Median.
    pub median: f64,
    /// Minimum.
    pub min: f64,
    /// 25th percentile.
    pub q25: f64,
    /// Within-run standard error of the median: 1.2533·σ/√n, σ = 1.4826·MAD.
    pub se_median: Option<f64>,
    /// Within-run standard error of the minimum.
    pub se_min: Option<f64>,
    /// Within-run standard error of the 25th percentile.
    pub se_q25: Option<f64>,
}

/// Fewest samples a within-run standard error is estimated from.
pub const MIN_SAMPLES_FOR_SE: u64 = 4;

/// E[z₍₂₅%₎ − z₍₁₎] for n normal samples (Blom's approximation of the minimum's expectation):
/// divides the gap between the 25th percentile and the minimum into a scale of the lower
/// envelope, which contention in the upper samples leaves alone.
fn envelope_gap(n: f64) -> f64 {
    normal_quantile(0.25) - normal_quantile(0.625 / (n + 0.25))
}

/// Standard deviation of the minimum of n standard normal samples, ≈ (π/√6)/√(2 ln n)
/// (its Gumbel limit; 0.60 at n = 10 against 0.59 exact).
fn min_sd(n: f64) -> f64 {
    1.2825 / (2.0 * n.ln()).sqrt()
}

/// For n samples: which order statistic k the minimum's spacing is measured to, and the
/// factor that turns x₍ₖ₎ − x₍₁₎ into the minimum's standard error,
/// SD(min of n)/(E[z₍ₖ₎] − E[z₍₁₎]). Tabulated up to 4,096 samples (every run computes it).
fn min_spacing(n: usize) -> (usize, f64) {
    fn compute(n: usize) -> (usize, f64) {
        let nf = n as f64;
        let k = 3.max((0.05 * nf).ceil() as usize + 1).min(n);
        let blom = |i: usize| normal_quantile((i as f64 - 0.375) / (nf + 0.25));
        (k, min_sd(nf) / (blom(k) - blom(1)))
    }
    static TABLE: std::sync::OnceLock<Vec<(usize, f64)>> = std::sync::OnceLock::new();
    const TABULATED: usize = 4096;
    if n > TABULATED {
        return compute(n);
    }
    let table = TABLE.get_or_init(|| {
        (0..=TABULATED)
            .map(|n| if n >= 4 { compute(n) } else { (n, 0.0) })
            .collect()
    });
    table[n]
}

impl Locations {
    /// From sorted log samples (non-empty). Each statistic's error comes from the samples
    /// around it, so that contention in the upper samples does not inflate the envelope's:
    /// the median's from the MAD, the 25th percentile's from the spread between the 12.5th
    /// and 37.5th percentiles, the minimum's from the lowest few samples' spacing.
    pub fn from_sorted_logs(ls: &[f64], scratch: &mut Vec<f64>) -> Locations {
        let n = ls.len();
        let median = quantile_sorted(ls, 0.5);
        let q25 = quantile_sorted(ls, 0.25);
        let min = ls[0];
        let mut loc = Locations {
            n: n as u64,
            median,
            min,
            q25,
            se_median: None,
            se_min: None,
            se_q25: None,
        };
        if (n as u64) >= MIN_SAMPLES_FOR_SE {
            let nf = n as f64;
            let root = nf.sqrt();
            let sigma = mad_scaled_about(ls, median, scratch);
            loc.se_median = Some(MEDIAN_SE * sigma / root);
            // Φ⁻¹(0.375) − Φ⁻¹(0.125) = 0.8317.
            let local = (quantile_sorted(ls, 0.375) - quantile_sorted(ls, 0.125)) / 0.8317;
            loc.se_q25 = Some(Q25_SE * local.min(sigma) / root);
            // The k-th smallest against the smallest, k ≈ 5% of the run (at least the 3rd),
            // scaled by the expected normal spacing (Blom's order-statistic expectations).
            let (k, factor) = min_spacing(n);
            let low = factor * (ls[k - 1] - ls[0]);
            loc.se_min = Some(low.min(min_sd(nf) * sigma));
        }
        loc
    }

    /// From a summary (pytest-benchmark without raw rounds): the quartiles give the scale,
    /// the gap between the lower quartile and the minimum the envelope's.
    pub fn from_summary(n: u64, min: f64, q25: f64, median: f64, q75: Option<f64>) -> Locations {
        let mut loc = Locations {
            n,
            median,
            min,
            q25,
            se_median: None,
            se_min: None,
            se_q25: None,
        };
        if n >= MIN_SAMPLES_FOR_SE
            && let Some(q75) = q75
        {
            // IQR = 1.349·σ for normal data.
            loc.set_errors((q75 - q25).abs() / 1.349, q25 - min);
        }
        loc
    }

    fn set_errors(&mut self, sigma: f64, gap: f64) {
        let n = self.n as f64;
        let root = n.sqrt();
        self.se_median = Some(MEDIAN_SE * sigma / root);
        let envelope = gap.max(0.0) / envelope_gap(n);
        self.se_q25 = Some(Q25_SE * envelope / root);
        self.se_min = Some(min_sd(n) * envelope);
    }
}

/// Within-run standard error of the median of sorted log values (CPU time samples).
pub fn median_se_sorted(ls: &[f64], scratch: &mut Vec<f64>) -> Option<f64> {
    let n = ls.len();
    ((n as u64) >= MIN_SAMPLES_FOR_SE).then(|| {
        let sigma = mad_scaled_about(ls, quantile_sorted(ls, 0.5), scratch);
        MEDIAN_SE * sigma / (n as f64).sqrt()
    })
}

/// The spread of a group beyond its members' own noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heterogeneity {
    /// τ ≥ 0: the standard deviation of the deviations that their standard errors do not explain.
    pub tau: f64,
    /// Values the final scale was estimated from (after setting aside clear outliers).
    pub kept: usize,
    /// Degrees of freedom of τ as a scale estimate (≈ 0.37 per value for a MAD).
    pub df: f64,
}

/// Robust random-effects heterogeneity of deviations `dev` (already centred on the common
/// shift) with within-metric standard errors `se`: the τ ≥ 0 by which the deviations vary
/// beyond what their standard errors explain. With every seᵢ = 0 it is the spread of the
/// deviations themselves.
///
/// Two steps, after Rousseeuw & Leroy's one-step reweighting (*Robust Regression and Outlier
/// Detection*, 1987, §5.1): first the MAD solution — the τ for which the standardised
/// deviations dᵢ/√(τ² + seᵢ²) have a MAD-scale of 1 (τ = 0 when they already do); then the
/// values beyond 3 of those standardised units are set aside, and τ is solved again on the
/// rest by their mean square (which a normal cut at ±3 brings down to 0.9733). Nothing beyond
/// the cut enters the scale, so the regressions being looked for do not widen the yardstick
/// that should find them; and the scale of the rest carries ≈ n − 1 degrees of freedom rather
/// than a MAD's 0.37·n. With fewer than 5 values left the MAD solution stands. `dev` and `se`
/// have the same length; an empty input gives τ = 0.
pub fn heterogeneity(dev: &[f64], se: &[f64], scratch: &mut Vec<f64>) -> Heterogeneity {
    let pairs = || dev.iter().copied().zip(se.iter().copied());
    let mad_tau = solve_tau(pairs(), scratch);
    let keep = |d: f64, s: f64| d.abs() <= REWEIGHT_CUT * (mad_tau * mad_tau + s * s).sqrt();
    let kept = pairs().filter(|&(d, s)| keep(d, s)).count();
    if kept < MIN_KEPT {
        return Heterogeneity {
            tau: mad_tau,
            kept: dev.len(),
            df: MAD_DF_PER_VALUE * dev.len() as f64,
        };
    }
    let tau = solve_tau_mean_square(pairs().filter(|&(d, s)| keep(d, s)));
    Heterogeneity {
        tau,
        kept,
        df: (kept - 1) as f64,
    }
}

/// Variance of a standard normal truncated to ±3.
const TRUNCATED_VARIANCE: f64 = 0.9733;

/// τ ≥ 0 with mean(dᵢ²/(τ² + seᵢ²)) = 0.9733. In u = τ² the mean is decreasing and convex,
/// so Newton's method from u = 0 climbs to the root from below without overshooting.
fn solve_tau_mean_square(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> f64 {
    let n = pairs.clone().count() as f64;
    // (mean of d²/(u+s²) − c, its derivative in u)
    let eval = |u: f64| {
        let (mut g, mut dg) = (0.0, 0.0);
        for (d, s) in pairs.clone() {
            let v = u + s * s;
            if v > 0.0 {
                g += d * d / v;
                dg -= d * d / (v * v);
            } else if d != 0.0 {
                return (f64::INFINITY, f64::NEG_INFINITY);
            }
        }
        (g / n - TRUNCATED_VARIANCE, dg / n)
    };
    let (g0, _) = eval(0.0);
    if g0 <= 0.0 {
        return 0.0;
    }
    // With a zero standard error and a non-zero deviation the mean is infinite at u = 0:
    // start where every term is finite.
    let mut u = if g0.is_finite() {
        0.0
    } else {
        pairs.clone().map(|(d, _)| d * d).sum::<f64>() / n * 1e-6
    };
    for _ in 0..60 {
        let (g, dg) = eval(u);
        if g.is_nan() || g <= 0.0 || dg == 0.0 || !dg.is_finite() {
            break;
        }
        let next = u - g / dg;
        if next.is_nan() || next <= u || (next - u) <= 1e-12 * next {
            u = next.max(u);
            break;
        }
        u = next;
    }
    u.max(0.0).sqrt()
}

fn solve_tau(pairs: impl Iterator<Item = (f64, f64)> + Clone, scratch: &mut Vec<f64>) -> f64 {
    let mut scale = |t: f64| {
        scratch.clear();
        scratch.extend(pairs.clone().map(|(d, s)| {
            let v = t * t + s * s;
            if v > 0.0 {
                d.abs() / v.sqrt()
            } else if d == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        }));
        MAD_NORMAL_SCALE * median_select(scratch)
    };
    if pairs.clone().next().is_none() {
        return 0.0;
    }
    let at_zero = scale(0.0);
    if at_zero.is_nan() || at_zero <= 1.0 {
        return 0.0;
    }
    // scale(t) ≤ 1.4826·median|d|/t, so at that t the scale is at most 1.
    let mut abs: Vec<f64> = pairs.clone().map(|(d, _)| d.abs()).collect();
    let mut hi = MAD_NORMAL_SCALE * median_select(&mut abs);
    if hi.is_nan() || hi <= 0.0 {
        return 0.0;
    }
    hi *= 1.0 + 1e-9;
    let mut lo = 0.0;
    // 8 halvings: τ to 0.4% of its bracket (it sets the reweighting cut, and stands only
    // when fewer than five values are left).
    for _ in 0..8 {
        let mid = 0.5 * (lo + hi);
        if scale(mid) > 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Welch–Satterthwaite degrees of freedom of a sum of variance components, each with its own
/// degrees of freedom: (Σvᵢ)² / Σ(vᵢ²/νᵢ). Components with no variance are ignored; `None`
/// when nothing is left.
pub fn satterthwaite(parts: &[(f64, f64)]) -> Option<f64> {
    let total: f64 = parts.iter().map(|(v, _)| v).sum();
    let denom: f64 = parts
        .iter()
        .filter(|(v, df)| *v > 0.0 && *df > 0.0)
        .map(|(v, df)| v * v / df)
        .sum();
    (total > 0.0 && denom > 0.0).then(|| total * total / denom)
}

/// The distribution-free interval of the median of m sorted values (from the binomial
/// distribution of the order statistics: P(x₍ₗ₎ ≤ median ≤ x₍ₘ₋ₗ₊₁₎) = 1 − 2·P(B ≤ l − 1),
/// B ~ Binomial(m, ½)), at the highest confidence not above `conf` that the sample size
/// allows, or at the widest interval when even it falls short. Returns (lower, upper,
/// achieved confidence); `None` for no values.
pub fn median_interval_sorted(sorted: &[f64], conf: f64) -> Option<(f64, f64, f64)> {
    let m = sorted.len();
    if m == 0 {
        return None;
    }
    let mut pmf = 0.5f64.powi(m as i32); // P(B = 0)
    let mut cdf = pmf; // P(B ≤ l − 1), with l = 1
    let mut l = 1; // the lower order statistic, 1-based
    while l < m.div_ceil(2) {
        let next_pmf = pmf * (m - l + 1) as f64 / l as f64; // P(B = l)
        let next_cdf = cdf + next_pmf;
        if 1.0 - 2.0 * next_cdf < conf {
            break;
        }
        (pmf, cdf, l) = (next_pmf, next_cdf, l + 1);
    }
    Some((sorted[l - 1], sorted[m - l], 1.0 - 2.0 * cdf))
}

/// Result of [`rank_shift_test`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankShift {
    /// Two-sided p-value.
    pub p: f64,
    /// Whether the head's values rank above the (shifted) base's: U of head > n₁n₂/2.
    pub head_higher: bool,
    /// The smallest two-sided p the test could give at these sample sizes (1 for one value a
    /// side): above α the test cannot tell and is no veto.
    pub min_attainable: f64,
}

/// Mann–Whitney U of sorted `head` against sorted `base` + `shift` (both ascending), by a
/// merge in O(n₁ + n₂): exact without ties when either side has at most 8 values (scipy's
/// rule), else the normal approximation with tie and continuity corrections
/// (STATISTICS.md §1.2). `None` when a side is empty.
pub fn rank_shift_test(base: &[f64], head: &[f64], shift: f64) -> Option<RankShift> {
    let (n1, n2) = (base.len(), head.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    // U_head = #{(i, j): head_j > base_i + shift} + ½·#{equal}; tie groups for the variance.
    let (mut i, mut j) = (0, 0);
    let mut u_head = 0.0;
    let mut tie_term = 0.0;
    let mut ties = false;
    while i < n1 || j < n2 {
        let b = base.get(i).map(|x| x + shift);
        let h = head.get(j).copied();
        let v = match (b, h) {
            (Some(b), Some(h)) => b.min(h),
            (Some(b), None) => b,
            (None, Some(h)) => h,
            (None, None) => break,
        };
        let (mut cb, mut ch) = (0usize, 0usize);
        while i < n1 && base[i] + shift == v {
            cb += 1;
            i += 1;
        }
        while j < n2 && head[j] == v {
            ch += 1;
            j += 1;
        }
        // Head values at v beat every base value below v (i − cb of them) and tie with cb.
        u_head += ch as f64 * ((i - cb) as f64 + 0.5 * cb as f64);
        let t = (cb + ch) as f64;
        if cb + ch > 1 {
            ties = true;
            tie_term += t * t * t - t;
        }
    }
    let (f1, f2) = (n1 as f64, n2 as f64);
    let mean = f1 * f2 / 2.0;
    let head_higher = u_head > mean;
    let u_max = u_head.max(f1 * f2 - u_head);
    let exact = !ties && (n1 <= 8 || n2 <= 8);
    let (p, min_attainable) = if exact {
        let dist = UDistribution::new(n1, n2).ok()?;
        let p = (2.0 * dist.survival(u_max.round() as i64)).min(1.0);
        let min_p = (2.0 * dist.survival((f1 * f2) as i64)).min(1.0);
        (p, min_p)
    } else {
        let n = f1 + f2;
        let var = f1 * f2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
        let sigma = if var > 0.0 { var.sqrt() } else { 0.0 };
        let full = f1 * f2 / 12.0 * (n + 1.0);
        let min_p = (2.0 * normal_sf((mean - 0.5) / full.sqrt())).min(1.0);
        if sigma > 0.0 {
            let z = (u_max - mean - 0.5) / sigma;
            ((2.0 * normal_sf(z)).min(1.0), min_p)
        } else {
            (1.0, min_p)
        }
    };
    Some(RankShift {
        p,
        head_higher,
        min_attainable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Alternative, MwuMethod, Sample, mann_whitney};

    #[test]
    fn quantiles_and_medians() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&v, 0.25), 2.0);
        assert_eq!(quantile_sorted(&v, 0.5), 3.0);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
        assert_eq!(median_select(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median_select(&mut []).is_nan());
        let mut s = Vec::new();
        assert!((mad_scaled_about(&v, 3.0, &mut s) - 1.4826).abs() < 1e-12);
    }

    #[test]
    fn heterogeneity_is_the_spread_when_own_noise_is_nil() {
        let d = [-0.02, -0.01, 0.0, 0.01, 0.02, 0.03, -0.03];
        let se = [0.0; 7];
        let mut s = Vec::new();
        let h = heterogeneity(&d, &se, &mut s);
        // None beyond 3 MADs: the root mean square of all seven over 0.9733.
        let rms = (d.iter().map(|x| x * x).sum::<f64>() / 7.0 / 0.9733).sqrt();
        assert!((h.tau - rms).abs() < 1e-9, "{h:?} vs {rms}");
        assert_eq!((h.kept, h.df), (7, 6.0));
    }

    #[test]
    fn heterogeneity_is_nil_when_own_noise_explains_the_spread() {
        let d = [-0.02, -0.01, 0.0, 0.01, 0.02, 0.03, -0.03];
        let se = [0.05; 7];
        let mut s = Vec::new();
        assert_eq!(heterogeneity(&d, &se, &mut s).tau, 0.0);
    }

    #[test]
    fn regressions_do_not_widen_the_yardstick() {
        // Twelve quiet metrics (spread ≈ 1%) and four big regressions.
        let mut d: Vec<f64> = (0..12)
            .map(|i| 0.01 * ((i % 5) as f64 - 2.0) / 2.0)
            .collect();
        d.extend([0.4, 0.5, 0.9, 1.2]);
        let se = vec![0.0; d.len()];
        let mut s = Vec::new();
        let h = heterogeneity(&d, &se, &mut s);
        assert_eq!(h.kept, 12, "{h:?}");
        assert!(h.tau < 0.015, "{h:?}");
    }

    #[test]
    fn median_interval_by_order_statistics() {
        let v: Vec<f64> = (1..=5).map(f64::from).collect();
        // m = 5: the widest interval [x1, x5] covers 1 − 2/32 = 93.75%.
        assert_eq!(median_interval_sorted(&v, 0.95), Some((1.0, 5.0, 0.9375)));
        let v: Vec<f64> = (1..=16).map(f64::from).collect();
        // m = 16: [x4, x13] covers 97.9%, [x5, x12] 92.3%.
        let (lo, hi, c) = median_interval_sorted(&v, 0.95).unwrap();
        assert_eq!((lo, hi), (4.0, 13.0));
        assert!((c - 0.97873).abs() < 1e-4, "{c}");
    }

    #[test]
    fn rank_shift_test_matches_mann_whitney() {
        let base = [1.0, 1.2, 1.3, 1.7, 2.0, 2.2, 2.9, 3.1, 3.3, 4.0];
        let head = [1.5, 1.9, 2.5, 2.6, 3.0, 3.4, 3.6, 3.8, 4.4, 5.0];
        for shift in [0.0, 0.25, -0.3] {
            let shifted: Vec<f64> = base.iter().map(|b| b + shift).collect();
            let r = rank_shift_test(&base, &head, shift).unwrap();
            let m = mann_whitney(
                &Sample::new(&shifted).unwrap(),
                &Sample::new(&head).unwrap(),
                Alternative::TwoSided,
                MwuMethod::Auto,
            )
            .unwrap();
            assert!(
                (r.p - m.p).abs() < 1e-12,
                "shift {shift}: {} vs {}",
                r.p,
                m.p
            );
            assert_eq!(r.head_higher, m.u2 > m.u1);
        }
        // Small samples use the exact distribution: 3 vs 3 fully separated gives 0.1.
        let r = rank_shift_test(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], 0.0).unwrap();
        assert!((r.p - 0.1).abs() < 1e-12 && r.head_higher);
        assert!((r.min_attainable - 0.1).abs() < 1e-12);
        // One value a side can never tell.
        let r = rank_shift_test(&[1.0], &[2.0], 0.0).unwrap();
        assert_eq!(r.min_attainable, 1.0);
    }

    #[test]
    fn rank_shift_test_with_ties_matches_mann_whitney() {
        let base = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 5.0];
        let head = [2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 6.0, 7.0];
        let r = rank_shift_test(&base, &head, 0.0).unwrap();
        let m = mann_whitney(
            &Sample::new(&base).unwrap(),
            &Sample::new(&head).unwrap(),
            Alternative::TwoSided,
            MwuMethod::Auto,
        )
        .unwrap();
        assert!((r.p - m.p).abs() < 1e-12, "{} vs {}", r.p, m.p);
    }

    #[test]
    fn locations_of_a_contended_run_keep_a_tight_envelope() {
        // Thirteen fast samples, seventeen twice as slow: the median moves, the envelope not.
        let mut v: Vec<f64> = (0..13).map(|i| (1.0 + 0.001 * i as f64).ln()).collect();
        v.extend((0..17).map(|i| (2.0 + 0.01 * i as f64).ln()));
        v.sort_by(f64::total_cmp);
        let mut s = Vec::new();
        let l = Locations::from_sorted_logs(&v, &mut s);
        assert!(l.median > 0.6);
        assert!(l.min.abs() < 1e-12 && l.q25 < 0.01);
        assert!(
            l.se_min.unwrap() < 0.01 && l.se_q25.unwrap() < 0.01,
            "{l:?}"
        );
    }

    #[test]
    fn satterthwaite_combines_components() {
        assert_eq!(satterthwaite(&[(1.0, 10.0), (0.0, 3.0)]), Some(10.0));
        let df = satterthwaite(&[(1.0, 10.0), (1.0, 10.0)]).unwrap();
        assert!((df - 20.0).abs() < 1e-12);
        assert_eq!(satterthwaite(&[(0.0, 1.0)]), None);
    }
}
