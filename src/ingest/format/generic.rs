//! Generic rows: home-grown JSONL logs and CSV exports with prompt/response
//! text and/or token counts and a model. Checked last in detection.
//!
//! Field names (matched exactly, then case-insensitively with spaces and
//! dashes read as `_`, so a CSV header `Input Tokens` works):
//! - text: `prompt` | `input` | `question` | `input_text` (a string, or an
//!   array of `{role, content}` messages); `system` | `system_prompt`;
//!   `response` | `output` | `completion` | `answer` | `output_text`,
//! - `model` | `model_name` | `engine`; optional `provider`, `service_tier`,
//! - `timestamp` | `time` | `ts` | `created_at` | `datetime` | `date` |
//!   `datetime_utc` | `created`,
//! - `task_id` | `task` | `taskId` | `job_id`; `session_id` | `session` |
//!   `conversation_id` | `thread_id`,
//! - `input_tokens` | `prompt_tokens` | `tokens_in`; `output_tokens` |
//!   `completion_tokens` | `tokens_out`; `cached_tokens` |
//!   `cache_read_tokens` | `cache_read_input_tokens`; `cache_write_tokens` |
//!   `cache_creation_tokens` | `cache_creation_input_tokens`;
//!   `reasoning_tokens` (counts may also sit in a nested `usage` object),
//! - `cost` | `cost_usd` | `costUSD` (kept as the reported cost).
//!
//! Counting semantics (no provider documents home-grown logs; see
//! docs/formats.md, generic):
//! `input_tokens` is the *total* input including cached tokens, as OpenAI
//! and Gemini report it, so `input = input_tokens − cached − cache_write`;
//! unless the row uses Anthropic's names `cache_read_input_tokens` /
//! `cache_creation_input_tokens` beside `input_tokens` (not `prompt_tokens`,
//! which LiteLLM-style rows report inclusive of cache), in which case the
//! counts are additive (`input_tokens` is uncached input only) and writes
//! are 5-minute writes. Cached and reasoning counts are also read from
//! OpenAI-style `usage.prompt_tokens_details` / `completion_tokens_details`.
//! `output_tokens` includes reasoning. A lone `total_tokens` cannot be split
//! into buckets and is ignored.
//!
//! CSV rows arrive as objects whose values are all strings: an empty string
//! is a missing value, numeric strings are numbers.
//!
//! `--field NAME=PATH` maps a name to a JSON pointer or dotted path for
//! logs whose keys no rule above knows; a mapped name is read only from its
//! path (no synonyms), unmapped names keep the rules above. A mapped
//! `input_tokens` is total input including cached tokens (OpenAI's
//! meaning); map `uncached_input_tokens` instead for a log that counts
//! input without the cache (Anthropic's meaning).

use serde_json::{Map, Value};

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    envelope::fill_from_wrappers,
    errors::unrecognized,
    lookup::lookup,
    numbers::{count_value, decimal_value},
    task::task_of,
    text::{attach_text, content_text},
    time::parse_timestamp,
};
use crate::record::{Format, Message, Record, Source, Text, Usage};

