//! Google Gemini `generateContent` (Gemini API and Vertex AI;
//! docs/formats.md, gemini), camelCase REST JSON and the snake_case
//! dumps of the Python `google-genai` SDK alike.
//!
//! Lines this parser reads:
//! - responses: `candidates[]` and/or `usageMetadata` / `usage_metadata`,
//! - requests: `contents` (+ `systemInstruction`, `tools[].functionDeclarations`,
//!   also under the SDK's `config`),
//! - `{request, response}` wrappers, where the model is often only in the
//!   wrapper: a `model` key or a URL path (`…/models/gemini-2.5-flash:generateContent`
//!   in `url`/`path`/`endpoint`); a wrapper whose `response` is an array of
//!   stream chunks; Gemini Batch lines `{key, request|response}` (batch tier),
//! - request lines joined to their response lines (by a wrapper id, else
//!   first in, first out),
//! - stream chunks (`streamGenerateContent` logged one chunk per line or as
//!   a JSON array): consecutive responses with the same `responseId` are one
//!   call; text is concatenated and the last chunk's usage is the call's
//!   total. A response is emitted when the next line shows it is
//!   complete (another id, a request, the end of the file).
//!
//! Usage: `promptTokenCount` includes `cachedContentTokenCount`;
//! `toolUsePromptTokenCount` is extra input; `thoughtsTokenCount` is outside
//! `candidatesTokenCount` and billed as output. Hence
//! `input = prompt − cached + toolUse`, `cache_read = cached`,
//! `output = candidates + thoughts`, `reasoning = thoughts`. Fields are
//! omitted when zero. Response text covers every candidate (all are billed),
//! thought parts included, and function calls (name + args).

use jiff::Timestamp;
use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::call::{Held, Pending, Reply, Shape};
use crate::ingest::fields::{
    envelope::envelope,
    errors::{api_error, unrecognized},
    lookup::first_str,
    numbers::count_field,
    text::{append_json_text, append_text},
    time::parse_timestamp,
};
use crate::record::{AudioTokens, Format, Message, Record, ServiceTier, Source, Text, Usage};

const PROVIDER: &str = "google";
const EXPECTED: &str =
    "a Gemini generateContent request (`contents`) or response (`candidates` / `usageMetadata`)";
const TASK_KEYS: &[&str] = &[
    "task_id",
    "metadata.task_id",
    "labels.task_id",
    "labels.task",
];
const SESSION_KEYS: &[&str] = &[
    "session_id",
    "metadata.session_id",
    "labels.session_id",
    "conversation_id",
];

/// How calls of this format are assembled (see `call.rs`).
const SHAPE: Shape = Shape {
    format: Format::Gemini,
    provider: PROVIDER,
    request_text,
    task_keys: TASK_KEYS,
    session_keys: SESSION_KEYS,
};
/// Wrapper keys that may hold the request URL (model in its path).
const URL_KEYS: &[&str] = &["url", "path", "endpoint", "uri", "request_url", "api_url"];

pub fn detect(v: &Value) -> bool {
    v.get("candidates").is_some_and(Value::is_array)
        || usage_meta(v).is_some()
        || v.get("contents")
            .and_then(Value::as_array)
            .is_some_and(|c| {
                c.iter()
                    .any(|c| c.get("parts").is_some_and(Value::is_array))
            })
}

/// A Vertex AI request-response logging row (the BigQuery table of a
/// Gemini endpoint, exported as JSON): `full_request`/`full_response` (or
/// the older `request_payload`/`response_payload` string lists) beside the
/// table's own columns.
pub fn is_vertex_row(v: &Value) -> bool {
    (v.get("full_response").is_some() || v.get("response_payload").is_some())
        && [
            "logging_time",
            "api_method",
            "deployed_model_id",
            "endpoint",
        ]
        .iter()
        .any(|k| v.get(*k).is_some())
}

