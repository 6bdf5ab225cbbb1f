//! OTLP attribute values decoded to plain JSON, and attribute lookup by
//! the first of several names.

use serde_json::{Map, Value};

use crate::ingest::Skip;
use crate::ingest::fields::{lookup::lookup, numbers::count_value};

/// An OTLP `AnyValue` as plain JSON (`{"intValue":"5"}` → `"5"`, lists and
/// kvlists → arrays and objects). A value that is not an `AnyValue` (flat
/// attributes) is returned as is.
pub(super) fn any_value(v: &Value) -> Value {
    let Some(o) = v.as_object() else {
        return v.clone();
    };
    for (k, x) in o {
        match k.as_str() {
            "stringValue" | "string_value" | "intValue" | "int_value" | "doubleValue"
            | "double_value" | "boolValue" | "bool_value" | "bytesValue" | "bytes_value" => {
                return x.clone();
            }
            "arrayValue" | "array_value" => {
                let values = x.get("values").and_then(Value::as_array);
                return Value::Array(values.into_iter().flatten().map(any_value).collect());
            }
            "kvlistValue" | "kvlist_value" => return Value::Object(kv_list(x.get("values"))),
            _ => {}
        }
    }
    if o.is_empty() { Value::Null } else { v.clone() }
}

pub(super) fn kv_list(values: Option<&Value>) -> Map<String, Value> {
    let mut m = Map::new();
    for kv in values.and_then(Value::as_array).into_iter().flatten() {
        if let Some(k) = kv.get("key").and_then(Value::as_str) {
            m.insert(
                k.to_string(),
                kv.get("value").map_or(Value::Null, any_value),
            );
        }
    }
    m
}

/// Attributes as a JSON object, whether logged as a key/value list or flat.
pub(super) fn attributes(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Array(_)) => kv_list(v),
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// An attribute by its (flat, dotted) name, or by path in nested attributes.
pub(super) fn attr<'a>(attrs: &'a Value, key: &str) -> Option<&'a Value> {
    lookup(attrs, key).filter(|v| !v.is_null())
}

/// A structured attribute logged as a JSON string is decoded; a plain
/// string stays a string.
pub(super) fn json_attr(v: &Value) -> Value {
    if let Value::String(s) = v {
        let t = s.trim_start();
        if (t.starts_with('[') || t.starts_with('{'))
            && let Ok(parsed) = serde_json::from_str::<Value>(s)
        {
            return parsed;
        }
    }
    v.clone()
}

pub(super) fn first_count(attrs: &Value, keys: &[&str]) -> Result<Option<u64>, Skip> {
    for k in keys {
        if let Some(v) = attr(attrs, k)
            && let Some(n) = count_value(v, k)?
        {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::*;
    use super::*;

    #[test]
    fn int_values_as_strings_and_numbers() {
        let d = doc(vec![chat("t", "a", "", 120, 7)]);
        let (out, skips) = run(&[d]);
        assert!(skips.is_empty());
        let u = out.records[0].usage.unwrap();
        assert_eq!((u.input, u.output), (120, 7));
        assert_eq!(out.records[0].project.as_deref(), Some("svc"));
        assert!(out.records[0].timestamp.is_some());
    }

    #[test]
    fn any_values_decode() {
        let v = json!({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": 3}]}});
        assert_eq!(any_value(&v), json!(["a", 3]));
        let v = json!({"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": true}}]}});
        assert_eq!(any_value(&v), json!({"k": true}));
        assert_eq!(any_value(&json!({})), Value::Null);
        assert_eq!(any_value(&json!({"doubleValue": 1.5})), json!(1.5));
    }
}
