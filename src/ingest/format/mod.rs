//! One file per input format. Each format turns JSON values (one JSONL line,
//! one array element, or a whole document) into normalized [`Record`]s.
//!
//! A parser is stateful per file because some formats spread one API call over
//! several lines (stream chunks whose last chunk carries usage; a request line
//! followed by its response line).

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use crate::record::{Format, Record, Source};

pub mod anthropic;
pub mod gemini;
pub mod generic;
pub mod openai_chat;
pub mod openai_responses;

/// Why an input value produced no record. `reason` is a short stable key
/// (it is a key of `skipped.by_reason` in the JSON report); `detail` is the
/// human sentence printed after `path:line:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub reason: &'static str,
    pub detail: String,
}

impl Skip {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Skip {
        Skip {
            reason,
            detail: detail.into(),
        }
    }
}

/// Options that change how records are read, shared by all formats.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// `--task-key`: a JSON pointer (`/metadata/ticket`) or a field name
    /// (`ticket` or dotted `metadata.ticket`) evaluated on the raw line.
    pub task_key: Option<String>,
}

/// A stateful reader of one format over one file.
pub trait FormatParser: Send {
    /// Consume one JSON value; append zero or more records to `out`.
    /// Lines that belong to the format but bill nothing (a stream chunk
    /// without usage, a `ping` event) return `Ok(())` without records.
    fn push(&mut self, value: Value, source: Source, out: &mut Vec<Record>) -> Result<(), Skip>;

    /// End of input: flush anything held back (a request whose response
    /// never came, a stream that never sent its final chunk).
    fn finish(&mut self, out: &mut Vec<Record>);
}

/// Classify one value. Returns `None` when no format recognizes it.
/// The order follows reference/log-formats.md §0.1 (first match wins).
pub fn detect(v: &Value) -> Option<Format> {
    let obj = v.as_object()?;
    // Wrappers `{request, response}` / `{input, output}`: decide on a side.
    if let Some(resp) = obj.get("response").filter(|r| r.is_object())
        && let Some(f) = detect_unwrapped(resp)
    {
        return Some(f);
    }
    if let Some(req) = obj.get("request").filter(|r| r.is_object())
        && let Some(f) = detect_unwrapped(req)
    {
        return Some(f);
    }
    detect_unwrapped(v)
}

fn detect_unwrapped(v: &Value) -> Option<Format> {
    if openai_chat::detect(v) {
        Some(Format::OpenAiChat)
    } else if openai_responses::detect(v) {
        Some(Format::OpenAiResponses)
    } else if anthropic::detect(v) {
        Some(Format::AnthropicMessages)
    } else if gemini::detect(v) {
        Some(Format::Gemini)
    } else if generic::detect(v) {
        Some(Format::Generic)
    } else {
        None
    }
}

pub fn parser_for(format: Format, opts: &ParseOptions) -> Box<dyn FormatParser> {
    match format {
        Format::OpenAiChat => Box::new(openai_chat::Parser::new(opts.clone())),
        Format::OpenAiResponses => Box::new(openai_responses::Parser::new(opts.clone())),
        Format::AnthropicMessages => Box::new(anthropic::Parser::new(opts.clone())),
        Format::Gemini => Box::new(gemini::Parser::new(opts.clone())),
        Format::Generic => Box::new(generic::Parser::new(opts.clone())),
    }
}

// ---- helpers shared by the formats -------------------------------------

/// Largest token count we believe. Above this a log is broken (or hostile),
/// and summing such values would overflow totals.
pub const MAX_TOKENS: u64 = 1_000_000_000_000;

/// Read a token count that may be a number or a numeric string.
/// Missing or null → `Ok(None)`; negative, fractional, absurd or
/// non-numeric → `Err` with a sentence naming the field.
pub fn count_field(v: &Value, field: &str) -> Result<Option<u64>, Skip> {
    let Some(x) = v.get(field) else {
        return Ok(None);
    };
    count_value(x, field)
}

/// Like [`count_field`] for a value already looked up.
pub fn count_value(x: &Value, field: &str) -> Result<Option<u64>, Skip> {
    let n = match x {
        Value::Null => return Ok(None),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u
            } else if n.as_i64().is_some_and(|i| i < 0) || n.as_f64().is_some_and(|f| f < 0.0) {
                return Err(Skip::new("invalid usage", format!("negative token count in `{field}`")));
            } else {
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f <= MAX_TOKENS as f64 => f as u64,
                    _ => {
                        return Err(Skip::new(
                            "invalid usage",
                            format!("token count in `{field}` is not a whole number: {n}"),
                        ));
                    }
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if t.starts_with('-') {
                return Err(Skip::new("invalid usage", format!("negative token count in `{field}`")));
            }
            t.parse::<u64>().map_err(|_| {
                Skip::new("invalid usage", format!("token count in `{field}` is not a number: {s:?}"))
            })?
        }
        other => {
            return Err(Skip::new(
                "invalid usage",
                format!("token count in `{field}` has the wrong type: {}", type_name(other)),
            ));
        }
    };
    if n > MAX_TOKENS {
        return Err(Skip::new("invalid usage", format!("absurd token count in `{field}`: {n}")));
    }
    Ok(Some(n))
}

/// [`count_field`] with missing treated as 0.
pub fn count0(v: &Value, field: &str) -> Result<u64, Skip> {
    Ok(count_field(v, field)?.unwrap_or(0))
}

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

