//! Prompt and response text gathered from message content, and the rule
//! that decides whether a line with no usage still makes a record.

use serde_json::Value;

use crate::ingest::Skip;
use crate::record::{Record, Text};

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

/// Append `s` to `out`, newline-separated (empty strings are dropped).
pub fn append_text(out: &mut String, s: &str) {
    push_text(out, s);
}

/// Append a value that is text when it is a string (tool arguments as a
/// JSON string) and compact JSON otherwise (arguments as an object).
pub fn append_json_text(out: &mut String, v: &Value) {
    match v {
        Value::Null => {}
        Value::String(s) => push_text(out, s),
        other => push_text(out, &other.to_string()),
    }
}

/// True when a record carries any text worth keeping.
pub fn text_is_empty(t: &Text) -> bool {
    t.messages.iter().all(|m| m.content.is_empty()) && t.tools.is_empty() && t.response.is_empty()
}

/// Put `text` on the record (when either side was logged), or refuse the
/// line when it has neither usage nor text.
pub fn attach_text(rec: &mut Record, text: Text) -> Result<(), Skip> {
    let empty = text_is_empty(&text);
    if rec.usage.is_none() && empty {
        return Err(Skip::new(
            "no usage",
            "record has neither token usage nor any prompt or response text",
        ));
    }
    if text.has_prompt || text.has_response || !empty {
        rec.text = Some(text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
