//! Claude Code session transcripts (reference/log-formats.md §5), format `claude-code`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    let obj = match v.as_object() {
        Some(o) => o,
        None => return false,
    };
    let ty = obj.get("type").and_then(Value::as_str);
    (obj.contains_key("sessionId") && obj.contains_key("uuid") && obj.contains_key("parentUuid"))
        || (ty == Some("summary") && obj.contains_key("leafUuid"))
        || (ty == Some("assistant")
            && obj.contains_key("requestId")
            && v.pointer("/message/usage").is_some())
}

pub struct Parser {
    _opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { _opts: opts }
    }
}

impl FormatParser for Parser {
    fn push(&mut self, _value: Value, _source: Source, _out: &mut Out) -> Result<(), Skip> {
        Err(Skip::new(
            "format not read yet",
            format!(
                "{} lines are recognized but not read yet",
                Format::ClaudeCode
            ),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
