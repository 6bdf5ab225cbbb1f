//! Anthropic Messages API, format `anthropic-messages` (docs/formats.md,
//! anthropic-messages).
//!
//! Lines this parser reads:
//! - requests (`model` + `messages`, with top-level `system`/`max_tokens` or
//!   Anthropic block types; `system` is a string or text blocks),
//! - responses (`type:"message"`, `role:"assistant"`, `content[]`, `usage`),
//! - `{request, response}` wrappers and request lines joined to their
//!   response lines (by a wrapper id, else first in, first out),
//! - streaming event logs, one event per line (also wrapped as
//!   `{"event":{…}}` or `{"data":{…}}` beside metadata): `message_start`
//!   (usage with input and cache counts), `content_block_start` /
//!   `content_block_delta` (`text_delta`, `thinking_delta`,
//!   `input_json_delta.partial_json`), `message_delta` (usage counts are
//!   cumulative: each field the last event gives replaces the earlier one, even when it goes down), `message_stop`
//!   (emits the call's one record). `ping` and `content_block_stop` bill
//!   nothing. A stream cut short (no `message_stop`) is emitted when the next
//!   `message_start` comes or the file ends, with the usage seen so far.
//!   Events are assumed to come one stream at a time, as a stream is logged.
//! - `error` events/bodies are skipped as `api error`; a request directly
//!   followed by an error is dropped with it (nothing was billed).
//!
//! Usage is additive: `input_tokens` excludes cache reads and writes.
//! Cache writes are `cache_creation_input_tokens`, split by TTL with the
//! `cache_creation.ephemeral_{5m,1h}_input_tokens` breakdown as
//! [`Usage::with_cache_writes`] does for every Anthropic-shaped log. Reasoning is `output_tokens_details.thinking_tokens`, a subset
//! of `output_tokens`, never added to it.
//!
//! Task id defaults: `metadata.task_id`, `task_id`, `metadata.user_id`
//! (the only metadata field the API accepts), on the bodies then the wrapper.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::call::{Held, Pending, Reply, Shape, str_of};
use crate::ingest::fields::{
    envelope::envelope,
    errors::{api_error, unrecognized},
    numbers::count_field,
    text::{append_json_text, append_text, content_text},
    time::{WRAPPER_TIME_KEYS, time_of},
};
use crate::record::{AudioTokens, Format, Message, Record, Source, Text, Usage};

const PROVIDER: &str = "anthropic";
const EXPECTED: &str = "an Anthropic Messages request (`model` + `messages`), a `type:\"message\"` response or a stream event";
const TASK_KEYS: &[&str] = &["metadata.task_id", "task_id", "metadata.user_id"];
const SESSION_KEYS: &[&str] = &["metadata.session_id", "session_id", "conversation_id"];

/// How calls of this format are assembled (see `call.rs`).
pub(crate) const SHAPE: Shape = Shape {
    format: Format::AnthropicMessages,
    provider: PROVIDER,
    request_text,
    task_keys: TASK_KEYS,
    session_keys: SESSION_KEYS,
};
const STREAM_EVENTS: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
];

pub fn detect(v: &Value) -> bool {
    if stream_event(v).is_some() {
        return true;
    }
    if is_response(v) && v.get("choices").is_none() {
        return true;
    }
    v.get("model").is_some_and(Value::is_string) && is_anthropic_request(v)
}

