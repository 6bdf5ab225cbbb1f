//! OpenAI Batch API input and output lines (reference/log-formats.md §3), format `openai-batch`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    if v.get("custom_id").is_none() {
        return false;
    }
    let input = ["method", "url", "body"]
        .iter()
        .all(|k| v.get(*k).is_some());
    let output = v.pointer("/response/status_code").is_some()
        || (v.get("response").is_some_and(Value::is_null) && v.get("error").is_some());
    input || output
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
                Format::OpenAiBatch
            ),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
