//! regdiff's own snapshot JSON (`regdiff.snapshot/1`).
//!
//! A file of another schema version is refused with a message saying which version it is and
//! which one this build reads, rather than half-read.

use std::path::Path;

use serde::Deserialize;

use crate::error::IngestError;
use crate::model::{SNAPSHOT_SCHEMA, SNAPSHOT_SCHEMA_PREFIX, SharedNames, Snapshot};

#[derive(Deserialize)]
struct SchemaOnly {
    schema: Option<serde_json::Value>,
}

/// Reads and validates a snapshot file.
pub fn read_file(path: &Path) -> Result<Snapshot, IngestError> {
    let bytes = super::input::read_all(path)?;
    parse(path, &bytes)
}

/// Parses and validates snapshot bytes, in either encoding (one JSON document, or the
/// store's JSON Lines of [`super::snapshot_lines`]); `path` is used in messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Snapshot, IngestError> {
    parse_shared(path, bytes, None)
}

/// [`parse`], pointing ids and names to `names`' copies where it holds them (the runs of
/// one side share them).
pub fn parse_shared(
    path: &Path,
    bytes: &[u8],
    names: Option<&SharedNames>,
) -> Result<Snapshot, IngestError> {
    if super::snapshot_lines::sniff(&bytes[..bytes.len().min(4096)]) {
        // Repeats of the template when asked for. A run that fails a check is read again
        // whole, for the message that names its row (the repeats have no row number).
        if let Some(n) = names.filter(|n| n.template().is_some())
            && let Some(snap) = super::snapshot_lines::decode_repeating(path, bytes, n)?
            && check_values(path, &snap, Ids::Distinct).is_ok()
        {
            return Ok(snap);
        }
        let snap = super::snapshot_lines::decode(path, bytes, names)?;
        check_values(path, &snap, names.map_or(Ids::Check, Ids::Shared))?;
        return Ok(snap);
    }
    match serde_json::from_slice::<Snapshot>(bytes) {
        Ok(mut snap) => {
            check_schema(path, Some(&serde_json::Value::String(snap.schema.clone())))?;
            check_values(path, &snap, Ids::Check)?;
            fold_cpu_time_metrics(&mut snap);
            if let Some(names) = names {
                names.share(&mut snap);
            }
            Ok(snap)
        }
        Err(err) => {
            // A readable object with another schema deserves a better message than a field error.
            if let Ok(head) = serde_json::from_slice::<SchemaOnly>(bytes) {
                check_schema(path, head.schema.as_ref())?;
            }
            let (line, column) = (err.line() as u64, err.column() as u64);
            let what = if err.is_eof() {
                format!("unexpected end of file (is the file truncated?): {err}")
            } else {
                format!("not a valid regdiff snapshot: {err}")
            };
            Err(IngestError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: strip_position(&what),
            })
        }
    }
}

fn check_schema(path: &Path, schema: Option<&serde_json::Value>) -> Result<(), IngestError> {
    match schema {
        Some(serde_json::Value::String(s)) if s == SNAPSHOT_SCHEMA => Ok(()),
        Some(serde_json::Value::String(s)) if s.starts_with(SNAPSHOT_SCHEMA_PREFIX) => {
            Err(IngestError::unusable(
                path,
                format!(
                    "snapshot schema `{s}` is not supported; this regdiff reads `{SNAPSHOT_SCHEMA}` (upgrade regdiff to read newer snapshots)"
                ),
            ))
        }
        Some(other) => Err(IngestError::NotSnapshot {
            path: path.to_path_buf(),
            message: format!(
                "JSON file with schema {other} is not a regdiff snapshot (expected \"schema\": \"{SNAPSHOT_SCHEMA}\")"
            ),
        }),
        None => Err(IngestError::NotSnapshot {
            path: path.to_path_buf(),
            message: format!(
                "JSON file without a \"schema\" field is not a regdiff snapshot (expected \"schema\": \"{SNAPSHOT_SCHEMA}\")"
            ),
        }),
    }
}

