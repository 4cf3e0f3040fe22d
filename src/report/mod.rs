//! The analysed report and its renderers.
//!
//! [`Report`] is the one result of a comparison; every output format renders it and none
//! computes anything (hyperfine's exporters and nextest's reporter work the same way). The
//! JSON form of `Report` is a contract (`regdiff.report/1`, see DESIGN.md): fields may be
//! added, the existing ones keep their meaning.

pub mod diff;
pub mod github;
pub mod json;
pub mod markdown;
pub mod table;
pub mod trend;

use std::io::{self, Write};

use serde::Serialize;

use crate::attribute::EnvDifference;
pub use crate::classify::pass_rate::{PassRate, Rate, SuiteSummary};
use crate::compare::cases::SideCounts;
pub use crate::model::Summary;
use crate::model::{Change, Evidence, Name, Verdict};
pub use crate::units::{fmt_p, fmt_pct};
use diff::DiffSpan;

/// The schema tag of the JSON report.
pub const REPORT_SCHEMA: &str = "regdiff.report/1";

/// The result of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// What the base side was made of.
    pub base: SideInfo,
    /// What the head side was made of.
    pub head: SideInfo,
    /// The history used for attribution, if any.
    pub history: HistoryInfo,
    /// The gate decision.
    pub gate: GateOutcome,
    /// Count of items per verdict.
    pub summary: Summary,
    /// Pass rate over the common tests.
    pub pass_rate: PassRate,
    /// Per-suite breakdown.
    pub suites: Vec<SuiteSummary>,
    /// Every compared item with its verdict and evidence (regressions first).
    pub items: Vec<Item>,
    /// How often each signature rule fired on head failures.
    pub rules: Vec<RuleHits>,
    /// Per group of comparable metrics: geometric mean of the ratios and the common shift.
    pub metric_groups: Vec<crate::compare::metrics::GroupShift>,
    /// Differences between the two sides' environment fingerprints.
    pub environment: Vec<EnvDifference>,
    /// What was repaired, skipped or is suspicious, each naming its source.
    pub warnings: Vec<String>,
}

/// One side of the comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SideInfo {
    /// Ids of the snapshots (store ids, or the paths the runs were read from).
    pub snapshots: Vec<String>,
    /// Number of runs.
    pub runs: usize,
    /// Distinct test ids over all runs.
    pub tests: usize,
    /// Distinct metric ids over all runs.
    pub metrics: usize,
    /// Branches named by the runs.
    pub branches: Vec<String>,
    /// Commits named by the runs.
    pub commits: Vec<String>,
}

/// The history runs used (E1/E3).
#[derive(Debug, Clone, Default, Serialize)]
pub struct HistoryInfo {
    /// Number of history runs.
    pub runs: usize,
    /// Their ids, oldest first.
    pub snapshots: Vec<String>,
}

/// The gate decision.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GateOutcome {
    /// Whether a gate was asked for (`--gate` or a `[gate]` section).
    pub enabled: bool,
    /// Whether the policy passed (always true when no gate was asked).
    pub passed: bool,
    /// Why it failed, one line per failed rule.
    pub reasons: Vec<String>,
    /// Regressions the policy counted as inconclusive (`suspect_environment =
    /// "inconclusive"`), by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub treated_inconclusive: Vec<String>,
}

/// A compared item. A metric (520 bytes) is boxed; a test (312 bytes) is not: tests are
/// most items, up to millions of them, and a box would be an allocation more for each.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[allow(clippy::large_enum_variant)]
pub enum Item {
    /// A test.
    Test(TestItem),
    /// A measured figure (benchmark, size, test duration).
    Metric(Box<MetricItem>),
}

impl Item {
    /// The item's verdict.
    pub fn verdict(&self) -> Verdict {
        match self {
            Item::Test(t) => t.verdict,
            Item::Metric(m) => m.verdict,
        }
    }

    /// The item's id.
    pub fn id(&self) -> &str {
        match self {
            Item::Test(t) => &t.id,
            Item::Metric(m) => &m.id,
        }
    }

