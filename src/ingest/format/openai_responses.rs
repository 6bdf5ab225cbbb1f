//! OpenAI Responses API (docs/formats.md, openai-responses).
//!
//! Lines this parser reads:
//! - responses (`object:"response"`, or `output[]` of typed items with
//!   `usage.input_tokens_details`),
//! - requests (`model` + `input`, optionally `instructions`),
//! - `{request, response}` wrappers and request lines joined to their
//!   response lines (as for chat completions),
//! - streaming event logs: `response.completed` / `response.incomplete` /
//!   `response.failed` carry the full response and become the record; the
//!   other `response.*` events (deltas, `response.created`, …) bill nothing.
//!
//! Usage: `input_tokens` includes cached tokens (and cache writes);
//! `output_tokens` includes reasoning. Each `web_search_call` output item is
//! counted as one web search request (billed per call).
//!
//! Only the new turn's text is in a log when the conversation lives server
//! side (`previous_response_id`, `conversation`): `input_tokens` still counts
//! the whole context. The session is `conversation.id` when present.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::call::{Held, Pending, Reply, Shape, str_of};
use crate::ingest::fields::{
    envelope::envelope,
    errors::{api_error, unrecognized},
    numbers::{count_field, count0},
    text::{append_json_text, append_text, content_text},
    time::parse_timestamp,
};
use crate::record::{AudioTokens, Format, Message, Record, Source, Text, Usage};

const PROVIDER: &str = "openai";
const EXPECTED: &str = "an OpenAI Responses request (`model` + `input`), a response (`object:\"response\"`) or a `response.*` stream event";
const TASK_KEYS: &[&str] = &[
    "metadata.task_id",
    "task_id",
    "metadata.task",
    "user",
    "safety_identifier",
];
const SESSION_KEYS: &[&str] = &[
    "conversation.id",
    "conversation",
    "metadata.session_id",
    "session_id",
    "conversation_id",
];

/// How calls of this format are assembled (see `call.rs`).
pub(crate) const SHAPE: Shape = Shape {
    format: Format::OpenAiResponses,
    provider: PROVIDER,
    request_text,
    task_keys: TASK_KEYS,
    session_keys: SESSION_KEYS,
};
/// Keys that make a `model` + `input` object a generic log row, not a request.
const NOT_REQUEST_KEYS: &[&str] = &[
    "output",
    "response",
    "completion",
    "answer",
    "output_text",
    "prompt",
    "usage",
    "input_tokens",
    "output_tokens",
    "prompt_tokens",
    "completion_tokens",
    "tokens_in",
    "tokens_out",
    "cost",
    "cost_usd",
];

pub fn detect(v: &Value) -> bool {
    if v.get("object").and_then(Value::as_str) == Some("response") {
        return true;
    }
    if is_response_shape(v) {
        return true;
    }
    if let Some(t) = v.get("type").and_then(Value::as_str)
        && t.starts_with("response.")
        && v.get("response").is_some_and(Value::is_object)
    {
        return true;
    }
    is_request(v) && !NOT_REQUEST_KEYS.iter().any(|k| v.get(*k).is_some())
}

fn is_response_shape(v: &Value) -> bool {
    let typed_output = v.get("output").and_then(Value::as_array).is_some_and(|o| {
        !o.is_empty()
            && o.iter()
                .all(|i| i.get("type").is_some_and(Value::is_string))
    });
    let details = v
        .get("usage")
        .and_then(|u| u.get("input_tokens_details"))
        .is_some();
    typed_output && details
}

fn is_request(v: &Value) -> bool {
    v.get("model").is_some_and(Value::is_string)
        && v.get("input")
            .is_some_and(|i| i.is_string() || i.is_array())
}

/// What a body is, leniently (the file is already known to be Responses logs).
fn is_response(v: &Value) -> bool {
    v.get("object").and_then(Value::as_str) == Some("response")
        || v.get("output").is_some_and(Value::is_array)
        || v.get("usage").and_then(|u| u.get("input_tokens")).is_some()
}

