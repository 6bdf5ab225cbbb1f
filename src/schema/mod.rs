//! Every JSON document tokenmaxx writes or reads, as types: the report
//! (written by `report --format json`, read back by `merge` and by `check`
//! baselines), records, check results, token counts and the price book.
//! Writers serialize these types and readers deserialize the same types, so
//! a field cannot be written under one name and read under another. The
//! field-by-field contract is docs/json.md; `tests/json_contract.rs` checks
//! that it lists every field these types write.
//!
//! A leaf module: it knows serde and decimals, nothing of the pipeline.
//! Conversions from and to the pipeline's types live beside those types.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

pub mod check;
pub mod count;
pub mod prices;
pub mod records;
pub mod report;
pub mod whatif;

/// Version of every JSON shape here; bumped on any rename or removal
/// (adding a field is not a change of version).
pub const SCHEMA_VERSION: u32 = 1;

/// Money and other exact decimals: a JSON string without trailing zeros
/// (`"0.00176"`), never a float, so no reader loses a digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Dec(pub Decimal);

impl Dec {
    /// A derived figure (a mean, a ratio) rounded half to even to `places`.
    pub fn rounded(d: Decimal, places: u32) -> Dec {
        Dec(d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven))
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.normalize())
    }
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dec, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string such as \"0.00176\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Dec, E> {
                Decimal::from_str(s)
                    .map(Dec)
                    .map_err(|_| E::custom(format!("`{s}` is not a decimal")))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON object whose keys keep their order (a group's key: one entry per
/// `--by` dimension, in the order given; a record's cost breakdown in
/// billing order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderedMap<V, K = String>(pub Vec<(K, V)>);

impl<V, K: AsRef<str>> OrderedMap<V, K> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }
}

impl<V: Serialize, K: Serialize> Serialize for OrderedMap<V, K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OrderedMap<V>, D::Error> {
        struct Vis<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_strings_without_trailing_zeros() {
        let d = Dec(Decimal::from_str("0.00176000").unwrap());
        assert_eq!(serde_json::to_string(&d).unwrap(), r#""0.00176""#);
        assert_eq!(
            serde_json::to_string(&Dec(Decimal::ZERO)).unwrap(),
            r#""0""#
        );
        let back: Dec = serde_json::from_str(r#""0.00176""#).unwrap();
        assert_eq!(back.0, Decimal::from_str("0.00176").unwrap());
        let e = serde_json::from_str::<Dec>(r#""1e-3x""#).unwrap_err();
        assert!(e.to_string().contains("`1e-3x` is not a decimal"), "{e}");
        assert!(
            serde_json::from_str::<Dec>("0.1").is_err(),
            "a float is not money"
        );
    }

    #[test]
    fn rounding_is_half_to_even() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(Dec::rounded(d("0.00125"), 4).0, d("0.0012"));
        assert_eq!(Dec::rounded(d("0.00135"), 4).0, d("0.0014"));
    }

    #[test]
    fn ordered_maps_keep_key_order() {
        let m: OrderedMap<String> = serde_json::from_str(r#"{"model":"a","day":"b"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"model":"a","day":"b"}"#
        );
        assert_eq!(m.get("day").map(String::as_str), Some("b"));
    }
}
