//! CTRF JSON (Common Test Report Format, <https://ctrf.io>), read test by test.
//!
//! * Identity: the suite path (`suite`, a string `file > describe` or an array, joined with
//!   ` > `) is the class name and `name` the name; when the name already starts with the
//!   suite's first part (pytest's node ids), the name alone is the id.
//! * Statuses: `passed`, `failed`, `skipped` and `pending` as named (pending is skipped).
//!   `other` is skipped only when its `rawStatus` says the test did not run (`todo`,
//!   `pending`, `disabled`, `skipped`); any other `other` is errored, never a pass.
//!   A failure of a pytest fixture (`rawStatus` `setup_failed` / `teardown_failed`) is errored,
//!   not a failure of the test body. Playwright's `test.fail()` (annotation `fail`): the raw
//!   outcome decides — an expected failure is passed, an unexpected pass failed.
//! * Attempts: `retryAttempts` are the attempts before the last, in order; the test itself is
//!   the last. With only a `retries` count (or `flaky: true`), the earlier attempts are failed
//!   ones of unknown duration: a retry follows a failure.
//! * `duration` is in milliseconds. `results.environment` goes to the run's properties
//!   (`branchName` and `commit` to the run), `summary.start` (epoch ms) is the run's time.
//! * A summary whose test count disagrees with the tests is reported; the tests win.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::json_stream::{stream_array, text};
use super::text::{MAX_COUNTED_ATTEMPTS, bound, checked_seconds};
use super::{CaseInput, RunBuilder};
use crate::error::IngestError;
use crate::model::{Attempt, Status};

const MESSAGE_MAX: usize = 8 << 10;
const TRACE_MAX: usize = 48 << 10;
const OUTPUT_MAX: usize = 8 << 10;

#[derive(Deserialize)]
struct CTest {
    name: String,
    status: String,
    #[serde(default, rename = "rawStatus")]
    raw_status: Option<String>,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    suite: Option<Value>,
    #[serde(default, rename = "filePath")]
    file_path: Option<String>,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    trace: Option<String>,
    #[serde(default)]
    retries: Option<u32>,
    #[serde(default)]
    flaky: Option<bool>,
    #[serde(default, rename = "retryAttempts")]
    retry_attempts: Vec<CAttempt>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    stdout: Option<Value>,
    #[serde(default)]
    stderr: Option<Value>,
    #[serde(default)]
    extra: Option<Value>,
}

#[derive(Deserialize)]
struct CAttempt {
    status: String,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    trace: Option<String>,
}

/// Whether the first bytes look like a CTRF report.
pub fn sniff(text: &str) -> bool {
    text.contains("\"reportFormat\"")
        || (text.contains("\"results\"")
            && text.contains("\"tool\"")
            && text.contains("\"summary\""))
}

/// Reads a CTRF report.
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let source = path.display().to_string();
    let mut warnings: Vec<String> = Vec::new();
    let mut bad_durations = 0u64;
    let mut repeated = 0u64;
    let mut repeated_example = None;
    let streamed = stream_array(
        path,
        &["results", "tests"],
        &["environment", "summary"],
        "CTRF report (https://ctrf.io)",
        |t: CTest| {
            let mut case = convert(t, &mut warnings, &mut bad_durations)?;
            // CTRF lists retries inside a test, so a test listed twice is two tests (jest's
            // `test.each` without `%s` in the title), not a retry: the later ones are kept
            // apart as `name#N`.
            let has =
                |b: &RunBuilder, name: &str| b.has_case(None, case.classname.as_deref(), name);
            if has(builder, &case.name) {
                let mut n = 2;
                while has(builder, &format!("{}#{n}", case.name)) {
                    n += 1;
                }
                case.name = format!("{}#{n}", case.name).into();
                repeated += 1;
                repeated_example.get_or_insert_with(|| case.name.to_string());
            }
            builder.add_case(case, &source, 0);
            Ok(())
        },
    )?;
    let summary = streamed.kept.get("summary");
    if let Some(start) = summary.and_then(|s| s.get("start")).and_then(Value::as_i64)
        && let Ok(ts) = jiff::Timestamp::from_millisecond(start)
    {
        builder.time.get_or_insert_with(|| ts.to_string());
    }
    warnings.extend(streamed.summary_disagrees("tests"));
    for (k, v) in streamed.pairs("environment") {
        match k.as_str() {
            "branchName" => builder.run.branch = Some(v.clone()),
            "commit" => builder.run.commit = Some(v.clone()),
            _ => {}
        }
        builder.properties.insert(format!("environment/{k}"), v);
    }
    if streamed.elements == 0 {
        warnings.push("the report holds no tests".into());
    }
    if repeated > 0 {
        warnings.push(format!(
            "{repeated} test(s) listed again with the same suite and name (CTRF gives retries inside a test, so these are other tests); kept apart as `name#N` in file order, e.g. `{}`",
            repeated_example.unwrap_or_default()
        ));
    }
    if bad_durations > 0 {
        warnings.push(format!(
            "{bad_durations} duration(s) that are not a number of milliseconds >= 0 read as unknown"
        ));
    }
    builder
        .warnings
        .extend(warnings.into_iter().map(|w| format!("{source}: {w}")));
    Ok(())
}

