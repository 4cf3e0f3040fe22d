//! Google Benchmark JSON (`--benchmark_format=json` or `--benchmark_out=…`).
//!
//! Per-repetition rows (`run_type: iteration`) are the samples of a benchmark, grouped by
//! `run_name`: the real time is a metric named by the run name itself, the CPU time one named
//! `NAME:cpu_time`, and user counters `NAME:<counter>` (`…_per_second` counters are better
//! when higher). Aggregate rows (mean, median, stddev, cv) are used only when a benchmark has
//! no repetition rows, and then only the median, with a warning. `context` fills the
//! fingerprint (host, cores) and notes a debug build of the library.
//!
//! The rows are read as a stream: each is taken apart as it is parsed, with its strings
//! borrowed from the file, and never stored (10,000 benchmarks × 30 repetitions make a 100 MB
//! file of 300,000 rows).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use hashbrown::{HashMap, HashSet};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::RunBuilder;
use crate::error::IngestError;
use crate::model::{Better, CpuTime, Metric};
use crate::units;

#[derive(Deserialize)]
struct GContext {
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    host_name: Option<String>,
    #[serde(default)]
    num_cpus: Option<u32>,
    #[serde(default)]
    load_avg: Option<Vec<f64>>,
    #[serde(default)]
    library_build_type: Option<String>,
}

/// Keys of a row that are not user counters.
const KNOWN: &[&str] = &[
    "name",
    "family_index",
    "per_family_instance_index",
    "run_name",
    "run_type",
    "repetitions",
    "repetition_index",
    "threads",
    "iterations",
    "real_time",
    "cpu_time",
    "time_unit",
    "aggregate_name",
    "aggregate_unit",
    "error_occurred",
    "error_message",
    "label",
    "big_o",
    "rms",
];

/// A string of the file: borrowed when it holds no escapes, else decoded.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// One row of `benchmarks`, as parsed.
#[derive(Default)]
struct Row<'de> {
    name: Option<Cow<'de, str>>,
    run_name: Option<Cow<'de, str>>,
    run_type: Option<Cow<'de, str>>,
    aggregate_name: Option<Cow<'de, str>>,
    real_time: Option<f64>,
    cpu_time: Option<f64>,
    time_unit: Option<Cow<'de, str>>,
    error_occurred: Option<bool>,
    error_message: Option<String>,
    /// User counters with a numeric value.
    counters: Vec<(Cow<'de, str>, f64)>,
}

impl<'de> Deserialize<'de> for Row<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a benchmark row (an object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row<'de>, A::Error> {
                let mut row = Row::default();
                let text = |t: Option<Text<'de>>| t.map(|t| t.0);
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    match key.as_ref() {
                        "name" => row.name = Some(map.next_value::<Text<'de>>()?.0),
                        "run_name" => row.run_name = text(map.next_value()?),
                        "run_type" => row.run_type = text(map.next_value()?),
                        "aggregate_name" => row.aggregate_name = text(map.next_value()?),
                        "real_time" => row.real_time = map.next_value()?,
                        "cpu_time" => row.cpu_time = map.next_value()?,
                        "time_unit" => row.time_unit = text(map.next_value()?),
                        "error_occurred" => row.error_occurred = map.next_value()?,
                        "error_message" => row.error_message = map.next_value()?,
                        k if KNOWN.contains(&k) => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => {
                            // A user counter: numbers are read, anything else is passed over.
                            if let Some(v) = map.next_value::<serde_json::Value>()?.as_f64() {
                                row.counters.push((key, v));
                            }
                        }
                    }
                }
                if row.name.is_none() {
                    return Err(de::Error::missing_field("name"));
                }
                Ok(row)
            }
        }
        d.deserialize_map(V)
    }
}

struct Series {
    unit: String,
    better: Better,
    samples: Vec<f64>,
    /// CPU time of each real-time sample (Google Benchmark's `cpu_time`), when every row has one.
    cpu: Vec<f64>,
}

