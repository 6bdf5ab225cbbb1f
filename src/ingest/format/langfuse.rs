//! Langfuse observations, format `langfuse` (docs/formats.md, langfuse).
//!
//! Values this parser reads:
//! - one observation per JSONL line, JSON array element or CSV row (the
//!   UI export; CSV cells holding JSON arrive decoded, numbers as strings),
//! - a page of the public API (`GET /api/public/observations`, v2
//!   `/api/public/v2/observations`): `{data:[…], meta}`; every observation
//!   of the page is one entry of the run's accounting,
//! - a trace with its observations (`GET /api/public/traces/{id}`, or a
//!   page of such traces): each observation object is an entry; a trace
//!   whose observations are only ids is `not billed: context line`.
//!
//! Only `GENERATION` and `EMBEDDING` observations are model calls; SPAN,
//! EVENT, AGENT, TOOL, CHAIN, … are `not billed: non-llm span` (Langfuse
//! does not copy usage onto them, so nothing is double counted there). A
//! generation at level `ERROR` without usage is `not billed: api error`.
//!
//! Usage comes from `usageDetails` (v2 and current v1), whose keys are
//! priced separately by Langfuse and are therefore disjoint: `input` is net
//! of the cache and detail keys beside it, `output` net of
//! `output_reasoning*`. Keys are read by name: `input*` → input;
//! `output*` → output (`*reasoning*` ones also counted as reasoning);
//! keys with `cache` and `creation`/`write` (or Anthropic's `ephemeral_*`)
//! → cache writes (1-hour when the key says `1h`, else 5-minute), other
//! `cache`/`cached` keys → cache reads; `*_modality_*` keys are a
//! per-modality breakdown that some SDK versions subtract from `input` /
//! `output` and others do not, so the larger of the two sums is taken.
//! `total` checks the reading: when the disjoint sum misses it but the sum
//! with `input` including the cache (or `output` including reasoning)
//! matches, that reading is used instead — older SDKs stored OpenAI's
//! inclusive counts unchanged. Without `usageDetails`, the legacy
//! `usage{input,output,unit}` (only when `unit` is tokens) and
//! `promptTokens`/`completionTokens` are read as plain input and output.
//! Counts that are all zero are no usage: the API reports zeros for
//! generations whose usage was never ingested, and such a record may still
//! be counted from its text.
//!
//! Cost: `costDetails.total` (else the sum of its keys), `totalCost`,
//! `calculatedTotalCost` or `usage.totalCost` → the reported cost. Model:
//! `model`, else v2 `providedModelName`; provider left to the price book.
//! Text: `input` (a messages array, an object with `messages`, a string, or
//! any of these JSON-encoded as v2 returns them) and `output` (a message
//! object, a string, …). Session: `sessionId` (the observation's, else its
//! trace's). No task unless `--task-key` (looked up on the observation,
//! then the trace). Timestamp `startTime`. Project `projectId`. An
//! observation seen twice in a run (same `id`, e.g. overlapping exports)
//! is billed once.
//!
//! When one page holds several broken observations, the first is the
//! page's skip and the others are listed as not billed under the same
//! reason, so every observation is still accounted once.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::otel::{part_text, push_messages};
use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    lookup::first_str,
    numbers::{count_value, decimal_value},
    task::task_from,
    text::attach_text,
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Message, Record, ServiceTier, Source, Text, Usage};

const EXPECTED: &str = "a Langfuse observation (`traceId`, `type`, `startTime`), a page `{data:[…]}` of them, or a trace with `observations`";
const DEDUP_REASON: &str = "duplicate observation";
const TYPES: &[&str] = &[
    "GENERATION",
    "SPAN",
    "EVENT",
    "AGENT",
    "TOOL",
    "CHAIN",
    "RETRIEVER",
    "EVALUATOR",
    "EMBEDDING",
    "GUARDRAIL",
];
const BILLED_TYPES: &[&str] = &["GENERATION", "EMBEDDING"];

/// Detection signature (docs/formats.md, langfuse), plus the
/// API's page and trace documents that hold observations.
pub fn detect(v: &Value) -> bool {
    if is_observation(v) || is_trace(v) {
        return true;
    }
    v.get("data")
        .and_then(Value::as_array)
        .is_some_and(|d| d.iter().take(8).any(|x| is_observation(x) || is_trace(x)))
}

