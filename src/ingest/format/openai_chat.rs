//! OpenAI Chat Completions (docs/formats.md, openai-chat).
//!
//! Lines this parser reads:
//! - request bodies (`model` + `messages`; legacy completions `prompt`),
//! - responses (`object:"chat.completion"`, or `choices[].message`),
//! - `{request, response}` wrappers (also `{input, output}` objects) with
//!   metadata beside the bodies (`timestamp`, `task_id`, `session_id`,
//!   `cost_usd`, …),
//! - request lines joined to their response lines (by a wrapper id, else
//!   first in, first out; see `call::Pending`): one record (prompt text from
//!   the request; model, timestamp and usage from the response). A request
//!   no response answers becomes a text-only record (no usage) at the end of
//!   the file,
//! - stream chunks (`object:"chat.completion.chunk"`): text and tool-call
//!   fragments are accumulated per stream `id`; usage comes only on the last
//!   chunk (`usage` non-null, `choices` empty) and the stream's single record
//!   is emitted then. A stream without that chunk is emitted at the end of
//!   the file with text only. A request line right before a stream's first
//!   chunk gives that stream its prompt text.
//!
//! Usage: `prompt_tokens` includes cached tokens (and cache writes), so
//! `input = prompt − cached − cache_write`; `completion_tokens` includes
//! reasoning, which is only recorded as the informational subset.
//!
//! A joined record's source is the line where the call starts (the request
//! line, or a stream's first chunk).

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip, anthropic::is_anthropic_request};
use crate::ingest::call::{Held, Pending, Reply, Shape, str_of};
use crate::ingest::fields::{
    envelope::envelope,
    errors::{api_error, unrecognized},
    numbers::{audio_tokens, count_field, count0},
    text::{append_json_text, append_text, content_text},
    time::parse_timestamp,
};
use crate::record::{AudioTokens, Format, Message, Record, Source, Text, Usage};

const PROVIDER: &str = "openai";
const EXPECTED: &str = "an OpenAI chat request (`model` + `messages`), a `chat.completion` response or a `chat.completion.chunk`";
/// Where OpenAI chat logs keep a task id (request body first, then wrapper).
const TASK_KEYS: &[&str] = &[
    "metadata.task_id",
    "task_id",
    "metadata.task",
    "user",
    "safety_identifier",
];
const SESSION_KEYS: &[&str] = &[
    "metadata.session_id",
    "session_id",
    "conversation_id",
    "metadata.conversation_id",
];

/// How calls of this format are assembled (see `call.rs`).
pub(crate) const SHAPE: Shape = Shape {
    format: Format::OpenAiChat,
    provider: PROVIDER,
    request_text,
    task_keys: TASK_KEYS,
    session_keys: SESSION_KEYS,
};

/// Response, stream chunk, or a `model` + `messages` request that is not
/// Anthropic's (docs/formats.md, anthropic-messages, tells them apart).
pub fn detect(v: &Value) -> bool {
    if matches!(
        v.get("object").and_then(Value::as_str),
        Some("chat.completion" | "chat.completion.chunk")
    ) {
        return true;
    }
    let choices_message = v.get("choices").and_then(Value::as_array).is_some_and(|c| {
        c.iter()
            .any(|c| c.get("message").is_some_and(Value::is_object))
    });
    let prompt_tokens = v
        .get("usage")
        .and_then(|u| u.get("prompt_tokens"))
        .is_some_and(|x| !x.is_null());
    if choices_message && prompt_tokens {
        return true;
    }
    v.get("model").is_some_and(Value::is_string)
        && v.get("messages").is_some_and(Value::is_array)
        && !is_anthropic_request(v)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Request,
    Response,
    Chunk,
}

