//! One file per input format. Each format turns JSON values (one JSONL line,
//! one array element, or a whole document) into normalized [`Record`]s.
//!
//! A parser is stateful per file because some formats spread one API call over
//! several lines (stream chunks whose last chunk carries usage; a request line
//! followed by its response line).

use std::str::FromStr;
use std::sync::Arc;

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::Value;

use super::lean::Lean;

use crate::record::{Format, Record, ServiceTier, Source, Text};

pub mod anthropic;
pub mod anthropic_batch;
pub mod anthropic_usage;
pub mod call;
pub mod claude_code;
pub mod codex;
pub mod gemini;
pub mod generic;
pub mod helicone;
pub mod join;
pub mod langfuse;
pub mod litellm;
pub mod llm_cli;
pub mod openai_batch;
pub mod openai_chat;
pub mod openai_responses;
pub mod openai_usage;
pub mod otel;

/// Why an input value produced no record. `reason` is a short stable key
/// (it is a key of `skipped.by_reason` in the JSON report); `detail` is the
/// human sentence printed after `path:line:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub reason: &'static str,
    pub detail: String,
}

impl Skip {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Skip {
        Skip {
            reason,
            detail: detail.into(),
        }
    }
}

/// Options that change how records are read, shared by all formats.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// `--task-key`: a JSON pointer (`/metadata/ticket`) or a field name
    /// (`ticket` or dotted `metadata.ticket`) evaluated on the raw line.
    pub task_key: Option<String>,
    /// `--field NAME=PATH` mappings, read by the generic format first.
    pub fields: Vec<(String, String)>,
    /// `--outcome-key`: where a line says whether its task succeeded.
    pub outcome_key: Option<String>,
    /// Calls whose two halves live in different lines or files of one run
    /// (batch requests and results joined by `custom_id`).
    pub joins: join::Joins,
    /// The run bills from reported usage alone and reads no text, so a
    /// format may parse only the fields it needs (see [`lean_fields`]).
    pub usage_only: bool,
}

/// The fields a format reads in a usage-only run, for formats whose every
/// record carries reported usage (so no text is ever needed to bill it).
pub fn lean_fields(format: Format) -> Option<&'static Lean> {
    match format {
        Format::ClaudeCode => Some(&claude_code::LEAN),
        _ => None,
    }
}

/// What a parser made of the values pushed into it.
#[derive(Debug, Default)]
pub struct Out {
    pub records: Vec<Record>,
    /// Lines that belong to the format and bill nothing on purpose, with a
    /// stable reason key (`not billable: synthetic message`). Lines folded
    /// into another record (a request joined to its response, stream
    /// chunks) are not listed: the run counts them as merged.
    pub dropped: Vec<(Source, &'static str)>,
    /// Entries beyond the first that one value held (an OTLP document with
    /// many spans, a usage page with many buckets): each is a line in the
    /// run's accounting.
    pub extra_entries: u64,
}

impl Out {
    pub fn drop_line(&mut self, source: Source, reason: &'static str) {
        self.dropped.push((source, reason));
    }
}

impl std::ops::Deref for Out {
    type Target = Vec<Record>;
    fn deref(&self) -> &Vec<Record> {
        &self.records
    }
}

impl std::ops::DerefMut for Out {
    fn deref_mut(&mut self) -> &mut Vec<Record> {
        &mut self.records
    }
}

/// A stateful reader of one format over one file.
pub trait FormatParser: Send {
    /// Consume one JSON value; append zero or more records to `out`.
    /// Lines that belong to the format but bill nothing (a stream chunk
    /// without usage, a `ping` event) return `Ok(())` without records.
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip>;