    /// The test, if the item is one.
    pub fn as_test(&self) -> Option<&TestItem> {
        match self {
            Item::Test(t) => Some(t),
            Item::Metric(_) => None,
        }
    }

    /// The metric, if the item is one.
    pub fn as_metric(&self) -> Option<&MetricItem> {
        match self {
            Item::Metric(m) => Some(m),
            Item::Test(_) => None,
        }
    }
}

/// A metric with its verdict.
///
/// Serialised with the fields in this order. Its evidence is not held: it is rendered from
/// the item's facts when it is written ([`MetricItem::evidence`]), by the same rules that
/// judged it. Sentences for 93,000 test durations were 90 MB held while the report was built.
#[derive(Debug, Clone)]
pub struct MetricItem {
    /// The metric id as its source names it (benchmark full name, `duration: <test id>`).
    pub id: String,
    /// Unit of the medians (seconds for times, bytes for sizes).
    pub unit: String,
    /// Which direction is better.
    pub better: crate::model::Better,
    /// The verdict.
    pub verdict: Verdict,
    /// `slower` (worse by the metric's direction), `faster` (better), `none`, `added`,
    /// `removed`.
    pub change: Change,
    /// Estimated ratio head/base.
    pub ratio: Option<f64>,
    /// Interval of the ratio.
    pub ci: Option<[f64; 2]>,
    /// Confidence level the interval achieves.
    pub ci_level: Option<f64>,
    /// p-value.
    pub p: Option<f64>,
    /// Benjamini–Hochberg q-value across the comparison's metrics.
    pub q: Option<f64>,
    /// Runs on each side: [base, head].
    pub n: [usize; 2],
    /// Samples on each side: [base, head].
    pub samples: [u64; 2],
    /// Base side: runs, samples, median.
    pub base: crate::compare::metrics::MetricSide,
    /// Head side.
    pub head: crate::compare::metrics::MetricSide,
    /// Group for the common shift.
    pub group: String,
    /// Practical threshold (relative) the verdict used.
    pub threshold: f64,
    /// The configured threshold, when the metric's run-to-run noise in the history was larger
    /// and the threshold was raised to it.
    pub threshold_configured: Option<f64>,
    /// How p and the interval were obtained (shared by the metrics of a group).
    pub method: std::sync::Arc<str>,
    /// The noise model used.
    pub noise: crate::compare::metrics::NoiseModel,
    /// What each location statistic did (median, envelope, CPU time), median first, in cost
    /// space: written as [`StatItem`]s ([`MetricItem::statistics`]).
    pub stats: Vec<crate::compare::metrics::StatFacts>,
    /// Tags (`control`).
    pub tags: Vec<String>,
    /// ln(head/base) of the medians (`ratio` is its exponential): what the rules read.
    pub log_ratio: Option<f64>,
    /// A reason the metric could not be compared (units differ, …).
    pub problem: Option<String>,
    /// Every sample on each side was the same value: the change is exact.
    pub deterministic: bool,
    /// Runs per side a rank test would need to reach significance.
    pub runs_needed: usize,
    /// What the evidence is rendered against, shared by the comparison's metrics.
    pub context: std::sync::Arc<MetricContext>,
}

/// What a metric's evidence is rendered against besides its own facts: the comparison's
/// metric groups, the environment's differences and α.
#[derive(Debug, Clone, Default)]
pub struct MetricContext {
    /// The common shift of each group.
    pub groups: Vec<crate::compare::metrics::GroupShift>,
    /// Fingerprint fields that differ between the sides.
    pub env_diff: Vec<crate::attribute::EnvDifference>,
    /// Significance level.
    pub alpha: f64,
}

