//! Codex CLI rollouts and `codex exec --json` streams
//! (docs/formats.md, codex), format `codex`.
//!
//! **Rollouts** (`~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl`)
//! are `{timestamp, type, payload}` lines:
//! - `session_meta`: the session id (`payload.id`, the record's session),
//!   `cwd` (the project) and, for a spawned subagent or a fork, the parent
//!   (`payload.source.subagent.thread_spawn.parent_thread_id`, or
//!   `payload.forked_from_id`);
//! - `turn_context`: the model of the turns that follow (`payload.model`;
//!   the latest one wins), `cwd`, and `service_tier` when logged;
//! - `response_item` / `event_msg` messages: the current turn's text
//!   (prompt from user/developer messages, response from assistant
//!   `output_text`; the `user_message`/`agent_message` events are the
//!   fallback when a build logs no items). Only text since the previous
//!   billed turn is kept, and at most [`MAX_TURN_TEXT`] bytes of it;
//! - `event_msg` `token_count`: the billing line. Its
//!   `info.total_token_usage` is cumulative per session; one record is made
//!   per advance of that total, holding the increment since the previous
//!   total. A re-emitted `token_count` whose total did not move (Codex
//!   refreshes rate limits that way) bills nothing (`repeated token
//!   count`); `info: null` is a rate-limit-only event (`context line`).
//!
//! Every other line of a rollout is a `context line`; a line `type` this
//! parser does not know is an `unknown record type` (any `event_msg` or
//! `response_item` subtype is a context line: Codex adds such events often
//! and none of them bills).
//!
//! Usage: `input_tokens` ⊃ `cached_input_tokens` (and
//! `cache_write_input_tokens`, newer builds), `output_tokens` ⊃
//! `reasoning_output_tokens`, so buckets come from
//! [`Usage::from_inclusive_input`](crate::record::Usage::from_inclusive_input)
//! applied to the increment.
//!
//! The increment is the delta of cumulative totals, not
//! `last_token_usage`: `last_token_usage` describes the last model request
//! only, so it repeats on every re-emit and misses requests whose own
//! snapshot was lost (a line cut short, an invalid count skipped); the
//! delta of totals bills every token exactly once whatever happened between
//! two snapshots. When the total goes *down* (`input_tokens` or
//! `output_tokens` smaller than before), a new counter started (a new
//! session in the same file, a subagent whose counter starts at zero, a
//! build that resets after compaction): the new total is the increment from
//! zero. A counter that restarted but already exceeds the old one is told
//! apart by `last_token_usage == total_token_usage` (only true of a
//! counter's first snapshot).
//!
//! **Subagent replays.** A rollout spawned by `thread_spawn` (or a fork)
//! starts with the child's `session_meta`, then the parent's
//! `session_meta` and a burst replay of the parent's history (re-stamped to
//! the spawn instant in some builds, with the original timestamps in
//! others). Those lines were billed in the parent's rollout: they are
//! dropped (`subagent replay`) and never billed to the child. Their last
//! cumulative total becomes the child's baseline, since Codex seeds a
//! forked thread's counter from the replayed history; a child counter that
//! starts from zero instead is caught by the restart rule above. The replay
//! ends at the first line that belongs to the child:
//! - a `task_started` event whose `started_at`, or any line whose UUIDv7
//!   `turn_id`, is later than the child's creation, or else
//! - the first line more than [`REPLAY_GAP_MS`] after both the child's
//!   creation and the previous replayed line (a replay is written in one
//!   burst; the child's first `token_count` waits for a model response).
//!
//! By the second rule the child's own first prompt, logged within the burst,
//! is lost as text (its usage is not). Some builds write no replay at all;
//! the same rules end the (empty) replay at the child's first turn.
//!
//! **`codex exec --json`** streams: `thread.started{thread_id}` (the
//! session), `turn.started`, `item.*` (agent messages give the response
//! text), `turn.completed{usage}` (one record), `turn.failed` (`request
//! failed`), `error` (`api error`). `turn.completed.usage` is the thread's
//! cumulative usage (Codex fills it from `total_token_usage`), so a thread
//! resumed in the same stream bills the delta since its previous
//! `turn.completed`, with the same restart rule. The stream has no
//! timestamps and names no model: such records are unpriced ("no model in
//! the log") unless a `model` key was added to the line.
//!
//! **Dedup across files.** Each record's call id is the session id and the
//! cumulative `(input, cached, output)` tuple, so an archived copy of a
//! rollout read in the same run bills nothing, and a `turn.completed` of an
//! exec stream matches the rollout's last snapshot of that turn (the fields
//! both shapes carry). A rollout line also has a second id, its instant and
//! whole cumulative tuple: a file that copies another session's history
//! (a branch, fork or resume whose `session_meta` does not say so) repeats
//! those lines byte for byte under its own session id, and they bill once.
//!
//! `--task-key` is looked up on the `token_count` line, then on the
//! session's `session_meta` line; without it the session is the task.
//!
//! No session without `turn_context` (Sept-2025 builds) gets a guessed
//! model: its records stay unpriced rather than priced as an assumed
//! `gpt-5`.

