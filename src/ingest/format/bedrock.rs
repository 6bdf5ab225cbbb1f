//! AWS Bedrock model invocation logs, format `bedrock` (docs/formats.md,
//! bedrock): the records Bedrock writes to CloudWatch Logs or S3 when model
//! invocation logging is on, one per call, whatever the API (`Converse`,
//! `ConverseStream`, `InvokeModel`, `InvokeModelWithResponseStream`).
//!
//! Values this parser reads: `schemaType: "ModelInvocationLog"`,
//! `timestamp`, `requestId` (the call; an export read twice bills once),
//! `modelId` (a model id, an inference profile such as
//! `us.anthropic.claude-…`, or an ARN whose last path segment is one),
//! `input.inputTokenCount`, `input.cacheReadInputTokenCount`,
//! `input.cacheWriteInputTokenCount`, `output.outputTokenCount`, and the
//! bodies `input.inputBodyJson` (Converse `messages[].content[].text` and
//! `system[].text`, or a provider-native request) and
//! `output.outputBodyJson` (Converse `output.message.content[].text`, or a
//! provider-native response's `content[].text`).
//!
//! Counts are additive, as Bedrock reports them: `inputTokenCount` is the
//! input read neither from nor into the prompt cache, and the cache counts
//! are buckets of their own (written as 5-minute cache writes). No task
//! unless `--task-key`.
//!
//! Converse API responses as an application logs them are read too: a
//! response (`output.message`, `stopReason`, `usage.{inputTokens,
//! outputTokens, cacheReadInputTokens, cacheWriteInputTokens,
//! cacheDetails[]{ttl, inputTokens}}`), alone or in a wrapper with
//! `modelId` (and the request), and `ConverseStream` events, whose last,
//! `metadata`, carries the call's usage. These counts are additive as well
//! (`inputTokens` excludes the cache buckets). A response names no model:
//! it comes from the wrapper's or the request's `modelId`, a request line
//! (`modelId` + `messages`) being paired with the next response, first in,
//! first out.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    numbers::count_field,
    task::task_from,
    text::{append_text, attach_text},
    time::{WRAPPER_TIME_KEYS, parse_timestamp, time_of},
};
use crate::record::{CallId, Format, Record, Source, Text, Usage};

const EXPECTED: &str = "a Bedrock model invocation log record";
const DEDUP_REASON: &str = "same Bedrock request";
const PROVIDER: &str = "aws-bedrock";

/// Detection signature (docs/formats.md, bedrock).
pub fn detect(v: &Value) -> bool {
    if v.get("schemaType").and_then(Value::as_str) == Some("ModelInvocationLog") {
        return true;
    }
    if v.get("modelId").is_some_and(Value::is_string)
        && (v.pointer("/input/inputTokenCount").is_some()
            || v.pointer("/output/outputTokenCount").is_some())
    {
        return true;
    }
    let body = v.get("response").filter(|r| r.is_object()).unwrap_or(v);
    is_converse_response(body) || stream_event(body).is_some()
}

/// A Converse response: camelCase `usage.inputTokens` beside the output
/// message or the stop reason.
fn is_converse_response(v: &Value) -> bool {
    v.pointer("/usage/inputTokens")
        .is_some_and(Value::is_number)
        && (v.pointer("/output/message").is_some() || v.get("stopReason").is_some())
}

/// ConverseStream events, each an object with one key naming the event.
const STREAM_EVENTS: &[&str] = &[
    "messageStart",
    "contentBlockStart",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata",
];

fn stream_event(v: &Value) -> Option<(&'static str, &Value)> {
    let obj = v.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    let (k, body) = obj.iter().next()?;
    let name = STREAM_EVENTS.iter().find(|e| **e == k)?;
    // `metadata` is a common word: only the stream's has usage in it.
    if *name == "metadata" && body.pointer("/usage/inputTokens").is_none() {
        return None;
    }
    body.is_object().then_some((*name, body))
}

/// A Converse request: the model and the conversation.
fn is_converse_request(v: &Value) -> bool {
    v.get("modelId").is_some_and(Value::is_string) && v.get("messages").is_some_and(Value::is_array)
}