/// What a body is, leniently (the file is already known to be chat logs).
fn classify(v: &Value) -> Option<Kind> {
    match v.get("object").and_then(Value::as_str) {
        Some("chat.completion.chunk") => return Some(Kind::Chunk),
        Some("chat.completion" | "text_completion") => return Some(Kind::Response),
        _ => {}
    }
    if let Some(choices) = v.get("choices").and_then(Value::as_array) {
        if choices.iter().any(|c| c.get("delta").is_some()) {
            return Some(Kind::Chunk);
        }
        return Some(Kind::Response);
    }
    if v.get("messages").is_some_and(Value::is_array)
        || (v.get("model").is_some() && v.get("prompt").is_some_and(Value::is_string))
    {
        return Some(Kind::Request);
    }
    let usage = v.get("usage").filter(|u| u.is_object())?;
    (usage.get("prompt_tokens").is_some() || usage.get("completion_tokens").is_some())
        .then_some(Kind::Response)
}

/// Usage of a chat response or final chunk. `None` when no counts are there.
fn usage_of(u: Option<&Value>) -> Result<Option<Usage>, Skip> {
    let Some(u) = u.filter(|u| u.is_object()) else {
        return Ok(None);
    };
    let prompt = match count_field(u, "prompt_tokens")? {
        Some(n) => Some(n),
        None => count_field(u, "input_tokens")?,
    };
    let completion = match count_field(u, "completion_tokens")? {
        Some(n) => Some(n),
        None => count_field(u, "output_tokens")?,
    };
    if prompt.is_none() && completion.is_none() {
        return Ok(None);
    }
    let pd = u
        .get("prompt_tokens_details")
        .or_else(|| u.get("input_tokens_details"))
        .unwrap_or(&Value::Null);
    let cd = u
        .get("completion_tokens_details")
        .or_else(|| u.get("output_tokens_details"))
        .unwrap_or(&Value::Null);
    Ok(Some(Usage::from_inclusive_input(
        prompt.unwrap_or(0),
        count0(pd, "cached_tokens")?,
        count0(pd, "cache_write_tokens")?,
        completion.unwrap_or(0),
        count0(cd, "reasoning_tokens")?,
    )))
}

/// All text of one chat message: content (string or parts), refusal,
/// reasoning text some compatible servers return, and tool calls (name and
/// arguments, which are billed like text).
fn message_content(m: &Value) -> String {
    let mut s = String::new();
    for key in ["reasoning_content", "reasoning"] {
        if let Some(Value::String(r)) = m.get(key) {
            append_text(&mut s, r);
        }
    }
    if let Some(c) = m.get("content") {
        content_text(c, &mut s);
    }
    if let Some(Value::String(r)) = m.get("refusal") {
        append_text(&mut s, r);
    }
    if let Some(calls) = m.get("tool_calls").and_then(Value::as_array) {
        for tc in calls {
            let f = tc
                .get("function")
                .or_else(|| tc.get("custom"))
                .unwrap_or(tc);
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                append_text(&mut s, name);
            }
            if let Some(args) = f.get("arguments").or_else(|| f.get("input")) {
                append_json_text(&mut s, args);
            }
        }
    }
    if let Some(fc) = m.get("function_call").filter(|x| x.is_object()) {
        if let Some(name) = fc.get("name").and_then(Value::as_str) {
            append_text(&mut s, name);
        }
        if let Some(args) = fc.get("arguments") {
            append_json_text(&mut s, args);
        }
    }
    s
}

/// Prompt side of a request body into `text`.
/// Prompt text of a Chat Completions request body (also used by formats
/// that embed such bodies: batch input, proxy exports).
pub(crate) fn request_text(req: &Value, text: &mut Text) {
    if let Some(msgs) = req.get("messages").and_then(Value::as_array) {
        text.has_prompt = true;
        text.chat_framing = true;
        for m in msgs {
            let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
            text.messages.push(Message {
                role: role.to_string(),
                name: m.get("name").and_then(Value::as_str).map(str::to_string),
                content: message_content(m),
            });
        }
    } else if let Some(Value::String(p)) = req.get("prompt") {
        text.has_prompt = true;
        text.messages.push(Message {
            role: "user".to_string(),
            name: None,
            content: p.clone(),
        });
    }
    if let Some(tools) = req.get("tools").and_then(Value::as_array) {
        for t in tools {
            text.tools.push(t.get("function").unwrap_or(t).to_string());
        }
    }
    if let Some(fns) = req.get("functions").and_then(Value::as_array) {
        text.tools.extend(fns.iter().map(Value::to_string));
    }
}