    /// End of input: flush anything held back (a request whose response
    /// never came, a stream that never sent its final chunk).
    fn finish(&mut self, out: &mut Out);
}

/// Classify one value. Returns `None` when no format recognizes it.
/// The order follows reference/log-formats.md §0.1 (first match wins).
pub fn detect(v: &Value) -> Option<Format> {
    let obj = v.as_object()?;
    // Formats with a signature of their own come first: several of them
    // hold provider bodies under `response`/`input`/`output` keys that the
    // wrapper rules below would otherwise claim.
    if let Some(f) = detect_specific(v) {
        return Some(f);
    }
    // Wrappers `{request, response}` / `{input, output}`: decide on a side.
    if let Some(resp) = obj.get("response").filter(|r| r.is_object())
        && let Some(f) = detect_unwrapped(resp)
    {
        return Some(f);
    }
    if let Some(req) = obj.get("request").filter(|r| r.is_object())
        && let Some(f) = detect_unwrapped(req)
    {
        return Some(f);
    }
    if let Some(f) = detect_unwrapped(v) {
        return Some(f);
    }
    // `{input, output}` wrappers whose sides are provider bodies. Checked
    // after the line itself because `input`/`output` are also plain fields
    // (Responses requests, generic rows, Langfuse observations).
    if envelope(v).wrapped {
        for key in ["output", "input"] {
            if let Some(side) = obj.get(key).filter(|x| x.is_object())
                && let Some(f) = detect_unwrapped(side)
            {
                return Some(f);
            }
        }
    }
    None
}

/// A `model` + `messages` request with no response beside it (bare, or a
/// wrapper without a response side). Such a line tells OpenAI chat from
/// Anthropic only by rule 19's weak signals (a `claude` model name behind an
/// OpenAI-compatible gateway, `max_tokens`), so a file's format is better
/// decided by the first response that follows it.
pub fn is_bare_messages_request(v: &Value) -> bool {
    let env = envelope(v);
    if env.response.is_some() {
        return false;
    }
    let body = env.request_or_line();
    const RESPONSE_KEYS: &[&str] = &[
        "choices",
        "usage",
        "object",
        "type",
        "content",
        "candidates",
        "usageMetadata",
        "usage_metadata",
        "output",
        "response",
    ];
    body.get("messages").is_some_and(Value::is_array)
        && !RESPONSE_KEYS.iter().any(|k| body.get(*k).is_some())
}

/// Rules 1–10 and 15–18 of reference/log-formats.md §0.1, in that order.
fn detect_specific(v: &Value) -> Option<Format> {
    type Rule = (fn(&Value) -> bool, Format);
    let rules: [Rule; 11] = [
        (otel::detect, Format::Otel),
        (openai_usage::detect, Format::OpenAiUsage),
        (anthropic_usage::detect, Format::AnthropicUsage),
        (openai_batch::detect, Format::OpenAiBatch),
        (anthropic_batch::detect, Format::AnthropicBatch),
        (codex::detect, Format::Codex),
        (claude_code::detect, Format::ClaudeCode),
        (helicone::detect, Format::Helicone),
        (litellm::detect, Format::LiteLlm),
        (langfuse::detect, Format::Langfuse),
        (llm_cli::detect, Format::LlmCli),
    ];
    rules.into_iter().find(|(rule, _)| rule(v)).map(|(_, f)| f)
}

fn detect_unwrapped(v: &Value) -> Option<Format> {
    if openai_chat::detect(v) {
        Some(Format::OpenAiChat)
    } else if openai_responses::detect(v) {
        Some(Format::OpenAiResponses)
    } else if anthropic::detect(v) {
        Some(Format::AnthropicMessages)
    } else if gemini::detect(v) {
        Some(Format::Gemini)
    } else if generic::detect(v) {
        Some(Format::Generic)
    } else {
        None
    }
}

pub fn parser_for(format: Format, opts: &ParseOptions) -> Box<dyn FormatParser> {
    match format {
        Format::OpenAiChat => Box::new(openai_chat::Parser::new(opts.clone())),
        Format::OpenAiResponses => Box::new(openai_responses::Parser::new(opts.clone())),
        Format::AnthropicMessages => Box::new(anthropic::Parser::new(opts.clone())),
        Format::Gemini => Box::new(gemini::Parser::new(opts.clone())),
        Format::Generic => Box::new(generic::Parser::new(opts.clone())),
        Format::OpenAiBatch => Box::new(openai_batch::Parser::new(opts.clone())),
        Format::AnthropicBatch => Box::new(anthropic_batch::Parser::new(opts.clone())),
        Format::ClaudeCode => Box::new(claude_code::Parser::new(opts.clone())),
        Format::Codex => Box::new(codex::Parser::new(opts.clone())),
        Format::Otel => Box::new(otel::Parser::new(opts.clone())),
        Format::Langfuse => Box::new(langfuse::Parser::new(opts.clone())),
        Format::Helicone => Box::new(helicone::Parser::new(opts.clone())),
        Format::LiteLlm => Box::new(litellm::Parser::new(opts.clone())),
        Format::LlmCli => Box::new(llm_cli::Parser::new(opts.clone())),
        Format::OpenAiUsage => Box::new(openai_usage::Parser::new(opts.clone())),
        Format::AnthropicUsage => Box::new(anthropic_usage::Parser::new(opts.clone())),
    }
}

// ---- helpers shared by the formats -------------------------------------

/// Largest token count we believe. Above this a log is broken (or hostile),
/// and summing such values would overflow totals.
pub const MAX_TOKENS: u64 = 1_000_000_000_000;

/// Read a token count that may be a number or a numeric string.
/// Missing or null → `Ok(None)`; negative, fractional, absurd or
/// non-numeric → `Err` with a sentence naming the field.
pub fn count_field(v: &Value, field: &str) -> Result<Option<u64>, Skip> {
    let Some(x) = v.get(field) else {
        return Ok(None);
    };
    count_value(x, field)
}

/// Like [`count_field`] for a value already looked up.
pub fn count_value(x: &Value, field: &str) -> Result<Option<u64>, Skip> {
    let n = match x {
        Value::Null => return Ok(None),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u
            } else if n.as_i64().is_some_and(|i| i < 0) || n.as_f64().is_some_and(|f| f < 0.0) {
                return Err(Skip::new(
                    "invalid usage",
                    format!("negative token count in `{field}`"),
                ));
            } else {
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f <= MAX_TOKENS as f64 => f as u64,
                    _ => {
                        return Err(Skip::new(
                            "invalid usage",
                            format!("token count in `{field}` is not a whole number: {n}"),
                        ));
                    }
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if t.starts_with('-') {
                return Err(Skip::new(
                    "invalid usage",
                    format!("negative token count in `{field}`"),
                ));
            }
            t.parse::<u64>().map_err(|_| {
                Skip::new(
                    "invalid usage",
                    format!("token count in `{field}` is not a number: {s:?}"),
                )
            })?
        }
        other => {
            return Err(Skip::new(
                "invalid usage",
                format!(
                    "token count in `{field}` has the wrong type: {}",
                    type_name(other)
                ),
            ));
        }
    };
    if n > MAX_TOKENS {
        return Err(Skip::new(
            "invalid usage",
            format!("absurd token count in `{field}`: {n}"),
        ));
    }
    Ok(Some(n))
}

