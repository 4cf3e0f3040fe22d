//! Probable renames: a test that is only on base and one that is only on head, in the same
//! place, with the same parameters and near-identical names.
//!
//! A rename is a change of the test set, not of the code's behaviour: the pair is shown as
//! one item, "renamed (probably)", and is never a regression or a fix by itself (a renamed
//! test that now fails is still judged as a failing test, with the rename named).
//!
//! Two tests pair when
//! * their suite, class name and file (when both sides give one) are the same,
//! * their parameters (the `[…]` part of a name) are the same, and
//! * their names are near-identical: a character similarity of at least 0.8 (`test_parse` →
//!   `test_parses`, `test_values_empty` → `test_values_empty_renamed`), or one name extends
//!   the other at a word boundary with at least 8 characters in common (`test_new` →
//!   `test_new_identifier`);
//! * and the pairing is unambiguous both ways: the removed test has exactly one such
//!   candidate among the added ones, and the added test exactly one among the removed. Where
//!   several would do, nothing is paired, and they stay added and removed.
//!
//! A place where more than 250,000 (removed × added) pairs would be compared (a class whose
//! tests were replaced wholesale) is not searched: that is not a set of renames.

use hashbrown::HashMap;
use rayon::prelude::*;

use super::cases::TestComparison;
use crate::model::Change;

/// A probable rename: indices into the comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rename {
    /// The test only on base.
    pub removed: usize,
    /// The test only on head.
    pub added: usize,
    /// Character similarity of the two names (0–1).
    pub similarity: f64,
}

/// Shortest common part for a name that extends another at a word boundary.
const MIN_SHARED: usize = 8;
/// Character similarity above which two names are near-identical.
const MIN_SIMILARITY: f64 = 0.8;
/// Most (removed × added) pairs compared in one place; beyond it nothing there is paired.
const MAX_PAIRS: usize = 250_000;

/// The probable renames among the comparisons, in the order of the added tests.
pub fn find(comparisons: &[TestComparison<'_>]) -> Vec<Rename> {
    find_in(comparisons.len(), &|i| {
        let c = &comparisons[i];
        Entry {
            suite: c.suite(),
            classname: c.classname(),
            name: c.name(),
            file: c.file(),
            change: c.change,
        }
    })
}

/// The `i`th test, as the search reads it (made when read: a copy of every comparison
/// would be 60 MB at a million tests).
type At<'f, 'a> = &'f (dyn Fn(usize) -> Entry<'a> + Sync);

/// What the search reads of a test.
#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    suite: Option<&'a str>,
    classname: Option<&'a str>,
    name: &'a str,
    file: Option<&'a str>,
    change: Change,
}

fn find_in<'a>(n: usize, at: At<'_, 'a>) -> Vec<Rename> {
    let mut removed: HashMap<Place<'a>, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let c = at(i);
        if c.change == Change::Removed {
            removed.entry(place(&c)).or_default().push(i);
        }
    }
    if removed.is_empty() {
        return Vec::new();
    }
    // The added tests of the places that lost tests: only there can a rename be.
    let mut added: HashMap<Place<'a>, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let c = at(i);
        if c.change == Change::Added {
            let p = place(&c);
            if removed.contains_key(&p) {
                added.entry(p).or_default().push(i);
            }
        }
    }
    // A removed test belongs to one place: each place is searched on its own, in parallel.
    let places: Vec<(&Vec<usize>, Vec<usize>)> = added
        .into_iter()
        .map(|(p, adds)| (&removed[&p], adds))
        .collect();
    let mut renames: Vec<Rename> = places
        .par_iter()
        .flat_map_iter(|(group, adds)| in_place(at, group, adds))
        .collect();
    renames.sort_unstable_by_key(|r| r.added);
    renames
}