impl MetricItem {
    /// What the rules read of this metric.
    pub fn view(&self) -> crate::compare::metrics::MetricView<'_> {
        crate::compare::metrics::MetricView {
            better: self.better,
            unit: &self.unit,
            threshold: self.threshold,
            problem: self.problem.as_deref(),
            deterministic: self.deterministic,
            base: &self.base,
            head: &self.head,
            stats: &self.stats,
            log_ratio: self.log_ratio,
            q: self.q,
            method: &self.method,
            noise: &self.noise,
            runs_needed: self.runs_needed,
        }
    }

    /// The evidence of the verdict, most decisive first, as the rules that judged the metric
    /// say it.
    pub fn evidence(&self) -> Vec<Evidence> {
        let c = &*self.context;
        let group = c.groups.iter().find(|g| g.group == self.group);
        crate::classify::metric::judge(&self.view(), group, &c.env_diff, c.alpha, true).evidence
    }

    /// Whether the metric could not be compared (its evidence says `not_compared`).
    pub fn not_compared(&self) -> bool {
        crate::classify::metric::not_compared(&self.view())
    }

    /// What each location statistic did, in the metric's own terms.
    pub fn statistics(&self) -> impl ExactSizeIterator<Item = StatItem> + '_ {
        let better = self.better;
        self.stats.iter().map(move |f| StatItem {
            facts: f.clone(),
            better,
        })
    }
}

/// [`MetricItem::statistics`] as a list.
pub(crate) struct Statistics<'a>(pub(crate) &'a MetricItem);

impl Serialize for Statistics<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.0.statistics())
    }
}

impl Serialize for MetricItem {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = 21 + usize::from(self.threshold_configured.is_some());
        let mut st = ser.serialize_struct("MetricItem", fields)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("unit", &self.unit)?;
        st.serialize_field("better", &self.better)?;
        st.serialize_field("verdict", &self.verdict)?;
        st.serialize_field("change", &self.change)?;
        st.serialize_field("ratio", &self.ratio)?;
        st.serialize_field("ci", &self.ci)?;
        st.serialize_field("ci_level", &self.ci_level)?;
        st.serialize_field("p", &self.p)?;
        st.serialize_field("q", &self.q)?;
        st.serialize_field("n", &self.n)?;
        st.serialize_field("samples", &self.samples)?;
        st.serialize_field("evidence", &self.evidence())?;
        st.serialize_field("base", &self.base)?;
        st.serialize_field("head", &self.head)?;
        st.serialize_field("group", &self.group)?;
        st.serialize_field("threshold", &self.threshold)?;
        if let Some(t) = &self.threshold_configured {
            st.serialize_field("threshold_configured", t)?;
        }
        st.serialize_field("method", &*self.method)?;
        st.serialize_field("noise", &self.noise)?;
        st.serialize_field("statistics", &Statistics(self))?;
        st.serialize_field("tags", &self.tags)?;
        st.end()
    }
}

/// One location statistic of a metric. It keeps the comparison's figures as they were
/// computed (cost-space logs, see `compare::metrics`) and is written in the metric's own terms:
/// `name` (`median`, `min` / `max` for the envelope of a lower- / higher-is-better metric,
/// `q25` / `q75`, `cpu_time`), `role` (`code`: a call needs it significant and beyond the
/// group's spread, environmental needs it within the threshold; `agree`: a call needs it to
/// point the same way beyond the threshold; `info`), `base` and `head` in the metric's unit
/// (the stored runs' level for a history base), `ratio` (head / base), `shift` (the group's
/// common shift of this statistic, as a ratio), `deviation` (ratio / shift), `spread` (the
/// group's spread beyond its members' own noise, relative: 0.05 = 5%), `noise` (what the
/// deviation was judged against, relative), `p` (two-sided, for code statistics) and `rank_p`
/// (the rank test of the metric's own samples or runs after removing the shift, when it was
/// run and could tell).
#[derive(Debug, Clone)]
pub struct StatItem {
    /// The statistic's facts, in cost space.
    pub facts: crate::compare::metrics::StatFacts,
    /// The metric's direction (turns cost space into the metric's own terms).
    pub better: crate::model::Better,
}

impl StatItem {
    fn sign(&self) -> f64 {
        self.better.cost_sign()
    }