/// Audio tokens a chat usage reports (input and output details), which its
/// prompt and completion counts include.
fn audio_of(u: Option<&Value>) -> Result<AudioTokens, Skip> {
    audio_tokens(u, "prompt_tokens_details", "completion_tokens_details")
}

pub(crate) fn parse_reply(body: &Value) -> Result<Reply, Skip> {
    let usage = usage_of(body.get("usage"))?;
    let audio = audio_of(body.get("usage"))?;
    let mut text = String::new();
    for c in body
        .get("choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(m) = c.get("message").filter(|m| m.is_object()) {
            append_text(&mut text, &message_content(m));
        } else if let Some(Value::String(t)) = c.get("text") {
            append_text(&mut text, t);
        }
    }
    Ok(Reply {
        model: str_of(body, "model"),
        timestamp: body.get("created").and_then(parse_timestamp),
        tier: str_of(body, "service_tier"),
        usage,
        web_search: 0,
        audio,
        text,
    })
}

#[derive(Default)]
struct ChoiceAcc {
    reasoning: String,
    content: String,
    refusal: String,
    /// Tool calls by index: (name, argument fragments joined).
    calls: BTreeMap<u64, (String, String)>,
}

/// One stream being reassembled from its chunks.
struct Stream {
    source: Source,
    seq: u64,
    /// The first chunk's raw line (wrapper metadata, task, session).
    first: Value,
    request: Option<Held>,
    model: Option<String>,
    created: Option<Timestamp>,
    tier: Option<String>,
    choices: BTreeMap<u64, ChoiceAcc>,
    usage: Option<Usage>,
    audio: AudioTokens,
}

