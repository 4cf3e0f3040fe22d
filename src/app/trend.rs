//! `regdiff trend` and `regdiff flaky`: a branch's stored runs, oldest first, streamed from
//! the store into a [`crate::history::History`] (metrics per run, one byte per test per run),
//! analysed by [`crate::trend::analyse_history`] and rendered by [`crate::report::trend`].

use anyhow::{Context as _, Result, bail};

use super::{ExitStatus, Io};
use crate::cli::{FlakyArgs, ListFormat, TrendArgs, TrendFormat};
use crate::history::History;
use crate::report::trend as render;
use crate::store::{Catalog, RunMeta, Store};
use crate::trend::{Trend, TrendOptions, analyse_history};

/// The branch's runs, oldest first (the store's chronological order), the last `last`.
fn history_runs<'a>(
    catalog: &'a Catalog,
    store: &dyn Store,
    branch: &str,
    last: Option<usize>,
) -> Result<Vec<&'a RunMeta>> {
    let runs: Vec<&RunMeta> = catalog
        .runs
        .iter()
        .filter(|s| s.run.branch.as_deref() == Some(branch))
        .collect();
    if runs.is_empty() {
        let mut branches: Vec<&str> = catalog
            .runs
            .iter()
            .filter_map(|s| s.run.branch.as_deref())
            .collect();
        branches.sort_unstable();
        branches.dedup();
        bail!(
            "no stored run of branch `{branch}` in {} (branches there: {})",
            store.describe(),
            if branches.is_empty() {
                "none".to_string()
            } else {
                branches.join(", ")
            }
        );
    }
    if last == Some(0) {
        bail!("--last must be at least 1");
    }
    let from = last.map_or(0, |n| runs.len().saturating_sub(n));
    Ok(runs[from..].to_vec())
}

/// The branch's history, streamed from the store with a progress bar on a terminal (hidden
/// elsewhere); unreadable runs are reported and left out.
fn load(store: &dyn Store, branch: &str, last: Option<usize>, io: &mut Io<'_>) -> Result<History> {
    let catalog = store.catalog().map_err(|e| super::store_error(store, e))?;
    if let Some(w) = catalog.stale_warning() {
        writeln!(io.stderr, "warning: {w}")?;
    }
    for f in &catalog.failures {
        writeln!(io.stderr, "warning: skipped an unreadable snapshot: {f}")?;
    }
    let runs = history_runs(&catalog, store, branch, last)?;
    let bar = indicatif::ProgressBar::new(runs.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("reading {pos}/{len} runs {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (history, failures) = store.history(&runs, &|| bar.inc(1));
    bar.finish_and_clear();
    for f in &failures {
        writeln!(io.stderr, "warning: skipped an unreadable snapshot: {f}")?;
    }
    Ok(history)
}

pub(super) fn trend(args: &TrendArgs, store: &dyn Store, io: &mut Io<'_>) -> Result<ExitStatus> {
    if !(args.threshold > 0.0 && args.threshold < 1.0) {
        bail!(
            "--threshold {} must be a ratio between 0 and 1 (0.05 is 5%)",
            args.threshold
        );
    }
    let history = load(store, &args.branch, args.last, io)?;
    let options = TrendOptions {
        threshold: args.threshold,
        min_flaky_runs: args.min_flaky_runs,
        ..TrendOptions::default()
    };
    let t = analyse_history(&args.branch, &history, options);
    if let Some(path) = &args.html {
        std::fs::write(path, render::html(&t))
            .with_context(|| format!("cannot write the HTML page {}", path.display()))?;
    }
    match args.format {
        TrendFormat::Table => write!(io.stdout, "{}", render::terminal(&t, 20))?,
        TrendFormat::Markdown => write!(io.stdout, "{}", render::markdown(&t))?,
        TrendFormat::Json => {
            crate::report::json::write_pretty(&mut *io.stdout, &render::json(&t))?;
        }
    }
    if let Some(path) = &args.html {
        writeln!(io.stderr, "wrote {}", path.display())?;
    }
    Ok(if args.gate && !t.latest_after_regression().is_empty() {
        ExitStatus::GateFailed
    } else {
        ExitStatus::Success
    })
}

pub(super) fn flaky(args: &FlakyArgs, store: &dyn Store, io: &mut Io<'_>) -> Result<ExitStatus> {
    let history = load(store, &args.branch, args.last, io)?;
    let options = TrendOptions {
        min_flaky_runs: args.min_flaky_runs,
        ..TrendOptions::default()
    };
    let t: Trend = analyse_history(&args.branch, &history, options);
    match args.format {
        ListFormat::Table => write!(io.stdout, "{}", render::flaky_text(&t))?,
        ListFormat::Json => {
            let doc = render::json(&t);
            let v = serde_json::json!({
                "schema": render::TREND_SCHEMA,
                "branch": t.branch,
                "runs": t.runs.len(),
                "tests_seen": t.tests_seen,
                "flaky": doc["flaky"],
                "tests": doc["tests"],
            });
            crate::report::json::write_pretty(&mut *io.stdout, &v)?;
        }
    }
    Ok(ExitStatus::Success)
}