fn suite_parts(v: &Option<Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split(" > ").map(str::to_string).collect(),
        Some(Value::Array(a)) => a.iter().map(text).collect(),
        _ => Vec::new(),
    }
}

fn lines(v: &Option<Value>) -> Option<String> {
    let joined = match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().map(text).collect::<Vec<_>>().join("\n"),
        _ => return None,
    };
    (!joined.trim().is_empty()).then(|| bound(&joined, OUTPUT_MAX, OUTPUT_MAX))
}

fn status_of(
    status: &str,
    raw: Option<&str>,
    name: &str,
) -> Result<(Status, Option<String>), String> {
    Ok(match (status, raw) {
        (_, Some(r @ ("setup_failed" | "teardown_failed"))) => (
            Status::Errored,
            Some(r.trim_end_matches("_failed").to_string()),
        ),
        ("passed", _) => (Status::Passed, None),
        ("failed", _) => (Status::Failed, None),
        ("skipped", r) => (
            Status::Skipped,
            r.filter(|r| *r != "skipped").map(str::to_string),
        ),
        ("pending", _) => (Status::Skipped, Some("pending".into())),
        ("other", Some(r @ ("todo" | "pending" | "disabled" | "skipped"))) => {
            (Status::Skipped, Some(r.to_string()))
        }
        ("other", r) => (
            Status::Errored,
            Some(format!("other ({})", r.unwrap_or("no rawStatus"))),
        ),
        (other, _) => {
            return Err(format!(
                "test `{name}` has status `{other}`; expected passed, failed, skipped, pending or other"
            ));
        }
    })
}

fn convert(t: CTest, warnings: &mut Vec<String>, bad: &mut u64) -> Result<CaseInput, String> {
    let (mut status, mut kind) = status_of(&t.status, t.raw_status.as_deref(), &t.name)?;
    let mut message = t.message.as_deref().map(|m| bound(m, MESSAGE_MAX, 0));
    let expected_to_fail = t
        .extra
        .as_ref()
        .and_then(|e| e.get("annotations"))
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .any(|x| x.get("type") == Some(&Value::from("fail")))
        });
    if expected_to_fail {
        match t.raw_status.as_deref() {
            Some("passed") => {
                status = Status::Failed;
                kind = Some("unexpected pass".into());
                message = Some("[regdiff] expected to fail (test.fail), but passed".into());
            }
            Some("failed") => status = Status::Passed,
            _ => {}
        }
    }
    let mut last = Attempt::new(status);
    last.duration_s = checked_seconds(t.duration, bad).map(|ms| ms / 1000.0);
    last.text_mut().kind = kind;
    last.text_mut().message = message;
    last.text_mut().trace = t.trace.as_deref().map(|s| bound(s, TRACE_MAX, 0));
    last.text_mut().stdout = lines(&t.stdout);
    last.text_mut().stderr = lines(&t.stderr);
    let counted = t.retries.unwrap_or(0).max(u32::from(t.flaky == Some(true)));
    let unrecorded =
        (counted.min(MAX_COUNTED_ATTEMPTS) as usize).saturating_sub(t.retry_attempts.len());
    if unrecorded > 0 && !t.retry_attempts.is_empty() {
        warnings.push(format!(
            "test `{}` says {} retries but lists {} earlier attempts",
            t.name,
            counted,
            t.retry_attempts.len()
        ));
    }
    if counted > MAX_COUNTED_ATTEMPTS {
        warnings.push(format!(
            "test `{}` says {counted} retries; at most {MAX_COUNTED_ATTEMPTS} undescribed attempts are kept",
            t.name
        ));
    }
    let mut attempts = Vec::with_capacity(1 + unrecorded + t.retry_attempts.len());
    for _ in 0..unrecorded {
        let mut a = Attempt::new(Status::Failed);
        a.text_mut().kind = Some("retry".into());
        a.text_mut().message = Some(format!(
            "[regdiff] the report counts {counted} retries but does not describe them; a retry follows a failure"
        ));
        attempts.push(a);
    }
    for r in &t.retry_attempts {
        let (mut st, k) = status_of(&r.status, None, &t.name)?;
        // Under test.fail() every attempt's outcome is inverted, not only the last one's.
        if expected_to_fail {
            st = match st {
                Status::Passed => Status::Failed,
                Status::Failed => Status::Passed,
                other => other,
            };
        }
        let mut a = Attempt::new(st);
        a.text_mut().kind = k;
        a.duration_s = checked_seconds(r.duration, bad).map(|ms| ms / 1000.0);
        a.text_mut().message = r.message.as_deref().map(|m| bound(m, MESSAGE_MAX, 0));
        a.text_mut().trace = r.trace.as_deref().map(|s| bound(s, TRACE_MAX, 0));
        attempts.push(a);
    }
    attempts.push(last);
    let suite = suite_parts(&t.suite);
    let classname = match suite.first() {
        Some(first) if t.name.starts_with(first.as_str()) => None,
        Some(_) => Some(suite.join(" > ")),
        None => None,
    };
    Ok(CaseInput {
        suite: None,
        classname: classname.map(Into::into),
        name: t.name.into(),
        attempts,
        file: t.file_path.map(Into::into),
        line: t.line,
        tags: t.tags,
        properties: BTreeMap::new(),
    })
}