/// A JSON column as exported: an object, or the same as a JSON string.
fn json_column(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

/// The row as the `{request, response}` wrapper this parser reads: the
/// model column (`publishers/google/models/gemini-…` or a bare id) as the
/// wrapper's model, `logging_time` as its timestamp, a streamed call's
/// payloads as its chunks.
fn vertex_wrapper(row: &Value) -> Value {
    let request = row
        .get("full_request")
        .and_then(json_column)
        .or_else(|| {
            row.get("request_payload")
                .and_then(Value::as_array)
                .and_then(|p| p.first())
                .and_then(json_column)
        })
        .unwrap_or(Value::Null);
    let response = match row.get("full_response").and_then(json_column) {
        Some(r) => r,
        None => {
            let chunks: Vec<Value> = row
                .get("response_payload")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(json_column)
                .collect();
            match chunks.len() {
                1 => chunks.into_iter().next().unwrap_or(Value::Null),
                _ => Value::Array(chunks),
            }
        }
    };
    let model = row
        .get("model")
        .and_then(Value::as_str)
        .map(|m| m.rsplit('/').next().unwrap_or(m).to_string());
    let mut w = serde_json::Map::new();
    if let Some(m) = model {
        w.insert("model".into(), Value::String(m));
    }
    if let Some(t) = row.get("logging_time") {
        w.insert("timestamp".into(), t.clone());
    }
    if let Some(id) = row.get("request_id") {
        w.insert("request_id".into(), id.clone());
    }
    w.insert("request".into(), request);
    w.insert("response".into(), response);
    Value::Object(w)
}

fn usage_meta(v: &Value) -> Option<&Value> {
    v.get("usageMetadata")
        .or_else(|| v.get("usage_metadata"))
        .filter(|u| u.is_object())
}

fn is_response(v: &Value) -> bool {
    v.get("candidates").is_some_and(Value::is_array) || usage_meta(v).is_some()
}

fn is_request(v: &Value) -> bool {
    v.get("contents").is_some_and(|c| !c.is_null())
}

/// Either spelling of a field.
fn get2<'v>(v: &'v Value, camel: &str, snake: &str) -> Option<&'v Value> {
    v.get(camel)
        .filter(|x| !x.is_null())
        .or_else(|| v.get(snake))
}

fn count2(u: &Value, camel: &str, snake: &str) -> Result<Option<u64>, Skip> {
    match count_field(u, camel)? {
        Some(n) => Ok(Some(n)),
        None => count_field(u, snake),
    }
}

/// Tokens of one modality across the prompt and candidate details
/// (`[{"modality": "AUDIO", "tokenCount": 120}, …]`).
/// Tokens of one modality in the prompt and in the candidates.
fn modality_tokens(u: &Value, modality: &str) -> Result<AudioTokens, Skip> {
    let of = |camel: &str, snake: &str| -> Result<u64, Skip> {
        let mut n: u64 = 0;
        let details = get2(u, camel, snake).and_then(Value::as_array);
        for d in details.into_iter().flatten() {
            if d.get("modality").and_then(Value::as_str) == Some(modality) {
                n = n.saturating_add(count2(d, "tokenCount", "token_count")?.unwrap_or(0));
            }
        }
        Ok(n)
    };
    Ok(AudioTokens {
        input: of("promptTokensDetails", "prompt_tokens_details")?,
        output: of("candidatesTokensDetails", "candidates_tokens_details")?,
    })
}

#[derive(Clone, Copy, Debug, Default)]
struct GUsage {
    prompt: u64,
    candidates: u64,
    cached: u64,
    thoughts: u64,
    tool_prompt: u64,
    /// Tokens of the AUDIO modality in the prompt and the candidates
    /// (`promptTokensDetails`, `candidatesTokensDetails`).
    audio: AudioTokens,
}

