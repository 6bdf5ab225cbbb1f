//! Claude Code session transcripts, format `claude-code` (docs/formats.md,
//! claude-code): `~/.claude/projects/<encoded-cwd>/<sessionId>.jsonl`, the
//! subagent logs beside them (`agent-<id>.jsonl`, or
//! `<sessionId>/subagents/agent-<id>.jsonl` in newer builds), and the output
//! of `claude -p --output-format stream-json` (or `json`).
//!
//! Lines this parser reads:
//! - `type:"assistant"`: one API call, usually split over several lines (one
//!   per content block) that repeat `message.id` and `requestId` and each
//!   repeat `message.usage`; streaming rows can show a smaller
//!   `output_tokens` than the last. Rows of one call are merged here into one
//!   record that keeps the largest usage (by total tokens; on a tie the later
//!   row's), the timestamp of the first row that showed that usage, the
//!   first row's source and model, and the text of every row. Merged rows count as `merged` in the run's accounting.
//! - `isApiErrorMessage:true` rows bill nothing (`api error`; checked first,
//!   as these rows also carry the `<synthetic>` model), nor do rows whose
//!   model is `<synthetic>` (`synthetic message`): Claude Code wrote them
//!   itself (interrupts, errors), no API call was made.
//! - `user`, `summary`, `system` (`compact_boundary`, `turn_duration`, the
//!   stream's `init`), `file-history-snapshot`, `queue-operation`,
//!   `attachment`, `progress` and the stream's `stream_event` lines are part
//!   of the log and bill nothing (`context line`); other types are
//!   `unknown record type`.
//! - stream-json `result` lines restate the run's usage and cost: when the
//!   run (the lines since the last `init` or `result`) had assistant lines
//!   with usage, the result is a `context line` and its `usage` and
//!   `total_cost_usd` are ignored — adding them would bill every call twice.
//!   A result alone (`--output-format json`, or a stream logged without its
//!   assistant lines) becomes one record for the whole run: its `usage`,
//!   `total_cost_usd` as the reported cost, `num_turns` as the request count,
//!   the model from `modelUsage` when it names one model (else the `init`
//!   line's). As several calls are summed, the long-context tier is not
//!   inferred from that sum.
//!
//! Usage is Anthropic's: `input_tokens` excludes cache reads and writes.
//! Cache writes are `cache_creation_input_tokens`, split by TTL with the
//! `cache_creation.ephemeral_{5m,1h}_input_tokens` breakdown as
//! [`Usage::with_cache_writes`] does for every Anthropic-shaped log. Reasoning is `output_tokens_details.thinking_tokens`, a subset
//! of `output_tokens`. `server_tool_use.web_search_requests` is billed per
//! search. `usage.speed:"fast"` is not priced apart: the model stays as
//! logged. A legacy top-level `costUSD` is kept as the reported cost, never
//! used as ours.
//!
//! Session = `sessionId` (`session_id` in stream-json); project = `cwd`, else
//! the encoded project directory (the path component right under
//! `projects/`). Prompt text is not collected (`has_prompt` false): the
//! billed prompt is the whole conversation chain, mostly cache reads, and a
//! line only holds the newest turn. Response text is the assistant content
//! (text, thinking, tool_use name and input).
//!
//! Calls logged twice: the same message can appear in several files of a
//! run (a subagent or `/btw` sidechain log replays its parent's messages,
//! under the same or a new `requestId`; a resumed session copies history).
//! A message id names one API response, so every record carries the key
//! `cc:{message.id}` and the run bills the first copy it reads (dedup reason
//! `same Claude Code message`). Directory walks read a directory's files
//! before its subdirectories and `agent-*` files last, so a session's own
//! copy is read before the subagent logs that replay it (as ccusage prefers
//! the non-sidechain copy). The key deliberately leaves out `requestId` and
//! whether the row is a sidechain, and all copies share one reason. Rows
//! without `message.id` are never deduplicated.
//!
//! Limit: rows of one call are merged within a window of the last
//! [`WINDOW`] calls of the file (so memory stays bounded); a split row that
//! arrives after its call left the window is emitted again and dropped by
//! the run's dedup (counted as deduplicated, not merged), without raising
//! the usage already billed. Sidechain rows are never merged with
//! non-sidechain rows: a copy inside the same file is deduplicated too.

use std::collections::VecDeque;

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip, TypedLine};
use crate::ingest::call::str_of;
use crate::ingest::fields::{
    errors::unrecognized,
    numbers::{count_field, decimal_value},
    task::task_of,
    text::{append_text, attach_text, content_text},
    time::time_of,
};
use crate::ingest::lean::Lean;
use crate::record::{CallId, Format, Record, ServiceTier, Source, Text, Usage};

mod typed;