impl Stream {
    fn absorb(&mut self, chunk: &Value) {
        if self.model.is_none() {
            self.model = str_of(chunk, "model");
        }
        if self.created.is_none() {
            self.created = chunk.get("created").and_then(parse_timestamp);
        }
        if let Some(t) = str_of(chunk, "service_tier") {
            self.tier = Some(t);
        }
        let choices = chunk.get("choices").and_then(Value::as_array);
        for (pos, c) in choices.into_iter().flatten().enumerate() {
            let idx = c.get("index").and_then(Value::as_u64).unwrap_or(pos as u64);
            let acc = self.choices.entry(idx).or_default();
            let Some(d) = c.get("delta").filter(|d| d.is_object()) else {
                continue;
            };
            match d.get("content") {
                Some(Value::String(s)) => acc.content.push_str(s),
                Some(parts @ Value::Array(_)) => {
                    let mut s = String::new();
                    content_text(parts, &mut s);
                    acc.content.push_str(&s);
                }
                _ => {}
            }
            for key in ["reasoning_content", "reasoning"] {
                if let Some(Value::String(s)) = d.get(key) {
                    acc.reasoning.push_str(s);
                }
            }
            if let Some(Value::String(s)) = d.get("refusal") {
                acc.refusal.push_str(s);
            }
            let calls = d.get("tool_calls").and_then(Value::as_array);
            for (tpos, tc) in calls.into_iter().flatten().enumerate() {
                let ti = tc
                    .get("index")
                    .and_then(Value::as_u64)
                    .unwrap_or(tpos as u64);
                let f = tc.get("function").unwrap_or(tc);
                absorb_call(acc.calls.entry(ti).or_default(), f);
            }
            if let Some(fc) = d.get("function_call").filter(|x| x.is_object()) {
                absorb_call(acc.calls.entry(u64::MAX).or_default(), fc);
            }
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for acc in self.choices.values() {
            append_text(&mut s, &acc.reasoning);
            append_text(&mut s, &acc.content);
            append_text(&mut s, &acc.refusal);
            for (name, args) in acc.calls.values() {
                append_text(&mut s, name);
                append_text(&mut s, args);
            }
        }
        s
    }
}

fn absorb_call(slot: &mut (String, String), f: &Value) {
    if let Some(name) = f.get("name").and_then(Value::as_str)
        && slot.0.is_empty()
    {
        slot.0 = name.to_string();
    }
    if let Some(Value::String(a)) = f.get("arguments") {
        slot.1.push_str(a);
    }
}

pub struct Parser {
    opts: ParseOptions,
    /// Request lines waiting for their responses, oldest first.
    pending: Pending,
    /// Open streams by chunk `id`.
    streams: HashMap<String, Stream>,
    /// Streams already emitted with usage: late chunks of theirs are ignored.
    done: HashSet<String>,
    seq: u64,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            pending: Pending::default(),
            streams: HashMap::new(),
            done: HashSet::new(),
            seq: 0,
        }
    }

    fn build(
        &self,
        source: Source,
        req: Option<(&Value, &Value)>,
        resp: Option<(&Value, &Value, Reply)>,
    ) -> Result<Record, Skip> {
        SHAPE.build(&self.opts, source, req, resp)
    }

    /// An error line answers the oldest held request: it is emitted
    /// unanswered (text only).
    fn fail_oldest(&mut self, out: &mut Vec<Record>) {
        if let Some(h) = self.pending.take() {
            out.extend(SHAPE.unanswered(&self.opts, &h));
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn stream_record(&self, st: Stream) -> Result<Record, Skip> {
        let reply = Reply {
            text: st.text(),
            model: st.model,
            timestamp: st.created,
            tier: st.tier,
            usage: st.usage,
            web_search: 0,
            audio: st.audio,
        };
        let chunk_body = envelope(&st.first).response.unwrap_or(&st.first);
        let req = st.request.as_ref().map(|h| (&h.line, h.body()));
        self.build(st.source, req, Some((&st.first, chunk_body, reply)))
    }

    fn on_chunk(
        &mut self,
        line: &Value,
        chunk: &Value,
        has_own_request: bool,
        source: Source,
        out: &mut Vec<Record>,
    ) -> Result<(), Skip> {
        let id = str_of(chunk, "id").unwrap_or_default();
        if !id.is_empty() && self.done.contains(&id) {
            return Ok(());
        }
        let usage = usage_of(chunk.get("usage"));
        if !self.streams.contains_key(&id) {
            let request = if has_own_request {
                let seq = self.next_seq();
                Some(Held {
                    seq,
                    ..Held::new(line.clone(), source.clone())
                })
            } else {
                self.pending.take_for(line)
            };
            let seq = match &request {
                Some(h) => h.seq,
                None => self.next_seq(),
            };
            let source = request.as_ref().map_or(source, |h| h.source.clone());
            let st = Stream {
                source,
                seq,
                first: line.clone(),
                request,
                model: None,
                created: None,
                tier: None,
                choices: BTreeMap::new(),
                usage: None,
                audio: AudioTokens::default(),
            };
            self.streams.insert(id.clone(), st);
        }
        let Some(st) = self.streams.get_mut(&id) else {
            return Ok(());
        };
        st.absorb(chunk);
        let Some(u) = usage? else {
            return Ok(());
        };
        st.usage = Some(u);
        st.audio = audio_of(chunk.get("usage"))?;
        let choices_empty = chunk
            .get("choices")
            .and_then(Value::as_array)
            .is_none_or(|c| c.is_empty());
        if choices_empty && let Some(st) = self.streams.remove(&id) {
            if !id.is_empty() {
                self.done.insert(id);
            }
            out.push(self.stream_record(st)?);
        }
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let env = envelope(&value);
        let (req, resp) = if env.wrapped {
            (env.request, env.response)
        } else {
            match classify(&value) {
                Some(Kind::Request) => (Some(&value), None),
                Some(_) => (None, Some(&value)),
                None => {
                    if let Some(e) = api_error(&value) {
                        self.fail_oldest(&mut out.records);
                        return Err(e);
                    }
                    return Err(unrecognized(&value, EXPECTED));
                }
            }
        };
        let Some(resp) = resp else {
            // A request alone: hold it until its response comes.
            if env.wrapped
                && let Some(e) = api_error(&value)
            {
                return Err(e);
            }
            let body = req.unwrap_or(&value);
            if classify(body) != Some(Kind::Request) {
                return Err(unrecognized(body, EXPECTED));
            }
            let seq = self.next_seq();
            let held = Held {
                seq,
                ..Held::new(value, source)
            };
            SHAPE.hold(&self.opts, &mut self.pending, held, &mut out.records);
            return Ok(());
        };
        match classify(resp) {
            Some(Kind::Chunk) => {
                self.on_chunk(&value, resp, req.is_some(), source, &mut out.records)
            }
            Some(Kind::Response) => SHAPE.answer(
                &self.opts,
                &mut self.pending,
                source,
                &value,
                req,
                resp,
                parse_reply(resp),
                &mut out.records,
            ),
            Some(Kind::Request) | None => {
                // A wrapped line carries its own request: an error in it
                // answers none of the held ones.
                Err(api_error(resp)
                    .or_else(|| api_error(&value))
                    .unwrap_or_else(|| unrecognized(resp, EXPECTED)))
            }
        }
    }

    fn finish(&mut self, out: &mut Out) {
        let mut held: Vec<(u64, Record)> = Vec::new();
        for h in self.pending.drain() {
            if let Ok(rec) = SHAPE.build(
                &self.opts,
                h.source.clone(),
                Some((&h.line, h.body())),
                None,
            ) {
                held.push((h.seq, rec));
            }
        }
        let streams: Vec<Stream> = self.streams.drain().map(|(_, s)| s).collect();
        for st in streams {
            let seq = st.seq;
            if let Ok(rec) = self.stream_record(st) {
                held.push((seq, rec));
            }
        }
        held.sort_by_key(|(seq, _)| *seq);
        out.records.extend(held.into_iter().map(|(_, r)| r));
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
        json!({"model":"gpt-4o","user":"task-17","messages":[
            {"role":"developer","content":"Answer tersely."},
            {"role":"user","content":[{"type":"text","text":"Weather in Oslo?"}]},
            {"role":"assistant","content":null,"tool_calls":[{"id":"call_a1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
            {"role":"tool","tool_call_id":"call_a1","content":"{\"temp_c\":4}"}],
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]})
    }

    fn response_example() -> Value {
        json!({"id":"chatcmpl-B9x1q","object":"chat.completion","created":1735689600,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_50cad350e4",
            "choices":[{"index":0,"message":{"role":"assistant","content":"4 °C, cloudy.","refusal":null},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":1180,"completion_tokens":9,"total_tokens":1189,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})
    }

    #[test]
    fn detects_requests_responses_chunks() {
        assert!(detect(&request_example()));
        assert!(detect(&response_example()));
        assert!(detect(
            &json!({"object":"chat.completion.chunk","id":"c","choices":[]})
        ));
        assert!(!detect(
            &json!({"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})
        ));
        assert!(!detect(&json!({"foo":1})));
    }

    #[test]
    fn request_line_followed_by_response_line_is_joined() {
        let (recs, skips) = run(&[request_example(), response_example()]);
        assert!(skips.is_empty());
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.source.line, 1);
        assert_eq!(r.model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(r.task.as_deref(), Some("task-17"));
        assert_eq!(r.provider.as_deref(), Some("openai"));
        assert_eq!(r.timestamp, Some("2025-01-01T00:00:00Z".parse().unwrap()));
        let u = r.usage.unwrap();
        assert_eq!(
            (
                u.input,
                u.cache_read,
                u.cache_write_5m,
                u.output,
                u.reasoning
            ),
            (156, 1024, 0, 9, 0)
        );
        let t = r.text.as_ref().unwrap();
        assert!(t.has_prompt && t.has_response);
        assert_eq!(t.messages.len(), 4);
        assert_eq!(t.messages[0].role, "developer");
        assert_eq!(t.messages[1].content, "Weather in Oslo?");
        // content:null + tool call with JSON-string arguments.
        assert_eq!(t.messages[2].content, "get_weather\n{\"city\":\"Oslo\"}");
        assert_eq!(t.messages[3].role, "tool");
        assert_eq!(t.messages[3].content, "{\"temp_c\":4}");
        assert_eq!(t.tools.len(), 1);
        assert!(t.tools[0].starts_with("{\"name\":\"get_weather\""));
        assert_eq!(t.response, "4 °C, cloudy.");
    }

    #[test]
    fn request_without_response_is_text_only() {
        let (recs, _) = run(&[request_example(), request_example()]);
        assert_eq!(recs.len(), 2);
        for r in &recs {
            assert!(r.usage.is_none());
            let t = r.text.as_ref().unwrap();
            assert!(t.has_prompt && !t.has_response);
        }
        assert_eq!(recs[0].model.as_deref(), Some("gpt-4o"));
        assert_eq!((recs[0].source.line, recs[1].source.line), (1, 2));
    }

    #[test]
    fn content_string_vs_parts() {
        let req = json!({"model":"gpt-4o-mini","messages":[
            {"role":"user","content":"plain"},
            {"role":"user","name":"ana","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:x"}},{"type":"text","text":"b"}]}]});
        let (recs, _) = run(&[req]);
        let t = recs[0].text.as_ref().unwrap();
        assert_eq!(t.messages[0].content, "plain");
        assert_eq!(t.messages[1].content, "a\nb");
        assert_eq!(t.messages[1].name.as_deref(), Some("ana"));
    }

    #[test]
    fn wrapped_pair_with_metadata_and_cost() {
        let line = json!({"timestamp":"2025-03-04T10:00:00Z","task_id":"wrap-task","session_id":"s-1","cost_usd":0.00176,
            "request":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]},
            "response":{"object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"message":{"role":"assistant","content":"hello"}}],
                        "usage":{"prompt_tokens":"8","completion_tokens":"2"}}});
        let (recs, skips) = run(&[line]);
        assert!(skips.is_empty());
        let r = &recs[0];
        assert_eq!(r.timestamp, Some("2025-03-04T10:00:00Z".parse().unwrap()));
        assert_eq!(r.task.as_deref(), Some("wrap-task"));
        assert_eq!(r.session.as_deref(), Some("s-1"));
        assert_eq!(
            r.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.00176")
        );
        let u = r.usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.output), (8, 0, 2));
    }

    #[test]
    fn cached_present_absent_zero() {
        let mk = |details: Value| {
            json!({"object":"chat.completion","model":"gpt-4o","choices":[{"message":{"role":"assistant","content":"x"}}],
                   "usage":{"prompt_tokens":100,"completion_tokens":5,"prompt_tokens_details":details}})
        };
        let (recs, _) = run(&[
            mk(json!({"cached_tokens":64})),
            mk(Value::Null),
            mk(json!({"cached_tokens":0})),
        ]);
        let b: Vec<(u64, u64)> = recs
            .iter()
            .map(|r| {
                let u = r.usage.unwrap();
                (u.input, u.cache_read)
            })
            .collect();
        assert_eq!(b, vec![(36, 64), (100, 0), (100, 0)]);
    }

    #[test]
    fn reasoning_is_inside_completion() {
        let line = json!({"object":"chat.completion","model":"o4-mini","choices":[{"message":{"role":"assistant","content":"4"}}],
            "usage":{"prompt_tokens":20,"completion_tokens":300,"completion_tokens_details":{"reasoning_tokens":256},"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0}}});
        let (recs, _) = run(&[line]);
        let u = recs[0].usage.unwrap();
        assert_eq!((u.input, u.output, u.reasoning), (20, 300, 256));
    }

    #[test]
    fn negative_counts_skip_the_line() {
        let line = json!({"object":"chat.completion","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":-5,"completion_tokens":1}});
        let (recs, skips) = run(&[line]);
        assert!(recs.is_empty());
        assert_eq!(skips[0].reason, "invalid usage");
    }

    #[test]
    fn stream_usage_only_in_last_chunk() {
        let c = |delta: Value, finish: Value| {
            json!({"id":"chatcmpl-S1","object":"chat.completion.chunk","created":1736000000,"model":"gpt-4o-mini-2024-07-18",
                   "choices":[{"index":0,"delta":delta,"finish_reason":finish}],"usage":null})
        };
        let lines = vec![
            json!({"model":"gpt-4o-mini","stream":true,"user":"t-9","messages":[{"role":"user","content":"Count to three"}]}),
            c(json!({"role":"assistant","content":""}), Value::Null),
            c(json!({"content":"One, "}), Value::Null),
            c(json!({"content":"two, three."}), Value::Null),
            c(json!({}), json!("stop")),
            json!({"id":"chatcmpl-S1","object":"chat.completion.chunk","created":1736000000,"model":"gpt-4o-mini-2024-07-18","choices":[],
                   "usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":0}}}),
        ];
        let (recs, skips) = run(&lines);
        assert!(skips.is_empty());
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.source.line, 1);
        assert_eq!(r.task.as_deref(), Some("t-9"));
        let u = r.usage.unwrap();
        assert_eq!((u.input, u.output), (12, 6));
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.response, "One, two, three.");
        assert_eq!(t.messages[0].content, "Count to three");
    }

    #[test]
    fn stream_tool_call_fragments_and_no_usage() {
        let c = |delta: Value| {
            json!({"id":"chatcmpl-S2","object":"chat.completion.chunk","created":1736000000,"model":"gpt-4o",
                   "choices":[{"index":0,"delta":delta,"finish_reason":null}]})
        };
        let lines = vec![
            c(
                json!({"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}),
            ),
            c(json!({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})),
            c(json!({"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]})),
        ];
        let (recs, _) = run(&lines);
        assert_eq!(recs.len(), 1);
        assert!(recs[0].usage.is_none());
        assert_eq!(
            recs[0].text.as_ref().unwrap().response,
            "get_weather\n{\"city\":\"Oslo\"}"
        );
    }

    #[test]
    fn unknown_lines_skip_and_parsing_continues() {
        let (recs, skips) = run(&[
            json!({"foo":1}),
            json!({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}),
            response_example(),
        ]);
        assert_eq!(recs.len(), 1);
        assert_eq!(skips.len(), 2);
        assert_eq!(skips[0].reason, "unrecognized record");
        assert!(skips[0].detail.contains("foo"));
        assert_eq!(skips[1].reason, "api error");
    }

    /// The tier the response reports is the one that was served (OpenAI
    /// may serve a `priority` or `flex` request at the default tier): a
    /// wrapper's logged tier must not override it.
    #[test]
    fn response_tier_wins_over_wrapper_tier() {
        let line = json!({"service_tier":"priority",
            "request":{"model":"gpt-4o","service_tier":"priority","messages":[{"role":"user","content":"hi"}]},
            "response":{"object":"chat.completion","model":"gpt-4o-2024-08-06","service_tier":"default",
                        "choices":[{"message":{"role":"assistant","content":"yo"}}],"usage":{"prompt_tokens":10,"completion_tokens":2}}});
        let (recs, _) = run(&[line]);
        assert_eq!(recs[0].service_tier, crate::record::ServiceTier::Standard);
        // Without a tier in the response, the wrapper's is used.
        let line = json!({"service_tier":"flex",
            "request":{"model":"o3","messages":[{"role":"user","content":"hi"}]},
            "response":{"object":"chat.completion","model":"o3-2025-04-16",
                        "choices":[{"message":{"role":"assistant","content":"yo"}}],"usage":{"prompt_tokens":10,"completion_tokens":2}}});
        let (recs, _) = run(&[line]);
        assert_eq!(recs[0].service_tier, crate::record::ServiceTier::Flex);
    }

    #[test]
    fn response_without_usage_or_text_is_skipped() {
        let (recs, skips) =
            run(&[json!({"object":"chat.completion","model":"gpt-4o","choices":[]})]);
        assert!(recs.is_empty());
        assert_eq!(skips[0].reason, "no usage");
    }
}
