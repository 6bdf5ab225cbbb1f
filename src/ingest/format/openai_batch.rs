//! OpenAI Batch API, format `openai-batch` (docs/formats.md, openai-batch).
//!
//! Lines this parser reads:
//! - input lines `{custom_id, method, url, body}`: `body` is a normal
//!   request for `url` (`/v1/chat/completions`, `/v1/responses`,
//!   `/v1/completions`, `/v1/embeddings`) and gives prompt text and the
//!   requested model;
//! - output lines `{id, custom_id, response: {status_code, request_id,
//!   body}, error}`: `body` is a normal response and gives usage, response
//!   text and the served model; a status other than 2xx, or
//!   `response: null` with an `error` (expired, failed), billed nothing.
//!
//! Output lines carry no prompt text and come in any order, often in
//! another file than their input: both halves go to the run's join book
//! (`join.rs`), which pairs them by `custom_id` within one directory. A
//! result whose input never shows up is billed from its usage alone at the
//! end of the run; an input that never gets a result is an estimate from
//! its text, like any unanswered request.
//!
//! Every call is billed at the batch tier, whatever `service_tier` the
//! response body reports (it says `default`: the tier that served the
//! batch worker, not the discount the batch earned).
//!
//! The task is the body's task id if any (see `openai_chat` task keys),
//! else the `custom_id`, which batch users set to their unit of work.

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use super::{openai_chat, openai_responses};
use crate::ingest::call::{Reply, Shape};
use crate::ingest::fields::{
    errors::unrecognized,
    text::{append_text, content_text},
};
use crate::ingest::join::{JoinKey, RequestFate};
use crate::record::{Format, Message, Record, ServiceTier, Source, Text};

const EXPECTED: &str = "an OpenAI Batch input line (`custom_id`, `method`, `url`, `body`) or output line (`custom_id`, `response`, `error`)";

/// Detection signature: an input or an output line (docs/formats.md,
/// openai-batch).
pub fn detect(v: &Value) -> bool {
    if v.get("custom_id").is_none() {
        return false;
    }
    is_input(v) || is_output(v)
}

fn is_input(v: &Value) -> bool {
    ["method", "url", "body"]
        .iter()
        .all(|k| v.get(*k).is_some())
}

fn is_output(v: &Value) -> bool {
    v.pointer("/response/status_code").is_some()
        || (v.get("response").is_some_and(Value::is_null) && v.get("error").is_some())
}

/// Which API a request or response body belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Chat,
    Responses,
    Embeddings,
}

impl Endpoint {
    fn from_url(url: &str) -> Option<Endpoint> {
        let path = url.split('?').next().unwrap_or(url).trim_end_matches('/');
        if path.ends_with("/chat/completions") || path.ends_with("/completions") {
            Some(Endpoint::Chat)
        } else if path.ends_with("/responses") {
            Some(Endpoint::Responses)
        } else if path.ends_with("/embeddings") {
            Some(Endpoint::Embeddings)
        } else {
            None
        }
    }

    /// A response body says what it is in `object`.
    fn from_body(body: &Value) -> Endpoint {
        match body.get("object").and_then(Value::as_str) {
            Some("response") => Endpoint::Responses,
            Some("list") => Endpoint::Embeddings,
            _ if body.get("output").is_some_and(Value::is_array) => Endpoint::Responses,
            _ => Endpoint::Chat,
        }
    }

    fn shape(self) -> &'static Shape {
        match self {
            Endpoint::Responses => &openai_responses::SHAPE,
            Endpoint::Chat | Endpoint::Embeddings => &openai_chat::SHAPE,
        }
    }
}