fn is_observation(v: &Value) -> bool {
    v.get("traceId").is_some()
        && v.get("startTime").is_some()
        && v.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| TYPES.contains(&t))
}

/// A trace carrying observation objects.
fn is_trace(v: &Value) -> bool {
    v.get("id").is_some()
        && v.get("observations")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(is_observation))
}

/// What one entry of a value became.
enum Outcome {
    Record(Box<Record>),
    Drop(&'static str),
    Skip(Skip),
}

/// A value that may be JSON-encoded (v2 returns `input`/`output` as
/// strings unless `parseIoAsJson=true`).
fn decoded(v: &Value) -> Value {
    if let Value::String(s) = v {
        let t = s.trim_start();
        if (t.starts_with('[') || t.starts_with('{') || t.starts_with('"'))
            && let Ok(parsed) = serde_json::from_str::<Value>(s)
        {
            return parsed;
        }
    }
    v.clone()
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|x| match x {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        _ => true,
    })
}

// ---- usage -------------------------------------------------------------

/// Sums of a `usageDetails` map by bucket.
#[derive(Debug, Default)]
struct Details {
    input: u64,
    input_modality: u64,
    cache_read: u64,
    /// `cache_creation*` / `*cache_write*` totals (no TTL split).
    cache_creation: u64,
    ephemeral_5m: u64,
    ephemeral_1h: u64,
    output: u64,
    output_modality: u64,
    reasoning: u64,
    total: Option<u64>,
    any: bool,
}

impl Details {
    fn read(d: &Map<String, Value>) -> Result<Details, Skip> {
        let mut s = Details::default();
        for (k, v) in d {
            if !matches!(v, Value::Number(_) | Value::String(_)) {
                continue;
            }
            let field = format!("usageDetails.{k}");
            let Some(n) = count_value(v, &field)? else {
                continue;
            };
            let key = k.to_ascii_lowercase();
            let add = |x: &mut u64| *x = x.saturating_add(n);
            if key == "total" || key == "total_tokens" {
                s.total = Some(n);
                continue;
            }
            if key.contains("modality") {
                if key.starts_with("input") {
                    add(&mut s.input_modality);
                } else if key.starts_with("output") {
                    add(&mut s.output_modality);
                }
                continue;
            }
            if key.contains("ephemeral") {
                if key.contains("1h") {
                    add(&mut s.ephemeral_1h);
                } else {
                    add(&mut s.ephemeral_5m);
                }
            } else if key.contains("cache") {
                if key.contains("creation") || key.contains("write") {
                    add(&mut s.cache_creation);
                } else {
                    add(&mut s.cache_read);
                }
            } else if key.starts_with("input") || key == "prompt_tokens" {
                add(&mut s.input);
            } else if key.starts_with("output") || key == "completion_tokens" {
                if key.contains("reasoning") {
                    add(&mut s.reasoning);
                } else {
                    add(&mut s.output);
                }
            } else {
                continue;
            }
            s.any = true;
        }
        s.any |= s.input_modality > 0 || s.output_modality > 0;
        Ok(s)
    }

    fn usage(&self) -> Option<Usage> {
        if !self.any {
            return None;
        }
        // Absent TTL keys sum to 0, which splits like no breakdown at all.
        let writes = Usage::default().with_cache_writes(
            self.cache_creation,
            Some(self.ephemeral_5m),
            Some(self.ephemeral_1h),
        );
        let (w5, w1) = (writes.cache_write_5m, writes.cache_write_1h);
        let cache = self.cache_read.saturating_add(w5).saturating_add(w1);
        let mut input = self.input.max(self.input_modality);
        let out_base = self.output.max(self.output_modality);
        let mut output = out_base.saturating_add(self.reasoning);
        if let Some(total) = self.total {
            let sum = |parts: &[u64]| parts.iter().fold(0u64, |a, b| a.saturating_add(*b));
            let disjoint = sum(&[input, cache, out_base, self.reasoning]);
            if total != disjoint {
                let cache_inclusive = cache > 0 && input >= cache;
                let reasoning_inclusive = self.reasoning > 0 && out_base >= self.reasoning;
                if cache_inclusive && total == sum(&[input, out_base, self.reasoning]) {
                    input -= cache;
                } else if reasoning_inclusive && total == sum(&[input, cache, out_base]) {
                    output = out_base;
                } else if cache_inclusive && reasoning_inclusive && total == sum(&[input, out_base])
                {
                    input -= cache;
                    output = out_base;
                }
            }
        }
        let usage = Usage {
            input,
            cache_read: self.cache_read,
            output,
            reasoning: self.reasoning.min(output),
            ..writes
        };
        (usage.total() > 0).then_some(usage)
    }
}