/// [`count_field`] with missing treated as 0.
pub fn count0(v: &Value, field: &str) -> Result<u64, Skip> {
    Ok(count_field(v, field)?.unwrap_or(0))
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Parse a timestamp as logs write it: RFC 3339 / ISO 8601 strings (with or
/// without offset; no offset means UTC), or unix time in seconds,
/// milliseconds or nanoseconds (numbers or numeric strings).
pub fn parse_timestamp(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Number(n) => unix_to_ts(n.as_f64()?),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            if let Ok(ts) = s.parse::<Timestamp>() {
                return Some(ts);
            }
            if let Ok(f) = s.parse::<f64>() {
                return unix_to_ts(f);
            }
            // "2025-01-01T10:00:00" or "2025-01-01 10:00:00" without offset: UTC.
            if let Ok(dt) = s.replace(' ', "T").parse::<jiff::civil::DateTime>() {
                return dt
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .ok()
                    .map(|z| z.timestamp());
            }
            if let Ok(d) = s.parse::<jiff::civil::Date>() {
                return d
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .ok()
                    .map(|z| z.timestamp());
            }
            None
        }
        _ => None,
    }
}

fn unix_to_ts(f: f64) -> Option<Timestamp> {
    if !f.is_finite() || f <= 0.0 {
        return None;
    }
    // Magnitude tells the unit: seconds until year 5138, then ms, then ns.
    let secs = if f < 1e11 {
        f
    } else if f < 1e14 {
        f / 1e3
    } else if f < 1e17 {
        f / 1e6
    } else {
        f / 1e9
    };
    let whole = secs.trunc() as i64;
    let nanos = ((secs - secs.trunc()) * 1e9).round() as i32;
    Timestamp::new(whole, nanos.clamp(0, 999_999_999)).ok()
}

