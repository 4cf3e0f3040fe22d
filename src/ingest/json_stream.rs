//! Streaming over one array inside a JSON document: the reports that hold every test in one
//! array (pytest-json-report's `tests`, CTRF's `results.tests`) are read one element at a
//! time, so memory stays bounded by the largest test, not by the file.

use std::fmt;
use std::io::BufReader;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};

use crate::error::IngestError;

/// What [`stream_array`] found besides the elements.
#[derive(Debug, Default)]
pub struct Streamed {
    /// Whether the array at the path was there.
    pub found: bool,
    /// Elements handed over.
    pub elements: u64,
    /// The members named in `keep`, from every object along the path.
    pub kept: Map<String, Value>,
}

impl Streamed {
    /// The kept object `key` (an `environment` block) as (name, text) pairs.
    pub fn pairs(&self, key: &str) -> Vec<(String, String)> {
        match self.kept.get(key) {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            _ => Vec::new(),
        }
    }

    /// A warning when the kept `summary` object's `field` disagrees with the elements read.
    pub fn summary_disagrees(&self, field: &str) -> Option<String> {
        let total = self.kept.get("summary")?.get(field)?.as_u64()?;
        (total != self.elements).then(|| {
            format!(
                "the summary says {total} tests but the report holds {}; the tests are used",
                self.elements
            )
        })
    }
}

/// A JSON value as text: a string as it is, anything else as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads `path` as one JSON document and hands each element of the array found by following
/// the object keys `at` from the root to `each`, in order. Members named in `keep` of the
/// objects along the way are returned whole (keep small ones: summaries, environment); every
/// other member is skipped without being held. `what` names the format in error messages;
/// a document without the array is an error.
pub fn stream_array<T, F>(
    path: &Path,
    at: &[&str],
    keep: &[&str],
    what: &str,
    mut each: F,
) -> Result<Streamed, IngestError>
where
    T: DeserializeOwned,
    F: FnMut(T) -> Result<(), String>,
{
    let file = super::input::open(path)?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, file));
    let mut out = Streamed::default();
    let seed = Level {
        at,
        keep,
        each: &mut each,
        out: &mut out,
        _t: PhantomData::<T>,
    };
    let syntax = |e: serde_json::Error| {
        if e.is_io() {
            return IngestError::unusable(path, format!("cannot read the file: {e}"));
        }
        let message = if e.is_eof() {
            format!("the file ends in the middle of the JSON document (is it truncated?): {e}")
        } else {
            format!("not a valid {what}: {e}")
        };
        IngestError::Syntax {
            path: path.to_path_buf(),
            line: e.line() as u64,
            column: e.column() as u64,
            message,
        }
    };
    seed.deserialize(&mut de).map_err(syntax)?;
    de.end().map_err(syntax)?;
    if !out.found {
        return Err(IngestError::unusable(
            path,
            format!("no `{}` array: expected a {what}", at.join(".")),
        ));
    }
    Ok(out)
}

struct Level<'a, T, F> {
    at: &'a [&'a str],
    keep: &'a [&'a str],
    each: &'a mut F,
    out: &'a mut Streamed,
    _t: PhantomData<T>,
}

impl<'de, T, F> DeserializeSeed<'de> for Level<'_, T, F>
where
    T: DeserializeOwned,
    F: FnMut(T) -> Result<(), String>,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.at.is_empty() {
            d.deserialize_any(Items(self))
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de, T, F> Visitor<'de> for Level<'_, T, F>
where
    T: DeserializeOwned,
    F: FnMut(T) -> Result<(), String>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object with a `{}` member", self.at[0])
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Level {
            at,
            keep,
            each,
            out,
            _t,
        } = self;
        while let Some(key) = map.next_key::<String>()? {
            if key == at[0] {
                map.next_value_seed(Level {
                    at: &at[1..],
                    keep,
                    each: &mut *each,
                    out: &mut *out,
                    _t: PhantomData::<T>,
                })?;
            } else if keep.contains(&key.as_str()) {
                let v: Value = map.next_value()?;
                out.kept.insert(key, v);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The array itself.
struct Items<'a, T, F>(Level<'a, T, F>);

impl<'de, T, F> Visitor<'de> for Items<'_, T, F>
where
    T: DeserializeOwned,
    F: FnMut(T) -> Result<(), String>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of tests")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.out.found = true;
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let level = self.0;
        level.out.found = true;
        while let Some(item) = seq.next_element::<T>()? {
            level.out.elements += 1;
            (level.each)(item).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str, at: &[&str]) -> Result<(Vec<u32>, Streamed), String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        std::fs::write(&p, json).unwrap();
        let mut got = Vec::new();
        stream_array::<u32, _>(&p, at, &["summary"], "test", |x| {
            got.push(x);
            Ok(())
        })
        .map(|s| (got, s))
        .map_err(|e| e.to_string())
    }

    #[test]
    fn elements_in_order_and_kept_members() {
        let (got, s) = run(
            r#"{"big": [1,2,3], "summary": {"n": 2}, "results": {"tests": [4, 5], "x": 1}}"#,
            &["results", "tests"],
        )
        .unwrap();
        assert_eq!(got, vec![4, 5]);
        assert!(s.found);
        assert_eq!(s.elements, 2);
        assert_eq!(s.kept["summary"]["n"], 2);
        assert!(!s.kept.contains_key("big"));
    }

    #[test]
    fn missing_array_and_errors_with_position() {
        let e = run(r#"{"results": {}}"#, &["results", "tests"]).unwrap_err();
        assert!(
            e.contains("no `results.tests` array: expected a test"),
            "{e}"
        );
        let e = run("{\"tests\": [1,\n 2,", &["tests"]).unwrap_err();
        assert!(e.contains("r.json:2:"), "{e}");
        assert!(e.contains("truncated"), "{e}");
        let e = run(r#"{"tests": [1, "x"]}"#, &["tests"]).unwrap_err();
        assert!(e.contains("r.json:1:"), "{e}");
        let e = run(r#"{"tests": [1]} trailing"#, &["tests"]).unwrap_err();
        assert!(e.contains("r.json:1:"), "{e}");
    }
}
