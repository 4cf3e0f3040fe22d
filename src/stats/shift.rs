//! Common (environmental) shift across many metrics and per-metric deviations from it
//! (STATISTICS.md §4).

use super::dist::{normal_cdf, normal_sf};
use super::error::{StatsError, check_finite};
use super::sample::{MAD_NORMAL_SCALE, median_of_sorted};

/// Factor relating the standard error of a median to that of a mean under normality, √(π/2).
pub const MEDIAN_SE_FACTOR: f64 = 1.253;

/// One metric's position relative to the common shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDeviation {
    /// The metric's log-ratio r_b (input).
    pub log_ratio: f64,
    /// Its standard error se_b (input).
    pub std_error: f64,
    /// r_b − c: the change beyond the common shift.
    pub deviation: f64,
    /// z_b = (r_b − c)/√(se_b² + s_c²); `None` when that denominator is 0 (no noise information).
    pub z: Option<f64>,
    /// One-sided p-value Φ̄(z_b) for "moved up beyond the common shift" (regression of a
    /// timing); `None` with `z`.
    pub p_greater: Option<f64>,
    /// One-sided p-value Φ(z_b) for "moved down beyond the common shift"; `None` with `z`.
    pub p_less: Option<f64>,
    /// |r_b − c| ≤ k·√(se_b² + s²): the metric moved together with the others.
    pub within_band: bool,
}

/// Result of [`common_shift`].
#[derive(Debug, Clone, PartialEq)]
pub struct CommonShift {
    /// Common shift c = median_b r_b (breakdown point 50 %).
    pub center: f64,
    /// Spread s = 1.4826·MAD_b(r_b − c).
    pub spread: f64,
    /// Uncertainty of c: s_c = 1.253·s/√B.
    pub center_se: f64,
    /// Band multiplier k used for `within_band` and `share_within`.
    pub k: f64,
    /// Share of metrics within k·√(se_b² + s²) of c (≥ 0.8 suggests an environmental shift).
    pub share_within: f64,
    /// Per-metric deviations, in input order.
    pub metrics: Vec<MetricDeviation>,
}

/// Estimate the common shift of B metrics' log-ratios `log_ratios` (e.g. HL estimates of
/// ln(head/base)) with standard errors `std_errors`, and each metric's deviation from it.
///
/// c = median r_b; s = 1.4826·MAD(r_b − c); s_c = 1.253·s/√B;
/// within_b ⇔ |r_b − c| ≤ k·√(se_b² + s²); z_b = (r_b − c)/√(se_b² + s_c²), p = Φ̄(z_b) / Φ(z_b).
/// Errors on empty input, mismatched lengths, non-finite values, negative standard errors or
/// k not finite and ≥ 0.
pub fn common_shift(
    log_ratios: &[f64],
    std_errors: &[f64],
    k: f64,
) -> Result<CommonShift, StatsError> {
    if log_ratios.is_empty() {
        return Err(StatsError::Empty { what: "log-ratios" });
    }
    if log_ratios.len() != std_errors.len() {
        return Err(StatsError::LengthMismatch {
            what: "log-ratios vs standard errors",
            left: log_ratios.len(),
            right: std_errors.len(),
        });
    }
    check_finite("log-ratios", log_ratios)?;
    check_finite("standard errors", std_errors)?;
    if let Some(&value) = std_errors.iter().find(|v| **v < 0.0) {
        return Err(StatsError::InvalidParameter {
            name: "standard error",
            value,
            reason: "must be ≥ 0",
        });
    }
    if !(k.is_finite() && k >= 0.0) {
        return Err(StatsError::InvalidParameter {
            name: "k",
            value: k,
            reason: "must be finite and ≥ 0",
        });
    }
    let mut sorted = log_ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let center = median_of_sorted(&sorted);
    let mut abs_dev: Vec<f64> = log_ratios.iter().map(|r| (r - center).abs()).collect();
    abs_dev.sort_by(f64::total_cmp);
    let spread = MAD_NORMAL_SCALE * median_of_sorted(&abs_dev);
    let center_se = MEDIAN_SE_FACTOR * spread / (log_ratios.len() as f64).sqrt();

    let metrics: Vec<MetricDeviation> = log_ratios
        .iter()
        .zip(std_errors)
        .map(|(&r, &se)| {
            let deviation = r - center;
            let band = k * (se * se + spread * spread).sqrt();
            let denom = (se * se + center_se * center_se).sqrt();
            let z = (denom > 0.0).then(|| deviation / denom);
            MetricDeviation {
                log_ratio: r,
                std_error: se,
                deviation,
                z,
                p_greater: z.map(normal_sf),
                p_less: z.map(normal_cdf),
                within_band: deviation.abs() <= band,
            }
        })
        .collect();
    let share_within =
        metrics.iter().filter(|m| m.within_band).count() as f64 / metrics.len() as f64;
    Ok(CommonShift {
        center,
        spread,
        center_se,
        k,
        share_within,
        metrics,
    })
}
