//! A field most values leave empty, held behind one pointer: 8 bytes, and no allocation
//! while it is empty. A test's tags and properties are such fields (24 bytes each inline;
//! two million stored results of a 200-run base side held 64 MB of empty ones).
//!
//! [`Rare`] reads and writes as the value it holds (`Deref`, `DerefMut`), and serialises
//! and prints exactly as that value does.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

/// A value that is usually empty (see the module doc).
pub struct Rare<T: Empty>(Option<Box<T>>);

/// A test's tags.
pub type Tags = Rare<Vec<String>>;
/// A test's properties.
pub type Properties = Rare<BTreeMap<String, String>>;

/// A type with a shared empty value to lend while nothing is held.
pub trait Empty: Default + 'static {
    /// The empty value.
    fn empty() -> &'static Self;
    /// Whether `self` is empty.
    fn is_empty_value(&self) -> bool;
}

impl Empty for Vec<String> {
    fn empty() -> &'static Self {
        static EMPTY: Vec<String> = Vec::new();
        &EMPTY
    }
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl Empty for BTreeMap<String, String> {
    fn empty() -> &'static Self {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        &EMPTY
    }
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl<T: Empty> Rare<T> {
    /// The value, taken out (empty when none was held).
    pub fn into_inner(self) -> T {
        self.0.map(|b| *b).unwrap_or_default()
    }
}

impl<T: Empty> Default for Rare<T> {
    fn default() -> Self {
        Rare(None)
    }
}

impl<T: Empty> From<T> for Rare<T> {
    fn from(v: T) -> Self {
        Rare((!v.is_empty_value()).then(|| Box::new(v)))
    }
}

impl<T: Empty> Deref for Rare<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            Some(v) => v,
            None => T::empty(),
        }
    }
}

impl<T: Empty> DerefMut for Rare<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Default::default)
    }
}

impl<T: Empty + Clone> Clone for Rare<T> {
    fn clone(&self) -> Self {
        // An empty value left behind by a change is not copied.
        match &self.0 {
            Some(v) if !v.is_empty_value() => Rare(Some(v.clone())),
            _ => Rare(None),
        }
    }
}

impl<T: Empty + PartialEq> PartialEq for Rare<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Empty + fmt::Debug> fmt::Debug for Rare<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: Empty + Serialize> Serialize for Rare<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de, T: Empty + Deserialize<'de>> Deserialize<'de> for Rare<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Rare::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_prints_as_its_value() {
        let mut t = Tags::default();
        assert!(t.is_empty());
        assert_eq!(format!("{t:?}"), "[]");
        assert_eq!(serde_json::to_string(&t).unwrap(), "[]");
        t.push("slow".into());
        assert_eq!(&*t, &vec!["slow".to_string()]);
        assert_eq!(format!("{t:?}"), format!("{:?}", vec!["slow"]));
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"["slow"]"#);
        let back: Tags = serde_json::from_str(r#"["slow"]"#).unwrap();
        assert_eq!(back, t);
        let none: Tags = serde_json::from_str("[]").unwrap();
        assert!(none.0.is_none(), "nothing held for an empty list");
        // Emptied by a change: equal to an empty one, and its copy holds nothing.
        t.clear();
        assert_eq!(t, Tags::default());
        assert!(t.clone().0.is_none());
        let mut p = Properties::default();
        p.insert("k".into(), "v".into());
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"k":"v"}"#);
        assert_eq!(p.clone().into_inner().len(), 1);
        assert_eq!(std::mem::size_of::<Tags>(), 8);
    }
}
