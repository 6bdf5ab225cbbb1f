//! Anthropic Admin API usage and cost reports (reference/log-formats.md §10), format `anthropic-usage`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    let result_ok = |r: &Value| {
        r.get("uncached_input_tokens").is_some()
            || (r.get("amount").is_some() && r.get("currency").is_some())
    };
    let bucket_ok = |b: &Value| {
        b.get("starting_at").is_some()
            && b.get("results")
                .and_then(Value::as_array)
                .is_some_and(|rs| rs.first().is_none_or(result_ok))
    };
    v.get("data")
        .and_then(Value::as_array)
        .is_some_and(|d| d.first().is_some_and(bucket_ok))
        || bucket_ok(v)
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
                Format::AnthropicUsage
            ),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
