//! Codex CLI rollouts and `codex exec --json` streams (reference/log-formats.md §6), format `codex`.
//!
//! Not read yet: lines of this format are recognized and reported, so that
//! they are not mistaken for another format.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::record::{Format, Source};

/// Detection signature (reference/log-formats.md §0.1).
pub fn detect(v: &Value) -> bool {
    const ROLLOUT: &[&str] = &[
        "session_meta",
        "turn_context",
        "response_item",
        "event_msg",
        "compacted",
    ];
    const EXEC: &[&str] = &[
        "thread.started",
        "turn.started",
        "turn.completed",
        "turn.failed",
    ];
    let Some(t) = v.get("type").and_then(Value::as_str) else {
        return false;
    };
    (ROLLOUT.contains(&t) && v.get("payload").is_some() && v.get("timestamp").is_some())
        || EXEC.contains(&t)
        || (t.starts_with("item.") && v.get("item").is_some_and(Value::is_object))
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
            format!("{} lines are recognized but not read yet", Format::Codex),
        ))
    }

    fn finish(&mut self, _out: &mut Out) {}
}
