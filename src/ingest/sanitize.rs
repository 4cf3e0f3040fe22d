//! A `BufRead` adapter that makes damaged XML readable with bounded memory.
//!
//! quick-xml refuses invalid UTF-8 and reads a whole text node into one buffer. Test reports
//! routinely carry captured output with ANSI escapes, stray bytes and, now and then, a
//! 100 MB `system-out`. This adapter sits between the file and the parser and:
//!
//! * replaces every byte of an invalid UTF-8 sequence with `?` (one byte for one byte, so
//!   positions in error messages stay true);
//! * replaces control characters that XML 1.0 forbids (everything below 0x20 except tab,
//!   newline and carriage return) with `?`;
//! * caps every run of bytes without a `<` (a text node, or a tag with huge attributes) at
//!   `max_run` bytes: the head and the last `tail` bytes are kept, with a marker in between
//!   saying how much was left out. Keeping the tail keeps the end of a tag (`" time="1">`)
//!   intact, so the document stays well-formed.
//!
//! Everything repaired is counted with its first position, for the snapshot's warnings.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

/// Default cap on a run of bytes without `<`.
pub const DEFAULT_MAX_RUN: usize = 1 << 20;
/// Default number of bytes kept from the end of a capped run.
pub const DEFAULT_TAIL: usize = 64 << 10;
const CHUNK: usize = 64 << 10;

/// A run that was cut: where, and how many bytes were left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Omission {
    /// Offset in the original file where the left-out bytes begin.
    pub original_offset: u64,
    /// Number of bytes left out.
    pub omitted: u64,
}

/// What the adapter repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Bytes of invalid UTF-8 sequences replaced by `?`.
    pub invalid_utf8_bytes: u64,
    /// Original offset of the first one.
    pub first_invalid_utf8: Option<u64>,
    /// Control characters (illegal in XML 1.0) replaced by `?`.
    pub control_chars: u64,
    /// Original offset of the first one.
    pub first_control_char: Option<u64>,
    /// Runs that were capped.
    pub omissions: Vec<Omission>,
}

/// The sanitising reader. See the module documentation.
pub struct Sanitizer<R> {
    inner: R,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    /// Incomplete UTF-8 sequence carried over to the next chunk.
    pending: Vec<u8>,
    /// Bytes of the file processed so far (original offsets, before capping).
    processed: u64,
    /// Bytes emitted so far (offsets as the parser sees them).
    emitted: u64,
    /// Length of the current run without `<` (emitted part).
    run_len: usize,
    /// While capping: the last bytes of the run and the count left out.
    capping: Option<Capping>,
    max_run: usize,
    tail: usize,
    /// Checkpoints (emitted offset, original offset) after every capped run.
    checkpoints: Vec<(u64, u64)>,
    eof: bool,
    repairs: Repairs,
}

struct Capping {
    ring: VecDeque<u8>,
    /// Original offset of the first byte left out.
    start: u64,
    /// Bytes seen since capping began (left out + still in the ring).
    seen: u64,
}

impl<R: Read> Sanitizer<R> {
    /// An adapter with the default limits.
    pub fn new(inner: R) -> Self {
        Sanitizer::with_limits(inner, DEFAULT_MAX_RUN, DEFAULT_TAIL)
    }

    /// An adapter with explicit limits (`tail` < `max_run`).
    pub fn with_limits(inner: R, max_run: usize, tail: usize) -> Self {
        Sanitizer {
            inner,
            raw: vec![0; CHUNK],
            out: Vec::with_capacity(CHUNK + 256),
            pos: 0,
            pending: Vec::new(),
            processed: 0,
            emitted: 0,
            run_len: 0,
            capping: None,
            max_run: max_run.max(16),
            tail: tail.min(max_run / 2).max(8),
            checkpoints: Vec::new(),
            eof: false,
            repairs: Repairs::default(),
        }
    }

    /// What was repaired so far.
    pub fn repairs(&self) -> &Repairs {
        &self.repairs
    }

