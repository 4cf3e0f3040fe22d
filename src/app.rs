//! The command-line application: arguments in, exit status out.
//!
//! [`run`] takes the arguments and two writers, so tests can run every command in-process;
//! `main.rs` only wires it to the real standard streams. Outcomes map to exit statuses in one
//! place ([`ExitStatus`]): 0 the gate passed (or no gate was asked), 1 the gate failed,
//! 2 unusable input or arguments.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Parser;
use comfy_table::{ContentArrangement, Table, presets};

mod past;
mod trend;

use crate::align::Run;
use crate::cli::{
    BaseKind, Cli, ColorChoice, Command, CompareArgs, InputFormat, ListArgs, ListFormat,
    OutputFormat, RecordArgs, ShowArgs, ShowFormat, StoreCommand,
};
use crate::config::Config;
use crate::ingest::idmap::IdMap;
use crate::ingest::{self, Format as InFormat, ReadOptions};
use crate::model::Snapshot;
use crate::pipeline::{Inputs, PastRuns, analyse};
use crate::report::{Format, RenderOptions, renderer};
use crate::store::{Catalog, RunKind, RunMeta, Selector, Store, Stored, load_many, select_kind};

/// The exit statuses regdiff documents as its interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The gate passed, or no gate was asked for.
    Success = 0,
    /// The gate failed.
    GateFailed = 1,
    /// Unusable input or arguments.
    Unusable = 2,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Where output goes and what it can do.
pub struct Io<'a> {
    /// Standard output.
    pub stdout: &'a mut dyn Write,
    /// Standard error.
    pub stderr: &'a mut dyn Write,
    /// Whether standard output is a terminal (for `--color auto`).
    pub stdout_is_terminal: bool,
}

/// Set by the binary: the process exits when [`run`] returns, so a command may leave what
/// it held to the exit instead of freeing it (see [`exit_after_run`]).
static EXIT_AFTER_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says that the process exits as soon as [`run`] returns: `compare` then leaves its runs
/// and report to the exit rather than freeing them one by one. A program that calls [`run`]
/// more than once must not call this.
pub fn exit_after_run() {
    EXIT_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Runs regdiff with `args` (the first one is the program name).
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let text = e.render().to_string();
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = write!(io.stdout, "{text}");
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        ExitStatus::Unusable
                    } else {
                        ExitStatus::Success
                    }
                }
                _ => {
                    let _ = write!(io.stderr, "{text}");
                    ExitStatus::Unusable
                }
            };
        }
    };
    match dispatch(&cli, io) {
        Ok(status) => status,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitStatus::Success;
            }
            let _ = writeln!(io.stderr, "error: {}", error_text(&e));
            ExitStatus::Unusable
        }
    }
}

/// The error and its causes on one line, each cause once: a message that already quotes its
/// cause (`cannot read: No space left on device (os error 28)`) is not followed by it again.
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    // JSON output fails with serde_json's error, which wraps the write's.
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn dispatch(cli: &Cli, io: &mut Io<'_>) -> Result<ExitStatus> {
    let config = load_config(cli.config.as_deref())?;
    let spec = match (&cli.store, &config.store.url) {
        (Some(s), _) => s.clone(),
        (None, Some(url)) => {
            if url.contains('@') {
                bail!(
                    "regdiff.toml: [store] url holds credentials; give them in REGDIFF_STORE_USER and REGDIFF_STORE_PASSWORD instead, never in the file"
                );
            }
            url.clone()
        }
        (None, None) => "baselines".to_string(),
    };
    let store = crate::store::open(&spec)?;
    let store: &dyn Store = store.as_ref();
    let id_map = IdMap::with_args(config.id_map_rules(), &cli.id_map).map_err(|e| anyhow!(e))?;
    match &cli.command {
        Command::Compare(args) => compare(cli, args, &config, &id_map, store, io),
        Command::Record(args) => record(args, &config, &id_map, store, io),
        Command::List(args) => list(args, store, io),
        Command::Show(args) => show(args, &id_map, store, io),
        Command::Store(cmd) => store_command(cmd, store, io),
        Command::Trend(args) => trend::trend(args, store, io),
        Command::Flaky(args) => trend::flaky(args, store, io),
    }
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => {
            let default = Path::new("regdiff.toml");
            if default.is_file() {
                Ok(Config::load(default)?)
            } else {
                Ok(Config::default())
            }
        }
    }
}

fn read_options(
    f: Option<InputFormat>,
    criterion_baseline: Option<&String>,
    id_map: &IdMap,
) -> ReadOptions {
    ReadOptions {
        id_map: id_map.clone(),
        format: f.map(|f| match f {
            InputFormat::Junit => InFormat::Junit,
            InputFormat::Snapshot => InFormat::Snapshot,
            InputFormat::Criterion => InFormat::Criterion,
            InputFormat::PytestBenchmark => InFormat::PytestBenchmark,
            InputFormat::GoogleBenchmark => InFormat::GoogleBenchmark,
            InputFormat::Hyperfine => InFormat::Hyperfine,
            InputFormat::GoBench => InFormat::GoBench,
            InputFormat::Metrics => InFormat::Metrics,
            InputFormat::Tap => InFormat::Tap,
            InputFormat::GoTestJson => InFormat::GoTest,
            InputFormat::LibtestJson => InFormat::Libtest,
            InputFormat::PytestJson => InFormat::PytestJson,
            InputFormat::Ctrf => InFormat::Ctrf,
            InputFormat::GtestJson => InFormat::GtestJson,
            InputFormat::CargoText => InFormat::CargoText,
        }),
        criterion_baseline: criterion_baseline.cloned(),
    }
}

