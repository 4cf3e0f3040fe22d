//! Statistics for the before/after regression diff (base = before, head = after).
//!
//! Pure functions, no I/O. Inputs are validated once ([`Sample`], [`LogSample`]) and every
//! failure is a [`StatsError`]; NaN never comes out of bad data. Timings are analysed on the
//! log scale, so effects are ratios head/base. The methods, their formulas and the edge-case
//! policies follow `shared/STATISTICS.md`; the test vectors are `shared/oracles/*.json`.
//!
//! Direction conventions: two-sample functions taking `(x, y)` / `(a, b)` follow scipy (the
//! first sample against the second: [`mann_whitney`], [`welch_t`]); functions taking
//! `(base, head)` report head − base, i.e. ln(head/base) for timings, where "greater" means
//! "head slower" ([`hodges_lehmann`], [`welch_log_ratio`], [`z_test_known_sigma`],
//! [`bootstrap_log_median_ratio`]).
//!
//! | module | contents |
//! | --- | --- |
//! | [`error`] | [`StatsError`], the single error type |
//! | [`common`] | [`Interval`] and [`Alternative`] (scipy's meaning: first sample vs second) |
//! | [`sample`] | validated samples, median, MAD, type-7 quantile, mean, variance, ln |
//! | [`dist`] | normal, Student's t, Beta (CDF, survival, quantiles), incomplete beta |
//! | [`rates`] | Wilson (± cc), Jeffreys, Clopper–Pearson intervals; two-proportion z |
//! | [`fisher`] | Fisher's exact test (2×2), log-safe for large tables |
//! | [`binom`] | binomial tails, Beta posterior of a failure rate, rerun counts |
//! | [`rank`] | Mann–Whitney U (exact, asymptotic, permutation), minimum attainable p |
//! | [`hl`] | Hodges–Lehmann shift and ratio with exact / large-sample intervals |
//! | [`welch`] | Welch t-test and ratio of geometric means |
//! | [`ztest`] | z-test with a known (history) noise level |
//! | [`multiple`] | Bonferroni, Holm, Hommel, Benjamini–Hochberg, Benjamini–Yekutieli |
//! | [`bootstrap`] | seeded, thread-count-independent bootstrap (percentile, BCa) |
//! | [`shift`] | common environmental shift and per-metric deviations |
//! | [`robust`] | a run's location statistics, group heterogeneity, median interval, shifted rank test |
//! | [`trend`] | Mann–Kendall trend test (exact for small n), Theil–Sen slope with Sen's interval |
//! | [`edivisive`] | E-divisive Q̂ of a split, and the best split of a window |

pub mod binom;
pub mod bootstrap;
pub mod common;
pub mod dist;
pub mod edivisive;
pub mod error;
pub mod fisher;
pub mod hl;
pub mod multiple;
pub mod rank;
pub mod rates;
pub mod robust;
pub mod sample;
pub mod shift;
pub mod trend;
pub mod welch;
pub mod ztest;

pub use binom::{
    BetaPosterior, RunCounts, binomial_cdf, binomial_sf, fit_beta_prior_moments,
    reruns_to_bound_failure_rate, reruns_to_observe_failure, reruns_to_reject_flaky,
};
pub use bootstrap::{
    BootstrapConfig, BootstrapResult, SplitMix64, Xoshiro256StarStar, bootstrap_log_median_ratio,
    seed_from_str,
};
pub use common::{Alternative, Interval};
pub use dist::{
    beta_cdf, beta_quantile, beta_quantile_upper, beta_sf, normal_cdf, normal_quantile, normal_sf,
    t_cdf, t_quantile, t_sf,
};
pub use error::StatsError;
pub use fisher::{FisherResult, fisher_exact};
pub use hl::{HlInterval, HlRatioResult, HlResult, hodges_lehmann, hodges_lehmann_log};
pub use multiple::{benjamini_hochberg, benjamini_yekutieli, bonferroni, holm, hommel};
pub use rank::{
    MwuMethod, MwuMethodUsed, MwuResult, UDistribution, mann_whitney, mwu_min_attainable_p,
};
pub use rates::{
    TwoProportionZ, clopper_pearson, jeffreys, jeffreys_modified, two_proportion_z, wilson,
    wilson_cc,
};
pub use sample::{LogSample, MAD_NORMAL_SCALE, Sample};
pub use shift::{CommonShift, MetricDeviation, common_shift};
pub use welch::{
    WelchLogOutcome, WelchLogResult, WelchOutcome, WelchResult, welch_log_ratio, welch_t,
};
pub use ztest::{ZTestLogResult, ZTestResult, z_test_known_sigma, z_test_log_known_sigma};
