//! Command-line arguments (clap derive). Validation and the work itself live in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ROOT_EXAMPLES: &str = "\
Examples:
  # compare two runs given as report files or folders (one run each)
  regdiff compare baselines/examples/websocket-auth/base baselines/examples/websocket-auth/head

  # store a run in the baseline store (baselines/ by default)
  regdiff record target/junit.xml --branch main --commit \"$SHA\"

  # compare a pull request's run with the last 10 runs of main, fail the job on regressions
  regdiff compare --base 'main[10]' --head pr-123.xml --gate --format markdown > comment.md

Exit status: 0 the gate passed (or no gate was asked), 1 the gate failed, 2 unusable input or
arguments.";

/// Before/after regression diff of test results: per test, did this change make things
/// worse, better, or did something outside the code move?
#[derive(Debug, Parser)]
#[command(name = "regdiff", version, after_long_help = ROOT_EXAMPLES, after_help = ROOT_EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Baseline store: a folder, or a ClickHouse database as
    /// clickhouse://HOST[:PORT]/DATABASE (user and password from REGDIFF_STORE_USER and
    /// REGDIFF_STORE_PASSWORD) [default: the config's [store] url, else baselines].
    #[arg(long, global = true, value_name = "DIR|URL")]
    pub store: Option<String>,
    /// Configuration file [default: ./regdiff.toml when it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// When to colour terminal output (NO_COLOR is respected by `auto`).
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Rewrite test ids: every match of PATTERN (a regular expression) becomes
    /// REPLACEMENT (`$1` for groups), after the config's [[id_map]] rules. Repeatable.
    #[arg(long, global = true, value_name = "'PATTERN => REPLACEMENT'")]
    pub id_map: Vec<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare a base side with a head side and give every test and metric a verdict with evidence.
    #[command(after_long_help = COMPARE_EXAMPLES, after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Read a run's report files and store it as a snapshot in the baseline store.
    #[command(after_long_help = RECORD_EXAMPLES, after_help = RECORD_EXAMPLES)]
    Record(RecordArgs),
    /// List the snapshots in the baseline store.
    #[command(after_long_help = LIST_EXAMPLES, after_help = LIST_EXAMPLES)]
    List(ListArgs),
    /// Show a run (report file, folder, snapshot file or store selector) as regdiff reads it.
    #[command(after_long_help = SHOW_EXAMPLES, after_help = SHOW_EXAMPLES)]
    Show(ShowArgs),
    /// Look after the baseline store: verify it, remove what killed writes left.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Over the stored runs of a branch: where each metric and the pass rate stepped, at
    /// which commit, by how much; outliers, slow drift and flaky tests.
    #[command(after_long_help = TREND_EXAMPLES, after_help = TREND_EXAMPLES)]
    Trend(TrendArgs),
    /// The tests of a branch's stored runs ranked by flakiness, with intervals.
    #[command(after_long_help = TREND_EXAMPLES, after_help = TREND_EXAMPLES)]
    Flaky(FlakyArgs),
}

const TREND_EXAMPLES: &str = "\
History order: the run time given to `record --time` (else the time it was recorded), then
the snapshot id for runs of the same time.

Examples:
  regdiff trend --branch main                          # a sparkline per metric with findings
  regdiff trend --branch main --last 200 --html trend.html
  regdiff trend --branch main --format json            # the regdiff.trend/1 document
  regdiff trend --branch main --gate                   # exit 1 if the latest run sits after a regression step
  regdiff flaky --branch main --last 100

Exit status: 0 (or 1 with --gate when the latest run sits after a regression change point),
2 unusable input.";

/// Arguments of `trend`.
#[derive(Debug, Args)]
pub struct TrendArgs {
    /// The branch whose stored runs form the history.
    #[arg(long)]
    pub branch: String,
    /// Only the last N runs.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Output format on standard output.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: TrendFormat,
    /// Also write one self-contained HTML page with a chart per metric.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Practical threshold: relative changes below it are not reported.
    #[arg(long, default_value_t = 0.05, value_name = "RATIO")]
    pub threshold: f64,
    /// Exit 1 when the latest run sits after a regression change point.
    #[arg(long)]
    pub gate: bool,
    /// Executed runs a test needs before it can be called flaky.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub min_flaky_runs: u64,
}

/// Arguments of `flaky`.
#[derive(Debug, Args)]
pub struct FlakyArgs {
    /// The branch whose stored runs form the history.
    #[arg(long)]
    pub branch: String,
    /// Only the last N runs.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Executed runs a test needs before it can be called flaky.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub min_flaky_runs: u64,
}