/// The store's catalog, read once on first use.
struct LazyStore<'s> {
    store: &'s dyn Store,
    catalog: Option<Catalog>,
}

impl<'s> LazyStore<'s> {
    fn get(&mut self) -> Result<&Catalog> {
        if self.catalog.is_none() {
            let catalog = self
                .store
                .catalog()
                .map_err(|e| store_error(self.store, e))?;
            self.catalog = Some(catalog);
        }
        Ok(self.catalog.as_ref().expect("read above"))
    }
}

/// One resolved run: its id and snapshot.
struct Resolved {
    id: String,
    snapshot: Snapshot,
    /// Store id when it came from the store (for history exclusion).
    from_store: bool,
}

impl Resolved {
    /// A stored run, with the id map applied.
    fn stored(s: Stored, id_map: &IdMap) -> Resolved {
        let mut snapshot = s.snapshot;
        id_map.apply(&mut snapshot);
        Resolved {
            id: s.id,
            snapshot,
            from_store: true,
        }
    }
}

/// How stored runs are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Every run whole, each test in its own `tests`: what every reader but the comparison
    /// needs (`show` writes `tests`).
    Whole,
    /// For a side of a comparison: the tests that repeat another run's may be held as
    /// repeats, which only the alignment reads.
    Side,
}

/// Reads stored runs; a run that cannot be read is an error naming it.
fn load_stored(
    store: &dyn Store,
    spec: &str,
    metas: &[&RunMeta],
    id_map: &IdMap,
    reading: Reading,
) -> Result<Vec<Resolved>> {
    // The id map rewrites the tests of each run, so it reads them whole.
    let (loaded, failures) = if reading == Reading::Side && id_map.is_empty() {
        crate::store::load_many_repeating(store, metas)
    } else {
        load_many(store, metas)
    };
    if let Some(e) = failures.into_iter().next() {
        bail!("`{spec}` names a stored run that cannot be read: {e}");
    }
    Ok(loaded
        .into_iter()
        .map(|s| Resolved::stored(s, id_map))
        .collect())
}

/// Reads a SPEC that is an existing path.
fn read_spec_path(spec: &str, opts: &ReadOptions) -> Result<Vec<Resolved>> {
    let snaps = ingest::read_path(Path::new(spec), opts.clone())?;
    let many = snaps.len() > 1;
    Ok(snaps
        .into_iter()
        .enumerate()
        .map(|(i, s)| Resolved {
            id: if many {
                s.sources
                    .first()
                    .cloned()
                    .unwrap_or_else(|| format!("{spec}#{}", i + 1))
            } else {
                spec.to_string()
            },
            snapshot: s,
            from_store: false,
        })
        .collect())
}

/// Resolves a SPEC: an existing path is read; anything else is a store selector.
fn resolve(
    spec: &str,
    opts: &ReadOptions,
    store: &mut LazyStore<'_>,
    reading: Reading,
) -> Result<Vec<Resolved>> {
    resolve_kind(spec, opts, store, RunKind::ANY, reading)
}

/// [`resolve`], where a branch or commit selector picks only runs that hold `kind`.
fn resolve_kind(
    spec: &str,
    opts: &ReadOptions,
    store: &mut LazyStore<'_>,
    kind: RunKind,
    reading: Reading,
) -> Result<Vec<Resolved>> {
    let path = Path::new(spec);
    if path.exists() || ingest::input::is_stdin(path) {
        return read_spec_path(spec, opts);
    }
    let selector = Selector::parse(spec).map_err(|e| {
        anyhow!("`{spec}` is not an existing file or folder, and not a store selector: {e}")
    })?;
    let name = store.store.describe();
    let fs = store.store;
    let catalog = store.get()?;
    let picked = select_kind(catalog, &selector, kind, &name).map_err(|e| {
        anyhow!("`{spec}` is not an existing file or folder, and as a store selector: {e}")
    })?;
    load_stored(fs, spec, &picked, &opts.id_map, reading)
}

