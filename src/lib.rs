//! regdiff: a before/after regression-diff engine for test results.
//!
//! It answers, for every test of a change, one question honestly: did this change make
//! things worse, better, or did something outside the code move? The flow (DESIGN.md):
//!
//! ```text
//! report files ──ingest──▶ Snapshot ──store──▶ baselines/ (loaded in parallel)
//!        base side, head side, history ──align──▶ compare ──▶ attribute ──▶ classify
//!                                              ──▶ pass rate, gate ──▶ report (table, Markdown, JSON, GitHub)
//! ```
//!
//! Each stage is one module with data types between them: [`ingest`] reads inputs into
//! [`model`] types, [`store`] keeps snapshots, [`history`] holds what a branch's past runs say, row by row, [`align`] pairs items by id, [`compare`] states
//! facts, [`attribute`] gathers evidence, [`classify`] alone decides verdicts, [`gate`] applies
//! the policy, and [`report`] renders without computing. [`stats`] holds the pure statistics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod align;
pub mod app;
pub mod attribute;
pub mod classify;
pub mod cli;
pub mod compare;
pub mod config;
pub mod error;
pub mod fingerprint;
pub mod gate;
pub mod history;
pub mod ingest;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod signature;
pub mod stats;
pub mod store;
pub mod trend;
pub mod units;
