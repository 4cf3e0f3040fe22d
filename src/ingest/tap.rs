//! TAP, the Test Anything Protocol (versions 12, 13 and 14), read line by line.
//!
//! What is read, and how it maps to the model:
//!
//! * `ok N - description` / `not ok N - description` are test points; `not ok` is a failure
//!   (TAP does not tell failures from errors).
//! * `# SKIP reason` on a point → skipped. `# TODO reason` → skipped too, with the outcome in
//!   the message: a TODO point is expected not to work and never counts as a failure or a fix.
//! * Subtests, indented four spaces per level (TAP 14, Test::More, node:test): a point whose
//!   indented subtests precede it is a **group**, not a test; its leaf points are the tests. A
//!   group that failed while none of its subtests failed (a subtest plan not met, a `die`
//!   between subtests) is kept as a failing test of its own, so its failure never vanishes.
//! * Plans `1..N`: a stream or subtest that ends before its plan, or `Bail out!`, gives one
//!   errored test per missing point (`test K`; past 10 000 of them, one `tests K..N` for the
//!   rest), the first with the last lines the stream printed.
//! * YAML diagnostics (`---` … `...`, TAP 13): `duration_ms`, `message`/`error`, `name` (the
//!   error's type), `stack`/`at`, `location` (file and line), `severity` are read; comment
//!   lines (`# …`) after a failing point (Test::More's diagnostics) become its trace, and
//!   `at FILE line N.` its location.
//!
//! Identity: the class name is the file's stem followed by the enclosing groups' names joined
//! with ` > `, the name is the description (`test N` when there is none). A description that
//! repeats within one group is qualified with its number (`works (#3)`), as TAP numbers are
//! the only thing that tell those points apart.
//!
//! Memory: lines are read one at a time; the subtests of a group are held until the group's
//! own point closes them, so memory is bounded by the largest open group.

use std::collections::BTreeMap;
use std::path::Path;

use super::text::{LineReader, bound};
use super::{CaseInput, RunBuilder};
use crate::error::IngestError;
use crate::model::{Attempt, Status};

const MESSAGE_MAX: usize = 8 << 10;
const TRACE_MAX: usize = 32 << 10;
/// Lines of non-TAP output kept to explain a stream that ended early.
const TAIL_LINES: usize = 20;

/// Whether bytes look like TAP: the first line that is not blank or a plain comment is a
/// version line, a plan, a test point, a subtest header or a bail-out.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    for line in text.lines().take(200) {
        let l = line.trim_start();
        if l.is_empty() {
            continue;
        }
        if l.starts_with("# Subtest") {
            return true;
        }
        if l.starts_with('#') {
            continue;
        }
        return l.starts_with("TAP version ")
            || parse_plan(l).is_some()
            || l.starts_with("ok ")
            || l == "ok"
            || l.starts_with("not ok")
            || l.starts_with("Bail out!");
    }
    false
}

/// One test point as read.
struct Point {
    ok: bool,
    number: Option<u64>,
    description: String,
    directive: Option<(Directive, String)>,
    line: u64,
}

#[derive(Clone, Copy, PartialEq)]
enum Directive {
    Skip,
    Todo,
}

/// What the YAML block or comments after a point said.
#[derive(Default)]
struct Diagnostics {
    duration_s: Option<f64>,
    message: Option<String>,
    kind: Option<String>,
    trace: Vec<String>,
    file: Option<String>,
    line: Option<u32>,
    is_suite: bool,
}

/// A level of nesting: the top of the stream, or a subtest group being read.
#[derive(Default)]
struct Level {
    plan: Option<u64>,
    points: u64,
    /// Leaf tests read inside this level (for a subtest level: held until its point).
    cases: Vec<CaseInput>,
    /// Descriptions seen at this level, to qualify repeats.
    seen: BTreeMap<String, u64>,
}

struct Reader<'a> {
    path: &'a Path,
    stem: String,
    levels: Vec<Level>,
    /// The last point read and its depth, waiting for its diagnostics.
    pending: Option<(usize, Point, Diagnostics, Vec<CaseInput>, u64)>,
    /// A YAML block being read: its indentation and lines.
    yaml: Option<(usize, Vec<String>)>,
    tail: std::collections::VecDeque<String>,
    bailed: Option<String>,
    warnings: Vec<String>,
    /// Test points whose description repeats an earlier one of their group: renamed.
    renamed: u64,
    renamed_example: Option<String>,
}