impl GUsage {
    fn parse(u: &Value) -> Result<GUsage, Skip> {
        Ok(GUsage {
            prompt: count2(u, "promptTokenCount", "prompt_token_count")?.unwrap_or(0),
            candidates: count2(u, "candidatesTokenCount", "candidates_token_count")?.unwrap_or(0),
            cached: count2(u, "cachedContentTokenCount", "cached_content_token_count")?
                .unwrap_or(0),
            thoughts: count2(u, "thoughtsTokenCount", "thoughts_token_count")?.unwrap_or(0),
            tool_prompt: count2(u, "toolUsePromptTokenCount", "tool_use_prompt_token_count")?
                .unwrap_or(0),
            audio: modality_tokens(u, "AUDIO")?,
        })
    }

    fn usage(&self) -> Usage {
        let output = self.candidates + self.thoughts;
        Usage {
            input: self.prompt.saturating_sub(self.cached) + self.tool_prompt,
            cache_read: self.cached,
            cache_write_5m: 0,
            cache_write_1h: 0,
            output,
            reasoning: self.thoughts,
        }
    }
}

/// Text of one `Part`: text (thoughts included), function calls and
/// responses, code and its results. Inline/file data carry no text.
fn part_text(p: &Value, out: &mut String) {
    match p {
        Value::String(s) => append_text(out, s),
        Value::Object(_) => {
            if let Some(Value::String(t)) = p.get("text") {
                append_text(out, t);
            }
            if let Some(fc) = get2(p, "functionCall", "function_call") {
                if let Some(n) = fc.get("name").and_then(Value::as_str) {
                    append_text(out, n);
                }
                if let Some(a) = fc.get("args") {
                    append_json_text(out, a);
                }
            }
            if let Some(fr) = get2(p, "functionResponse", "function_response") {
                if let Some(n) = fr.get("name").and_then(Value::as_str) {
                    append_text(out, n);
                }
                if let Some(r) = fr.get("response") {
                    append_json_text(out, r);
                }
            }
            if let Some(Value::String(c)) =
                get2(p, "executableCode", "executable_code").and_then(|x| x.get("code"))
            {
                append_text(out, c);
            }
            if let Some(Value::String(o)) = get2(p, "codeExecutionResult", "code_execution_result")
                .and_then(|x| x.get("output"))
            {
                append_text(out, o);
            }
        }
        _ => {}
    }
}

/// Text of a `Content` (`{role, parts}`), a bare part, or a string.
fn content_parts_text(c: &Value, out: &mut String) {
    match c.get("parts") {
        Some(Value::Array(parts)) => parts.iter().for_each(|p| part_text(p, out)),
        _ => part_text(c, out),
    }
}

fn request_text(req: &Value, text: &mut Text) {
    let config = get2(req, "config", "generationConfig").unwrap_or(&Value::Null);
    let system = get2(req, "systemInstruction", "system_instruction")
        .or_else(|| get2(config, "systemInstruction", "system_instruction"));
    if let Some(sys) = system {
        let mut s = String::new();
        match sys {
            Value::Array(items) => items.iter().for_each(|i| content_parts_text(i, &mut s)),
            other => content_parts_text(other, &mut s),
        }
        if !s.is_empty() {
            text.messages.push(Message {
                role: "system".to_string(),
                name: None,
                content: s,
            });
        }
    }
    let mut push = |role: &str, c: &Value| {
        let mut s = String::new();
        content_parts_text(c, &mut s);
        text.messages.push(Message {
            role: role.to_string(),
            name: None,
            content: s,
        });
    };
    let mut has_prompt = false;
    match req.get("contents") {
        Some(Value::Array(items)) => {
            has_prompt = true;
            for c in items {
                push(c.get("role").and_then(Value::as_str).unwrap_or("user"), c);
            }
        }
        Some(c @ (Value::String(_) | Value::Object(_))) => {
            has_prompt = true;
            push(c.get("role").and_then(Value::as_str).unwrap_or("user"), c);
        }
        _ => {}
    }
    text.has_prompt = has_prompt;
    let tools = req
        .get("tools")
        .or_else(|| config.get("tools"))
        .and_then(Value::as_array);
    for tool in tools.into_iter().flatten() {
        match get2(tool, "functionDeclarations", "function_declarations").and_then(Value::as_array)
        {
            Some(decls) => text.tools.extend(decls.iter().map(Value::to_string)),
            None => text.tools.push(tool.to_string()),
        }
    }
}