/// Converse usage: additive buckets; cache writes split by TTL when
/// `cacheDetails` says so.
fn converse_usage(u: &Value) -> Result<Usage, Skip> {
    let usage = Usage {
        input: count_field(u, "inputTokens")?.unwrap_or(0),
        cache_read: count_field(u, "cacheReadInputTokens")?.unwrap_or(0),
        output: count_field(u, "outputTokens")?.unwrap_or(0),
        ..Usage::default()
    };
    let writes = count_field(u, "cacheWriteInputTokens")?.unwrap_or(0);
    let mut by_ttl = (None, None);
    for d in u
        .get("cacheDetails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let n = count_field(d, "inputTokens")?;
        match d.get("ttl").and_then(Value::as_str) {
            Some("5m") => by_ttl.0 = Some(by_ttl.0.unwrap_or(0) + n.unwrap_or(0)),
            Some("1h") => by_ttl.1 = Some(by_ttl.1.unwrap_or(0) + n.unwrap_or(0)),
            _ => {}
        }
    }
    Ok(usage.with_cache_writes(writes, by_ttl.0, by_ttl.1))
}

/// The prompt of a Converse request (`system[].text`, `messages[]`).
fn request_text(req: &Value, text: &mut Text) {
    super::otel::push_messages(req, &mut text.messages);
    text.has_prompt = !text.messages.is_empty();
}

/// The model from `modelId`: an ARN's last path segment (a foundation
/// model or an inference profile), else the id itself.
fn model_of(id: &str) -> String {
    match id.strip_prefix("arn:") {
        Some(_) => id.rsplit('/').next().unwrap_or(id).to_string(),
        None => id.to_string(),
    }
}

fn usage_of(v: &Value) -> Result<Option<Usage>, Skip> {
    let input = v.get("input").unwrap_or(&Value::Null);
    let output = v.get("output").unwrap_or(&Value::Null);
    let inp = count_field(input, "inputTokenCount")?;
    let out = count_field(output, "outputTokenCount")?;
    if inp.is_none() && out.is_none() {
        return Ok(None);
    }
    let usage = Usage {
        input: inp.unwrap_or(0),
        cache_read: count_field(input, "cacheReadInputTokenCount")?.unwrap_or(0),
        output: out.unwrap_or(0),
        ..Usage::default()
    };
    let writes = count_field(input, "cacheWriteInputTokenCount")?.unwrap_or(0);
    Ok(Some(usage.with_cache_writes(writes, None, None)))
}

/// Text of a Converse content list (`[{text}, …]`) or a plain string.
fn content_text(c: &Value, out: &mut String) {
    match c {
        Value::String(s) => append_text(out, s),
        Value::Array(items) => {
            for i in items {
                if let Some(t) = i.get("text").and_then(Value::as_str) {
                    append_text(out, t);
                }
            }
        }
        _ => {}
    }
}

fn text_of(v: &Value) -> Text {
    let mut text = Text::default();
    if let Some(req) = v.pointer("/input/inputBodyJson") {
        request_text(req, &mut text);
    }
    if let Some(resp) = v.pointer("/output/outputBodyJson") {
        let content = resp
            .pointer("/output/message/content")
            .or_else(|| resp.get("content"))
            .unwrap_or(&Value::Null);
        content_text(content, &mut text.response);
        text.has_response = !text.response.is_empty();
    }
    text
}

/// A Converse request waiting for its response.
struct Request {
    line: Value,
    source: Source,
}

/// A ConverseStream call being read: text so far, and its request.
#[derive(Default)]
struct Stream {
    response: String,
    request: Option<Request>,
}