/// First string value among candidate paths (dotted, e.g. `metadata.task_id`).
pub fn first_str(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let x = lookup(v, p)?;
        match x {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

/// Fields eval harnesses and agent logs use for a task's outcome. `status`
/// and `result` are left out on purpose: API bodies use them for the call
/// (`status: "completed"` on every Responses API response).
const OUTCOME_KEYS: &[&str] = &[
    "outcome",
    "success",
    "passed",
    "task_success",
    "metadata.outcome",
    "metadata.success",
    "metadata.passed",
];

fn has_outcome_key(line: &Value) -> bool {
    line.as_object().is_some_and(|m| {
        m.keys()
            .any(|k| k == "metadata" || OUTCOME_KEYS.iter().any(|o| !o.contains('.') && o == k))
    })
}

/// Whether a raw line reports success (`true`) or failure (`false`) of its
/// task: `--outcome-key` if given, else the common field names. Booleans,
/// 1/0, and words like `success`/`passed`/`resolved` vs
/// `failure`/`failed`/`error` are understood; anything else is no outcome.
pub fn outcome_of(line: &Value, opts: &ParseOptions) -> Option<bool> {
    let v = match &opts.outcome_key {
        Some(k) => lookup(line, k)?,
        // Asked of every line: most have none of the keys, which one look
        // at the line's own keys shows more cheaply than a lookup per key.
        None if !has_outcome_key(line) => return None,
        None => OUTCOME_KEYS.iter().find_map(|k| lookup(line, k))?,
    };
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "success" | "succeeded" | "successful" | "pass" | "passed"
            | "ok" | "resolved" | "solved" | "correct" => Some(true),
            "false" | "0" | "no" | "fail" | "failed" | "failure" | "error" | "errored"
            | "unresolved" | "unsolved" | "incorrect" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Resolve a JSON pointer (`/a/b`) or a dotted path (`a.b`) or a plain key.
pub fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    if path.starts_with('/') {
        return v.pointer(path);
    }
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    // Every line is asked for the outcome keys: a plain key that is absent
    // needs no second walk.
    if !path.contains('.') {
        return None;
    }
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The task id of a raw line: `--task-key` if given, else the explicit
/// fields formats use for it.
pub fn task_of(line: &Value, opts: &ParseOptions, defaults: &[&str]) -> Option<String> {
    match &opts.task_key {
        Some(key) => lookup(line, key).and_then(|x| match x {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }),
        None => first_str(line, defaults),
    }
}

/// Concatenate text found in message content shapes used by OpenAI,
/// Anthropic and others: a string, or an array of parts/blocks with `text`,
/// `thinking`, `content`, tool `input`/`arguments`. Images and audio carry
/// no countable text and are ignored.
pub fn content_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => push_text(out, s),
        Value::Array(parts) => {
            for p in parts {
                content_text(p, out);
            }
        }
        Value::Object(m) => {
            for key in ["text", "thinking", "refusal"] {
                if let Some(Value::String(s)) = m.get(key) {
                    push_text(out, s);
                }
            }
            if let Some(name) = m.get("name").and_then(Value::as_str)
                && (m.contains_key("input") || m.contains_key("arguments"))
            {
                push_text(out, name);
            }
            if let Some(inp) = m.get("input").filter(|x| !x.is_null()) {
                match inp {
                    Value::String(s) => push_text(out, s),
                    other => push_text(out, &other.to_string()),
                }
            }
            if let Some(Value::String(args)) = m.get("arguments") {
                push_text(out, args);
            }
            if let Some(c) = m.get("content") {
                content_text(c, out);
            }
            if let Some(Value::String(o)) = m.get("output") {
                push_text(out, o);
            }
        }
        _ => {}
    }
}

fn push_text(out: &mut String, s: &str) {
    if s.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(s);
}

/// Shared constructor for a record's source.
pub fn source(path: &Arc<str>, line: u64) -> Source {
    Source {
        path: path.clone(),
        line,
    }
}

// ---- wrappers, metadata and text helpers shared by the formats ----------

/// A line split into the provider bodies it carries. Home-grown logs wrap a
/// call as `{"timestamp":…, "request":{…}, "response":{…}}` (or with
/// `input`/`output` objects); the wrapper's other keys are metadata.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    pub line: &'a Value,
    pub request: Option<&'a Value>,
    pub response: Option<&'a Value>,
    /// True when the line is a wrapper (bodies are in `request`/`response`).
    pub wrapped: bool,
}

impl<'a> Envelope<'a> {
    /// The request body: the wrapper's side, or the line itself.
    pub fn request_or_line(&self) -> &'a Value {
        self.request.unwrap_or(self.line)
    }
}

/// Split a line into wrapper and bodies. `request`/`response` count when
/// either is an object; `input`/`output` only when each is an object or
/// absent/null (they are plain text fields in many formats).
pub fn envelope(line: &Value) -> Envelope<'_> {
    let obj = |k: &str| line.get(k).filter(|x| x.is_object());
    let (req, resp) = (obj("request"), obj("response"));
    if req.is_some() || resp.is_some() {
        return Envelope {
            line,
            request: req,
            response: resp,
            wrapped: true,
        };
    }
    let side_ok = |k: &str| line.get(k).is_none_or(|x| x.is_object() || x.is_null());
    let (i, o) = (obj("input"), obj("output"));
    if (i.is_some() || o.is_some()) && side_ok("input") && side_ok("output") {
        return Envelope {
            line,
            request: i,
            response: o,
            wrapped: true,
        };
    }
    Envelope {
        line,
        request: None,
        response: None,
        wrapped: false,
    }
}

/// Keys a wrapper (or a log line) uses for when the call happened.
pub const WRAPPER_TIME_KEYS: &[&str] = &[
    "timestamp",
    "created_at",
    "time",
    "ts",
    "start_time",
    "startTime",
    "datetime",
    "request_time",
];

/// First plausible timestamp among `keys` of `values` (in order). Values
/// before 2000 are ignored: they are durations or zeros, not dates.
pub fn time_of(values: &[&Value], keys: &[&str]) -> Option<Timestamp> {
    let floor = Timestamp::from_second(946_684_800).ok()?;
    values.iter().find_map(|v| {
        keys.iter().find_map(|k| {
            lookup(v, k)
                .and_then(parse_timestamp)
                .filter(|t| *t >= floor)
        })
    })
}

/// Largest cost (USD) of one request we believe a log reports. Above this
/// it is broken, and summing such values would overflow `Decimal`.
pub const MAX_REPORTED_COST_USD: u64 = 1_000_000_000;

/// A decimal from a JSON number or numeric string, without float noise:
/// numbers are read from their shortest textual form. Negative, empty,
/// non-numeric or absurd (above [`MAX_REPORTED_COST_USD`]) values give
/// `None`.
pub fn decimal_value(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().trim_start_matches('$').trim().to_string(),
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    let d = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()?;
    (!d.is_sign_negative() && d <= Decimal::from(MAX_REPORTED_COST_USD)).then_some(d)
}