/// Embeddings requests bill their `input` (a string or a list of strings;
/// token-id arrays carry no text to count).
fn embeddings_text(body: &Value, text: &mut Text) {
    let mut s = String::new();
    match body.get("input") {
        Some(Value::String(t)) => s.push_str(t),
        Some(Value::Array(items)) => {
            for i in items {
                if let Value::String(t) = i {
                    append_text(&mut s, t);
                }
            }
        }
        Some(other) => content_text(other, &mut s),
        None => return,
    }
    text.has_prompt = true;
    text.messages.push(Message {
        role: "user".to_string(),
        name: None,
        content: s,
    });
}

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }

    fn custom_id(v: &Value) -> Result<&str, Skip> {
        match v.get("custom_id") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            Some(Value::Number(_)) => Err(Skip::new(
                "invalid batch line",
                "`custom_id` must be a string",
            )),
            _ => Err(Skip::new(
                "invalid batch line",
                "`custom_id` is missing or empty",
            )),
        }
    }

    fn finish_record(&self, mut rec: Record, line: &Value, custom_id: &str) -> Record {
        rec.format = Format::OpenAiBatch;
        rec.service_tier = ServiceTier::Batch;
        if rec.task.is_none() && self.opts.task_key.is_none() {
            rec.task = Some(custom_id.to_string());
        }
        if let Some(id) = line
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            rec.session.get_or_insert_with(|| id.to_string());
        }
        rec
    }

    fn on_input(&mut self, line: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let custom_id = Self::custom_id(&line)?.to_string();
        let body = line
            .get("body")
            .filter(|b| b.is_object())
            .ok_or_else(|| Skip::new("invalid batch line", "`body` is not an object"))?;
        let url = line.get("url").and_then(Value::as_str).unwrap_or("");
        let endpoint = Endpoint::from_url(url).ok_or_else(|| {
            Skip::new(
                "unsupported batch endpoint",
                format!("batch endpoint `{url}` is not read (chat, responses, completions, embeddings are)"),
            )
        })?;
        let mut rec = if endpoint == Endpoint::Embeddings {
            let shape = Shape {
                request_text: embeddings_text,
                ..*endpoint.shape()
            };
            shape.build(&self.opts, source.clone(), Some((&line, body)), None)?
        } else {
            endpoint
                .shape()
                .build(&self.opts, source.clone(), Some((&line, body)), None)?
        };
        rec = self.finish_record(rec, &line, &custom_id);
        let key = JoinKey::new(Format::OpenAiBatch, &source, &custom_id);
        let fate = crate::ingest::join::lock(&self.opts).offer_request(key, rec);
        match fate {
            RequestFate::Joined(r) => out.push(*r),
            RequestFate::Failed => out.drop_line(source, "request failed"),
            RequestFate::Held => {}
        }
        Ok(())
    }

    fn on_output(&mut self, line: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let custom_id = Self::custom_id(&line)?.to_string();
        let key = JoinKey::new(Format::OpenAiBatch, &source, &custom_id);
        let status = line
            .pointer("/response/status_code")
            .and_then(Value::as_u64);
        let body = line.pointer("/response/body").filter(|b| b.is_object());
        let failed = match (status, body) {
            (Some(s), Some(_)) => !(200..300).contains(&s),
            _ => true,
        };
        if failed {
            // Nothing was billed for an errored or expired request.
            if let Some(request) = crate::ingest::join::lock(&self.opts).offer_failure(key) {
                out.drop_line(request, "request failed");
            }
            out.drop_line(source, "request failed");
            return Ok(());
        }
        let Some(body) = body else {
            return Ok(());
        };
        let endpoint = Endpoint::from_body(body);
        let reply: Reply = match endpoint {
            Endpoint::Responses => openai_responses::parse_reply(body)?,
            Endpoint::Chat | Endpoint::Embeddings => openai_chat::parse_reply(body)?,
        };
        let rec = endpoint
            .shape()
            .build(&self.opts, source, None, Some((&line, body, reply)))?;
        let rec = self.finish_record(rec, &line, &custom_id);
        if let Some(joined) = crate::ingest::join::lock(&self.opts).offer_result(key, rec) {
            out.push(joined);
        }
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if value.get("custom_id").is_some() && is_input(&value) {
            self.on_input(value, source, out)
        } else if value.get("custom_id").is_some() && is_output(&value) {
            self.on_output(value, source, out)
        } else {
            Err(unrecognized(&value, EXPECTED))
        }
    }

    fn finish(&mut self, _out: &mut Out) {
        // Halves still waiting are the run's business (`ingest::finish_run`):
        // their other half may be in a file not read yet.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    fn input(id: &str) -> Value {
        json!({"custom_id": id, "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Classify: great"}]}})
    }

    fn output(id: &str, prompt: u64, completion: u64) -> Value {
        json!({"id": format!("batch_req_{id}"), "custom_id": id, "response": {"status_code": 200, "request_id": "req_1",
            "body": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1711652795, "model": "gpt-4o-mini-2024-07-18",
                "service_tier": "default",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "positive"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                    "prompt_tokens_details": {"cached_tokens": 0}}}}, "error": null})
    }

    #[test]
    fn detects_both_halves_only() {
        assert!(detect(&input("a")));
        assert!(detect(&output("a", 1, 1)));
        assert!(detect(
            &json!({"custom_id": "x", "response": null, "error": {"code": "batch_expired"}})
        ));
        assert!(!detect(
            &json!({"custom_id": "x", "result": {"type": "succeeded"}})
        ));
        assert!(!detect(&json!({"model": "gpt-4o", "messages": []})));
    }

    #[test]
    fn output_after_input_joins_at_batch_tier() {
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[input("t-1"), output("t-1", 14, 1)]);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(out.records.len(), 1);
        let r = &out.records[0];
        assert_eq!(r.format, Format::OpenAiBatch);
        assert_eq!(r.service_tier, ServiceTier::Batch);
        assert_eq!(r.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
        assert_eq!(r.task.as_deref(), Some("t-1"));
        assert_eq!(r.source.line, 2);
        let u = r.usage.unwrap();
        assert_eq!((u.input, u.output), (14, 1));
        let t = r.text.as_ref().unwrap();
        assert!(t.has_prompt && t.has_response && t.chat_framing);
        assert_eq!(t.response, "positive");
    }

    #[test]
    fn output_before_input_waits_for_it() {
        let opts = ParseOptions::default();
        let mut p = Parser::new(opts.clone());
        let (out, _) = run_parser_out(&mut p, &[output("t-2", 20, 3), input("t-2")]);
        assert_eq!(out.records.len(), 1);
        assert!(out.records[0].text.as_ref().unwrap().has_prompt);
        assert!(opts.joins.lock().unwrap().drain().is_empty());
    }

    #[test]
    fn errors_and_expiries_bill_nothing_and_cancel_their_input() {
        let opts = ParseOptions::default();
        let mut p = Parser::new(opts.clone());
        let expired = json!({"id": "batch_req_9", "custom_id": "t-3", "response": null,
            "error": {"code": "batch_expired", "message": "expired"}});
        let bad = json!({"id": "batch_req_8", "custom_id": "t-4", "response": {"status_code": 400, "request_id": "r",
            "body": {"error": {"message": "bad"}}}, "error": null});
        let (out, skips) = run_parser_out(&mut p, &[expired, input("t-3"), bad, input("t-4")]);
        assert!(skips.is_empty());
        assert!(out.records.is_empty());
        let reasons: Vec<&str> = out.dropped.iter().map(|(_, r)| *r).collect();
        assert_eq!(reasons, ["request failed"; 4]);
        assert!(opts.joins.lock().unwrap().drain().is_empty());
    }

    #[test]
    fn unanswered_halves_wait_for_the_run_end() {
        let opts = ParseOptions::default();
        let mut p = Parser::new(opts.clone());
        let (out, _) = run_parser_out(&mut p, &[input("a"), output("b", 5, 1)]);
        assert!(out.records.is_empty());
        let left = opts.joins.lock().unwrap().drain();
        assert_eq!(left.len(), 2);
        assert!(left[0].usage.is_none(), "input a: an estimate from text");
        assert_eq!(left[1].usage.unwrap().input, 5, "output b: billed alone");
    }

    #[test]
    fn responses_and_embeddings_bodies() {
        let mut p = Parser::new(ParseOptions::default());
        let resp_in = json!({"custom_id": "r", "method": "POST", "url": "/v1/responses",
            "body": {"model": "gpt-4.1-mini", "input": "Summarize: tokens cost money."}});
        let resp_out = json!({"id": "batch_req_r", "custom_id": "r", "response": {"status_code": 200, "body": {
            "id": "resp_1", "object": "response", "created_at": 1741476542, "model": "gpt-4.1-mini-2025-04-14",
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Tokens cost."}]}],
            "usage": {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 10}, "output_tokens": 4,
                "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 34}}}, "error": null});
        let emb_in = json!({"custom_id": "e", "method": "POST", "url": "/v1/embeddings",
            "body": {"model": "text-embedding-3-small", "input": ["alpha", "beta"]}});
        let emb_out = json!({"id": "batch_req_e", "custom_id": "e", "response": {"status_code": 200, "body": {
            "object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1]}],
            "model": "text-embedding-3-small", "usage": {"prompt_tokens": 2, "total_tokens": 2}}}, "error": null});
        let (out, skips) = run_parser_out(&mut p, &[resp_in, resp_out, emb_in, emb_out]);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(out.records.len(), 2);
        let u = out.records[0].usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.output), (20, 10, 4));
        assert!(!out.records[0].text.as_ref().unwrap().chat_framing);
        let u = out.records[1].usage.unwrap();
        assert_eq!((u.input, u.output), (2, 0));
        assert_eq!(
            out.records[1].text.as_ref().unwrap().messages[0].content,
            "alpha\nbeta"
        );
    }

    #[test]
    fn broken_lines_are_skipped_with_a_reason() {
        let mut p = Parser::new(ParseOptions::default());
        let no_body =
            json!({"custom_id": "x", "method": "POST", "url": "/v1/chat/completions", "body": 3});
        let odd_url = json!({"custom_id": "y", "method": "POST", "url": "/v1/images/generations", "body": {}});
        let num_id =
            json!({"custom_id": 7, "method": "POST", "url": "/v1/chat/completions", "body": {}});
        let (out, skips) = run_parser_out(&mut p, &[no_body, odd_url, num_id]);
        assert!(out.records.is_empty());
        let reasons: Vec<&str> = skips.iter().map(|s| s.reason).collect();
        assert_eq!(
            reasons,
            [
                "invalid batch line",
                "unsupported batch endpoint",
                "invalid batch line"
            ]
        );
    }
}