/// Missing test points turned into one test each; the rest share one test.
const MISSING_MAX: u64 = 10_000;

/// Reads a TAP stream.
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let mut input = LineReader::open(path)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tap".into());
    let mut r = Reader {
        path,
        stem,
        levels: vec![Level::default()],
        pending: None,
        yaml: None,
        tail: Default::default(),
        bailed: None,
        warnings: Vec::new(),
        renamed: 0,
        renamed_example: None,
    };
    let mut invalid_utf8 = 0u64;
    let mut any = false;
    while let Some((lineno, buf)) = input.next_line()? {
        let line = match std::str::from_utf8(buf) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                invalid_utf8 += 1;
                String::from_utf8_lossy(buf)
            }
        };
        any |= r.line(&line, lineno, builder)?;
        if r.bailed.is_some() {
            break;
        }
    }
    if !any {
        return Err(IngestError::unusable(
            path,
            "no TAP test point or plan in the file (expected lines like `ok 1 - name` or `1..N`)",
        ));
    }
    if invalid_utf8 > 0 {
        r.warnings.push(format!(
            "{}: {invalid_utf8} line(s) with invalid UTF-8, replaced with U+FFFD",
            path.display()
        ));
    }
    r.finish(input.lineno, builder);
    if r.renamed > 0 {
        r.warnings.push(format!(
            "{}: {} test point(s) repeat the description of an earlier point of their group; each is named with its number, e.g. `{}`",
            path.display(),
            r.renamed,
            r.renamed_example.as_deref().unwrap_or("")
        ));
    }
    builder.warnings.append(&mut r.warnings);
    Ok(())
}

fn parse_plan(l: &str) -> Option<(u64, Option<&str>)> {
    let rest = l.strip_prefix("1..")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n = rest[..digits].parse().ok()?;
    let after = rest[digits..].trim();
    if after.is_empty() {
        return Some((n, None));
    }
    let skip = after.strip_prefix('#').map(str::trim)?;
    Some((n, Some(skip)))
}

fn parse_point(l: &str, line: u64) -> Option<Point> {
    let (ok, rest) = if let Some(r) = l.strip_prefix("not ok") {
        (false, r)
    } else {
        (true, l.strip_prefix("ok")?)
    };
    if !(rest.is_empty() || rest.starts_with([' ', '\t', '#'])) {
        return None;
    }
    let rest = rest.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = rest[..digits].parse().ok();
    let rest = rest[digits..].trim_start();
    let rest = rest
        .strip_prefix("- ")
        .or_else(|| rest.strip_prefix('-'))
        .unwrap_or(rest);
    // The directive is the first unescaped `#` followed by SKIP or TODO.
    let bytes = rest.as_bytes();
    let mut split = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'#' => {
                let after = rest[i + 1..].trim_start();
                let word: String = after
                    .chars()
                    .take(4)
                    .collect::<String>()
                    .to_ascii_uppercase();
                if word == "SKIP" || word == "TODO" {
                    let dir = if word == "SKIP" {
                        Directive::Skip
                    } else {
                        Directive::Todo
                    };
                    let reason = after[4..]
                        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                        .trim_start_matches(':')
                        .trim();
                    split = Some((i, dir, reason.to_string()));
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let (description, directive) = match split {
        Some((i, d, reason)) => (rest[..i].trim(), Some((d, reason))),
        None => (rest.trim(), None),
    };
    Some(Point {
        ok,
        number,
        description: description.replace("\\#", "#").replace("\\\\", "\\"),
        directive,
        line,
    })
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2
        && ((v.starts_with('\'') && v.ends_with('\'')) || (v.starts_with('"') && v.ends_with('"')))
    {
        let inner = &v[1..v.len() - 1];
        if v.starts_with('\'') {
            inner.replace("''", "'")
        } else {
            inner.replace("\\\"", "\"").replace("\\n", "\n")
        }
    } else {
        v.to_string()
    }
}

/// Reads the few scalar keys regdiff uses from a YAML diagnostics block: `key: value` at the
/// block's own indentation, and `key: |` / `|-` / `>` blocks of more-indented lines. Other
/// structure is ignored (it is kept in the trace).
fn read_yaml(lines: &[String], d: &mut Diagnostics) {
    let indent_of = |s: &str| s.len() - s.trim_start().len();
    let base = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent_of(l))
        .min()
        .unwrap_or(0);
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        i += 1;
        if l.trim().is_empty() || indent_of(l) != base {
            continue;
        }
        let Some((key, value)) = l.trim().split_once(':') else {
            continue;
        };
        let value = value.trim();
        let text = if value.starts_with('|') || value.starts_with('>') {
            let mut block = Vec::new();
            while i < lines.len() && (lines[i].trim().is_empty() || indent_of(&lines[i]) > base) {
                block.push(lines[i].trim().to_string());
                i += 1;
            }
            while block.last().is_some_and(String::is_empty) {
                block.pop();
            }
            block.join("\n")
        } else {
            unquote(value)
        };
        values.insert(key.trim().to_string(), text);
    }
    if let Some(ms) = values
        .get("duration_ms")
        .and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        d.duration_s = Some(ms / 1000.0);
    }
    d.is_suite = values.get("type").is_some_and(|t| t == "suite");
    if let Some(m) = values.get("message").or_else(|| values.get("error")) {
        d.message = Some(m.clone());
    }
    if let Some(n) = values.get("name") {
        d.kind = Some(n.clone());
    }
    for key in ["stack", "at"] {
        if let Some(s) = values.get(key) {
            d.trace.push(s.clone());
        }
    }
    if let Some(loc) = values.get("location") {
        set_location(d, loc);
    }
    if d.kind.is_none()
        && let Some(s) = values.get("severity")
    {
        d.kind = Some(s.clone());
    }
}