    /// Maps an offset as the parser saw it to the offset in the original file.
    pub fn original_offset(&self, emitted: u64) -> u64 {
        let idx = self.checkpoints.partition_point(|&(e, _)| e <= emitted);
        if idx == 0 {
            emitted
        } else {
            let (e, o) = self.checkpoints[idx - 1];
            o + (emitted - e)
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() && !self.eof {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                self.eof = true;
                let pending = std::mem::take(&mut self.pending);
                if !pending.is_empty() {
                    // An incomplete sequence at end of file is invalid.
                    let mut bytes = pending;
                    let start = self.processed;
                    self.note_invalid(start, bytes.len());
                    bytes.iter_mut().for_each(|b| *b = b'?');
                    self.emit_valid(&bytes);
                }
                self.finish_capping();
            } else if self.pending.is_empty() {
                // The usual case: the chunk is repaired in place in the read buffer.
                let mut raw = std::mem::take(&mut self.raw);
                self.process(&mut raw[..n]);
                self.raw = raw;
            } else {
                let mut chunk = std::mem::take(&mut self.pending);
                chunk.extend_from_slice(&self.raw[..n]);
                self.process(&mut chunk);
            }
        }
        Ok(())
    }

    fn note_invalid(&mut self, offset: u64, count: usize) {
        self.repairs.invalid_utf8_bytes += count as u64;
        self.repairs.first_invalid_utf8.get_or_insert(offset);
    }

    /// Repairs UTF-8 and control characters in `chunk` (keeping an incomplete trailing
    /// sequence for the next call), then passes the bytes on to the run capping.
    fn process(&mut self, chunk: &mut [u8]) {
        let mut start = 0;
        let mut keep_from = chunk.len();
        loop {
            match std::str::from_utf8(&chunk[start..]) {
                Ok(_) => break,
                Err(e) => {
                    let bad = start + e.valid_up_to();
                    match e.error_len() {
                        Some(len) => {
                            let offset = self.processed + bad as u64;
                            self.note_invalid(offset, len);
                            chunk[bad..bad + len].iter_mut().for_each(|b| *b = b'?');
                            start = bad + len;
                        }
                        None => {
                            keep_from = bad;
                            break;
                        }
                    }
                }
            }
        }
        self.pending.clear();
        self.pending.extend_from_slice(&chunk[keep_from..]);
        let chunk = &mut chunk[..keep_from];
        let forbidden = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
        // Checked without branching first (the compiler vectorises it): nearly every chunk
        // has no control character to repair.
        if chunk.iter().fold(false, |any, &b| any | forbidden(b)) {
            for (i, b) in chunk.iter_mut().enumerate() {
                if forbidden(*b) {
                    self.repairs.control_chars += 1;
                    let offset = self.processed + i as u64;
                    self.repairs.first_control_char.get_or_insert(offset);
                    *b = b'?';
                }
            }
        }
        self.emit_valid(chunk);
    }

    /// Emits valid UTF-8 bytes, capping runs without `<`.
    ///
    /// `run_len` counts the bytes of the current run, from and including its `<`.
    fn emit_valid(&mut self, bytes: &[u8]) {
        let mut i = 0;
        let mut flush_from = 0;
        while i < bytes.len() {
            if self.capping.is_some() {
                match memchr::memchr(b'<', &bytes[i..]) {
                    Some(j) => {
                        self.cap_bytes(&bytes[i..i + j]);
                        self.finish_capping();
                        i += j;
                    }
                    None => {
                        self.cap_bytes(&bytes[i..]);
                        i = bytes.len();
                    }
                }
                flush_from = i;
                continue;
            }
            let next_lt = memchr::memchr(b'<', &bytes[i..]);
            let seg = next_lt.unwrap_or(bytes.len() - i);
            if self.run_len + seg <= self.max_run {
                match next_lt {
                    Some(j) => {
                        self.run_len = 1;
                        i += j + 1;
                    }
                    None => {
                        self.run_len += seg;
                        i = bytes.len();
                    }
                }
                continue;
            }
            // This run grows past the cap: keep its head, then start leaving bytes out.
            let room = self.max_run - self.run_len;
            let cut = i + char_boundary(&bytes[i..i + seg], room);
            self.push_out(&bytes[flush_from..cut]);
            self.run_len += cut - i;
            self.start_capping();
            i = cut;
            flush_from = cut;
        }
        if flush_from < bytes.len() {
            self.push_out(&bytes[flush_from..]);
        }
    }

    fn push_out(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
        self.emitted += bytes.len() as u64;
        self.processed += bytes.len() as u64;
    }

