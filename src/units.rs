//! Units of measured figures: normalisation to one unit per dimension, and the direction
//! that is better.
//!
//! Times are stored in seconds (`ns`, `us`/`µs`, `ms`, `s`, `min`, with an optional per-op
//! suffix kept: `ns/op` → `s/op`), sizes in bytes (`B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`);
//! rates (`…/s`) are better when higher, everything else when lower. A unit regdiff does not
//! know keeps its values and is assumed lower-is-better, and the reader says so in a warning.

use crate::model::Better;

/// A unit resolved: the stored unit, the factor to convert values into it, the direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Unit the values are stored in.
    pub unit: String,
    /// Multiply source values by this.
    pub factor: f64,
    /// Which direction is better.
    pub better: Better,
    /// Whether the unit was recognised (else a warning is due).
    pub known: bool,
    /// Whether the unit measures time (zero and negative values are invalid).
    pub is_time: bool,
}

fn time_factor(u: &str) -> Option<f64> {
    Some(match u {
        "ns" => 1e-9,
        "us" | "µs" | "μs" => 1e-6,
        "ms" => 1e-3,
        "s" | "sec" => 1.0,
        "min" => 60.0,
        _ => return None,
    })
}

fn size_factor(u: &str) -> Option<f64> {
    Some(match u {
        "B" | "bytes" => 1.0,
        "KB" | "kB" => 1e3,
        "KiB" => 1024.0,
        "MB" => 1e6,
        "MiB" => 1024.0 * 1024.0,
        "GB" => 1e9,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

impl Resolved {
    /// Converts a value into the stored unit. Sub-units divide by a whole power of ten (exact
    /// for ordinary values: 1200 ns is 1.2e-6 s, not 1.2000000000000002e-6).
    pub fn apply(&self, v: f64) -> f64 {
        if self.factor < 1.0 {
            v / (1.0 / self.factor).round()
        } else {
            v * self.factor
        }
    }
}

/// Resolves a unit as a source writes it.
pub fn resolve(unit: &str) -> Resolved {
    let u = unit.trim();
    // Rates: something per second is better when higher.
    if let Some(num) = u.strip_suffix("/s") {
        let (factor, unit) = match size_factor(num) {
            Some(f) => (f, "B/s".to_string()),
            None => (1.0, u.to_string()),
        };
        return Resolved {
            unit,
            factor,
            better: Better::Higher,
            known: true,
            is_time: false,
        };
    }
    let (base, per) = match u.split_once('/') {
        Some((b, p)) => (b, Some(p)),
        None => (u, None),
    };
    let suffix = per.map(|p| format!("/{p}")).unwrap_or_default();
    if let Some(f) = time_factor(base) {
        return Resolved {
            unit: format!("s{suffix}"),
            factor: f,
            better: Better::Lower,
            known: true,
            is_time: true,
        };
    }
    if let Some(f) = size_factor(base) {
        return Resolved {
            unit: format!("B{suffix}"),
            factor: f,
            better: Better::Lower,
            known: true,
            is_time: false,
        };
    }
    let known = matches!(base, "allocs" | "count" | "instructions" | "cycles" | "%");
    Resolved {
        unit: u.to_string(),
        factor: 1.0,
        better: Better::Lower,
        known,
        is_time: false,
    }
}

/// Whether a stored unit measures time.
pub fn is_time(unit: &str) -> bool {
    unit == "s" || unit.starts_with("s/")
}

/// Formats a value of a stored unit for people (`1.23 ms`, `4.5 MB`).
pub fn human(value: f64, unit: &str) -> String {
    let mut out = String::with_capacity(24);
    push_human(&mut out, value, unit);
    out
}

/// [`human`], appended to `out`.
pub fn push_human(out: &mut String, value: f64, unit: &str) {
    let (v, prefix, rest) = if is_time(unit) {
        let suffix = unit.strip_prefix('s').unwrap_or("");
        let (v, u) = if value.abs() >= 1.0 || value == 0.0 {
            (value, "s")
        } else if value.abs() >= 1e-3 {
            (value * 1e3, "ms")
        } else if value.abs() >= 1e-6 {
            (value * 1e6, "µs")
        } else {
            (value * 1e9, "ns")
        };
        (v, u, suffix)
    } else if unit == "B" || unit.starts_with("B/") {
        let suffix = unit.strip_prefix('B').unwrap_or("");
        let (v, u) = if value.abs() >= 1e9 {
            (value / 1e9, "GB")
        } else if value.abs() >= 1e6 {
            (value / 1e6, "MB")
        } else if value.abs() >= 1e3 {
            (value / 1e3, "kB")
        } else {
            (value, "B")
        };
        (v, u, suffix)
    } else {
        (value, unit, "")
    };
    push_sig4(out, v);
    out.push(' ');
    out.push_str(prefix);
    out.push_str(rest);
}

/// Four significant digits, without exponent for ordinary magnitudes (163.6 MB and 164.2 MB
/// must not both print as 164 MB).
pub fn sig4(v: f64) -> String {
    let mut out = String::with_capacity(16);
    push_sig4(&mut out, v);
    out
}

fn push_sig4(out: &mut String, v: f64) {
    if v == 0.0 || !v.is_finite() {
        use std::fmt::Write;
        let _ = write!(out, "{v}");
        return;
    }
    // Past an ordinary range, scientific notation: 1e300 is not 301 digits.
    if !(1e-4..1e9).contains(&v.abs()) {
        use std::fmt::Write;
        let _ = write!(out, "{v:.3e}");
        return;
    }
    let digits = (4 - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    push_fixed(out, v, digits, false);
}

/// `v` with `digits` decimals, exactly as `format!("{v:.digits$}")` (or `{v:+.digits$}` with
/// `plus`) prints it, several times faster for the figures reports print by the ten thousand:
/// the value is scaled and rounded in integers, and std formats it whenever that could differ
/// (a value near a rounding tie, a large magnitude, many decimals, NaN or infinity).
pub fn fixed(v: f64, digits: usize, plus: bool) -> String {
    let mut out = String::with_capacity(24);
    push_fixed(&mut out, v, digits, plus);
    out
}

/// [`fixed`], appended to `out`.
pub fn push_fixed(out: &mut String, v: f64, digits: usize, plus: bool) {
    use std::fmt::Write;
    const POW10: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    const IPOW10: [u64; 7] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
    let scaled = v.abs() * POW10.get(digits).copied().unwrap_or(f64::INFINITY);
    // Below 1e9 the scaling errs by < 1.2e-7, so any fraction farther than 1e-6 from one half
    // rounds the same way as the exact decimal value does.
    let frac = scaled - scaled.floor();
    if scaled.is_nan() || scaled >= 1e9 || (frac - 0.5).abs() < 1e-6 {
        let _ = if plus {
            write!(out, "{v:+.digits$}")
        } else {
            write!(out, "{v:.digits$}")
        };
        return;
    }
    let n = scaled.round() as u64;
    if v.is_sign_negative() {
        out.push('-');
    } else if plus {
        out.push('+');
    }
    let (int, mut dec) = (n / IPOW10[digits], n % IPOW10[digits]);
    push_u64(out, int);
    if digits > 0 {
        let mut buf = [b'0'; 6];
        for k in (0..digits).rev() {
            buf[k] = b'0' + (dec % 10) as u8;
            dec /= 10;
        }
        out.push('.');
        out.push_str(std::str::from_utf8(&buf[..digits]).expect("ASCII digits"));
    }
}

/// Appends the decimal digits of `v` (as `{v}` prints them, without the formatting machinery).
pub fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).expect("ASCII digits"));
}

/// Formats a p-value compactly.
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        fixed(p, 3, false)
    }
}