/// Whether a `model` + `messages` request body is Anthropic's
/// (docs/formats.md, anthropic-messages). Strong signals of either side win over
/// the model name; `max_tokens` alone is Anthropic only when the model is
/// not an OpenAI one (OpenAI requests often set it too).
pub fn is_anthropic_request(v: &Value) -> bool {
    let Some(msgs) = v.get("messages").and_then(Value::as_array) else {
        return false;
    };
    let has = |k: &str| v.get(k).is_some_and(|x| !x.is_null());
    if has("system") || has("anthropic_version") || has("stop_sequences") || has("top_k") {
        return true;
    }
    if v.get("thinking").is_some_and(Value::is_object) {
        return true;
    }
    let tools = v.get("tools").and_then(Value::as_array);
    if tools.is_some_and(|t| t.iter().any(|t| t.get("input_schema").is_some())) {
        return true;
    }
    let blocks = || {
        msgs.iter()
            .filter_map(|m| m.get("content").and_then(Value::as_array))
            .flatten()
            .filter_map(|b| b.get("type").and_then(Value::as_str))
    };
    const ANTHROPIC_BLOCKS: &[&str] = &[
        "tool_use",
        "tool_result",
        "thinking",
        "redacted_thinking",
        "server_tool_use",
        "web_search_tool_result",
        "document",
        "search_result",
    ];
    if blocks().any(|t| ANTHROPIC_BLOCKS.contains(&t)) {
        return true;
    }
    // OpenAI-only shapes.
    let openai_roles = msgs.iter().any(|m| {
        matches!(
            m.get("role").and_then(Value::as_str),
            Some("system" | "developer" | "tool" | "function")
        ) || m.get("tool_calls").is_some()
            || m.get("function_call").is_some()
    });
    let openai_parts = blocks().any(|t| matches!(t, "image_url" | "input_audio" | "file"));
    let openai_keys = [
        "max_completion_tokens",
        "response_format",
        "stream_options",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "n",
        "seed",
        "functions",
    ]
    .iter()
    .any(|k| has(k));
    let openai_tools = tools.is_some_and(|t| {
        t.iter()
            .any(|t| t.get("function").is_some_and(Value::is_object))
    });
    if openai_roles || openai_parts || openai_keys || openai_tools {
        return false;
    }
    let model = v
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    if model.contains("claude") {
        return true;
    }
    let openai_model = [
        "gpt-", "chatgpt", "o1", "o3", "o4", "ft:", "gemini", "openai/",
    ]
    .iter()
    .any(|p| model.starts_with(p));
    !openai_model && has("max_tokens")
}

fn is_response(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("message")
        && v.get("role").and_then(Value::as_str) == Some("assistant")
        && v.get("content").is_some_and(Value::is_array)
}

/// The event of a stream line: the line itself, or its `event`/`data`
/// object when the logger wrapped it.
fn stream_event(v: &Value) -> Option<(&str, &Value)> {
    fn is_event(e: &Value) -> Option<&str> {
        e.get("type")
            .and_then(Value::as_str)
            .filter(|t| STREAM_EVENTS.contains(t))
            .filter(|t| *t != "message_start" || e.get("message").is_some_and(Value::is_object))
    }
    if let Some(t) = is_event(v) {
        return Some((t, v));
    }
    for key in ["event", "data"] {
        if let Some(e) = v.get(key).filter(|e| e.is_object())
            && let Some(t) = is_event(e)
        {
            return Some((t, e));
        }
    }
    None
}

/// Usage counts as logged; `None` means the field was absent.
#[derive(Clone, Copy, Debug, Default)]
struct AUsage {
    input: Option<u64>,
    cache_read: Option<u64>,
    cache_creation: Option<u64>,
    write_5m: Option<u64>,
    write_1h: Option<u64>,
    output: Option<u64>,
    thinking: Option<u64>,
    web_search: Option<u64>,
}

impl AUsage {
    fn parse(u: &Value) -> Result<AUsage, Skip> {
        let cc = u.get("cache_creation").unwrap_or(&Value::Null);
        let od = u.get("output_tokens_details").unwrap_or(&Value::Null);
        let st = u.get("server_tool_use").unwrap_or(&Value::Null);
        Ok(AUsage {
            input: count_field(u, "input_tokens")?,
            cache_read: count_field(u, "cache_read_input_tokens")?,
            cache_creation: count_field(u, "cache_creation_input_tokens")?,
            write_5m: count_field(cc, "ephemeral_5m_input_tokens")?,
            write_1h: count_field(cc, "ephemeral_1h_input_tokens")?,
            output: count_field(u, "output_tokens")?,
            thinking: count_field(od, "thinking_tokens")?,
            web_search: count_field(st, "web_search_requests")?,
        })
    }

    fn present(&self) -> bool {
        self.input.is_some()
            || self.output.is_some()
            || self.cache_read.is_some()
            || self.cache_creation.is_some()
            || self.write_5m.is_some()
            || self.write_1h.is_some()
    }