fn usage_of(u: Option<&Value>) -> Result<Option<Usage>, Skip> {
    let Some(u) = u.filter(|u| u.is_object()) else {
        return Ok(None);
    };
    let input = count_field(u, "input_tokens")?;
    let output = count_field(u, "output_tokens")?;
    if input.is_none() && output.is_none() {
        return Ok(None);
    }
    let id = u.get("input_tokens_details").unwrap_or(&Value::Null);
    let od = u.get("output_tokens_details").unwrap_or(&Value::Null);
    Ok(Some(Usage::from_inclusive_input(
        input.unwrap_or(0),
        count0(id, "cached_tokens")?,
        count0(id, "cache_write_tokens")?,
        output.unwrap_or(0),
        count0(od, "reasoning_tokens")?,
    )))
}

/// Text of one input or output item.
fn item_text(item: &Value, out: &mut String) {
    match item.get("type").and_then(Value::as_str) {
        Some("reasoning") => {
            for key in ["summary", "content"] {
                if let Some(parts) = item.get(key) {
                    content_text(parts, out);
                }
            }
        }
        Some("function_call") => {
            if let Some(name) = item.get("name").and_then(Value::as_str) {
                append_text(out, name);
            }
            if let Some(args) = item.get("arguments") {
                append_json_text(out, args);
            }
        }
        Some("function_call_output" | "custom_tool_call_output") => {
            if let Some(o) = item.get("output") {
                match o {
                    Value::String(s) => append_text(out, s),
                    other => content_text(other, out),
                }
            }
        }
        // Server-side tool calls carry queries/results, not model text.
        Some(
            "web_search_call"
            | "file_search_call"
            | "code_interpreter_call"
            | "image_generation_call"
            | "computer_call",
        ) => {}
        _ => content_text(item, out),
    }
}

fn request_text(req: &Value, text: &mut Text) {
    match req.get("instructions") {
        Some(Value::String(s)) if !s.is_empty() => text.messages.push(Message {
            role: "system".to_string(),
            name: None,
            content: s.clone(),
        }),
        Some(items @ Value::Array(_)) => {
            let mut s = String::new();
            content_text(items, &mut s);
            text.messages.push(Message {
                role: "system".to_string(),
                name: None,
                content: s,
            });
        }
        _ => {}
    }
    match req.get("input") {
        Some(Value::String(s)) => {
            text.has_prompt = true;
            text.messages.push(Message {
                role: "user".to_string(),
                name: None,
                content: s.clone(),
            });
        }
        Some(Value::Array(items)) => {
            text.has_prompt = true;
            for item in items {
                let role = match (
                    item.get("role").and_then(Value::as_str),
                    item.get("type").and_then(Value::as_str),
                ) {
                    (Some(r), _) => r,
                    (None, Some("function_call" | "reasoning" | "custom_tool_call")) => "assistant",
                    (None, Some("function_call_output" | "custom_tool_call_output")) => "tool",
                    (None, Some(t)) => t,
                    (None, None) => "user",
                };
                let mut content = String::new();
                item_text(item, &mut content);
                text.messages.push(Message {
                    role: role.to_string(),
                    name: None,
                    content,
                });
            }
        }
        _ => {}
    }
    if text.has_prompt
        && let Some(tools) = req.get("tools").and_then(Value::as_array)
    {
        text.tools.extend(tools.iter().map(Value::to_string));
    }
}

pub(crate) fn parse_reply(body: &Value) -> Result<Reply, Skip> {
    let usage = usage_of(body.get("usage"))?;
    let mut text = String::new();
    let mut web_search = 0;
    for item in body
        .get("output")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if item.get("type").and_then(Value::as_str) == Some("web_search_call") {
            web_search += 1;
        }
        item_text(item, &mut text);
    }
    Ok(Reply {
        model: str_of(body, "model"),
        timestamp: body.get("created_at").and_then(parse_timestamp),
        tier: str_of(body, "service_tier"),
        usage,
        web_search,
        audio: audio_of(body.get("usage"))?,
        text,
    })
}