/// `/path/file.mjs:7:3` or `file.t:12` → file and line.
fn set_location(d: &mut Diagnostics, loc: &str) {
    let mut parts = loc.rsplitn(3, ':');
    let (a, b, c) = (parts.next(), parts.next(), parts.next());
    let (file, line) = match (a, b, c) {
        (Some(col), Some(line), Some(file)) if col.parse::<u32>().is_ok() => (file, line),
        (Some(line), Some(file), None) => (file, line),
        (Some(line), Some(file), Some(pre)) => {
            // No column: the file itself held a colon.
            let _ = pre;
            (file, line)
        }
        _ => return,
    };
    if let Ok(n) = line.parse::<u32>() {
        let file = file.strip_prefix("file://").unwrap_or(file);
        d.file = Some(file.to_string());
        d.line = Some(n);
    }
}

impl Reader<'_> {
    /// Reads one line; returns whether it was TAP (a plan or a point).
    fn line(
        &mut self,
        raw: &str,
        lineno: u64,
        builder: &mut RunBuilder,
    ) -> Result<bool, IngestError> {
        // A YAML block runs from `---` to `...` at the point's indentation + 2.
        if let Some((indent, lines)) = &mut self.yaml {
            let trimmed = raw.trim();
            if trimmed == "..." && raw.len() - raw.trim_start().len() <= *indent {
                let lines = std::mem::take(lines);
                self.yaml = None;
                if let Some((_, _, d, _, _)) = &mut self.pending {
                    read_yaml(&lines, d);
                }
            } else {
                lines.push(raw.to_string());
            }
            return Ok(false);
        }
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let depth = indent / 4;
        let l = raw.trim();
        if l.is_empty() {
            return Ok(false);
        }
        if l == "---" && self.pending.as_ref().is_some_and(|p| p.0 == depth) {
            self.yaml = Some((indent, Vec::new()));
            return Ok(false);
        }
        if l.starts_with("TAP version ") {
            return Ok(true);
        }
        if let Some(reason) = l.strip_prefix("Bail out!") {
            self.flush_pending(builder);
            let reason = reason.trim();
            self.bailed = Some(if reason.is_empty() {
                "Bail out!".into()
            } else {
                format!("Bail out! {reason}")
            });
            self.warnings.push(format!(
                "{}:{lineno}: the test run bailed out{}; the tests it did not run are counted as errors",
                self.path.display(),
                if reason.is_empty() { String::new() } else { format!(": {reason}") }
            ));
            return Ok(true);
        }
        if l.starts_with("# Subtest") {
            // The group's name comes with its own point, after its subtests.
            self.flush_pending(builder);
            self.open_to(depth + 1);
            return Ok(false);
        }
        if l.starts_with('#') {
            // A comment: Test::More's diagnostics of the point just read.
            if let Some((d, _, diag, _, _)) = &mut self.pending
                && *d == depth
                && !diag.is_suite
            {
                let text = l.trim_start_matches('#').trim();
                if let Some(at) = text.strip_prefix("at ").and_then(|t| t.strip_suffix('.'))
                    && let Some((file, line)) = at.rsplit_once(" line ")
                    && let Ok(n) = line.parse::<u32>()
                {
                    diag.file.get_or_insert_with(|| file.to_string());
                    diag.line.get_or_insert(n);
                }
                diag.trace.push(text.to_string());
            }
            return Ok(false);
        }
        if let Some((n, skip)) = parse_plan(l) {
            // Comments after a plan are the level's summary, not the last point's diagnostics.
            self.flush_pending(builder);
            self.open_to(depth);
            let level = &mut self.levels[depth];
            if level.plan.is_some() {
                self.warnings.push(format!(
                    "{}:{lineno}: a second plan `{l}` at this level; the first is kept",
                    self.path.display()
                ));
            } else {
                level.plan = Some(n);
            }
            if n == 0
                && depth == 0
                && let Some(reason) = skip
            {
                self.warnings.push(format!(
                    "{}:{lineno}: the whole stream was skipped: {reason}",
                    self.path.display()
                ));
            }
            return Ok(true);
        }
        if let Some(point) = parse_point(l, lineno) {
            self.flush_pending(builder);
            // Subtests deeper than this point belong to it: close them into its group.
            let children = self.close_below(depth, lineno);
            let child_failures = children
                .iter()
                .filter(|c| c.attempts.last().is_some_and(|a| a.status.is_failure()))
                .count() as u64;
            self.pending = Some((
                depth,
                point,
                Diagnostics::default(),
                children,
                child_failures,
            ));
            return Ok(true);
        }
        // Anything else is output of the tests; the last lines explain an early end.
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(bound(l, 400, 100));
        Ok(false)
    }

    /// Makes sure levels 0..=depth exist.
    fn open_to(&mut self, depth: usize) {
        while self.levels.len() <= depth {
            self.levels.push(Level::default());
        }
    }

    /// Closes every level deeper than `depth` and returns the leaf tests of level depth + 1
    /// (with everything below it already folded in), checking their plans.
    fn close_below(&mut self, depth: usize, lineno: u64) -> Vec<CaseInput> {
        let mut carried: Vec<CaseInput> = Vec::new();
        while self.levels.len() > depth + 1 {
            let mut level = self.levels.pop().expect("checked");
            level.cases.append(&mut carried);
            self.missing(&mut level, lineno, None);
            carried = level.cases;
        }
        carried
    }

    /// Adds errored tests for the points a level planned but never printed.
    fn missing(&mut self, level: &mut Level, lineno: u64, why: Option<&str>) {
        let Some(plan) = level.plan else { return };
        if level.points >= plan {
            if level.points > plan {
                self.warnings.push(format!(
                    "{}:{lineno}: {} test points where the plan said {plan}",
                    self.path.display(),
                    level.points
                ));
            }
            return;
        }
        let tail: Vec<String> = self.tail.iter().cloned().collect();
        let message = format!(
            "planned {plan} tests but the stream {} after {}{}",
            if why.is_some() { "bailed out" } else { "ended" },
            level.points,
            why.map(|w| format!(": {w}")).unwrap_or_default()
        );
        let missing = plan - level.points;
        self.warnings.push(format!(
            "{}:{lineno}: {}; {} missing test(s) counted as errors{}",
            self.path.display(),
            message,
            missing,
            if missing > MISSING_MAX {
                format!(
                    " ({} as one test each, the other {} as one test `tests {}..{plan}`)",
                    MISSING_MAX - 1,
                    missing - MISSING_MAX + 1,
                    level.points + MISSING_MAX
                )
            } else {
                String::new()
            }
        ));
        // One test per missing point, up to a bound: a plan of `1..10000000000` (a corrupt
        // file) must not fill memory. Beyond it, one test stands for the rest of the range.
        let first = level.points + 1;
        let singles = (plan - level.points).min(MISSING_MAX);
        for k in first..first + singles {
            let mut a = Attempt::new(Status::Errored);
            a.text_mut().message = Some(message.clone());
            a.text_mut().kind = Some("missing".into());
            // The stream's last lines go with the first missing test only.
            if k == first && !tail.is_empty() {
                a.text_mut().trace = Some(bound(&tail.join("\n"), TRACE_MAX, 0));
            }
            let last = k + 1 == first + singles && k < plan;
            level.cases.push(CaseInput {
                suite: None,
                classname: None,
                name: if last {
                    format!("tests {k}..{plan}").into()
                } else {
                    format!("test {k}").into()
                },
                attempts: vec![a],
                file: None,
                line: None,
                tags: Vec::new(),
                properties: BTreeMap::new(),
            });
        }
        level.points = plan;
    }

    /// Turns the pending point (with its diagnostics) into tests.
    fn flush_pending(&mut self, builder: &mut RunBuilder) {
        let Some((depth, p, d, mut children, child_failures)) = self.pending.take() else {
            return;
        };
        self.open_to(depth);
        let level = &mut self.levels[depth];
        level.points += 1;
        if let Some(n) = p.number
            && n != level.points
        {
            self.warnings.push(format!(
                "{}:{}: test point numbered {n} where {} was expected",
                self.path.display(),
                p.line,
                level.points
            ));
        }
        let base_name = if p.description.is_empty() {
            format!("test {}", p.number.unwrap_or(level.points))
        } else {
            p.description.clone()
        };
        let seen = level.seen.entry(base_name.clone()).or_insert(0);
        *seen += 1;
        let name = if *seen > 1 {
            let renamed = format!("{base_name} (#{})", p.number.unwrap_or(level.points));
            self.renamed += 1;
            self.renamed_example.get_or_insert_with(|| renamed.clone());
            renamed
        } else {
            base_name
        };
        let is_group = !children.is_empty();
        let mut out: Vec<CaseInput> = Vec::new();
        if is_group {
            // Children get the group's name in their class name.
            for mut c in children.drain(..) {
                c.classname = Some(match c.classname.take() {
                    Some(inner) => format!("{name} > {inner}").into(),
                    None => name.as_str().into(),
                });
                out.push(c);
            }
        }
        let group_failed_alone = is_group && !p.ok && child_failures == 0 && p.directive.is_none();
        if !is_group || group_failed_alone {
            let status = match (&p.directive, p.ok) {
                (Some((Directive::Skip, _)), _) | (Some((Directive::Todo, _)), _) => {
                    Status::Skipped
                }
                (None, true) => Status::Passed,
                (None, false) => Status::Failed,
            };
            let mut a = Attempt::new(status);
            a.duration_s = d.duration_s;
            match &p.directive {
                Some((Directive::Skip, reason)) => {
                    a.text_mut().message = (!reason.is_empty()).then(|| reason.clone());
                }
                Some((Directive::Todo, reason)) => {
                    a.text_mut().kind = Some("todo".into());
                    a.text_mut().message = Some(format!(
                        "TODO{}{} (the point {})",
                        if reason.is_empty() { "" } else { ": " },
                        reason,
                        if p.ok { "passed" } else { "failed" }
                    ));
                }
                None if !p.ok => {
                    a.text_mut().message = d
                        .message
                        .clone()
                        .map(|m| bound(&m, MESSAGE_MAX, 0))
                        .or_else(|| {
                            let useful: Vec<&str> = d
                                .trace
                                .iter()
                                .map(String::as_str)
                                .filter(|t| {
                                    !t.starts_with("Failed test")
                                        && !t.starts_with("Failed (TODO)")
                                        && !t.starts_with("at ")
                                        && !t.is_empty()
                                })
                                .collect();
                            (!useful.is_empty()).then(|| bound(&useful.join("; "), MESSAGE_MAX, 0))
                        });
                    if group_failed_alone {
                        a.status = Status::Errored;
                        a.text_mut().kind = Some("subtests".into());
                        let m = a.text_mut().message.take().unwrap_or_default();
                        a.text_mut().message = Some(format!(
                            "the group failed although none of its subtests did{}{}",
                            if m.is_empty() { "" } else { ": " },
                            m
                        ));
                    } else {
                        a.text_mut().kind = d.kind.clone();
                    }
                    if !d.trace.is_empty() {
                        a.text_mut().trace = Some(bound(&d.trace.join("\n"), TRACE_MAX, 0));
                    }
                }
                None => {}
            }
            out.push(CaseInput {
                suite: None,
                classname: None,
                name: name.into(),
                attempts: vec![a],
                file: d.file.as_deref().map(Into::into),
                line: d.line,
                tags: Vec::new(),
                properties: BTreeMap::new(),
            });
        }
        if depth == 0 {
            self.emit(out, builder);
        } else {
            self.levels[depth].cases.extend(out);
        }
    }

    fn emit(&mut self, cases: Vec<CaseInput>, builder: &mut RunBuilder) {
        let source = self.path.display().to_string();
        for mut c in cases {
            c.classname = Some(match c.classname.take() {
                Some(inner) => format!("{} > {inner}", self.stem).into(),
                None => self.stem.as_str().into(),
            });
            builder.add_case(c, &source, 0);
        }
    }

    fn finish(&mut self, lineno: u64, builder: &mut RunBuilder) {
        self.yaml = None;
        self.flush_pending(builder);
        // Subtests never closed by their group's point: keep them at the top.
        let orphans = self.close_below(0, lineno);
        if !orphans.is_empty() {
            self.warnings.push(format!(
                "{}:{lineno}: the stream ended inside a subtest; its {} test(s) are kept without their group",
                self.path.display(),
                orphans.len()
            ));
            self.emit(orphans, builder);
        }
        let mut top = std::mem::take(&mut self.levels[0]);
        let bailed = self.bailed.clone();
        if top.plan.is_none() && bailed.is_none() {
            self.warnings.push(format!(
                "{}: the stream has no plan (`1..N`), so a run that stopped early cannot be told from a complete one",
                self.path.display()
            ));
        }
        self.missing(&mut top, lineno, bailed.as_deref());
        let missing = std::mem::take(&mut top.cases);
        self.emit(missing, builder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_directives_are_parsed() {
        let p = parse_point("not ok 12 - adds \\# numbers # TODO later", 1).unwrap();
        assert!(!p.ok);
        assert_eq!(p.number, Some(12));
        assert_eq!(p.description, "adds # numbers");
        assert!(matches!(p.directive, Some((Directive::Todo, ref r)) if r == "later"));
        let p = parse_point("ok 5 # skip no network", 1).unwrap();
        assert!(p.ok && p.description.is_empty());
        assert!(matches!(p.directive, Some((Directive::Skip, ref r)) if r == "no network"));
        assert!(parse_point("okay then", 1).is_none());
        assert_eq!(parse_plan("1..5"), Some((5, None)));
        assert_eq!(
            parse_plan("1..0 # SKIP no db"),
            Some((0, Some("SKIP no db")))
        );
        assert_eq!(parse_plan("1..x"), None);
    }

    #[test]
    fn locations_are_split() {
        let mut d = Diagnostics::default();
        set_location(&mut d, "/work/t/math.test.mjs:7:3");
        assert_eq!(
            (d.file.as_deref(), d.line),
            (Some("/work/t/math.test.mjs"), Some(7))
        );
        set_location(&mut d, "file:///x/y.js:9:1");
        assert_eq!((d.file.as_deref(), d.line), (Some("/x/y.js"), Some(9)));
    }

    #[test]
    fn sniffing() {
        assert!(sniff(b"TAP version 14\n1..2\n"));
        assert!(sniff(b"# comment\nok 1 - a\n"));
        assert!(sniff(b"1..3\nok 1\n"));
        assert!(!sniff(b"# just a comment\nhello\n"));
        assert!(!sniff(b"BenchmarkX-8 100 5 ns/op\n"));
    }
}