    fn start_capping(&mut self) {
        self.capping = Some(Capping {
            ring: VecDeque::with_capacity(self.tail),
            start: self.processed,
            seen: 0,
        });
    }

    fn cap_bytes(&mut self, bytes: &[u8]) {
        let tail = self.tail;
        if let Some(c) = self.capping.as_mut() {
            c.seen += bytes.len() as u64;
            let take = bytes.len().min(tail);
            let overflow = (c.ring.len() + take).saturating_sub(tail);
            c.ring.drain(..overflow);
            c.ring.extend(&bytes[bytes.len() - take..]);
        }
        self.processed += bytes.len() as u64;
    }

    fn finish_capping(&mut self) {
        let Some(c) = self.capping.take() else {
            return;
        };
        let mut tail: Vec<u8> = c.ring.into_iter().collect();
        // Start the kept tail on a character boundary.
        let skip = tail.iter().take_while(|&&b| (b & 0xC0) == 0x80).count();
        tail.drain(..skip);
        let omitted = c.seen - tail.len() as u64;
        self.repairs.omissions.push(Omission {
            original_offset: c.start,
            omitted,
        });
        let marker = format!(" [... regdiff left out {omitted} bytes ...] ");
        self.out.extend_from_slice(marker.as_bytes());
        self.emitted += marker.len() as u64;
        let tail_original = c.start + omitted;
        self.checkpoints.push((self.emitted, tail_original));
        self.out.extend_from_slice(&tail);
        self.emitted += tail.len() as u64;
        self.run_len = tail.len() + marker.len();
    }
}

/// The largest index `<= at` that does not split a UTF-8 character.
fn char_boundary(bytes: &[u8], at: usize) -> usize {
    let mut i = at.min(bytes.len());
    while i > 0 && i < bytes.len() && (bytes[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

impl<R: Read> Read for Sanitizer<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Sanitizer<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            self.refill()?;
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.out.len());
    }
}