/// `+83.9%` for a ratio.
pub fn fmt_pct(ratio: f64) -> String {
    let mut s = fixed(100.0 * (ratio - 1.0), 1, true);
    s.push('%');
    s
}

/// A byte count for people: `512 B`, `3.4 KB`, `10.2 MB`, `1.1 GB` (powers of 1000).
pub fn fmt_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sizes_and_rates() {
        let r = resolve("ns/op");
        assert_eq!(
            (r.unit.as_str(), r.factor, r.better, r.is_time),
            ("s/op", 1e-9, Better::Lower, true)
        );
        let r = resolve("ms");
        assert_eq!((r.unit.as_str(), r.factor), ("s", 1e-3));
        let r = resolve("B/op");
        assert_eq!((r.unit.as_str(), r.better), ("B/op", Better::Lower));
        let r = resolve("MB/s");
        assert_eq!(
            (r.unit.as_str(), r.factor, r.better),
            ("B/s", 1e6, Better::Higher)
        );
        let r = resolve("ops/s");
        assert_eq!(r.better, Better::Higher);
        let r = resolve("allocs/op");
        assert!(r.known);
        let r = resolve("widgets");
        assert!(!r.known);
        assert_eq!(r.better, Better::Lower);
    }

    #[test]
    fn fixed_prints_what_std_prints() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let specials = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.125,
            0.05,
            -0.05,
            0.95,
            9.995,
            99.95,
            1e-12,
            -1e-12,
            123456.789,
            999999.9999,
            1e9,
            3e15,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
        ];
        let mut values: Vec<f64> = specials.to_vec();
        for _ in 0..50_000 {
            let r = next();
            // Magnitudes from 1e-8 to 1e10, either sign, plus values on a grid of halves.
            let mag = 10f64.powi((r % 19) as i32 - 8);
            let v = (next() as f64 / u64::MAX as f64) * mag;
            values.push(if r & 1 == 0 { v } else { -v });
            values.push(((next() % 20_000) as f64 - 10_000.0) / 200.0);
        }
        for v in values {
            for digits in 0..=8 {
                assert_eq!(
                    fixed(v, digits, false),
                    format!("{v:.digits$}"),
                    "{v:e} {digits}"
                );
                assert_eq!(
                    fixed(v, digits, true),
                    format!("{v:+.digits$}"),
                    "{v:e} {digits}"
                );
            }
        }
    }

    #[test]
    fn human_formatting() {
        assert_eq!(human(0.001234, "s"), "1.234 ms");
        assert_eq!(human(3.5e-8, "s/op"), "35.00 ns/op");
        assert_eq!(human(163.6e6, "B"), "163.6 MB");
        assert_eq!(human(164.2e6, "B"), "164.2 MB");
        assert_eq!(human(12.0, "allocs/op"), "12.00 allocs/op");
        // Issue 12, defect 13: extreme values in scientific notation.
        assert_eq!(human(2e300, "B"), "2.000e291 GB");
        assert_eq!(human(1.5e12, "allocs/op"), "1.500e12 allocs/op");
        assert_eq!(human(3e-15, "s"), "3.000e-6 ns");
        assert_eq!(human(-4.0e15, "x"), "-4.000e15 x");
    }
}
