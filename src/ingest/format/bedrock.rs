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

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    numbers::count_field,
    task::task_from,
    text::{append_text, attach_text},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Message, Record, Source, Text, Usage};

const EXPECTED: &str = "a Bedrock model invocation log record";
const DEDUP_REASON: &str = "same Bedrock request";
const PROVIDER: &str = "aws-bedrock";

/// Detection signature (docs/formats.md, bedrock).
pub fn detect(v: &Value) -> bool {
    if v.get("schemaType").and_then(Value::as_str) == Some("ModelInvocationLog") {
        return true;
    }
    v.get("modelId").is_some_and(Value::is_string)
        && (v.pointer("/input/inputTokenCount").is_some()
            || v.pointer("/output/outputTokenCount").is_some())
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
        let mut system = String::new();
        if let Some(s) = req.get("system") {
            content_text(s, &mut system);
        }
        if !system.is_empty() {
            text.messages.push(Message {
                role: "system".into(),
                name: None,
                content: system,
            });
        }
        for m in req
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut content = String::new();
            content_text(m.get("content").unwrap_or(&Value::Null), &mut content);
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
        text.has_prompt = !text.messages.is_empty();
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

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
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

    fn finish(&mut self, _out: &mut Out) {}
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
