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
        let snap = super::snapshot_lines::decode(path, bytes, names)?;
        check_values(path, &snap, names)?;
        return Ok(snap);
    }
    match serde_json::from_slice::<Snapshot>(bytes) {
        Ok(mut snap) => {
            check_schema(path, Some(&serde_json::Value::String(snap.schema.clone())))?;
            check_values(path, &snap, None)?;
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

/// Checks what the decoder leaves to it: the run's time, each id once, durations. `names`,
/// when the ids point to them, spares the set of ids: a run whose every id is the shared
/// copy of the id at the same place in an earlier, checked run holds each test once.
fn check_values(
    path: &Path,
    snap: &Snapshot,
    names: Option<&SharedNames>,
) -> Result<(), IngestError> {
    if let Some(t) = &snap.run.time
        && t.parse::<jiff::Timestamp>().is_err()
    {
        return Err(IngestError::unusable(
            path,
            format!("run.time `{t}` is not an RFC 3339 time (e.g. 2026-11-22T01:02:03Z)"),
        ));
    }
    let as_shared = names.is_some_and(|n| {
        snap.tests
            .iter()
            .enumerate()
            .all(|(i, t)| n.is_id_at(i, &t.id))
    });
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
