//! Signature rules: regular expressions that recognise infrastructure failures.
//!
//! A *strong* rule names a cause outside the change with little room for doubt (DNS failed,
//! disk full, out of memory, runner lost, …) and is evidence E4. A *weak* rule names a
//! cause the change itself may produce (HTTP 5xx, timeouts) and only annotates a regression
//! as "possible cause". Rules are tried in order, first match wins (as Allure's categories):
//! the user's rules from `regdiff.toml` first, then the built-in strong rules, then the
//! built-in weak ones. The report counts the hits of every rule and warns about user rules
//! that do not compile or never match.
//!
//! The built-in patterns are compiled once per process, on the first failure that needs
//! them: a comparison where nothing failed (a benchmark-only run) never pays for them.

use std::sync::{LazyLock, OnceLock};

use regex::{Regex, RegexSet};

use super::signature::{Part, failure_parts, quote_line};
use crate::config::{RuleConfig, Strength};
use crate::model::Attempt;

/// A rule: what reports say about it; its patterns live in the [`RuleSet`].
#[derive(Debug, Clone)]
pub struct Rule {
    /// Name shown in reports.
    pub name: String,
    /// Strong (evidence) or weak (possible cause).
    pub strength: Strength,
    /// Shipped with regdiff (as opposed to `regdiff.toml`).
    pub builtin: bool,
    /// One line saying what the rule means, for reports.
    pub meaning: String,
}

/// A user rule that could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRule {
    /// Its name.
    pub name: String,
    /// The regex error.
    pub error: String,
}

/// A rule's compiled patterns: what it looks for, and what, matched inside that, cancels it.
#[derive(Debug, Clone)]
struct Matcher {
    pattern: Regex,
    unless: Option<Regex>,
    /// A built-in rule's check of the whole matched line: `true` cancels the match.
    guard: Option<fn(&str) -> bool>,
}

impl Matcher {
    /// The first match of the pattern that its `unless` (and guard) does not cancel.
    fn find<'t>(&self, text: &'t str) -> Option<regex::Match<'t>> {
        self.pattern.find_iter(text).find(|m| {
            self.unless.as_ref().is_none_or(|u| !u.is_match(m.as_str()))
                && self
                    .guard
                    .is_none_or(|g| !g(line_of(text, m.start(), m.end())))
        })
    }
}

/// The line of `text` holding bytes `start..end`.
fn line_of(text: &str, start: usize, end: usize) -> &str {
    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = text[end..].find('\n').map_or(text.len(), |i| end + i);
    &text[from..to]
}

/// Whether a line names an absolute path and none of its paths is a temporary folder: then
/// a read-only file system is where the code chose to write (`/app/cache`, a sandboxed
/// source tree), which a change can do, not the CI's scratch space.
fn names_only_lasting_paths(line: &str) -> bool {
    static PATH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?:^|[\s'"(=:\[])(/[^\s'",):\]]+)"#).expect("built-in pattern compiles")
    });
    let mut any = false;
    for c in PATH.captures_iter(line) {
        let p = c[1].to_ascii_lowercase();
        if p.starts_with("//") {
            // A URL's `//host`, not a path.
            continue;
        }
        any = true;
        let temporary = [
            "/tmp",
            "/var/tmp",
            "/var/folders",
            "/private/var/folders",
            "/private/tmp",
            "/dev/shm",
            "/run/user",
        ]
        .iter()
        .any(|t| p == *t || p.starts_with(&format!("{t}/")))
            || p.contains("tmp")
            || p.contains("temp")
            || p.contains("pytest-of-");
        if temporary {
            return false;
        }
    }
    any
}

/// Where a rule fired on a failure: the rule, the part of the failure, and the line quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// Index of the rule in [`RuleSet::rules`].
    pub rule: usize,
    /// The part of the failure it matched in.
    pub part: Part,
    /// The matched line (trimmed, cut around the match).
    pub line: String,
}

impl RuleMatch {
    /// "matched in the trace: `Read-only file system (os error 30)`".
    pub fn quoted(&self) -> String {
        format!(
            "matched in {}: `{}`",
            self.part.as_str(),
            self.line.replace('`', "'")
        )
    }
}

