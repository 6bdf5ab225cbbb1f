//! Cohere Chat API v2, format `cohere` (docs/formats.md, cohere): responses
//! (`id`, `finish_reason`, `message{role, content[]}`, `usage`), the
//! stream's events (`message-start`, `content-delta`, …, `message-end`,
//! whose `delta.usage` is the call's), `{request, response}` wrappers, and
//! request lines (`model` + `messages`) paired with the response that
//! follows, first in, first out.
//!
//! Usage: Cohere bills `usage.billed_units{input_tokens, output_tokens}`;
//! `usage.tokens` counts the same call with the chat template and system
//! preamble the API adds, which are not billed. So the buckets are the
//! billed units (`input`, `output`), and the raw `tokens` are read only when
//! a log has no billed units. A response names no model: it is the
//! wrapper's or the request's `model`.

use std::collections::VecDeque;

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    numbers::count_field,
    task::task_from,
    text::{append_text, attach_text, content_text},
    time::{WRAPPER_TIME_KEYS, time_of},
};
use crate::record::{CallId, Format, Record, Source, Text, Usage};

const EXPECTED: &str = "a Cohere v2 chat response, stream event or request";
const DEDUP_REASON: &str = "same Cohere response";
const PROVIDER: &str = "cohere";

/// The v2 stream's event types (hyphenated, unlike Anthropic's).
const STREAM_EVENTS: &[&str] = &[
    "message-start",
    "content-start",
    "content-delta",
    "content-end",
    "tool-plan-delta",
    "tool-call-start",
    "tool-call-delta",
    "tool-call-end",
    "citation-start",
    "citation-end",
    "message-end",
];

/// Detection signature on a provider body (docs/formats.md, cohere).
pub fn detect(v: &Value) -> bool {
    if v.pointer("/usage/billed_units")
        .is_some_and(Value::is_object)
    {
        return true;
    }
    if v.get("finish_reason").is_some_and(Value::is_string)
        && v.pointer("/message/content").is_some()
        && v.pointer("/usage/tokens").is_some()
    {
        return true;
    }
    stream_event(v).is_some()
}

fn stream_event(v: &Value) -> Option<&str> {
    let t = v.get("type").and_then(Value::as_str)?;
    let known = STREAM_EVENTS.contains(&t);
    // `message-end` carries the usage; the others are told apart from other
    // formats by their hyphenated names and a `delta` or `index`.
    (known && (v.get("delta").is_some() || v.get("index").is_some() || t == "message-end"))
        .then_some(t)
}

fn is_request(v: &Value) -> bool {
    v.get("model").is_some_and(Value::is_string)
        && v.get("messages").is_some_and(Value::is_array)
        && v.get("usage").is_none()
}

fn usage_of(u: &Value) -> Result<Option<Usage>, Skip> {
    let units = u
        .get("billed_units")
        .filter(|b| b.is_object())
        .or_else(|| u.get("tokens").filter(|t| t.is_object()));
    let Some(units) = units else {
        return Ok(None);
    };
    Ok(Some(Usage {
        input: count_field(units, "input_tokens")?.unwrap_or(0),
        output: count_field(units, "output_tokens")?.unwrap_or(0),
        ..Usage::default()
    }))
}

fn request_text(req: &Value) -> Text {
    let mut text = Text::default();
    super::otel::push_messages(req, &mut text.messages);
    text.has_prompt = !text.messages.is_empty();
    text
}

/// A request waiting for its response.
struct Request {
    line: Value,
    source: Source,
}

pub struct Parser {
    opts: ParseOptions,
    requests: VecDeque<Request>,
    /// The stream being read: its text so far and its request.
    stream: Option<(String, Option<Request>)>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            requests: VecDeque::new(),
            stream: None,
        }
    }

    // One call's parts come from up to three lines (wrapper, response,
    // request); naming each keeps the call sites readable.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        line: &Value,
        body: &Value,
        usage: Option<Usage>,
        response: String,
        request: Option<&Request>,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        let wrapper_req = line.get("request").filter(|r| r.is_object());
        let req = wrapper_req.or(request.map(|r| &r.line));
        let mut rec = Record::new(source, Format::Cohere);
        rec.provider = Some(PROVIDER.to_string());
        rec.usage = usage;
        rec.model = [Some(line), req]
            .into_iter()
            .flatten()
            .find_map(|v| v.get("model").and_then(Value::as_str))
            .map(str::to_string);
        let mut lines = vec![line];
        if let Some(r) = request {
            lines.push(&r.line);
        }
        rec.timestamp = time_of(&lines, WRAPPER_TIME_KEYS);
        rec.task = task_from(&self.opts, &lines, &[], &[]);
        if let Some(id) = body.get("id").and_then(Value::as_str) {
            rec.call_id = Some(Box::new(CallId::key(format!("cohere:{id}"), DEDUP_REASON)));
        }
        let mut text = req.map(request_text).unwrap_or_default();
        text.has_response = !response.is_empty();
        text.response = response;
        attach_text(&mut rec, text)?;
        out.push(rec);
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if is_request(&value) && value.get("response").is_none() {
            self.requests.push_back(Request {
                line: value,
                source,
            });
            return Ok(());
        }
        let body = value
            .get("response")
            .filter(|r| r.is_object())
            .unwrap_or(&value);
        match stream_event(body) {
            Some("message-start") => {
                self.stream = Some((String::new(), self.requests.pop_front()));
                Ok(())
            }
            Some("content-delta") | Some("tool-plan-delta") => {
                let delta = body.get("delta").unwrap_or(&Value::Null);
                let mut piece = String::new();
                if let Some(c) = delta.pointer("/message/content") {
                    content_text(c, &mut piece);
                }
                if let Some(t) = delta.pointer("/message/tool_plan").and_then(Value::as_str) {
                    append_text(&mut piece, t);
                }
                let s = self.stream.get_or_insert_with(|| (String::new(), None));
                s.0.push_str(&piece);
                Ok(())
            }
            Some("message-end") => {
                let (response, request) = self.stream.take().unwrap_or_default();
                let request = request.or_else(|| self.requests.pop_front());
                let usage = usage_of(body.pointer("/delta/usage").unwrap_or(&Value::Null))?;
                self.record(&value, body, usage, response, request.as_ref(), source, out)
            }
            Some(_) => Ok(()),
            None if detect(body) => {
                let usage = usage_of(body.get("usage").unwrap_or(&Value::Null))?;
                let mut response = String::new();
                content_text(
                    body.pointer("/message/content").unwrap_or(&Value::Null),
                    &mut response,
                );
                let request = if value.get("request").is_some() {
                    None
                } else {
                    self.requests.pop_front()
                };
                self.record(&value, body, usage, response, request.as_ref(), source, out)
            }
            None => Err(unrecognized(&value, EXPECTED)),
        }
    }

    fn finish(&mut self, out: &mut Out) {
        // A request no response answered: a record of its text alone.
        for r in std::mem::take(&mut self.requests) {
            let line = r.line.clone();
            let _ = self.record(
                &line,
                &Value::Null,
                None,
                String::new(),
                Some(&r),
                r.source.clone(),
                out,
            );
        }
    }
}