    /// The statistic's name in output.
    pub fn name(&self) -> &'static str {
        use crate::compare::metrics::Stat;
        match self.facts.stat {
            Stat::Cpu => "cpu_time",
            s => s.name(self.better),
        }
    }

    /// head / base.
    pub fn ratio(&self) -> f64 {
        (self.sign() * self.facts.change).exp()
    }

    /// ratio / shift.
    pub fn deviation(&self) -> f64 {
        (self.sign() * self.facts.deviation).exp()
    }

    /// The group's spread, relative.
    pub fn spread(&self) -> Option<f64> {
        self.facts.spread.map(|x| x.exp() - 1.0)
    }
}

impl Serialize for StatItem {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let f = &self.facts;
        let value = |x: f64| (self.sign() * x).exp();
        let mut st = ser.serialize_struct("StatItem", 11)?;
        st.serialize_field("name", self.name())?;
        st.serialize_field("role", &f.role)?;
        st.serialize_field("base", &value(f.base))?;
        st.serialize_field("head", &value(f.head))?;
        st.serialize_field("ratio", &self.ratio())?;
        st.serialize_field("shift", &f.shift.map(value))?;
        st.serialize_field("deviation", &self.deviation())?;
        st.serialize_field("spread", &self.spread())?;
        st.serialize_field("noise", &f.noise.map(|x| x.exp() - 1.0))?;
        st.serialize_field("p", &f.p)?;
        st.serialize_field("rank_p", &f.rank_p)?;
        st.end()
    }
}

/// A test with its verdict.
///
/// Serialised with the fields in this order; `counts_evidence` is not a field of its own but
/// the first entry of `evidence`, written from `base` and `head` (see [`TestItem::counts`]).
#[derive(Debug, Clone)]
pub struct TestItem {
    /// Test id (shared with the run it was read from, as are the names below).
    pub id: Name,
    /// Suite.
    pub suite: Option<Name>,
    /// Class name.
    pub classname: Option<Name>,
    /// Name.
    pub name: Name,
    /// The verdict.
    pub verdict: Verdict,
    /// What happened.
    pub change: Change,
    /// Whether the evidence starts with the counts sentence ([`TestItem::counts`]).
    pub counts_evidence: bool,
    /// Evidence, most decisive first (after the counts sentence).
    pub evidence: Vec<Evidence>,
    /// Base counts.
    pub base: SideCounts,
    /// Head counts.
    pub head: SideCounts,
    /// Tags.
    pub tags: crate::model::Tags,
    /// Source file, when known.
    pub file: Option<Name>,
    /// Line, when known.
    pub line: Option<u32>,
    /// Failure message of the last failing head run (first lines).
    pub message: Option<String>,
    /// What few items have (see [`TestItemDetail`]), when there is any.
    pub detail: Option<Box<TestItemDetail>>,
    /// A regression in a head run with a run-wide environment fault and no cause of its own
    /// (present only when true).
    pub suspect_environment: bool,
}

/// What few test items have, behind one pointer: a report of a million unchanged and added
/// tests holds none (72 bytes an item inline).
#[derive(Debug, Clone, Default)]
pub struct TestItemDetail {
    /// Failure message of the last failing base run, when it differs from head's.
    pub base_message: Option<String>,
    /// Word diff base → head of the failure messages, when they differ.
    pub message_diff: Option<Vec<DiffSpan>>,
    /// The base test this one was probably renamed from (`change: renamed`, or a failing
    /// renamed test).
    pub renamed_from: Option<String>,
}

impl TestItem {
    /// Failure message of the last failing base run, when it differs from head's.
    pub fn base_message(&self) -> Option<&str> {
        self.detail.as_ref()?.base_message.as_deref()
    }

    /// Word diff base → head of the failure messages, when they differ.
    pub fn message_diff(&self) -> Option<&[DiffSpan]> {
        self.detail.as_ref()?.message_diff.as_deref()
    }

    /// The base test this one was probably renamed from.
    pub fn renamed_from(&self) -> Option<&str> {
        self.detail.as_ref()?.renamed_from.as_deref()
    }