fn compare(
    cli: &Cli,
    args: &CompareArgs,
    config: &Config,
    id_map: &IdMap,
    store: &dyn Store,
    io: &mut Io<'_>,
) -> Result<ExitStatus> {
    let mut config = config.clone();
    if let Some(a) = args.alpha {
        if !(a > 0.0 && a < 1.0) {
            bail!("--alpha {a} must lie strictly between 0 and 1");
        }
        config.attribution.alpha = a;
    }
    let gate = if args.gate || args.critical_must_pass || config.gate.is_some() {
        let mut policy = config.gate.clone().unwrap_or_default();
        if args.critical_must_pass {
            policy.critical_must_pass = true;
        }
        Some(policy)
    } else {
        None
    };
    let mut base_specs: Vec<String> = args.base.clone();
    let mut head_specs: Vec<String> = args.head.clone();
    match (&args.base_pos, &args.head_pos) {
        (Some(b), Some(h)) => {
            base_specs.insert(0, b.clone());
            head_specs.insert(0, h.clone());
        }
        (Some(only), None) => {
            // One positional fills the side not given as an option:
            // `compare --base X HEAD` and `compare --head Y BASE` both read naturally.
            match (base_specs.is_empty(), head_specs.is_empty()) {
                (false, true) => head_specs.insert(0, only.clone()),
                (true, false) => base_specs.insert(0, only.clone()),
                (true, true) => bail!(
                    "compare needs a base and a head: `regdiff compare BASE HEAD`, or --base SPEC and --head SPEC"
                ),
                (false, false) => bail!(
                    "`{only}` is given besides --base and --head: say which side it belongs to"
                ),
            }
        }
        (None, _) => {}
    }
    for (side, specs) in [("base", &base_specs), ("head", &head_specs)] {
        let mut seen = std::collections::HashSet::new();
        for spec in specs.iter() {
            let key = std::fs::canonicalize(spec)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| spec.clone());
            if !seen.insert(key) {
                bail!(
                    "`{spec}` is given twice for the {side} side; one run counted twice would double its weight"
                );
            }
        }
    }
    if head_specs.is_empty() {
        bail!("compare needs a head side: `regdiff compare BASE HEAD` or --head SPEC");
    }
    if base_specs.is_empty() && !args.allow_missing_base {
        bail!(
            "compare needs a base side: `regdiff compare BASE HEAD` or --base SPEC (or --allow-missing-base)"
        );
    }
    let opts = read_options(args.input_format, args.criterion_baseline.as_ref(), id_map);
    let opts = &opts;
    let mut lazy = LazyStore {
        store,
        catalog: None,
    };
    let mut warnings = Vec::new();

    let mut timings = Timings::new();
    // Report files are parsed in parallel (both sides, every run); selectors wait for the store.
    let parsed: std::collections::HashMap<&str, Result<Vec<Resolved>>> = {
        use rayon::prelude::*;
        base_specs
            .iter()
            .chain(head_specs.iter())
            .filter(|s| Path::new(s.as_str()).exists() || s.as_str() == "-")
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|s| (s.as_str(), read_spec_path(s, opts)))
            .collect()
    };
    let mut parsed = parsed;
    let mut take = |spec: &str, lazy: &mut LazyStore<'_>| -> Result<Vec<Resolved>> {
        match parsed.remove(spec) {
            Some(r) => r,
            None => resolve(spec, opts, lazy, Reading::Side),
        }
    };
    let mut head: Vec<Resolved> = Vec::new();
    for spec in &head_specs {
        head.extend(
            take(spec, &mut lazy).with_context(|| format!("cannot read the head side `{spec}`"))?,
        );
    }
    // A branch selector on the base side picks a run that holds what the head holds: the
    // latest run of `main` may be its benchmark run when the head is a JUnit report.
    let head_kind = RunKind {
        tests: head.iter().any(|r| r.snapshot.test_count() > 0),
        metrics: head.iter().any(|r| !r.snapshot.metrics.is_empty()),
    };
    let base_kind = match args.base_kind {
        None => head_kind,
        Some(BaseKind::Tests) => RunKind {
            tests: true,
            metrics: false,
        },
        Some(BaseKind::Metrics) => RunKind {
            tests: false,
            metrics: true,
        },
        Some(BaseKind::Any) => RunKind::ANY,
    };
    let mut take = |spec: &str, lazy: &mut LazyStore<'_>| -> Result<Vec<Resolved>> {
        match parsed.remove(spec) {
            Some(r) => r,
            None => resolve_kind(spec, opts, lazy, base_kind, Reading::Side),
        }
    };
    let mut base: Vec<Resolved> = Vec::new();
    for spec in &base_specs {
        match take(spec, &mut lazy) {
            Ok(r) => base.extend(r),
            Err(e) if args.allow_missing_base => {
                warnings.push(format!(
                    "base `{spec}` is missing ({e:#}); compared with --allow-missing-base, so every head test counts as added"
                ));
            }
            Err(e) => return Err(e.context(format!("cannot read the base side `{spec}`"))),
        }
    }
    timings.lap("read inputs");
    if head_kind == RunKind::ANY {
        bail!(
            "the head side ({}) holds no tests and no metrics",
            head_specs.join(", ")
        );
    }
    // The base must hold each kind the head holds: a base of "0 tests, 5 metrics" against a
    // JUnit head would make every test "added" and pass a gate that compared nothing.
    let base_has_tests = base.iter().any(|r| r.snapshot.test_count() > 0);
    let base_has_metrics = base.iter().any(|r| !r.snapshot.metrics.is_empty());
    for (kind, head_has, base_has, chosen) in [
        ("tests", head_kind.tests, base_has_tests, base_kind.tests),
        (
            "metrics",
            head_kind.metrics,
            base_has_metrics,
            base_kind.metrics,
        ),
    ] {
        if !head_has || base_has {
            continue;
        }
        let explicit_other =
            args.base_kind.is_some() && !chosen && args.base_kind != Some(BaseKind::Any);
        if args.allow_missing_base || explicit_other {
            warnings.push(format!(
                "the base side ({}) holds no {kind} while the head holds some: every head {} counts as added",
                base_specs.join(", "),
                if kind == "tests" { "test" } else { "metric" }
            ));
        } else {
            bail!(
                "the base side ({}) holds no {kind} while the head holds some: a missing base is not read as \"everything is new\"; pass --allow-missing-base to accept it{}",
                base_specs.join(", "),
                if base.iter().any(|r| r.from_store) && args.base_kind.is_none() {
                    ", or --base-kind to choose which stored run to compare with"
                } else {
                    ""
                }
            );
        }
    }

    // History: explicit, or the stored runs of the base branch before the base side. Stored
    // runs are streamed for what the evidence asks (the head's failing tests, the metrics),
    // never held whole.
    let mut load_failures = 0;
    let head_runs = as_runs(&head);
    let wanted = crate::pipeline::failing_ids(&head_runs);
    let mut past = PastRuns::default();
    if !args.no_history {
        let base_ids: Vec<&str> = base
            .iter()
            .filter(|r| r.from_store)
            .map(|r| r.id.as_str())
            .collect();
        let head_ids: Vec<&str> = head
            .iter()
            .filter(|r| r.from_store)
            .map(|r| r.id.as_str())
            .collect();
        let head_commits: Vec<&str> = head
            .iter()
            .filter_map(|r| r.snapshot.run.commit.as_deref())
            .collect();
        // History is evidence about the base branch: never the base or head runs themselves,
        // nor any run of a head commit (a head failure must not excuse itself).
        let keep = |id: &str, commit: Option<&str>| {
            !base_ids.contains(&id)
                && !head_ids.contains(&id)
                && commit.is_none_or(|c| !head_commits.contains(&c))
        };
        let mut in_memory: Option<Vec<Resolved>> = None;
        let mut stored: Vec<RunMeta> = Vec::new();
        if let Some(spec) = &args.history {
            let path = Path::new(spec.as_str());
            if path.exists() || ingest::input::is_stdin(path) {
                in_memory = Some(
                    read_spec_path(spec, opts)
                        .with_context(|| format!("cannot read the history `{spec}`"))?,
                );
            } else {
                let selector = Selector::parse(spec).map_err(|e| {
                    anyhow!("cannot read the history `{spec}`: not an existing file or folder, and not a store selector: {e}")
                })?;
                let name = lazy.store.describe();
                let catalog = lazy.get()?;
                stored = crate::store::select(catalog, &selector, &name)
                    .map_err(|e| anyhow!("cannot read the history `{spec}`: {e}"))?
                    .into_iter()
                    .cloned()
                    .collect();
            }
        } else if !base_ids.is_empty() {
            let branch = base_specs
                .iter()
                .filter_map(|s| Selector::parse(s).ok())
                .find_map(|s| s.branch().map(str::to_string));
            if let Some(branch) = branch {
                let catalog = lazy.get()?;
                let oldest = catalog
                    .runs
                    .iter()
                    .position(|s| base_ids.contains(&s.id.as_str()));
                if let Some(oldest) = oldest {
                    stored = catalog.runs[..oldest]
                        .iter()
                        .filter(|s| s.run.branch.as_deref() == Some(branch.as_str()))
                        // A benchmark run is no history of the tests, nor the reverse.
                        .filter(|s| {
                            (base_kind.tests && s.counts.tests > 0)
                                || (base_kind.metrics && s.counts.metrics > 0)
                                || base_kind == RunKind::ANY
                        })
                        .cloned()
                        .collect();
                }
            }
        }
        let before = stored.len() + in_memory.as_ref().map_or(0, Vec::len);
        stored.retain(|m| keep(&m.id, m.run.commit.as_deref()));
        if let Some(runs) = &mut in_memory {
            runs.retain(|r| !r.from_store || keep(&r.id, r.snapshot.run.commit.as_deref()));
            runs.retain(|r| {
                r.snapshot
                    .run
                    .commit
                    .as_deref()
                    .is_none_or(|c| !head_commits.contains(&c))
            });
        }
        let after = stored.len() + in_memory.as_ref().map_or(0, Vec::len);
        if after < before {
            warnings.push(format!(
                "{} history run(s) left out because they are base or head runs or a head commit",
                before - after
            ));
        }
        if let Some(runs) = &in_memory {
            past = PastRuns::from_runs(&as_runs(runs), &config, Some(&wanted));
        } else if !stored.is_empty() {
            let metas: Vec<&RunMeta> = stored.iter().collect();
            let (p, failures) = past::stream(lazy.store, &metas, &config, &wanted, &opts.id_map);
            past = p;
            for f in &failures {
                load_failures += 1;
                let _ = writeln!(io.stderr, "error: stored snapshot unreadable: {f}");
                warnings.push(format!("stored snapshot unreadable and not used: {f}"));
            }
        }
    }
    if let Some(catalog) = &lazy.catalog {
        for f in &catalog.failures {
            load_failures += 1;
            let _ = writeln!(io.stderr, "error: stored snapshot unreadable: {f}");
            warnings.push(format!("stored snapshot unreadable and not used: {f}"));
        }
        for f in &catalog.foreign {
            let _ = writeln!(
                io.stderr,
                "warning: not a snapshot, left alone in the store: {f}"
            );
            warnings.push(format!("not a snapshot, left alone in the store: {f}"));
        }
    }

    let changed_files = match (&args.changed_files, &args.changed_files_from_git) {
        (Some(p), _) => Some(read_changed_files(p)?),
        (None, Some(range)) => Some(git_changed_files(range)?),
        (None, None) => None,
    };

    let inputs = Inputs {
        base: as_runs(&base),
        head: head_runs,
        history: past,
        config: &config,
        changed_files,
        gate,
        warnings,
    };
    timings.lap("prepare");
    let report = analyse(&inputs);
    timings.lap("analyse");

    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Json => Format::Json,
        OutputFormat::Github => Format::Github,
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io.stdout_is_terminal
                && args.output.is_none()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    let opts = RenderOptions {
        color,
        show_unchanged: args.show_unchanged,
    };
    // Written as it is rendered: a report of 100,000 tests is 190 MB of JSON, which a
    // buffer would hold twice over while it grows.
    match &args.output {
        Some(path) => {
            let context = || format!("cannot write the report to {}", path.display());
            let file = std::fs::File::create(path).with_context(context)?;
            let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
            renderer(format)
                .render(&report, &opts, &mut out)
                .with_context(context)?;
            out.flush().with_context(context)?;
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut *io.stdout);
            renderer(format).render(&report, &opts, &mut out)?;
            out.flush()?;
        }
    }
    timings.lap("output");
    timings.report(io.stderr);
    if format == Format::Github
        && let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())
    {
        let mut md = Vec::new();
        renderer(Format::Markdown).render(
            &report,
            &RenderOptions {
                color: false,
                ..opts
            },
            &mut md,
        )?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .with_context(|| {
                format!(
                    "cannot open $GITHUB_STEP_SUMMARY ({})",
                    PathBuf::from(&summary).display()
                )
            })?;
        f.write_all(&md)?;
    }
    let status = if load_failures > 0 {
        ExitStatus::Unusable
    } else if report.gate.passed {
        ExitStatus::Success
    } else {
        ExitStatus::GateFailed
    };
    if EXIT_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        // Freed piece by piece, a million tests and their report took 0.1-0.2 s; the
        // process is about to exit and give the memory back whole.
        std::mem::forget(report);
        std::mem::forget(inputs);
        std::mem::forget(base);
        std::mem::forget(head);
    }
    Ok(status)
}

