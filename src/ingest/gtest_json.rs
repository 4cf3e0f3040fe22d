//! Google Test's JSON output (`--gtest_output=json:FILE`), as googletest 1.10–1.15 write it.
//!
//! * `testsuites[]` are the test suites (`Arith`, `Small/IsEven`, `Widen/0`), each with its
//!   tests in `testsuite[]`. A test's id is `classname::name`, as the JUnit reader gives the
//!   same test in gtest's XML (`Arith::WrongSum`, `Small/IsEven::Check/2`), so the two
//!   outputs of one binary compare with each other; the suite is the test suite's name.
//! * `result` decides: `COMPLETED` is passed, or failed when the test has `failures`
//!   (one object per failed assertion, all kept in the message); `SKIPPED` (GTEST_SKIP) is
//!   skipped; `SUPPRESSED` with `status: NOTRUN` is a `DISABLED_` test: skipped, with the
//!   message saying so. The console counts disabled tests apart ("YOU HAVE 1 DISABLED
//!   TEST"); here they are skipped tests, as in gtest's XML.
//! * `value_param` and `type_param` become properties; `file` and `line` are kept; `time`
//!   is `"0.012s"`; the top-level `timestamp` is the run's time.
//! * gtest rewrites the file after each `--gtest_repeat` iteration, so a file holds one
//!   iteration; repeated runs are separate files.
//! * The file is read one test suite at a time.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::json_stream::stream_array;
use super::text::{bound, parse_seconds};
use super::{CaseInput, RunBuilder};
use crate::error::IngestError;
use crate::model::{Attempt, Status};

const MESSAGE_MAX: usize = 12 << 10;

#[derive(Deserialize)]
struct GSuite {
    name: String,
    #[serde(default)]
    testsuite: Vec<GTest>,
}

#[derive(Deserialize)]
struct GTest {
    name: String,
    #[serde(default)]
    classname: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    value_param: Option<String>,
    #[serde(default)]
    type_param: Option<String>,
    #[serde(default)]
    failures: Vec<GFailure>,
}

#[derive(Deserialize)]
struct GFailure {
    #[serde(default)]
    failure: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// Whether the first bytes look like Google Test JSON: its `testsuites` array of suites that
/// hold a `testsuite` array, with gtest's `AllTests` root or its `COMPLETED` results.
pub fn sniff(text: &str) -> bool {
    text.contains("\"testsuites\"")
        && text.contains("\"testsuite\"")
        && (text.contains("\"AllTests\"")
            || text.contains("\"COMPLETED\"")
            || text.contains("\"SUPPRESSED\""))
}

/// Reads a Google Test JSON file.
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let source = path.display().to_string();
    let mut read = 0u64;
    let mut bad_times = 0u64;
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    // One test suite at a time: memory is bounded by the largest suite, not by the file.
    let streamed = stream_array(
        path,
        &["testsuites"],
        &["tests", "timestamp"],
        "Google Test JSON file (--gtest_output=json)",
        |suite: GSuite| {
            for t in suite.testsuite {
                read += 1;
                let disabled = t.status.as_deref() == Some("NOTRUN")
                    || t.result.as_deref() == Some("SUPPRESSED");
                let status = match t.result.as_deref() {
                    _ if disabled => Status::Skipped,
                    Some("SKIPPED") => Status::Skipped,
                    _ if !t.failures.is_empty() => Status::Failed,
                    Some("COMPLETED") | None => Status::Passed,
                    Some(other) => {
                        // A result this reader does not know, without failures: say so, and
                        // never count it as a pass.
                        *unknown.entry(other.to_string()).or_default() += 1;
                        Status::Errored
                    }
                };
                let mut a = Attempt::new(status);
                a.duration_s = match t.time.as_deref() {
                    Some(raw) => match parse_seconds(raw.trim_end_matches('s')) {
                        Ok(d) => d,
                        Err(_) => {
                            bad_times += 1;
                            None
                        }
                    },
                    None => None,
                };
                if disabled {
                    a.duration_s = None;
                    a.text_mut().message = Some("disabled (DISABLED_ prefix)".into());
                } else if status == Status::Errored {
                    a.text_mut().message = Some(format!(
                        "[regdiff] Google Test result `{}` is not one regdiff knows",
                        t.result.as_deref().unwrap_or("")
                    ));
                }
                if !t.failures.is_empty() {
                    let texts: Vec<&str> = t
                        .failures
                        .iter()
                        .filter_map(|f| f.failure.as_deref())
                        .collect();
                    a.text_mut().message = Some(bound(&texts.join("\n\n"), MESSAGE_MAX, 0));
                    a.text_mut().kind = t
                        .failures
                        .iter()
                        .find_map(|f| f.kind.clone())
                        .filter(|k| !k.is_empty());
                }
                let mut properties = BTreeMap::new();
                if let Some(v) = t.value_param {
                    properties.insert("value_param".to_string(), v);
                }
                if let Some(v) = t.type_param {
                    properties.insert("type_param".to_string(), v);
                }
                builder.add_case(
                    CaseInput {
                        suite: Some(suite.name.as_str().into()),
                        classname: Some(
                            t.classname
                                .map_or_else(|| suite.name.as_str().into(), Into::into),
                        ),
                        name: t.name.into(),
                        attempts: vec![a],
                        file: t.file.map(Into::into),
                        line: t.line,
                        tags: Vec::new(),
                        properties,
                    },
                    &source,
                    0,
                );
            }
            Ok(())
        },
    )?;
    if let Some(ts) = streamed
        .kept
        .get("timestamp")
        .and_then(|v| v.as_str())
        .filter(|t| !t.starts_with("1970-"))
    {
        builder.time.get_or_insert_with(|| ts.to_string());
    }
    if let Some(declared) = streamed.kept.get("tests").and_then(|v| v.as_u64())
        && declared != read
    {
        builder.warnings.push(format!(
            "{source}: the file declares {declared} tests but holds {read}; the tests held are used"
        ));
    }
    if bad_times > 0 {
        builder.warnings.push(format!(
            "{source}: {bad_times} test time(s) that are not seconds (`0.012s`) read as unknown"
        ));
    }
    for (result, n) in unknown {
        builder.warnings.push(format!(
            "{source}: {n} test(s) with the unknown result `{result}` and no failure were read as errored"
        ));
    }
    if read == 0 {
        builder
            .warnings
            .push(format!("{source}: the file holds no tests"));
    }
    Ok(())
}