const EXPECTED: &str = "a row with a `model` and prompt/response text or token counts";
const MODEL_KEYS: &[&str] = &["model", "model_name", "engine"];
const PROMPT_KEYS: &[&str] = &["prompt", "input", "question", "input_text"];
const SYSTEM_KEYS: &[&str] = &["system", "system_prompt"];
const RESPONSE_KEYS: &[&str] = &["response", "output", "completion", "answer", "output_text"];
const TIME_KEYS: &[&str] = &[
    "timestamp",
    "time",
    "ts",
    "created_at",
    "datetime",
    "date",
    "datetime_utc",
    "created",
];
const TASK_KEYS: &[&str] = &["task_id", "task", "taskId", "job_id"];
const SESSION_KEYS: &[&str] = &["session_id", "session", "conversation_id", "thread_id"];
const INPUT_KEYS: &[&str] = &["input_tokens", "prompt_tokens", "tokens_in"];
const OUTPUT_KEYS: &[&str] = &["output_tokens", "completion_tokens", "tokens_out"];
const CACHED_KEYS: &[&str] = &[
    "cached_tokens",
    "cache_read_tokens",
    "cache_read_input_tokens",
];
const WRITE_KEYS: &[&str] = &[
    "cache_write_tokens",
    "cache_creation_tokens",
    "cache_creation_input_tokens",
];
const REASONING_KEYS: &[&str] = &["reasoning_tokens"];
const ANTHROPIC_CACHE_KEYS: &[&str] = &["cache_read_input_tokens", "cache_creation_input_tokens"];
const COST_KEYS: &[&str] = &["cost_usd", "costUSD", "cost"];
/// Keys that belong to formats with their own parser: such rows are theirs.
const FOREIGN_KEYS: &[&str] = &[
    "messages",
    "contents",
    "choices",
    "candidates",
    "custom_id",
    "resourceSpans",
    "payload",
    "request_body",
    "response_body",
    "request_created_at",
    "call_type",
    "usageDetails",
    "traceId",
    "parentUuid",
    "leafUuid",
    "usageMetadata",
    "usage_metadata",
];

pub fn detect(v: &Value) -> bool {
    let Some(row) = v.as_object() else {
        return false;
    };
    if FOREIGN_KEYS.iter().any(|k| row.contains_key(*k)) {
        return false;
    }
    let has_model = field(row, MODEL_KEYS).is_some_and(|(_, m)| m.is_string());
    let has_text = field(row, PROMPT_KEYS)
        .into_iter()
        .chain(field(row, RESPONSE_KEYS))
        .any(|(_, t)| t.is_string() || t.is_array());
    let has_tokens = [INPUT_KEYS, OUTPUT_KEYS].iter().any(|keys| {
        counts_in(row).any(|m| field(m, keys).is_some_and(|(k, x)| count_value(x, k).is_ok()))
    });
    has_model && (has_text || has_tokens)
}

/// A present value (not null, not an empty string).
fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        _ => true,
    }
}

/// First present field among `names`: exact keys first, then loose matches.
fn field<'v>(
    row: &'v Map<String, Value>,
    names: &[&'static str],
) -> Option<(&'static str, &'v Value)> {
    for n in names {
        if let Some(v) = row.get(*n).filter(|v| present(v)) {
            return Some((n, v));
        }
    }
    for n in names {
        if let Some((_, v)) = row.iter().find(|(k, v)| loose_eq(k, n) && present(v)) {
            return Some((n, v));
        }
    }
    None
}

/// Loose key matching: trimmed, lowercase, `-` and spaces as `_`. Compared
/// without building either string: this runs for every key of a row and
/// every synonym the row lacks, and allocating here was a quarter of a
/// generic log's read time (profiled).
fn loose_eq(key: &str, name: &str) -> bool {
    let fold = |c: char| match c {
        '-' | ' ' => '_',
        c => c.to_ascii_lowercase(),
    };
    key.trim()
        .chars()
        .map(fold)
        .eq(name.trim().chars().map(fold))
}

/// Where token counts may be: the row, then a nested `usage` object, then
/// OpenAI-style detail objects inside it (`prompt_tokens_details.cached_tokens`,
/// `completion_tokens_details.reasoning_tokens`, as LiteLLM's usage object has).
fn counts_in(row: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    let usage = row.get("usage").and_then(Value::as_object);
    let details = usage.into_iter().flat_map(|u| {
        DETAIL_KEYS
            .iter()
            .filter_map(move |k| u.get(*k).and_then(Value::as_object))
    });
    std::iter::once(row).chain(usage).chain(details)
}

const DETAIL_KEYS: &[&str] = &[
    "prompt_tokens_details",
    "input_tokens_details",
    "completion_tokens_details",
    "output_tokens_details",
];