/// What the rows add up to, built row by row.
struct Collect<'p, 'de> {
    path: &'p Path,
    source: String,
    rows: usize,
    /// Series in first-seen order, with their ids.
    series: Vec<(String, Series)>,
    by_id: HashMap<String, usize>,
    /// The last repetition row's run name and the slot of its time series: the repetitions
    /// of a benchmark come one after another.
    last: Option<(Cow<'de, str>, Option<usize>)>,
    aggregates: Vec<(String, Option<f64>, Option<f64>, String)>,
    have_iterations: HashSet<Cow<'de, str>>,
    errors: usize,
    unknown_counters: BTreeSet<String>,
    warnings: Vec<String>,
    /// The first problem found in a row, reported instead of the parser's error.
    failure: Option<IngestError>,
}

impl<'de> Collect<'_, 'de> {
    fn slot(&mut self, id: String, unit: &str, better: Better) -> usize {
        if let Some(&i) = self.by_id.get(&id) {
            return i;
        }
        let i = self.series.len();
        self.by_id.insert(id.clone(), i);
        self.series.push((
            id,
            Series {
                unit: unit.to_string(),
                better,
                samples: Vec::with_capacity(32),
                cpu: Vec::new(),
            },
        ));
        i
    }

    fn row(&mut self, row: Row<'de>) -> Result<(), IngestError> {
        let i = self.rows;
        self.rows += 1;
        let name = match row.run_name {
            Some(n) => n,
            None => row.name.expect("checked when parsed"),
        };
        if row.error_occurred == Some(true) {
            self.errors += 1;
            self.warnings.push(format!(
                "{}: benchmark `{name}` reported an error ({}); it is left out",
                self.source,
                row.error_message.as_deref().unwrap_or("no message")
            ));
            return Ok(());
        }
        let unit = row.time_unit.as_deref().unwrap_or("ns");
        let resolved = units::resolve(unit);
        if !resolved.is_time {
            return Err(IngestError::unusable(
                self.path,
                format!("benchmarks[{i}] (`{name}`): time_unit `{unit}` is not a unit of time"),
            ));
        }
        if row.run_type.as_deref() == Some("aggregate") {
            if row.aggregate_name.as_deref() == Some("median") {
                self.aggregates.push((
                    name.into_owned(),
                    row.real_time.map(|t| resolved.apply(t)),
                    row.cpu_time.map(|t| resolved.apply(t)),
                    resolved.unit.clone(),
                ));
            }
            return Ok(());
        }
        let same = self.last.as_ref().is_some_and(|(n, _)| *n == name);
        if !same {
            self.have_iterations.insert(name.clone());
            self.last = Some((name.clone(), None));
        }
        for v in [row.real_time, row.cpu_time].into_iter().flatten() {
            if !(v.is_finite() && v > 0.0) {
                return Err(IngestError::unusable(
                    self.path,
                    format!("benchmarks[{i}] (`{name}`): a time of {v} is not a positive time"),
                ));
            }
        }
        // The real time is the sample; its CPU time goes beside it, in the same metric.
        if let Some(real) = row.real_time {
            let slot = match self.last.as_ref().and_then(|(_, slot)| *slot) {
                Some(s) => s,
                None => {
                    let s = self.slot(name.to_string(), &resolved.unit, Better::Lower);
                    if let Some((_, slot)) = self.last.as_mut() {
                        *slot = Some(s);
                    }
                    s
                }
            };
            let series = &mut self.series[slot].1;
            series.samples.push(resolved.apply(real));
            if let Some(cpu) = row.cpu_time {
                series.cpu.push(resolved.apply(cpu));
            }
        }
        for (key, v) in row.counters {
            if !v.is_finite() {
                continue;
            }
            let (unit, better) = match key.strip_suffix("_per_second") {
                Some(base) => (format!("{base}/s"), Better::Higher),
                None => {
                    self.unknown_counters.insert(key.to_string());
                    (key.to_string(), Better::Lower)
                }
            };
            let slot = self.slot(format!("{name}:{key}"), &unit, better);
            self.series[slot].1.samples.push(v);
        }
        Ok(())
    }
}

/// The whole file: `context` kept, `benchmarks` streamed into [`Collect`], the rest passed over.
struct FileSeed<'c, 'p, 'de> {
    collect: &'c mut Collect<'p, 'de>,
}

