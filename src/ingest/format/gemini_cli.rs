//! Gemini CLI chat recordings, format `gemini-cli` (docs/formats.md,
//! gemini-cli): `~/.gemini/tmp/<project>/chats/session-*.jsonl` (and
//! subagent sessions one folder deeper), or, before April 2026, one JSON
//! document per session (`session-*.json`).
//!
//! JSONL: a first line of session metadata (`sessionId`, `projectHash`,
//! `startTime`, `lastUpdated`), then message records (`id`, `timestamp`,
//! `type`: `user`, `gemini`, `info`, `error`, `warning`), `{"$set": …}`
//! metadata updates (a `$set` of `messages` is a checkpoint of the whole
//! list) and `{"$rewindTo": id}` markers. Gemini CLI appends a message again,
//! whole and under the same `id`, each time it changes (its tokens arrive,
//! a tool call's status moves on), so the last copy of each id is the
//! message: records are held per file and emitted at its end, in the order
//! ids first appeared. A legacy document holds `messages[]` at once.
//!
//! Values read on `type: "gemini"` messages: `model`, `timestamp`, `id`,
//! `content` (text or parts) and `thoughts[].description` for the response
//! text, and `tokens{input, output, cached, thoughts, tool, total}`, the
//! Gemini API's usage under shorter names: `input` includes `cached` (the
//! API's `promptTokenCount`), `tool` is extra input, `thoughts` are outside
//! `output`. Hence `input = input − cached + tool`, `cache_read = cached`,
//! `output = output + thoughts`, `reasoning = thoughts`, as for the
//! `gemini` format. Peers read one legacy test file whose `total` shows an
//! input without its cache (`total = input + output + cached`); when
//! `total` says so, `input` is taken as net.
//!
//! A message is one API call; the session and message id identify it
//! across files (a resumed legacy session is copied whole into a new
//! `.jsonl` beside the old `.json`), so a copy is billed once. Rewinds are
//! ignored: the tokens were spent. The session is the task.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    numbers::count_field,
    task::task_from,
    text::{append_text, attach_text, content_text},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Record, Source, Text, Usage};

const EXPECTED: &str = "a Gemini CLI session record";
const DEDUP_REASON: &str = "same Gemini CLI message";
const CONTEXT: &str = "context line";
const PROVIDER: &str = "google";

/// The message types Gemini CLI records; only `gemini` bills.
const MESSAGE_TYPES: &[&str] = &["user", "gemini", "info", "error", "warning"];

/// Detection signature (docs/formats.md, gemini-cli).
pub fn detect(v: &Value) -> bool {
    is_metadata(v)
        || is_gemini_message(v)
        || (v.get("sessionId").is_some_and(Value::is_string)
            && v.get("messages")
                .and_then(Value::as_array)
                .is_some_and(|m| m.iter().any(is_gemini_message)))
}

/// The first line of a session file.
fn is_metadata(v: &Value) -> bool {
    v.get("sessionId").is_some_and(Value::is_string)
        && v.get("projectHash").is_some_and(Value::is_string)
        && v.get("startTime").is_some()
        && v.get("messages").is_none()
}

/// A model message: `type: "gemini"` with an `id` and a `tokens` key.
fn is_gemini_message(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("gemini")
        && v.get("id").is_some_and(Value::is_string)
        && v.get("tokens").is_some()
}

fn usage_of(t: &Value) -> Result<Option<Usage>, Skip> {
    if !t.is_object() {
        return Ok(None);
    }
    let input = count_field(t, "input")?.unwrap_or(0);
    let output = count_field(t, "output")?.unwrap_or(0);
    let cached = count_field(t, "cached")?.unwrap_or(0);
    let thoughts = count_field(t, "thoughts")?.unwrap_or(0);
    let tool = count_field(t, "tool")?.unwrap_or(0);
    // The API's shape: total = input (cache included) + output + thoughts
    // + tool. A total that counts the cache on top means a net input.
    let net = count_field(t, "total")?.is_some_and(|total| {
        total != input + output + thoughts + tool
            && total == input + output + thoughts + tool + cached
    });
    let uncached = if net {
        input
    } else {
        input.saturating_sub(cached)
    };
    Ok(Some(Usage {
        input: uncached.saturating_add(tool),
        cache_read: cached,
        output: output.saturating_add(thoughts),
        reasoning: thoughts,
        ..Usage::default()
    }))
}

fn response_text(m: &Value) -> Text {
    let mut text = Text::default();
    content_text(m.get("content").unwrap_or(&Value::Null), &mut text.response);
    for t in m
        .get("thoughts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(s) = t.get("description").and_then(Value::as_str) {
            append_text(&mut text.response, s);
        }
    }
    text.has_response = !text.response.is_empty();
    text
}