    /// Stream counts are cumulative (Anthropic's streaming docs): each
    /// field a later event gives replaces the earlier value, also when it
    /// goes down (a compaction stream ends with cache reads at 0); a field
    /// it leaves out keeps the earlier value.
    fn merge_latest(&mut self, o: &AUsage) {
        fn set(a: &mut Option<u64>, b: Option<u64>) {
            if b.is_some() {
                *a = b;
            }
        }
        set(&mut self.input, o.input);
        set(&mut self.cache_read, o.cache_read);
        set(&mut self.cache_creation, o.cache_creation);
        set(&mut self.write_5m, o.write_5m);
        set(&mut self.write_1h, o.write_1h);
        set(&mut self.output, o.output);
        set(&mut self.thinking, o.thinking);
        set(&mut self.web_search, o.web_search);
    }

    fn usage(&self) -> Option<Usage> {
        if !self.present() {
            return None;
        }
        let output = self.output.unwrap_or(0);
        let usage = Usage {
            input: self.input.unwrap_or(0),
            cache_read: self.cache_read.unwrap_or(0),
            output,
            reasoning: self.thinking.unwrap_or(0).min(output),
            ..Usage::default()
        };
        Some(usage.with_cache_writes(
            self.cache_creation.unwrap_or(0),
            self.write_5m,
            self.write_1h,
        ))
    }
}

fn request_text(req: &Value, text: &mut Text) {
    let mut system = String::new();
    if let Some(s) = req.get("system") {
        content_text(s, &mut system);
    }
    if !system.is_empty() {
        text.messages.push(Message {
            role: "system".to_string(),
            name: None,
            content: system,
        });
    }
    if let Some(msgs) = req.get("messages").and_then(Value::as_array) {
        text.has_prompt = true;
        for m in msgs {
            let mut content = String::new();
            if let Some(c) = m.get("content") {
                content_text(c, &mut content);
            }
            text.messages.push(Message {
                role: m
                    .get("role")
                    .and_then(Value::as_str)
                    .unwrap_or("user")
                    .to_string(),
                name: None,
                content,
            });
        }
    }
    if let Some(tools) = req.get("tools").and_then(Value::as_array) {
        text.tools.extend(tools.iter().map(Value::to_string));
    }
}

/// The response side of one call.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    model: Option<String>,
    usage: AUsage,
    tier: Option<String>,
    text: String,
}

impl Parsed {
    pub(crate) fn into_reply(self) -> Reply {
        Reply {
            model: self.model,
            timestamp: None,
            tier: self.tier,
            usage: self.usage.usage(),
            web_search: self.usage.web_search.unwrap_or(0),
            audio: AudioTokens::default(),
            text: self.text,
        }
    }
}

pub(crate) fn parse_message(body: &Value) -> Result<Parsed, Skip> {
    let usage = match body.get("usage").filter(|u| u.is_object()) {
        Some(u) => AUsage::parse(u)?,
        None => AUsage::default(),
    };
    let mut text = String::new();
    if let Some(c) = body.get("content") {
        content_text(c, &mut text);
    }
    Ok(Parsed {
        model: str_of(body, "model"),
        tier: body.get("usage").and_then(|u| str_of(u, "service_tier")),
        usage,
        text,
    })
}

/// A content block being reassembled from stream deltas.
#[derive(Default)]
struct Block {
    head: String,
    body: String,
    /// `input` of a `tool_use` start, used when no `input_json_delta` came.
    start_input: Option<String>,
}

/// One stream being reassembled from its events.
struct Stream {
    source: Source,
    /// The first event's raw line (wrapper metadata).
    first: Value,
    request: Option<Held>,
    model: Option<String>,
    tier: Option<String>,
    timestamp: Option<jiff::Timestamp>,
    usage: AUsage,
    /// A `message_start` or `message_delta` of this stream had invalid counts.
    usage_invalid: bool,
    blocks: BTreeMap<u64, Block>,
}

impl Stream {
    fn text(&self) -> String {
        let mut s = String::new();
        for b in self.blocks.values() {
            append_text(&mut s, &b.head);
            if b.body.is_empty() {
                if let Some(i) = &b.start_input {
                    append_text(&mut s, i);
                }
            } else {
                append_text(&mut s, &b.body);
            }
        }
        s
    }
}