/// Legacy `usage{input,output,unit}` or `promptTokens`/`completionTokens`.
fn legacy_usage(obs: &Value) -> Result<Option<Usage>, Skip> {
    let mut input = None;
    let mut output = None;
    if let Some(u) = obs.get("usage").filter(|u| u.is_object()) {
        let tokens = u
            .get("unit")
            .and_then(Value::as_str)
            .is_none_or(|unit| unit.eq_ignore_ascii_case("TOKENS"));
        if tokens {
            if let Some(x) = u.get("input") {
                input = count_value(x, "usage.input")?;
            }
            if let Some(x) = u.get("output") {
                output = count_value(x, "usage.output")?;
            }
        }
    }
    if input.is_none()
        && let Some(x) = obs.get("promptTokens")
    {
        input = count_value(x, "promptTokens")?;
    }
    if output.is_none()
        && let Some(x) = obs.get("completionTokens")
    {
        output = count_value(x, "completionTokens")?;
    }
    let usage = Usage {
        input: input.unwrap_or(0),
        output: output.unwrap_or(0),
        ..Usage::default()
    };
    Ok((usage.total() > 0).then_some(usage))
}

fn usage_of(obs: &Value) -> Result<Option<Usage>, Skip> {
    if let Some(d) = obs.get("usageDetails").and_then(Value::as_object)
        && let Some(u) = Details::read(d)?.usage()
    {
        return Ok(Some(u));
    }
    legacy_usage(obs)
}

fn cost_of(obs: &Value) -> Option<Decimal> {
    if let Some(d) = obs.get("costDetails").and_then(Value::as_object) {
        if let Some(t) = d.get("total").and_then(decimal_value) {
            return Some(t);
        }
        let parts: Vec<Decimal> = d.values().filter_map(decimal_value).collect();
        if !parts.is_empty() {
            return parts
                .into_iter()
                .try_fold(Decimal::ZERO, |a, b| a.checked_add(b));
        }
    }
    ["totalCost", "calculatedTotalCost", "usage.totalCost"]
        .iter()
        .find_map(|k| crate::ingest::fields::lookup::lookup(obs, k).and_then(decimal_value))
}

// ---- text --------------------------------------------------------------

fn observation_text(obs: &Value) -> Text {
    let mut text = Text::default();
    if let Some(input) = present(obs.get("input")) {
        let input = decoded(input);
        text.has_prompt = true;
        text.chat_framing = input.as_array().is_some_and(|a| {
            a.iter()
                .all(|m| m.get("role").is_some_and(Value::is_string))
        });
        push_messages(&input, &mut text.messages);
        if text.messages.iter().all(|m| m.content.is_empty()) && !input.is_string() {
            // An input in no message shape (tool arguments, a dict of
            // template variables) is what the model was sent, as JSON.
            text.messages = vec![Message {
                role: "user".to_string(),
                name: None,
                content: input.to_string(),
            }];
        }
    }
    if let Some(output) = present(obs.get("output")) {
        let output = decoded(output);
        text.has_response = true;
        part_text(&output, &mut text.response);
        if text.response.is_empty() && !output.is_string() {
            text.response = output.to_string();
        }
    }
    text
}