/// One response body (or stream chunk), extracted.
#[derive(Debug, Default)]
struct Chunk {
    id: Option<String>,
    model: Option<String>,
    timestamp: Option<Timestamp>,
    usage: Option<GUsage>,
    text: String,
    /// Candidates without a `finishReason`: a stream chunk that more chunks
    /// of the same call follow (only the last chunk has one).
    unfinished: bool,
}

impl Chunk {
    fn into_reply(self) -> Reply {
        Reply {
            model: self.model,
            timestamp: self.timestamp,
            tier: None,
            usage: self.usage.map(|u| u.usage()),
            web_search: 0,
            audio: self.usage.map_or_else(AudioTokens::default, |u| u.audio),
            text: self.text,
        }
    }

    fn parse(body: &Value) -> Result<Chunk, Skip> {
        let usage = usage_meta(body).map(GUsage::parse).transpose()?;
        let mut text = String::new();
        let candidates = body.get("candidates").and_then(Value::as_array);
        let unfinished = candidates.is_some_and(|c| {
            !c.is_empty()
                && c.iter()
                    .all(|c| get2(c, "finishReason", "finish_reason").is_none_or(Value::is_null))
        });
        for cand in candidates.into_iter().flatten() {
            if let Some(c) = cand.get("content") {
                content_parts_text(c, &mut text);
            }
        }
        let s = |camel, snake| {
            get2(body, camel, snake)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(Chunk {
            id: s("responseId", "response_id"),
            model: s("modelVersion", "model_version"),
            timestamp: get2(body, "createTime", "create_time").and_then(parse_timestamp),
            usage,
            text,
            unfinished,
        })
    }

    /// Whether `next` continues this call: the same `responseId`, or, in
    /// logs from before response ids, an id-less chunk after an unfinished
    /// id-less chunk of the same model.
    fn continued_by(&self, next: &Chunk) -> bool {
        match (&self.id, &next.id) {
            (Some(a), Some(b)) => a == b,
            (None, None) => {
                self.unfinished
                    && (self.model.is_none() || next.model.is_none() || self.model == next.model)
            }
            _ => false,
        }
    }

    /// Add the next chunk of the same stream.
    fn merge(&mut self, next: Chunk) {
        self.text.push_str(&next.text);
        self.unfinished = next.unfinished;
        if self.model.is_none() {
            self.model = next.model;
        }
        if self.timestamp.is_none() {
            self.timestamp = next.timestamp;
        }
        // The last chunk's usage is the call's total (earlier chunks may
        // report more prompt tokens than the call used): it replaces them.
        if next.usage.is_some() {
            self.usage = next.usage;
        }
    }
}

/// The model from a request URL path: `…/models/gemini-2.5-flash:generateContent`.
fn model_from_path(s: &str) -> Option<String> {
    let rest = &s[s.find("models/")? + "models/".len()..];
    let end = rest.find([':', '/', '?', '#']).unwrap_or(rest.len());
    let m = &rest[..end];
    (!m.is_empty()).then(|| m.to_string())
}

fn strip_models_prefix(m: String) -> String {
    match m.strip_prefix("models/") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => m,
    }
}

/// A response waiting to see whether more chunks of it follow.
struct Open {
    source: Source,
    line: Value,
    request: Option<Held>,
    chunk: Chunk,
}

