//! `go test -json` output (test2json event streams), read line by line.
//!
//! Each line is an event `{"Time", "Action", "Package", "Test", "Elapsed", "Output"}`.
//! Identity: suite and class name are the package's import path, the name is the test's own
//! name with its subtest path (`TestTable/two`), so the id is `PACKAGE::TestTable/two`. Go
//! reports a parent test and its subtests each with a result; regdiff keeps both, as Go does.
//!
//! * `pass` / `fail` / `skip` events end a test; its `output` lines (bounded) give the failure
//!   message (the first `file.go:N: message` line, which also gives file and line) and trace.
//! * A test that started (`run`) but has no end event when its package ends — a timeout
//!   panic, a crash, `os.Exit` — is an **errored** test with the package's last output
//!   (`panic: test timed out after 2s`), never dropped.
//! * A package that fails with no failing test (TestMain, init, a crash before any test) gets
//!   an errored test `[package]`; a build failure — the plain `FAIL pkg [build failed]` line
//!   older Go versions print (stderr merged), or newer Go's `build-output`/`build-fail` events
//!   and `FailedBuild` — gets an errored test `[build]` with the compiler's messages.
//! * `(cached)` packages replay an earlier run: their tests are read, tagged `cached`, and
//!   counted in a warning, since they are not a new run of the code.
//! * Lines that are not JSON are kept as output (the compiler writes to stderr); a JSON line
//!   that cannot be read is an error naming the line.

use std::collections::BTreeMap;
use std::path::Path;

use hashbrown::HashMap;
use serde::Deserialize;

use super::text::{BoundedText, LineReader, bound};
use super::{CaseInput, RunBuilder};
use crate::error::IngestError;
use crate::model::{Attempt, Status};

const OUTPUT_HEAD: usize = 16 << 10;
const OUTPUT_TAIL: usize = 16 << 10;
const TAIL_LINES: usize = 30;

/// Whether bytes look like a `go test -json` stream: one of the first lines is an event.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines().take(50).any(|l| {
        let l = l.trim_start();
        l.starts_with('{') && l.contains("\"Action\":") && l.contains("\"Package\":")
    })
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "Action", borrow)]
    action: std::borrow::Cow<'a, str>,
    #[serde(rename = "Package", default, borrow)]
    package: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "ImportPath", default, borrow)]
    import_path: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "Test", default, borrow)]
    test: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "Elapsed", default)]
    elapsed: Option<f64>,
    #[serde(rename = "Output", default, borrow)]
    output: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "FailedBuild", default, borrow)]
    failed_build: Option<std::borrow::Cow<'a, str>>,
}

struct Running {
    output: BoundedText,
}

#[derive(Default)]
struct Package {
    running: BTreeMap<String, Running>,
    /// Failing tests of the package so far.
    failed_tests: u64,
    any_test: bool,
    cached: bool,
    /// The first `panic:` line the package printed.
    panic: Option<String>,
    /// Tests ended, held until the package ends (a `(cached)` line comes last).
    done: Vec<CaseInput>,
    tail: std::collections::VecDeque<String>,
    build_output: Vec<String>,
}