/// Formats of `trend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrendFormat {
    /// Text for a terminal.
    Table,
    /// Markdown.
    Markdown,
    /// The regdiff.trend/1 JSON document.
    Json,
}

/// `regdiff store …`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Verify every snapshot (it parses; its name matches its content's id and hash) and
    /// list temporary files left by killed writes. Changes nothing; exits 1 on a problem.
    Check,
    /// Remove temporary files left by writes that never finished. Snapshots are never
    /// touched.
    Gc {
        /// Only temporary files at least this many minutes old (a write in progress is
        /// younger).
        #[arg(long, value_name = "MINUTES", default_value_t = 60)]
        older_than: u64,
    },
    /// Copy every run from one store to another (a folder or clickhouse://…), keeping ids:
    /// runs already in the target are left as they are.
    Copy {
        /// The store to read.
        #[arg(long, value_name = "DIR|URL")]
        from: String,
        /// The store to write.
        #[arg(long, value_name = "DIR|URL")]
        to: String,
        /// Only the runs of this branch.
        #[arg(long)]
        branch: Option<String>,
    },
}

const COMPARE_EXAMPLES: &str = "\
A SPEC is a report file, `-` for standard input, a folder or a store selector. Test reports:
JUnit XML, TAP, `go test -json`, pytest-json-report, libtest JSON (cargo test / nextest) and
CTRF; benchmarks: Google Benchmark, pytest-benchmark, hyperfine, Go benchmark text, regdiff
metrics JSON and criterion folders; regdiff snapshot files. A folder's report files together
are one run; a folder of snapshots, or of report files that each repeat the same tests, is one
run per file. Store selectors:
  main            the latest snapshot of branch main
  main[10]        the last 10 snapshots of main (an error if fewer are stored)
  main@3f2a1b9    the latest snapshot of main at that commit
  id:NAME         one snapshot by its id (see `regdiff list`)
An existing path wins over a selector of the same name.

Examples:
  regdiff compare base.xml head.xml
  regdiff compare --base run1.xml --base run2.xml --head run3.xml --head run4.xml
  regdiff compare --base 'main[10]' --head target/junit.xml --gate
  regdiff compare --base main --head pr.xml --changed-files-from-git origin/main...HEAD
  regdiff compare base.xml head.xml --format json --output report.json
  regdiff compare base/benchmark.json head/benchmark.json          # Google Benchmark
  regdiff compare --base 'main[5]' --head target/criterion --gate   # criterion vs stored runs

Exit status: 0 the gate passed (or no --gate), 1 the gate failed, 2 unusable input.";

const RECORD_EXAMPLES: &str = "\
Several paths together form one run (Gradle and Surefire write one file per class).
--branch and --commit default to the CI's variables (GITHUB_HEAD_REF/GITHUB_REF_NAME,
GITHUB_SHA, CI_COMMIT_REF_NAME, CI_COMMIT_SHA, BUILDKITE_BRANCH, BUILDKITE_COMMIT).

Examples:
  regdiff record target/nextest/ci/junit.xml --branch main --commit \"$(git rev-parse HEAD)\"
  regdiff record build/test-results/test --branch main --commit \"$SHA\" --label job=linux
  regdiff record junit.xml --branch main --commit \"$SHA\" --env RUSTFLAGS --toolchain rustc=1.95.0
  regdiff record target/criterion --branch main --commit \"$SHA\"     # benchmarks";

const LIST_EXAMPLES: &str = "\
Examples:
  regdiff list
  regdiff list --branch main --format json";