/// The renames among the removed tests `group` and the added tests `adds` of one place.
fn in_place(at: At<'_, '_>, group: &[usize], adds: &[usize]) -> Vec<Rename> {
    if group.len().saturating_mul(adds.len()) > MAX_PAIRS {
        // A whole class replaced by another set of tests is not a set of renames, and
        // comparing every pair would cost more than the comparison itself.
        return Vec::new();
    }
    // Each removed name is measured once, against every added name of its place.
    let removed: Vec<Entry<'_>> = group.iter().map(|&r| at(r)).collect();
    let stems: Vec<Stem<'_>> = removed
        .iter()
        .map(|r| Stem::pattern(params(r.name).0))
        .collect();
    // Candidates of each added test, and how many added tests each removed one could be.
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    let mut wanted = vec![0usize; group.len()];
    for &a in adds {
        let c = at(a);
        let b = Stem::text(params(c.name).0);
        let mut found = 0;
        let mut only = None;
        for (k, (r, stem)) in removed.iter().zip(&stems).enumerate() {
            if !same_file(r, &c) {
                continue;
            }
            if let Some(s) = stem.near(&b) {
                wanted[k] += 1;
                found += 1;
                only = Some((k, s));
            }
        }
        if let (1, Some((k, s))) = (found, only) {
            pairs.push((a, k, s));
        }
    }
    pairs
        .into_iter()
        .filter(|&(_, k, _)| wanted[k] == 1)
        .map(|(added, k, similarity)| Rename {
            removed: group[k],
            added,
            similarity,
        })
        .collect()
}

/// Where a test lives: suite, class name, parameters.
type Place<'a> = (Option<&'a str>, Option<&'a str>, &'a str);

fn place<'a>(c: &Entry<'a>) -> Place<'a> {
    (c.suite, c.classname, params(c.name).1)
}

/// A name split into (name, parameters): `test_x[1-a]` → (`test_x`, `[1-a]`).
fn params(name: &str) -> (&str, &str) {
    // The cheap test first: most names without parameters do not end with `]`.
    match name
        .ends_with(']')
        .then(|| memchr::memchr(b'[', name.as_bytes()))
        .flatten()
    {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    }
}