/// Reads a `go test -json` stream.
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let mut input = LineReader::open(path)?;
    let source = path.display().to_string();
    let mut packages: HashMap<String, Package> = HashMap::new();
    // Plain lines (compiler output on stderr) since the last event: the messages of a
    // build failure that follows them.
    let mut plain: Vec<String> = Vec::new();
    let mut events = 0u64;
    let mut cached_tests = 0u64;
    let mut cached_packages = 0u64;
    let mut bad_elapsed = 0u64;
    let mut bad_elapsed_line: Option<u64> = None;
    while let Some((lineno, buf)) = input.next_line()? {
        let trimmed = buf.trim_ascii_start();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed[0] != b'{' {
            let line = String::from_utf8_lossy(trimmed).into_owned();
            // Older Go prints a build failure only as text: `FAIL\tpkg [build failed]`.
            if let Some(rest) = line.strip_prefix("FAIL")
                && let Some(pkg) = rest.trim().strip_suffix("[build failed]")
            {
                let pkg = pkg.trim().to_string();
                let messages = std::mem::take(&mut plain);
                emit_build_failure(&pkg, &messages, &source, builder);
                continue;
            }
            if plain.len() == 200 {
                plain.remove(0);
            }
            plain.push(line);
            continue;
        }
        let ev: Event<'_> = serde_json::from_slice(trimmed).map_err(|e| IngestError::Syntax {
            path: path.to_path_buf(),
            line: lineno,
            column: e.column() as u64,
            message: format!("not a go test -json event: {e}"),
        })?;
        events += 1;
        if let Some(e) = ev.elapsed
            && !(e.is_finite() && e >= 0.0)
        {
            bad_elapsed += 1;
            bad_elapsed_line.get_or_insert(lineno);
        }
        let action = ev.action.as_ref();
        // Newer Go: build output events keyed by ImportPath, and build-fail.
        if action == "build-output" || action == "build-fail" {
            let key = ev
                .import_path
                .as_deref()
                .unwrap_or("")
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string();
            let p = packages.entry(key.clone()).or_default();
            if let Some(o) = ev.output.as_deref() {
                p.build_output.push(o.trim_end().to_string());
            }
            continue;
        }
        let Some(pkg) = ev.package.as_deref() else {
            continue;
        };
        let p = packages.entry(pkg.to_string()).or_default();
        match (ev.test.as_deref(), action) {
            (Some(test), "run") => {
                p.any_test = true;
                p.running.insert(
                    test.to_string(),
                    Running {
                        output: BoundedText::new(OUTPUT_HEAD, OUTPUT_TAIL),
                    },
                );
            }
            (Some(test), "output") => {
                if let Some(o) = ev.output.as_deref() {
                    if let Some(r) = p.running.get_mut(test) {
                        r.output.push(o);
                    }
                    remember(p, o);
                }
            }
            (Some(test), "pass" | "fail" | "skip") => {
                p.any_test = true;
                let output = p.running.remove(test).map(|r| r.output.finish());
                let status = match action {
                    "pass" => Status::Passed,
                    "fail" => Status::Failed,
                    _ => Status::Skipped,
                };
                if status == Status::Failed {
                    p.failed_tests += 1;
                }
                p.done
                    .push(case(pkg, test, status, ev.elapsed, output.as_deref()));
            }
            (Some(_), _) => {}
            (None, "output") => {
                if let Some(o) = ev.output.as_deref() {
                    if o.trim_end().ends_with("(cached)") && o.starts_with("ok") {
                        p.cached = true;
                        cached_packages += 1;
                    }
                    remember(p, o);
                }
            }
            (None, "pass" | "fail" | "skip") => {
                let mut p = packages.remove(pkg).unwrap_or_default();
                cached_tests += flush(&mut p, &source, builder);
                let tail: Vec<String> = p.tail.iter().cloned().collect();
                let failed = action == "fail";
                if let Some(fb) = ev.failed_build.as_deref().filter(|_| failed) {
                    let key = fb.split(' ').next().unwrap_or(fb);
                    let mut messages = packages
                        .remove(key)
                        .map(|b| b.build_output)
                        .unwrap_or_default();
                    messages.append(&mut p.build_output);
                    messages.extend(std::mem::take(&mut plain));
                    emit_build_failure(pkg, &messages, &source, builder);
                    continue;
                }
                // Tests still running when their package ended: the package crashed or
                // timed out under them.
                let unfinished = std::mem::take(&mut p.running);
                for (test, r) in unfinished {
                    let mut a = Attempt::new(Status::Errored);
                    a.text_mut().kind = Some("no result".into());
                    let panic = p
                        .panic
                        .clone()
                        .unwrap_or_else(|| "the package ended before the test did".into());
                    a.text_mut().message = Some(format!(
                        "no result: the package ended while the test was running ({panic})"
                    ));
                    let out = r.output.finish();
                    let trace = if out.trim().is_empty() {
                        tail.join("\n")
                    } else {
                        format!("{out}\n{}", tail.join("\n"))
                    };
                    a.text_mut().trace = Some(bound(&trace, OUTPUT_HEAD, OUTPUT_TAIL));
                    builder.add_case(pseudo(pkg, &test, a), &source, lineno);
                    p.failed_tests += 1;
                }
                if failed && p.failed_tests == 0 {
                    let mut a = Attempt::new(Status::Errored);
                    a.text_mut().kind = Some("package".into());
                    a.text_mut().message = Some(if p.any_test {
                        "the package failed although none of its tests did".into()
                    } else {
                        "the package failed before any test ran".into()
                    });
                    a.duration_s = ev.elapsed.filter(|e| e.is_finite() && *e >= 0.0);
                    a.text_mut().trace =
                        (!tail.is_empty()).then(|| bound(&tail.join("\n"), OUTPUT_HEAD, 0));
                    builder.add_case(pseudo(pkg, "[package]", a), &source, lineno);
                }
            }
            (None, _) => {}
        }
    }
    if events == 0 {
        return Err(IngestError::unusable(
            path,
            "no go test -json event in the file (expected lines like {\"Action\":\"pass\",\"Package\":…})",
        ));
    }
    // Packages with no end event: the stream was cut off.
    let lineno = input.lineno;
    let mut cut: Vec<(String, Package)> = packages.into_iter().collect();
    cut.sort_by(|a, b| a.0.cmp(&b.0));
    for (pkg, mut p) in cut {
        cached_tests += flush(&mut p, &source, builder);
        for (test, r) in p.running {
            let mut a = Attempt::new(Status::Errored);
            a.text_mut().kind = Some("no result".into());
            a.text_mut().message =
                Some("no result: the stream ended while the test was running (cut off?)".into());
            let out = r.output.finish();
            a.text_mut().trace = (!out.trim().is_empty()).then_some(out);
            builder.add_case(pseudo(&pkg, &test, a), &source, lineno);
            builder.warnings.push(format!(
                "{source}:{lineno}: the stream ended before package `{pkg}` did; its unfinished tests are counted as errors"
            ));
        }
    }
    if let Some(line) = bad_elapsed_line {
        builder.warnings.push(format!(
            "{source}:{line}: {bad_elapsed} event(s) with a negative or non-finite `Elapsed` (first here); those durations are left out"
        ));
    }
    if cached_packages > 0 {
        builder.warnings.push(format!(
            "{source}: {cached_tests} test(s) in {cached_packages} package(s) are cached results of an earlier run (`(cached)`), tagged `cached`; run with -count=1 for a new run"
        ));
    }
    Ok(())
}