/// Whether a usage-only run accepts one transcript line, read as it is in
/// the run (the typed reader, else the lean `Value` parse), with nothing
/// billed or kept: `benches/cc_ceiling.rs` times it as the parse-only
/// ceiling of `report` on Claude Code logs. Not part of the API.
#[doc(hidden)]
pub fn accepts_line(bytes: &[u8]) -> bool {
    LEAN.read(bytes).is_ok()
}

const PROVIDER: &str = "anthropic";
const EXPECTED: &str = "a Claude Code transcript line (`type` with `sessionId`/`message`)";
/// Calls held back while their split rows may still come.
pub const WINDOW: usize = 16;
/// Dedup reason of a message read twice in a run.
pub const DEDUP_REASON: &str = "same Claude Code message";
/// What a usage-only run reads of a line: everything [`Parser`] looks at
/// except the text (message content, tool results, a run's result text). Every record of this format
/// is started from a row with usage, so no record needs its text to bill.
pub static LEAN: Lean = Lean {
    top: &[
        "type",
        "subtype",
        "message",
        "isApiErrorMessage",
        "isSidechain",
        "requestId",
        "timestamp",
        "costUSD",
        "cwd",
        "sessionId",
        "session_id",
        "usage",
        "modelUsage",
        "num_turns",
        "total_cost_usd",
        "model",
    ],
    inner: &[("message", &["id", "model", "usage"])],
    nested_skip: &["content"],
    context_types: CONTEXT_TYPES,
    context_reason: CONTEXT_LINE,
    typed: Some(typed::read),
};

const CONTEXT_LINE: &str = "context line";

/// Record types that are part of a transcript or stream and bill nothing.
/// `system` lines bill nothing either but are not listed: an `init` line
/// starts a stream-json run, so the lean path must read them.
const CONTEXT_TYPES: &[&str] = &[
    "user",
    "summary",
    "file-history-snapshot",
    "queue-operation",
    "attachment",
    "progress",
    "stream_event",
];

/// A transcript line with no `type` (older and minimal transcripts):
/// `message.usage` with a Claude Code field beside it.
fn typeless_assistant(v: &Value) -> bool {
    v.get("type").is_none()
        && v.pointer("/message/usage").is_some_and(Value::is_object)
        && ["sessionId", "requestId", "costUSD", "cwd", "version"]
            .iter()
            .any(|k| v.get(*k).is_some())
}

/// Detection signature (docs/formats.md, claude-code), plus the
/// transcript lines that lack it and the `claude -p` stream-json lines.
pub fn detect(v: &Value) -> bool {
    let obj = match v.as_object() {
        Some(o) => o,
        None => return false,
    };
    let ty = obj.get("type").and_then(Value::as_str);
    let has_usage = v.pointer("/message/usage").is_some_and(Value::is_object);
    if (obj.contains_key("sessionId") && obj.contains_key("uuid") && obj.contains_key("parentUuid"))
        || (ty == Some("summary") && obj.contains_key("leafUuid"))
        || (ty == Some("assistant") && obj.contains_key("requestId") && has_usage)
    {
        return true;
    }
    if ty.is_none() && typeless_assistant(v) {
        return true;
    }
    match ty {
        Some("file-history-snapshot") => obj.contains_key("snapshot"),
        Some("queue-operation") => obj.contains_key("sessionId") && obj.contains_key("operation"),
        // stream-json lines name the session in snake case.
        Some(t) if obj.get("session_id").is_some_and(Value::is_string) => match t {
            "system" => obj.get("subtype").and_then(Value::as_str) == Some("init"),
            "assistant" => has_usage,
            "user" => obj.get("message").is_some_and(Value::is_object),
            "result" => obj.contains_key("total_cost_usd") || obj.contains_key("num_turns"),
            _ => false,
        },
        _ => false,
    }
}

/// Buckets and web searches of one `usage` object.
fn parse_usage(u: &Value) -> Result<(Usage, u64), Skip> {
    let null = Value::Null;
    let cc = u.get("cache_creation").unwrap_or(&null);
    let od = u.get("output_tokens_details").unwrap_or(&null);
    let st = u.get("server_tool_use").unwrap_or(&null);
    let creation = count_field(u, "cache_creation_input_tokens")?.unwrap_or(0);
    let w5 = count_field(cc, "ephemeral_5m_input_tokens")?;
    let w1 = count_field(cc, "ephemeral_1h_input_tokens")?;
    let output = count_field(u, "output_tokens")?.unwrap_or(0);
    let usage = Usage {
        input: count_field(u, "input_tokens")?.unwrap_or(0),
        cache_read: count_field(u, "cache_read_input_tokens")?.unwrap_or(0),
        output,
        reasoning: count_field(od, "thinking_tokens")?.unwrap_or(0).min(output),
        ..Usage::default()
    }
    .with_cache_writes(creation, w5, w1);
    Ok((usage, count_field(st, "web_search_requests")?.unwrap_or(0)))
}