pub struct Parser {
    opts: ParseOptions,
    requests: std::collections::VecDeque<Request>,
    stream: Option<Stream>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            requests: Default::default(),
            stream: None,
        }
    }

    /// One Converse call: usage from a response or a stream's `metadata`,
    /// the model from the wrapper or the paired request.
    fn converse(
        &mut self,
        line: &Value,
        usage: &Value,
        request: Option<Request>,
        mut text: Text,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        let mut rec = Record::new(source, Format::Bedrock);
        rec.provider = Some(PROVIDER.to_string());
        rec.usage = Some(converse_usage(usage)?);
        let wrapper_req = line.get("request").filter(|r| r.is_object());
        rec.model = line
            .get("modelId")
            .or_else(|| wrapper_req.and_then(|r| r.get("modelId")))
            .and_then(Value::as_str)
            .map(model_of)
            .or_else(|| {
                request
                    .as_ref()
                    .and_then(|r| r.line.get("modelId"))
                    .and_then(Value::as_str)
                    .map(model_of)
            });
        let mut lines: Vec<&Value> = vec![line];
        if let Some(r) = &request {
            lines.push(&r.line);
        }
        rec.timestamp = time_of(&lines, WRAPPER_TIME_KEYS);
        rec.task = task_from(&self.opts, &lines, &[], &[]);
        if let Some(id) = line
            .pointer("/response/ResponseMetadata/RequestId")
            .or_else(|| line.pointer("/ResponseMetadata/RequestId"))
            .and_then(Value::as_str)
        {
            rec.call_id = Some(Box::new(CallId::key(format!("bedrock:{id}"), DEDUP_REASON)));
        }
        if let Some(req) = wrapper_req {
            request_text(req, &mut text);
        } else if let Some(r) = request {
            request_text(&r.line, &mut text);
        }
        attach_text(&mut rec, text)?;
        out.push(rec);
        Ok(())
    }

    fn stream_event(
        &mut self,
        name: &str,
        body: &Value,
        line: &Value,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        match name {
            "messageStart" => {
                self.stream = Some(Stream {
                    response: String::new(),
                    request: self.requests.pop_front(),
                });
            }
            "contentBlockDelta" => {
                if let Some(t) = body.pointer("/delta/text").and_then(Value::as_str) {
                    let s = self.stream.get_or_insert_with(Stream::default);
                    append_text(&mut s.response, t);
                }
            }
            "metadata" => {
                let stream = self.stream.take().unwrap_or_default();
                let request = stream.request.or_else(|| self.requests.pop_front());
                let text = Text {
                    has_response: !stream.response.is_empty(),
                    response: stream.response,
                    ..Text::default()
                };
                let usage = body.get("usage").unwrap_or(&Value::Null);
                return self.converse(line, usage, request, text, source, out);
            }
            // contentBlockStart/Stop, messageStop: nothing to bill.
            _ => {}
        }
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if is_converse_request(&value) && value.get("response").is_none() {
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
        if is_converse_response(body) {
            let mut text = Text::default();
            if let Some(c) = body.pointer("/output/message/content") {
                content_text(c, &mut text.response);
            }
            text.has_response = !text.response.is_empty();
            let request = if value.get("modelId").is_some() || value.get("request").is_some() {
                None
            } else {
                self.requests.pop_front()
            };
            let usage = body.get("usage").unwrap_or(&Value::Null);
            return self.converse(&value, usage, request, text, source, out);
        }
        if let Some((name, body)) = stream_event(body) {
            return self.stream_event(name, body, &value, source, out);
        }
        if !detect(&value) {
            return Err(unrecognized(&value, EXPECTED));
        }
        let mut rec = Record::new(source, Format::Bedrock);
        rec.provider = Some(PROVIDER.to_string());
        rec.usage = usage_of(&value)?;
        rec.model = value.get("modelId").and_then(Value::as_str).map(model_of);
        rec.timestamp = value.get("timestamp").and_then(parse_timestamp);
        rec.task = task_from(&self.opts, &[&value], &[], &[]);
        if let Some(id) = value.get("requestId").and_then(Value::as_str) {
            rec.call_id = Some(Box::new(CallId::key(format!("bedrock:{id}"), DEDUP_REASON)));
        }
        attach_text(&mut rec, text_of(&value))?;
        out.push(rec);
        Ok(())
    }

    fn finish(&mut self, out: &mut Out) {
        // A request no response answered is a record of its text alone, as
        // in the other formats: counted with `--usage counted`, else
        // reported as having no usage.
        for r in std::mem::take(&mut self.requests) {
            let mut rec = Record::new(r.source, Format::Bedrock);
            rec.provider = Some(PROVIDER.to_string());
            rec.model = r.line.get("modelId").and_then(Value::as_str).map(model_of);
            rec.timestamp = time_of(&[&r.line], WRAPPER_TIME_KEYS);
            rec.task = task_from(&self.opts, &[&r.line], &[], &[]);
            let mut text = Text::default();
            request_text(&r.line, &mut text);
            if attach_text(&mut rec, text).is_ok() {
                out.push(rec);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_and_arns() {
        assert_eq!(model_of("amazon.nova-lite-v1:0"), "amazon.nova-lite-v1:0");
        assert_eq!(
            model_of(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
            ),
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        assert_eq!(
            model_of(
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
            ),
            "anthropic.claude-3-haiku-20240307-v1:0"
        );
    }
}
