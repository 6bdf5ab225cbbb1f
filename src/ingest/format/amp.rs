//! Amp threads, format `amp` (docs/formats.md, amp): one JSON document per
//! thread, `~/.local/share/amp/threads/T-<uuid>.json`.
//!
//! Values read: the thread `id` (the session, and the task) and `created`
//! (epoch ms); `messages[]` whose `role` is `assistant` with
//! `usage{model, inputTokens, outputTokens, cacheCreationInputTokens,
//! cacheReadInputTokens, timestamp}` and `messageId`; and the older
//! `usageLedger.events[]{timestamp, model, tokens{input, output},
//! toMessageId}`. Counts are Anthropic's: `inputTokens` excludes the cache
//! (`totalInputTokens` = input + cache writes + cache reads), writes are
//! 5-minute writes, there is no reasoning count.
//!
//! A ledger can be partial, and a message can lack usage: each assistant
//! message with usage is a call, and each ledger event whose `toMessageId`
//! names no such message is a call of its own (peers differ here: ccusage
//! reads the ledger alone when there is one and misses what it left out).
//! Amp's `credits` are its own charge, not dollars, and are not read.

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

const EXPECTED: &str = "an Amp thread (`id` `T-…` with `messages`)";
const DEDUP_REASON: &str = "same Amp message";

/// Detection signature (docs/formats.md, amp).
pub fn detect(v: &Value) -> bool {
    v.get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id.starts_with("T-"))
        && v.get("messages").is_some_and(Value::is_array)
        && (v
            .pointer("/usageLedger/events")
            .is_some_and(Value::is_array)
            || v["messages"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m.pointer("/usage/inputTokens").is_some())))
}

fn message_usage(u: &Value) -> Result<Usage, Skip> {
    let usage = Usage {
        input: count_field(u, "inputTokens")?.unwrap_or(0),
        cache_read: count_field(u, "cacheReadInputTokens")?.unwrap_or(0),
        output: count_field(u, "outputTokens")?.unwrap_or(0),
        ..Usage::default()
    };
    let writes = count_field(u, "cacheCreationInputTokens")?.unwrap_or(0);
    Ok(usage.with_cache_writes(writes, None, None))
}

fn text_of(m: &Value) -> Text {
    let mut text = Text::default();
    content_text(m.get("content").unwrap_or(&Value::Null), &mut text.response);
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

    fn record(&self, thread: &Value, key: String, source: Source) -> Record {
        let mut rec = Record::new(source, Format::Amp);
        rec.session = thread.get("id").and_then(Value::as_str).map(str::to_string);
        rec.task = task_from(&self.opts, &[thread], &[], &[]);
        rec.call_id = Some(Box::new(CallId::key(key, DEDUP_REASON)));
        rec
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if !detect(&value) {
            return Err(unrecognized(&value, EXPECTED));
        }
        let thread_id = value["id"].as_str().unwrap_or_default().to_string();
        let created = value.get("created").and_then(parse_timestamp);
        let messages = value["messages"].as_array().map_or(&[][..], Vec::as_slice);
        let events = value
            .pointer("/usageLedger/events")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let mut billed_ids = Vec::new();
        let mut entries = 0u64;
        for m in messages {
            entries += 1;
            let Some(u) = m
                .get("usage")
                .filter(|_| m.get("role").and_then(Value::as_str) == Some("assistant"))
                .filter(|u| u.get("inputTokens").is_some() || u.get("outputTokens").is_some())
            else {
                out.drop_line(source.clone(), "context line");
                continue;
            };
            let id = m.get("messageId").cloned().unwrap_or(Value::Null);
            billed_ids.push(id.clone());
            let mut rec = self.record(&value, format!("amp:{thread_id}:m{id}"), source.clone());
            rec.usage = Some(message_usage(u)?);
            rec.model = u.get("model").and_then(Value::as_str).map(str::to_string);
            let event_time = events
                .iter()
                .find(|e| e.get("toMessageId") == Some(&id))
                .and_then(|e| e.get("timestamp"))
                .and_then(parse_timestamp);
            rec.timestamp = u
                .get("timestamp")
                .and_then(parse_timestamp)
                .or(event_time)
                .or(created);
            attach_text(&mut rec, text_of(m))?;
            out.push(rec);
        }
        for (i, e) in events.iter().enumerate() {
            let to = e.get("toMessageId").cloned().unwrap_or(Value::Null);
            if !to.is_null() && billed_ids.contains(&to) {
                continue;
            }
            // A call the ledger has and the messages do not.
            entries += 1;
            let key = match e.get("id").and_then(Value::as_str) {
                Some(id) => format!("amp:{thread_id}:e{id}"),
                None => format!("amp:{thread_id}:e#{i}"),
            };
            let mut rec = self.record(&value, key, source.clone());
            let t = e.get("tokens").unwrap_or(&Value::Null);
            rec.usage = Some(Usage {
                input: count_field(t, "input")?.unwrap_or(0),
                output: count_field(t, "output")?.unwrap_or(0),
                ..Usage::default()
            });
            rec.model = e.get("model").and_then(Value::as_str).map(str::to_string);
            rec.timestamp = e.get("timestamp").and_then(parse_timestamp).or(created);
            out.push(rec);
        }
        // The document is one line of the accounting; each message and
        // unmatched ledger event beyond the first is an entry of its own.
        out.extra_entries += entries.saturating_sub(1);
        if entries == 0 {
            return Err(Skip::new("no usage", "an Amp thread with no messages"));
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut Out) {}
}