    /// The detail, to set it (made empty when there was none).
    pub fn detail_mut(&mut self) -> &mut TestItemDetail {
        self.detail.get_or_insert_with(Default::default)
    }

    /// The counts sentence that opens the evidence of every test but an unchanged pass:
    /// `base: 1 passed of 1 run(s); head: 1 failed of 1 run(s)`.
    pub fn counts(&self) -> Option<Evidence> {
        self.counts_evidence.then(|| {
            let mut detail = String::with_capacity(96);
            self.counts_detail_to(&mut detail);
            Evidence::new("counts", detail)
        })
    }

    /// The counts sentence's text, appended to `s` (the JSON writer writes it without
    /// making the evidence).
    pub fn counts_detail_to(&self, s: &mut String) {
        s.push_str("base: ");
        self.base.describe_to(s);
        s.push_str("; head: ");
        self.head.describe_to(s);
    }
}

impl Serialize for TestItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeStruct};
        /// The evidence with its counts sentence first.
        struct All<'a>(&'a TestItem);
        impl Serialize for All<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let counts = self.0.counts();
                let mut seq =
                    s.serialize_seq(Some(counts.is_some() as usize + self.0.evidence.len()))?;
                for e in counts.iter().chain(&self.0.evidence) {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
        }
        fn optional<S: SerializeStruct, T: Serialize>(
            st: &mut S,
            key: &'static str,
            v: &Option<T>,
        ) -> Result<(), S::Error> {
            match v {
                Some(v) => st.serialize_field(key, v),
                None => st.skip_field(key),
            }
        }
        let mut st = s.serialize_struct("TestItem", 18)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("suite", &self.suite)?;
        st.serialize_field("classname", &self.classname)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("verdict", &self.verdict)?;
        st.serialize_field("change", &self.change)?;
        st.serialize_field("evidence", &All(self))?;
        st.serialize_field("base", &self.base)?;
        st.serialize_field("head", &self.head)?;
        st.serialize_field("tags", &self.tags)?;
        st.serialize_field("file", &self.file)?;
        st.serialize_field("line", &self.line)?;
        optional(&mut st, "message", &self.message)?;
        optional(&mut st, "base_message", &self.base_message())?;
        optional(&mut st, "message_diff", &self.message_diff())?;
        optional(&mut st, "renamed_from", &self.renamed_from())?;
        if self.suspect_environment {
            st.serialize_field("suspect_environment", &true)?;
        } else {
            st.skip_field("suspect_environment")?;
        }
        st.end()
    }
}

/// Hits of one signature rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleHits {
    /// Rule name.
    pub name: String,
    /// `strong` or `weak`.
    pub strength: &'static str,
    /// Shipped with regdiff.
    pub builtin: bool,
    /// Failing head runs it matched first.
    pub hits: usize,
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Terminal tables.
    Table,
    /// Markdown for a pull-request comment.
    Markdown,
    /// JSON (`regdiff.report/1`).
    Json,
    /// GitHub Actions annotations (the job summary is written as Markdown).
    Github,
}

/// Options every renderer understands.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// List unchanged items too.
    pub show_unchanged: bool,
}

