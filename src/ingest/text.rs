//! Small text helpers shared by the readers: bounded text buffers, duration and number parsing.

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::error::IngestError;

/// Reads a file one line at a time (bounded memory), without the line ending, counting lines
/// for messages. Line-based formats (TAP, `go test -json`) share it.
pub struct LineReader {
    input: std::io::BufReader<Box<dyn std::io::Read + Send>>,
    buf: Vec<u8>,
    path: PathBuf,
    /// The number of the line last returned (1-based).
    pub lineno: u64,
}

impl LineReader {
    /// Opens `path`; an error names it.
    pub fn open(path: &Path) -> Result<Self, IngestError> {
        let file = super::input::open(path)?;
        Ok(LineReader {
            input: std::io::BufReader::with_capacity(64 << 10, file),
            buf: Vec::new(),
            path: path.to_path_buf(),
            lineno: 0,
        })
    }

    /// The next line's number and bytes without `\n` / `\r\n`, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<(u64, &[u8])>, IngestError> {
        self.buf.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| IngestError::io(&self.path, e))?;
        if n == 0 {
            return Ok(None);
        }
        self.lineno += 1;
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        Ok(Some((self.lineno, &self.buf)))
    }
}

/// Keeps the first `head` and the last `tail` bytes of a text that may be huge, and counts
/// what lies between. Captured output can be hundreds of megabytes; a snapshot keeps enough
/// to recognise a failure and says how much it left out.
#[derive(Debug, Clone)]
pub struct BoundedText {
    head: String,
    tail: VecDeque<char>,
    tail_bytes: usize,
    head_limit: usize,
    tail_limit: usize,
    total: u64,
    dropped: u64,
}

impl BoundedText {
    /// A buffer keeping `head` bytes from the start and `tail` bytes from the end.
    pub fn new(head: usize, tail: usize) -> Self {
        BoundedText {
            head: String::new(),
            tail: VecDeque::new(),
            tail_bytes: 0,
            head_limit: head,
            tail_limit: tail,
            total: 0,
            dropped: 0,
        }
    }

    /// Appends text.
    pub fn push(&mut self, s: &str) {
        self.total += s.len() as u64;
        let mut rest = s;
        if self.head.len() < self.head_limit {
            let room = self.head_limit - self.head.len();
            if rest.len() <= room {
                self.head.push_str(rest);
                return;
            }
            let mut cut = room;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.head.push_str(&rest[..cut]);
            rest = &rest[cut..];
        }
        // Only the last `tail_limit` bytes of `rest` can survive.
        if rest.len() > self.tail_limit {
            let mut cut = rest.len() - self.tail_limit;
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            self.dropped += (cut + self.tail_bytes) as u64;
            self.tail.clear();
            self.tail_bytes = 0;
            rest = &rest[cut..];
        }
        for c in rest.chars() {
            self.tail.push_back(c);
            self.tail_bytes += c.len_utf8();
        }
        while self.tail_bytes > self.tail_limit {
            if let Some(c) = self.tail.pop_front() {
                self.tail_bytes -= c.len_utf8();
                self.dropped += c.len_utf8() as u64;
            }
        }
    }

    /// Whether nothing was pushed (or only empty strings).
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Total bytes pushed.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes left out.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The kept text, with a marker where bytes were left out.
    pub fn finish(self) -> String {
        let mut out = self.head;
        if self.dropped > 0 {
            out.push_str(&format!(
                "\n[... regdiff left out {} bytes ...]\n",
                self.dropped
            ));
        }
        out.extend(self.tail);
        out
    }

    /// Like [`finish`](Self::finish) but `None` when empty or only white space.
    pub fn finish_nonblank(self) -> Option<String> {
        let s = self.finish();
        if s.trim().is_empty() { None } else { Some(s) }
    }
}

/// `s` kept whole when short, else its first `head` and last `tail` bytes with a marker.
pub fn bound(s: &str, head: usize, tail: usize) -> String {
    if s.len() <= head + tail {
        return s.to_string();
    }
    let mut b = BoundedText::new(head, tail);
    b.push(s);
    b.finish()
}