fn tier_of(u: &Value) -> ServiceTier {
    str_of(u, "service_tier").map_or(ServiceTier::Standard, |t| ServiceTier::from_logged(&t))
}

/// The encoded project directory of a transcript path: the component right
/// under the last `projects` directory that has one below it.
fn project_from_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let i = parts
        .iter()
        .enumerate()
        .rev()
        .find(|(i, p)| **p == "projects" && i + 2 < parts.len())
        .map(|(i, _)| i)?;
    parts.get(i + 1).map(|s| s.to_string())
}

/// One API call being assembled from its rows.
struct Call {
    /// `message.id` + `requestId`, and whether the rows are a sidechain's:
    /// only rows with the same key are merged. `None`: never merged.
    key: Option<(String, bool)>,
    record: Record,
    response: String,
    has_response: bool,
}

impl Call {
    fn into_record(self) -> Record {
        let mut rec = self.record;
        let text = Text {
            response: self.response,
            has_response: self.has_response,
            ..Text::default()
        };
        // Cannot fail: a call is only started from a row with usage.
        let _ = attach_text(&mut rec, text);
        rec
    }
}

/// What the parser reads of one assistant line, whichever way the line
/// was read: from a `Value` (`Parser::assistant`) or by the typed reader of
/// usage-only runs (`typed.rs`), which must agree field by field.
#[derive(Debug, PartialEq)]
pub struct Assistant {
    /// `message.id` and `requestId` (non-empty strings).
    id: Option<String>,
    request_id: Option<String>,
    /// `isSidechain: true`.
    sidechain: bool,
    model: Option<String>,
    timestamp: Option<Timestamp>,
    usage: Option<(Usage, u64, ServiceTier)>,
    cost: Option<Decimal>,
    /// `sessionId`, else `session_id`, and `cwd`, as the line gives them.
    session: Option<String>,
    cwd: Option<String>,
    task: Option<String>,
    text: String,
    has_content: bool,
}

/// Why an assistant line bills nothing, if it does not: checked before its
/// usage is read. API error rows also carry the `<synthetic>` model.
fn not_billed(api_error: bool, model: Option<&str>) -> Option<&'static str> {
    if api_error {
        Some("api error")
    } else if model == Some("<synthetic>") {
        Some("synthetic message")
    } else {
        None
    }
}

/// What one assistant row adds to its call.
struct Row {
    model: Option<String>,
    timestamp: Option<Timestamp>,
    usage: Option<(Usage, u64, ServiceTier)>,
    cost: Option<Decimal>,
    text: String,
    has_content: bool,
}

/// The `init` line of a stream-json run and what the run billed so far.
#[derive(Default)]
struct Run {
    session: Option<String>,
    cwd: Option<String>,
    model: Option<String>,
    /// An assistant line with usage was read since the run started.
    billed: bool,
}

