//! OpenCode messages, format `opencode` (docs/formats.md, opencode): the
//! rows of the `message` table of `~/.local/share/opencode/opencode.db`
//! (OpenCode 1.2 and later; `session_message` in OpenCode 2's
//! `opencode-next.db`), read by src/ingest/database.rs, and the older
//! one-file-per-message store `storage/message/<session>/<message>.json`.
//! A database row is the same JSON document as a file, with its `id` and
//! `sessionID` (and in OpenCode 2 its `role`) taken from the row's columns.
//!
//! Values read: `id`, `sessionID`, `role`, `time.created` (epoch ms),
//! `modelID` and `providerID` (OpenCode 2: `model.id`, `model.providerID`),
//! `path.cwd` (the project) and `tokens{input, output, reasoning,
//! cache{read, write}}`. OpenCode's own accounting (`getUsage`) makes these
//! disjoint: input excludes cache reads and writes, and output excludes
//! reasoning, so output here is `output + reasoning`. Writes are billed as
//! 5-minute writes. OpenCode's `cost` is its own estimate from a price list
//! (0 for many providers) and is not read.
//!
//! A `/fork` copies every message of a session into a new one, with new
//! ids and the same times and tokens, and the legacy files are a frozen
//! copy of what the database holds after OpenCode migrated them: a call is
//! therefore identified by its times, model and tokens, not by its id, so
//! that each copy is billed once.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized, numbers::count_field, task::task_from, time::parse_timestamp,
};
use crate::record::{CallId, Format, Record, Source, Usage};

const EXPECTED: &str = "an OpenCode message (`id`, `sessionID`, `role`, `time`)";
const DEDUP_REASON: &str = "same OpenCode message (a fork or a migrated copy)";

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Detection signature (docs/formats.md, opencode): a message, or the
/// session and part files that sit beside messages in the legacy store.
pub fn detect(v: &Value) -> bool {
    is_message(v) || is_companion(v)
}

fn is_message(v: &Value) -> bool {
    str_at(v, "id").is_some_and(|id| id.starts_with("msg_"))
        && str_at(v, "sessionID").is_some()
        && matches!(str_at(v, "role"), Some("assistant" | "user"))
        && v.get("time").is_some_and(Value::is_object)
}

/// A session's metadata (`ses_…` with `projectID`) or a message part
/// (`prt_…` with `messageID`): their usage, if any, is the message's.
fn is_companion(v: &Value) -> bool {
    let id = str_at(v, "id").unwrap_or_default();
    (id.starts_with("ses_") && str_at(v, "projectID").is_some())
        || (id.starts_with("prt_") && str_at(v, "messageID").is_some())
}

fn usage_of(t: &Value) -> Result<Usage, Skip> {
    let reasoning = count_field(t, "reasoning")?.unwrap_or(0);
    let cache = t.get("cache").unwrap_or(&Value::Null);
    let usage = Usage {
        input: count_field(t, "input")?.unwrap_or(0),
        cache_read: count_field(cache, "read")?.unwrap_or(0),
        output: count_field(t, "output")?
            .unwrap_or(0)
            .saturating_add(reasoning),
        reasoning,
        ..Usage::default()
    };
    let writes = count_field(cache, "write")?.unwrap_or(0);
    Ok(usage.with_cache_writes(writes, None, None))
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
        if is_companion(&value) {
            out.drop_line(source, "session metadata");
            return Ok(());
        }
        if !is_message(&value) {
            return Err(unrecognized(&value, EXPECTED));
        }
        let Some(tokens) = value
            .get("tokens")
            .filter(|_| str_at(&value, "role") == Some("assistant"))
        else {
            out.drop_line(source, "context line");
            return Ok(());
        };
        let usage = usage_of(tokens)?;
        if usage.total() == 0 {
            // A message still streaming, or one that failed before the
            // provider answered: OpenCode writes its tokens when it ends.
            out.drop_line(source, "no usage yet");
            return Ok(());
        }
        let model = value.get("model").unwrap_or(&Value::Null);
        let mut rec = Record::new(source, Format::OpenCode);
        rec.usage = Some(usage);
        rec.model = str_at(&value, "modelID")
            .or_else(|| str_at(model, "id"))
            .or_else(|| str_at(model, "modelID"))
            .map(str::to_string);
        rec.provider = str_at(&value, "providerID")
            .or_else(|| str_at(model, "providerID"))
            .map(str::to_string);
        let time = &value["time"];
        rec.timestamp = time.get("created").and_then(parse_timestamp);
        rec.session = str_at(&value, "sessionID").map(str::to_string);
        rec.project = value
            .pointer("/path/cwd")
            .and_then(Value::as_str)
            .map(str::to_string);
        rec.task = task_from(&self.opts, &[&value], &[], &[]);
        let b = usage.buckets();
        let key = format!(
            "opencode:{}:{}:{}/{}:{}:{}:{}:{}:{}",
            time.get("created").unwrap_or(&Value::Null),
            time.get("completed").unwrap_or(&Value::Null),
            rec.provider.as_deref().unwrap_or_default(),
            rec.model.as_deref().unwrap_or_default(),
            b[0],
            b[1],
            b[2],
            b[4],
            b[5],
        );
        rec.call_id = Some(Box::new(CallId::key(key, DEDUP_REASON)));
        out.push(rec);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Out) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    /// Buckets of OpenCode's own test data (tokscale's `V2_ASSISTANT_DATA`:
    /// input 5519, output 20, reasoning 23, cache 100/50), in OpenCode 2's
    /// nested model shape.
    #[test]
    fn disjoint_buckets_and_the_nested_model() {
        let v = json!({"id":"msg_1","sessionID":"ses_1","role":"assistant",
            "time":{"created":1783882279705i64,"completed":1783882279943i64},
            "model":{"id":"claude-sonnet-4-5","providerID":"anthropic"},
            "tokens":{"input":5519,"output":20,"reasoning":23,"cache":{"read":100,"write":50}}});
        let (out, skips) = run_parser_out(&mut Parser::new(ParseOptions::default()), &[v]);
        assert!(skips.is_empty());
        let r = &out.records[0];
        let u = r.usage.unwrap();
        assert_eq!(
            (
                u.input,
                u.cache_read,
                u.cache_write_5m,
                u.output,
                u.reasoning
            ),
            (5519, 100, 50, 43, 23)
        );
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(r.provider.as_deref(), Some("anthropic"));
    }

    #[test]
    fn user_messages_sessions_and_parts_bill_nothing() {
        let lines = [
            json!({"id":"msg_0","sessionID":"ses_1","role":"user","time":{"created":1}}),
            json!({"id":"ses_1","projectID":"global","directory":"/p","title":"t","time":{}}),
            json!({"id":"prt_1","messageID":"msg_0","sessionID":"ses_1","type":"step-finish","tokens":{"input":5}}),
            json!({"id":"msg_2","sessionID":"ses_1","role":"assistant","time":{"created":2},"tokens":{"input":0,"output":0,"reasoning":0,"cache":{"read":0,"write":0}}}),
        ];
        let (out, skips) = run_parser_out(&mut Parser::new(ParseOptions::default()), &lines);
        assert!(out.records.is_empty() && skips.is_empty());
        let reasons: Vec<_> = out.dropped.iter().map(|d| d.1).collect();
        assert_eq!(
            reasons,
            [
                "context line",
                "session metadata",
                "session metadata",
                "no usage yet"
            ]
        );
    }
}
