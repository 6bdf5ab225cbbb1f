//! Why a line is refused: an API error the log recorded, or a shape the
//! format does not know (described so the warning says what was found).

use serde_json::Value;

use super::lookup::first_str;
use crate::ingest::Skip;

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Short description of a value for "unrecognized record" messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "an empty object".to_string(),
        Value::Object(m) => {
            let mut keys: Vec<&str> = m.keys().map(String::as_str).take(6).collect();
            if m.len() > 6 {
                keys.push("…");
            }
            match m.get("type").and_then(Value::as_str) {
                Some(t) => format!("an object of type `{t}` (keys: {})", keys.join(", ")),
                None => format!("an object with keys: {}", keys.join(", ")),
            }
        }
        other => format!("a JSON {}", type_name(other)),
    }
}

/// `Skip("unrecognized record")` naming what the format expected.
pub fn unrecognized(v: &Value, expected: &str) -> Skip {
    Skip::new(
        "unrecognized record",
        format!("expected {expected}; got {}", describe(v)),
    )
}

/// `Skip("api error")` when `v` is an error event or an error body (an
/// `error` with no usage or output beside it).
pub fn api_error(v: &Value) -> Option<Skip> {
    let err = v.get("error").filter(|e| !e.is_null() && **e != false)?;
    let typed_error = v.get("type").and_then(Value::as_str) == Some("error");
    let has_output = [
        "usage",
        "usageMetadata",
        "usage_metadata",
        "choices",
        "candidates",
        "content",
        "output",
    ]
    .iter()
    .any(|k| v.get(*k).is_some_and(|x| !x.is_null()));
    if has_output && !typed_error {
        return None;
    }
    let inner = err.get("error").filter(|e| e.is_object()).unwrap_or(err);
    let kind = first_str(inner, &["type", "code", "status"]);
    let msg = match inner {
        Value::String(s) => Some(s.clone()),
        _ => first_str(inner, &["message"]),
    };
    let detail = match (kind, msg) {
        (Some(k), Some(m)) => format!("the log records an API error ({k}): {m}"),
        (Some(k), None) => format!("the log records an API error ({k})"),
        (None, Some(m)) => format!("the log records an API error: {m}"),
        (None, None) => "the log records an API error".to_string(),
    };
    Some(Skip::new("api error", detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_errors() {
        let e = api_error(
            &json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
        )
        .unwrap();
        assert_eq!(e.reason, "api error");
        assert!(api_error(&json!({"error":null,"usage":{}})).is_none());
        assert!(api_error(&json!({"error":{"code":"x"},"output":[],"usage":{}})).is_none());
    }
}
