//! Helicone request exports, format `helicone` (docs/formats.md, helicone).
//!
//! Lines this parser reads: one row per proxied request, as
//! `npx @helicone/export` writes them (JSON array, JSONL, or CSV with the
//! same column names: the container decodes CSV cells holding JSON, and
//! numbers arrive as strings), or a saved query-API answer
//! `{"data":[row, …]}` (each row is one entry of the run's accounting).
//!
//! Usage: re-derived from the provider bodies when `response_body` carries
//! one the provider formats read (OpenAI Chat/Responses, Anthropic
//! Messages, Gemini): the body is handed, with `request_body`, to that
//! format's own parser, so its usage semantics (OpenAI `prompt_tokens` ⊃
//! cached, Anthropic `input_tokens` without cache, Gemini thoughts outside
//! candidates), service tier, web searches and text are exactly that
//! format's. The body wins over the columns because Helicone's columns are
//! its mapper's reading of the same body, and that reading has changed over
//! time. Otherwise the columns `prompt_tokens`, `completion_tokens`,
//! `prompt_cache_read_tokens`, `prompt_cache_write_tokens` are used:
//! `provider` `ANTHROPIC` rows store Anthropic's own `input_tokens` in
//! `prompt_tokens` (cache excluded); every other provider's mapper stores
//! the OpenAI-style prompt count (cache included), so the cache columns are
//! subtracted from it. A row whose `prompt_tokens` is smaller than its cache
//! columns cannot include them and is read as exclusive whatever the
//! provider. Cache writes from the columns are 5-minute writes (the columns
//! do not split TTLs). `reasoning_tokens` is kept only as the informational
//! subset of output: Helicone's mappers disagree on whether
//! `completion_tokens` contains it.
//!
//! Rows that bill nothing: `response_status` ≥ 400 (`api error`), a status
//! ≤ 0 (no response was ever recorded: `request failed`), and a response
//! served from Helicone's own cache (`cache_reference_id` pointing at
//! another request: `proxy cache hit`, no provider call was made).
//!
//! Model: the served model first: `response_model`, the response body's
//! model, then `model_override` (what the user told Helicone to price the
//! call as), `model`, `request_model`. Timestamp `request_created_at`.
//! Session: the `Helicone-Session-Id` property (`request_properties` or
//! `properties`, key case ignored). Task: `--task-key` on the row, else a
//! `Task`/`task_id` custom property (`Helicone-Property-Task` headers are
//! stored without their prefix), else — only when there is no session, so
//! that the session stays the task — `request_user_id`. Reported cost:
//! `costUSD`, else `cost` (the query API already divides Helicone's stored
//! integer cost to USD). A `request_id` seen twice in a run (the same rows
//! exported as JSON and as CSV) is billed once.

use serde_json::{Map, Value};

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    lookup::first_str,
    numbers::{count_field, decimal_value},
    task::task_of,
    text::attach_text,
    time::time_of,
};
use crate::record::{CallId, Format, Record, Source, Text, Usage};

const EXPECTED: &str = "a Helicone request row (`request_id` + `request_created_at`)";
/// Custom properties read as the task, compared without case.
const TASK_PROPERTIES: &[&str] = &[
    "task",
    "task_id",
    "task-id",
    "helicone-property-task",
    "helicone-task-id",
];
const SESSION_PROPERTIES: &[&str] = &["helicone-session-id", "session", "session_id"];
/// Helicone's `cache_reference_id` of a request not served from its cache.
const NO_CACHE_REFERENCE: &str = "00000000-0000-0000-0000-000000000000";

/// Detection signature (docs/formats.md, helicone), also for a saved
/// query-API answer whose `data` holds such rows.
pub fn detect(v: &Value) -> bool {
    is_row(v)
        || v.get("request_id").is_none()
            && v.get("data")
                .and_then(Value::as_array)
                .is_some_and(|rows| rows.first().is_some_and(is_row))
}