pub struct Parser {
    opts: ParseOptions,
    window: VecDeque<Call>,
    /// Project derived from the file path, computed once.
    path_project: Option<Option<String>>,
    run: Run,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            window: VecDeque::new(),
            path_project: None,
            run: Run::default(),
        }
    }

    fn project(&mut self, cwd: Option<String>, source: &Source) -> Option<String> {
        if let Some(cwd) = cwd.or_else(|| self.run.cwd.clone()) {
            return Some(cwd);
        }
        self.path_project
            .get_or_insert_with(|| project_from_path(&source.path))
            .clone()
    }

    /// The line's `sessionId` (`session_id` in stream-json).
    fn session_of(line: &Value) -> Option<String> {
        str_of(line, "sessionId").or_else(|| str_of(line, "session_id"))
    }

    /// A record with what every line of this format carries.
    fn record(&mut self, line: &Value, source: Source) -> Record {
        let timestamp = time_of(&[line], &["timestamp"]);
        let task = task_of(line, &self.opts, &[]);
        let (session, cwd) = (Self::session_of(line), str_of(line, "cwd"));
        self.record_of(source, timestamp, task, session, cwd)
    }

    fn record_of(
        &mut self,
        source: Source,
        timestamp: Option<Timestamp>,
        task: Option<String>,
        session: Option<String>,
        cwd: Option<String>,
    ) -> Record {
        let mut rec = Record::new(source, Format::ClaudeCode);
        rec.provider = Some(PROVIDER.to_string());
        rec.timestamp = timestamp;
        rec.task = task;
        rec.session = session.or_else(|| self.run.session.clone());
        rec.project = self.project(cwd, &rec.source);
        rec
    }

    fn assistant(&mut self, v: &Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let Some(msg) = v.get("message").filter(|m| m.is_object()) else {
            return Err(unrecognized(v, "an assistant line with a `message` object"));
        };
        let model = str_of(msg, "model");
        let api_error = v.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true);
        if let Some(reason) = not_billed(api_error, model.as_deref()) {
            out.drop_line(source, reason);
            return Ok(());
        }
        let usage = match msg.get("usage").filter(|u| u.is_object()) {
            Some(u) => {
                let (usage, web) = parse_usage(u)?;
                Some((usage, web, tier_of(u)))
            }
            None => None,
        };
        let mut text = String::new();
        let content = msg.get("content").filter(|c| !c.is_null());
        if let Some(c) = content {
            content_text(c, &mut text);
        }
        let a = Assistant {
            id: str_of(msg, "id"),
            request_id: str_of(v, "requestId"),
            sidechain: v.get("isSidechain").and_then(Value::as_bool) == Some(true),
            model,
            timestamp: time_of(&[v], &["timestamp"]),
            usage,
            cost: v.get("costUSD").and_then(decimal_value),
            session: Self::session_of(v),
            cwd: str_of(v, "cwd"),
            task: task_of(v, &self.opts, &[]),
            text,
            has_content: content.is_some(),
        };
        self.assistant_row(a, source, out)
    }

    /// An assistant line that bills (see [`not_billed`]): a new call, or
    /// another row of one in the window.
    fn assistant_row(&mut self, a: Assistant, source: Source, out: &mut Out) -> Result<(), Skip> {
        if a.usage.is_some() {
            self.run.billed = true;
        }
        let key = a.id.as_ref().map(|id| {
            let call = match &a.request_id {
                Some(req) => format!("{id}:{req}"),
                None => id.clone(),
            };
            (call, a.sidechain)
        });
        let row = Row {
            model: a.model,
            timestamp: a.timestamp,
            usage: a.usage,
            cost: a.cost,
            text: a.text,
            has_content: a.has_content,
        };
        if key.is_some()
            && let Some(call) = self.window.iter_mut().find(|c| c.key == key)
        {
            merge(call, row);
            return Ok(());
        }
        let Some((usage, web, tier)) = row.usage else {
            return Err(Skip::new(
                "no usage",
                "assistant line has no `message.usage`",
            ));
        };
        let mut rec = self.record_of(source, row.timestamp, a.task, a.session, a.cwd);
        rec.model = row.model;
        rec.usage = Some(usage);
        rec.web_search_requests = web;
        rec.service_tier = tier;
        rec.reported_cost_usd = row.cost;
        rec.call_id =
            a.id.map(|id| Box::new(CallId::key(format!("cc:{id}"), DEDUP_REASON)));
        self.window.push_back(Call {
            key,
            record: rec,
            response: row.text,
            has_response: row.has_content,
        });
        if self.window.len() > WINDOW
            && let Some(call) = self.window.pop_front()
        {
            out.push(call.into_record());
        }
        Ok(())
    }

    /// The final line of a stream-json run (see the module doc).
    fn result(&mut self, v: &Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        // The run is over: its calls have all their rows.
        self.flush(out);
        let usage = v.get("usage").filter(|u| u.is_object());
        let outcome = match usage {
            Some(u) if !self.run.billed => self.run_record(v, u, source).map(|r| out.push(r)),
            _ => {
                out.drop_line(source, "context line");
                Ok(())
            }
        };
        self.run = Run::default();
        outcome
    }

    /// One record for a whole run that only logged its result.
    fn run_record(&mut self, v: &Value, u: &Value, source: Source) -> Result<Record, Skip> {
        let (usage, web) = parse_usage(u)?;
        let mut rec = self.record(v, source);
        let single_model = v
            .get("modelUsage")
            .and_then(Value::as_object)
            .filter(|m| m.len() == 1)
            .and_then(|m| m.keys().next().cloned());
        rec.model = single_model
            .or_else(|| self.run.model.clone())
            .or_else(|| str_of(v, "model"));
        rec.usage = Some(usage);
        rec.web_search_requests = web;
        rec.service_tier = tier_of(u);
        rec.reported_cost_usd = v.get("total_cost_usd").and_then(decimal_value);
        let turns = v
            .get("num_turns")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        rec.requests = turns;
        if turns > 1 {
            // The summed input of several calls says nothing about the
            // size of any one of them.
            rec.long_context = Some(false);
        }
        let mut text = Text::default();
        if let Some(r) = v.get("result").and_then(Value::as_str) {
            text.response = r.to_string();
            text.has_response = true;
        }
        attach_text(&mut rec, text)?;
        Ok(rec)
    }

    fn flush(&mut self, out: &mut Out) {
        out.records
            .extend(self.window.drain(..).map(Call::into_record));
    }
}