fn read_changed_files(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the changed-files list {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

fn git_changed_files(range: &str) -> Result<Vec<String>> {
    if !range.contains("..") {
        bail!("--changed-files-from-git takes a range such as `origin/main...HEAD`, got `{range}`");
    }
    let out = std::process::Command::new("git")
        .args(["diff", "--name-only", range])
        .output()
        .context("cannot run `git diff --name-only` (is git installed?)")?;
    if !out.status.success() {
        bail!(
            "`git diff --name-only {range}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn parse_pairs(items: &[String], what: &str) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for item in items {
        let (k, v) = item
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| anyhow!("{what} `{item}` is not KEY=VALUE"))?;
        map.insert(k.trim().to_string(), v.to_string());
    }
    Ok(map)
}

fn record(
    args: &RecordArgs,
    config: &Config,
    id_map: &IdMap,
    store: &dyn Store,
    io: &mut Io<'_>,
) -> Result<ExitStatus> {
    // Recording a snapshot file imports a run made elsewhere: its fingerprint is its own.
    // (Detected before reading: a stream's first bytes are kept for the reader.)
    let imported = args.paths.len() == 1
        && ingest::input::kind(&args.paths[0]).is_ok_and(|k| k != ingest::input::Kind::Dir)
        && matches!(
            args.input_format
                .map(|f| f == InputFormat::Snapshot)
                .or_else(|| ingest::detect(&args.paths[0])
                    .ok()
                    .map(|f| f == InFormat::Snapshot)),
            Some(true)
        );
    let opts = read_options(args.input_format, args.criterion_baseline.as_ref(), id_map);
    if let [path] = args.paths.as_slice()
        && store.saves_in_rows()
        && ingest::stream::streams(path, &opts)
    {
        return record_streamed(args, config, path, store, io);
    }
    let mut snap = ingest::read_one_run(&args.paths, opts)?;
    identify_recorded(&mut snap, args, config, imported)?;
    if snap.tests.is_empty() && snap.metrics.is_empty() {
        bail!(
            "{}: the run holds no tests or metrics; nothing was stored",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for w in &snap.warnings {
        writeln!(io.stderr, "warning: {w}")?;
    }
    let earlier = store.runs_of_commit(
        snap.run.branch.as_deref().unwrap_or_default(),
        snap.run.commit.as_deref().unwrap_or_default(),
    )?;
    let outcome = store.save(&snap)?;
    let tests = snap.tests.len();
    recorded(&snap, tests, &earlier, &outcome, store, io)
}

/// `record` of one regular JUnit file into a store that takes rows: the file is read twice
/// and its tests written to the store as they are read (see `ingest::stream`), in bounded
/// memory; the stored file is the one a whole read would store.
fn record_streamed(
    args: &RecordArgs,
    config: &Config,
    path: &Path,
    store: &dyn Store,
    io: &mut Io<'_>,
) -> Result<ExitStatus> {
    let planned = ingest::stream::plan_junit(path)?;
    let mut snap = Snapshot::new();
    snap.run = planned.head().run.clone();
    snap.env = planned.head().env.clone();
    identify_recorded(&mut snap, args, config, false)?;
    if planned.cases() == 0 {
        bail!(
            "{}: the run holds no tests or metrics; nothing was stored",
            path.display()
        );
    }
    let earlier = store.runs_of_commit(
        snap.run.branch.as_deref().unwrap_or_default(),
        snap.run.commit.as_deref().unwrap_or_default(),
    )?;
    let Some(save) = store.begin_save(&snap.run, &snap.env) else {
        bail!(
            "{}: this store cannot take a run row by row",
            store.describe()
        );
    };
    let mut save = save?;
    let (rest, tests) = ingest::stream::stream_junit(planned, path, &mut |t| save.test(t))
        .map_err(|e| match e {
            ingest::stream::StreamError::Write(e) => {
                anyhow!("{}: cannot write the snapshot: {e}", store.describe())
            }
            e => e.into(),
        })?;
    snap.warnings = rest.warnings;
    snap.sources = rest.sources;
    snap.properties = rest.properties;
    for w in &snap.warnings {
        writeln!(io.stderr, "warning: {w}")?;
    }
    let outcome = save.commit(&snap.warnings, &snap.sources, &snap.properties)?;
    recorded(&snap, tests as usize, &earlier, &outcome, store, io)
}

/// Gives a run to record its branch, commit, time, labels and fingerprint, from the
/// arguments, the CI's variables and the report.
fn identify_recorded(
    snap: &mut Snapshot,
    args: &RecordArgs,
    config: &Config,
    imported: bool,
) -> Result<()> {
    let (ci_branch, ci_commit) = crate::fingerprint::ci_branch_commit();
    let branch = args
        .branch
        .clone()
        .or(snap.run.branch.clone())
        .or(ci_branch);
    let commit = args
        .commit
        .clone()
        .or(snap.run.commit.clone())
        .or(ci_commit);
    let Some(branch) = branch.filter(|b| !b.trim().is_empty()) else {
        bail!("record needs --branch (no CI branch variable is set)");
    };
    crate::store::check_branch_name(&branch).map_err(|e| anyhow!("{e}"))?;
    let Some(commit) = commit.filter(|c| !c.trim().is_empty()) else {
        bail!("record needs --commit (no CI commit variable is set)");
    };
    let time = match &args.time {
        Some(t) => {
            let ts: jiff::Timestamp = t
                .parse()
                .map_err(|e| anyhow!("--time `{t}` is not an RFC 3339 time: {e}"))?;
            ts.to_string()
        }
        None => snap
            .run
            .time
            .as_deref()
            .and_then(crate::store::parse_time)
            .unwrap_or_else(jiff::Timestamp::now)
            .to_string(),
    };
    snap.run.branch = Some(branch);
    snap.run.commit = Some(commit);
    snap.run.time = Some(time);
    snap.run
        .labels
        .extend(parse_pairs(&args.labels, "--label")?);
    if !args.no_env && !imported {
        let mut vars = config.record.env.clone();
        vars.extend(args.env.iter().cloned());
        let toolchains = parse_pairs(&args.toolchains, "--toolchain")?;
        let host_from_report = snap.env.host.clone();
        snap.env = crate::fingerprint::capture(&vars, &toolchains);
        if snap.env.host.is_none() {
            snap.env.host = host_from_report;
        }
    }
    Ok(())
}

/// What `record` says once the run is stored: other runs of the same commit, stale
/// temporary files, and where the run went.
fn recorded(
    snap: &Snapshot,
    tests: usize,
    earlier: &[RunMeta],
    outcome: &crate::store::SaveOutcome,
    store: &dyn Store,
    io: &mut Io<'_>,
) -> Result<ExitStatus> {
    let others: Vec<&RunMeta> = earlier.iter().filter(|s| s.id != outcome.id).collect();
    let other_machine: Vec<&&RunMeta> = others
        .iter()
        .filter(|s| !fingerprint_differences(&s.env, &snap.env).is_empty())
        .collect();
    if !others.is_empty() {
        let diff = other_machine
            .first()
            .map(|o| {
                let d = fingerprint_differences(&o.env, &snap.env);
                if d.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", d.join("; "))
                }
            })
            .unwrap_or_default();
        writeln!(
            io.stderr,
            "warning: branch `{}` already has {} run(s) of commit {} ({}){}; {}. Both are kept: `{}@{}` picks the latest by run time, `{}[N]` and the history count each run, as reruns of the same code",
            snap.run.branch.as_deref().unwrap_or_default(),
            others.len(),
            snap.run.commit.as_deref().unwrap_or_default(),
            others
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            diff,
            if other_machine.is_empty() {
                "recorded with the same fingerprint".to_string()
            } else {
                format!(
                    "{} recorded with a different fingerprint",
                    other_machine.len()
                )
            },
            snap.run.branch.as_deref().unwrap_or_default(),
            snap.run.commit.as_deref().unwrap_or_default(),
            snap.run.branch.as_deref().unwrap_or_default(),
        )?;
    }
    if let Ok(stale) = store.stale_temps()
        && let Some(w) = crate::store::stale_warning(&stale)
    {
        writeln!(io.stderr, "warning: {w}")?;
    }
    let what = if outcome.already_stored {
        "already stored as"
    } else {
        "stored"
    };
    writeln!(
        io.stdout,
        "{what} {} ({} tests, {} metrics, {} warnings) in {}",
        outcome.id,
        tests,
        snap.metrics.len(),
        snap.warnings.len(),
        outcome.location
    )?;
    Ok(ExitStatus::Success)
}

/// The fields in which two fingerprints differ, as `host a → b` (the informational CI
/// variables are left out: they change with every job).
fn fingerprint_differences(
    a: &crate::model::EnvFingerprint,
    b: &crate::model::EnvFingerprint,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push(format!(
                "{name} {} → {}",
                x.as_deref().unwrap_or("-"),
                y.as_deref().unwrap_or("-")
            ));
        }
    };
    field("host", a.host.clone(), b.host.clone());
    field("os", a.os.clone(), b.os.clone());
    field("kernel", a.kernel.clone(), b.kernel.clone());
    field("cpu", a.cpu.clone(), b.cpu.clone());
    field(
        "cores",
        a.cores.map(|c| c.to_string()),
        b.cores.map(|c| c.to_string()),
    );
    for (name, x, y) in [
        ("toolchain", &a.toolchains, &b.toolchains),
        ("env", &a.vars, &b.vars),
    ] {
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            field(&format!("{name} {k}"), x.get(k).cloned(), y.get(k).cloned());
        }
    }
    out
}

