//! Anthropic Message Batches, format `anthropic-batch` (docs/formats.md,
//! anthropic-batch).
//!
//! Lines this parser reads:
//! - requests `{custom_id, params}`: `params` is a Messages request and
//!   gives prompt text (system, messages, tools) and the requested model;
//! - results `{custom_id, result: {type, …}}`: `succeeded` carries a full
//!   Message (`result.message`) with usage, text and the served model;
//!   `errored`, `canceled` and `expired` billed nothing.
//!
//! Results come in any order and usually in another file than the
//! requests: both halves go to the run's join book (`join.rs`), paired by
//! `custom_id` within one directory, exactly as for OpenAI batches.
//!
//! Usage follows the Messages rules (input excludes cache reads and
//! writes; 5m/1h writes apart). Every call is billed at the batch tier.
//! The task is the request's task id if any, else the `custom_id`.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip, anthropic};
use crate::ingest::fields::errors::unrecognized;
use crate::ingest::join::{JoinKey, RequestFate};
use crate::record::{Format, Record, ServiceTier, Source};

const EXPECTED: &str =
    "an Anthropic batch request (`custom_id`, `params`) or result (`custom_id`, `result.type`)";
const RESULTS: &[&str] = &["succeeded", "errored", "canceled", "expired"];

/// Detection signature: a result or a request (docs/formats.md,
/// anthropic-batch).
pub fn detect(v: &Value) -> bool {
    v.get("custom_id").is_some() && (is_result(v) || is_request(v))
}

fn is_result(v: &Value) -> bool {
    v.pointer("/result/type")
        .and_then(Value::as_str)
        .is_some_and(|t| RESULTS.contains(&t))
}