/// Converts byte offsets of a file into 1-based (line, column) pairs in one pass.
///
/// `offsets` need not be sorted; the result is in the same order.
pub fn line_columns(reader: impl Read, offsets: &[u64]) -> io::Result<Vec<(u64, u64)>> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut result = vec![(1, 1); offsets.len()];
    let mut reader = io::BufReader::with_capacity(CHUNK, reader);
    let mut line = 1u64;
    let mut line_start = 0u64;
    let mut pos = 0u64;
    let mut next = 0usize;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let len = buf.len();
        for (i, &b) in buf.iter().enumerate() {
            let at = pos + i as u64;
            while next < order.len() && offsets[order[next]] == at {
                result[order[next]] = (line, at - line_start + 1);
                next += 1;
            }
            if b == b'\n' {
                line += 1;
                line_start = at + 1;
            }
        }
        pos += len as u64;
        reader.consume(len);
        if next == order.len() {
            return Ok(result);
        }
    }
    while next < order.len() {
        result[order[next]] = (line, pos.saturating_sub(line_start) + 1);
        next += 1;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], max_run: usize, tail: usize) -> (String, Repairs) {
        let mut s = Sanitizer::with_limits(input, max_run, tail);
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        (out, s.repairs().clone())
    }

    #[test]
    fn passes_clean_input_unchanged() {
        let text = "<a x=\"é\">hello</a>\n<b/>";
        let (out, rep) = run(text.as_bytes(), 1 << 20, 1024);
        assert_eq!(out, text);
        assert_eq!(rep, Repairs::default());
    }

    #[test]
    fn replaces_invalid_utf8_one_for_one() {
        let input = b"<a>ok\xff\xfe end</a>";
        let (out, rep) = run(input, 1 << 20, 1024);
        assert_eq!(out, "<a>ok?? end</a>");
        assert_eq!(rep.invalid_utf8_bytes, 2);
        assert_eq!(rep.first_invalid_utf8, Some(5));
    }

    #[test]
    fn replaces_control_characters() {
        let input = b"<a>\x1b[31mred\x1b[0m\ttab\n</a>";
        let (out, rep) = run(input, 1 << 20, 1024);
        assert_eq!(out, "<a>?[31mred?[0m\ttab\n</a>");
        assert_eq!(rep.control_chars, 2);
        assert_eq!(rep.first_control_char, Some(3));
    }

    #[test]
    fn keeps_multibyte_characters_split_across_chunks() {
        // 'é' is two bytes; put its first byte at the end of a chunk.
        let mut input = vec![b'x'; CHUNK - 1];
        input.extend_from_slice("é<b/>".as_bytes());
        let (out, rep) = run(&input, 1 << 22, 1024);
        assert!(out.ends_with("é<b/>"));
        assert_eq!(rep.invalid_utf8_bytes, 0);
    }

    #[test]
    fn caps_long_runs_and_keeps_the_tail() {
        let mut input = b"<t>".to_vec();
        input.extend(std::iter::repeat_n(b'a', 10_000));
        input.extend_from_slice(b"END</t>");
        let (out, rep) = run(&input, 100, 20);
        assert!(out.starts_with("<t>aaa"));
        assert!(out.ends_with("aaaEND</t>"), "{out}");
        assert!(out.contains("regdiff left out"));
        assert_eq!(rep.omissions.len(), 1);
        let om = rep.omissions[0];
        // head kept 100 bytes of the run (including "<t>"), tail 20
        assert_eq!(om.omitted, 10_000 + 3 + 3 - 100 - 20);
        assert!(out.len() < 200);
    }

    #[test]
    fn maps_offsets_back_after_a_cap() {
        let mut input = b"<t>".to_vec();
        input.extend(std::iter::repeat_n(b'a', 1000));
        input.extend_from_slice(b"<x/>");
        let mut s = Sanitizer::with_limits(&input[..], 100, 10);
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let x_emitted = out.windows(4).position(|w| w == b"<x/>").unwrap() as u64;
        assert_eq!(s.original_offset(x_emitted), 1003);
        assert_eq!(s.original_offset(2), 2);
    }

    #[test]
    fn line_columns_in_one_pass() {
        let text = b"ab\ncd\n\nef";
        let lc = line_columns(&text[..], &[8, 0, 4, 100]).unwrap();
        assert_eq!(lc, vec![(4, 2), (1, 1), (2, 2), (4, 3)]);
    }

    /// A reader that hands out at most a few bytes a call, so that characters and repairs
    /// fall across the sanitizer's chunks.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.len().min(buf.len()).min(self.step);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// What the sanitizer must give for the whole input at once (no capping): every byte
    /// of an invalid UTF-8 sequence and every forbidden control character becomes `?`.
    fn reference(input: &[u8]) -> (Vec<u8>, u64, u64) {
        let mut out = input.to_vec();
        let (mut invalid, mut control) = (0u64, 0u64);
        let mut start = 0;
        while let Err(e) = std::str::from_utf8(&out[start..]) {
            let bad = start + e.valid_up_to();
            let len = e.error_len().unwrap_or(out.len() - bad);
            out[bad..bad + len].iter_mut().for_each(|b| *b = b'?');
            invalid += len as u64;
            start = bad + len;
        }
        for b in &mut out {
            if *b < 0x20 && !matches!(*b, b'\t' | b'\n' | b'\r') {
                *b = b'?';
                control += 1;
            }
        }
        (out, invalid, control)
    }

    proptest::proptest! {
        #[test]
        fn repairs_do_not_depend_on_where_reads_end(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b"<a>".to_vec()),
                    proptest::strategy::Just("é€😀".as_bytes().to_vec()),
                    proptest::strategy::Just(vec![0xff]),
                    proptest::strategy::Just(vec![0xe2, 0x82]),
                    proptest::strategy::Just(vec![0x1b, b'\t', b'\n', 0x00]),
                    proptest::collection::vec(proptest::num::u8::ANY, 0..8),
                ],
                0..400,
            ),
            step in 1usize..9000,
        ) {
            let input: Vec<u8> = parts.concat();
            let mut s = Sanitizer::with_limits(Trickle { data: &input, step }, 1 << 30, 1024);
            let mut out = Vec::new();
            s.read_to_end(&mut out).unwrap();
            let (want, invalid, control) = reference(&input);
            proptest::prop_assert_eq!(&out, &want);
            proptest::prop_assert_eq!(s.repairs().invalid_utf8_bytes, invalid);
            proptest::prop_assert_eq!(s.repairs().control_chars, control);
        }
    }
}
