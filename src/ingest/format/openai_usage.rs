//! OpenAI organization usage/costs API pages (reference/log-formats.md §10), format `openai-usage`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    let is_bucket = |b: &Value| b.get("object").and_then(Value::as_str) == Some("bucket");
    match v.get("object").and_then(Value::as_str) {
        Some("page") => v
            .get("data")
            .and_then(Value::as_array)
            .is_some_and(|d| d.first().is_none_or(is_bucket)),
        Some("bucket") => v.get("results").is_some_and(Value::is_array),
        _ => false,
    }
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
                Format::OpenAiUsage
            ),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
