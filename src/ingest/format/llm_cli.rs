//! `llm logs --json` from Simon Willison's llm (reference/log-formats.md §9), format `llm-cli`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    v.get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id.len() == 26)
        && ["prompt", "response", "conversation_id", "datetime_utc"]
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
            format!("{} lines are recognized but not read yet", Format::LlmCli),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
