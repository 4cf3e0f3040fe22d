//! The base branch's stored history for `compare`, streamed from the store: each history run
//! is read row by row for what the analysis asks of it (the head's failing tests, for the
//! evidence E3; every metric's statistics, for the history noise model) and never held whole.

use std::collections::HashSet;

use crate::compare::metrics::{HistoryRun, HistoryRunRows};
use crate::config::Config;
use crate::error::IngestError;
use crate::history::{RunObservations, TestHistory};
use crate::ingest::idmap::IdMap;
use crate::ingest::snapshot_lines::{Sink, TestRow, TestsWanted};
use crate::model::Metric;
use crate::pipeline::PastRuns;
use crate::store::{RunMeta, Store, load_many};

/// One history run's rows, for the test window, the metric window or both.
struct PastRows<'w> {
    tests: Option<RunObservations<'w>>,
    metrics: Option<HistoryRunRows>,
}

impl Sink for PastRows<'_> {
    fn test(&mut self, row: TestRow<'_>) {
        if let Some(t) = &mut self.tests {
            t.test(row);
        }
    }

    fn metric(&mut self, metric: Metric) {
        if let Some(m) = &mut self.metrics {
            m.metric(metric);
        }
    }

    fn tests_wanted(&self) -> TestsWanted<'_> {
        match &self.tests {
            Some(t) => t.tests_wanted(),
            None => TestsWanted::None,
        }
    }

    fn wants_metrics(&self) -> bool {
        self.metrics.is_some()
    }
}

/// The history of `runs` (oldest first) with the configured windows, keeping the tests in
/// `wanted`; the runs that could not be read apart. With an id map, runs are read whole so
/// that the map applies to them as to every other run.
pub(super) fn stream<S: Store + ?Sized>(
    store: &S,
    runs: &[&RunMeta],
    config: &Config,
    wanted: &HashSet<String>,
    id_map: &IdMap,
) -> (PastRuns, Vec<IngestError>) {
    let tw = config.attribution.history_window;
    let mw = config.metrics.history_window;
    let runs = &runs[runs.len().saturating_sub(tw.max(mw))..];
    if !id_map.is_empty() {
        let (mut loaded, failures) = load_many(store, runs);
        for s in &mut loaded {
            id_map.apply(&mut s.snapshot);
        }
        let as_runs: Vec<crate::align::Run<'_>> = loaded
            .iter()
            .map(|s| crate::align::Run {
                id: &s.id,
                snapshot: &s.snapshot,
            })
            .collect();
        return (
            PastRuns::from_runs(&as_runs, config, Some(wanted)),
            failures,
        );
    }
    let n = runs.len();
    let position = |m: &RunMeta| runs.iter().position(|r| r.id == m.id).unwrap_or(0);
    let mut past = PastRuns {
        branch: runs.iter().find_map(|r| r.run.branch.clone()),
        ..PastRuns::default()
    };
    let mut tests = TestHistory::default();
    let mut metrics: Vec<HistoryRun> = Vec::new();
    let failures = crate::store::stream(
        store,
        runs,
        |m| {
            let i = position(m);
            PastRows {
                tests: (i + tw >= n).then(|| RunObservations::new(&m.id, Some(wanted))),
                metrics: (i + mw >= n).then(HistoryRunRows::default),
            }
        },
        |m, rows| {
            if let Some(t) = rows.tests {
                tests.append(t);
            }
            if let Some(r) = rows.metrics {
                metrics.push(r.finish(&m.id, m.run.commit.clone()));
            }
        },
    );
    past.tests = tests;
    past.metrics = metrics;
    (past, failures)
}
