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

use std::sync::OnceLock;

use regex::Regex;

use crate::config::{RuleConfig, Strength};

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
}

impl Matcher {
    fn fires(&self, text: &str) -> bool {
        self.pattern
            .find_iter(text)
            .any(|m| self.unless.as_ref().is_none_or(|u| !u.is_match(m.as_str())))
    }
}

/// The built-in rules' patterns, compiled on first use and shared by every comparison.
fn builtin_matchers() -> &'static [Matcher] {
    static COMPILED: OnceLock<Vec<Matcher>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        BUILTIN
            .iter()
            .map(|(_, _, pattern, unless, _)| Matcher {
                pattern: Regex::new(pattern).expect("built-in rule compiles"),
                unless: unless.map(|u| Regex::new(u).expect("built-in rule compiles")),
            })
            .collect()
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

/// The built-in rules: (name, strength, pattern, unless, meaning).
const BUILTIN: &[(&str, Strength, &str, Option<&str>, &str)] = &[
    (
        "dns-failure",
        Strength::Strong,
        r"(?i)name or service not known|temporary failure in name resolution|could not resolve host|nodename nor servname provided|getaddrinfo (?:enotfound|eai_again)|\bno such host\b|\bnxdomain\b",
        None,
        "name resolution failed",
    ),
    (
        "connection-refused-external",
        Strength::Strong,
        r#"(?i)(?:connection refused|connection reset by peer|econnrefused|econnreset)[^\n]{0,200}?(?:(?:host\s*=\s*['\"]?|[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?|\bto\s+|\baddress\s+)(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})|\b(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}):\d{2,5}\b)|(?:(?:host\s*=\s*['\"]?|[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?|\bto\s+|\baddress\s+)(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})|\b(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}):\d{2,5}\b)[^\n]{0,200}?(?:connection refused|connection reset by peer|econnrefused|econnreset)"#,
        // Loopback, private addresses and cluster-local names may well be the system under
        // test (its own services); only a public, named host counts as outside.
        Some(
            r"(?i)localhost|\b127\.\d+\.\d+\.\d+\b|\[?::1\]?|\b0\.0\.0\.0\b|\b10\.\d+\.\d+\.\d+\b|\b192\.168\.\d+\.\d+\b|\b172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+\b|\.(?:local|internal|svc|cluster|test|localhost|lan|home)\b",
        ),
        "connection refused or reset by a named public host",
    ),
    (
        "disk-full",
        Strength::Strong,
        r"(?i)no space left on device|\benospc\b|disk quota exceeded|\bedquot\b|not enough space on the disk",
        None,
        "the disk is full",
    ),
    (
        "out-of-memory",
        Strength::Strong,
        r"(?i)\bout of memory\b|cannot allocate memory|\benomem\b|oom[- ]?kill|killed by signal 9|signal: killed|\bsigkill\b|exit code 137",
        None,
        "the machine ran out of memory or killed the process",
    ),
    (
        "too-many-open-files",
        Strength::Strong,
        r"(?i)too many open files|\bemfile\b|\benfile\b",
        None,
        "the process ran out of file descriptors",
    ),
    (
        "runner-lost",
        Strength::Strong,
        r"(?i)runner has received a shutdown signal|lost communication with the server|the (?:self-hosted |hosted )?runner (?:has )?(?:lost|disconnected)|\bagent (?:was )?lost\b|\bexecutor lost\b",
        None,
        "the CI runner was lost",
    ),
    (
        "registry-rate-limit",
        Strength::Strong,
        r"(?i)toomanyrequests|pull rate limit|rate limit(?:ed)?(?: exceeded)?[^\n]{0,80}(?:registry|docker|npm|pypi|crates\.io|ghcr|quay)|(?:registry|docker|npm|pypi|crates\.io|ghcr|quay)[^\n]{0,80}(?:\b429\b|too many requests)",
        None,
        "an external registry rate-limited the job",
    ),
    (
        "http-5xx",
        Strength::Weak,
        r"(?i)\b5\d\d (?:internal server error|bad gateway|service unavailable|gateway time-?out|server error)|internal server error|bad gateway|service unavailable|status(?: code)?[ =:]+5\d\d\b|\bhttp(?:/[\d.]+)? 5\d\d\b",
        None,
        "HTTP 5xx (the change itself may cause a server error)",
    ),
    (
        "timeout",
        Strength::Weak,
        r"(?i)\btimed? ?out\b|\btimeout\b|deadline exceeded",
        None,
        "timeout (the change itself may make code slower or hang)",
    ),
];

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
                    set.user.push(Matcher { pattern, unless });
                }
                (Err(e), _) | (_, Err(e)) => set.broken.push(BrokenRule {
                    name: r.name.clone(),
                    error: one_line_regex_error(&e),
                }),
            }
        }
        if builtin {
            for (name, strength, _, _, meaning) in BUILTIN {
                set.rules.push(Rule {
                    name: (*name).to_string(),
                    strength: *strength,
                    builtin: true,
                    meaning: (*meaning).to_string(),
                });
            }
        }
        set
    }

    /// The index of the first rule that fires on `text`.
    pub fn first_match(&self, text: &str) -> Option<usize> {
        if let Some(i) = self.user.iter().position(|m| m.fires(text)) {
            return Some(i);
        }
        if self.rules.len() == self.user.len() {
            return None;
        }
        builtin_matchers()
            .iter()
            .position(|m| m.fires(text))
            .map(|i| self.user.len() + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(set: &RuleSet, text: &str) -> Option<String> {
        set.first_match(text).map(|i| set.rules[i].name.clone())
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