/// A cost the log carries (`cost_usd`, `costUSD`, `cost`) on any of `values`.
pub fn reported_cost(values: &[&Value]) -> Option<Decimal> {
    values.iter().find_map(|v| {
        ["cost_usd", "costUSD", "cost"]
            .iter()
            .find_map(|k| v.get(*k).and_then(decimal_value))
    })
}

/// The task id: with `--task-key`, the key on the raw lines first, then on
/// the bodies; otherwise the format's default fields in their order of
/// precedence (explicit task ids before user ids), each looked up on the
/// bodies and then on the wrapper lines — so a wrapper's `task_id` beats a
/// body's `user`.
pub fn task_from(
    opts: &ParseOptions,
    lines: &[&Value],
    bodies: &[&Value],
    defaults: &[&str],
) -> Option<String> {
    if opts.task_key.is_some() {
        lines
            .iter()
            .chain(bodies)
            .find_map(|v| task_of(v, opts, defaults))
    } else {
        defaults.iter().find_map(|key| {
            bodies
                .iter()
                .chain(lines)
                .find_map(|v| first_str(v, std::slice::from_ref(key)))
        })
    }
}

/// First string among `paths` on the bodies, then on the wrapper lines.
pub fn str_from(lines: &[&Value], bodies: &[&Value], paths: &[&str]) -> Option<String> {
    bodies.iter().chain(lines).find_map(|v| first_str(v, paths))
}

/// Fill what every format reads the same way from wrapper lines, leaving
/// what the bodies already set: timestamp, model, service tier, reported
/// cost, and a logged `provider` (which wins over the format's default).
pub fn fill_from_wrappers(rec: &mut Record, lines: &[&Value]) {
    if rec.timestamp.is_none() {
        rec.timestamp = time_of(lines, WRAPPER_TIME_KEYS);
    }
    if rec.model.is_none() {
        rec.model = lines.iter().find_map(|v| first_str(v, &["model"]));
    }
    if rec.service_tier == ServiceTier::Standard
        && let Some(t) = lines.iter().find_map(|v| first_str(v, &["service_tier"]))
    {
        rec.service_tier = ServiceTier::from_logged(&t);
    }
    if rec.reported_cost_usd.is_none() {
        rec.reported_cost_usd = reported_cost(lines);
    }
    if let Some(p) = lines
        .iter()
        .find_map(|v| v.get("provider").and_then(Value::as_str))
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
    {
        rec.provider = Some(p);
    }
}

/// Append `s` to `out`, newline-separated (empty strings are dropped).
pub fn append_text(out: &mut String, s: &str) {
    push_text(out, s);
}

/// Append a value that is text when it is a string (tool arguments as a
/// JSON string) and compact JSON otherwise (arguments as an object).
pub fn append_json_text(out: &mut String, v: &Value) {
    match v {
        Value::Null => {}
        Value::String(s) => push_text(out, s),
        other => push_text(out, &other.to_string()),
    }
}

/// True when a record carries any text worth keeping.
pub fn text_is_empty(t: &Text) -> bool {
    t.messages.iter().all(|m| m.content.is_empty()) && t.tools.is_empty() && t.response.is_empty()
}

/// Put `text` on the record (when either side was logged), or refuse the
/// line when it has neither usage nor text.
pub fn attach_text(rec: &mut Record, text: Text) -> Result<(), Skip> {
    let empty = text_is_empty(&text);
    if rec.usage.is_none() && empty {
        return Err(Skip::new(
            "no usage",
            "record has neither token usage nor any prompt or response text",
        ));
    }
    if text.has_prompt || text.has_response || !empty {
        rec.text = Some(text);
    }
    Ok(())
}

/// Short description of a value for "unrecognized record" messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "an empty object".to_string(),
        Value::Object(m) => {
            let mut keys: Vec<&str> = m.keys().map(String::as_str).take(6).collect();
            if m.len() > 6 {
                keys.push("…");
            }
            match m.get("type").and_then(Value::as_str) {
                Some(t) => format!("an object of type `{t}` (keys: {})", keys.join(", ")),
                None => format!("an object with keys: {}", keys.join(", ")),
            }
        }
        other => format!("a JSON {}", type_name(other)),
    }
}

/// `Skip("unrecognized record")` naming what the format expected.
pub fn unrecognized(v: &Value, expected: &str) -> Skip {
    Skip::new(
        "unrecognized record",
        format!("expected {expected}; got {}", describe(v)),
    )
}