/// A renderer: a report in, bytes out, no I/O decisions inside.
pub trait Render {
    /// Writes the report.
    fn render(&self, report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()>;
}

/// The renderer of a format.
pub fn renderer(format: Format) -> Box<dyn Render> {
    match format {
        Format::Table => Box::new(table::Table),
        Format::Markdown => Box::new(markdown::Markdown),
        Format::Json => Box::new(json::Json),
        Format::Github => Box::new(github::Github),
    }
}

/// Formats a rate as `45/46 (97.8%)`: the count first, so the denominator is never lost.
pub fn fmt_rate(r: &Rate) -> String {
    match r.rate {
        Some(x) => format!("{}/{} ({:.1}%)", r.passed, r.total, 100.0 * x),
        None => format!("{}/{} (no rate)", r.passed, r.total),
    }
}

/// Formats a rate's interval as `95% CI 88.4–99.6%`.
pub fn fmt_ci(r: &Rate) -> String {
    match r.ci {
        Some([lo, hi]) => format!("95% CI {:.1}–{:.1}%", 100.0 * lo, 100.0 * hi),
        None => "no interval".into(),
    }
}

/// Test items grouped by verdict in report order, each group non-empty. Unless
/// `show_unchanged`, the unchanged group keeps only the tests that still fail (unchanged
/// passes are the bulk of every report; added and removed ones are listed by id elsewhere).
pub fn test_groups(r: &Report, show_unchanged: bool) -> Vec<(Verdict, Vec<&TestItem>)> {
    let mut groups = Vec::new();
    for v in Verdict::ALL {
        let group: Vec<&TestItem> = r
            .items
            .iter()
            .filter_map(Item::as_test)
            .filter(|t| t.verdict == v)
            .filter(|t| {
                v != Verdict::Unchanged || show_unchanged || t.change == Change::StillFailing
            })
            .collect();
        if !group.is_empty() {
            groups.push((v, group));
        }
    }
    groups
}

/// Tests listed by name only (unchanged, but part of the coverage story): added, removed and
/// unskipped tests with an unchanged verdict. Returns (title, ids) for the non-empty lists.
pub fn coverage_lists(r: &Report) -> Vec<(&'static str, Vec<String>)> {
    let mut lists = Vec::new();
    let renamed: Vec<String> = r
        .items
        .iter()
        .filter_map(Item::as_test)
        .filter(|t| t.verdict == Verdict::Unchanged && t.change == Change::Renamed)
        .map(|t| format!("{} → {}", t.renamed_from().unwrap_or("?"), t.id))
        .collect();
    if !renamed.is_empty() {
        lists.push(("Renamed tests (probably)", renamed));
    }
    for (title, change) in [
        ("Added tests (passing)", Change::Added),
        ("Removed tests", Change::Removed),
        (
            "Tests that were skipped on base and run on head",
            Change::Unskipped,
        ),
    ] {
        let ids: Vec<String> = r
            .items
            .iter()
            .filter_map(Item::as_test)
            .filter(|t| t.verdict == Verdict::Unchanged && t.change == change)
            .map(|t| t.id.to_string())
            .collect();
        if !ids.is_empty() {
            lists.push((title, ids));
        }
    }
    lists
}

/// The headline sentence of a report (same words in every format): counts per verdict, for
/// tests and for metrics apart when both are present.
pub fn headline(r: &Report) -> String {
    let count = |pick: &dyn Fn(&Item) -> bool| {
        let mut s = Summary::default();
        for i in r.items.iter().filter(|i| pick(i)) {
            s.add(i.verdict());
        }
        s
    };
    let line = |s: &Summary| {
        let mut parts = Vec::new();
        for v in Verdict::ALL {
            let n = s.get(v);
            if n > 0 || v == Verdict::Regression {
                parts.push(format!("{n} {}", plural(v, n)));
            }
        }
        parts.join(", ")
    };
    let tests = count(&|i| i.as_test().is_some());
    let metrics = count(&|i| i.as_metric().is_some());
    // Durations of tests that passed on both sides are metrics too; say so when they are all.
    let label = if r
        .items
        .iter()
        .filter_map(Item::as_metric)
        .all(|m| m.id.starts_with("duration: "))
    {
        "test durations"
    } else {
        "metrics"
    };
    match (tests.total(), metrics.total()) {
        (_, 0) => line(&tests),
        (0, _) => format!("{label}: {}", line(&metrics)),
        _ => format!("tests: {}; {label}: {}", line(&tests), line(&metrics)),
    }
}

/// The metrics worth listing: every regression, improvement, environmental metric and every
/// inconclusive one that moved beyond its threshold; the unchanged ones, and the inconclusive
/// ones within their threshold whose interval is too wide to call them unchanged, too when
/// there are few (at most 30 besides test durations) or `show_unchanged`. In report order.
pub fn metric_rows(r: &Report, show_unchanged: bool) -> Vec<&MetricItem> {
    let all: Vec<&MetricItem> = r.items.iter().filter_map(Item::as_metric).collect();
    let benchmarks = all
        .iter()
        .filter(|m| !m.id.starts_with("duration: "))
        .count();
    all.into_iter()
        .filter(|m| {
            !quiet_metric(m)
                || show_unchanged
                || (benchmarks <= 30 && !m.id.starts_with("duration: "))
        })
        .collect()
}

/// Unchanged, or inconclusive only because the data cannot rule out a change (no move
/// beyond the threshold): listed in full only on request when there are many.
fn quiet_metric(m: &MetricItem) -> bool {
    m.verdict == Verdict::Unchanged
        || (m.verdict == Verdict::Inconclusive && m.change == Change::None && !m.not_compared())
}

/// The line about metrics [`metric_rows`] left out, if any: `12 unchanged and 3 inconclusive
/// (within the threshold, too noisy to call unchanged) metric(s) not listed`.
pub fn hidden_metrics_line(r: &Report, listed: &[&MetricItem]) -> Option<String> {
    let (mut unchanged, mut open) = (0, 0);
    // By address: the listed items are items of `r` (a scan of the list for each item was
    // quadratic, 12% of a report listing 93,000 metrics).
    let listed: std::collections::HashSet<*const MetricItem> =
        listed.iter().map(|l| *l as *const MetricItem).collect();
    for m in r.items.iter().filter_map(Item::as_metric) {
        if listed.contains(&(m as *const MetricItem)) {
            continue;
        }
        if m.verdict == Verdict::Unchanged {
            unchanged += 1;
        } else {
            open += 1;
        }
    }
    let mut parts = Vec::new();
    if unchanged > 0 {
        parts.push(format!("{unchanged} unchanged metric(s)"));
    }
    if open > 0 {
        parts.push(format!(
            "{open} metric(s) within their threshold but inconclusive (too few runs, or too noisy, to call them unchanged)"
        ));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "not listed (--show-unchanged lists them): {}",
            parts.join("; ")
        )
    })
}