/// What the top level held besides the rows.
struct Top {
    context: Option<GContext>,
    benchmarks: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_, 'de> {
    type Value = Top;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_, 'de> {
    type Value = Top;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Google Benchmark JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut top = Top {
            context: None,
            benchmarks: None,
        };
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            match key.as_ref() {
                "context" => top.context = map.next_value()?,
                "benchmarks" => {
                    top.benchmarks = Some(map.next_value_seed(RowsSeed {
                        collect: &mut *self.collect,
                    })?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

/// The `benchmarks` array, each row handed to [`Collect::row`] as soon as it is parsed.
struct RowsSeed<'c, 'p, 'de> {
    collect: &'c mut Collect<'p, 'de>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, 'de> {
    type Value = usize;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, 'de> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of benchmark rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while let Some(row) = seq.next_element::<Row<'de>>()? {
            n += 1;
            if let Err(e) = self.collect.row(row) {
                let text = e.to_string();
                self.collect.failure = Some(e);
                return Err(de::Error::custom(text));
            }
        }
        Ok(n)
    }
}

/// Reads a Google Benchmark JSON file.
pub fn read_file(path: &Path, bytes: &[u8], builder: &mut RunBuilder) -> Result<(), IngestError> {
    let mut collect = Collect {
        path,
        source: path.display().to_string(),
        rows: 0,
        series: Vec::new(),
        by_id: HashMap::new(),
        last: None,
        aggregates: Vec::new(),
        have_iterations: HashSet::new(),
        errors: 0,
        unknown_counters: BTreeSet::new(),
        warnings: Vec::new(),
        failure: None,
    };
    // Validated as UTF-8 once here, so that the parser need not check every string again.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
        IngestError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "not a Google Benchmark JSON file: the file is not UTF-8 text".into(),
        }
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = FileSeed {
        collect: &mut collect,
    }
    .deserialize(&mut de)
    .and_then(|top| de.end().map(|()| top));
    let top = match parsed {
        Ok(top) => top,
        Err(e) => {
            return Err(collect.failure.take().unwrap_or(IngestError::Syntax {
                path: path.to_path_buf(),
                line: e.line() as u64,
                column: e.column() as u64,
                message: format!("not a Google Benchmark JSON file: {e}"),
            }));
        }
    };
    let Collect {
        source,
        mut series,
        mut by_id,
        aggregates,
        have_iterations,
        errors,
        unknown_counters,
        warnings,
        ..
    } = collect;
    if let Some(c) = &top.context {
        builder.env.host = builder.env.host.take().or(c.host_name.clone());
        builder.env.cores = builder.env.cores.or(c.num_cpus);
        if let Some(d) = &c.date {
            builder.time.get_or_insert(d.clone());
        }
        if let Some(l) = &c.load_avg {
            let text: Vec<String> = l.iter().map(|x| format!("{x:.2}")).collect();
            builder
                .properties
                .insert("google-benchmark/load_avg".into(), text.join(" "));
        }
        if c.library_build_type.as_deref() == Some("debug") {
            builder.warnings.push(format!(
                "{source}: the Google Benchmark library was built in debug mode (its own warning); timings may not reflect a release build"
            ));
        }
    }
    match top.benchmarks {
        None => {
            return Err(IngestError::unusable(
                path,
                "not a Google Benchmark JSON file: it has no `benchmarks` array",
            ));
        }
        Some(0) => {
            return Err(IngestError::unusable(
                path,
                "the Google Benchmark file holds no benchmarks",
            ));
        }
        Some(_) => {}
    }
    builder.warnings.extend(warnings);
    // Benchmarks with aggregate rows only: their median, once per name (the last row wins).
    let mut medians: BTreeMap<String, (Option<f64>, Option<f64>, String)> = BTreeMap::new();
    for (name, real, cpu, unit) in aggregates {
        if !have_iterations.contains(name.as_str()) {
            medians.insert(name, (real, cpu, unit));
        }
    }
    for (name, (real, cpu, unit)) in medians {
        builder.warnings.push(format!(
            "{source}: benchmark `{name}` has only aggregate rows; its median is read as a single value"
        ));
        if let Some(v) = real {
            let series_of = Series {
                unit: unit.clone(),
                better: Better::Lower,
                samples: vec![v],
                cpu: cpu.into_iter().collect(),
            };
            match by_id.get(&name) {
                Some(&i) => series[i].1 = series_of,
                None => {
                    by_id.insert(name.clone(), series.len());
                    series.push((name, series_of));
                }
            }
        }
    }
    if !unknown_counters.is_empty() {
        builder.warnings.push(format!(
            "{source}: counters with no known direction are read as lower-is-better: {}",
            unknown_counters.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if series.is_empty() && errors > 0 {
        return Err(IngestError::unusable(
            path,
            "every benchmark in the file reported an error",
        ));
    }
    builder.reserve_metrics(series.len());
    let mut partial_cpu = 0;
    for (id, s) in series {
        let mut m = Metric::new(id, s.unit, s.better, s.samples);
        if !s.cpu.is_empty() {
            if s.cpu.len() == m.samples.len() {
                m.cpu = Some(CpuTime {
                    samples: s.cpu,
                    mean: None,
                });
            } else {
                partial_cpu += 1;
            }
        }
        builder.add_metric(m, &source);
    }
    if partial_cpu > 0 {
        builder.warnings.push(format!(
            "{source}: {partial_cpu} benchmark(s) give `cpu_time` on some repetitions only; their CPU time is left out"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<crate::model::Snapshot, IngestError> {
        let mut b = RunBuilder::new();
        read_file(Path::new("gb.json"), text.as_bytes(), &mut b)?;
        Ok(b.finish())
    }

    fn row(name: &str, extra: &str) -> String {
        format!(
            r#"{{"name":"{name}","run_name":"{name}","run_type":"iteration","real_time":2.0,"cpu_time":1.0,"time_unit":"us"{extra}}}"#
        )
    }

    #[test]
    fn repetitions_counters_and_escaped_names() {
        let rows = [
            row(
                "BM_A",
                r#","bytes_per_second":1000.0,"widgets":3,"label":"x""#,
            ),
            row("BM_A", r#","bytes_per_second":1100.0,"widgets":4"#),
            row(r#"BM_\"B\""#, ""),
            row("BM_A", ""),
        ];
        let text = format!(
            r#"{{"benchmarks":[{}],"context":{{"host_name":"h","num_cpus":4}}}}"#,
            rows.join(",")
        );
        let s = read(&text).unwrap();
        let ids: Vec<&str> = s.metrics.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            ["BM_A", "BM_A:bytes_per_second", "BM_A:widgets", "BM_\"B\"",]
        );
        let a = &s.metrics[0];
        assert_eq!((a.unit.as_str(), a.samples.len()), ("s", 3));
        assert!((a.samples[0] - 2e-6).abs() < 1e-18);
        // CPU time rides beside the real time, one value per repetition.
        let cpu = a.cpu.as_ref().expect("cpu time kept");
        assert_eq!(cpu.samples.len(), 3);
        assert!((cpu.samples[0] - 1e-6).abs() < 1e-18);
        let bps = &s.metrics[1];
        assert_eq!((bps.unit.as_str(), bps.better), ("bytes/s", Better::Higher));
        assert_eq!(bps.samples, [1000.0, 1100.0]);
        assert!(s.warnings.iter().any(|w| w.contains("widgets")));
        assert_eq!((s.env.host.as_deref(), s.env.cores), (Some("h"), Some(4)));
    }

    #[test]
    fn aggregates_only_when_there_are_no_repetitions() {
        let agg = |name: &str, kind: &str, t: f64| {
            format!(
                r#"{{"name":"{name}_{kind}","run_name":"{name}","run_type":"aggregate","aggregate_name":"{kind}","real_time":{t},"cpu_time":{t},"time_unit":"ns"}}"#
            )
        };
        let text = format!(
            r#"{{"benchmarks":[{},{},{},{}]}}"#,
            row("BM_A", ""),
            agg("BM_A", "median", 9.0),
            agg("BM_B", "mean", 5.0),
            agg("BM_B", "median", 4.0),
        );
        let s = read(&text).unwrap();
        let b = s.metrics.iter().find(|m| m.id == "BM_B").unwrap();
        assert_eq!(b.samples, [4e-9]);
        let a = s.metrics.iter().find(|m| m.id == "BM_A").unwrap();
        assert_eq!(a.samples, [2e-6], "the median row of BM_A is not a sample");
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("`BM_B` has only aggregate rows"))
        );
    }

    #[test]
    fn errors_and_bad_files() {
        let text = format!(
            r#"{{"benchmarks":[{},{{"name":"BM_E","error_occurred":true,"error_message":"boom"}}]}}"#,
            row("BM_A", "")
        );
        let s = read(&text).unwrap();
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("`BM_E` reported an error (boom)"))
        );
        let e = read(r#"{"benchmarks":[{"name":"BM_E","error_occurred":true}]}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("every benchmark in the file reported an error")
        );
        let e = read(r#"{"context":{}}"#).unwrap_err();
        assert!(e.to_string().contains("no `benchmarks` array"), "{e}");
        let e = read(r#"{"benchmarks":[{"real_time":1}]}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `name`"), "{e}");
        let e = read("{\"benchmarks\":[\n{\"name\": 3}]}").unwrap_err();
        assert!(e.to_string().contains("gb.json:2:"), "{e}");
    }
}