/// `Skip("api error")` when `v` is an error event or an error body (an
/// `error` with no usage or output beside it).
pub fn api_error(v: &Value) -> Option<Skip> {
    let err = v.get("error").filter(|e| !e.is_null() && **e != false)?;
    let typed_error = v.get("type").and_then(Value::as_str) == Some("error");
    let has_output = [
        "usage",
        "usageMetadata",
        "usage_metadata",
        "choices",
        "candidates",
        "content",
        "output",
    ]
    .iter()
    .any(|k| v.get(*k).is_some_and(|x| !x.is_null()));
    if has_output && !typed_error {
        return None;
    }
    let inner = err.get("error").filter(|e| e.is_object()).unwrap_or(err);
    let kind = first_str(inner, &["type", "code", "status"]);
    let msg = match inner {
        Value::String(s) => Some(s.clone()),
        _ => first_str(inner, &["message"]),
    };
    let detail = match (kind, msg) {
        (Some(k), Some(m)) => format!("the log records an API error ({k}): {m}"),
        (Some(k), None) => format!("the log records an API error ({k})"),
        (None, Some(m)) => format!("the log records an API error: {m}"),
        (None, None) => "the log records an API error".to_string(),
    };
    Some(Skip::new("api error", detail))
}

/// Whether a `model` + `messages` request body is Anthropic's (rule 19 of
/// reference/log-formats.md §0.1). Strong signals of either side win over
/// the model name; `max_tokens` alone is Anthropic only when the model is
/// not an OpenAI one (OpenAI requests often set it too).
pub fn is_anthropic_request(v: &Value) -> bool {
    let Some(msgs) = v.get("messages").and_then(Value::as_array) else {
        return false;
    };
    let has = |k: &str| v.get(k).is_some_and(|x| !x.is_null());
    if has("system") || has("anthropic_version") || has("stop_sequences") || has("top_k") {
        return true;
    }
    if v.get("thinking").is_some_and(Value::is_object) {
        return true;
    }
    let tools = v.get("tools").and_then(Value::as_array);
    if tools.is_some_and(|t| t.iter().any(|t| t.get("input_schema").is_some())) {
        return true;
    }
    let blocks = || {
        msgs.iter()
            .filter_map(|m| m.get("content").and_then(Value::as_array))
            .flatten()
            .filter_map(|b| b.get("type").and_then(Value::as_str))
    };
    const ANTHROPIC_BLOCKS: &[&str] = &[
        "tool_use",
        "tool_result",
        "thinking",
        "redacted_thinking",
        "server_tool_use",
        "web_search_tool_result",
        "document",
        "search_result",
    ];
    if blocks().any(|t| ANTHROPIC_BLOCKS.contains(&t)) {
        return true;
    }
    // OpenAI-only shapes.
    let openai_roles = msgs.iter().any(|m| {
        matches!(
            m.get("role").and_then(Value::as_str),
            Some("system" | "developer" | "tool" | "function")
        ) || m.get("tool_calls").is_some()
            || m.get("function_call").is_some()
    });
    let openai_parts = blocks().any(|t| matches!(t, "image_url" | "input_audio" | "file"));
    let openai_keys = [
        "max_completion_tokens",
        "response_format",
        "stream_options",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "n",
        "seed",
        "functions",
    ]
    .iter()
    .any(|k| has(k));
    let openai_tools = tools.is_some_and(|t| {
        t.iter()
            .any(|t| t.get("function").is_some_and(Value::is_object))
    });
    if openai_roles || openai_parts || openai_keys || openai_tools {
        return false;
    }
    let model = v
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    if model.contains("claude") {
        return true;
    }
    let openai_model = [
        "gpt-", "chatgpt", "o1", "o3", "o4", "ft:", "gemini", "openai/",
    ]
    .iter()
    .any(|p| model.starts_with(p));
    !openai_model && has("max_tokens")
}

/// Feed `lines` to a parser as lines 1, 2, … of one file; the records it
/// produced and the skips it reported. For the formats' unit tests.
#[cfg(test)]
pub(crate) fn run_parser(p: &mut dyn FormatParser, lines: &[Value]) -> (Vec<Record>, Vec<Skip>) {
    let (out, skips) = run_parser_out(p, lines);
    (out.records, skips)
}