/// A metric's verdict with its direction: `regression (slower)`, `unchanged`.
pub fn metric_verdict(m: &MetricItem) -> String {
    if m.change == Change::None {
        m.verdict.to_string()
    } else {
        format!("{} ({})", m.verdict, m.change)
    }
}

/// A metric's change with its interval: `+83.9% (95% CI +54.1% to +119.6%)`.
pub fn fmt_change(m: &MetricItem) -> String {
    match (m.ratio, m.ci) {
        (Some(r), Some([lo, hi])) if (hi - lo).abs() > 1e-12 => format!(
            "{} ({}CI {} to {})",
            fmt_pct(r),
            m.ci_level
                .map(|l| format!("{:.0}% ", 100.0 * l))
                .unwrap_or_default(),
            fmt_pct(lo),
            fmt_pct(hi)
        ),
        (Some(r), _) => fmt_pct(r),
        (None, _) => "n/a".into(),
    }
}

/// One side of a metric: `60.1 ms (1 run, 12 samples)`.
pub fn fmt_side(s: &crate::compare::metrics::MetricSide, unit: &str) -> String {
    match s.median {
        Some(m) => format!(
            "{} ({} run{}, {} sample{})",
            crate::units::human(m, s.unit.as_deref().unwrap_or(unit)),
            s.runs,
            if s.runs == 1 { "" } else { "s" },
            s.samples,
            if s.samples == 1 { "" } else { "s" }
        ),
        None => "absent".into(),
    }
}

/// The decisive evidence of a metric, then what its statistics did and the noise model: the
/// same facts in every format.
pub fn metric_reason(m: &MetricItem) -> String {
    let evidence = m.evidence();
    let pick = |rule: &str| evidence.iter().find(|e| e.rule == rule);
    let mut out = [
        "not_compared",
        "deviation",
        "E6",
        "unchanged",
        "inconclusive",
        "effect",
    ]
    .iter()
    .find_map(|r| pick(r))
    .map(|e| e.detail.clone())
    .unwrap_or_else(|| m.method.to_string());
    if let Some(s) = pick("statistics") {
        out.push_str("; ");
        out.push_str(&s.detail);
    }
    if let Some(e) = pick("E7") {
        out.push_str("; ");
        out.push_str(&e.detail);
    }
    out
}