/// The built-in rules' patterns, shared by every comparison: one set of all of them,
/// compiled on first use, scans a failure's text once to learn which rules can match, and
/// only those are run (a mass failure of long traces stays cheap). Each rule's own pattern
/// is compiled the first time the set says it may match: compiling them all took about
/// 15 ms of every comparison with a failure, most rules never matching.
fn builtin_matchers() -> &'static (Vec<OnceLock<Matcher>>, RegexSet) {
    static COMPILED: OnceLock<(Vec<OnceLock<Matcher>>, RegexSet)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let matchers = BUILTIN.iter().map(|_| OnceLock::new()).collect();
        let set = RegexSet::new(BUILTIN.iter().map(|b| b.pattern.as_str()))
            .expect("built-in rules compile");
        (matchers, set)
    })
}

/// The built-in rule `i`'s matcher, compiled on first use.
fn builtin_matcher(i: usize) -> &'static Matcher {
    builtin_matchers().0[i].get_or_init(|| {
        let b = &BUILTIN[i];
        Matcher {
            pattern: Regex::new(&b.pattern).expect("built-in rule compiles"),
            unless: b
                .unless
                .map(|u| Regex::new(u).expect("built-in rule compiles")),
            guard: b.guard,
        }
    })
}

/// The ordered rules of a comparison: the user's (compiled at once, so that a broken one is
/// reported), then the built-in ones when enabled.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// Rules in the order they are tried.
    pub rules: Vec<Rule>,
    /// User rules that did not compile (reported, not fatal).
    pub broken: Vec<BrokenRule>,
    /// Compiled patterns of the user rules, in the order of `rules`.
    user: Vec<Matcher>,
}

/// A built-in rule.
struct Builtin {
    name: &'static str,
    strength: Strength,
    pattern: String,
    unless: Option<&'static str>,
    /// A check of the whole matched line that cancels the match.
    guard: Option<fn(&str) -> bool>,
    meaning: &'static str,
}

/// A host outside the machine and its private networks, as failures print it: `host='x.org'`,
/// `https://x.org`, `to x.org`, `address 1.2.3.4`, or `x.org:443` / `1.2.3.4:443`.
const PUBLIC_HOST: &str = r#"(?:(?:host\s*=\s*['"]?|[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?|\bto\s+|\baddress\s+)(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})|\b(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}):\d{2,5}\b)"#;

/// Loopback, private addresses and cluster-local names: they may well be the system under
/// test (its own services), so a failure to reach them is never taken for an outage.
const PRIVATE_HOST: &str = r"(?i)localhost|\b127\.\d+\.\d+\.\d+\b|\[?::1\]?|\b0\.0\.0\.0\b|\b10\.\d+\.\d+\.\d+\b|\b192\.168\.\d+\.\d+\b|\b172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+\b|\.(?:local|internal|svc|cluster|test|localhost|lan|home)\b";

/// `error` and a public host on one line, in either order.
fn with_public_host(error: &str) -> String {
    format!(r"(?i)(?:{error})[^\n]{{0,200}}?{PUBLIC_HOST}|{PUBLIC_HOST}[^\n]{{0,200}}?(?:{error})")
}

/// A read-only file system, as Rust, Python, Node, Go and the C library print it.
const READ_ONLY: &str =
    r"(?i)read-only file ?system|\berofs\b|\bReadOnlyFilesystem\b|os error 30\b|\[errno 30\]";

/// Public registries and code hosts CI jobs fetch from.
const REGISTRY: &str = r"registry|docker\.io|docker\.com|npmjs\.(?:org|com)|yarnpkg\.com|pypi\.org|pythonhosted\.org|crates\.io|ghcr\.io|quay\.io|gcr\.io|pkg\.dev|golang\.org|go\.dev|maven\.org|gradle\.org|rubygems\.org|nuget\.org|github\.com|githubusercontent\.com|gitlab\.com";