/// Parse a timestamp as logs write it: RFC 3339 / ISO 8601 strings (with or
/// without offset; no offset means UTC), or unix time in seconds,
/// milliseconds or nanoseconds (numbers or numeric strings).
pub fn parse_timestamp(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Number(n) => unix_to_ts(n.as_f64()?),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            if let Ok(ts) = s.parse::<Timestamp>() {
                return Some(ts);
            }
            if let Ok(f) = s.parse::<f64>() {
                return unix_to_ts(f);
            }
            // "2025-01-01T10:00:00" or "2025-01-01 10:00:00" without offset: UTC.
            if let Ok(dt) = s.replace(' ', "T").parse::<jiff::civil::DateTime>() {
                return dt.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
            }
            if let Ok(d) = s.parse::<jiff::civil::Date>() {
                return d.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
            }
            None
        }
        _ => None,
    }
}

fn unix_to_ts(f: f64) -> Option<Timestamp> {
    if !f.is_finite() || f <= 0.0 {
        return None;
    }
    // Magnitude tells the unit: seconds until year 5138, then ms, then ns.
    let secs = if f < 1e11 {
        f
    } else if f < 1e14 {
        f / 1e3
    } else if f < 1e17 {
        f / 1e6
    } else {
        f / 1e9
    };
    let whole = secs.trunc() as i64;
    let nanos = ((secs - secs.trunc()) * 1e9).round() as i32;
    Timestamp::new(whole, nanos.clamp(0, 999_999_999)).ok()
}

/// First string value among candidate paths (dotted, e.g. `metadata.task_id`).
pub fn first_str(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let x = lookup(v, p)?;
        match x {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

/// Resolve a JSON pointer (`/a/b`) or a dotted path (`a.b`) or a plain key.
pub fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    if path.starts_with('/') {
        return v.pointer(path);
    }
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The task id of a raw line: `--task-key` if given, else the explicit
/// fields formats use for it.
pub fn task_of(line: &Value, opts: &ParseOptions, defaults: &[&str]) -> Option<String> {
    match &opts.task_key {
        Some(key) => lookup(line, key).and_then(|x| match x {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }),
        None => first_str(line, defaults),
    }
}

/// Concatenate text found in message content shapes used by OpenAI,
/// Anthropic and others: a string, or an array of parts/blocks with `text`,
/// `thinking`, `content`, tool `input`/`arguments`. Images and audio carry
/// no countable text and are ignored.
pub fn content_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => push_text(out, s),
        Value::Array(parts) => {
            for p in parts {
                content_text(p, out);
            }
        }
        Value::Object(m) => {
            for key in ["text", "thinking", "refusal"] {
                if let Some(Value::String(s)) = m.get(key) {
                    push_text(out, s);
                }
            }
            if let Some(name) = m.get("name").and_then(Value::as_str)
                && (m.contains_key("input") || m.contains_key("arguments"))
            {
                push_text(out, name);
            }
            if let Some(inp) = m.get("input").filter(|x| !x.is_null()) {
                match inp {
                    Value::String(s) => push_text(out, s),
                    other => push_text(out, &other.to_string()),
                }
            }
            if let Some(Value::String(args)) = m.get("arguments") {
                push_text(out, args);
            }
            if let Some(c) = m.get("content") {
                content_text(c, out);
            }
            if let Some(Value::String(o)) = m.get("output") {
                push_text(out, o);
            }
        }
        _ => {}
    }
}

fn push_text(out: &mut String, s: &str) {
    if s.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(s);
}

/// Shared constructor for a record's source.
pub fn source(path: &Arc<str>, line: u64) -> Source {
    Source {
        path: path.clone(),
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_accept_numbers_and_strings() {
        let v = json!({"a": 5, "b": "7", "c": null, "d": -1, "e": "x", "f": 1.5, "g": 3.0});
        assert_eq!(count_field(&v, "a"), Ok(Some(5)));
        assert_eq!(count_field(&v, "b"), Ok(Some(7)));
        assert_eq!(count_field(&v, "c"), Ok(None));
        assert_eq!(count_field(&v, "missing"), Ok(None));
        assert!(count_field(&v, "d").is_err());
        assert!(count_field(&v, "e").is_err());
        assert!(count_field(&v, "f").is_err());
        assert_eq!(count_field(&v, "g"), Ok(Some(3)));
        assert!(count_value(&json!(1e15), "x").is_err());
    }

    #[test]
    fn timestamps_in_every_shape() {
        let want: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(parse_timestamp(&json!(1735689600)), Some(want));
        assert_eq!(parse_timestamp(&json!(1735689600000u64)), Some(want));
        assert_eq!(parse_timestamp(&json!("1735689600000000000")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01T00:00:00Z")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01T01:00:00+01:00")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01 00:00:00")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01")), Some(want));
        assert_eq!(parse_timestamp(&json!("yesterday")), None);
        assert_eq!(parse_timestamp(&json!(-5)), None);
    }

    #[test]
    fn lookup_pointer_dotted_and_plain() {
        let v = json!({"metadata": {"task_id": "t1"}, "a.b": 1, "arr": [{"x": 2}]});
        assert_eq!(lookup(&v, "/metadata/task_id"), Some(&json!("t1")));
        assert_eq!(lookup(&v, "metadata.task_id"), Some(&json!("t1")));
        assert_eq!(lookup(&v, "a.b"), Some(&json!(1)));
        assert_eq!(lookup(&v, "arr.0.x"), Some(&json!(2)));
    }

    #[test]
    fn content_text_collects_parts() {
        let mut s = String::new();
        content_text(
            &json!([{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"x"}},
                    {"type":"tool_use","name":"read","input":{"path":"a"}}]),
            &mut s,
        );
        assert_eq!(s, "hi\nread\n{\"path\":\"a\"}");
    }
}