/// Audio tokens in the usage details, where a response reports them.
fn audio_of(u: Option<&Value>) -> Result<AudioTokens, Skip> {
    crate::ingest::fields::numbers::audio_tokens(u, "input_tokens_details", "output_tokens_details")
}

pub struct Parser {
    opts: ParseOptions,
    /// Request lines waiting for their responses, oldest first.
    pending: Pending,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            pending: Pending::default(),
        }
    }

    /// Emit the held requests as text-only records.
    fn flush_pending(&mut self, out: &mut Vec<Record>) {
        SHAPE.flush(&self.opts, &mut self.pending, out);
    }

    /// A response body (`resp`) from `line`, with the request body `req`
    /// when the same line carries it.
    fn on_response(
        &mut self,
        line: &Value,
        req: Option<&Value>,
        resp: &Value,
        source: Source,
        out: &mut Vec<Record>,
    ) -> Result<(), Skip> {
        SHAPE.answer(
            &self.opts,
            &mut self.pending,
            source,
            line,
            req,
            resp,
            parse_reply(resp),
            out,
        )
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        // Streaming events first: `response.completed` looks like a wrapper.
        if let Some(t) = value.get("type").and_then(Value::as_str) {
            if let Some(ev) = t.strip_prefix("response.") {
                return match (ev, value.get("response").filter(|r| r.is_object())) {
                    ("completed" | "incomplete" | "failed", Some(resp)) => {
                        self.on_response(&value, None, resp, source, &mut out.records)
                    }
                    _ => Ok(()),
                };
            }
            if t == "error" {
                // The oldest held request failed: nothing was billed for it.
                self.pending.take_for(&value);
                return Err(api_error(&value).unwrap_or_else(|| unrecognized(&value, EXPECTED)));
            }
        }
        let env = envelope(&value);
        let (req, resp) = if env.wrapped {
            (env.request, env.response)
        } else if is_response(&value) {
            (None, Some(&value))
        } else if is_request(&value) {
            (Some(&value), None)
        } else {
            if let Some(e) = api_error(&value) {
                if let Some(h) = self.pending.take_for(&value) {
                    out.records.extend(SHAPE.unanswered(&self.opts, &h));
                }
                return Err(e);
            }
            // Not this format's line: the held requests keep waiting.
            return Err(unrecognized(&value, EXPECTED));
        };
        match resp {
            Some(resp) if is_response(resp) => {
                self.on_response(&value, req, resp, source, &mut out.records)
            }
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
        json!({"id":"resp_67ccd2bed1ec8190","object":"response","created_at":1741476542,"status":"completed","model":"o4-mini-2025-04-16",
            "instructions":"Be brief.","previous_response_id":null,
            "output":[{"type":"reasoning","id":"rs_67cc","summary":[]},
                      {"type":"message","id":"msg_67cc","role":"assistant","status":"completed","content":[{"type":"output_text","text":"2 + 2 = 4","annotations":[]}]}],
            "usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":123}})
    }

    #[test]
    fn detects_shapes() {
        assert!(detect(&response_example()));
        assert!(detect(
            &json!({"model":"o4-mini","instructions":"Be brief.","input":"What is 2+2?"})
        ));
        assert!(detect(
            &json!({"type":"response.completed","response":response_example()})
        ));
        // Generic rows with `input`/`output` text are not Responses requests.
        assert!(!detect(
            &json!({"model":"gpt-4o","input":"hi","output":"hello","input_tokens":3})
        ));
        assert!(!detect(&json!({"foo":1})));
    }

    #[test]
    fn reference_example_buckets() {
        let (recs, skips) = run(&[response_example()]);
        assert!(skips.is_empty());
        let r = &recs[0];
        assert_eq!(r.model.as_deref(), Some("o4-mini-2025-04-16"));
        assert_eq!(
            r.timestamp,
            Some(jiff::Timestamp::from_second(1741476542).unwrap())
        );
        let u = r.usage.unwrap();
        assert_eq!(
            (u.input, u.cache_read, u.output, u.reasoning),
            (36, 0, 87, 64)
        );
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.response, "2 + 2 = 4");
        assert!(!t.has_prompt);
    }

    #[test]
    fn request_then_response_joined_with_items() {
        let req = json!({"model":"gpt-4.1","instructions":"Use tools.","metadata":{"task_id":"T-5"},"conversation":{"id":"conv_9"},
            "input":[{"role":"user","content":[{"type":"input_text","text":"Weather in Oslo?"}]},
                     {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"},
                     {"type":"function_call_output","call_id":"call_1","output":"{\"temp_c\":4}"}],
            "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]});
        let resp = json!({"id":"resp_2","object":"response","created_at":1741500000,"model":"gpt-4.1-2025-04-14",
            "output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"4 °C."}]}],
            "usage":{"input_tokens":2000,"input_tokens_details":{"cached_tokens":1536},"output_tokens":6,"output_tokens_details":{"reasoning_tokens":0}}});
        let (recs, _) = run(&[req, resp]);
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.task.as_deref(), Some("T-5"));
        assert_eq!(r.session.as_deref(), Some("conv_9"));
        let u = r.usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.output), (464, 1536, 6));
        let t = r.text.as_ref().unwrap();
        let roles: Vec<&str> = t.messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "tool"]);
        assert_eq!(t.messages[2].content, "get_weather\n{\"city\":\"Oslo\"}");
        assert_eq!(t.messages[3].content, "{\"temp_c\":4}");
        assert_eq!(t.tools.len(), 1);
    }

    #[test]
    fn stream_events_use_the_completed_response() {
        let lines = vec![
            json!({"type":"response.created","sequence_number":0,"response":{"id":"resp_3","object":"response","status":"in_progress","output":[],"usage":null}}),
            json!({"type":"response.output_text.delta","sequence_number":1,"delta":"Hi"}),
            json!({"type":"response.completed","sequence_number":2,"response":{"id":"resp_3","object":"response","created_at":1741500000,"model":"gpt-4o",
                "output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi"}]},{"type":"web_search_call","id":"ws_1","status":"completed"}],
                "usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0}}}}),
        ];
        let (recs, skips) = run(&lines);
        assert!(skips.is_empty());
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].web_search_requests, 1);
        assert_eq!(recs[0].usage.unwrap().input, 10);
    }

    #[test]
    fn reasoning_summary_and_function_call_text() {
        let resp = json!({"object":"response","model":"o4-mini","output":[
            {"type":"reasoning","summary":[{"type":"summary_text","text":"Need weather."}]},
            {"type":"function_call","name":"get_weather","arguments":"{\"city\":\"Oslo\"}","call_id":"c"}],
            "usage":{"input_tokens":"50","input_tokens_details":{"cached_tokens":"0"},"output_tokens":"40","output_tokens_details":{"reasoning_tokens":"20"}}});
        let (recs, _) = run(&[resp]);
        assert_eq!(
            recs[0].text.as_ref().unwrap().response,
            "Need weather.\nget_weather\n{\"city\":\"Oslo\"}"
        );
        let u = recs[0].usage.unwrap();
        assert_eq!((u.input, u.output, u.reasoning), (50, 40, 20));
    }

    #[test]
    fn unknown_lines_and_negative_counts() {
        let bad = json!({"object":"response","model":"gpt-4o","output":[],"usage":{"input_tokens":-1,"output_tokens":1}});
        let (recs, skips) = run(&[json!({"foo":1}), bad, response_example()]);
        assert_eq!(recs.len(), 1);
        assert_eq!(skips[0].reason, "unrecognized record");
        assert_eq!(skips[1].reason, "invalid usage");
    }
}
