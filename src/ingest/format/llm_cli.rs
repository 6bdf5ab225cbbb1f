//! `llm logs --json` from Simon Willison's llm, format `llm-cli`
//! (docs/formats.md, llm-cli).
//!
//! Values this parser reads: the response objects of the JSON array that
//! `llm logs --json` prints (also one per JSONL line): `id` (ULID),
//! `model` / `resolved_model` (the served model, preferred when set),
//! `prompt`, `system`, `prompt_json` (the messages the plugin sent, with
//! earlier turns of the conversation), `response`, `reasoning`,
//! `conversation_id` (→ session), `datetime_utc`, `input_tokens`,
//! `output_tokens` and `token_details`.
//!
//! `token_details` is what the plugin left of the provider's usage (a
//! JSON-encoded string, an object, or null), and it tells how to read
//! `input_tokens`:
//! - Anthropic keys (`cache_read_input_tokens`,
//!   `cache_creation_input_tokens`, `cache_creation{ephemeral_5m,1h}`):
//!   llm-anthropic's `input_tokens` is Anthropic's, which excludes the
//!   cache, so the cache counts are added as their own buckets (writes
//!   split 5m/1h when the breakdown is there, any excess of the total as
//!   5m);
//! - otherwise input includes the cache, as OpenAI (`prompt_tokens_details`
//!   / `input_tokens_details.cached_tokens`, `cache_write_tokens`) and
//!   Gemini (`cachedContentTokenCount`) count it: the cached part is
//!   subtracted. Reasoning is `completion_tokens_details.reasoning_tokens`
//!   / `output_tokens_details.reasoning_tokens` / `thoughtsTokenCount`,
//!   inside the output count — except from llm-gemini versions that did
//!   not yet add thoughts to `output_tokens`, recognized by
//!   `thoughtsTokenCount` without `candidatesTokenCount` in the details
//!   (later versions keep `candidatesTokenCount` there and count thoughts
//!   in `output_tokens`): their thoughts are added.
//!
//! Also read: `service_tier` and `server_tool_use.web_search_requests`
//! from the details. A row whose tokens are both null (plugins that report
//! no usage) is a record with text only, counted when `--usage` asks for
//! it. No task unless `--task-key`. A response exported twice (the same
//! `id` in overlapping exports) is billed once.

use serde_json::Value;

use super::otel::part_text;
use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    lookup::first_str,
    numbers::count_field,
    task::task_from,
    text::{append_text, attach_text},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Message, Record, ServiceTier, Source, Text, Usage};

const EXPECTED: &str = "an `llm logs --json` response object";
const DEDUP_REASON: &str = "duplicate response";
const ANTHROPIC_KEYS: &[&str] = &[
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation",
];

/// Detection signature (docs/formats.md, detection).
pub fn detect(v: &Value) -> bool {
    v.get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id.len() == 26)
        && ["prompt", "response", "conversation_id", "datetime_utc"]
            .iter()
            .all(|k| v.get(*k).is_some())
}

/// A value that may be JSON-encoded (`token_details`, `prompt_json`).
fn decoded(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::Null => None,
        Value::String(s) => serde_json::from_str::<Value>(s)
            .ok()
            .filter(Value::is_object),
        other => Some(other.clone()),
    }
}

/// First count among dotted `paths` of the details.
fn detail(d: &Value, paths: &[&str]) -> Result<Option<u64>, Skip> {
    for p in paths {
        if let Some(x) = crate::ingest::fields::lookup::lookup(d, p) {
            let field = format!("token_details.{p}");
            if let Some(n) = crate::ingest::fields::numbers::count_value(x, &field)? {
                return Ok(Some(n));
            }
        }
    }
    Ok(None)
}

fn usage_of(row: &Value, details: &Value) -> Result<Option<Usage>, Skip> {
    let input = count_field(row, "input_tokens")?;
    let output = count_field(row, "output_tokens")?;
    if input.is_none() && output.is_none() {
        return Ok(None);
    }
    let (input, mut output) = (input.unwrap_or(0), output.unwrap_or(0));
    if ANTHROPIC_KEYS.iter().any(|k| details.get(*k).is_some()) {
        let cache_read = detail(details, &["cache_read_input_tokens"])?.unwrap_or(0);
        let creation = detail(details, &["cache_creation_input_tokens"])?.unwrap_or(0);
        let w5 = detail(details, &["cache_creation.ephemeral_5m_input_tokens"])?;
        let w1 = detail(details, &["cache_creation.ephemeral_1h_input_tokens"])?;
        let thinking = detail(details, &["output_tokens_details.thinking_tokens"])?.unwrap_or(0);
        let usage = Usage {
            input,
            cache_read,
            output,
            reasoning: thinking.min(output),
            ..Usage::default()
        };
        return Ok(Some(usage.with_cache_writes(creation, w5, w1)));
    }
    let cached = detail(
        details,
        &[
            "prompt_tokens_details.cached_tokens",
            "input_tokens_details.cached_tokens",
            "cachedContentTokenCount",
        ],
    )?
    .unwrap_or(0);
    let cache_write = detail(
        details,
        &[
            "prompt_tokens_details.cache_write_tokens",
            "input_tokens_details.cache_write_tokens",
        ],
    )?
    .unwrap_or(0);
    let reasoning = detail(
        details,
        &[
            "completion_tokens_details.reasoning_tokens",
            "output_tokens_details.reasoning_tokens",
            "thoughtsTokenCount",
        ],
    )?
    .unwrap_or(0);
    if details.get("thoughtsTokenCount").is_some() && details.get("candidatesTokenCount").is_none()
    {
        output = output.saturating_add(reasoning);
    }
    Ok(Some(Usage::from_inclusive_input(
        input,
        cached,
        cache_write,
        output,
        reasoning,
    )))
}

