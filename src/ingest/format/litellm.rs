//! LiteLLM proxy SpendLogs (reference/log-formats.md §9), format `litellm`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    ["request_id", "call_type", "spend", "startTime"]
        .iter()
        .all(|k| v.get(*k).is_some())
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
            format!("{} lines are recognized but not read yet", Format::LiteLlm),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