const SHOW_EXAMPLES: &str = "\
Examples:
  regdiff show target/junit.xml
  regdiff show target/junit.xml --format json     # the snapshot `record` would store
  regdiff show 'main[3]'";

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Base side (shorthand for one --base).
    #[arg(value_name = "BASE")]
    pub base_pos: Option<String>,
    /// Head side (shorthand for one --head).
    #[arg(value_name = "HEAD")]
    pub head_pos: Option<String>,
    /// A base run or selector; repeat for several runs.
    #[arg(long = "base", value_name = "SPEC")]
    pub base: Vec<String>,
    /// A head run or selector; repeat for several runs.
    #[arg(long = "head", value_name = "SPEC")]
    pub head: Vec<String>,
    /// History of the base branch for known failures and flakiness [default: the stored
    /// runs of the base branch before the base side, when the base is a store selector].
    #[arg(long, value_name = "SELECTOR", conflicts_with = "no_history")]
    pub history: Option<String>,
    /// Use no history.
    #[arg(long)]
    pub no_history: bool,
    /// Apply the gate policy and exit 1 when it fails (a `[gate]` section in regdiff.toml
    /// turns it on too).
    #[arg(long)]
    pub gate: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Changed files, one path a line: a failing test in one of them is never excused.
    #[arg(long, value_name = "FILE", conflicts_with = "changed_files_from_git")]
    pub changed_files: Option<PathBuf>,
    /// Read changed files from `git diff --name-only BASE...HEAD`.
    #[arg(long, value_name = "BASE...HEAD")]
    pub changed_files_from_git: Option<String>,
    /// Accept a base that is missing or empty, or that holds no tests (or no metrics) where
    /// the head holds some: those then count as added.
    #[arg(long)]
    pub allow_missing_base: bool,
    /// Which stored runs a branch selector (`--base main`) may pick [default: runs that hold
    /// what the head holds: tests, metrics, or both].
    #[arg(long, value_enum, value_name = "KIND")]
    pub base_kind: Option<BaseKind>,
    /// Also list unchanged tests.
    #[arg(long)]
    pub show_unchanged: bool,
    /// Fail the gate when a `critical` test does not pass on every head run (implies --gate).
    #[arg(long)]
    pub critical_must_pass: bool,
    /// Significance level of the exact tests [default: 0.05, or regdiff.toml].
    #[arg(long, value_name = "ALPHA")]
    pub alpha: Option<f64>,
    /// Input format of report files [default: detected from each file's content].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// The criterion baseline to read from a criterion folder [default: `new`, or the only
    /// one there is].
    #[arg(long, value_name = "NAME")]
    pub criterion_baseline: Option<String>,
}

/// Arguments of `record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Report files or folders that together form one run.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Branch of the run.
    #[arg(long)]
    pub branch: Option<String>,
    /// Commit of the run.
    #[arg(long)]
    pub commit: Option<String>,
    /// Time of the run, RFC 3339 [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
    /// A label KEY=VALUE; repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// An environment variable to keep in the fingerprint; repeatable.
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
    /// A toolchain version NAME=VERSION for the fingerprint; repeatable.
    #[arg(long = "toolchain", value_name = "NAME=VERSION")]
    pub toolchains: Vec<String>,
    /// Do not capture this machine's fingerprint (host, OS, CPU…).
    #[arg(long)]
    pub no_env: bool,
    /// Input format of report files [default: detected from each file's content].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// The criterion baseline to read from a criterion folder [default: `new`, or the only
    /// one there is].
    #[arg(long, value_name = "NAME")]
    pub criterion_baseline: Option<String>,
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only snapshots of this branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: ListFormat,
}

/// Arguments of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A report file, folder, snapshot file or store selector.
    #[arg(value_name = "SPEC")]
    pub spec: String,
    /// `summary` for people, `json` for the normalised snapshot.
    #[arg(long, short = 'f', value_enum, default_value = "summary")]
    pub format: ShowFormat,
    /// Input format of report files [default: detected from each file's content].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// The criterion baseline to read from a criterion folder [default: `new`, or the only
    /// one there is].
    #[arg(long, value_name = "NAME")]
    pub criterion_baseline: Option<String>,
}

/// The kind of stored run a base selector may pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BaseKind {
    /// Runs that hold test results.
    Tests,
    /// Runs that hold metrics (benchmarks).
    Metrics,
    /// Any run (the latest, whatever it holds).
    Any,
}

/// Report formats of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables for a terminal.
    Table,
    /// Markdown for a pull-request comment.
    Markdown,
    /// JSON with every number (regdiff.report/1).
    Json,
    /// GitHub Actions annotations; the job summary goes to $GITHUB_STEP_SUMMARY.
    Github,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// JUnit XML.
    Junit,
    /// TAP (Test Anything Protocol) 12–14.
    Tap,
    /// `go test -json` event stream.
    GoTestJson,
    /// libtest JSON events (`cargo test -- -Z unstable-options --format json`, nextest).
    LibtestJson,
    /// pytest-json-report (`pytest --json-report`).
    PytestJson,
    /// CTRF JSON (ctrf.io).
    Ctrf,
    /// Google Test JSON (`--gtest_output=json`).
    GtestJson,
    /// `cargo test`'s plain text output (libtest's human format).
    CargoText,
    /// regdiff snapshot JSON.
    Snapshot,
    /// A criterion output folder.
    Criterion,
    /// pytest-benchmark JSON.
    PytestBenchmark,
    /// Google Benchmark JSON.
    GoogleBenchmark,
    /// hyperfine JSON.
    Hyperfine,
    /// Go benchmark text (`go test -bench`).
    GoBench,
    /// regdiff's generic metrics JSON.
    Metrics,
}

/// Formats of `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Table,
    /// JSON.
    Json,
}

/// Formats of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// Counts and metadata.
    Summary,
    /// The normalised snapshot.
    Json,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}