pub struct Parser {
    opts: ParseOptions,
    session: Option<String>,
    /// The last copy of each message id, in order of first appearance.
    messages: Vec<(String, Value, Source)>,
    index: rustc_hash::FxHashMap<String, usize>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            session: None,
            messages: Vec::new(),
            index: Default::default(),
        }
    }

    /// Keep `m` as the latest copy of its id (an earlier copy's line is
    /// then folded into this one).
    fn hold(&mut self, id: String, m: Value, source: Source) {
        match self.index.get(&id) {
            Some(&i) => {
                // The record keeps the line of its last copy.
                self.messages[i].1 = m;
                self.messages[i].2 = source;
            }
            None => {
                self.index.insert(id.clone(), self.messages.len());
                self.messages.push((id, m, source));
            }
        }
    }

    fn record(&self, id: &str, m: &Value, source: Source) -> Result<Option<Record>, Skip> {
        let Some(usage) = usage_of(m.get("tokens").unwrap_or(&Value::Null))? else {
            // Written before its usage arrived and never completed.
            return Ok(None);
        };
        let mut rec = Record::new(source, Format::GeminiCli);
        rec.provider = Some(PROVIDER.to_string());
        rec.model = m.get("model").and_then(Value::as_str).map(str::to_string);
        rec.timestamp = m.get("timestamp").and_then(parse_timestamp);
        rec.session = self.session.clone();
        rec.task = task_from(&self.opts, &[m], &[], &[]);
        rec.usage = Some(usage);
        let session = self.session.as_deref().unwrap_or("");
        rec.call_id = Some(Box::new(CallId::key(
            format!("gemini-cli:{session}:{id}"),
            DEDUP_REASON,
        )));
        attach_text(&mut rec, response_text(m))?;
        Ok(Some(rec))
    }

    fn message(&mut self, m: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        match m.get("type").and_then(Value::as_str) {
            Some("gemini") => {
                let Some(id) = m.get("id").and_then(Value::as_str).map(str::to_string) else {
                    return Err(unrecognized(&m, EXPECTED));
                };
                self.hold(id, m, source);
                Ok(())
            }
            Some(t) if MESSAGE_TYPES.contains(&t) => {
                out.drop_line(source, CONTEXT);
                Ok(())
            }
            _ => Err(unrecognized(&m, EXPECTED)),
        }
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if is_metadata(&value) {
            self.session = value
                .get("sessionId")
                .and_then(Value::as_str)
                .map(str::to_string);
            out.drop_line(source, "session metadata");
            return Ok(());
        }
        if let Some(set) = value.get("$set").filter(|s| s.is_object()) {
            // A checkpoint of the whole message list: each message is a
            // (possibly newer) copy of its id.
            let mut any = false;
            for m in set
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if is_gemini_message(m) {
                    let id = m["id"].as_str().unwrap_or_default().to_string();
                    self.hold(id, m.clone(), source.clone());
                    any = true;
                }
            }
            if !any {
                out.drop_line(source, "session metadata");
            }
            return Ok(());
        }
        if value.get("$rewindTo").is_some() {
            out.drop_line(source, "session metadata");
            return Ok(());
        }
        if value.get("messages").is_some_and(Value::is_array) {
            // A legacy session document: every message at once.
            self.session = value
                .get("sessionId")
                .and_then(Value::as_str)
                .map(str::to_string);
            let Value::Object(mut doc) = value else {
                return Err(Skip::new("unrecognized record", EXPECTED));
            };
            let messages = match doc.remove("messages") {
                Some(Value::Array(m)) => m,
                _ => Vec::new(),
            };
            // Each message is an entry of the run's accounting.
            out.extra_entries += messages.len().saturating_sub(1) as u64;
            for m in messages {
                if let Err(skip) = self.message(m, source.clone(), out) {
                    // One odd message costs itself, not the session.
                    if skip.reason != "unrecognized record" {
                        return Err(skip);
                    }
                    out.drop_line(source.clone(), CONTEXT);
                }
            }
            return Ok(());
        }
        self.message(value, source, out)
    }

    fn finish(&mut self, out: &mut Out) {
        for (id, m, source) in std::mem::take(&mut self.messages) {
            match self.record(&id, &m, source.clone()) {
                Ok(Some(rec)) => out.push(rec),
                Ok(None) => out.drop_line(source, "no usage yet"),
                Err(_) => out.drop_line(source, "invalid token counts"),
            }
        }
        self.index.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inclusive_and_net_inputs() {
        // The API's shape: total = input + output + thoughts + tool.
        let u = usage_of(&json!({"input":15327,"output":23,"cached":11526,"thoughts":919,"tool":7,"total":16276}))
            .unwrap()
            .unwrap();
        assert_eq!(
            (u.input, u.cache_read, u.output, u.reasoning),
            (3808, 11526, 942, 919)
        );
        // total counts the cache on top: the input is net.
        let u =
            usage_of(&json!({"input":10,"output":20,"cached":5,"thoughts":0,"tool":0,"total":35}))
                .unwrap()
                .unwrap();
        assert_eq!((u.input, u.cache_read, u.output), (10, 5, 20));
        assert!(usage_of(&Value::Null).unwrap().is_none());
    }
}