fn is_row(v: &Value) -> bool {
    v.get("request_id").is_some()
        && v.get("request_created_at").is_some()
        && ["request_body", "response_body", "provider"]
            .iter()
            .any(|k| v.get(*k).is_some())
}

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }

    fn row(&self, mut row: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        if !row.is_object() {
            return Err(unrecognized(&row, EXPECTED));
        }
        // `--task-key` may point into a body: asked before the bodies are
        // moved out (they can be megabytes; the rest is read from `v`).
        let key_task = self
            .opts
            .task_key
            .is_some()
            .then(|| task_of(&row, &self.opts, &[]));
        let request = decoded(row.get_mut("request_body").map(Value::take));
        let response = decoded(row.get_mut("response_body").map(Value::take));
        let v = &row;
        if let Some(status) = status_of(v.get("response_status")) {
            if status >= 400 {
                out.drop_line(source, "api error");
                return Ok(());
            }
            if status <= 0 {
                out.drop_line(source, "request failed");
                return Ok(());
            }
        }
        if is_helicone_cache_hit(v) {
            out.drop_line(source, "proxy cache hit");
            return Ok(());
        }
        let body_model = response.as_ref().and_then(|r| {
            first_str(r, &["model", "modelVersion", "model_version"])
                .or_else(|| first_str(r, &["response.model"]))
        });
        let request_model = request.as_ref().and_then(|r| first_str(r, &["model"]));
        let call = embedded_call(request, response, &source)?;

        let mut rec = Record::new(source, Format::Helicone);
        let provider = first_str(v, &["provider"])
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty());
        let mut text = Text::default();
        if let Some(call) = call {
            rec.usage = call.usage;
            rec.service_tier = call.service_tier;
            rec.web_search_requests = call.web_search_requests;
            rec.provider = call.provider;
            text = call.text.unwrap_or_default();
        }
        if rec.usage.is_none() {
            rec.usage = column_usage(v, provider.as_deref())?;
        }
        if provider.is_some() {
            rec.provider = provider;
        }
        rec.model = first_str(v, &["response_model"])
            .or(body_model)
            .or_else(|| first_str(v, &["model_override", "model", "request_model"]))
            .or(request_model);
        rec.timestamp = time_of(&[v], &["request_created_at", "response_created_at"]);
        rec.reported_cost_usd = ["costUSD", "cost"]
            .iter()
            .find_map(|k| v.get(*k).and_then(decimal_value));
        rec.session = property(v, SESSION_PROPERTIES);
        rec.task = if let Some(task) = key_task {
            task
        } else {
            property(v, TASK_PROPERTIES).or_else(|| {
                rec.session
                    .is_none()
                    .then(|| first_str(v, &["request_user_id", "helicone_user"]))
                    .flatten()
            })
        };
        if let Some(id) = first_str(v, &["request_id"]) {
            rec.call_id = Some(Box::new(CallId::key(
                format!("helicone:{id}"),
                "same request id",
            )));
        }
        attach_text(&mut rec, text)?;
        out.push(rec);
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let mut value = value;
        if value.get("request_id").is_some() {
            return self.row(value, source, out);
        }
        let Some(Value::Array(rows)) = value.get_mut("data").map(Value::take) else {
            return Err(unrecognized(&value, EXPECTED));
        };
        let mut entries = super::openai_usage::Entries::default();
        for row in rows {
            entries.add(self.row(row, source.clone(), out));
        }
        entries.close(source, out)
    }

    fn finish(&mut self, _out: &mut Out) {}
}

/// The HTTP status as logged (number or numeric string).
fn status_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A response Helicone served from its own cache: the row points at the
/// request whose response it replayed.
fn is_helicone_cache_hit(v: &Value) -> bool {
    let Some(reference) = first_str(v, &["cache_reference_id"]) else {
        return false;
    };
    let reference = reference.trim();
    !reference.is_empty()
        && reference != NO_CACHE_REFERENCE
        && first_str(v, &["request_id"]).is_none_or(|id| id.trim() != reference)
}

/// A body as an object: exports keep bodies as JSON, but a body that was
/// stored (or exported) as a JSON string is decoded.
pub(crate) fn decoded(v: Option<Value>) -> Option<Value> {
    match v? {
        Value::Object(m) if !m.is_empty() => Some(Value::Object(m)),
        Value::String(s) if s.trim_start().starts_with('{') => serde_json::from_str::<Value>(&s)
            .ok()
            .filter(|x| x.as_object().is_some_and(|m| !m.is_empty())),
        _ => None,
    }
}

/// One provider call embedded in a proxy's export row, read by the
/// provider format's own parser: usage with that provider's semantics,
/// service tier, web searches, prompt and response text. The response side
/// is used only when a provider format recognizes it (a placeholder such as
/// `{"helicone_message": …}` is dropped so that the request still gives
/// prompt text). `Ok(None)` when neither side is a provider body; broken
/// counts in a recognized body are an error (`invalid usage`).
pub(crate) fn embedded_call(
    request: Option<Value>,
    response: Option<Value>,
    source: &Source,
) -> Result<Option<Record>, Skip> {
    // Each side alone is asked which provider format it is, so that an
    // unrecognized response does not hide a recognized request.
    let side = |key: &str, body: Option<Value>| {
        let body = body.filter(Value::is_object)?;
        let mut probe = Map::new();
        probe.insert(key.to_string(), body);
        let probe = Value::Object(probe);
        let format = super::detect(&probe).filter(|f| {
            matches!(
                f,
                Format::OpenAiChat
                    | Format::OpenAiResponses
                    | Format::AnthropicMessages
                    | Format::Gemini
            )
        })?;
        let Value::Object(mut m) = probe else {
            return None;
        };
        Some((m.remove(key)?, format))
    };
    let response = side("response", response);
    let request = side("request", request);
    let Some(format) = response
        .as_ref()
        .map(|(_, f)| *f)
        .or(request.as_ref().map(|(_, f)| *f))
    else {
        return Ok(None);
    };
    let mut wrapper = Map::new();
    if let Some((body, _)) = request {
        wrapper.insert("request".to_string(), body);
    }
    if let Some((body, _)) = response {
        wrapper.insert("response".to_string(), body);
    }
    let mut parser = super::parser_for(format, &ParseOptions::default());
    let mut out = Out::default();
    if let Err(skip) = parser.push(Value::Object(wrapper), source.clone(), &mut out)
        && skip.reason == "invalid usage"
    {
        return Err(skip);
    }
    parser.finish(&mut out);
    Ok(out.records.into_iter().next())
}

