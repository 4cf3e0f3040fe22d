//! `regdiff trend` and `regdiff flaky`: a branch's stored runs, oldest first, analysed by
//! [`crate::trend::analyse`] and rendered by [`crate::report::trend`].

use anyhow::{Context as _, Result, bail};

use super::{ExitStatus, Io};
use crate::cli::{FlakyArgs, ListFormat, TrendArgs, TrendFormat};
use crate::model::Snapshot;
use crate::report::trend as render;
use crate::store::fs::FsStore;
use crate::store::{Loaded, Store, Stored};
use crate::trend::{Trend, TrendOptions, analyse};

/// The store's snapshots, with a progress bar on a terminal (hidden elsewhere).
fn load(store: &FsStore, io: &mut Io<'_>) -> Result<Loaded> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("loading {pos}/{len} snapshots {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let loaded = store.load_all_with(&|n| bar.set_length(n as u64), &|| bar.inc(1));
    bar.finish_and_clear();
    let loaded = loaded?;
    if let Some(w) = loaded.stale_warning() {
        writeln!(io.stderr, "warning: {w}")?;
    }
    for f in &loaded.failures {
        writeln!(io.stderr, "warning: skipped an unreadable snapshot: {f}")?;
    }
    Ok(loaded)
}

/// The branch's runs, oldest first (the store's chronological order), the last `last`.
fn history<'a>(
    loaded: &'a Loaded,
    store: &FsStore,
    branch: &str,
    last: Option<usize>,
) -> Result<Vec<&'a Stored>> {
    let runs: Vec<&Stored> = loaded
        .snapshots
        .iter()
        .filter(|s| s.snapshot.run.branch.as_deref() == Some(branch))
        .collect();
    if runs.is_empty() {
        let mut branches: Vec<&str> = loaded
            .snapshots
            .iter()
            .filter_map(|s| s.snapshot.run.branch.as_deref())
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

fn analysed(runs: &[&Stored], branch: &str, options: TrendOptions) -> Trend {
    let pairs: Vec<(&str, &Snapshot)> = runs.iter().map(|s| (s.id.as_str(), &s.snapshot)).collect();
    analyse(branch, &pairs, options)
}

pub(super) fn trend(args: &TrendArgs, store: &FsStore, io: &mut Io<'_>) -> Result<ExitStatus> {
    if !(args.threshold > 0.0 && args.threshold < 1.0) {
        bail!(
            "--threshold {} must be a ratio between 0 and 1 (0.05 is 5%)",
            args.threshold
        );
    }
    let loaded = load(store, io)?;
    let runs = history(&loaded, store, &args.branch, args.last)?;
    let options = TrendOptions {
        threshold: args.threshold,
        min_flaky_runs: args.min_flaky_runs,
        ..TrendOptions::default()
    };
    let t = analysed(&runs, &args.branch, options);
    if let Some(path) = &args.html {
        std::fs::write(path, render::html(&t))
            .with_context(|| format!("cannot write the HTML page {}", path.display()))?;
    }
    match args.format {
        TrendFormat::Table => write!(io.stdout, "{}", render::terminal(&t, 20))?,
        TrendFormat::Markdown => write!(io.stdout, "{}", render::markdown(&t))?,
        TrendFormat::Json => {
            serde_json::to_writer_pretty(&mut *io.stdout, &render::json(&t))?;
            writeln!(io.stdout)?;
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

pub(super) fn flaky(args: &FlakyArgs, store: &FsStore, io: &mut Io<'_>) -> Result<ExitStatus> {
    let loaded = load(store, io)?;
    let runs = history(&loaded, store, &args.branch, args.last)?;
    let options = TrendOptions {
        min_flaky_runs: args.min_flaky_runs,
        ..TrendOptions::default()
    };
    let t = analysed(&runs, &args.branch, options);
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
            serde_json::to_writer_pretty(&mut *io.stdout, &v)?;
            writeln!(io.stdout)?;
        }
    }
    Ok(ExitStatus::Success)
}