/// Like [`run_parser`], keeping dropped lines and extra entries too.
#[cfg(test)]
pub(crate) fn run_parser_out(p: &mut dyn FormatParser, lines: &[Value]) -> (Out, Vec<Skip>) {
    let path: Arc<str> = Arc::from("t.jsonl");
    let mut out = Out::default();
    let mut skips = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Err(s) = p.push(l.clone(), source(&path, i as u64 + 1), &mut out) {
            skips.push(s);
        }
    }
    p.finish(&mut out);
    (out, skips)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_accept_numbers_and_strings() {
        let v = json!({"a": 5, "b": "7", "c": null, "d": -1, "e": "x", "f": 1.5, "g": 3.0});
        assert_eq!(count_field(&v, "a"), Ok(Some(5)));
        assert_eq!(count_field(&v, "b"), Ok(Some(7)));
        assert_eq!(count_field(&v, "c"), Ok(None));
        assert_eq!(count_field(&v, "missing"), Ok(None));
        assert!(count_field(&v, "d").is_err());
        assert!(count_field(&v, "e").is_err());
        assert!(count_field(&v, "f").is_err());
        assert_eq!(count_field(&v, "g"), Ok(Some(3)));
        assert!(count_value(&json!(1e15), "x").is_err());
    }

    #[test]
    fn timestamps_in_every_shape() {
        let want: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(parse_timestamp(&json!(1735689600)), Some(want));
        assert_eq!(parse_timestamp(&json!(1735689600000u64)), Some(want));
        assert_eq!(parse_timestamp(&json!("1735689600000000000")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01T00:00:00Z")), Some(want));
        assert_eq!(
            parse_timestamp(&json!("2025-01-01T01:00:00+01:00")),
            Some(want)
        );
        assert_eq!(parse_timestamp(&json!("2025-01-01 00:00:00")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01")), Some(want));
        assert_eq!(parse_timestamp(&json!("yesterday")), None);
        assert_eq!(parse_timestamp(&json!(-5)), None);
    }

    #[test]
    fn lookup_pointer_dotted_and_plain() {
        let v = json!({"metadata": {"task_id": "t1"}, "a.b": 1, "arr": [{"x": 2}]});
        assert_eq!(lookup(&v, "/metadata/task_id"), Some(&json!("t1")));
        assert_eq!(lookup(&v, "metadata.task_id"), Some(&json!("t1")));
        assert_eq!(lookup(&v, "a.b"), Some(&json!(1)));
        assert_eq!(lookup(&v, "arr.0.x"), Some(&json!(2)));
    }

    #[test]
    fn content_text_collects_parts() {
        let mut s = String::new();
        content_text(
            &json!([{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"x"}},
                    {"type":"tool_use","name":"read","input":{"path":"a"}}]),
            &mut s,
        );
        assert_eq!(s, "hi\nread\n{\"path\":\"a\"}");
    }
}

#[cfg(test)]
mod helper_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_without_float_noise() {
        let d = |v: Value| decimal_value(&v).map(|d| d.to_string());
        assert_eq!(d(json!(0.00176)), Some("0.00176".into()));
        assert_eq!(d(json!(0.1)), Some("0.1".into()));
        assert_eq!(d(json!(1e-7)), Some("0.0000001".into()));
        assert_eq!(d(json!(3)), Some("3".into()));
        assert_eq!(d(json!("0.027")), Some("0.027".into()));
        assert_eq!(d(json!("$1.50")), Some("1.50".into()));
        assert_eq!(d(json!("")), None);
        assert_eq!(d(json!(-0.5)), None);
        assert_eq!(d(json!("abc")), None);
    }

    /// Found by tests/fuzz_smoke.rs: two records each reporting a cost
    /// near `Decimal::MAX` overflowed the report's reported-cost sum (a
    /// panic in `Stats::add`). Costs no request can have are not believed.
    #[test]
    fn absurd_reported_costs_are_ignored() {
        let d = |v: Value| decimal_value(&v);
        assert_eq!(d(json!("79228162514264337593543950335")), None);
        assert_eq!(d(json!(5e28)), None);
        assert_eq!(d(json!("$1e20")), None);
        assert_eq!(
            d(json!(MAX_REPORTED_COST_USD)).map(|d| d.to_string()),
            Some(MAX_REPORTED_COST_USD.to_string())
        );
        let line = json!({"cost_usd": "5e28", "cost": 0.25});
        assert_eq!(reported_cost(&[&line]), Some(Decimal::new(25, 2)));
    }

    #[test]
    fn explicit_task_id_on_a_wrapper_beats_a_body_user() {
        let line = json!({"task_id": "T-9", "request": {"user": "u-1"}});
        let body = json!({"user": "u-1"});
        let opts = ParseOptions::default();
        let keys = ["metadata.task_id", "task_id", "user"];
        assert_eq!(
            task_from(&opts, &[&line], &[&body], &keys).as_deref(),
            Some("T-9")
        );
        let line = json!({"request": {"user": "u-1"}});
        assert_eq!(
            task_from(&opts, &[&line], &[&body], &keys).as_deref(),
            Some("u-1")
        );
    }

    #[test]
    fn envelopes() {
        let v = json!({"timestamp":"x","request":{"model":"m"},"response":{"id":"r"}});
        let e = envelope(&v);
        assert!(e.wrapped && e.request.is_some() && e.response.is_some());
        let v = json!({"input":{"model":"m","messages":[]},"output":{"object":"chat.completion"}});
        assert!(envelope(&v).wrapped);
        // Plain text fields are not wrappers.
        assert!(!envelope(&json!({"model":"m","input":"hi","output":"yo"})).wrapped);
        assert!(
            !envelope(&json!({"input":[{"role":"user"}],"output":{"role":"assistant"}})).wrapped
        );
    }

    #[test]
    fn input_output_wrapper_is_detected() {
        let v = json!({"input":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]},
                       "output":{"object":"chat.completion","choices":[],"usage":{"prompt_tokens":1}}});
        assert_eq!(detect(&v), Some(Format::OpenAiChat));
    }

    #[test]
    fn anthropic_vs_openai_requests() {
        let a = |v: Value| is_anthropic_request(&v);
        assert!(a(json!({"model":"x","system":"s","messages":[]})));
        assert!(a(
            json!({"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]})
        ));
        assert!(a(
            json!({"model":"proxy-alias","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})
        ));
        assert!(!a(
            json!({"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})
        ));
        assert!(!a(
            json!({"model":"x","messages":[{"role":"system","content":"s"}]})
        ));
        assert!(a(
            json!({"model":"x","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}]})
        ));
    }

    #[test]
    fn odd_shapes_never_panic() {
        let odd = [
            json!(null),
            json!(1),
            json!("x"),
            json!([]),
            json!({}),
            json!({"choices": null}),
            json!({"choices": [1, {"message": 2}, {"delta": 5}]}),
            json!({"object": "chat.completion.chunk", "choices": [{"delta": {"tool_calls": [1, {"function": 3}]}}]}),
            json!({"object": "chat.completion.chunk", "id": "a", "choices": [], "usage": {"prompt_tokens": "x"}}),
            json!({"type": "message_start"}),
            json!({"type": "message_start", "message": {"usage": {"input_tokens": -1}}}),
            json!({"type": "content_block_delta", "delta": null, "index": "z"}),
            json!({"type": "message_delta", "usage": []}),
            json!({"type": "message_stop"}),
            json!({"type": "response.completed", "response": {"output": [1, null]}}),
            json!({"candidates": [null, {"content": 3}], "usageMetadata": {"promptTokenCount": "abc"}}),
            json!({"request": {}, "response": {}}),
            json!({"request": {"messages": 1}, "response": null, "error": "boom"}),
            json!({"input": {}, "output": null}),
            json!({"model": 5, "messages": [null, 3, {"content": {"a": 1}, "tool_calls": 4}]}),
            json!({"model": "m", "input": [1, {"type": "function_call", "arguments": {}}]}),
            json!({"output": [1], "usage": {"input_tokens": 1}}),
            json!({"contents": [{"parts": [null, {"functionCall": 7}]}], "systemInstruction": 3}),
            json!({"response": [1, {"candidates": 5}], "request": {"contents": "hi"}}),
            json!({"url": "models/", "response": {"usageMetadata": {}}}),
            json!({"model": "m", "prompt": {"x": [1]}, "input_tokens": 1.5}),
        ];
        for f in Format::ALL {
            let mut p = parser_for(f, &ParseOptions::default());
            let path: Arc<str> = Arc::from("odd");
            let mut out = Out::default();
            for (i, v) in odd.iter().enumerate() {
                let _ = p.push(v.clone(), source(&path, i as u64 + 1), &mut out);
            }
            p.finish(&mut out);
        }
    }

    #[test]
    fn wrapper_fields_and_api_errors() {
        let line = json!({"timestamp":"2025-03-01T00:00:00Z","provider":"OpenAI","costUSD":"0.5","service_tier":"flex","model":"gpt-4o"});
        let mut rec = Record::new(source(&Arc::from("x"), 1), Format::OpenAiChat);
        fill_from_wrappers(&mut rec, &[&line]);
        assert_eq!(rec.provider.as_deref(), Some("openai"));
        assert_eq!(rec.model.as_deref(), Some("gpt-4o"));
        assert_eq!(rec.service_tier, ServiceTier::Flex);
        assert_eq!(
            rec.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.5")
        );
        assert!(rec.timestamp.is_some());
        // Durations are not dates.
        assert_eq!(time_of(&[&json!({"time": 1.5})], WRAPPER_TIME_KEYS), None);
        let e = api_error(
            &json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
        )
        .unwrap();
        assert_eq!(e.reason, "api error");
        assert!(api_error(&json!({"error":null,"usage":{}})).is_none());
        assert!(api_error(&json!({"error":{"code":"x"},"output":[],"usage":{}})).is_none());
    }

    #[test]
    fn outcomes_from_common_fields_and_words() {
        let d = ParseOptions::default();
        assert_eq!(outcome_of(&json!({"success": true}), &d), Some(true));
        assert_eq!(outcome_of(&json!({"passed": 0}), &d), Some(false));
        assert_eq!(outcome_of(&json!({"outcome": "Resolved"}), &d), Some(true));
        assert_eq!(
            outcome_of(&json!({"metadata": {"outcome": "failed"}}), &d),
            Some(false)
        );
        assert_eq!(outcome_of(&json!({"outcome": "maybe"}), &d), None);
        // `status` is the call's, not the task's.
        assert_eq!(outcome_of(&json!({"status": "completed"}), &d), None);
        let k = ParseOptions {
            outcome_key: Some("/eval/score_ok".into()),
            ..ParseOptions::default()
        };
        assert_eq!(
            outcome_of(&json!({"eval": {"score_ok": "yes"}, "success": false}), &k),
            Some(true)
        );
    }
}
