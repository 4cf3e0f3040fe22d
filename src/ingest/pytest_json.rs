//! pytest-json-report (`pytest --json-report`), read test by test.
//!
//! * Identity: the test's `nodeid` (`tests/test_a.py::TestX::test_y[param]`) is its id; the
//!   class name is the part before the last `::` that comes before any `[` of the parameters
//!   (a parameter may hold `::`), the name is the rest.
//! * Outcomes are per phase (`setup`, `call`, `teardown`). A failing `call` is a failure of
//!   the test body (`failed`); a failing `setup` or `teardown` is an error of the test's
//!   surroundings (`errored`, type `setup` or `teardown`), not a body failure, even when the
//!   body passed. `xfailed` is skipped (an expected failure), `xpassed` passed.
//! * `rerun` (pytest-rerunfailures) is a test that passed after failing: the report keeps
//!   only the last attempt, so the earlier one is recorded as a failed attempt of unknown
//!   duration. Reruns of a test that never passed leave no trace in this format.
//! * Durations: the sum of the phases' `duration` (seconds), as pytest's JUnit writer does.
//! * `created` (epoch seconds) is the run's time; `environment` goes to the run's properties.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::json_stream::{stream_array, text};
use super::text::{bound, checked_seconds};
use super::{CaseInput, RunBuilder};
use crate::error::IngestError;
use crate::model::{Attempt, Status};

const MESSAGE_MAX: usize = 8 << 10;
const TRACE_MAX: usize = 48 << 10;
const OUTPUT_MAX: usize = 8 << 10;

#[derive(Deserialize)]
struct PTest {
    nodeid: String,
    #[serde(default)]
    lineno: Option<u32>,
    outcome: String,
    #[serde(default)]
    setup: Option<PPhase>,
    #[serde(default)]
    call: Option<PPhase>,
    #[serde(default)]
    teardown: Option<PPhase>,
}

#[derive(Deserialize)]
struct PPhase {
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    crash: Option<PCrash>,
    #[serde(default)]
    longrepr: Option<Value>,
    #[serde(default)]
    stdout: Option<String>,
    #[serde(default)]
    stderr: Option<String>,
}

#[derive(Deserialize)]
struct PCrash {
    #[serde(default)]
    message: Option<String>,
}

/// Whether the first bytes look like a pytest-json-report document.
pub fn sniff(text: &str) -> bool {
    text.contains("\"nodeid\"")
        && (text.contains("\"collectors\"") || text.contains("\"exitcode\""))
}

/// Splits a node id into (class name, name).
fn split_nodeid(nodeid: &str) -> (Option<String>, String) {
    let params = nodeid.find('[').unwrap_or(nodeid.len());
    match nodeid[..params].rfind("::") {
        Some(i) => (Some(nodeid[..i].to_string()), nodeid[i + 2..].to_string()),
        None => (None, nodeid.to_string()),
    }
}

/// Reads a pytest-json-report file.
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let source = path.display().to_string();
    let mut rerun = 0u64;
    let mut bad_durations = 0u64;
    let streamed = stream_array(
        path,
        &["tests"],
        &["created", "environment", "summary"],
        "pytest-json-report file (pytest --json-report)",
        |t: PTest| {
            rerun += u64::from(t.outcome == "rerun");
            let case = convert(t, &mut bad_durations)?;
            builder.add_case(case, &source, 0);
            Ok(())
        },
    )?;
    if let Some(created) = streamed.kept.get("created").and_then(Value::as_f64)
        && let Ok(ts) = jiff::Timestamp::from_microsecond((created * 1e6) as i64)
    {
        builder.time.get_or_insert_with(|| ts.to_string());
    }
    for (k, v) in streamed.pairs("environment") {
        builder.properties.insert(format!("environment/{k}"), v);
    }
    if let Some(w) = streamed.summary_disagrees("total") {
        builder.warnings.push(format!("{source}: {w}"));
    }
    if bad_durations > 0 {
        builder.warnings.push(format!(
            "{source}: {bad_durations} phase duration(s) that are not a number of seconds >= 0 read as unknown"
        ));
    }
    if rerun > 0 {
        builder.warnings.push(format!(
            "{source}: {rerun} test(s) passed on a rerun; pytest-json-report keeps only the last attempt, so each earlier one is recorded as one failed attempt"
        ));
    }
    if streamed.elements == 0 {
        builder
            .warnings
            .push(format!("{source}: the report holds no tests"));
    }
    Ok(())
}