fn store_command(cmd: &StoreCommand, store: &dyn Store, io: &mut Io<'_>) -> Result<ExitStatus> {
    match cmd {
        StoreCommand::Check => {
            let report = store.check()?;
            for p in &report.problems {
                writeln!(io.stdout, "problem: {p}")?;
            }
            for (path, size) in &report.stale_temps {
                writeln!(
                    io.stdout,
                    "stale: {} ({}), left by a write that never finished; `regdiff store gc` removes it",
                    path.display(),
                    crate::units::fmt_bytes(*size)
                )?;
            }
            writeln!(
                io.stdout,
                "{}: {} snapshot(s) checked, {} problem(s), {} stale temporary file(s)",
                store.describe(),
                report.checked,
                report.problems.len(),
                report.stale_temps.len()
            )?;
            Ok(
                if report.problems.is_empty() && report.stale_temps.is_empty() {
                    ExitStatus::Success
                } else {
                    ExitStatus::GateFailed
                },
            )
        }
        StoreCommand::Copy { from, to, branch } => store_copy(from, to, branch.as_deref(), io),
        StoreCommand::Gc { older_than } => {
            let removed = store.gc(older_than.saturating_mul(60))?;
            for (path, size) in &removed {
                writeln!(
                    io.stdout,
                    "removed {} ({})",
                    path.display(),
                    crate::units::fmt_bytes(*size)
                )?;
            }
            let bytes: u64 = removed.iter().map(|(_, n)| n).sum();
            writeln!(
                io.stdout,
                "{}: removed {} temporary file(s), {}",
                store.describe(),
                removed.len(),
                crate::units::fmt_bytes(bytes)
            )?;
            Ok(ExitStatus::Success)
        }
    }
}