/// One line per metric group: the common shift of each statistic, its spread, and whether the
/// environment is shown to have moved.
pub fn group_lines(r: &Report) -> Vec<String> {
    r.metric_groups
        .iter()
        .filter(|g| g.metrics > 0)
        .map(|g| {
            let plural = if g.metrics == 1 { "metric" } else { "metrics" };
            let shown = g.stats.iter().any(|s| s.spread.is_some()) || !g.controls.is_empty();
            if !shown && !g.significant {
                return format!("{} ({} {plural}): {}", g.group, g.metrics, g.evidence);
            }
            let stats: Vec<String> = g
                .stats
                .iter()
                .map(|s| {
                    let spread = s
                        .spread
                        .map(|x| format!(" (spread {:.1}%)", 100.0 * x))
                        .unwrap_or_default();
                    format!(
                        "{} {}{spread}",
                        s.stat.name(g.better),
                        fmt_pct(s.shift_ratio)
                    )
                })
                .collect();
            format!(
                "{} ({} {plural}): common shift {}; {}",
                g.group,
                g.metrics,
                stats.join(", "),
                g.evidence
            )
        })
        .collect()
}

fn plural(v: Verdict, n: usize) -> &'static str {
    match (v, n == 1) {
        (Verdict::Regression, true) => "regression",
        (Verdict::Regression, false) => "regressions",
        (Verdict::Improvement, true) => "improvement",
        (Verdict::Improvement, false) => "improvements",
        (Verdict::Environmental, _) => "environmental",
        (Verdict::Inconclusive, _) => "inconclusive",
        (Verdict::Unchanged, _) => "unchanged",
    }
}

/// The gate's note on regressions it counted as inconclusive, when there are any.
pub fn gate_note(g: &GateOutcome) -> Option<String> {
    if g.treated_inconclusive.is_empty() {
        return None;
    }
    let n = g.treated_inconclusive.len();
    let mut names: Vec<String> = g
        .treated_inconclusive
        .iter()
        .take(5)
        .map(|i| format!("`{i}`"))
        .collect();
    if n > 5 {
        names.push(format!("and {} more", n - 5));
    }
    Some(format!(
        "{n} regression(s) in a head run with a run-wide environment fault and no cause of their own were counted as inconclusive ([gate] suspect_environment = \"inconclusive\"): {}",
        names.join(", ")
    ))
}

/// One line saying what the pass rate did, with denominators (same words in every format).
pub fn pass_rate_sentence(p: &PassRate) -> String {
    let runs = if p.base.total as usize != p.common || p.head.total as usize != p.common {
        " (counted in test runs)"
    } else {
        ""
    };
    let mut s = format!(
        "pass rate over the {} tests both sides ran{runs}: {} → {}",
        p.common,
        fmt_rate(&p.base),
        fmt_rate(&p.head)
    );
    if let Some(pv) = p.p {
        s.push_str(&format!(", Fisher exact p = {}", fmt_p(pv)));
    }
    s.push_str(&format!(": {}", p.verdict));
    s
}

/// One line about the denominators: both sides' own counts, what was added, removed, skipped.
pub fn coverage_sentence(p: &PassRate) -> String {
    let renamed = if p.renamed > 0 {
        format!(", {} renamed (probably)", p.renamed)
    } else {
        String::new()
    };
    format!(
        "base ran {} tests, {} passed; head ran {}, {} passed; {} in common; {} added, {} removed{renamed}, {} newly skipped",
        p.base_tests,
        fmt_rate(&p.base_all),
        p.head_tests,
        fmt_rate(&p.head_all),
        p.common,
        p.added,
        p.removed,
        p.newly_skipped
    )
}