fn remember(p: &mut Package, line: &str) {
    if p.panic.is_none() && line.starts_with("panic:") {
        p.panic = Some(bound(line.trim_end(), 400, 100));
    }
    if p.tail.len() == TAIL_LINES {
        p.tail.pop_front();
    }
    p.tail.push_back(bound(line.trim_end(), 400, 100));
}

/// Adds the package's ended tests to the run (tagged `cached` when the package was a cached
/// replay); returns how many were cached.
fn flush(p: &mut Package, source: &str, builder: &mut RunBuilder) -> u64 {
    let cached = p.cached;
    let mut n = 0;
    for mut c in p.done.drain(..) {
        if cached {
            c.tags.push("cached".into());
            n += 1;
        }
        builder.add_case(c, source, 0);
    }
    n
}

/// A test of `pkg` with one attempt and nothing else known.
fn pseudo(pkg: &str, name: &str, a: Attempt) -> CaseInput {
    CaseInput {
        suite: Some(pkg.into()),
        classname: Some(pkg.into()),
        name: name.into(),
        attempts: vec![a],
        file: None,
        line: None,
        tags: Vec::new(),
        properties: BTreeMap::new(),
    }
}

fn emit_build_failure(pkg: &str, messages: &[String], source: &str, builder: &mut RunBuilder) {
    let mut a = Attempt::new(Status::Errored);
    a.text_mut().kind = Some("build failed".into());
    let first = messages
        .iter()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .cloned();
    a.text_mut().message = Some(match first {
        Some(m) => format!("build failed: {m}"),
        None => "build failed".into(),
    });
    if !messages.is_empty() {
        a.text_mut().trace = Some(bound(&messages.join("\n"), OUTPUT_HEAD, OUTPUT_TAIL));
    }
    builder.add_case(pseudo(pkg, "[build]", a), source, 0);
}

/// A finished test, with its message and location from its output.
fn case(
    pkg: &str,
    test: &str,
    status: Status,
    elapsed: Option<f64>,
    output: Option<&str>,
) -> CaseInput {
    let mut a = Attempt::new(status);
    a.duration_s = elapsed.filter(|e| e.is_finite() && *e >= 0.0);
    let mut file = None;
    let mut line = None;
    if status != Status::Passed
        && let Some(out) = output
    {
        // Lines the test itself logged: `    file_test.go:12: message`, without the
        // framework's `=== RUN` / `--- FAIL` headers.
        let own: Vec<&str> = out
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.starts_with("=== ") || t.starts_with("--- "))
            })
            .collect();
        let located = own.iter().find_map(|l| {
            let t = l.trim_start();
            let (loc, msg) = t.split_once(": ")?;
            let (f, n) = loc.rsplit_once(':')?;
            let n: u32 = n.parse().ok()?;
            f.ends_with(".go")
                .then(|| (f.to_string(), n, msg.to_string()))
        });
        if let Some((f, n, msg)) = located {
            file = Some(f);
            line = Some(n);
            a.text_mut().message = Some(bound(&msg, 8 << 10, 0));
        } else if let Some(first) = own.iter().map(|l| l.trim()).find(|l| !l.is_empty()) {
            a.text_mut().message = Some(bound(first, 8 << 10, 0));
        }
        let body = own.join("\n");
        if !body.trim().is_empty() {
            a.text_mut().trace = Some(body);
        }
    }
    CaseInput {
        suite: Some(pkg.into()),
        classname: Some(pkg.into()),
        name: test.into(),
        attempts: vec![a],
        file: file.map(Into::into),
        line,
        tags: Vec::new(),
        properties: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert!(sniff(
            b"# pkg\nerr\n{\"Time\":\"x\",\"Action\":\"run\",\"Package\":\"p\"}\n"
        ));
        assert!(!sniff(b"{\"schema\": \"regdiff.snapshot/1\"}"));
    }

    #[test]
    fn messages_come_from_the_tests_own_lines() {
        let c = case(
            "p",
            "TestX",
            Status::Failed,
            Some(0.5),
            Some("=== RUN   TestX\n    x_test.go:12: got 6, want 7\n--- FAIL: TestX (0.50s)\n"),
        );
        let a = &c.attempts[0];
        assert_eq!(a.message(), Some("got 6, want 7"));
        assert_eq!((c.file.as_deref(), c.line), (Some("x_test.go"), Some(12)));
        assert_eq!(a.duration_s, Some(0.5));
    }
}