/// The first count found under `names`, with the name it was found under.
fn count_named(
    row: &Map<String, Value>,
    names: &[&'static str],
) -> Result<Option<(&'static str, u64)>, Skip> {
    for m in counts_in(row) {
        if let Some((k, v)) = field(m, names) {
            return Ok(count_value(v, k)?.map(|n| (k, n)));
        }
    }
    Ok(None)
}

fn count_of(row: &Map<String, Value>, names: &[&'static str]) -> Result<Option<u64>, Skip> {
    Ok(count_named(row, names)?.map(|(_, n)| n))
}

fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn usage_of(row: &Map<String, Value>) -> Result<Option<Usage>, Skip> {
    let input_named = count_named(row, INPUT_KEYS)?;
    let input = input_named.map(|(_, n)| n);
    let output = count_of(row, OUTPUT_KEYS)?;
    let cached = count_of(row, CACHED_KEYS)?;
    let write = count_of(row, WRITE_KEYS)?;
    let reasoning = count_of(row, REASONING_KEYS)?.unwrap_or(0);
    if input.is_none() && output.is_none() && cached.is_none() && write.is_none() {
        return Ok(None);
    }
    let (input, output) = (input.unwrap_or(0), output.unwrap_or(0));
    let (cached, write) = (cached.unwrap_or(0), write.unwrap_or(0));
    // Anthropic's cache names mean additive counts only beside Anthropic's
    // own `input_tokens`; LiteLLM-style rows report `prompt_tokens` that
    // already include those cache counts.
    let additive = counts_in(row).any(|m| field(m, ANTHROPIC_CACHE_KEYS).is_some())
        && input_named.is_none_or(|(k, _)| k == "input_tokens");
    Ok(Some(if additive {
        Usage {
            input,
            cache_read: cached,
            cache_write_5m: write,
            cache_write_1h: 0,
            output,
            reasoning: reasoning.min(output),
        }
    } else {
        Usage::from_inclusive_input(input, cached, write, output, reasoning)
    }))
}

fn text_of(v: &Value) -> String {
    let mut s = String::new();
    content_text(v, &mut s);
    s
}

fn prompt_messages(v: &Value, out: &mut Vec<Message>) {
    match v {
        Value::Array(items) => {
            for m in items {
                let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
                let content = match m {
                    Value::Object(_) => m.get("content").map(text_of).unwrap_or_default(),
                    other => text_of(other),
                };
                out.push(Message {
                    role: role.to_string(),
                    name: m.get("name").and_then(Value::as_str).map(str::to_string),
                    content,
                });
            }
        }
        other => out.push(Message {
            role: "user".to_string(),
            name: None,
            content: text_of(other),
        }),
    }
}

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }
}

/// `--field` mappings resolved against one row: a mapped name answers
/// only from its path.
struct Mapped<'a> {
    fields: &'a [(String, String)],
    row: &'a Value,
}

impl<'a> Mapped<'a> {
    /// `None`: the name is not mapped. `Some(None)`: mapped, absent here.
    fn get(&self, name: &str) -> Option<Option<&'a Value>> {
        let (_, path) = self.fields.iter().find(|(n, _)| n == name)?;
        Some(lookup(self.row, path).filter(|v| present(v)))
    }

    /// A mapped value, or the synonym rules for an unmapped name.
    fn or_field(
        &self,
        name: &'static str,
        row: &'a Map<String, Value>,
        names: &[&'static str],
    ) -> Option<(&'static str, &'a Value)> {
        match self.get(name) {
            Some(v) => v.map(|v| (name, v)),
            None => field(row, names),
        }
    }

    fn count(&self, name: &'static str) -> Result<Option<Option<u64>>, Skip> {
        match self.get(name) {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(v)) => Ok(Some(count_value(v, name)?)),
        }
    }

    fn any_count(&self) -> bool {
        MAPPED_COUNTS.iter().any(|n| self.get(n).is_some())
    }
}

const MAPPED_COUNTS: &[&str] = &[
    "input_tokens",
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
];