/// Usage from the token columns (see the module doc for the semantics).
fn column_usage(v: &Value, provider: Option<&str>) -> Result<Option<Usage>, Skip> {
    let prompt = count_field(v, "prompt_tokens")?;
    let completion = count_field(v, "completion_tokens")?;
    let read = count_field(v, "prompt_cache_read_tokens")?;
    let write = count_field(v, "prompt_cache_write_tokens")?;
    if prompt.is_none() && completion.is_none() && read.is_none() && write.is_none() {
        return Ok(None);
    }
    let reasoning = count_field(v, "reasoning_tokens")?.unwrap_or(0);
    let (prompt, output) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    let (read, write) = (read.unwrap_or(0), write.unwrap_or(0));
    let exclusive = provider == Some("anthropic") || prompt < read.saturating_add(write);
    Ok(Some(if exclusive {
        Usage {
            input: prompt,
            cache_read: read,
            cache_write_5m: write,
            cache_write_1h: 0,
            output,
            reasoning: reasoning.min(output),
        }
    } else {
        Usage::from_inclusive_input(prompt, read, write, output, reasoning)
    }))
}

/// A custom property by name (case ignored), from `request_properties`
/// then `properties`.
fn property(v: &Value, names: &[&str]) -> Option<String> {
    ["request_properties", "properties"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_object))
        .find_map(|props| {
            names.iter().find_map(|name| {
                props
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, x)| match x {
                        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use crate::record::ServiceTier;
    use serde_json::json;

    fn buckets(u: Usage) -> [u64; 6] {
        u.buckets()
    }

    fn anthropic_row() -> Value {
        json!({"request_id":"6b1f0c2e-1111-4a4a-9b9b-000000000001","request_created_at":"2025-10-05T08:00:00.000Z",
               "provider":"ANTHROPIC","model":"claude-sonnet-4-5-20250929","request_model":"claude-sonnet-4-5",
               "response_status":200,"prompt_tokens":9999,"completion_tokens":40,
               "prompt_cache_write_tokens":0,"prompt_cache_read_tokens":0,"costUSD":0.0123,
               "request_user_id":"u-7","request_properties":{"Helicone-Session-Id":"s-1","Task":"T-9"},
               "request_body":{"model":"claude-sonnet-4-5","max_tokens":512,"system":"Be brief.",
                               "messages":[{"role":"user","content":"Lint main.rs"}]},
               "response_body":{"id":"msg_x","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
                                "content":[{"type":"text","text":"Two warnings."}],
                                "usage":{"input_tokens":30,"cache_read_input_tokens":2000,
                                         "cache_creation_input_tokens":600,
                                         "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":500},
                                         "output_tokens":40}}})
    }

    #[test]
    fn detection() {
        assert!(detect(&anthropic_row()));
        assert!(detect(&json!({"data":[anthropic_row()],"error":null})));
        assert!(!detect(
            &json!({"request_id":"x","call_type":"acompletion"})
        ));
        assert_eq!(
            super::super::detect(&anthropic_row()),
            Some(Format::Helicone)
        );
    }

    #[test]
    fn body_usage_wins_over_columns() {
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[anthropic_row()]);
        assert!(skips.is_empty(), "{skips:?}");
        let r = &out.records[0];
        assert_eq!(r.format, Format::Helicone);
        assert_eq!(
            buckets(r.usage.unwrap()),
            [30, 2000, 100, 500, 40, 0],
            "Anthropic body usage, not the 9999 column"
        );
        assert_eq!(r.provider.as_deref(), Some("anthropic"));
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(r.session.as_deref(), Some("s-1"));
        assert_eq!(r.task.as_deref(), Some("T-9"));
        assert_eq!(
            r.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.0123")
        );
        let t = r.text.as_ref().unwrap();
        assert!(t.has_prompt && t.has_response);
        assert_eq!(t.messages[0].content, "Be brief.");
        assert_eq!(t.response, "Two warnings.");
        assert!(r.call_id.is_some());
    }

    #[test]
    fn columns_per_provider() {
        let row = |provider: &str, prompt: &str| {
            json!({"request_id":"r","request_created_at":"2025-10-05 08:00:00","provider":provider,
                   "model":"m","response_status":"200","prompt_tokens":prompt,"completion_tokens":"7",
                   "prompt_cache_read_tokens":"100","prompt_cache_write_tokens":"50",
                   "request_body":"","response_body":""})
        };
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(
            &mut p,
            &[
                row("ANTHROPIC", "20"),
                row("OPENAI", "400"),
                row("OPENAI", "30"),
            ],
        );
        assert!(skips.is_empty(), "{skips:?}");
        let b: Vec<_> = out
            .records
            .iter()
            .map(|r| buckets(r.usage.unwrap()))
            .collect();
        assert_eq!(b[0], [20, 100, 50, 0, 7, 0], "Anthropic: exclusive");
        assert_eq!(b[1], [250, 100, 50, 0, 7, 0], "OpenAI: inclusive");
        assert_eq!(
            b[2],
            [30, 100, 50, 0, 7, 0],
            "too small to include the cache"
        );
        assert!(out.records[0].timestamp.is_some());
    }

    #[test]
    fn failures_and_cache_hits_bill_nothing() {
        let mut ok = anthropic_row();
        let mut failed = anthropic_row();
        failed["response_status"] = json!(500);
        let mut pending = anthropic_row();
        pending["response_status"] = json!("-1");
        let mut hit = anthropic_row();
        hit["cache_reference_id"] = json!("6b1f0c2e-1111-4a4a-9b9b-000000000777");
        ok["cache_reference_id"] = json!(NO_CACHE_REFERENCE);
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[failed, pending, hit, ok]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 1);
        let reasons: Vec<_> = out.dropped.iter().map(|(_, r)| *r).collect();
        assert_eq!(reasons, ["api error", "request failed", "proxy cache hit"]);
    }

    #[test]
    fn openai_body_and_user_as_task_without_session() {
        let row = json!({"request_id":"r2","request_created_at":"2025-10-05T09:00:00Z","provider":"OPENAI",
            "response_model":"gpt-4o-mini-2024-07-18","request_user_id":"u-3",
            "prompt_tokens":1,"completion_tokens":1,
            "request_body":{"model":"gpt-4o-mini","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]},
            "response_body":{"object":"chat.completion","model":"gpt-4o-mini-2024-07-18","service_tier":"flex",
                "choices":[{"message":{"role":"assistant","content":"yo"}}],
                "usage":{"prompt_tokens":1200,"completion_tokens":80,"prompt_tokens_details":{"cached_tokens":1024},
                         "completion_tokens_details":{"reasoning_tokens":16}}}});
        let mut p = Parser::new(ParseOptions::default());
        let (out, _) = run_parser_out(&mut p, &[row]);
        let r = &out.records[0];
        assert_eq!(buckets(r.usage.unwrap()), [176, 1024, 0, 0, 80, 16]);
        assert_eq!(r.service_tier, ServiceTier::Flex);
        assert_eq!(r.task.as_deref(), Some("u-3"));
        assert!(r.text.as_ref().unwrap().chat_framing);
    }

    #[test]
    fn query_api_document_accounts_each_row() {
        let mut failed = anthropic_row();
        failed["response_status"] = json!(429);
        let mut broken = anthropic_row();
        broken["response_body"] = Value::Null;
        broken["prompt_tokens"] = json!(-3);
        let doc = json!({"data":[anthropic_row(), failed, broken],"error":null});
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[doc, json!({"data":[]})]);
        assert_eq!(out.records.len(), 1);
        assert_eq!(skips.len(), 1);
        assert_eq!(skips[0].reason, "invalid usage");
        // 3 rows: 1 record + 1 dropped + 1 skipped; the empty document is
        // one dropped line.
        assert_eq!(out.extra_entries, 2);
        assert_eq!(out.dropped.len(), 2);
    }

    #[test]
    fn placeholder_body_keeps_request_text_and_columns() {
        let row = json!({"request_id":"r3","request_created_at":"2025-10-05T09:00:00Z","provider":"OPENAI",
            "model":"gpt-4o","prompt_tokens":"12","completion_tokens":"3",
            "request_body":"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
            "response_body":{"helicone_message":"fetching body from signed_url..."}});
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[row]);
        assert!(skips.is_empty(), "{skips:?}");
        let r = &out.records[0];
        assert_eq!(buckets(r.usage.unwrap()), [12, 0, 0, 0, 3, 0]);
        let t = r.text.as_ref().unwrap();
        assert!(t.has_prompt && !t.has_response);
        assert_eq!(r.model.as_deref(), Some("gpt-4o"));
    }
}