fn convert(t: PTest, bad_durations: &mut u64) -> Result<CaseInput, String> {
    let failed = |p: &Option<PPhase>| {
        p.as_ref()
            .is_some_and(|p| p.outcome.as_deref() == Some("failed"))
    };
    let (status, kind, culprit) = match t.outcome.as_str() {
        "passed" | "xpassed" | "rerun" => (Status::Passed, None, None),
        "skipped" | "xfailed" => {
            let phase = if t.call.is_some() { &t.call } else { &t.setup };
            (
                Status::Skipped,
                (t.outcome == "xfailed").then(|| "xfailed".to_string()),
                phase.as_ref(),
            )
        }
        "failed" | "error" => {
            if failed(&t.setup) {
                (Status::Errored, Some("setup".to_string()), t.setup.as_ref())
            } else if failed(&t.call) {
                (Status::Failed, None, t.call.as_ref())
            } else if failed(&t.teardown) {
                (
                    Status::Errored,
                    Some("teardown".to_string()),
                    t.teardown.as_ref(),
                )
            } else if t.outcome == "error" {
                (Status::Errored, None, None)
            } else {
                (Status::Failed, None, None)
            }
        }
        other => {
            return Err(format!(
                "test `{}` has outcome `{other}`; expected passed, failed, error, skipped, xfailed, xpassed or rerun",
                t.nodeid
            ));
        }
    };
    let phases = [&t.setup, &t.call, &t.teardown];
    let durations: Vec<f64> = phases
        .iter()
        .filter_map(|p| {
            p.as_ref()
                .and_then(|p| checked_seconds(p.duration, bad_durations))
        })
        .collect();
    let mut a = Attempt::new(status);
    a.duration_s = (!durations.is_empty()).then(|| durations.iter().sum());
    a.text_mut().kind = kind;
    if let Some(p) = culprit {
        let longrepr = p.longrepr.as_ref().filter(|v| !v.is_null()).map(text);
        a.text_mut().message = p
            .crash
            .as_ref()
            .and_then(|c| c.message.as_deref())
            .or(longrepr.as_deref().filter(|_| status == Status::Skipped))
            .map(|m| bound(m, MESSAGE_MAX, 0));
        if status != Status::Skipped {
            a.text_mut().trace = longrepr.map(|l| bound(&l, TRACE_MAX, 0));
        }
    }
    if a.kind() == Some("teardown") {
        a.text_mut().message = Some(format!(
            "[regdiff] the test body passed; teardown failed: {}",
            a.message().unwrap_or("")
        ));
    }
    let joined = |get: fn(&PPhase) -> Option<&String>| {
        let parts: Vec<&str> = phases
            .iter()
            .filter_map(|p| p.as_ref().and_then(get).map(String::as_str))
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| bound(&parts.join(""), OUTPUT_MAX, OUTPUT_MAX))
    };
    a.text_mut().stdout = joined(|p| p.stdout.as_ref());
    a.text_mut().stderr = joined(|p| p.stderr.as_ref());
    let mut attempts = Vec::with_capacity(2);
    if t.outcome == "rerun" {
        let mut earlier = Attempt::new(Status::Failed);
        earlier.text_mut().kind = Some("rerun".into());
        earlier.text_mut().message = Some(
            "[regdiff] pytest-json-report keeps only the last attempt; an earlier one failed"
                .into(),
        );
        attempts.push(earlier);
    }
    attempts.push(a);
    let file = t.nodeid.split("::").next().map(str::to_string);
    let (classname, name) = split_nodeid(&t.nodeid);
    Ok(CaseInput {
        suite: None,
        classname: classname.map(Into::into),
        name: name.into(),
        attempts,
        file: file.map(Into::into),
        line: t.lineno.and_then(|l| l.checked_add(1)),
        tags: Vec::new(),
        properties: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_split_before_parameters() {
        assert_eq!(
            split_nodeid("t.py::TestA::test_b[x::y]"),
            (Some("t.py::TestA".into()), "test_b[x::y]".into())
        );
        assert_eq!(
            split_nodeid("t.py::test_c"),
            (Some("t.py".into()), "test_c".into())
        );
        assert_eq!(split_nodeid("weird"), (None, "weird".into()));
    }
}