mod exec;
mod replay;
mod text;
mod totals;

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::call::str_of;
use crate::ingest::fields::{
    errors::unrecognized,
    lookup::first_str,
    task::task_from,
    text::{attach_text, content_text},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Record, ServiceTier, Source};

use replay::Replay;
use text::TurnText;
use totals::{Step, Totals, step};

const PROVIDER: &str = "openai";
const EXPECTED: &str =
    "a Codex rollout line (`timestamp`, `type`, `payload`) or a `codex exec --json` event";
const DEDUP_REASON: &str = "same Codex turn in another file";

/// Text kept for one turn (prompt and response sides each). A turn's text
/// is what `--usage counted` tokenizes; a runaway turn must not hold memory.
pub const MAX_TURN_TEXT: usize = 1 << 20;

/// A subagent's replay is written in one burst: a line more than this after
/// both the child's creation and the previous replayed line is the child's.
pub const REPLAY_GAP_MS: i64 = 1000;

/// Detection signature (docs/formats.md, detection).
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
    opts: ParseOptions,
    // ---- rollout state
    /// Whether a `session_meta` was read (the first one names the file's
    /// session).
    meta_seen: bool,
    session: Option<String>,
    meta_line: Option<Value>,
    /// The file is a spawned subagent or a fork of another session.
    spawned: bool,
    cwd: Option<String>,
    model: Option<String>,
    tier: ServiceTier,
    /// Last cumulative total seen (billed, repeated or replayed).
    prev: Option<Totals>,
    replay: Option<Replay>,
    text: TurnText,
    // ---- exec stream state
    thread: Option<String>,
    /// Last `turn.completed` usage per thread (cumulative).
    exec_prev: HashMap<String, Totals>,
    exec_model: Option<String>,
    exec_text: String,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            meta_seen: false,
            session: None,
            meta_line: None,
            spawned: false,
            cwd: None,
            model: None,
            tier: ServiceTier::Standard,
            prev: None,
            replay: None,
            text: TurnText::default(),
            thread: None,
            exec_prev: HashMap::new(),
            exec_model: None,
            exec_text: String::new(),
        }
    }

    // ---- rollouts ---------------------------------------------------------

    fn rollout(
        &mut self,
        ty: &str,
        line: &Value,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        let payload = line.get("payload").unwrap_or(&Value::Null);
        let ts = line.get("timestamp").and_then(parse_timestamp);
        if let Some(r) = self.replay.as_mut() {
            if r.holds(payload, ts) {
                return self.replayed(ty, payload, source, out);
            }
            // The child's own lines start here; nothing of the replay is
            // the child's text.
            self.replay = None;
            self.text = TurnText::default();
        }
        match ty {
            "session_meta" => self.session_meta(line, payload, ts),
            "turn_context" => self.turn_context(payload),
            "response_item" => self.response_item(payload),
            "event_msg" => match payload.get("type").and_then(Value::as_str) {
                Some("token_count") => return self.token_count(line, payload, ts, source, out),
                Some("user_message") => {
                    if let Some(m) = payload.get("message").and_then(Value::as_str) {
                        self.text.add_prompt(None, m.to_string());
                    }
                }
                Some("agent_message") => {
                    if let Some(m) = payload.get("message").and_then(Value::as_str) {
                        self.text.add_response(false, m);
                    }
                }
                _ => {}
            },
            "compacted" => {}
            _ => {
                out.drop_line(source, "unknown record type");
                return Ok(());
            }
        }
        out.drop_line(source, "context line");
        Ok(())
    }

    /// A line of a subagent's replay of its parent: billed in the parent's
    /// rollout, never here. Its total is the child's baseline.
    fn replayed(
        &mut self,
        ty: &str,
        payload: &Value,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        match ty {
            "turn_context" => {
                // The child inherits the model until its own turn_context.
                if let Some(m) = str_of(payload, "model") {
                    self.model = Some(m);
                }
            }
            "event_msg" if payload.get("type").and_then(Value::as_str) == Some("token_count") => {
                if let Some(t) = payload
                    .get("info")
                    .and_then(|i| i.get("total_token_usage"))
                    .filter(|u| u.is_object())
                    .and_then(|u| Totals::parse(u, "info.total_token_usage").ok())
                {
                    self.prev = Some(t);
                }
            }
            _ => {}
        }
        out.drop_line(source, "subagent replay");
        Ok(())
    }

    fn session_meta(&mut self, line: &Value, payload: &Value, ts: Option<Timestamp>) {
        let id = str_of(payload, "id");
        if self.meta_seen {
            // The same session again (a resume), or a foreign one after a
            // child's replay ended: nothing changes. A different session in
            // a file that is not a child is a new session with a new counter.
            if id.is_none() || id == self.session || self.spawned {
                return;
            }
            self.prev = None;
            self.model = None;
            self.tier = ServiceTier::Standard;
            self.text = TurnText::default();
        }
        self.meta_seen = true;
        self.session = id;
        self.cwd = str_of(payload, "cwd");
        // Kept only for `--task-key`, which may name a field of it.
        self.meta_line = self.opts.task_key.is_some().then(|| line.clone());
        self.spawned = payload
            .pointer("/source/subagent/thread_spawn/parent_thread_id")
            .is_some_and(|p| p.as_str().is_some_and(|s| !s.is_empty()))
            || str_of(payload, "forked_from_id").is_some();
        if self.spawned {
            self.replay = Some(Replay {
                t0: ts.or_else(|| payload.get("timestamp").and_then(parse_timestamp)),
                last: None,
            });
        }
    }

    fn turn_context(&mut self, payload: &Value) {
        if let Some(m) = str_of(payload, "model") {
            self.model = Some(m);
        }
        if let Some(c) = str_of(payload, "cwd") {
            self.cwd = Some(c);
        }
        self.tier = match payload.get("service_tier").and_then(Value::as_str) {
            // Codex's "fast" mode is the API's priority processing.
            Some(t) if t.eq_ignore_ascii_case("fast") => ServiceTier::Priority,
            Some(t) => ServiceTier::from_logged(t),
            None => ServiceTier::Standard,
        };
    }

    fn response_item(&mut self, payload: &Value) {
        if payload.get("type").and_then(Value::as_str) != Some("message") {
            return;
        }
        let mut s = String::new();
        if let Some(c) = payload.get("content") {
            content_text(c, &mut s);
        }
        match payload.get("role").and_then(Value::as_str) {
            Some("assistant") => self.text.add_response(true, &s),
            role => self.text.add_prompt(Some(role.unwrap_or("user")), s),
        }
    }

    fn token_count(
        &mut self,
        line: &Value,
        payload: &Value,
        ts: Option<Timestamp>,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        let Some(info) = payload.get("info").filter(|i| i.is_object()) else {
            // `info: null`: a rate-limit refresh, no usage.
            out.drop_line(source, "context line");
            return Ok(());
        };
        let usage_of = |key: &str| -> Result<Option<Totals>, Skip> {
            match info.get(key).filter(|u| !u.is_null()) {
                Some(u) if u.is_object() => Totals::parse(u, &format!("info.{key}")).map(Some),
                Some(_) => Err(Skip::new(
                    "invalid usage",
                    format!("`info.{key}` is not an object"),
                )),
                None => Ok(None),
            }
        };
        let total = usage_of("total_token_usage")?;
        let last = usage_of("last_token_usage")?;
        let inc = match (total, last) {
            (Some(t), _) => {
                let s = step(self.prev, t, last);
                self.prev = Some(t);
                match s {
                    Step::Bill(inc) => inc,
                    Step::Repeat => {
                        out.drop_line(source, "repeated token count");
                        return Ok(());
                    }
                    Step::Empty => {
                        out.drop_line(source, "context line");
                        return Ok(());
                    }
                }
            }
            // No cumulative total (not seen in Codex builds, but cheap to
            // honour): the last request is all there is.
            (None, Some(l)) if !l.is_zero() => l,
            _ => {
                out.drop_line(source, "context line");
                return Ok(());
            }
        };
        let session = self.session.clone().or_else(|| path_session(&source.path));
        let mut rec = Record::new(source, Format::Codex);
        rec.provider = Some(PROVIDER.to_string());
        rec.model = first_str(info, &["model", "model_name", "metadata.model"])
            .or_else(|| first_str(payload, &["model", "metadata.model"]))
            .or_else(|| self.model.clone());
        rec.timestamp = ts;
        rec.service_tier = self.tier;
        rec.project = self.cwd.clone();
        rec.usage = Some(inc.usage());
        let mut lines = vec![line];
        lines.extend(self.meta_line.as_ref());
        rec.task = task_from(&self.opts, &lines, &[], &[]);
        if let Some(t) = total {
            let keys: Vec<String> = session
                .as_deref()
                .map(|s| t.key(s))
                .into_iter()
                .chain(ts.map(|at| t.instant_key(at)))
                .collect();
            if !keys.is_empty() {
                rec.call_id = Some(Box::new(CallId {
                    check: keys.clone(),
                    register: keys,
                    reason: DEDUP_REASON,
                }));
            }
        }
        rec.session = session;
        if let Some(text) = std::mem::take(&mut self.text).into_text() {
            attach_text(&mut rec, text)?;
        }
        out.push(rec);
        Ok(())
    }
}