/// Fold another row of the same call into it.
fn merge(call: &mut Call, row: Row) {
    if let Some((usage, web, tier)) = row.usage {
        let kept = call.record.usage.map_or(0, |u| u.total());
        if usage.total() >= kept {
            // The call is dated by the first row with the largest usage (as
            // ccusage dates it): a call whose rows straddle midnight lands on
            // the day its final usage was first written.
            if usage.total() > kept && row.timestamp.is_some() {
                call.record.timestamp = row.timestamp;
            }
            call.record.usage = Some(usage);
            call.record.web_search_requests = web;
            call.record.service_tier = tier;
            if row.cost.is_some() {
                call.record.reported_cost_usd = row.cost;
            }
        }
    }
    if call.record.model.is_none() {
        call.record.model = row.model;
    }
    append_text(&mut call.response, &row.text);
    call.has_response |= row.has_content;
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let Some(ty) = value.get("type").and_then(Value::as_str).or_else(|| {
            // Older and minimal transcripts carry `message.usage` and no
            // `type`: the main peer reads them as assistant lines, and so
            // do we.
            typeless_assistant(&value).then_some("assistant")
        }) else {
            return Err(unrecognized(&value, EXPECTED));
        };
        match ty {
            "assistant" => self.assistant(&value, source, out),
            "result" if value.get("session_id").is_some() => self.result(&value, source, out),
            "system" if value.get("subtype").and_then(Value::as_str) == Some("init") => {
                // A new stream-json run: its lines may omit what init said.
                self.run = Run {
                    session: str_of(&value, "session_id"),
                    cwd: str_of(&value, "cwd"),
                    model: str_of(&value, "model"),
                    billed: false,
                };
                out.drop_line(source, "context line");
                Ok(())
            }
            t if t == "system" || CONTEXT_TYPES.contains(&t) => {
                out.drop_line(source, "context line");
                Ok(())
            }
            _ => {
                out.drop_line(source, "unknown record type");
                Ok(())
            }
        }
    }

    fn push_typed(&mut self, line: TypedLine, source: Source, out: &mut Out) -> Result<(), Skip> {
        let TypedLine::ClaudeCode(a) = line;
        self.assistant_row(*a, source, out)
    }

    fn finish(&mut self, out: &mut Out) {
        self.flush(out);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::*;
    use crate::ingest::format::{run_parser_out, source};

    const SID: &str = "0d9e8f7a-1111-4222-8333-944455556666";

    fn parse(lines: &[Value]) -> (Out, Vec<Skip>) {
        run_parser_out(&mut Parser::new(ParseOptions::default()), lines)
    }

    /// An assistant row of call `id`/`req` with the given usage.
    fn row(id: &str, req: &str, usage: Value) -> Value {
        json!({
            "parentUuid": "p", "isSidechain": false, "sessionId": SID, "cwd": "/w/app",
            "type": "assistant", "requestId": req, "uuid": format!("u-{id}-{req}"),
            "timestamp": "2025-11-05T10:00:00.000Z",
            "message": {"id": id, "type": "message", "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": [{"type": "text", "text": format!("part of {id}")}],
                "usage": usage}
        })
    }

    fn u(input: u64, read: u64, write: u64, output: u64) -> Value {
        json!({"input_tokens": input, "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write, "output_tokens": output})
    }

    fn buckets(r: &Record) -> [u64; 6] {
        let u = r.usage.unwrap_or_default();
        [
            u.input,
            u.cache_read,
            u.cache_write_5m,
            u.cache_write_1h,
            u.output,
            u.reasoning,
        ]
    }

    fn reasons(out: &Out) -> Vec<&'static str> {
        out.dropped.iter().map(|(_, r)| *r).collect()
    }

    #[test]
    fn split_rows_are_one_call_with_the_largest_usage() {
        let (out, skips) = parse(&[
            row("msg_a", "req_a", u(3, 100, 10, 7)),
            row("msg_a", "req_a", u(3, 100, 10, 250)),
            row("msg_a", "req_a", u(3, 100, 10, 90)),
        ]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 1);
        let r = &out.records[0];
        assert_eq!(buckets(r), [3, 100, 10, 0, 250, 0]);
        assert_eq!(r.source.line, 1);
        assert_eq!(r.format, Format::ClaudeCode);
        assert_eq!(r.provider.as_deref(), Some("anthropic"));
        assert_eq!(r.session.as_deref(), Some(SID));
        assert_eq!(r.project.as_deref(), Some("/w/app"));
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(
            r.timestamp.map(|t| t.to_string()).as_deref(),
            Some("2025-11-05T10:00:00Z")
        );
        let text = r.text.as_ref().unwrap();
        assert!(!text.has_prompt && text.has_response);
        assert_eq!(text.response, "part of msg_a\npart of msg_a\npart of msg_a");
        assert_eq!(
            r.call_id.as_deref(),
            Some(&CallId::key("cc:msg_a".into(), DEDUP_REASON))
        );
        // Nothing dropped: the two extra rows are "merged" in the accounting.
        assert!(out.dropped.is_empty());
    }

    #[test]
    fn equal_totals_keep_the_later_row() {
        // Same total (113), different split: the later row wins.
        let (out, _) = parse(&[
            row("msg_t", "req_t", u(10, 100, 0, 3)),
            row("msg_t", "req_t", u(3, 100, 0, 10)),
        ]);
        assert_eq!(buckets(&out.records[0]), [3, 100, 0, 0, 10, 0]);
    }

    #[test]
    fn cache_write_ttl_split() {
        let with = |cc: Value| {
            let mut usage = u(1, 0, 1000, 1);
            usage["cache_creation"] = cc;
            parse(&[row("m", "r", usage)]).0.records.remove(0)
        };
        // Breakdown honoured; the excess over it is 5m.
        let r = with(json!({"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 600}));
        assert_eq!(buckets(&r), [1, 0, 400, 600, 1, 0]);
        let r = with(json!({"ephemeral_1h_input_tokens": 1000}));
        assert_eq!(buckets(&r), [1, 0, 0, 1000, 1, 0]);
        // No breakdown: all 5m.
        let r = parse(&[row("m", "r", u(1, 0, 1000, 1))])
            .0
            .records
            .remove(0);
        assert_eq!(buckets(&r), [1, 0, 1000, 0, 1, 0]);
    }

    #[test]
    fn thinking_web_search_tier_and_fast_mode() {
        let usage = json!({"input_tokens": 5, "output_tokens": 40,
            "output_tokens_details": {"thinking_tokens": 30},
            "server_tool_use": {"web_search_requests": 2},
            "service_tier": "priority", "speed": "fast"});
        let (out, _) = parse(&[row("m", "r", usage)]);
        let r = &out.records[0];
        assert_eq!(buckets(r), [5, 0, 0, 0, 40, 30]);
        assert_eq!(r.web_search_requests, 2);
        assert_eq!(r.service_tier, ServiceTier::Priority);
        // Fast mode is not priced apart: the model stays as logged.
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
    }

    #[test]
    fn synthetic_and_api_error_rows_bill_nothing() {
        let mut synthetic = row("m1", "r1", u(0, 0, 0, 0));
        synthetic["message"]["model"] = json!("<synthetic>");
        let mut error = synthetic.clone();
        error["isApiErrorMessage"] = json!(true);
        let mut error_real_model = row("m2", "r2", u(0, 0, 0, 0));
        error_real_model["isApiErrorMessage"] = json!(true);
        let (out, skips) = parse(&[synthetic, error, error_real_model]);
        assert!(out.records.is_empty() && skips.is_empty());
        assert_eq!(
            reasons(&out),
            ["synthetic message", "api error", "api error"]
        );
    }

    #[test]
    fn legacy_cost_is_reported_not_used() {
        let mut legacy = json!({"timestamp": "2025-06-20T10:00:00.000Z", "sessionId": "old",
            "type": "assistant", "message": {"model": "claude-sonnet-4-20250514",
            "usage": {"input_tokens": 100, "output_tokens": 50}}, "costUSD": 0.0123});
        let (out, _) = parse(std::slice::from_ref(&legacy));
        let r = &out.records[0];
        assert_eq!(
            r.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.0123")
        );
        assert_eq!(buckets(r), [100, 0, 0, 0, 50, 0]);
        // No message id: never deduplicated, never merged.
        assert!(r.call_id.is_none());
        legacy["costUSD"] = json!("0.5");
        let (out, _) = parse(&[legacy.clone(), legacy]);
        assert_eq!(out.records.len(), 2);
        assert_eq!(
            out.records[1]
                .reported_cost_usd
                .map(|d| d.to_string())
                .as_deref(),
            Some("0.5")
        );
    }

    #[test]
    fn sidechain_copies_are_not_merged_but_share_the_message_key() {
        let parent = row("msg_p", "req_1", u(1, 2, 3, 4));
        let mut same_req = parent.clone();
        same_req["isSidechain"] = json!(true);
        let mut new_req = same_req.clone();
        new_req["requestId"] = json!("req_2");
        let (out, _) = parse(&[parent, same_req, new_req]);
        // Three records (the run's dedup drops the copies), one key.
        assert_eq!(out.records.len(), 3);
        for r in out.records.iter() {
            assert_eq!(
                r.call_id.as_deref(),
                Some(&CallId::key("cc:msg_p".into(), DEDUP_REASON))
            );
        }
        assert_eq!(
            out.records
                .iter()
                .map(|r| r.source.line)
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn a_row_after_its_call_left_the_window_is_emitted_again() {
        let mut lines = vec![row("msg_0", "r", u(1, 0, 0, 5))];
        for i in 1..=WINDOW {
            lines.push(row(&format!("msg_{i}"), "r", u(1, 0, 0, 1)));
        }
        lines.push(row("msg_0", "r", u(1, 0, 0, 9)));
        let (out, _) = parse(&lines);
        assert_eq!(out.records.len(), WINDOW + 2);
        // msg_0 left the window when msg_16 came, before its late row.
        assert_eq!(out.records[0].source.line, 1);
        assert_eq!(buckets(&out.records[0])[4], 5);
        let late = out.records.iter().find(|r| r.source.line == 18).unwrap();
        assert_eq!(late.call_id, out.records[0].call_id);
        // Order is the order calls started in.
        let lines: Vec<u64> = out.records.iter().map(|r| r.source.line).collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        assert_eq!(lines, sorted);
    }

    #[test]
    fn context_unknown_and_broken_lines() {
        let (out, skips) = parse(&[
            json!({"type": "summary", "summary": "s", "leafUuid": "x"}),
            json!({"type": "user", "sessionId": SID, "uuid": "a", "parentUuid": null,
                "message": {"role": "user", "content": "hi"}}),
            json!({"type": "system", "subtype": "compact_boundary", "sessionId": SID,
                "uuid": "b", "parentUuid": null, "compactMetadata": {"trigger": "auto", "preTokens": 9}}),
            json!({"type": "file-history-snapshot", "messageId": "a", "snapshot": {}}),
            json!({"type": "queue-operation", "operation": "enqueue", "sessionId": SID}),
            json!({"type": "attachment", "sessionId": SID}),
            json!({"type": "progress", "sessionId": SID}),
            json!({"type": "someday-new", "sessionId": SID}),
            json!({"sessionId": SID}),
            row("m", "r", json!({"input_tokens": -4, "output_tokens": 1})),
            json!({"type": "assistant", "sessionId": SID, "message": {"id": "m9", "content": []}}),
            json!({"type": "assistant", "sessionId": SID}),
        ]);
        assert!(out.records.is_empty());
        assert_eq!(
            reasons(&out),
            [
                "context line",
                "context line",
                "context line",
                "context line",
                "context line",
                "context line",
                "context line",
                "unknown record type"
            ]
        );
        let s: Vec<&str> = skips.iter().map(|s| s.reason).collect();
        assert_eq!(
            s,
            [
                "unrecognized record",
                "invalid usage",
                "no usage",
                "unrecognized record"
            ]
        );
    }

    #[test]
    fn a_row_without_usage_joins_its_call() {
        let mut bare = row("msg_a", "req_a", Value::Null);
        bare["message"].as_object_mut().unwrap().remove("usage");
        bare["message"]["content"] =
            json!([{"type": "tool_use", "name": "Read", "input": {"p": 1}}]);
        let (out, skips) = parse(&[row("msg_a", "req_a", u(1, 0, 0, 2)), bare]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 1);
        assert_eq!(
            out.records[0].text.as_ref().unwrap().response,
            "part of msg_a\nRead\n{\"p\":1}"
        );
    }

    #[test]
    fn project_falls_back_to_the_encoded_directory() {
        assert_eq!(
            project_from_path("/h/.claude/projects/-h-ana-api/5e1c.jsonl").as_deref(),
            Some("-h-ana-api")
        );
        assert_eq!(
            project_from_path("/h/projects/x/.claude/projects/-h-x/5e1c/subagents/agent-1.jsonl")
                .as_deref(),
            Some("-h-x")
        );
        assert_eq!(
            project_from_path(r"C:\Users\a\.claude\projects\C--w\s.jsonl").as_deref(),
            Some("C--w")
        );
        assert_eq!(project_from_path("/tmp/projects/s.jsonl"), None);
        assert_eq!(project_from_path("s.jsonl"), None);

        let mut p = Parser::new(ParseOptions::default());
        let path: Arc<str> = Arc::from("/h/.claude/projects/-h-ana-api/5e1c.jsonl");
        let mut out = Out::default();
        let mut no_cwd = row("m", "r", u(1, 0, 0, 1));
        no_cwd.as_object_mut().unwrap().remove("cwd");
        p.push(no_cwd, source(&path, 1), &mut out).unwrap();
        p.finish(&mut out);
        assert_eq!(out.records[0].project.as_deref(), Some("-h-ana-api"));
    }

    #[test]
    fn task_key_reads_the_raw_line() {
        let opts = ParseOptions {
            task_key: Some("gitBranch".into()),
            ..ParseOptions::default()
        };
        let mut line = row("m", "r", u(1, 0, 0, 1));
        line["gitBranch"] = json!("feat/retry");
        let (out, _) = run_parser_out(&mut Parser::new(opts), &[line]);
        assert_eq!(out.records[0].task.as_deref(), Some("feat/retry"));
        let (out, _) = parse(&[row("m", "r", u(1, 0, 0, 1))]);
        assert_eq!(out.records[0].task, None);
    }

    fn init() -> Value {
        json!({"type": "system", "subtype": "init", "session_id": "s-1", "cwd": "/w/cli",
            "model": "claude-haiku-4-5-20251001", "tools": []})
    }

    fn stream_assistant(id: &str, output: u64) -> Value {
        json!({"type": "assistant", "session_id": "s-1", "parent_tool_use_id": null,
            "message": {"id": id, "type": "message", "role": "assistant",
                "model": "claude-haiku-4-5-20251001", "content": [{"type": "text", "text": "ok"}],
                "usage": {"input_tokens": 10, "output_tokens": output}}})
    }

    fn result() -> Value {
        json!({"type": "result", "subtype": "success", "is_error": false, "num_turns": 2,
            "result": "Done.", "session_id": "s-1", "total_cost_usd": 0.25,
            "usage": {"input_tokens": 20, "output_tokens": 30, "cache_read_input_tokens": 7},
            "modelUsage": {"claude-haiku-4-5-20251001": {"inputTokens": 20}}})
    }

    #[test]
    fn stream_json_result_is_not_added_to_the_assistant_lines() {
        let (out, skips) = parse(&[
            init(),
            stream_assistant("msg_s1", 4),
            stream_assistant("msg_s1", 12),
            json!({"type": "user", "session_id": "s-1", "message": {"role": "user", "content": []}}),
            stream_assistant("msg_s2", 18),
            result(),
        ]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 2);
        assert_eq!(buckets(&out.records[0]), [10, 0, 0, 0, 12, 0]);
        assert_eq!(buckets(&out.records[1]), [10, 0, 0, 0, 18, 0]);
        for r in out.records.iter() {
            assert_eq!(r.session.as_deref(), Some("s-1"));
            assert_eq!(r.project.as_deref(), Some("/w/cli"));
            assert!(r.reported_cost_usd.is_none());
        }
        assert_eq!(
            reasons(&out),
            ["context line", "context line", "context line"]
        );
    }

    #[test]
    fn a_result_alone_bills_the_run() {
        let (out, skips) = parse(&[init(), result()]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 1);
        let r = &out.records[0];
        assert_eq!(buckets(r), [20, 7, 0, 0, 30, 0]);
        assert_eq!(r.requests, 2);
        assert_eq!(r.long_context, Some(false));
        assert_eq!(r.model.as_deref(), Some("claude-haiku-4-5-20251001"));
        assert_eq!(
            r.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.25")
        );
        assert_eq!(r.session.as_deref(), Some("s-1"));
        assert_eq!(r.project.as_deref(), Some("/w/cli"));
        assert!(r.call_id.is_none());
        assert_eq!(r.text.as_ref().unwrap().response, "Done.");
        // Without init or modelUsage: the result alone, model unknown.
        let mut bare = result();
        bare.as_object_mut().unwrap().remove("modelUsage");
        let (out, _) = parse(&[bare]);
        assert_eq!(out.records[0].model, None);
        assert_eq!(out.records[0].session.as_deref(), Some("s-1"));
        // A second run in the same file is judged on its own lines.
        let (out, _) = parse(&[
            init(),
            stream_assistant("msg_x", 1),
            result(),
            init(),
            result(),
        ]);
        assert_eq!(out.records.len(), 2);
        assert_eq!(out.records[1].requests, 2);
    }

    #[test]
    fn detection() {
        let yes = [
            json!({"sessionId": "s", "uuid": "u", "parentUuid": null, "type": "user"}),
            json!({"type": "summary", "summary": "x", "leafUuid": "u"}),
            json!({"type": "assistant", "requestId": "r", "message": {"usage": {}}}),
            json!({"type": "file-history-snapshot", "messageId": "m", "snapshot": {}}),
            json!({"type": "queue-operation", "operation": "enqueue", "sessionId": "s"}),
            init(),
            stream_assistant("m", 1),
            result(),
            json!({"type": "user", "session_id": "s", "message": {"role": "user"}}),
        ];
        for v in &yes {
            assert!(detect(v), "{v}");
        }
        let no = [
            json!({"type": "message", "role": "assistant", "content": [], "usage": {"input_tokens": 1}}),
            json!({"type": "summary", "summary": "x"}),
            json!({"type": "assistant", "message": {"usage": {}}}),
            json!({"type": "system", "session_id": "s", "subtype": "other"}),
            json!({"type": "result", "session_id": "s"}),
            json!({"type": "queue-operation"}),
            json!({"type": "event_msg", "payload": {}, "timestamp": "t"}),
            json!({"model": "m", "messages": []}),
            json!([1]),
        ];
        for v in &no {
            assert!(!detect(v), "{v}");
        }
        for v in yes.iter().chain(&no) {
            if detect(v) {
                assert_eq!(crate::ingest::format::detect(v), Some(Format::ClaudeCode));
            }
        }
    }
}