/// The built-in rules, in the order they are tried.
///
/// Each is *strong* when a change to the code under test could not plausibly produce the
/// message (it names the machine, the network outside it, or the CI service), and *weak* when
/// it could; the reasoning is written beside each rule. A weak rule never excuses a failure,
/// it only names a possible cause.
static BUILTIN: LazyLock<Vec<Builtin>> = LazyLock::new(|| {
    let rule = |name, strength, pattern: &str, unless, meaning| Builtin {
        name,
        strength,
        pattern: pattern.to_string(),
        unless,
        guard: None,
        meaning,
    };
    vec![
        // Strong: the resolver is the machine's; a change that uses a wrong host name fails
        // the same way on every machine, which E1–E3 and a rerun tell apart.
        rule(
            "dns-failure",
            Strength::Strong,
            r"(?i)name or service not known|temporary failure in name resolution|could not resolve host|nodename nor servname provided|no address associated with hostname|failed to lookup address information|getaddrinfo (?:enotfound|eai_again)|\bno such host\b|\bnxdomain\b|java\.net\.UnknownHostException|server misbehaving",
            None,
            "name resolution failed",
        ),
        // Strong only for a named public host: the system under test's own services live on
        // loopback, private networks and cluster names, and a change can break those.
        Builtin {
            pattern: with_public_host(
                r"connection refused|connection reset by peer|econnrefused|econnreset",
            ),
            ..rule(
                "connection-refused-external",
                Strength::Strong,
                "",
                Some(PRIVATE_HOST),
                "connection refused or reset by a named public host",
            )
        },
        // Strong, with the same public-host condition: no route to a public address is the
        // network's state, not the code's.
        Builtin {
            pattern: with_public_host(
                r"network is unreachable|no route to host|\benetunreach\b|\behostunreach\b|os error 101\b|os error 113\b|\[errno 101\]|\[errno 113\]",
            ),
            ..rule(
                "network-unreachable-external",
                Strength::Strong,
                "",
                Some(PRIVATE_HOST),
                "no route to a named public host",
            )
        },
        // Strong: the disk filling up is the machine's state. A change that writes far more
        // than before can fill a disk, but then it fails on every machine and every rerun.
        rule(
            "disk-full",
            Strength::Strong,
            r"(?i)no space left on device|\benospc\b|\bStorageFull\b|disk quota exceeded|\bedquot\b|not enough space on the disk",
            None,
            "the disk is full",
        ),
        // Strong: a change cannot make a file system read-only (the kernel does, after disk
        // errors, or the CI mounts it so) — as long as the failure is about a temporary
        // folder, or names no path at all (Rust's `Os { code: 30, … }`). When it names only
        // lasting paths (`/app/cache`, a source tree), the code chose where to write, and a
        // change can start writing into a place that is read-only by design: the weak rule
        // below.
        Builtin {
            guard: Some(names_only_lasting_paths),
            ..rule(
                "read-only-filesystem",
                Strength::Strong,
                READ_ONLY,
                None,
                "the file system is read-only",
            )
        },
        rule(
            "read-only-path",
            Strength::Weak,
            READ_ONLY,
            None,
            "a read-only file system at a lasting path (the change may write somewhere new)",
        ),
        rule(
            "out-of-memory",
            Strength::Strong,
            r"(?i)\bout of memory\b|cannot allocate memory|\benomem\b|oom[- ]?kill|killed by signal 9|signal: killed|\bsigkill\b|exit code 137",
            None,
            "the machine ran out of memory or killed the process",
        ),
        rule(
            "too-many-open-files",
            Strength::Strong,
            r"(?i)too many open files|\bemfile\b|\benfile\b",
            None,
            "the process ran out of file descriptors",
        ),
        rule(
            "runner-lost",
            Strength::Strong,
            r"(?i)runner has received a shutdown signal|lost communication with the server|the (?:self-hosted |hosted )?runner (?:has )?(?:lost|disconnected)|\bagent (?:was )?lost\b|\bexecutor lost\b",
            None,
            "the CI runner was lost",
        ),
        rule(
            "registry-rate-limit",
            Strength::Strong,
            r"(?i)toomanyrequests|pull rate limit|rate limit(?:ed)?(?: exceeded)?[^\n]{0,80}(?:registry|docker|npm|pypi|crates\.io|ghcr|quay)|(?:registry|docker|npm|pypi|crates\.io|ghcr|quay)[^\n]{0,80}(?:\b429\b|too many requests)",
            None,
            "an external registry rate-limited the job",
        ),
        // Strong: a TLS handshake with a public registry that times out is the network or the
        // registry; the code under test does not run that handshake. (A timeout elsewhere is
        // the weak `timeout` rule below.)
        rule(
            "tls-timeout-registry",
            Strength::Strong,
            &format!(
                r"(?i)(?:tls handshake timeout|tls handshake timed out|handshake operation timed out|ssl: handshake timed out|_ssl\.c:\d+: the handshake operation timed out)[^\n]{{0,200}}?(?:{REGISTRY})|(?:{REGISTRY})[^\n]{{0,200}}?(?:tls handshake timeout|tls handshake timed out|handshake operation timed out|handshake timed out)"
            ),
            None,
            "a TLS handshake with a public registry timed out",
        ),
        // Weak, tried before `ci-cancelled`: the CI stopped the job at its time limit, and a
        // change that makes the suite slower or hang does exactly that.
        rule(
            "ci-time-limit",
            Strength::Weak,
            r"(?i)execution took longer than|exceeded the maximum execution time|has exceeded the maximum execution time|job exceeded (?:its )?(?:timeout|time limit)",
            None,
            "the CI stopped the job at its time limit (the change itself may make it slower)",
        ),
        // Weak: GitLab stops a job whose log outgrew its limit, and a change that prints more
        // (debug logging, a failure loop) does that.
        rule(
            "ci-log-limit",
            Strength::Weak,
            r"(?i)job's log exceeded limit",
            None,
            "the CI log outgrew its limit (the change itself may print more)",
        ),
        // Strong: a cancelled job was cancelled by a person, a newer push or the CI's own
        // concurrency rules, never by the code under test.
        rule(
            "ci-cancelled",
            Strength::Strong,
            r"(?i)the operation was cancell?ed|\bjob (?:was )?cancell?ed\b|received request to cancel|the run was cancell?ed",
            None,
            "the CI cancelled the job",
        ),
        // Weak: "device or resource busy" on a mount comes from another job holding it, but
        // the change's own code holding a file open does the same.
        rule(
            "device-busy",
            Strength::Weak,
            r"(?i)device or resource busy|\bebusy\b|target is busy|os error 16\b",
            None,
            "a device or mount was busy (the change's own open files may hold it)",
        ),
        // Weak: `Text file busy` is the known race of writing an executable while another
        // thread forks, and also what a change gets that runs a file it has not closed.
        rule(
            "text-file-busy",
            Strength::Weak,
            r"(?i)text file busy|\betxtbsy\b|os error 26\b",
            None,
            "an executable was still open for writing (a fork race, or the change's own code)",
        ),
        rule(
            "http-5xx",
            Strength::Weak,
            r"(?i)\b5\d\d (?:internal server error|bad gateway|service unavailable|gateway time-?out|server error)|internal server error|bad gateway|service unavailable|status(?: code)?[ =:]+5\d\d\b|\bhttp(?:/[\d.]+)? 5\d\d\b",
            None,
            "HTTP 5xx (the change itself may cause a server error)",
        ),
        rule(
            "timeout",
            Strength::Weak,
            r"(?i)\btimed? ?out\b|\btimeout\b|deadline exceeded",
            None,
            "timeout (the change itself may make code slower or hang)",
        ),
    ]
});