/// A store that cannot be read, named once: a server's error already names its URL.
fn store_error(store: &dyn Store, e: crate::error::StoreError) -> anyhow::Error {
    let name = store.describe();
    if e.to_string().contains(&name) {
        anyhow::Error::new(e).context("cannot read the store")
    } else {
        anyhow::Error::new(e).context(format!("cannot read the store {name}"))
    }
}

/// `regdiff store copy`: every run of one store into another, in parallel, ids kept.
fn store_copy(from: &str, to: &str, branch: Option<&str>, io: &mut Io<'_>) -> Result<ExitStatus> {
    use rayon::prelude::*;
    if !crate::store::clickhouse::is_url(from) && !Path::new(from).is_dir() {
        bail!("{from}: no such store folder");
    }
    let source = crate::store::open(from)?;
    let target = crate::store::open(to)?;
    let catalog = source
        .catalog()
        .map_err(|e| store_error(source.as_ref(), e))?;
    let runs: Vec<&RunMeta> = catalog
        .runs
        .iter()
        .filter(|m| branch.is_none_or(|b| m.run.branch.as_deref() == Some(b)))
        .collect();
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(runs.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("copying {pos}/{len} runs {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Read a batch at a time (one request per table for a database), saved in parallel.
    let mut results: Vec<Result<(bool, u64)>> = Vec::with_capacity(runs.len());
    for chunk in runs.chunks(32) {
        let loaded = source.load_batch(chunk);
        results.par_extend(chunk.par_iter().zip(loaded).map(|(m, snap)| {
            let snap = snap.map_err(|e| anyhow!("cannot read run {}: {e}", m.id))?;
            let outcome = target.save_as(&snap, &m.id)?;
            bar.inc(1);
            Ok((
                outcome.already_stored,
                snap.tests.len() as u64 + snap.metrics.len() as u64,
            ))
        }));
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let (mut copied, mut present, mut rows, mut failed) = (0u64, 0u64, 0u64, 0u64);
    for r in results {
        match r {
            Ok((true, _)) => present += 1,
            Ok((false, n)) => {
                copied += 1;
                rows += n;
            }
            Err(e) => {
                failed += 1;
                writeln!(io.stderr, "error: {}", error_text(&e))?;
            }
        }
    }
    for f in &catalog.failures {
        failed += 1;
        writeln!(io.stderr, "error: unreadable, not copied: {f}")?;
    }
    writeln!(
        io.stdout,
        "{} -> {}: copied {copied} run(s) ({rows} test and metric rows) in {secs:.1} s ({:.0} rows/s); {present} already there; {failed} failed",
        source.describe(),
        target.describe(),
        rows as f64 / secs.max(1e-9)
    )?;
    Ok(if failed > 0 {
        ExitStatus::GateFailed
    } else {
        ExitStatus::Success
    })
}

fn list(args: &ListArgs, store: &dyn Store, io: &mut Io<'_>) -> Result<ExitStatus> {
    let loaded = store.catalog()?;
    if let Some(w) = loaded.stale_warning() {
        writeln!(io.stderr, "warning: {w}")?;
    }
    if loaded.runs.is_empty() && loaded.failures.is_empty() {
        // An empty table alone does not tell a mistyped --store from an empty store.
        writeln!(io.stderr, "{}: no stored runs", store.describe())?;
    }
    let rows: Vec<&RunMeta> = loaded
        .runs
        .iter()
        .filter(|s| {
            args.branch
                .as_deref()
                .is_none_or(|b| s.run.branch.as_deref() == Some(b))
        })
        .collect();
    match args.format {
        ListFormat::Json => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "id": s.id,
                        "run": s.run,
                        "tests": s.counts.tests,
                        "metrics": s.counts.metrics,
                        "warnings": s.counts.warnings,
                    })
                })
                .collect();
            crate::report::json::write_pretty(&mut *io.stdout, &v)?;
        }
        ListFormat::Table => {
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(140)
                .set_header(vec![
                    "id", "branch", "commit", "time", "tests", "metrics", "warnings",
                ]);
            for s in &rows {
                let r = &s.run;
                t.add_row(vec![
                    s.id.clone(),
                    r.branch.clone().unwrap_or_default(),
                    r.commit
                        .clone()
                        .unwrap_or_default()
                        .chars()
                        .take(12)
                        .collect(),
                    r.time.clone().unwrap_or_default(),
                    s.counts.tests.to_string(),
                    s.counts.metrics.to_string(),
                    s.counts.warnings.to_string(),
                ]);
            }
            writeln!(io.stdout, "{t}")?;
            writeln!(
                io.stdout,
                "{} snapshot(s) in {}{}",
                rows.len(),
                store.describe(),
                if loaded.failures.is_empty() {
                    String::new()
                } else {
                    format!(", {} unreadable", loaded.failures.len())
                }
            )?;
        }
    }
    for f in &loaded.failures {
        writeln!(io.stderr, "error: stored snapshot unreadable: {f}")?;
    }
    for f in &loaded.foreign {
        writeln!(
            io.stderr,
            "warning: not a snapshot, left alone in the store: {f}"
        )?;
    }
    Ok(if loaded.failures.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Unusable
    })
}

