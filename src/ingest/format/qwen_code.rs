//! Qwen Code chat recordings, format `qwen-code` (docs/formats.md,
//! qwen-code): `~/.qwen/projects/<project>/chats/<session>.jsonl`, one
//! `ChatRecord` per line, appended as the session goes.
//!
//! Values read: `uuid`, `sessionId`, `timestamp`, `type` (`user`,
//! `assistant`, `tool_result`, `system`), `cwd` (the project), and on
//! `assistant` records `model`, `message.parts[].text` (Gemini `Content`) and
//! `usageMetadata`, Gemini's usage names filled from whatever provider
//! served the call: `promptTokenCount`, `candidatesTokenCount`,
//! `cachedContentTokenCount`, `thoughtsTokenCount`. Qwen Code converts an
//! OpenAI-compatible usage (its usual providers) into these names, so the
//! prompt includes the cache and the candidates include the thoughts:
//! `input = prompt − cached`, `cache_read = cached`, `output = candidates`,
//! `reasoning = thoughts`. Where the numbers cannot be so (a cached count
//! larger than the prompt, thoughts larger than the candidates, both seen
//! in a peer's test data), the parts are read as separate and added.
//!
//! Only `assistant` records bill: `system` records (`ui_telemetry`) repeat
//! the same counts. A `/branch` copies a session's records, same `uuid`,
//! into a new file: the `uuid` identifies a call across files, so the copy
//! is billed once. The session is the task.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    numbers::count_field,
    task::task_from,
    text::{attach_text, content_text},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Record, Source, Text, Usage};

const EXPECTED: &str = "a Qwen Code chat record";
const DEDUP_REASON: &str = "same Qwen Code record";
const RECORD_TYPES: &[&str] = &["user", "assistant", "tool_result", "system"];

/// Detection signature (docs/formats.md, qwen-code): a chat record with
/// Gemini-shaped content or usage, which Claude Code's lines (also `uuid`,
/// `sessionId`, `type`) never have.
pub fn detect(v: &Value) -> bool {
    v.get("uuid").is_some_and(Value::is_string)
        && v.get("sessionId").is_some_and(Value::is_string)
        && v.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| RECORD_TYPES.contains(&t))
        && (v.get("usageMetadata").is_some_and(Value::is_object)
            || v.pointer("/message/parts").is_some_and(Value::is_array))
}

fn usage_of(u: &Value) -> Result<Usage, Skip> {
    let prompt = count_field(u, "promptTokenCount")?.unwrap_or(0);
    let candidates = count_field(u, "candidatesTokenCount")?.unwrap_or(0);
    let cached = count_field(u, "cachedContentTokenCount")?.unwrap_or(0);
    let thoughts = count_field(u, "thoughtsTokenCount")?.unwrap_or(0);
    let input = if cached <= prompt {
        prompt - cached
    } else {
        prompt
    };
    let output = if thoughts <= candidates {
        candidates
    } else {
        candidates.saturating_add(thoughts)
    };
    Ok(Usage {
        input,
        cache_read: cached,
        output,
        reasoning: thoughts,
        ..Usage::default()
    })
}

fn response_text(v: &Value) -> Text {
    let mut text = Text::default();
    content_text(
        v.pointer("/message/parts").unwrap_or(&Value::Null),
        &mut text.response,
    );
    text.has_response = !text.response.is_empty();
    text
}

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if !detect(&value) {
            return Err(unrecognized(&value, EXPECTED));
        }
        let Some(u) = value
            .get("usageMetadata")
            .filter(|_| value.get("type").and_then(Value::as_str) == Some("assistant"))
        else {
            out.drop_line(source, "context line");
            return Ok(());
        };
        let mut rec = Record::new(source, Format::QwenCode);
        rec.usage = Some(usage_of(u)?);
        rec.model = value
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string);
        rec.timestamp = value.get("timestamp").and_then(parse_timestamp);
        rec.session = value
            .get("sessionId")
            .and_then(Value::as_str)
            .map(str::to_string);
        rec.project = value.get("cwd").and_then(Value::as_str).map(str::to_string);
        rec.task = task_from(&self.opts, &[&value], &[], &[]);
        if let Some(id) = value.get("uuid").and_then(Value::as_str) {
            rec.call_id = Some(Box::new(CallId::key(format!("qwen:{id}"), DEDUP_REASON)));
        }
        attach_text(&mut rec, response_text(&value))?;
        out.push(rec);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Out) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inclusive_counts_and_the_shapes_that_cannot_be() {
        let u = usage_of(&json!({"promptTokenCount":12702,"candidatesTokenCount":215,"cachedContentTokenCount":12288,"thoughtsTokenCount":0}))
            .unwrap();
        assert_eq!(
            (u.input, u.cache_read, u.output, u.reasoning),
            (414, 12288, 215, 0)
        );
        // A cache larger than the prompt, thoughts larger than the output:
        // separate counts, added.
        let u = usage_of(&json!({"promptTokenCount":1508,"candidatesTokenCount":20,"cachedContentTokenCount":4864,"thoughtsTokenCount":30}))
            .unwrap();
        assert_eq!(
            (u.input, u.cache_read, u.output, u.reasoning),
            (1508, 4864, 50, 30)
        );
    }
}
