//! The comparison stage: facts about every aligned item, no verdicts.
//!
//! [`cases`] compares each test's outcomes on both sides (counts, failure-rate test);
//! [`metrics`] computes each metric's changes, noise models and common shifts. What the facts
//! mean is decided in `classify`; this stage imports nothing downstream of it.

pub mod cases;
pub mod metrics;
pub mod renames;