/// The regex crate's error on one line: its own text spans three lines (the pattern, a
/// caret, then `error: …`), and that last line would read like a top-level error of regdiff.
fn one_line_regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let why = lines
        .iter()
        .rev()
        .find_map(|l| l.trim_start().strip_prefix("error: "))
        .unwrap_or_else(|| lines.last().copied().unwrap_or(""));
    // The caret's column in the pattern line, when there is one.
    let column = lines
        .iter()
        .position(|l| l.trim_start().starts_with('^'))
        .and_then(|i| {
            let caret = lines[i].find('^')?;
            let pattern = lines.get(i.checked_sub(1)?)?;
            let indent = pattern.len() - pattern.trim_start().len();
            Some(caret.saturating_sub(indent) + 1)
        });
    match column {
        Some(c) => format!("{why} (at column {c} of the pattern)"),
        None => why.to_string(),
    }
}

impl RuleSet {
    /// Compiles the user rules (first) and, when asked, the built-in ones.
    pub fn build(user: &[RuleConfig], builtin: bool) -> RuleSet {
        let mut set = RuleSet::default();
        for r in user {
            let pattern = Regex::new(&r.pattern);
            let unless = r.unless.as_deref().map(Regex::new).transpose();
            match (pattern, unless) {
                (Ok(pattern), Ok(unless)) => {
                    set.rules.push(Rule {
                        name: r.name.clone(),
                        strength: r.strength,
                        builtin: false,
                        meaning: format!("user rule `{}`", r.name),
                    });
                    set.user.push(Matcher {
                        pattern,
                        unless,
                        guard: None,
                    });
                }
                (Err(e), _) | (_, Err(e)) => set.broken.push(BrokenRule {
                    name: r.name.clone(),
                    error: one_line_regex_error(&e),
                }),
            }
        }
        if builtin {
            for b in BUILTIN.iter() {
                set.rules.push(Rule {
                    name: b.name.to_string(),
                    strength: b.strength,
                    builtin: true,
                    meaning: b.meaning.to_string(),
                });
            }
        }
        set
    }

