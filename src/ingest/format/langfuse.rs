//! Langfuse observations (reference/log-formats.md §9), format `langfuse`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    const TYPES: &[&str] = &[
        "GENERATION",
        "SPAN",
        "EVENT",
        "AGENT",
        "TOOL",
        "CHAIN",
        "RETRIEVER",
        "EVALUATOR",
        "EMBEDDING",
        "GUARDRAIL",
    ];
    v.get("traceId").is_some()
        && v.get("startTime").is_some()
        && v.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| TYPES.contains(&t))
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
            format!("{} lines are recognized but not read yet", Format::Langfuse),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