pub struct Parser {
    opts: ParseOptions,
    /// Request lines waiting for their responses, oldest first.
    pending: Pending,
    stream: Option<Stream>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            pending: Pending::default(),
            stream: None,
        }
    }

    fn build(
        &self,
        source: Source,
        req: Option<(&Value, &Value)>,
        resp: Option<(&Value, &Value, Parsed)>,
    ) -> Result<Record, Skip> {
        let resp = resp.map(|(line, body, reply)| (line, body, reply.into_reply()));
        SHAPE.build(&self.opts, source, req, resp)
    }

    /// Emit the held requests as text-only records.
    fn flush_pending(&mut self, out: &mut Vec<Record>) {
        SHAPE.flush(&self.opts, &mut self.pending, out);
    }

    fn stream_record(&self, st: Stream) -> Result<Record, Skip> {
        let text = st.text();
        let mut usage = st.usage;
        if st.usage_invalid {
            usage = AUsage::default();
        }
        let reply = Parsed {
            model: st.model,
            usage,
            tier: st.tier,
            text,
        };
        let req = st.request.as_ref().map(|h| (&h.line, h.body()));
        let mut rec = self.build(st.source, req, Some((&st.first, &st.first, reply)))?;
        if st.timestamp.is_some() {
            rec.timestamp = st.timestamp;
        }
        Ok(rec)
    }

    fn flush_stream(&mut self, out: &mut Vec<Record>) {
        if let Some(st) = self.stream.take()
            && let Ok(rec) = self.stream_record(st)
        {
            out.push(rec);
        }
    }

    fn on_event(
        &mut self,
        kind: &str,
        line: &Value,
        ev: &Value,
        source: Source,
        out: &mut Vec<Record>,
    ) -> Result<(), Skip> {
        if self.stream.is_none() && matches!(kind, "content_block_stop" | "message_stop") {
            return Ok(());
        }
        if kind == "message_start" || self.stream.is_none() {
            self.flush_stream(out);
            let request = self.pending.take_for(line);
            let source = request.as_ref().map_or(source, |h| h.source.clone());
            self.stream = Some(Stream {
                source,
                first: line.clone(),
                request,
                model: None,
                tier: None,
                timestamp: None,
                usage: AUsage::default(),
                usage_invalid: false,
                blocks: BTreeMap::new(),
            });
        }
        let Some(st) = self.stream.as_mut() else {
            return Ok(());
        };
        if st.timestamp.is_none() {
            st.timestamp = time_of(&[line], WRAPPER_TIME_KEYS);
        }
        let index = ev.get("index").and_then(Value::as_u64).unwrap_or(0);
        match kind {
            "message_start" => {
                let msg = ev.get("message").unwrap_or(&Value::Null);
                st.model = str_of(msg, "model");
                if let Some(u) = msg.get("usage").filter(|u| u.is_object()) {
                    st.tier = str_of(u, "service_tier");
                    match AUsage::parse(u) {
                        Ok(u) => st.usage.merge_latest(&u),
                        Err(e) => {
                            st.usage_invalid = true;
                            return Err(e);
                        }
                    }
                }
            }
            "content_block_start" => {
                let cb = ev.get("content_block").unwrap_or(&Value::Null);
                let b = st.blocks.entry(index).or_default();
                match cb.get("type").and_then(Value::as_str) {
                    Some("tool_use" | "server_tool_use" | "mcp_tool_use") => {
                        if let Some(n) = cb.get("name").and_then(Value::as_str) {
                            b.head = n.to_string();
                        }
                        let input = cb.get("input").filter(|i| {
                            !i.is_null() && i.as_object().is_none_or(|o| !o.is_empty())
                        });
                        if let Some(i) = input {
                            let mut s = String::new();
                            append_json_text(&mut s, i);
                            b.start_input = Some(s);
                        }
                    }
                    Some("text") | Some("thinking") => {
                        for key in ["text", "thinking"] {
                            if let Some(Value::String(s)) = cb.get(key) {
                                b.body.push_str(s);
                            }
                        }
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let d = ev.get("delta").unwrap_or(&Value::Null);
                let frag = match d.get("type").and_then(Value::as_str) {
                    Some("text_delta") => d.get("text"),
                    Some("thinking_delta") => d.get("thinking"),
                    Some("input_json_delta") => d.get("partial_json"),
                    _ => None,
                };
                if let Some(Value::String(s)) = frag {
                    st.blocks.entry(index).or_default().body.push_str(s);
                }
            }
            "message_delta" => {
                if let Some(u) = ev.get("usage").filter(|u| u.is_object()) {
                    if let Some(t) = str_of(u, "service_tier") {
                        st.tier = Some(t);
                    }
                    match AUsage::parse(u) {
                        Ok(u) => st.usage.merge_latest(&u),
                        Err(e) => {
                            st.usage_invalid = true;
                            return Err(e);
                        }
                    }
                }
            }
            "message_stop" => {
                if let Some(st) = self.stream.take() {
                    out.push(self.stream_record(st)?);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if let Some((kind, ev)) = stream_event(&value) {
            return self.on_event(kind, &value, ev, source, &mut out.records);
        }
        let inner_type = |v: &Value| v.get("type").and_then(Value::as_str).map(str::to_string);
        let ty = inner_type(&value).or_else(|| value.get("event").and_then(inner_type));
        match ty.as_deref() {
            Some("ping") => return Ok(()),
            Some("error") => {
                // The oldest held request failed: nothing was billed for it.
                self.pending.take_for(&value);
                let err = value
                    .get("event")
                    .filter(|e| e.is_object())
                    .unwrap_or(&value);
                return Err(api_error(err).unwrap_or_else(|| unrecognized(&value, EXPECTED)));
            }
            _ => {}
        }
        let env = envelope(&value);
        let (req, resp) = if env.wrapped {
            (env.request, env.response)
        } else if value.get("type").and_then(Value::as_str) == Some("message") {
            (None, Some(&value))
        } else if value.get("messages").is_some_and(Value::is_array) {
            (Some(&value), None)
        } else {
            // Not this format's line: the held requests keep waiting.
            return Err(match ty {
                Some(t) => Skip::new(
                    "unrecognized record",
                    format!(
                        "unknown Anthropic record type `{t}`; expected a request, a message or a stream event"
                    ),
                ),
                None => api_error(&value).unwrap_or_else(|| unrecognized(&value, EXPECTED)),
            });
        };
        self.flush_stream(&mut out.records);
        match resp {
            Some(resp) if resp.get("type").and_then(Value::as_str) == Some("message") => SHAPE
                .answer(
                    &self.opts,
                    &mut self.pending,
                    source,
                    &value,
                    req,
                    resp,
                    parse_message(resp).map(Parsed::into_reply),
                    &mut out.records,
                ),
            Some(resp) => {
                // A wrapped line carries its own request: an error in it
                // answers none of the held ones.
                Err(api_error(resp)
                    .or_else(|| api_error(&value))
                    .unwrap_or_else(|| unrecognized(resp, EXPECTED)))
            }
            None => {
                if env.wrapped
                    && let Some(e) = api_error(&value)
                {
                    return Err(e);
                }
                let body = req.unwrap_or(&value);
                if !body.get("messages").is_some_and(Value::is_array) {
                    return Err(unrecognized(body, EXPECTED));
                }
                let held = Held::new(value, source);
                SHAPE.hold(&self.opts, &mut self.pending, held, &mut out.records);
                Ok(())
            }
        }
    }

    fn finish(&mut self, out: &mut Out) {
        // Whichever was started first comes first.
        let stream_first = match (&self.stream, self.pending.front()) {
            (Some(s), Some(p)) => s.source.line <= p.source.line,
            _ => true,
        };
        if stream_first {
            self.flush_stream(&mut out.records);
            self.flush_pending(&mut out.records);
        } else {
            self.flush_pending(&mut out.records);
            self.flush_stream(&mut out.records);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(lines: &[Value]) -> (Vec<Record>, Vec<Skip>) {
        super::super::run_parser(&mut Parser::new(ParseOptions::default()), lines)
    }

    fn request_example() -> Value {
        json!({"model":"claude-sonnet-4-5","max_tokens":1024,
            "system":[{"type":"text","text":"You review code.","cache_control":{"type":"ephemeral"}}],
            "metadata":{"user_id":"u-42"},
            "messages":[{"role":"user","content":"Review utils.py"},
                {"role":"assistant","content":[{"type":"thinking","thinking":"Need the file.","signature":"EqQBCkgI"},{"type":"tool_use","id":"toolu_01A","name":"read_file","input":{"path":"utils.py"}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A","content":"def add(a, b): return a + b"}]}]})
    }

    fn response_example() -> Value {
        json!({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
            "content":[{"type":"text","text":"Fine; add type hints."}],"stop_reason":"end_turn","stop_sequence":null,
            "usage":{"input_tokens":42,"cache_creation_input_tokens":1800,"cache_read_input_tokens":0,
                     "cache_creation":{"ephemeral_5m_input_tokens":1800,"ephemeral_1h_input_tokens":0},"output_tokens":57,
                     "service_tier":"standard","server_tool_use":{"web_search_requests":0,"web_fetch_requests":0}}})
    }

    fn buckets(u: Usage) -> (u64, u64, u64, u64, u64, u64) {
        (
            u.input,
            u.cache_read,
            u.cache_write_5m,
            u.cache_write_1h,
            u.output,
            u.reasoning,
        )
    }

    #[test]
    fn detection() {
        assert!(detect(&request_example()));
        assert!(detect(&response_example()));
        assert!(detect(
            &json!({"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"usage":{"input_tokens":1,"output_tokens":1}}})
        ));
        assert!(detect(&json!({"type":"message_stop"})));
        assert!(!detect(
            &json!({"model":"gpt-4o","messages":[{"role":"system","content":"x"}]})
        ));
        assert!(!detect(&json!({"type":"ping"})));
    }

    #[test]
    fn request_then_response_joined_system_blocks_thinking() {
        let (recs, skips) = run(&[request_example(), response_example()]);
        assert!(skips.is_empty());
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.source.line, 1);
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(r.task.as_deref(), Some("u-42"));
        assert_eq!(r.provider.as_deref(), Some("anthropic"));
        assert_eq!(buckets(r.usage.unwrap()), (42, 0, 1800, 0, 57, 0));
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.messages[0].role, "system");
        assert_eq!(t.messages[0].content, "You review code.");
        assert_eq!(
            t.messages[2].content,
            "Need the file.\nread_file\n{\"path\":\"utils.py\"}"
        );
        assert_eq!(t.messages[3].content, "def add(a, b): return a + b");
        assert_eq!(t.response, "Fine; add type hints.");
    }

    #[test]
    fn system_as_string_and_redacted_thinking_response() {
        let req = json!({"model":"claude-haiku-4-5","max_tokens":50,"system":"Be terse.","messages":[{"role":"user","content":"Hi"}]});
        let resp = json!({"type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[
            {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"},
            {"type":"thinking","thinking":"Greeting.","signature":"sig"},
            {"type":"text","text":"Hello."}],
            "usage":{"input_tokens":12,"output_tokens":90,"output_tokens_details":{"thinking_tokens":70}}});
        let (recs, _) =
            run(&[json!({"request":req,"response":resp,"timestamp":"2025-05-01T12:00:00Z"})]);
        let r = &recs[0];
        assert_eq!(r.timestamp, Some("2025-05-01T12:00:00Z".parse().unwrap()));
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.messages[0].content, "Be terse.");
        assert_eq!(t.response, "Greeting.\nHello.");
        assert_eq!(buckets(r.usage.unwrap()), (12, 0, 0, 0, 90, 70));
    }

    #[test]
    fn one_hour_vs_five_minute_writes() {
        let mk = |u: Value| json!({"type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":u});
        let (recs, _) = run(&[
            mk(
                json!({"input_tokens":10,"cache_creation_input_tokens":3000,"cache_read_input_tokens":500,
                      "cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000},"output_tokens":5}),
            ),
            mk(json!({"input_tokens":10,"cache_creation_input_tokens":3000,"output_tokens":5})),
            mk(json!({"input_tokens":10,"output_tokens":5})),
            mk(
                json!({"input_tokens":10,"cache_read_input_tokens":0,"cache_creation_input_tokens":0,"output_tokens":5}),
            ),
        ]);
        assert_eq!(buckets(recs[0].usage.unwrap()), (10, 500, 1000, 2000, 5, 0));
        assert_eq!(buckets(recs[1].usage.unwrap()), (10, 0, 3000, 0, 5, 0));
        assert_eq!(buckets(recs[2].usage.unwrap()), (10, 0, 0, 0, 5, 0));
        assert_eq!(buckets(recs[3].usage.unwrap()), (10, 0, 0, 0, 5, 0));
    }

    #[test]
    fn stream_with_cumulative_message_delta() {
        let lines = vec![
            json!({"type":"message_start","timestamp":"2025-06-02T08:00:00Z","message":{"id":"msg_S1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],
                "usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":4096,"output_tokens":1,"service_tier":"standard"}}}),
            json!({"type":"ping"}),
            json!({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Check "}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"the file."}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}),
            json!({"type":"content_block_stop","index":0}),
            json!({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}),
            json!({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Reading "}}),
            json!({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"it now."}}),
            json!({"type":"content_block_stop","index":1}),
            json!({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"read_file","input":{}}}),
            json!({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"path\":"}}),
            json!({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"a.py\"}"}}),
            json!({"type":"content_block_stop","index":2}),
            json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":40}}),
            json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":89}}),
            json!({"type":"message_stop"}),
        ];
        let (recs, skips) = run(&lines);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.timestamp, Some("2025-06-02T08:00:00Z".parse().unwrap()));
        assert_eq!(buckets(r.usage.unwrap()), (25, 4096, 0, 0, 89, 0));
        assert_eq!(
            r.text.as_ref().unwrap().response,
            "Check the file.\nReading it now.\nread_file\n{\"path\":\"a.py\"}"
        );
    }

    /// `message_delta.usage` is cumulative and replaces `message_start`'s
    /// values, also when one goes down (Anthropic's streaming docs; a
    /// compaction stream reports the cache read at start and 0 at the end).
    /// The same call unstreamed gives the same usage.
    #[test]
    fn stream_usage_is_the_last_event_not_the_largest() {
        let lines = vec![
            json!({"type":"message_start","message":{"id":"msg_C1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],
                "usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":55096,"output_tokens":1}}}),
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Summary."}}),
            json!({"type":"content_block_stop","index":0}),
            json!({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2210}}),
            json!({"type":"message_stop"}),
        ];
        let (recs, skips) = run(&lines);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(buckets(recs[0].usage.unwrap()), (3, 0, 0, 0, 2210, 0));
        let whole = json!({"id":"msg_C1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
            "content":[{"type":"text","text":"Summary."}],"stop_reason":"end_turn",
            "usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2210}});
        let (one, _) = run(&[whole]);
        assert_eq!(one[0].usage, recs[0].usage);
    }

    #[test]
    fn error_event_and_unknown_lines_skip() {
        let (recs, skips) = run(&[
            json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
            json!({"foo":1}),
            json!({"type":"mystery_event","x":1}),
            response_example(),
        ]);
        assert_eq!(recs.len(), 1);
        assert_eq!(skips.len(), 3);
        assert_eq!(skips[0].reason, "api error");
        assert!(skips[0].detail.contains("overloaded_error"));
        assert_eq!(skips[1].reason, "unrecognized record");
        assert!(skips[2].detail.contains("mystery_event"));
    }

    #[test]
    fn numbers_as_strings_and_negative_counts() {
        let mk = |u: Value| json!({"type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"x"}],"usage":u});
        let (recs, skips) = run(&[
            mk(json!({"input_tokens":"42","cache_read_input_tokens":"100","output_tokens":"7"})),
            mk(json!({"input_tokens":-3,"output_tokens":7})),
        ]);
        assert_eq!(recs.len(), 1);
        assert_eq!(buckets(recs[0].usage.unwrap()), (42, 100, 0, 0, 7, 0));
        assert_eq!(skips[0].reason, "invalid usage");
    }

    #[test]
    fn web_search_and_tier() {
        let resp = json!({"type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],
            "usage":{"input_tokens":100,"output_tokens":20,"service_tier":"batch","server_tool_use":{"web_search_requests":3}}});
        let (recs, _) = run(&[resp]);
        assert_eq!(recs[0].web_search_requests, 3);
        assert_eq!(recs[0].service_tier, crate::record::ServiceTier::Batch);
    }

    #[test]
    fn request_without_response_is_text_only() {
        let (recs, _) = run(&[request_example()]);
        assert_eq!(recs.len(), 1);
        assert!(recs[0].usage.is_none());
        assert_eq!(recs[0].model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(recs[0].text.as_ref().unwrap().tools.len(), 0);
    }

    #[test]
    fn anthropic_vs_openai_requests() {
        let a = |v: Value| is_anthropic_request(&v);
        assert!(a(json!({"model":"x","system":"s","messages":[]})));
        assert!(a(
            json!({"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]})
        ));
        assert!(a(
            json!({"model":"proxy-alias","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})
        ));
        assert!(!a(
            json!({"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})
        ));
        assert!(!a(
            json!({"model":"x","messages":[{"role":"system","content":"s"}]})
        ));
        assert!(a(
            json!({"model":"x","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}]})
        ));
    }
}