/// A session id for a file without `session_meta`: its path relative to
/// `sessions/` (or `archived_sessions/`, so an archived copy gets the same
/// id) without the extension, else the file stem.
fn path_session(path: &str) -> Option<String> {
    if path == "-" {
        return None;
    }
    let p = std::path::Path::new(path);
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let rel = parts
        .iter()
        .rposition(|c| c == "sessions" || c == "archived_sessions")
        .and_then(|i| parts.get(i + 1..))
        .filter(|rest| !rest.is_empty())
        .map(|rest| rest.join("/"));
    let rel = match rel {
        Some(r) => r,
        None => return p.file_stem().map(|s| s.to_string_lossy().into_owned()),
    };
    let trimmed = match rel.rsplit_once('.') {
        Some((head, ext)) if !ext.contains('/') && !head.is_empty() => head.to_string(),
        _ => rel,
    };
    Some(trimmed)
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let Some(ty) = value.get("type").and_then(Value::as_str) else {
            return Err(unrecognized(&value, EXPECTED));
        };
        if value.get("payload").is_some() {
            self.rollout(ty, &value, source, out)
        } else if ty.contains('.') || ty == "error" {
            self.exec(ty, &value, source, out)
        } else {
            out.drop_line(source, "unknown record type");
            Ok(())
        }
    }

    fn finish(&mut self, _out: &mut Out) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::{run_parser, run_parser_out};
    use serde_json::json;

    pub(super) fn usage(input: u64, cached: u64, output: u64, reasoning: u64) -> Value {
        json!({"input_tokens": input, "cached_input_tokens": cached, "output_tokens": output,
               "reasoning_output_tokens": reasoning, "total_tokens": input + output})
    }

    pub(super) fn tc(ts: &str, total: Value, last: Value) -> Value {
        json!({"timestamp": ts, "type": "event_msg", "payload": {"type": "token_count",
               "info": {"total_token_usage": total, "last_token_usage": last, "model_context_window": 272000},
               "rate_limits": {"primary": {"used_percent": 3.0}}}})
    }

    pub(super) fn meta(ts: &str, id: &str, source: Value) -> Value {
        json!({"timestamp": ts, "type": "session_meta", "payload": {"id": id, "timestamp": ts,
               "cwd": "/w/proj", "originator": "codex_cli_rs", "cli_version": "0.50.0", "source": source}})
    }

    pub(super) fn ctx(ts: &str, model: &str) -> Value {
        json!({"timestamp": ts, "type": "turn_context", "payload": {"cwd": "/w/proj", "model": model, "effort": "medium"}})
    }

    pub(super) fn parse(lines: &[Value]) -> (Out, Vec<Skip>) {
        run_parser_out(&mut Parser::new(ParseOptions::default()), lines)
    }

    pub(super) fn buckets(r: &Record) -> [u64; 4] {
        let u = r.usage.unwrap();
        [u.input, u.cache_read, u.output, u.reasoning]
    }

    pub(super) fn reasons(out: &Out) -> Vec<&'static str> {
        out.dropped.iter().map(|(_, r)| *r).collect()
    }

    #[test]
    fn cache_writes_and_models_from_the_event() {
        let mut total = usage(5000, 3000, 100, 0);
        total["cache_write_input_tokens"] = json!(500);
        let mut line = tc("2025-10-01T10:00:05Z", total.clone(), total);
        line["payload"]["info"]["model"] = json!("gpt-5-mini");
        let (out, _) = parse(&[ctx("2025-10-01T10:00:00Z", "gpt-5"), line]);
        let u = out.records[0].usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.cache_write_5m), (1500, 3000, 500));
        assert_eq!(out.records[0].model.as_deref(), Some("gpt-5-mini"));
    }

    #[test]
    fn the_latest_turn_context_names_the_model() {
        let (out, _) = parse(&[
            ctx("2025-10-01T10:00:00Z", "gpt-5"),
            tc(
                "2025-10-01T10:00:05Z",
                usage(100, 0, 5, 0),
                usage(100, 0, 5, 0),
            ),
            json!({"timestamp": "2025-10-01T10:00:06Z", "type": "turn_context",
                   "payload": {"model": "gpt-5-mini", "cwd": "/w/other", "service_tier": "fast"}}),
            tc(
                "2025-10-01T10:00:09Z",
                usage(300, 0, 9, 0),
                usage(200, 0, 4, 0),
            ),
        ]);
        assert_eq!(out.records[0].model.as_deref(), Some("gpt-5"));
        assert_eq!(out.records[1].model.as_deref(), Some("gpt-5-mini"));
        assert_eq!(out.records[1].project.as_deref(), Some("/w/other"));
        assert_eq!(out.records[1].service_tier, ServiceTier::Priority);
        assert_eq!(out.records[0].service_tier, ServiceTier::Standard);
    }

    #[test]
    fn no_turn_context_means_no_model() {
        let (out, _) = parse(&[
            meta("2025-09-12T08:00:00Z", "old", json!("cli")),
            tc(
                "2025-09-12T08:00:05Z",
                usage(100, 0, 5, 0),
                usage(100, 0, 5, 0),
            ),
        ]);
        assert_eq!(out.records[0].model, None);
    }

    #[test]
    fn unknown_types_and_shapes() {
        let (out, skips) = parse(&[
            json!({"timestamp": "2025-10-01T10:00:00Z", "type": "workspace_snapshot", "payload": {}}),
            json!({"timestamp": "2025-10-01T10:00:00Z", "type": "event_msg", "payload": {"type": "brand_new_event"}}),
            json!({"type": "mystery"}),
            json!({"no_type": 1}),
            json!([1, 2]),
        ]);
        assert_eq!(
            reasons(&out),
            ["unknown record type", "context line", "unknown record type"]
        );
        assert_eq!(skips.len(), 2);
    }

    /// A child whose replay is stamped with the spawn instant and whose own
    /// counter starts from zero.

    #[test]
    fn task_key_reads_the_token_count_then_the_session_meta() {
        let opts = ParseOptions {
            task_key: Some("payload.git.branch".to_string()),
            ..ParseOptions::default()
        };
        let mut m = meta("2025-10-01T10:00:00Z", "s1", json!("cli"));
        m["payload"]["git"] = json!({"branch": "feat-7"});
        let (recs, _) = run_parser(
            &mut Parser::new(opts),
            &[
                m,
                tc(
                    "2025-10-01T10:00:05Z",
                    usage(10, 0, 1, 0),
                    usage(10, 0, 1, 0),
                ),
            ],
        );
        assert_eq!(recs[0].task.as_deref(), Some("feat-7"));
        let (recs, _) = parse(&[tc(
            "2025-10-01T10:00:05Z",
            usage(10, 0, 1, 0),
            usage(10, 0, 1, 0),
        )]);
        assert_eq!(recs.records[0].task, None);
    }

    #[test]
    fn session_from_the_path_without_session_meta() {
        assert_eq!(
            path_session("/h/.codex/sessions/2025/10/01/rollout-x.jsonl").as_deref(),
            Some("2025/10/01/rollout-x")
        );
        assert_eq!(
            path_session("/h/.codex/archived_sessions/2025/10/01/rollout-x.jsonl").as_deref(),
            Some("2025/10/01/rollout-x")
        );
        assert_eq!(path_session("logs/run.jsonl").as_deref(), Some("run"));
        assert_eq!(path_session("-"), None);
        let (recs, _) = run_parser(
            &mut Parser::new(ParseOptions::default()),
            &[tc(
                "2025-10-01T10:00:05Z",
                usage(10, 0, 1, 0),
                usage(10, 0, 1, 0),
            )],
        );
        assert_eq!(recs[0].session.as_deref(), Some("t"));
    }

    #[test]
    fn detection_claims_codex_lines_only() {
        assert!(detect(&meta("2025-10-01T10:00:00Z", "s", json!("cli"))));
        assert!(detect(&json!({"type": "thread.started", "thread_id": "t"})));
        assert!(detect(
            &json!({"type": "item.completed", "item": {"type": "agent_message"}})
        ));
        assert!(!detect(
            &json!({"type": "message", "role": "assistant", "content": []})
        ));
        assert!(!detect(&json!({"type": "event_msg", "payload": {}})));
        assert!(!detect(&json!({"type": "item.completed", "item": "x"})));
    }
}