/// Parses a duration in seconds as test reports write it.
///
/// Accepts `1.5`, `1,234.5` and `12,345` (thousands separators), `0,5` (decimal comma, when
/// the comma is not followed by exactly three digits), ISO-8601 durations (`PT1.5S`,
/// `PT1M2S`, `P0DT0H0M1.5S`), and blank (unknown → `Ok(None)`). Negative, NaN and infinite
/// values are errors.
pub fn parse_seconds(raw: &str) -> Result<Option<f64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let value = if s.starts_with('P') || s.starts_with('p') {
        parse_iso8601_duration(s)?
    } else {
        parse_number_with_separators(s)?
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{raw}` is not a duration (expected seconds >= 0)"));
    }
    Ok(Some(value))
}

fn parse_number_with_separators(s: &str) -> Result<f64, String> {
    let bad = || format!("`{s}` is not a number of seconds");
    let cleaned: String = if s.contains(',') && s.contains('.') {
        // The last separator is the decimal point; the other one groups thousands.
        if s.rfind('.') > s.rfind(',') {
            s.replace(',', "")
        } else {
            s.replace('.', "").replace(',', ".")
        }
    } else if s.contains(',') {
        let groups: Vec<&str> = s.split(',').collect();
        let thousands = groups.len() > 1
            && groups[1..]
                .iter()
                .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
            && !groups[0].is_empty()
            && groups[0].len() <= 3;
        if thousands {
            s.replace(',', "")
        } else if groups.len() == 2 {
            s.replace(',', ".")
        } else {
            return Err(bad());
        }
    } else {
        s.to_string()
    };
    cleaned.parse::<f64>().map_err(|_| bad())
}

fn parse_iso8601_duration(s: &str) -> Result<f64, String> {
    let bad = || format!("`{s}` is not an ISO-8601 duration");
    let upper = s.to_ascii_uppercase();
    let body = upper.strip_prefix('P').ok_or_else(bad)?;
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => (d, t),
        None => (body, ""),
    };
    let mut total = 0.0;
    let mut parse_part = |part: &str, units: &[(char, f64)]| -> Result<(), String> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(if c == ',' { '.' } else { c });
            } else {
                let factor = units
                    .iter()
                    .find(|(u, _)| *u == c)
                    .map(|(_, f)| *f)
                    .ok_or_else(bad)?;
                let v: f64 = num.parse().map_err(|_| bad())?;
                total += v * factor;
                num.clear();
            }
        }
        if num.is_empty() { Ok(()) } else { Err(bad()) }
    };
    parse_part(date, &[('W', 604_800.0), ('D', 86_400.0)])?;
    parse_part(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    if date.is_empty() && time.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// Parses a decimal number as `str::parse::<f64>` does, with the same result, faster for the
/// plain `123.45` form benchmark outputs are made of: up to 15 significant digits are read into
/// an integer and divided by an exact power of ten, which rounds once, correctly (Clinger's fast
/// path). Anything else (signs, exponents, more digits, `NaN`) goes to `str::parse`.
pub fn parse_f64(s: &str) -> Result<f64, std::num::ParseFloatError> {
    const POW10: [f64; 16] = [
        1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let b = s.as_bytes();
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut decimals: Option<usize> = None;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                if let Some(d) = decimals.as_mut() {
                    *d += 1;
                }
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return s.parse(),
        }
    }
    let decimals = decimals.unwrap_or(0);
    if digits == 0 || digits > 15 || (decimals > 0 && digits == decimals && b[0] == b'.') {
        return s.parse();
    }
    Ok(mantissa as f64 / POW10[decimals])
}

/// A duration in seconds from a JSON report, kept only when it is a number of seconds >= 0;
/// anything else is counted in `bad` (the reader warns once) and read as unknown.
pub fn checked_seconds(v: Option<f64>, bad: &mut u64) -> Option<f64> {
    match v {
        Some(d) if d.is_finite() && d >= 0.0 => Some(d),
        Some(_) => {
            *bad += 1;
            None
        }
        None => None,
    }
}

/// The most earlier attempts a reader makes up from a bare retry count (`retries: N`,
/// nextest's `name#N`): the count is kept in the message, the attempts are bounded.
pub const MAX_COUNTED_ATTEMPTS: u32 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_keeps_head_and_tail() {
        let mut t = BoundedText::new(4, 3);
        t.push("abcdefghij");
        t.push("klm");
        assert_eq!(t.total(), 13);
        assert_eq!(t.dropped(), 6);
        let s = t.finish();
        assert!(s.starts_with("abcd\n[... regdiff left out 6 bytes ...]\n"));
        assert!(s.ends_with("klm"));
    }

    #[test]
    fn bounded_text_small_input_is_unchanged() {
        let mut t = BoundedText::new(10, 10);
        t.push("héllo");
        assert_eq!(t.finish(), "héllo");
    }

    #[test]
    fn bounded_text_respects_char_boundaries() {
        let mut t = BoundedText::new(3, 3);
        t.push("ééééé"); // 10 bytes
        let s = t.finish();
        assert!(s.starts_with('é'));
        assert!(s.ends_with('é'));
    }

    #[test]
    fn seconds_formats() {
        assert_eq!(parse_seconds("1.5"), Ok(Some(1.5)));
        assert_eq!(parse_seconds("1,234.5"), Ok(Some(1234.5)));
        assert_eq!(parse_seconds("12,345"), Ok(Some(12345.0)));
        assert_eq!(parse_seconds("1.234,5"), Ok(Some(1234.5)));
        assert_eq!(parse_seconds("0,5"), Ok(Some(0.5)));
        assert_eq!(parse_seconds("PT1.5S"), Ok(Some(1.5)));
        assert_eq!(parse_seconds("PT1M2S"), Ok(Some(62.0)));
        assert_eq!(parse_seconds("P0DT1H0M0.5S"), Ok(Some(3600.5)));
        assert_eq!(parse_seconds(""), Ok(None));
        assert_eq!(parse_seconds("  "), Ok(None));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("abc").is_err());
        assert!(parse_seconds("P").is_err());
        assert!(parse_seconds("1,2,3").is_err());
    }

    #[test]
    fn parse_f64_agrees_with_std() {
        let fixed = [
            "0",
            "0.0",
            "1",
            "1.",
            ".5",
            "992.4",
            "1053.0",
            "0.1",
            "0.3",
            "123456789012345",
            "1234567890123456",
            "12345.6789012345",
            "0.000000000000001",
            "9007199254740993",
            "1e3",
            "-1.5",
            "+2",
            "nan",
            "inf",
            "",
            ".",
            "1.2.3",
            "12a",
            "00012.500",
        ];
        for t in fixed {
            assert_eq!(
                parse_f64(t).map(f64::to_bits).ok(),
                t.parse::<f64>().map(f64::to_bits).ok(),
                "{t:?}"
            );
        }
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let int = x % 10_000_000;
            let frac = (x >> 24) % 1_000_000_000;
            let places = ((x >> 56) % 10) as usize;
            let t = if places == 0 {
                format!("{int}")
            } else {
                let f = format!("{frac:09}");
                format!("{int}.{}", &f[..places])
            };
            assert_eq!(
                parse_f64(&t).unwrap().to_bits(),
                t.parse::<f64>().unwrap().to_bits(),
                "{t}"
            );
        }
    }
}
