//! Anthropic Message Batches requests and results (reference/log-formats.md §4), format `anthropic-batch`.
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
    const RESULTS: &[&str] = &["succeeded", "errored", "canceled", "expired"];
    v.pointer("/result/type")
        .and_then(Value::as_str)
        .is_some_and(|t| RESULTS.contains(&t))
        || v.pointer("/params/messages").is_some_and(Value::is_array)
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
                Format::AnthropicBatch
            ),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