fn is_request(v: &Value) -> bool {
    v.pointer("/params/messages").is_some_and(Value::is_array)
}

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }

    fn finish_record(&self, mut rec: Record, custom_id: &str) -> Record {
        rec.format = Format::AnthropicBatch;
        rec.service_tier = ServiceTier::Batch;
        if rec.task.is_none() && self.opts.task_key.is_none() {
            rec.task = Some(custom_id.to_string());
        }
        rec
    }

    fn on_request(
        &mut self,
        line: Value,
        id: &str,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        let Some(params) = line.get("params").filter(|p| p.is_object()) else {
            return Err(Skip::new("invalid batch line", "`params` is not an object"));
        };
        let rec =
            anthropic::SHAPE.build(&self.opts, source.clone(), Some((&line, params)), None)?;
        let rec = self.finish_record(rec, id);
        let key = JoinKey::new(Format::AnthropicBatch, &source, id);
        match crate::ingest::join::lock(&self.opts).offer_request(key, rec) {
            RequestFate::Joined(r) => out.push(*r),
            RequestFate::Failed => out.drop_line(source, "request failed"),
            RequestFate::Held => {}
        }
        Ok(())
    }

    fn on_result(
        &mut self,
        line: Value,
        id: &str,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        let key = JoinKey::new(Format::AnthropicBatch, &source, id);
        let message = line.pointer("/result/message").filter(|m| m.is_object());
        let kind = line.pointer("/result/type").and_then(Value::as_str);
        let Some(message) = message.filter(|_| kind == Some("succeeded")) else {
            if kind == Some("succeeded") {
                return Err(Skip::new(
                    "invalid batch line",
                    "a `succeeded` result without a `message` object",
                ));
            }
            if let Some(request) = crate::ingest::join::lock(&self.opts).offer_failure(key) {
                out.drop_line(request, "request failed");
            }
            out.drop_line(source, "request failed");
            return Ok(());
        };
        let reply = anthropic::parse_message(message)?.into_reply();
        let rec =
            anthropic::SHAPE.build(&self.opts, source, None, Some((&line, message, reply)))?;
        let rec = self.finish_record(rec, id);
        if let Some(joined) = crate::ingest::join::lock(&self.opts).offer_result(key, rec) {
            out.push(joined);
        }
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let id = match value.get("custom_id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                return Err(Skip::new(
                    "invalid batch line",
                    "`custom_id` must be a non-empty string",
                ));
            }
            None => return Err(unrecognized(&value, EXPECTED)),
        };
        if is_result(&value) {
            self.on_result(value, &id, source, out)
        } else if is_request(&value) {
            self.on_request(value, &id, source, out)
        } else {
            Err(unrecognized(&value, EXPECTED))
        }
    }

    fn finish(&mut self, _out: &mut Out) {
        // Halves still waiting are drained at the end of the run.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    fn request(id: &str) -> Value {
        json!({"custom_id": id, "params": {"model": "claude-haiku-4-5", "max_tokens": 64,
            "system": [{"type": "text", "text": "You review code."}],
            "messages": [{"role": "user", "content": "Review: fn add(a, b) { a + b }"}]}})
    }

    fn succeeded(id: &str) -> Value {
        json!({"custom_id": id, "result": {"type": "succeeded", "message": {"id": "msg_01B", "type": "message",
            "role": "assistant", "model": "claude-haiku-4-5-20251001", "content": [{"type": "text", "text": "LGTM."}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 310, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 90, "output_tokens": 4, "service_tier": "batch"}}}})
    }

    #[test]
    fn detects_requests_and_results() {
        assert!(detect(&request("a")));
        assert!(detect(&succeeded("a")));
        assert!(detect(
            &json!({"custom_id": "a", "result": {"type": "expired"}})
        ));
        assert!(!detect(
            &json!({"custom_id": "a", "result": {"type": "pending"}})
        ));
        assert!(!detect(
            &json!({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}})
        ));
    }

    #[test]
    fn result_joins_its_request_in_either_order() {
        let opts = ParseOptions::default();
        let mut p = Parser::new(opts.clone());
        let (out, skips) = run_parser_out(
            &mut p,
            &[
                succeeded("r1"),
                request("r1"),
                request("r2"),
                succeeded("r2"),
            ],
        );
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(out.records.len(), 2);
        for r in &out.records {
            assert_eq!(r.format, Format::AnthropicBatch);
            assert_eq!(r.service_tier, ServiceTier::Batch);
            assert_eq!(r.model.as_deref(), Some("claude-haiku-4-5-20251001"));
            let u = r.usage.unwrap();
            assert_eq!((u.input, u.cache_read, u.output), (310, 90, 4));
            let t = r.text.as_ref().unwrap();
            assert!(t.has_prompt && t.has_response);
        }
        assert_eq!(out.records[0].task.as_deref(), Some("r1"));
        assert_eq!(out.records[0].source.line, 1);
        assert_eq!(out.records[1].source.line, 4);
        assert!(opts.joins.lock().unwrap().drain().is_empty());
    }

    #[test]
    fn errored_canceled_expired_bill_nothing() {
        let opts = ParseOptions::default();
        let mut p = Parser::new(opts.clone());
        let errored = json!({"custom_id": "e", "result": {"type": "errored", "error": {"type": "error",
            "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}}}});
        let expired = json!({"custom_id": "x", "result": {"type": "expired"}});
        let canceled = json!({"custom_id": "c", "result": {"type": "canceled"}});
        let (out, skips) = run_parser_out(
            &mut p,
            &[errored, request("e"), expired, canceled, request("c")],
        );
        assert!(skips.is_empty());
        assert!(out.records.is_empty());
        assert_eq!(out.dropped.len(), 5);
        assert!(opts.joins.lock().unwrap().drain().is_empty());
    }

    #[test]
    fn broken_results_are_skipped() {
        let mut p = Parser::new(ParseOptions::default());
        let no_message = json!({"custom_id": "a", "result": {"type": "succeeded"}});
        let bad_usage = json!({"custom_id": "b", "result": {"type": "succeeded", "message": {"type": "message",
            "role": "assistant", "content": [], "usage": {"input_tokens": -1, "output_tokens": 1}}}});
        let (out, skips) = run_parser_out(&mut p, &[no_message, bad_usage]);
        assert!(out.records.is_empty());
        assert_eq!(skips.len(), 2);
    }
}