/// What [`check_values`] knows of a run's ids.
#[derive(Clone, Copy)]
enum Ids<'n> {
    /// Nothing: each is checked.
    Check,
    /// They may point to these names: a run whose every id is the shared copy of the id at
    /// the same place in an earlier, checked run holds each test once.
    Shared(&'n SharedNames),
    /// They were found distinct as they were read (a run with repeats).
    Distinct,
}

/// Checks what the decoder leaves to it: the run's time, each id once, durations.
fn check_values(path: &Path, snap: &Snapshot, ids_known: Ids<'_>) -> Result<(), IngestError> {
    if let Some(t) = &snap.run.time
        && t.parse::<jiff::Timestamp>().is_err()
    {
        return Err(IngestError::unusable(
            path,
            format!("run.time `{t}` is not an RFC 3339 time (e.g. 2026-11-22T01:02:03Z)"),
        ));
    }
    let as_shared = match ids_known {
        Ids::Check => false,
        Ids::Shared(n) => snap
            .tests
            .iter()
            .enumerate()
            .all(|(i, t)| n.is_id_at(i, &t.id)),
        Ids::Distinct => true,
    };
    let mut ids = hashbrown::HashSet::with_capacity(if as_shared { 0 } else { snap.tests.len() });
    for (i, t) in snap.tests.iter().enumerate() {
        if !as_shared && !ids.insert(t.id.as_ref()) {
            return Err(IngestError::unusable(
                path,
                format!(
                    "tests[{i}]: the id `{}` appears twice; a run holds each test once (retries are attempts)",
                    t.id
                ),
            ));
        }
        let bad_duration = t
            .duration_s
            .into_iter()
            .chain(t.attempts.iter().filter_map(|a| a.duration_s))
            .find(|d| !d.is_finite() || *d < 0.0);
        if let Some(d) = bad_duration {
            return Err(IngestError::unusable(
                path,
                format!(
                    "tests[{i}] (`{}`): duration {d} is not a number of seconds >= 0",
                    t.id
                ),
            ));
        }
        if t.attempts.is_empty() {
            return Err(IngestError::unusable(
                path,
                format!("tests[{i}] (`{}`) has no attempts", t.id),
            ));
        }
        if t.attempts.last().map(|a| a.status) != Some(t.status) {
            return Err(IngestError::unusable(
                path,
                format!(
                    "tests[{i}] (`{}`): status `{}` differs from its last attempt's",
                    t.id, t.status
                ),
            ));
        }
    }
    for (i, m) in snap.metrics.iter().enumerate() {
        if let Some(bad) = m.samples.iter().find(|x| !x.is_finite()) {
            return Err(IngestError::unusable(
                path,
                format!("metrics[{i}] (`{}`) has a non-finite sample {bad}", m.id),
            ));
        }
        if let Some(c) = &m.cpu {
            if let Some(bad) = c
                .samples
                .iter()
                .chain(&c.mean)
                .find(|x| !(x.is_finite() && **x >= 0.0))
            {
                return Err(IngestError::unusable(
                    path,
                    format!(
                        "metrics[{i}] (`{}`) has a CPU time of {bad}; expected a finite time >= 0",
                        m.id
                    ),
                ));
            }
            if !c.samples.is_empty() && c.samples.len() != m.samples.len() {
                return Err(IngestError::unusable(
                    path,
                    format!(
                        "metrics[{i}] (`{}`) has {} CPU times for {} samples; they must pair up",
                        m.id,
                        c.samples.len(),
                        m.samples.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Snapshots written before CPU time was kept beside wall time hold Google Benchmark's CPU
/// time as a metric of its own, `NAME:cpu_time`. Each such metric whose `NAME` is there with
/// as many samples is folded into it, so old and new snapshots compare as the same metrics.
fn fold_cpu_time_metrics(snap: &mut Snapshot) {
    if !snap.metrics.iter().any(|m| m.id.ends_with(":cpu_time")) {
        return;
    }
    let index: std::collections::HashMap<String, usize> = snap
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    let mut folded = vec![false; snap.metrics.len()];
    for (i, fold) in folded.iter_mut().enumerate() {
        let Some(name) = snap.metrics[i].id.strip_suffix(":cpu_time") else {
            continue;
        };
        let Some(&w) = index.get(name) else { continue };
        let (cpu, wall) = (&snap.metrics[i], &snap.metrics[w]);
        if wall.cpu.is_some() || wall.unit != cpu.unit || wall.samples.len() != cpu.samples.len() {
            continue;
        }
        let samples = cpu.samples.clone();
        snap.metrics[w].cpu = Some(crate::model::CpuTime {
            samples,
            mean: None,
        });
        *fold = true;
    }
    let mut k = 0;
    snap.metrics.retain(|_| {
        k += 1;
        !folded[k - 1]
    });
}

/// serde_json appends " at line L column C"; the error already carries them.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn p() -> &'static Path {
        Path::new("snap.json")
    }

    #[test]
    fn reads_a_minimal_snapshot() {
        let s = parse(
            p(),
            br#"{"schema":"regdiff.snapshot/1","run":{"branch":"main","commit":null,"time":null}}"#,
        )
        .unwrap();
        assert_eq!(s.run.branch.as_deref(), Some("main"));
        assert!(s.tests.is_empty());
    }

    #[test]
    fn an_old_cpu_time_metric_is_folded_into_its_wall_time_metric() {
        let s = parse(
            p(),
            br#"{"schema":"regdiff.snapshot/1","run":{},"metrics":[
              {"id":"BM_A","unit":"s","better":"lower","samples":[2.0,3.0],"runs":1},
              {"id":"BM_A:cpu_time","unit":"s","better":"lower","samples":[1.0,1.5],"runs":1},
              {"id":"BM_B:cpu_time","unit":"s","better":"lower","samples":[1.0],"runs":1}]}"#,
        )
        .unwrap();
        let ids: Vec<&str> = s.metrics.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            ["BM_A", "BM_B:cpu_time"],
            "no wall time to fold BM_B into"
        );
        assert_eq!(s.metrics[0].cpu.as_ref().unwrap().samples, [1.0, 1.5]);
    }

    #[test]
    fn refuses_unknown_schema_version() {
        let e = parse(
            p(),
            br#"{"schema":"regdiff.snapshot/2","run":{},"tests":"new shape"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`regdiff.snapshot/2` is not supported"), "{e}");
    }

    #[test]
    fn refuses_duplicate_ids_bad_durations_and_times() {
        let test = |id: &str, d: f64| {
            format!(
                r#"{{"id":"{id}","name":"{id}","status":"passed","attempts":[{{"status":"passed","duration_s":{d}}}],"duration_s":{d}}}"#
            )
        };
        let snap = |tests: Vec<String>, time: &str| {
            format!(
                r#"{{"schema":"regdiff.snapshot/1","run":{{"branch":null,"commit":null,"time":{time}}},"tests":[{}]}}"#,
                tests.join(",")
            )
        };
        let dup = snap(vec![test("x", 1.0), test("x", 2.0)], "null");
        assert!(
            parse(p(), dup.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("appears twice")
        );
        let neg = snap(vec![test("x", -1.0)], "null");
        assert!(
            parse(p(), neg.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("not a number of seconds")
        );
        let time = snap(vec![test("x", 1.0)], "\"yesterday\"");
        assert!(
            parse(p(), time.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("RFC 3339")
        );
        let ok = snap(vec![test("x", 1.0)], "\"2026-01-01T00:00:00Z\"");
        assert!(parse(p(), ok.as_bytes()).is_ok());
    }

    /// A stored run read beside an earlier one, pointing to its ids, is still refused when
    /// it holds an id twice: at the earlier run's places but one, past its end, or where the
    /// earlier run held another test.
    #[test]
    fn a_run_read_with_shared_names_is_refused_when_it_holds_an_id_twice() {
        let run = |ids: &[&str]| {
            // Made with distinct ids, which are then set as given.
            let tests: Vec<String> = (0..ids.len())
                .map(|i| {
                    format!(
                        r#"{{"id":"t{i}","name":"t{i}","status":"passed","attempts":[{{"status":"passed","duration_s":1.0}}],"duration_s":1.0}}"#
                    )
                })
                .collect();
            let json = format!(
                r#"{{"schema":"regdiff.snapshot/1","run":{{"branch":null,"commit":null,"time":null}},"tests":[{}]}}"#,
                tests.join(",")
            );
            let mut s = parse(p(), json.as_bytes()).unwrap();
            for (t, id) in s.tests.iter_mut().zip(ids) {
                t.id = (*id).into();
                t.name = (*id).into();
            }
            super::super::snapshot_lines::encode(&s)
        };
        let first = parse(p(), &run(&["a", "b", "c", "d"])).unwrap();
        let names = SharedNames::of(&first);
        let read = |ids: &[&str]| parse_shared(p(), &run(ids), Some(&names)).map(|s| s.tests.len());
        assert_eq!(read(&["a", "b", "c", "d"]).unwrap(), 4);
        assert_eq!(read(&["a", "b"]).unwrap(), 2);
        assert_eq!(read(&["b", "a", "c"]).unwrap(), 3);
        for twice in [
            &["a", "b", "c", "a"][..],
            &["a", "b", "c", "d", "b"],
            &["a", "a"],
            &["d", "b", "c", "d"],
        ] {
            let e = read(twice).unwrap_err().to_string();
            assert!(e.contains("appears twice"), "{twice:?}: {e}");
        }
    }

    /// What a change does to one test of the template run, in the run read after it.
    #[derive(Debug, Clone, Copy)]
    enum Change {
        /// Only its duration.
        Duration,
        /// Nothing at all.
        Same,
        Status,
        Name,
        Suite,
        Line,
        Tag,
        Property,
        Retried,
        Message,
        /// A duration that is not a time.
        BadDuration,
        Missing,
        /// Held twice.
        Twice,
        /// In another source file.
        File,
    }

    fn result(id: &str, status: crate::model::Status, d: f64) -> crate::model::TestResult {
        let mut a = crate::model::Attempt::new(status);
        a.duration_s = Some(d);
        crate::model::TestResult {
            id: id.into(),
            suite: Some("suite".into()),
            classname: None,
            name: id.into(),
            status,
            attempts: smallvec::smallvec![a],
            duration_s: Some(d),
            file: None,
            line: None,
            tags: Default::default(),
            properties: Default::default(),
        }
    }

    /// A run's tests by id, as a whole read holds them.
    fn tests_by_id(s: &Snapshot) -> BTreeMap<String, crate::model::TestResult> {
        s.own_results().map(|t| (t.id.to_string(), t)).collect()
    }
    fn change() -> impl proptest::strategy::Strategy<Value = Change> {
        use proptest::prelude::*;
        prop_oneof![
            6 => Just(Change::Duration),
            1 => Just(Change::Same),
            1 => Just(Change::Status),
            1 => Just(Change::Name),
            1 => Just(Change::Suite),
            1 => Just(Change::Line),
            1 => Just(Change::Tag),
            1 => Just(Change::Property),
            1 => Just(Change::Retried),
            1 => Just(Change::Message),
            1 => Just(Change::BadDuration),
            1 => Just(Change::Missing),
            1 => Just(Change::Twice),
            1 => Just(Change::File),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// A run read as repeats of the template's holds what it holds read whole, and is
        /// refused with the same message when it is refused; every test that differs from
        /// the template's in its duration alone is a repeat.
        #[test]
        fn a_run_read_as_repeats_holds_what_it_holds_read_whole(
            template in proptest::collection::vec((0u8..4, 1u32..1000, 0u8..4), 1..12),
            changes in proptest::collection::vec(change(), 12),
            added in 0usize..3,
            order in proptest::collection::vec(0usize..100, 16),
            moved in proptest::bool::weighted(0.1),
        ) {
            use crate::model::Status;
            let status = |k: u8| [Status::Passed, Status::Skipped, Status::Failed, Status::Errored][k as usize];
            let mut first = Snapshot::new();
            for (i, (k, d, rich)) in template.iter().enumerate() {
                let mut t = result(&format!("t{i}"), status(*k), f64::from(*d) / 8.0);
                // A template test with more than a plain row holds: a file and line, tags,
                // properties. Its repeats are found by their fields, not their bytes.
                match rich {
                    1 => {
                        t.file = Some("src/a.rs".into());
                        t.line = Some(7);
                    }
                    2 => t.tags.push("slow".into()),
                    3 => {
                        t.properties.insert("k".into(), "v".into());
                    }
                    _ => {}
                }
                first.tests.push(t);
            }
            let first = parse(p(), &super::super::snapshot_lines::encode(&first)).unwrap();
            let mut run = Snapshot::new();
            let mut repeats = 0;
            for (i, t) in first.tests.iter().enumerate() {
                let mut t = t.clone();
                let d = t.duration_s.unwrap() + 0.5;
                t.duration_s = Some(d);
                t.attempts[0].duration_s = Some(d);
                let c = changes[i];
                let plain = !t.status.is_failure();
                match c {
                    Change::Duration | Change::Same if plain => repeats += 1,
                    Change::Duration | Change::Same => {}
                    Change::Status => {
                        t.status = Status::Skipped;
                        t.attempts[0].status = Status::Skipped;
                        repeats += usize::from(first.tests[i].status == Status::Skipped);
                    }
                    Change::Name => t.name = "another".into(),
                    Change::Suite => t.suite = None,
                    Change::Line => t.line = Some(t.line.map_or(3, |l| l + 1)),
                    Change::Tag => t.tags.push("flaky".into()),
                    Change::Property => {
                        t.properties.insert("k2".into(), "v".into());
                    }
                    Change::File => t.file = Some("src/other.rs".into()),
                    Change::Retried => t.attempts.insert(0, crate::model::Attempt::new(Status::Failed)),
                    Change::Message => t.attempts[0].text_mut().message = Some("note".into()),
                    Change::BadDuration => {
                        t.duration_s = Some(-1.0);
                        t.attempts[0].duration_s = Some(-1.0);
                    }
                    Change::Missing => continue,
                    Change::Twice => run.tests.push(t.clone()),
                }
                if matches!(c, Change::Same) {
                    t = first.tests[i].clone();
                }
                run.tests.push(t);
            }
            for a in 0..added {
                run.tests.push(result(&format!("new{a}"), Status::Passed, 1.0));
            }
            // Every test in another suite: each row as the template's, but for the context
            // rows they point to.
            if moved {
                for t in &mut run.tests {
                    if t.suite.is_some() {
                        t.suite = Some("elsewhere".into());
                    }
                }
                repeats = 0;
            }
            // Some places swapped: a run's tests need not come in the template's order.
            for (k, &o) in order.iter().enumerate() {
                let n = run.tests.len();
                if n > 1 && o < 30 {
                    run.tests.swap(k % n, o % n);
                }
            }
            let bytes = super::super::snapshot_lines::encode(&run);
            let whole = parse_shared(p(), &bytes, Some(&SharedNames::of(&first)));
            // Repeats found from the rows' bytes where they can be, and from the rows read
            // alone.
            for keys in [
                super::super::snapshot_lines::row_keys(&first),
                crate::model::RowKeys::default(),
            ] {
                let names = SharedNames::with_template(&first, keys);
                let repeating = parse_shared(p(), &bytes, Some(&names));
                match (&whole, repeating) {
                    (Ok(w), Ok(r)) => {
                        proptest::prop_assert!(w.repeats.is_none());
                        proptest::prop_assert_eq!(r.test_count(), w.tests.len());
                        proptest::prop_assert_eq!(tests_by_id(&r), tests_by_id(w));
                        proptest::prop_assert_eq!(
                            r.repeats.as_ref().map_or(0, |x| x.at.len()),
                            repeats
                        );
                        let (mut r, mut w) = (r, w.clone());
                        r.tests.clear();
                        r.repeats = None;
                        w.tests.clear();
                        proptest::prop_assert_eq!(r, w);
                    }
                    (Err(w), Err(r)) => proptest::prop_assert_eq!(r.to_string(), w.to_string()),
                    (w, r) => proptest::prop_assert!(
                        false,
                        "whole {:?}, as repeats {:?}",
                        w.is_ok(),
                        r.is_ok()
                    ),
                }
            }
        }
    }

    /// A row that starts as its template's row up to its duration but holds more after it (a
    /// line, an explicit id, an unknown key, a space) is not taken as a repeat from its bytes:
    /// it is read, and is a repeat only when its fields say so.
    #[test]
    fn a_row_with_more_after_its_duration_is_no_repeat() {
        use crate::model::Status;
        let mut first = Snapshot::new();
        for i in 0..4 {
            first
                .tests
                .push(result(&format!("t{i}"), Status::Passed, 0.25));
        }
        let first = parse(p(), &super::super::snapshot_lines::encode(&first)).unwrap();
        let mut run = first.clone();
        for t in &mut run.tests {
            t.duration_s = Some(0.5);
            t.attempts[0].duration_s = Some(0.5);
        }
        let bytes = super::super::snapshot_lines::encode(&run);
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.matches("\"d\":0.5}").count(), 4, "{text}");
        for (after, held) in [
            (",\"l\":9}", 3),
            // Its own id written out: the same test, a repeat found by its fields.
            (",\"id\":\"t1\"}", 4),
            // Another id: another test.
            (",\"id\":\"t9\"}", 3),
            // A key the reader leaves aside, a space: the same test, found by its fields.
            (",\"zz\":1}", 4),
            (" }", 4),
        ] {
            // The second test's row only.
            let at = text.find("\"d\":0.5}").unwrap() + 1;
            let at = at + text[at..].find("\"d\":0.5}").unwrap();
            let changed = format!("{}\"d\":0.5{after}{}", &text[..at], &text[at + 8..]);
            let whole = parse_shared(p(), changed.as_bytes(), Some(&SharedNames::of(&first)));
            let names =
                SharedNames::with_template(&first, super::super::snapshot_lines::row_keys(&first));
            let repeating = parse_shared(p(), changed.as_bytes(), Some(&names));
            match (whole, repeating) {
                (Ok(w), Ok(r)) => {
                    assert_eq!(tests_by_id(&r), tests_by_id(&w), "{after}");
                    assert_eq!(
                        r.repeats.as_ref().map_or(0, |x| x.at.len()),
                        held,
                        "{after}"
                    );
                    assert_eq!(r.tests.len(), 4 - held, "{after}");
                }
                (Err(w), Err(r)) => assert_eq!(r.to_string(), w.to_string(), "{after}"),
                (w, r) => panic!("{after}: whole {:?}, as repeats {:?}", w.is_ok(), r.is_ok()),
            }
        }
    }

    #[test]
    fn refuses_foreign_json() {
        let e = parse(p(), br#"{"results": []}"#).unwrap_err().to_string();
        assert!(e.contains("without a \"schema\" field"), "{e}");
    }

    #[test]
    fn truncated_json_names_the_position() {
        let e = parse(
            p(),
            b"{\"schema\":\"regdiff.snapshot/1\",\n\"run\":{\"branch\":",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("snap.json:2:"), "{e}");
        assert!(e.contains("truncated"), "{e}");
    }
}