    /// The first rule that fires on `text` and where: (rule index, match start, match length).
    fn find_in(&self, text: &str) -> Option<(usize, usize, usize)> {
        let hit = |m: regex::Match<'_>| (m.start(), m.len());
        if let Some((i, (at, len))) = self
            .user
            .iter()
            .enumerate()
            .find_map(|(i, m)| m.find(text).map(|x| (i, hit(x))))
        {
            return Some((i, at, len));
        }
        if self.rules.len() == self.user.len() {
            return None;
        }
        let (_, set) = builtin_matchers();
        // Indices come in ascending order: the rules' order.
        set.matches(text).iter().find_map(|i| {
            builtin_matcher(i)
                .find(text)
                .map(|x| (self.user.len() + i, hit(x).0, hit(x).1))
        })
    }

    /// The rule that explains a failed attempt, reading its parts in order (the message,
    /// the trace's error lines, stderr, stdout; see [`failure_parts`]): the first part any
    /// rule fires on decides, and within it the first rule in order. The match quotes its line.
    pub fn match_failure(&self, attempt: &Attempt) -> Option<RuleMatch> {
        if self.rules.is_empty() {
            return None;
        }
        failure_parts(attempt).into_iter().find_map(|(part, text)| {
            self.find_in(&text).map(|(rule, at, len)| RuleMatch {
                rule,
                part,
                line: quote_line(&text, at, len),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(set: &RuleSet, text: &str) -> Option<String> {
        set.find_in(text).map(|(i, _, _)| set.rules[i].name.clone())
    }

    #[test]
    fn every_builtin_rule_compiles() {
        // Each rule's own pattern is compiled only when the set says it may match: compile
        // them all here, so that a broken one fails a test rather than a comparison.
        for i in 0..BUILTIN.len() {
            let m = builtin_matcher(i);
            assert_eq!(
                m.pattern.as_str(),
                BUILTIN[i].pattern,
                "rule {}",
                BUILTIN[i].name
            );
        }
        assert_eq!(builtin_matchers().1.len(), BUILTIN.len());
    }

    #[test]
    fn builtin_rules_recognise_infrastructure() {
        let s = RuleSet::build(&[], true);
        assert_eq!(
            name_of(&s, "OSError: [Errno 28] No space left on device: '/tmp/x'").as_deref(),
            Some("disk-full")
        );
        assert_eq!(
            name_of(&s, "curl: (6) Could not resolve host: pypi.org").as_deref(),
            Some("dns-failure")
        );
        assert_eq!(
            name_of(&s, "HTTPSConnectionPool(host='api.stripe.com', port=443): Max retries exceeded [Errno 111] Connection refused").as_deref(),
            Some("connection-refused-external")
        );
        assert_eq!(
            name_of(&s, "Error 500 Internal Server Error").as_deref(),
            Some("http-5xx")
        );
        assert_eq!(name_of(&s, "test timeout").as_deref(), Some("timeout"));
        assert_eq!(
            name_of(&s, "toomanyrequests: You have reached your pull rate limit").as_deref(),
            Some("registry-rate-limit")
        );
        assert_eq!(
            name_of(
                &s,
                "process didn't exit successfully (signal: 9, SIGKILL: kill)"
            )
            .as_deref(),
            Some("out-of-memory")
        );
    }

    /// Real messages of the new rules, each as its producer prints it.
    #[test]
    fn new_rules_recognise_real_messages() {
        let s = RuleSet::build(&[], true);
        let cases: &[(&str, Option<&str>)] = &[
            // Rust std::io::Error in a panic (cargo test, TMPDIR on a read-only tmpfs).
            (
                "called `Result::unwrap()` on an `Err` value: Os { code: 30, kind: ReadOnlyFilesystem, message: \"Read-only file system\" }",
                Some("read-only-filesystem"),
            ),
            (
                "OSError: [Errno 30] Read-only file system: '/tmp/pytest-of-root'",
                Some("read-only-filesystem"),
            ),
            (
                "Error: EROFS: read-only file system, open '/tmp/x'",
                Some("read-only-filesystem"),
            ),
            (
                "Os { code: 28, kind: StorageFull, message: \"No space left on device\" }",
                Some("disk-full"),
            ),
            ("umount: /mnt/data: target is busy.", Some("device-busy")),
            (
                "mount: /mnt/x: /dev/loop0 already mounted or mount point busy: Device or resource busy",
                Some("device-busy"),
            ),
            (
                "fork/exec /tmp/go-build1/b001/x.test: text file busy",
                Some("text-file-busy"),
            ),
            (
                "Failed to establish a new connection: [Errno 101] Network is unreachable (host='pypi.org', port=443)",
                Some("network-unreachable-external"),
            ),
            (
                "dial tcp 140.82.112.3:443: connect: no route to host",
                Some("network-unreachable-external"),
            ),
            // Loopback and private networks stay the change's business.
            ("dial tcp 10.0.0.7:5432: connect: no route to host", None),
            ("connect to 127.0.0.1:8080: Network is unreachable", None),
            (
                "Get \"https://registry-1.docker.io/v2/\": net/http: TLS handshake timeout",
                Some("tls-timeout-registry"),
            ),
            ("net/http: TLS handshake timeout", Some("timeout")),
            ("##[error]The operation was canceled.", Some("ci-cancelled")),
            (
                "##[error]The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 360 minutes.",
                Some("ci-time-limit"),
            ),
            (
                "ERROR: Job failed: execution took longer than 1h0m0s seconds",
                Some("ci-time-limit"),
            ),
            (
                "Job's log exceeded limit of 4194304 bytes.",
                Some("ci-log-limit"),
            ),
            (
                "socket.gaierror: [Errno -2] Name or service not known",
                Some("dns-failure"),
            ),
            (
                "java.net.UnknownHostException: repo.maven.apache.org",
                Some("dns-failure"),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(name_of(&s, text).as_deref(), *want, "{text}");
        }
        let strength = |n: &str| s.rules.iter().find(|r| r.name == n).unwrap().strength;
        assert_eq!(strength("read-only-filesystem"), Strength::Strong);
        assert_eq!(strength("ci-cancelled"), Strength::Strong);
        assert_eq!(strength("device-busy"), Strength::Weak);
        assert_eq!(strength("text-file-busy"), Strength::Weak);
        assert_eq!(strength("ci-time-limit"), Strength::Weak);
    }

    /// The cause of a Rust panic is in the body, not in JUnit's `message` attribute; the match
    /// says where it was found and quotes the line.
    #[test]
    fn the_whole_failure_is_read_and_the_line_quoted() {
        let s = RuleSet::build(&[], true);
        let mut a = Attempt::new(crate::model::Status::Failed);
        a.text_mut().kind = Some("test failure with exit code 101".into());
        a.text_mut().message =
            Some("thread 'roll_keeps_three' (7) panicked at tests/roll.rs:63:44".into());
        a.text_mut().trace = Some("thread 'roll_keeps_three' (7) panicked at tests/roll.rs:63:44:\ncalled `Result::unwrap()` on an `Err` value: Os { code: 30, kind: ReadOnlyFilesystem, message: \"Read-only file system\" }\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace".into());
        let m = s.match_failure(&a).expect("a rule fires");
        assert_eq!(s.rules[m.rule].name, "read-only-filesystem");
        assert_eq!(m.part, Part::Trace);
        assert!(
            m.line.starts_with("called 'Result::unwrap()'")
                || m.line.starts_with("called `Result::unwrap()`"),
            "{}",
            m.line
        );
        assert!(
            m.quoted().starts_with("matched in the trace: `called"),
            "{}",
            m.quoted()
        );
        // Captured output is read last.
        let mut b = Attempt::new(crate::model::Status::Failed);
        b.text_mut().message = Some("assert 0 == 1".into());
        b.text_mut().stdout =
            Some("fetching index\nWARNING resolver: Temporary failure in name resolution\n".into());
        let m = s.match_failure(&b).expect("stdout is read");
        assert_eq!(m.part, Part::Stdout);
        assert_eq!(
            m.line,
            "WARNING resolver: Temporary failure in name resolution"
        );
        // The message is read first: a weak rule there wins over a strong one further down.
        let mut c = Attempt::new(crate::model::Status::Failed);
        c.text_mut().message = Some("Failed: Timeout >5.0s".into());
        c.text_mut().stderr = Some("No space left on device".into());
        let m = s.match_failure(&c).unwrap();
        assert_eq!(s.rules[m.rule].name, "timeout");
        assert_eq!(m.part, Part::Message);
    }

    #[test]
    fn loopback_connection_refused_is_not_infrastructure() {
        let s = RuleSet::build(&[], true);
        // The system under test's own server not answering is the change's business.
        assert_eq!(
            name_of(&s, "connect to localhost:8080 failed: Connection refused"),
            None
        );
        assert_eq!(name_of(&s, "Connection refused (127.0.0.1:5432)"), None);
        assert_eq!(name_of(&s, "Connection refused"), None);
        // Module paths look like host names; they are not.
        assert_eq!(
            name_of(&s, "java.net.ConnectException: Connection refused: connect"),
            None
        );
        assert_eq!(
            name_of(
                &s,
                "urllib3.exceptions.NewConnectionError: Failed to establish a new connection: [Errno 111] Connection refused"
            ),
            None
        );
        assert_eq!(
            name_of(&s, "dial tcp 52.1.2.3:5432: connect: connection refused").as_deref(),
            Some("connection-refused-external")
        );
        // Private addresses and cluster services may be the system under test itself.
        assert_eq!(
            name_of(&s, "dial tcp 10.1.2.3:5432: connect: connection refused"),
            None
        );
        assert_eq!(
            name_of(&s, "Connection refused: orders-api.svc.cluster.local:8080"),
            None
        );
    }

    #[test]
    fn ordinary_assertions_match_nothing() {
        let s = RuleSet::build(&[], true);
        assert_eq!(
            name_of(&s, "AssertionError: assert 'Joe...' == 'Joel...'"),
            None
        );
        assert_eq!(
            name_of(
                &s,
                "thread 'test_parse' panicked at tests/test_version.rs:21:7"
            ),
            None
        );
    }

    #[test]
    fn user_rules_come_first_and_broken_ones_are_kept_aside() {
        let user = vec![
            RuleConfig {
                name: "vault".into(),
                pattern: "(?i)vault.*503".into(),
                strength: Strength::Strong,
                unless: None,
            },
            RuleConfig {
                name: "bad".into(),
                pattern: "([".into(),
                strength: Strength::Weak,
                unless: None,
            },
        ];
        let s = RuleSet::build(&user, true);
        assert_eq!(
            name_of(&s, "vault returned 503 Service Unavailable").as_deref(),
            Some("vault")
        );
        assert_eq!(s.broken.len(), 1);
        assert_eq!(s.broken[0].name, "bad");
    }
}