fn same_file(a: &Entry<'_>, b: &Entry<'_>) -> bool {
    match (a.file, b.file) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Names this long together (in bytes) or longer are diffed under a deadline.
const LONG_NAMES: usize = 512;

/// How many characters two strings have in common, counted with repeats (the size of the
/// intersection of their multisets of characters).
fn shared_chars(a: &str, b: &str) -> usize {
    if a.is_ascii() && b.is_ascii() {
        let mut count = [0i32; 128];
        for &c in a.as_bytes() {
            count[c as usize] += 1;
        }
        let mut shared = 0;
        for &c in b.as_bytes() {
            if count[c as usize] > 0 {
                count[c as usize] -= 1;
                shared += 1;
            }
        }
        return shared;
    }
    let mut count: HashMap<char, usize> = HashMap::new();
    for c in a.chars() {
        *count.entry(c).or_default() += 1;
    }
    b.chars()
        .filter(|c| match count.get_mut(c) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count()
}

/// The character similarity of two strings: 2·M / (|a| + |b|), M the length of their
/// longest common subsequence of characters (what a minimal character diff matches), as
/// `similar`'s `ratio` computes it (in `f32`). Names up to [`LONG_NAMES`] bytes together are
/// measured exactly, bit-parallel; longer ones are diffed by `similar` under a deadline.
fn char_ratio(a: &str, b: &str) -> f32 {
    let (na, nb) = (a.chars().count(), b.chars().count());
    if na + nb == 0 {
        return 1.0;
    }
    let matched = if a.len() + b.len() > LONG_NAMES {
        let mut diff = similar::TextDiff::configure();
        diff.timeout(std::time::Duration::from_millis(5));
        return diff.diff_chars(a, b).ratio();
    } else {
        lcs_len(a, b)
    };
    2.0 * matched as f32 / (na + nb) as f32
}

/// The length of the longest common subsequence of the characters of `a` and `b`, by the
/// bit-vector algorithm of Hyyrö (2004), "Bit-parallel LCS-length computation revisited":
/// one bit per character of `a`, one pass over `b`, 64 characters of `a` a machine word.
fn lcs_len(a: &str, b: &str) -> usize {
    if a.is_ascii() && a.len() <= 64 && b.is_ascii() {
        return lcs_ascii(&ascii_masks(a), a.len(), b);
    }
    let pattern: Vec<char> = a.chars().collect();
    let words = pattern.len().div_ceil(64).max(1);
    // The match masks of each distinct character of `a`, `words` words each.
    let mut chars: Vec<char> = pattern.clone();
    chars.sort_unstable();
    chars.dedup();
    let mut peq = vec![0u64; chars.len() * words];
    for (i, c) in pattern.iter().enumerate() {
        let k = chars.binary_search(c).unwrap_or_default();
        peq[k * words + i / 64] |= 1 << (i % 64);
    }
    let zero = vec![0u64; words];
    let mut v = vec![!0u64; words];
    for c in b.chars() {
        let m = match chars.binary_search(&c) {
            Ok(k) => &peq[k * words..(k + 1) * words],
            Err(_) => &zero[..],
        };
        let (mut carry, mut borrow) = (false, false);
        for (w, &mw) in v.iter_mut().zip(m) {
            let u = *w & mw;
            let (s1, c1) = w.overflowing_add(u);
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            carry = c1 || c2;
            let (d1, b1) = w.overflowing_sub(u);
            let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
            borrow = b1 || b2;
            *w = s2 | d2;
        }
    }
    let mut zeros = 0;
    for (w, word) in v.iter().enumerate() {
        let bits = (pattern.len() - w * 64).min(64);
        let mask = if bits == 64 { !0 } else { (1u64 << bits) - 1 };
        zeros += bits - (word & mask).count_ones() as usize;
    }
    zeros
}

/// The similarity of two names when they are near-identical (see the module documentation).
#[cfg(test)]
fn near(a: &str, b: &str) -> Option<f64> {
    Stem::pattern(a).near(&Stem::text(b))
}

/// A name measured against many others: its length in characters and, for an ASCII name
/// of at most 64 bytes, the match masks of the bit-parallel LCS, built once.
struct Stem<'a> {
    s: &'a str,
    chars: usize,
    ascii: bool,
    masks: Option<Box<[u64; 128]>>,
}

impl<'a> Stem<'a> {
    /// A name to compare others with (a removed test's).
    fn pattern(s: &'a str) -> Self {
        let mut stem = Stem::text(s);
        if stem.ascii && s.len() <= 64 {
            stem.masks = Some(Box::new(ascii_masks(s)));
        }
        stem
    }

    /// A name compared with a pattern (an added test's).
    fn text(s: &'a str) -> Self {
        let ascii = s.is_ascii();
        Stem {
            s,
            chars: if ascii { s.len() } else { s.chars().count() },
            ascii,
            masks: None,
        }
    }

    /// The similarity of this name and `other` when they are near-identical.
    fn near(&self, other: &Stem<'_>) -> Option<f64> {
        let (a, b) = (self.s, other.s);
        if a == b || a.is_empty() || b.is_empty() {
            return None;
        }
        let (short, long) = if a.len() <= b.len() {
            (self, other)
        } else {
            (other, self)
        };
        let boundary =
            |c: Option<char>| c.is_some_and(|c| matches!(c, '_' | '-' | ' ' | '.' | ':'));
        let (ss, ls) = (short.s, long.s);
        let extends = ss.len() >= MIN_SHARED
            && ((ls.starts_with(ss) && boundary(ls[ss.len()..].chars().next()))
                || (ls.ends_with(ss) && boundary(ls[..ls.len() - ss.len()].chars().next_back())));
        let total = self.chars + other.chars;
        // The similarity is at most 2·short/(short + long): names of far different lengths
        // are not near-identical, and need no diff.
        let bound = 2.0 * short.chars as f64 / total as f64;
        if !extends && bound < MIN_SIMILARITY {
            return None;
        }
        let ratio = match &self.masks {
            // The exact ratio, as `char_ratio` computes it, from the masks built once.
            Some(masks) if other.ascii && a.len() + b.len() <= LONG_NAMES => {
                2.0 * lcs_ascii(masks, a.len(), b) as f32 / total as f32
            }
            _ => {
                // The characters the two names share, counted with repeats, bound the
                // matched length of any diff from above: below the similarity even then, no
                // diff can reach it. (With room for the diff's ratio being an f32, rounded
                // up as often as down.) The exact ratio above needs no such filter: it is
                // at most this bound.
                if !extends
                    && 2.0 * shared_chars(a, b) as f64 / total as f64 * (1.0 + 1e-6)
                        < MIN_SIMILARITY
                {
                    return None;
                }
                char_ratio(a, b)
            }
        };
        let ratio = f64::from(ratio);
        if ratio >= MIN_SIMILARITY {
            return Some(ratio);
        }
        extends.then_some(ratio)
    }
}

/// For each ASCII character, the positions in `a` (at most 64 characters) where it stands,
/// as bits: the pattern side of [`lcs_ascii`].
fn ascii_masks(a: &str) -> [u64; 128] {
    let mut masks = [0u64; 128];
    for (i, &c) in a.as_bytes().iter().enumerate() {
        masks[usize::from(c)] |= 1 << i;
    }
    masks
}

/// [`lcs_len`] of an ASCII pattern of `len` ≤ 64 bytes, given its match masks, and the
/// ASCII text `b`.
fn lcs_ascii(masks: &[u64; 128], len: usize, b: &str) -> usize {
    let mut v = !0u64;
    for &c in b.as_bytes() {
        let u = v & masks[usize::from(c)];
        v = v.wrapping_add(u) | (v - u);
    }
    let mask = if len == 64 { !0 } else { (1u64 << len) - 1 };
    len - (v & mask).count_ones() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_identical_names() {
        assert!(near("test_values_empty", "test_values_empty_renamed").is_some());
        assert!(near("test_new", "test_new_identifier").is_some());
        assert!(near("test_parse", "test_parses").is_some());
        assert!(near("testParse", "testParses").is_some());
        // Too short to call an extension, and too different.
        assert!(near("test", "test_everything").is_none());
        assert!(near("test_login", "test_logout_clears_session").is_none());
        assert!(near("test_add", "test_sub").is_none());
        assert!(near("same", "same").is_none());
        assert_eq!(shared_chars("aab", "abb"), 2);
        assert_eq!(shared_chars("grüße", "größe"), 4);
        assert_eq!(shared_chars("", "abc"), 0);
        // The bound never rejects what the diff accepts.
        for (a, b) in [("test_parse", "test_parses"), ("testParse", "testParses")] {
            let ratio = similar::TextDiff::from_chars(a, b).ratio() as f64;
            let bound = 2.0 * shared_chars(a, b) as f64 / (a.len() + b.len()) as f64;
            assert!(bound * (1.0 + 1e-6) >= ratio, "{a} {b}: {bound} < {ratio}");
        }
        assert_eq!(params("t[a-1]"), ("t", "[a-1]"));
        assert_eq!(lcs_len("test_parse", "test_parses"), 10);
        assert_eq!(lcs_len("", "abc"), 0);
        assert_eq!(lcs_len("grüße", "größe"), 4);
        assert_eq!(params("t"), ("t", ""));
    }

    /// The longest common subsequence by the textbook table, for checking.
    fn lcs_table(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut row = vec![0usize; b.len() + 1];
        for x in &a {
            let mut diag = 0;
            for (j, y) in b.iter().enumerate() {
                let up = row[j + 1];
                row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
                diag = up;
            }
        }
        row[b.len()]
    }

    /// The search as it was before the names were measured once per place: every added
    /// test against its place's removed ones, with `near` on the two strings.
    fn find_reference(comparisons: &[Entry<'_>]) -> Vec<Rename> {
        let mut removed: HashMap<Place<'_>, Vec<usize>> = HashMap::new();
        for (i, c) in comparisons.iter().enumerate() {
            if c.change == Change::Removed {
                removed.entry(place(c)).or_default().push(i);
            }
        }
        let mut added_per_place: HashMap<Place<'_>, usize> = HashMap::new();
        for c in comparisons.iter().filter(|c| c.change == Change::Added) {
            *added_per_place.entry(place(c)).or_default() += 1;
        }
        let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
        let mut wanted: HashMap<usize, usize> = HashMap::new();
        for (a, c) in comparisons.iter().enumerate() {
            if c.change != Change::Added {
                continue;
            }
            let Some(group) = removed.get(&place(c)) else {
                continue;
            };
            if group.len().saturating_mul(added_per_place[&place(c)]) > MAX_PAIRS {
                continue;
            }
            let cands: Vec<(usize, f64)> = group
                .iter()
                .filter(|&&r| same_file(&comparisons[r], c))
                .filter_map(|&r| {
                    near_reference(params(comparisons[r].name).0, params(c.name).0).map(|s| (r, s))
                })
                .collect();
            for &(r, _) in &cands {
                *wanted.entry(r).or_default() += 1;
            }
            if let [(r, s)] = cands.as_slice() {
                pairs.push((a, *r, *s));
            }
        }
        pairs
            .into_iter()
            .filter(|(_, r, _)| wanted.get(r) == Some(&1))
            .map(|(added, removed, similarity)| Rename {
                removed,
                added,
                similarity,
            })
            .collect()
    }

    /// `near` as it was: counts, bounds and the ratio recomputed from the strings.
    fn near_reference(a: &str, b: &str) -> Option<f64> {
        if a == b || a.is_empty() || b.is_empty() {
            return None;
        }
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        let boundary =
            |c: Option<char>| c.is_some_and(|c| matches!(c, '_' | '-' | ' ' | '.' | ':'));
        let extends = short.len() >= MIN_SHARED
            && ((long.starts_with(short) && boundary(long[short.len()..].chars().next()))
                || (long.ends_with(short)
                    && boundary(long[..long.len() - short.len()].chars().next_back())));
        let bound = 2.0 * short.chars().count() as f64
            / (short.chars().count() + long.chars().count()) as f64;
        if !extends && bound < MIN_SIMILARITY {
            return None;
        }
        if !extends
            && 2.0 * shared_chars(a, b) as f64 / (a.chars().count() + b.chars().count()) as f64
                * (1.0 + 1e-6)
                < MIN_SIMILARITY
        {
            return None;
        }
        let ratio = f64::from(char_ratio(a, b));
        if ratio >= MIN_SIMILARITY {
            return Some(ratio);
        }
        extends.then_some(ratio)
    }

    fn entry_strategy() -> impl proptest::strategy::Strategy<Value = (u8, u8, String, u8, u8)> {
        use proptest::prelude::*;
        (
            0u8..2,
            0u8..3,
            // Names near each other: shared stems, extensions at word boundaries, non-ASCII,
            // long names past the bit-parallel limits, parameters.
            prop_oneof![
                "test_[a-c]{1,4}(_[a-c]{1,3})?(\\[p[12]\\])?",
                "test_values_[ab]{0,3}é?",
                "[a-b_]{60,70}",
                "x{250,300}[ab]",
            ],
            0u8..3,
            0u8..3,
        )
    }

    proptest::proptest! {
        /// The search finds what the reference finds, with the same similarities, on random
        /// sets of added, removed and kept tests in few places.
        #[test]
        fn finds_what_the_reference_finds(
            raw in proptest::collection::vec(entry_strategy(), 0..60)
        ) {
            let suites = [None, Some("s")];
            let classes = [None, Some("C"), Some("D")];
            let files = [None, Some("a.py"), Some("b.py")];
            let changes = [Change::Added, Change::Removed, Change::Broke];
            let entries: Vec<Entry<'_>> = raw
                .iter()
                .map(|(s, c, name, f, ch)| Entry {
                    suite: suites[usize::from(*s)],
                    classname: classes[usize::from(*c)],
                    name,
                    file: files[usize::from(*f)],
                    change: changes[usize::from(*ch)],
                })
                .collect();
            proptest::prop_assert_eq!(
                find_in(entries.len(), &|i| entries[i]),
                find_reference(&entries)
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The bit-parallel length is the table's, on short and long names, ASCII or not,
        /// over small alphabets where subsequences are many.
        #[test]
        fn lcs_matches_the_table(
            a in "[ab_1é]{0,150}",
            b in "[ab_1é]{0,150}",
            c in "[a-c]{0,64}",
            d in "[a-d]{0,80}",
        ) {
            proptest::prop_assert_eq!(lcs_len(&a, &b), lcs_table(&a, &b));
            proptest::prop_assert_eq!(lcs_len(&c, &d), lcs_table(&c, &d));
            proptest::prop_assert_eq!(lcs_len(&d, &c), lcs_table(&d, &c));
        }

        /// A minimal diff matches as many characters as the longest common subsequence, so
        /// the ratio is `similar`'s wherever its diff is minimal; it is never lower.
        #[test]
        fn ratio_is_similars_or_higher(a in "[a-e_]{1,40}", b in "[a-e_]{1,40}") {
            let ours = char_ratio(&a, &b);
            let theirs = similar::TextDiff::from_chars(a.as_str(), b.as_str()).ratio();
            proptest::prop_assert!(ours >= theirs, "{} {}: {} < {}", a, b, ours, theirs);
        }
    }
}