fn row_text(row: &Value) -> Text {
    let mut text = Text::default();
    let system = row
        .get("system")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let pj = decoded(row.get("prompt_json"));
    if let Some(pj) = pj
        .as_ref()
        .filter(|p| p.get("messages").is_some_and(Value::is_array))
    {
        super::openai_chat::request_text(pj, &mut text);
    } else if let Some(contents) = pj
        .as_ref()
        .and_then(|p| p.get("contents"))
        .and_then(Value::as_array)
    {
        // llm-gemini sends Gemini `contents[]{role, parts[]}`.
        text.has_prompt = true;
        for c in contents {
            let mut content = String::new();
            part_text(c.get("parts").unwrap_or(&Value::Null), &mut content);
            let role = match c.get("role").and_then(Value::as_str) {
                Some("model") => "assistant",
                Some(r) => r,
                None => "user",
            };
            text.messages.push(Message {
                role: role.to_string(),
                name: None,
                content,
            });
        }
    }
    if let Some(sys) = system
        && !text.messages.iter().any(|m| m.role == "system")
    {
        text.messages.insert(
            0,
            Message {
                role: "system".to_string(),
                name: None,
                content: sys.to_string(),
            },
        );
    }
    if !text.has_prompt
        && let Some(p) = row.get("prompt").and_then(Value::as_str)
    {
        text.has_prompt = true;
        text.messages.push(Message {
            role: "user".to_string(),
            name: None,
            content: p.to_string(),
        });
    }
    if let Some(r) = row.get("reasoning").and_then(Value::as_str) {
        append_text(&mut text.response, r);
    }
    if let Some(r) = row.get("response").and_then(Value::as_str) {
        text.has_response = true;
        append_text(&mut text.response, r);
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
        if !value.is_object() {
            return Err(unrecognized(&value, EXPECTED));
        }
        let details = decoded(value.get("token_details")).unwrap_or(Value::Null);
        let mut rec = Record::new(source, Format::LlmCli);
        rec.usage = usage_of(&value, &details)?;
        rec.model = first_str(&value, &["resolved_model", "model"]);
        rec.timestamp = value.get("datetime_utc").and_then(parse_timestamp);
        rec.session = first_str(&value, &["conversation_id"]);
        rec.task = task_from(&self.opts, &[&value], &[], &[]);
        if let Some(t) = first_str(&details, &["service_tier"]) {
            rec.service_tier = ServiceTier::from_logged(&t);
        }
        rec.web_search_requests =
            detail(&details, &["server_tool_use.web_search_requests"])?.unwrap_or(0);
        if let Some(id) = first_str(&value, &["id"]) {
            rec.call_id = Some(Box::new(CallId::key(format!("llm-cli:{id}"), DEDUP_REASON)));
        }
        attach_text(&mut rec, row_text(&value))?;
        out.push(rec);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Out) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    fn row(input: Value, output: Value, details: Value) -> Value {
        json!({"id": "01k9zzzzzzzzzzzzzzzzzzzzz1", "model": "gpt-4o-mini", "resolved_model": null,
               "prompt": "hello", "system": null, "prompt_json": null, "response": "hi there",
               "conversation_id": "01k9conv", "datetime_utc": "2025-11-05T10:00:00.5+00:00",
               "input_tokens": input, "output_tokens": output, "token_details": details})
    }
    fn run(lines: &[Value]) -> (Out, Vec<Skip>) {
        run_parser_out(&mut Parser::new(ParseOptions::default()), lines)
    }
    fn buckets(r: &Record) -> [u64; 6] {
        let u = r.usage.unwrap();
        [
            u.input,
            u.cache_read,
            u.cache_write_5m,
            u.cache_write_1h,
            u.output,
            u.reasoning,
        ]
    }

    #[test]
    fn openai_details_in_a_string_are_inclusive() {
        let d = json!(
            "{\"prompt_tokens_details\": {\"cached_tokens\": 1024}, \"completion_tokens_details\": {\"reasoning_tokens\": 8}}"
        );
        let (out, skips) = run(&[row(json!(1180), json!(20), d)]);
        assert!(skips.is_empty());
        assert_eq!(buckets(&out.records[0]), [156, 1024, 0, 0, 20, 8]);
        // Responses-style names, as an object.
        let d = json!({"input_tokens_details": {"cached_tokens": 100}});
        let (out, _) = run(&[row(json!(150), json!(5), d)]);
        assert_eq!(buckets(&out.records[0]), [50, 100, 0, 0, 5, 0]);
    }

    #[test]
    fn anthropic_details_are_additive() {
        let d = json!({"cache_read_input_tokens": 900, "cache_creation_input_tokens": 300,
                       "service_tier": "priority", "server_tool_use": {"web_search_requests": 2}});
        let (out, _) = run(&[row(json!(12), json!(40), d)]);
        let r = &out.records[0];
        assert_eq!(buckets(r), [12, 900, 300, 0, 40, 0]);
        assert_eq!(r.service_tier, ServiceTier::Priority);
        assert_eq!(r.web_search_requests, 2);
        let d = json!(
            "{\"cache_creation_input_tokens\": 3000, \"cache_creation\": {\"ephemeral_1h_input_tokens\": 2000}}"
        );
        let (out, _) = run(&[row(json!(1), json!(1), d)]);
        assert_eq!(buckets(&out.records[0]), [1, 0, 1000, 2000, 1, 0]);
    }

    #[test]
    fn gemini_thoughts_by_plugin_version() {
        // Older llm-gemini: output_tokens were candidates only.
        let old = json!("{\"thoughtsTokenCount\": 400}");
        // Newer: thoughts already in output_tokens, candidates kept in details.
        let new = json!(
            "{\"candidatesTokenCount\": 50, \"thoughtsTokenCount\": 150, \"cachedContentTokenCount\": 512}"
        );
        let (out, _) = run(&[
            row(json!(600), json!(90), old),
            row(json!(1000), json!(200), new),
        ]);
        assert_eq!(buckets(&out.records[0]), [600, 0, 0, 0, 490, 400]);
        assert_eq!(buckets(&out.records[1]), [488, 512, 0, 0, 200, 150]);
    }

    #[test]
    fn null_tokens_keep_text_only() {
        let (out, skips) = run(&[row(Value::Null, Value::Null, Value::Null)]);
        assert!(skips.is_empty());
        let r = &out.records[0];
        assert!(r.usage.is_none());
        let t = r.text.as_ref().unwrap();
        assert!(t.has_prompt && t.has_response);
        assert_eq!(t.messages[0].content, "hello");
        let mut empty = row(Value::Null, Value::Null, Value::Null);
        empty["prompt"] = Value::Null;
        empty["response"] = Value::Null;
        let (_, skips) = run(&[empty]);
        assert_eq!(skips[0].reason, "no usage");
    }

    #[test]
    fn broken_details_are_ignored_and_bad_counts_skipped() {
        let (out, _) = run(&[row(json!(10), json!(1), json!("not json"))]);
        assert_eq!(buckets(&out.records[0]), [10, 0, 0, 0, 1, 0]);
        let (_, skips) = run(&[row(json!(-3), json!(1), Value::Null)]);
        assert_eq!(skips[0].reason, "invalid usage");
    }

    #[test]
    fn fields_and_prompt_json_messages() {
        let mut r = row(json!(30), json!(4), Value::Null);
        r["resolved_model"] = json!("gpt-4o-mini-2024-07-18");
        r["system"] = json!("Be brief.");
        r["reasoning"] = json!("thinking");
        r["prompt_json"] = json!(
            "{\"messages\": [{\"role\": \"user\", \"content\": \"earlier\"}, {\"role\": \"assistant\", \"content\": \"ok\"}, {\"role\": \"user\", \"content\": \"hello\"}]}"
        );
        let (out, _) = run(&[r]);
        let rec = &out.records[0];
        assert_eq!(rec.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
        assert_eq!(rec.session.as_deref(), Some("01k9conv"));
        assert_eq!(rec.task, None);
        assert!(rec.timestamp.is_some());
        let t = rec.text.as_ref().unwrap();
        let roles: Vec<&str> = t.messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
        assert!(t.chat_framing);
        assert_eq!(t.response, "thinking\nhi there");
        assert_eq!(
            rec.call_id.as_ref().unwrap().check,
            vec!["llm-cli:01k9zzzzzzzzzzzzzzzzzzzzz1".to_string()]
        );
    }

    #[test]
    fn gemini_contents_in_prompt_json() {
        let mut r = row(json!(30), json!(4), Value::Null);
        r["prompt_json"] = json!({"contents": [{"role": "user", "parts": [{"text": "a"}]},
                                               {"role": "model", "parts": [{"text": "b"}]}]});
        let (out, _) = run(&[r]);
        let t = out.records[0].text.as_ref().unwrap();
        let roles: Vec<&str> = t.messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, vec!["user", "assistant"]);
    }
}
