//! The single error type of the statistics module.

use thiserror::Error;

/// Everything that can go wrong when a statistic is asked for invalid or insufficient input.
///
/// The statistics functions never propagate NaN from bad data: they reject it here instead.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// A sample (or another list that must not be empty) had no values.
    #[error("empty input: {what} must contain at least one value")]
    Empty {
        /// What was empty (e.g. "sample", "log-ratios").
        what: &'static str,
    },
    /// A value was NaN or infinite.
    #[error("{what}[{index}] = {value} is not a finite number")]
    NonFinite {
        /// What the value belongs to.
        what: &'static str,
        /// Position of the offending value.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A timing was zero or negative (timings are analysed on the log scale and must be > 0).
    #[error("{what}[{index}] = {value} is not > 0 (timings must be positive to take logarithms)")]
    NonPositive {
        /// What the value belongs to.
        what: &'static str,
        /// Position of the offending value.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Too few observations for the requested statistic (e.g. a variance needs 2).
    #[error("{what} needs at least {needed} observations per sample, got {got}")]
    TooFewObservations {
        /// The statistic that was requested.
        what: &'static str,
        /// Minimum number of observations.
        needed: usize,
        /// Number of observations supplied.
        got: usize,
    },
    /// A confidence level outside the open interval (0, 1).
    #[error("confidence level must be in (0, 1), got {0}")]
    InvalidConfidence(f64),
    /// A number of trials of zero where a proportion is needed.
    #[error("number of trials must be > 0 to estimate a proportion")]
    ZeroTrials,
    /// A count larger than its number of trials.
    #[error("count {k} exceeds the number of trials {n}")]
    CountExceedsTrials {
        /// The count (successes or failures).
        k: f64,
        /// The number of trials.
        n: f64,
    },
    /// A scalar parameter outside its domain.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The value supplied.
        value: f64,
        /// What the domain is.
        reason: &'static str,
    },
    /// Two parallel input slices with different lengths.
    #[error("{what}: length mismatch ({left} vs {right})")]
    LengthMismatch {
        /// Which inputs disagree.
        what: &'static str,
        /// Length of the first input.
        left: usize,
        /// Length of the second input.
        right: usize,
    },
    /// An exact computation whose cost exceeds the configured limit.
    #[error(
        "{what} is too large to compute exactly (cost {cost:.3e} > limit {limit:.3e}); use the asymptotic method"
    )]
    TooLarge {
        /// The computation that was refused.
        what: &'static str,
        /// Estimated number of elementary operations.
        cost: f64,
        /// Limit on that number.
        limit: f64,
    },
}

/// Check that every value is finite (no NaN, no infinity); the error names the first that is not.
pub(super) fn check_finite(what: &'static str, values: &[f64]) -> Result<(), StatsError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Check that a confidence level lies in (0, 1).
pub(super) fn check_conf(conf: f64) -> Result<(), StatsError> {
    if conf.is_finite() && conf > 0.0 && conf < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidConfidence(conf))
    }
}

/// Check that a probability lies in the open interval (0, 1).
pub(super) fn check_open_unit(name: &'static str, value: f64) -> Result<(), StatsError> {
    if value.is_finite() && value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name,
            value,
            reason: "must lie strictly between 0 and 1",
        })
    }
}

/// Check that a value is finite and strictly positive.
pub(super) fn check_positive(name: &'static str, value: f64) -> Result<(), StatsError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name,
            value,
            reason: "must be finite and > 0",
        })
    }
}