/// Usage when any count is mapped: mapped counts from their paths,
/// unmapped ones by the synonym rules.
fn mapped_usage(m: &Mapped<'_>, row: &Map<String, Value>) -> Result<Option<Usage>, Skip> {
    let or = |name: &'static str, names: &[&'static str]| -> Result<Option<u64>, Skip> {
        match m.count(name)? {
            Some(v) => Ok(v),
            None => count_of(row, names),
        }
    };
    let uncached = m.count("uncached_input_tokens")?.flatten();
    let input = match uncached {
        Some(_) => None,
        None => or("input_tokens", INPUT_KEYS)?,
    };
    let output = or("output_tokens", OUTPUT_KEYS)?;
    let cached = or("cache_read_tokens", CACHED_KEYS)?;
    let write = or("cache_write_tokens", WRITE_KEYS)?;
    let reasoning = or("reasoning_tokens", REASONING_KEYS)?.unwrap_or(0);
    if uncached.is_none()
        && input.is_none()
        && output.is_none()
        && cached.is_none()
        && write.is_none()
    {
        return Ok(None);
    }
    let output = output.unwrap_or(0);
    Ok(Some(match uncached {
        Some(u) => Usage {
            input: u,
            cache_read: cached.unwrap_or(0),
            cache_write_5m: write.unwrap_or(0),
            cache_write_1h: 0,
            output,
            reasoning: reasoning.min(output),
        },
        None => Usage::from_inclusive_input(
            input.unwrap_or(0),
            cached.unwrap_or(0),
            write.unwrap_or(0),
            output,
            reasoning,
        ),
    }))
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let Some(row) = value.as_object() else {
            return Err(unrecognized(&value, EXPECTED));
        };
        let m = Mapped {
            fields: &self.opts.fields,
            row: &value,
        };
        let model = m
            .or_field("model", row, MODEL_KEYS)
            .and_then(|(_, v)| string_of(v));
        let prompt = m.or_field("prompt", row, PROMPT_KEYS);
        let response = m.or_field("response", row, RESPONSE_KEYS);
        let usage = if m.any_count() {
            mapped_usage(&m, row)?
        } else {
            usage_of(row)?
        };
        if model.is_none() && prompt.is_none() && response.is_none() && usage.is_none() {
            return Err(unrecognized(&value, EXPECTED));
        }
        let mut rec = Record::new(source, Format::Generic);
        rec.model = model;
        rec.usage = usage;
        rec.timestamp = m
            .or_field("timestamp", row, TIME_KEYS)
            .and_then(|(_, t)| parse_timestamp(t))
            .filter(|t| t.as_second() >= 946_684_800);
        rec.task = match (&self.opts.task_key, m.get("task")) {
            (Some(_), _) => task_of(&value, &self.opts, &[]),
            (None, Some(t)) => t.and_then(string_of),
            (None, None) => field(row, TASK_KEYS).and_then(|(_, t)| string_of(t)),
        };
        rec.session = m
            .or_field("session", row, SESSION_KEYS)
            .and_then(|(_, s)| string_of(s));
        rec.project = m.get("project").flatten().and_then(string_of);
        rec.reported_cost_usd = m
            .or_field("cost", row, COST_KEYS)
            .and_then(|(_, c)| decimal_value(c));
        // Provider and service tier as logged (exact key names).
        fill_from_wrappers(&mut rec, &[&value]);
        if let Some(p) = m.get("provider").flatten().and_then(string_of) {
            rec.provider = Some(p);
        }

        let mut text = Text::default();
        if let Some((_, s)) = m.or_field("system", row, SYSTEM_KEYS) {
            text.messages.push(Message {
                role: "system".to_string(),
                name: None,
                content: text_of(s),
            });
        }
        if let Some((_, p)) = prompt {
            text.has_prompt = true;
            prompt_messages(p, &mut text.messages);
        }
        if let Some((_, r)) = response {
            text.has_response = true;
            text.response = text_of(r);
        }
        if !text.has_prompt {
            // A system prompt alone is not the logged prompt.
            text.messages.clear();
        }
        attach_text(&mut rec, text)?;
        out.push(rec);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Out) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_keys_match_by_case_dash_and_space() {
        assert!(loose_eq(" Input-Tokens ", "input_tokens"));
        assert!(loose_eq("input tokens", "input_tokens"));
        assert!(!loose_eq("input_token", "input_tokens"));
        assert!(!loose_eq("input_tokens_x", "input_tokens"));
    }
    use serde_json::json;

    fn run(lines: &[Value]) -> (Vec<Record>, Vec<Skip>) {
        super::super::run_parser(&mut Parser::new(ParseOptions::default()), lines)
    }

    /// LiteLLM-style usage: `prompt_tokens` already includes the cache
    /// counts, even when Anthropic's cache field names appear beside it.
    #[test]
    fn prompt_tokens_with_anthropic_cache_names_are_inclusive() {
        let row = json!({"model":"claude-sonnet-4-5","usage":{"prompt_tokens":1500,"completion_tokens":10,
            "cache_read_input_tokens":1000,"cache_creation_input_tokens":400}});
        let (recs, _) = run(&[row]);
        let u = recs[0].usage.unwrap();
        assert_eq!(
            (u.input, u.cache_read, u.cache_write_5m, u.output),
            (100, 1000, 400, 10)
        );
        // Anthropic's own naming stays additive.
        let row = json!({"model":"claude-sonnet-4-5","input_tokens":100,"output_tokens":10,
            "cache_read_input_tokens":1000,"cache_creation_input_tokens":400});
        let (recs, _) = run(&[row]);
        let u = recs[0].usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.cache_write_5m), (100, 1000, 400));
    }

    #[test]
    fn nested_openai_details_are_read() {
        let row = json!({"model":"gpt-4o","usage":{"prompt_tokens":1180,"completion_tokens":90,
            "prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":64}}});
        let (recs, _) = run(&[row]);
        let u = recs[0].usage.unwrap();
        assert_eq!(
            (u.input, u.cache_read, u.output, u.reasoning),
            (156, 1024, 90, 64)
        );
    }

    fn buckets(u: Usage) -> (u64, u64, u64, u64, u64) {
        (
            u.input,
            u.cache_read,
            u.cache_write_5m,
            u.output,
            u.reasoning,
        )
    }

    #[test]
    fn detection() {
        assert!(detect(
            &json!({"model":"gpt-4o","prompt":"hi","response":"hello"})
        ));
        assert!(detect(
            &json!({"model":"gpt-4o","input_tokens":"12","output_tokens":"3"})
        ));
        assert!(!detect(&json!({"prompt":"hi","response":"hello"})));
        assert!(!detect(&json!({"model":"gpt-4o","messages":[]})));
        assert!(!detect(&json!({"model":"gpt-4o","input_tokens":"x"})));
        assert!(!detect(&json!({"foo":1})));
    }

    #[test]
    fn csv_row_all_strings() {
        let row = json!({"timestamp":"2025-02-03 10:00:00","model":"gpt-4o-mini","task_id":"T1","session_id":"",
            "prompt":"Summarize the ticket","response":"Printer is jammed.","input_tokens":"1200","cached_tokens":"1024",
            "output_tokens":"8","cost_usd":"0.000318"});
        let (recs, skips) = run(&[row]);
        assert!(skips.is_empty());
        let r = &recs[0];
        assert_eq!(r.timestamp, Some("2025-02-03T10:00:00Z".parse().unwrap()));
        assert_eq!(r.task.as_deref(), Some("T1"));
        assert_eq!(r.session, None);
        assert_eq!(buckets(r.usage.unwrap()), (176, 1024, 0, 8, 0));
        assert_eq!(r.reported_cost_usd.unwrap().to_string(), "0.000318");
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.messages[0].content, "Summarize the ticket");
        assert_eq!(t.response, "Printer is jammed.");
    }

    #[test]
    fn anthropic_names_are_additive() {
        let row = json!({"model":"claude-haiku-4-5-20251001","input_tokens":30,"cache_read_input_tokens":2000,
            "cache_creation_input_tokens":500,"output_tokens":40});
        let (recs, _) = run(&[row]);
        assert_eq!(buckets(recs[0].usage.unwrap()), (30, 2000, 500, 40, 0));
    }

    #[test]
    fn synonyms_loose_keys_and_nested_usage() {
        let rows = [
            json!({"Model Name":"gemini-2.5-flash","Question":"2+2?","Answer":"4","Tokens In":"9","Tokens Out":"1","Job ID":"j-7"}),
            json!({"engine":"gpt-4.1","input":"hi","output":"hello","usage":{"prompt_tokens":5,"completion_tokens":2},"ts":1735776000}),
        ];
        let (recs, skips) = run(&rows);
        assert!(skips.is_empty());
        assert_eq!(recs[0].model.as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(recs[0].task.as_deref(), Some("j-7"));
        assert_eq!(buckets(recs[0].usage.unwrap()), (9, 0, 0, 1, 0));
        assert_eq!(buckets(recs[1].usage.unwrap()), (5, 0, 0, 2, 0));
        assert_eq!(
            recs[1].timestamp,
            Some("2025-01-02T00:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn text_only_and_no_usage_rows() {
        let (recs, skips) = run(&[
            json!({"model":"mistral-large-2411","prompt":[{"role":"user","content":"Bonjour"}],"response":"Salut"}),
            json!({"model":"gpt-4o","prompt":"","response":""}),
            json!({"foo":1}),
            json!({"model":"gpt-4o","input_tokens":-4,"output_tokens":1}),
        ]);
        assert_eq!(recs.len(), 1);
        assert!(recs[0].usage.is_none());
        assert_eq!(
            recs[0].text.as_ref().unwrap().messages[0].content,
            "Bonjour"
        );
        let reasons: Vec<&str> = skips.iter().map(|s| s.reason).collect();
        assert_eq!(
            reasons,
            ["no usage", "unrecognized record", "invalid usage"]
        );
    }

    #[test]
    fn mapped_fields_override_synonyms() {
        let opts = ParseOptions {
            fields: vec![
                ("model".into(), "/req/engine_id".into()),
                ("prompt".into(), "req.text".into()),
                ("input_tokens".into(), "/meter/in".into()),
                ("cache_read_tokens".into(), "meter.hit".into()),
                ("output_tokens".into(), "/meter/out".into()),
                ("task".into(), "/tags/0".into()),
                ("project".into(), "app".into()),
            ],
            ..ParseOptions::default()
        };
        let row = json!({"model": "decoy", "app": "billing",
            "req": {"engine_id": "gpt-4o-mini", "text": "Hi"},
            "meter": {"in": 120, "hit": "100", "out": 7}, "tags": ["t-9"]});
        let (recs, skips) = super::super::run_parser(&mut Parser::new(opts), &[row]);
        assert!(skips.is_empty(), "{skips:?}");
        let r = &recs[0];
        assert_eq!(r.model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(r.task.as_deref(), Some("t-9"));
        assert_eq!(r.project.as_deref(), Some("billing"));
        let u = r.usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.output), (20, 100, 7));
        assert!(r.text.as_ref().unwrap().has_prompt);
    }

    #[test]
    fn mapped_uncached_input_is_additive() {
        let opts = ParseOptions {
            fields: vec![
                ("model".into(), "m".into()),
                ("uncached_input_tokens".into(), "u.fresh".into()),
                ("cache_read_tokens".into(), "u.read".into()),
                ("output_tokens".into(), "u.out".into()),
            ],
            ..ParseOptions::default()
        };
        let row = json!({"m": "claude-sonnet-4-5", "u": {"fresh": 12, "read": 3000, "out": 40}});
        let (recs, _) = super::super::run_parser(&mut Parser::new(opts), &[row]);
        let u = recs[0].usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.output), (12, 3000, 40));
    }

    #[test]
    fn a_mapped_count_that_is_not_a_number_skips_the_row() {
        let opts = ParseOptions {
            fields: vec![("input_tokens".into(), "n".into())],
            ..ParseOptions::default()
        };
        let (recs, skips) = super::super::run_parser(
            &mut Parser::new(opts),
            &[json!({"model": "gpt-4o", "n": "lots"})],
        );
        assert!(recs.is_empty());
        assert_eq!(skips[0].reason, "invalid usage");
    }
}