pub struct Parser {
    opts: ParseOptions,
    /// Request lines waiting for their responses, oldest first.
    pending: Pending,
    open: Option<Open>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            pending: Pending::default(),
            open: None,
        }
    }

    fn build(
        &self,
        source: Source,
        req: Option<(&Value, &Value)>,
        resp: Option<(&Value, &Value, Chunk)>,
    ) -> Result<Record, Skip> {
        let lines: Vec<&Value> = resp
            .as_ref()
            .map(|r| r.0)
            .into_iter()
            .chain(req.map(|r| r.0))
            .collect();
        let resp = resp.map(|(line, body, chunk)| (line, body, chunk.into_reply()));
        let mut rec = SHAPE.build(&self.opts, source, req, resp)?;
        if rec.model.is_none() {
            rec.model = lines
                .iter()
                .find_map(|l| first_str(l, URL_KEYS))
                .and_then(|u| model_from_path(&u));
        }
        rec.model = rec.model.map(strip_models_prefix);
        // Gemini Batch API lines are `{key, request}` / `{key, response}`;
        // the key is the caller's unit of work, like a batch `custom_id`.
        if let Some(key) = lines.iter().find_map(|l| {
            l.get("key")
                .and_then(Value::as_str)
                .filter(|_| envelope(l).wrapped)
        }) {
            rec.service_tier = ServiceTier::Batch;
            if rec.task.is_none() && self.opts.task_key.is_none() {
                rec.task = Some(key.to_string());
            }
        }
        Ok(rec)
    }

    /// Emit the held requests as text-only records.
    fn flush_pending(&mut self, out: &mut Vec<Record>) {
        let held: Vec<Held> = self.pending.drain().collect();
        for h in held {
            if let Ok(rec) = self.build(h.source.clone(), Some((&h.line, h.body())), None) {
                out.push(rec);
            }
        }
    }

    fn flush_open(&mut self, out: &mut Vec<Record>) {
        if let Some(o) = self.open.take() {
            let body = envelope(&o.line).response.unwrap_or(&o.line);
            let req = o.request.as_ref().map(|h| (&h.line, h.body()));
            if let Ok(rec) = self.build(o.source.clone(), req, Some((&o.line, body, o.chunk))) {
                out.push(rec);
            }
        }
    }

    /// A response-only line: continue the open stream or open a new one.
    fn on_response(
        &mut self,
        line: Value,
        source: Source,
        out: &mut Vec<Record>,
    ) -> Result<(), Skip> {
        let chunk = match Chunk::parse(envelope(&line).response.unwrap_or(&line)) {
            Ok(c) => c,
            Err(e) => {
                self.flush_open(out);
                // An unreadable response answered the oldest request.
                if let Some(h) = self.pending.take_for(&line)
                    && let Ok(rec) = self.build(h.source.clone(), Some((&h.line, h.body())), None)
                {
                    out.push(rec);
                }
                return Err(e);
            }
        };
        if let Some(open) = self.open.as_mut()
            && open.chunk.continued_by(&chunk)
        {
            open.chunk.merge(chunk);
            return Ok(());
        }
        self.flush_open(out);
        let request = self.pending.take_for(&line);
        let source = request.as_ref().map_or(source, |h| h.source.clone());
        self.open = Some(Open {
            source,
            line,
            request,
            chunk,
        });
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let value = if is_vertex_row(&value) {
            vertex_wrapper(&value)
        } else {
            value
        };
        let env = envelope(&value);
        // `{request, response:[chunk, …]}`: a logged stream in one line.
        if let Some(chunks) = value.get("response").and_then(Value::as_array) {
            self.flush_open(&mut out.records);
            let mut merged: Option<Chunk> = None;
            for c in chunks.iter().filter(|c| c.is_object()) {
                let c = Chunk::parse(c)?;
                match merged.as_mut() {
                    Some(m) => m.merge(c),
                    None => merged = Some(c),
                }
            }
            let req = env.request.map(|r| (&value, r));
            let Some(chunk) = merged else {
                return Err(unrecognized(&value, EXPECTED));
            };
            out.push(self.build(source, req, Some((&value, &value, chunk)))?);
            return Ok(());
        }
        let (req, resp) = if env.wrapped {
            (env.request, env.response)
        } else if is_response(&value) {
            (None, Some(&value))
        } else if is_request(&value) {
            (Some(&value), None)
        } else {
            // Not this format's line: the held requests keep waiting.
            return Err(api_error(&value).unwrap_or_else(|| unrecognized(&value, EXPECTED)));
        };
        match (req, resp) {
            (_, Some(resp)) if !is_response(resp) => {
                self.flush_open(&mut out.records);
                Err(api_error(resp)
                    .or_else(|| api_error(&value))
                    .unwrap_or_else(|| unrecognized(resp, EXPECTED)))
            }
            (Some(req), Some(resp)) => {
                self.flush_open(&mut out.records);
                let chunk = Chunk::parse(resp)?;
                out.push(self.build(source, Some((&value, req)), Some((&value, resp, chunk)))?);
                Ok(())
            }
            (None, Some(_)) => self.on_response(value, source, &mut out.records),
            (Some(_), None) | (None, None) => {
                self.flush_open(&mut out.records);
                if env.wrapped
                    && let Some(e) = api_error(&value)
                {
                    return Err(e);
                }
                let body = req.unwrap_or(&value);
                if !is_request(body) {
                    return Err(unrecognized(body, EXPECTED));
                }
                let held = Held::new(value, source);
                SHAPE.hold(&self.opts, &mut self.pending, held, &mut out.records);
                Ok(())
            }
        }
    }

    fn finish(&mut self, out: &mut Out) {
        self.flush_open(&mut out.records);
        self.flush_pending(&mut out.records);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(lines: &[Value]) -> (Vec<Record>, Vec<Skip>) {
        super::super::run_parser(&mut Parser::new(ParseOptions::default()), lines)
    }

    fn response_example() -> Value {
        json!({"candidates":[{"content":{"role":"model","parts":[{"text":"Oslo: 4 °C, overcast."}]},"finishReason":"STOP","index":0}],
            "usageMetadata":{"promptTokenCount":2210,"candidatesTokenCount":11,"cachedContentTokenCount":2048,"thoughtsTokenCount":148,"totalTokenCount":2369,
                "promptTokensDetails":[{"modality":"TEXT","tokenCount":2210}],"cacheTokensDetails":[{"modality":"TEXT","tokenCount":2048}]},
            "modelVersion":"gemini-2.5-flash","responseId":"mAitaK2xF4u1"})
    }

    fn buckets(u: Usage) -> (u64, u64, u64, u64) {
        (u.input, u.cache_read, u.output, u.reasoning)
    }

    #[test]
    fn detection() {
        assert!(detect(&response_example()));
        assert!(detect(
            &json!({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})
        ));
        assert!(detect(&json!({"usage_metadata":{"prompt_token_count":3}})));
        assert!(!detect(&json!({"foo":1})));
    }

    #[test]
    fn thoughts_are_outside_candidates() {
        let (recs, skips) = run(&[response_example()]);
        assert!(skips.is_empty());
        let r = &recs[0];
        assert_eq!(r.model.as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(r.provider.as_deref(), Some("google"));
        // input = 2210 − 2048; output = 11 + 148.
        assert_eq!(buckets(r.usage.unwrap()), (162, 2048, 159, 148));
        assert_eq!(r.text.as_ref().unwrap().response, "Oslo: 4 °C, overcast.");
    }

    #[test]
    fn snake_case_dump_with_nulls() {
        let v = json!({"candidates":[{"content":{"role":"model","parts":[{"text":"Hi there","thought":null}]},"finish_reason":"STOP"}],
            "usage_metadata":{"prompt_token_count":"120","candidates_token_count":30,"cached_content_token_count":null,"thoughts_token_count":null,
                              "tool_use_prompt_token_count":5,"total_token_count":155},
            "model_version":"gemini-2.5-pro","response_id":"r-snake","create_time":"2025-04-02T09:00:00Z"});
        let (recs, _) = run(&[v]);
        let r = &recs[0];
        assert_eq!(r.model.as_deref(), Some("gemini-2.5-pro"));
        assert_eq!(r.timestamp, Some("2025-04-02T09:00:00Z".parse().unwrap()));
        assert_eq!(buckets(r.usage.unwrap()), (125, 0, 30, 0));
    }

    #[test]
    fn pair_with_model_in_url_and_thought_parts() {
        let line = json!({"timestamp":"2025-04-03T10:00:00Z","url":"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
            "task_id":"g-1",
            "request":{"systemInstruction":{"parts":[{"text":"Answer in one line."}]},
                       "contents":[{"role":"user","parts":[{"text":"Weather in Oslo?"}]},
                                   {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}}]},
                                   {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp_c":4}}}]}],
                       "tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT"}}]}]},
            "response":{"candidates":[{"content":{"role":"model","parts":[{"text":"Thinking about units.","thought":true},{"text":"4 °C."}]}}],
                        "usageMetadata":{"promptTokenCount":80,"candidatesTokenCount":4,"thoughtsTokenCount":20}}});
        let (recs, _) = run(&[line]);
        let r = &recs[0];
        assert_eq!(r.model.as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(r.task.as_deref(), Some("g-1"));
        assert_eq!(r.timestamp, Some("2025-04-03T10:00:00Z".parse().unwrap()));
        assert_eq!(buckets(r.usage.unwrap()), (80, 0, 24, 20));
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.messages[0].role, "system");
        assert_eq!(t.messages[2].content, "get_weather\n{\"city\":\"Oslo\"}");
        assert_eq!(t.messages[3].content, "get_weather\n{\"temp_c\":4}");
        assert_eq!(
            t.tools,
            vec!["{\"name\":\"get_weather\",\"parameters\":{\"type\":\"OBJECT\"}}".to_string()]
        );
        assert_eq!(t.response, "Thinking about units.\n4 °C.");
    }

    #[test]
    fn stream_chunks_with_same_response_id_are_one_call() {
        let c = |text: &str, usage: Value| json!({"candidates":[{"content":{"role":"model","parts":[{"text":text}]}}],"usageMetadata":usage,"modelVersion":"gemini-2.5-flash","responseId":"st-1"});
        let lines = vec![
            json!({"model":"gemini-2.5-flash","contents":[{"role":"user","parts":[{"text":"Count"}]}]}),
            c("One, ", json!({"promptTokenCount":5})),
            c(
                "two.",
                json!({"promptTokenCount":5,"candidatesTokenCount":4,"totalTokenCount":9}),
            ),
            json!({"foo":1}),
        ];
        let (recs, skips) = run(&lines);
        assert_eq!(skips.len(), 1);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].source.line, 1);
        assert_eq!(buckets(recs[0].usage.unwrap()), (5, 0, 4, 0));
        assert_eq!(recs[0].text.as_ref().unwrap().response, "One, two.");
        assert!(recs[0].text.as_ref().unwrap().has_prompt);
    }

    /// Gemini API logs from before `responseId` existed: a stream's chunks
    /// carry no id. A chunk whose candidates have no `finishReason` is not
    /// the last one, so the next id-less chunk continues the same call; the
    /// prompt must be billed once, not once per chunk.
    #[test]
    fn stream_chunks_without_response_id_are_one_call() {
        let lines = vec![
            json!({"candidates":[{"content":{"role":"model","parts":[{"text":"One, "}]}}],
                   "usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":2},"modelVersion":"gemini-2.5-flash"}),
            json!({"candidates":[{"content":{"role":"model","parts":[{"text":"two."}]},"finishReason":"STOP"}],
                   "usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":4,"thoughtsTokenCount":30},"modelVersion":"gemini-2.5-flash"}),
            // Two complete (finished) id-less responses stay two calls.
            json!({"candidates":[{"content":{"role":"model","parts":[{"text":"a"}]},"finishReason":"STOP"}],
                   "usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":1},"modelVersion":"gemini-2.5-flash"}),
            json!({"candidates":[{"content":{"role":"model","parts":[{"text":"b"}]},"finishReason":"STOP"}],
                   "usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":1},"modelVersion":"gemini-2.5-flash"}),
        ];
        let (recs, skips) = run(&lines);
        assert!(skips.is_empty());
        assert_eq!(recs.len(), 3);
        assert_eq!(buckets(recs[0].usage.unwrap()), (100, 0, 34, 30));
        assert_eq!(recs[0].text.as_ref().unwrap().response, "One, two.");
        assert_eq!(buckets(recs[1].usage.unwrap()), (7, 0, 1, 0));
        assert_eq!(buckets(recs[2].usage.unwrap()), (8, 0, 1, 0));
    }

    /// The last chunk's `usageMetadata` is the call's total; earlier chunks
    /// may report more prompt tokens than the call used (a recorded stream
    /// reported 169 on its first chunks and 79 on the last). The same call
    /// unstreamed gives the same usage.
    #[test]
    fn stream_usage_is_the_last_chunk_not_the_largest() {
        let c = |text: &str, usage: Value, done: bool| {
            let mut cand = json!({"content":{"role":"model","parts":[{"text":text}]}});
            if done {
                cand["finishReason"] = json!("STOP");
            }
            json!({"candidates":[cand],"usageMetadata":usage,"modelVersion":"gemini-2.5-flash","responseId":"st-9"})
        };
        let lines = vec![
            c(
                "Once ",
                json!({"promptTokenCount":169,"candidatesTokenCount":1,"totalTokenCount":170}),
                false,
            ),
            c(
                "upon ",
                json!({"promptTokenCount":169,"candidatesTokenCount":2,"totalTokenCount":171}),
                false,
            ),
            c(
                "a time.",
                json!({"promptTokenCount":79,"candidatesTokenCount":4,"totalTokenCount":83}),
                true,
            ),
        ];
        let (recs, skips) = run(&lines);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(recs.len(), 1);
        assert_eq!(buckets(recs[0].usage.unwrap()), (79, 0, 4, 0));
        let whole = c(
            "Once upon a time.",
            json!({"promptTokenCount":79,"candidatesTokenCount":4,"totalTokenCount":83}),
            true,
        );
        let (one, _) = run(&[whole]);
        assert_eq!(one[0].usage, recs[0].usage);
    }

    #[test]
    fn batch_lines_and_negative_counts() {
        let ok = json!({"key":"req-1","response":{"candidates":[],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":2},"modelVersion":"gemini-2.5-flash"}});
        let bad =
            json!({"usageMetadata":{"promptTokenCount":-10},"modelVersion":"gemini-2.5-flash"});
        let (recs, skips) = run(&[ok, bad]);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].service_tier, ServiceTier::Batch);
        assert_eq!(skips[0].reason, "invalid usage");
    }

    #[test]
    fn cached_absent_vs_zero() {
        let (recs, _) = run(&[
            json!({"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":5},"modelVersion":"gemini-2.5-pro","responseId":"a"}),
            json!({"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":5,"cachedContentTokenCount":0},"modelVersion":"gemini-2.5-pro","responseId":"b"}),
        ]);
        assert_eq!(buckets(recs[0].usage.unwrap()), (100, 0, 5, 0));
        assert_eq!(buckets(recs[1].usage.unwrap()), (100, 0, 5, 0));
    }

    #[test]
    fn model_path_parsing() {
        assert_eq!(
            model_from_path("projects/p/locations/us/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse").as_deref(),
            Some("gemini-2.5-pro")
        );
        assert_eq!(model_from_path("/v1/chat"), None);
    }
}