// ---- parser ------------------------------------------------------------

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }

    fn read(&self, obs: &Value, trace: Option<&Value>, source: &Source) -> Outcome {
        if !obs.is_object() {
            return Outcome::Skip(unrecognized(obs, "a Langfuse observation object"));
        }
        let kind = obs
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        let billed = match kind.as_deref() {
            Some(k) => BILLED_TYPES.contains(&k),
            // A page of a narrow field selection may omit the type.
            None => obs.get("usageDetails").is_some() || obs.get("model").is_some(),
        };
        if !billed {
            return Outcome::Drop("non-llm span");
        }
        let usage = match usage_of(obs) {
            Ok(u) => u,
            Err(skip) => return Outcome::Skip(skip),
        };
        let level = obs.get("level").and_then(Value::as_str).unwrap_or("");
        if usage.is_none() && level.eq_ignore_ascii_case("ERROR") {
            return Outcome::Drop("api error");
        }
        let mut rec = Record::new(source.clone(), Format::Langfuse);
        rec.usage = usage;
        rec.model = first_str(obs, &["model", "providedModelName"]);
        let lines: Vec<&Value> = std::iter::once(obs).chain(trace).collect();
        rec.timestamp = ["startTime", "completionStartTime", "createdAt"]
            .iter()
            .find_map(|k| obs.get(*k).and_then(parse_timestamp))
            .or_else(|| {
                trace
                    .and_then(|t| t.get("timestamp"))
                    .and_then(parse_timestamp)
            });
        rec.session = lines.iter().find_map(|v| first_str(v, &["sessionId"]));
        rec.task = task_from(&self.opts, &lines, &[], &[]);
        rec.project = lines.iter().find_map(|v| first_str(v, &["projectId"]));
        if let Some(t) = first_str(obs, &["modelParameters.service_tier"]) {
            rec.service_tier = ServiceTier::from_logged(&t);
        }
        rec.reported_cost_usd = cost_of(obs);
        if let Some(id) = first_str(obs, &["id"]) {
            rec.call_id = Some(Box::new(CallId::key(
                format!("langfuse:{id}"),
                DEDUP_REASON,
            )));
        }
        match attach_text(&mut rec, observation_text(obs)) {
            Ok(()) => Outcome::Record(Box::new(rec)),
            Err(skip) => Outcome::Skip(skip),
        }
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let mut outcomes = Vec::new();
        let trace_entry = |t: &Value, outcomes: &mut Vec<Outcome>| {
            let obs: Vec<&Value> = t
                .get("observations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|o| o.is_object())
                .collect();
            if obs.is_empty() {
                outcomes.push(Outcome::Drop("context line"));
            }
            for o in obs {
                outcomes.push(self.read(o, Some(t), &source));
            }
        };
        if is_observation(&value) {
            outcomes.push(self.read(&value, None, &source));
        } else if let Some(items) = value.get("data").and_then(Value::as_array) {
            for item in items {
                if item.get("observations").is_some_and(Value::is_array) {
                    trace_entry(item, &mut outcomes);
                } else {
                    outcomes.push(self.read(item, None, &source));
                }
            }
            if outcomes.is_empty() {
                out.drop_line(source, "no observations");
                return Ok(());
            }
        } else if value.get("observations").is_some_and(Value::is_array) {
            trace_entry(&value, &mut outcomes);
        } else {
            return Err(unrecognized(&value, EXPECTED));
        }
        out.extra_entries += outcomes.len().saturating_sub(1) as u64;
        let mut first_skip = None;
        for o in outcomes {
            match o {
                Outcome::Record(r) => out.push(*r),
                Outcome::Drop(reason) => out.drop_line(source.clone(), reason),
                Outcome::Skip(skip) if first_skip.is_none() => first_skip = Some(skip),
                Outcome::Skip(skip) => out.drop_line(source.clone(), skip.reason),
            }
        }
        first_skip.map_or(Ok(()), Err)
    }

    fn finish(&mut self, _out: &mut Out) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    fn generation(id: &str, extra: Value) -> Value {
        let mut v = json!({"id": id, "traceId": "tr", "type": "GENERATION", "name": "g",
                           "startTime": "2025-11-05T10:00:00Z", "model": "gpt-4o"});
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in e {
                m.insert(k.clone(), x.clone());
            }
        }
        v
    }
    fn run(lines: &[Value]) -> (Out, Vec<Skip>) {
        run_parser_out(&mut Parser::new(ParseOptions::default()), lines)
    }
    fn usage(details: Value) -> Usage {
        let d = details.as_object().cloned().unwrap_or_default();
        Details::read(&d).unwrap().usage().unwrap()
    }
    fn buckets(u: Usage) -> [u64; 6] {
        u.buckets()
    }

    #[test]
    fn usage_details_keys_are_disjoint() {
        let u = usage(
            json!({"input": 156, "input_cached_tokens": 1024, "output": 9,
                             "output_reasoning_tokens": 30, "total": 1219}),
        );
        assert_eq!(buckets(u), [156, 1024, 0, 0, 39, 30]);
        let u = usage(json!({"input": 25, "cache_read_input_tokens": 4000,
                             "cache_creation_input_tokens": 1200, "output": 310}));
        assert_eq!(buckets(u), [25, 4000, 1200, 0, 310, 0]);
        // LangChain-style detail names.
        let u = usage(
            json!({"input": 10, "input_cache_read": 90, "input_cache_creation": 5,
                             "output": 7, "output_reasoning": 3, "input_audio": 4}),
        );
        assert_eq!(buckets(u), [14, 90, 5, 0, 10, 3]);
    }

    #[test]
    fn total_reveals_inclusive_counts() {
        // input includes the cache: 1500 + 20 = total.
        let u =
            usage(json!({"input": 1500, "input_cached_tokens": 1024, "output": 20, "total": 1520}));
        assert_eq!(buckets(u), [476, 1024, 0, 0, 20, 0]);
        // output includes reasoning.
        let u =
            usage(json!({"input": 100, "output": 50, "output_reasoning_tokens": 40, "total": 150}));
        assert_eq!(buckets(u), [100, 0, 0, 0, 50, 40]);
        // both.
        let u = usage(
            json!({"input": 100, "input_cached_tokens": 60, "output": 50,
                             "output_reasoning_tokens": 40, "total": 150}),
        );
        assert_eq!(buckets(u), [40, 60, 0, 0, 50, 40]);
        // A total matching nothing leaves the disjoint reading.
        let u = usage(json!({"input": 100, "input_cached_tokens": 60, "output": 5, "total": 7}));
        assert_eq!(buckets(u), [100, 60, 0, 0, 5, 0]);
    }

    #[test]
    fn modality_breakdowns_count_once() {
        // Subtracted from input (input 0) or not (input equal): same result.
        let a = usage(json!({"input": 0, "input_modality_TEXT": 420, "output": 35}));
        let b = usage(json!({"input": 420, "input_modality_TEXT": 420, "output": 35}));
        assert_eq!(buckets(a), [420, 0, 0, 0, 35, 0]);
        assert_eq!(buckets(a), buckets(b));
    }

    #[test]
    fn ephemeral_writes_split_by_ttl() {
        let u = usage(json!({"input": 1, "cache_creation_input_tokens": 3500,
                             "ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000}));
        assert_eq!(buckets(u), [1, 0, 1500, 2000, 0, 0]);
    }

    #[test]
    fn legacy_usage_and_zero_counts() {
        let (out, _) = run(&[
            generation(
                "a",
                json!({"usage": {"input": 30, "output": 4, "unit": "TOKENS"}}),
            ),
            generation("b", json!({"promptTokens": "12", "completionTokens": "3"})),
            generation(
                "c",
                json!({"usage": {"input": 30, "output": 4, "unit": "CHARACTERS"}, "input": "hi"}),
            ),
            generation(
                "d",
                json!({"usageDetails": {"input": 0, "output": 0}, "usage": {"input": 0},
                            "promptTokens": 0, "input": "hello"}),
            ),
        ]);
        let u: Vec<Option<[u64; 6]>> = out.records.iter().map(|r| r.usage.map(buckets)).collect();
        assert_eq!(
            u,
            vec![
                Some([30, 0, 0, 0, 4, 0]),
                Some([12, 0, 0, 0, 3, 0]),
                None,
                None
            ]
        );
    }

    #[test]
    fn only_generations_bill() {
        let span = json!({"id": "s", "traceId": "tr", "type": "SPAN", "startTime": "2025-11-05T10:00:00Z",
                          "usageDetails": {"input": 5}});
        let err = generation(
            "e",
            json!({"level": "ERROR", "usageDetails": {}, "input": "q"}),
        );
        let emb = generation(
            "m",
            json!({"type": "EMBEDDING", "usageDetails": {"input": 8}}),
        );
        let (out, skips) = run(&[span, err, emb]);
        assert!(skips.is_empty());
        let reasons: Vec<&str> = out.dropped.iter().map(|(_, r)| *r).collect();
        assert_eq!(reasons, vec!["non-llm span", "api error"]);
        assert_eq!(out.records.len(), 1);
    }

    #[test]
    fn pages_and_traces_are_many_entries() {
        let page = json!({"data": [generation("a", json!({"usageDetails": {"input": 1}})),
                                   {"id": "s", "traceId": "tr", "type": "SPAN", "startTime": "x"},
                                   generation("b", json!({"usageDetails": {"input": 2}}))],
                          "meta": {"page": 1}});
        assert!(detect(&page));
        let (out, _) = run(&[page]);
        assert_eq!(out.records.len(), 2);
        assert_eq!(out.extra_entries, 2);

        let trace = json!({"id": "tr", "sessionId": "sess", "projectId": "p1",
                           "observations": [generation("c", json!({"usageDetails": {"input": 3}}))]});
        assert!(detect(&trace));
        let (out, _) = run(&[trace]);
        assert_eq!(out.records[0].session.as_deref(), Some("sess"));
        assert_eq!(out.records[0].project.as_deref(), Some("p1"));

        let ids_only = json!({"data": [{"id": "tr", "observations": ["o1", "o2"]}]});
        let (out, skips) = run(&[ids_only, json!({"data": [], "meta": {}})]);
        assert!(skips.is_empty());
        let reasons: Vec<&str> = out.dropped.iter().map(|(_, r)| *r).collect();
        assert_eq!(reasons, vec!["context line", "no observations"]);
    }

    #[test]
    fn detection_does_not_claim_other_pages() {
        assert!(!detect(
            &json!({"data": [{"starting_at": "x", "results": []}]})
        ));
        assert!(!detect(&json!({"id": "x", "observations": ["o1"]})));
        assert!(!detect(
            &json!({"traceId": "t", "type": "chat", "startTime": "x"})
        ));
    }

    #[test]
    fn text_cost_session_and_dedup() {
        let o = generation(
            "obs-1",
            json!({
                "model": null, "providedModelName": "o4-mini", "sessionId": "s1",
                "input": "[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"q\"}]",
                "output": "{\"role\":\"assistant\",\"content\":\"a\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}",
                "usageDetails": {"input": 3, "output": 2},
                "costDetails": {"input": 0.001, "output": 0.002},
                "modelParameters": {"service_tier": "flex"}
            }),
        );
        let (out, _) = run(&[o]);
        let r = &out.records[0];
        assert_eq!(r.model.as_deref(), Some("o4-mini"));
        assert_eq!(r.session.as_deref(), Some("s1"));
        assert_eq!(r.service_tier, ServiceTier::Flex);
        assert_eq!(
            r.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.003")
        );
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.messages.len(), 2);
        assert!(t.chat_framing);
        assert_eq!(t.response, "a\nf\n{}");
        assert_eq!(
            r.call_id.as_ref().unwrap().check,
            vec!["langfuse:obs-1".to_string()]
        );
        // An input in no message shape is kept as JSON.
        let (out, _) = run(&[generation(
            "x",
            json!({"input": {"city": "Oslo"}, "output": "ok"}),
        )]);
        let t = out.records[0].text.as_ref().unwrap();
        assert_eq!(t.messages[0].content, "{\"city\":\"Oslo\"}");
    }

    #[test]
    fn broken_counts_are_skipped_once_per_entry() {
        let bad = |id: &str| generation(id, json!({"usageDetails": {"input": -4}}));
        let (out, skips) = run(&[json!({"data": [bad("a"), bad("b")]})]);
        assert_eq!(skips.len(), 1);
        assert_eq!(skips[0].reason, "invalid usage");
        assert_eq!(out.dropped.len(), 1);
        assert_eq!(out.extra_entries, 1);
    }

    #[test]
    fn task_only_with_task_key() {
        let o = generation(
            "a",
            json!({"usageDetails": {"input": 1}, "metadata": {"ticket": "T-1"}, "sessionId": "s"}),
        );
        let (out, _) = run(std::slice::from_ref(&o));
        assert_eq!(out.records[0].task, None);
        let opts = ParseOptions {
            task_key: Some("metadata.ticket".into()),
            ..ParseOptions::default()
        };
        let (out, _) = run_parser_out(&mut Parser::new(opts), &[o]);
        assert_eq!(out.records[0].task.as_deref(), Some("T-1"));
    }
}