fn show(args: &ShowArgs, id_map: &IdMap, store: &dyn Store, io: &mut Io<'_>) -> Result<ExitStatus> {
    let mut lazy = LazyStore {
        store,
        catalog: None,
    };
    let opts = read_options(args.input_format, args.criterion_baseline.as_ref(), id_map);
    if args.format == ShowFormat::Json && ingest::stream::streams(Path::new(&args.spec), &opts) {
        // A large JUnit file is written as it is read, in bounded memory.
        ingest::stream::show_json_junit(Path::new(&args.spec), &mut *io.stdout)?;
        return Ok(ExitStatus::Success);
    }
    let runs = resolve(&args.spec, &opts, &mut lazy, Reading::Whole)?;
    match args.format {
        ShowFormat::Json => {
            if runs.len() == 1 {
                crate::report::json::write_pretty(&mut *io.stdout, &runs[0].snapshot)?;
            } else {
                let all: Vec<&Snapshot> = runs.iter().map(|r| &r.snapshot).collect();
                crate::report::json::write_pretty(&mut *io.stdout, &all)?;
            }
        }
        ShowFormat::Summary => {
            for r in &runs {
                let s = &r.snapshot;
                let count =
                    |st: crate::model::Status| s.tests.iter().filter(|t| t.status == st).count();
                let retried = s.tests.iter().filter(|t| t.attempts.len() > 1).count();
                writeln!(io.stdout, "{}", r.id)?;
                writeln!(
                    io.stdout,
                    "  run: branch {}, commit {}, time {}",
                    s.run.branch.as_deref().unwrap_or("-"),
                    s.run.commit.as_deref().unwrap_or("-"),
                    s.run.time.as_deref().unwrap_or("-")
                )?;
                writeln!(
                    io.stdout,
                    "  tests: {} ({} passed, {} failed, {} errored, {} skipped; {} with retries)",
                    s.tests.len(),
                    count(crate::model::Status::Passed),
                    count(crate::model::Status::Failed),
                    count(crate::model::Status::Errored),
                    count(crate::model::Status::Skipped),
                    retried
                )?;
                writeln!(io.stdout, "  metrics: {}", s.metrics.len())?;
                if let Some(h) = &s.env.host {
                    writeln!(io.stdout, "  host: {h}")?;
                }
                for w in &s.warnings {
                    writeln!(io.stdout, "  warning: {w}")?;
                }
            }
        }
    }
    let failures = lazy.catalog.as_ref().map_or(0, |l| l.failures.len());
    if let Some(l) = &lazy.catalog {
        for f in &l.failures {
            writeln!(io.stderr, "error: stored snapshot unreadable: {f}")?;
        }
    }
    Ok(if failures > 0 {
        ExitStatus::Unusable
    } else {
        ExitStatus::Success
    })
}

