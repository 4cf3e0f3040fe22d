//! Validated samples and robust descriptive statistics.
//!
//! A [`Sample`] is a non-empty list of finite values; a [`LogSample`] is a list of strictly
//! positive timings together with their natural logarithms. Every constructor checks its input
//! once, so the statistics downstream never see NaN, infinities or non-positive timings.

use super::error::{StatsError, check_finite};

/// Scale factor that makes the MAD a consistent estimator of σ for normal data:
/// 1/Φ⁻¹(3/4) ≈ 1.4826 (Rousseeuw & Croux 1993, JASA 88:1273–1283).
pub const MAD_NORMAL_SCALE: f64 = 1.4826;

/// A non-empty sample of finite values. Keeps the values in input order and a sorted copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    values: Vec<f64>,
    sorted: Vec<f64>,
}

impl Sample {
    /// Validate and copy `values`: rejects an empty slice and any NaN or infinite value.
    pub fn new(values: &[f64]) -> Result<Self, StatsError> {
        Self::from_vec(values.to_vec())
    }

    /// Like [`Sample::new`] but takes ownership of the vector.
    pub fn from_vec(values: Vec<f64>) -> Result<Self, StatsError> {
        if values.is_empty() {
            return Err(StatsError::Empty { what: "sample" });
        }
        check_finite("sample", &values)?;
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        Ok(Self { values, sorted })
    }

    /// Validate timings: like [`Sample::new`], and additionally every value must be > 0.
    pub fn positive(values: &[f64]) -> Result<Self, StatsError> {
        let s = Self::new(values)?;
        s.check_positive()?;
        Ok(s)
    }

    fn check_positive(&self) -> Result<(), StatsError> {
        match self.values.iter().enumerate().find(|(_, v)| **v <= 0.0) {
            Some((index, &value)) => Err(StatsError::NonPositive {
                what: "sample",
                index,
                value,
            }),
            None => Ok(()),
        }
    }

    /// Number of observations (always ≥ 1).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always `false` (a `Sample` cannot be empty); provided for API completeness.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values in input order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The values sorted ascending (by `f64::total_cmp`).
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// Smallest value.
    pub fn min(&self) -> f64 {
        self.sorted[0]
    }

    /// Largest value.
    pub fn max(&self) -> f64 {
        self.sorted[self.sorted.len() - 1]
    }

    /// `true` when all values are equal.
    pub fn is_constant(&self) -> bool {
        self.min() == self.max()
    }

    /// `true` when at least two values are equal.
    pub fn has_ties(&self) -> bool {
        self.sorted.windows(2).any(|w| w[0] == w[1])
    }

    /// Median: the middle order statistic, or the mean of the two middle ones for even n.
    pub fn median(&self) -> f64 {
        median_of_sorted(&self.sorted)
    }

    /// Raw median absolute deviation: median(|x − median(x)|).
    pub fn mad(&self) -> f64 {
        let m = self.median();
        let mut dev: Vec<f64> = self.sorted.iter().map(|x| (x - m).abs()).collect();
        dev.sort_by(f64::total_cmp);
        median_of_sorted(&dev)
    }

    /// MAD scaled to estimate σ under normality: 1.4826 · [`Sample::mad`].
    pub fn mad_scaled(&self) -> f64 {
        MAD_NORMAL_SCALE * self.mad()
    }

    /// Sample quantile of Hyndman & Fan (1996, Am. Stat. 50:361–365) type 7, the default of
    /// R and numpy (`method='linear'`): h = (n−1)p, linear interpolation between order
    /// statistics ⌊h⌋ and ⌊h⌋+1 (0-based), with numpy's `_lerp` arithmetic.
    ///
    /// Errors if `p` is not in [0, 1].
    pub fn quantile(&self, p: f64) -> Result<f64, StatsError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(StatsError::InvalidParameter {
                name: "quantile probability",
                value: p,
                reason: "must lie in [0, 1]",
            });
        }
        Ok(quantile_type7_sorted(&self.sorted, p))
    }

    /// Arithmetic mean.
    pub fn mean(&self) -> f64 {
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }

    /// Unbiased variance (ddof = 1), two-pass algorithm. Exactly 0 for a constant sample.
    ///
    /// Errors if n < 2.
    pub fn variance(&self) -> Result<f64, StatsError> {
        let n = self.values.len();
        if n < 2 {
            return Err(StatsError::TooFewObservations {
                what: "variance",
                needed: 2,
                got: n,
            });
        }
        if self.is_constant() {
            return Ok(0.0);
        }
        let m = self.mean();
        let ss: f64 = self.values.iter().map(|x| (x - m) * (x - m)).sum();
        Ok(ss / (n - 1) as f64)
    }

    /// Standard deviation (ddof = 1). Errors if n < 2.
    pub fn std_dev(&self) -> Result<f64, StatsError> {
        self.variance().map(f64::sqrt)
    }

    /// Number of values outside median ± k · 1.4826 · MAD (a data-quality flag;
    /// STATISTICS.md §1.1 suggests k = 3). A zero MAD flags every value ≠ median.
    pub fn count_outliers(&self, k: f64) -> usize {
        let m = self.median();
        let fence = k * self.mad_scaled();
        self.values
            .iter()
            .filter(|x| (*x - m).abs() > fence)
            .count()
    }

    /// A new sample of natural logarithms. Errors if any value is ≤ 0.
    pub fn ln(&self) -> Result<Sample, StatsError> {
        self.check_positive()?;
        Sample::from_vec(self.values.iter().map(|v| v.ln()).collect())
    }
}

/// A sample of strictly positive timings together with its natural logarithms.
///
/// Timing comparisons work on log time (STATISTICS.md §1.1), so effects are ratios.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSample {
    raw: Sample,
    logs: Sample,
}

impl LogSample {
    /// Validate timings (non-empty, finite, all > 0) and take logarithms.
    pub fn new(times: &[f64]) -> Result<Self, StatsError> {
        let raw = Sample::positive(times)?;
        let logs = raw.ln()?;
        Ok(Self { raw, logs })
    }

    /// Build from an already validated sample; errors if any value is ≤ 0.
    pub fn from_sample(raw: Sample) -> Result<Self, StatsError> {
        let logs = raw.ln()?;
        Ok(Self { raw, logs })
    }

    /// The raw timings.
    pub fn raw(&self) -> &Sample {
        &self.raw
    }

    /// The natural logarithms of the timings (same order as [`LogSample::raw`]).
    pub fn logs(&self) -> &Sample {
        &self.logs
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Always `false`; provided for API completeness.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// Median of an already sorted, non-empty slice (mean of the two middle values for even n).
pub(super) fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    debug_assert!(n > 0);
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Type-7 quantile of a sorted non-empty slice, `p` in [0, 1] (numpy `linear`, incl. its
/// `_lerp` that interpolates from the upper end when the fraction is ≥ 0.5).
pub(super) fn quantile_type7_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    debug_assert!(n > 0);
    let h = (n - 1) as f64 * p;
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}
