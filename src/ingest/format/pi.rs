//! Pi coding agent sessions, format `pi` (docs/formats.md, pi):
//! `~/.pi/agent/sessions/--<cwd>--/<time>_<uuid>.jsonl`, a `session`
//! header line and then one entry per line, as the session goes.
//!
//! Values read: the header's `id` (the session, and the task) and `cwd`
//! (the project); on `message` entries, `message.role`, and on assistant
//! messages `message.model`, `message.provider`, `message.responseId`,
//! `message.stopReason`, `message.content[].text` and `message.usage{input,
//! output, cacheRead, cacheWrite}`, plus the entry's `id` and `timestamp`.
//! Pi's provider layer normalises every provider to disjoint buckets (input
//! without the cache; reasoning inside output). Writes are billed as
//! 5-minute writes. Pi's `usage.cost` is its own estimate from its model
//! list and is not read.
//!
//! A session started from another (`parentSession` in the header) may copy
//! the parent's entries, same ids: a call is identified by the provider's
//! response id where it has one, else by the entry's id and time, so a copy
//! is billed once.

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

const EXPECTED: &str = "a Pi session entry (`type`, `id`, `parentId`, `timestamp`)";
const DEDUP_REASON: &str = "same Pi message (a copied session)";

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Detection signature (docs/formats.md, pi): the header, or an entry of
/// Pi's tree (`parentId`, which Claude Code spells `parentUuid`).
pub fn detect(v: &Value) -> bool {
    is_header(v)
        || (str_at(v, "type").is_some()
            && str_at(v, "id").is_some()
            && v.get("parentId")
                .is_some_and(|p| p.is_string() || p.is_null())
            && str_at(v, "timestamp").is_some()
            && v.get("uuid").is_none())
}

fn is_header(v: &Value) -> bool {
    str_at(v, "type") == Some("session")
        && str_at(v, "id").is_some()
        && v.get("version").is_some_and(Value::is_number)
        && str_at(v, "cwd").is_some()
}

fn usage_of(u: &Value) -> Result<Usage, Skip> {
    let usage = Usage {
        input: count_field(u, "input")?.unwrap_or(0),
        cache_read: count_field(u, "cacheRead")?.unwrap_or(0),
        output: count_field(u, "output")?.unwrap_or(0),
        ..Usage::default()
    };
    let writes = count_field(u, "cacheWrite")?.unwrap_or(0);
    Ok(usage.with_cache_writes(writes, None, None))
}

#[derive(Default)]
pub struct Parser {
    opts: ParseOptions,
    session: Option<String>,
    project: Option<String>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            ..Parser::default()
        }
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if is_header(&value) {
            self.session = str_at(&value, "id").map(str::to_string);
            self.project = str_at(&value, "cwd").map(str::to_string);
            out.drop_line(source, "session metadata");
            return Ok(());
        }
        if !detect(&value) {
            return Err(unrecognized(&value, EXPECTED));
        }
        let message = value.get("message").unwrap_or(&Value::Null);
        let Some(u) = message
            .get("usage")
            .filter(|_| str_at(&value, "type") == Some("message"))
            .filter(|_| str_at(message, "role") == Some("assistant"))
        else {
            out.drop_line(source, "context line");
            return Ok(());
        };
        let usage = usage_of(u)?;
        if usage.total() == 0 {
            // An aborted or failed request: Pi records it with zero usage.
            out.drop_line(source, "request failed");
            return Ok(());
        }
        let mut rec = Record::new(source, Format::Pi);
        rec.usage = Some(usage);
        rec.model = str_at(message, "model").map(str::to_string);
        rec.provider = str_at(message, "provider").map(str::to_string);
        rec.timestamp = value
            .get("timestamp")
            .and_then(parse_timestamp)
            .or_else(|| message.get("timestamp").and_then(parse_timestamp));
        rec.session = self.session.clone();
        rec.project = self.project.clone();
        rec.task = task_from(&self.opts, &[&value], &[], &[]);
        let key = match str_at(message, "responseId") {
            Some(id) => format!("pi:{id}"),
            None => format!(
                "pi:{}@{}",
                str_at(&value, "id").unwrap_or_default(),
                str_at(&value, "timestamp").unwrap_or_default()
            ),
        };
        rec.call_id = Some(Box::new(CallId::key(key, DEDUP_REASON)));
        let mut text = Text::default();
        content_text(
            message.get("content").unwrap_or(&Value::Null),
            &mut text.response,
        );
        text.has_response = !text.response.is_empty();
        attach_text(&mut rec, text)?;
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

    #[test]
    fn header_entries_and_an_aborted_call() {
        let lines = [
            json!({"type":"session","version":3,"id":"s-1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/p"}),
            json!({"type":"model_change","id":"1a","parentId":null,"timestamp":"2026-01-05T10:00:00.010Z","provider":"anthropic","modelId":"m"}),
            json!({"type":"message","id":"4d","parentId":"1a","timestamp":"2026-01-05T10:00:04.500Z","message":{"role":"assistant","content":[{"type":"text","text":"ok"}],"provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input":3,"output":250,"cacheRead":0,"cacheWrite":9500,"totalTokens":9753},"responseId":"msg_01"}}),
            json!({"type":"message","id":"81","parentId":"4d","timestamp":"2026-01-05T10:00:21.000Z","message":{"role":"assistant","content":[],"model":"claude-sonnet-4-5","usage":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0},"stopReason":"aborted"}}),
        ];
        assert!(lines.iter().all(detect));
        let (out, skips) = run_parser_out(&mut Parser::new(ParseOptions::default()), &lines);
        assert!(skips.is_empty(), "{skips:?}");
        let r = &out.records[0];
        let u = r.usage.unwrap();
        assert_eq!((u.input, u.cache_write_5m, u.output), (3, 9500, 250));
        assert_eq!(r.session.as_deref(), Some("s-1"));
        assert_eq!(r.project.as_deref(), Some("/p"));
        let reasons: Vec<_> = out.dropped.iter().map(|d| d.1).collect();
        assert_eq!(
            reasons,
            ["session metadata", "context line", "request failed"]
        );
    }
}