fn as_runs(v: &[Resolved]) -> Vec<Run<'_>> {
    v.iter()
        .map(|r| Run {
            id: &r.id,
            snapshot: &r.snapshot,
        })
        .collect()
}

/// Stage timings, printed to standard error when `REGDIFF_TIMINGS` is set (for profiling
/// reports; not part of the output contract).
struct Timings {
    on: bool,
    start: std::time::Instant,
    last: std::time::Instant,
    /// Stage, its time, and the process's resident memory after it (Linux only).
    laps: Vec<(&'static str, std::time::Duration, Option<u64>)>,
}

/// The process's resident memory in KiB, read from `/proc/self/status` (`None` elsewhere).
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Timings {
    fn new() -> Self {
        let now = std::time::Instant::now();
        Timings {
            on: std::env::var_os("REGDIFF_TIMINGS").is_some_and(|v| !v.is_empty()),
            start: now,
            last: now,
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        if self.on {
            let now = std::time::Instant::now();
            self.laps.push((stage, now - self.last, resident_kib()));
            self.last = now;
        }
    }

    fn report(&self, out: &mut dyn Write) {
        if !self.on {
            return;
        }
        let total = self.last - self.start;
        for (stage, d, rss) in &self.laps {
            let rss = rss.map_or(String::new(), |k| {
                format!(", {:.0} MiB resident", k as f64 / 1024.0)
            });
            let _ = writeln!(
                out,
                "timing: {stage:<12} {:>9.1} ms {:>5.1}%{rss}",
                d.as_secs_f64() * 1e3,
                100.0 * d.as_secs_f64() / total.as_secs_f64().max(1e-12)
            );
        }
        let _ = writeln!(
            out,
            "timing: {:<12} {:>9.1} ms",
            "total",
            total.as_secs_f64() * 1e3
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12, defect 12: the OS error's text was printed twice, once in the message and
    /// once as its cause.
    #[test]
    fn defect_12_an_os_error_is_printed_once() {
        let io = std::io::Error::from_raw_os_error(28);
        let e = anyhow::Error::new(crate::error::IngestError::io("/x/y.json", io))
            .context("cannot read the head side `y.json`");
        let text = error_text(&e);
        assert_eq!(text.matches("No space left on device").count(), 1, "{text}");
        assert!(text.starts_with("cannot read the head side `y.json`: /x/y.json: cannot read"));
    }
}
