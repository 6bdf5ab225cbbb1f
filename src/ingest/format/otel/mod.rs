//! OpenTelemetry GenAI spans, format `otel` (docs/formats.md, otel).
//!
//! Values this parser reads:
//! - OTLP/JSON trace documents: `resourceSpans[].scopeSpans[].spans[]`
//!   (also the older `instrumentationLibrarySpans`, snake_case protobuf
//!   names, and Tempo-style `batches[]`), one per file or one per JSONL
//!   line. Every span of a document is one entry of the run's accounting
//!   (`extra_entries`); all records of a document share its source line.
//! - one span per line: `{traceId, spanId, name, attributes}` with the
//!   attributes as a flat object or as the OTLP key/value list, and the
//!   Python console exporter's `{name, context:{trace_id, span_id},
//!   parent_id, start_time, attributes:{…}}`.
//!
//! Attribute values are OTLP `AnyValue`s (`stringValue`, `intValue` as a
//! string or a number, `doubleValue`, `boolValue`, `arrayValue`,
//! `kvlistValue`) or plain JSON in the flat forms. Current and deprecated
//! names are read, first match wins: `gen_ai.usage.input_tokens` /
//! `gen_ai.usage.prompt_tokens` / OpenLLMetry `llm.usage.prompt_tokens` /
//! Vercel `ai.usage.inputTokens` / `ai.usage.promptTokens` / OpenInference
//! `llm.token_count.prompt`, and the same families for output, cache read
//! (`gen_ai.usage.cache_read.input_tokens`,
//! `gen_ai.usage.cache_read_input_tokens`), cache creation and reasoning.
//! A lone total cannot be split into buckets and is ignored.
//!
//! Usage: input counts include cache reads and writes (the convention
//! says SHOULD), so `input = input_tokens − cache_read − cache_creation`,
//! except for Anthropic-flavoured spans (provider `anthropic`, or a
//! `claude` model behind another provider) whose cache counts exceed the
//! input count: instrumentations that pass Anthropic's usage through
//! report input *excluding* cache, and an inclusive count can never be
//! smaller than its parts, so such spans are read additively (cache
//! creation as 5-minute writes). An Anthropic span whose input is at least
//! its cache counts is read as the convention says. Output includes
//! reasoning; a reasoning count larger than the output count cannot be
//! part of it and is added to it.
//!
//! Which spans bill: a span is an LLM call when it has usage, or when its
//! operation is a model call (`gen_ai.operation.name` / OpenLLMetry
//! `llm.request.type` ∈ chat, text_completion, generate_content,
//! embeddings, completion, embedding; OpenInference span kind LLM or
//! EMBEDDING; Vercel `ai.*.doGenerate` / `doStream` / `doEmbed`). Other
//! spans (tools, HTTP, agents without usage) are `not billed: non-llm
//! span`. Agent frameworks put usage both on a parent span (`invoke_agent`,
//! Vercel's outer `ai.generateText`, a framework span wrapping an SDK
//! span) and on the model calls under it, so only the lowest spans with
//! usage bill: a span is `not billed: aggregate span` when a span below it
//! in the same trace (anywhere in the file) has usage. Model-call spans
//! bill as soon as they are read; a span with usage that is not a model
//! call (an agent span) is held until the end of the file, or until its
//! trace is evicted from the bounded trace table, because the calls under
//! it may come later in the file. Should a model call come after an
//! ancestor model call that was already billed (files sorted parent
//! first), it is `not billed: nested span`. Only spans with usage count
//! as "below": a text-only span never hides its parent's usage.
//!
//! A model-call span with an error status and no usage is `not billed:
//! api error`; one with neither usage nor text is skipped (`no usage`).
//! When one document holds several broken spans, the first is reported as
//! the document's skip and the others are listed as not billed under the
//! same reason, so that every span is still accounted once.
//!
//! Text: `gen_ai.system_instructions`, `gen_ai.input.messages`,
//! `gen_ai.output.messages` (JSON strings of `{role, parts[]}`), deprecated
//! `gen_ai.prompt` / `gen_ai.completion`, OpenLLMetry indexed
//! `gen_ai.prompt.<i>.content` / `gen_ai.completion.<i>.content` (and
//! `llm.prompts.<i>`), OpenInference `llm.input_messages` /
//! `llm.output_messages`, Vercel `ai.prompt.messages` / `ai.prompt` /
//! `ai.response.text` / `ai.response.toolCalls`; span events
//! `gen_ai.{system,user,assistant,tool}.message` and `gen_ai.choice`, and
//! `gen_ai.client.inference.operation.details` / `gen_ai.content.*` events
//! whose attributes stand in for the span's. Tool definitions from
//! `gen_ai.tool.definitions`.
//!
//! Other fields: model `gen_ai.response.model` before
//! `gen_ai.request.model` (then Vercel `ai.response.model` / `ai.model.id`,
//! OpenLLMetry and OpenInference names); provider `gen_ai.provider.name` /
//! `gen_ai.system` (`gcp.*` → `google`, `aws.bedrock` → `bedrock`,
//! `azure.*` → `azure`, `mistral_ai` → `mistral`, `x_ai` → `xai`); session
//! `gen_ai.conversation.id` / `session.id` / `langfuse.session.id`; project
//! the resource's `service.name`; timestamp `startTimeUnixNano`; service
//! tier from the OpenAI instrumentation's `*.response.service_tier`. No
//! task unless `--task-key` names an attribute (looked up on the span's
//! attributes, then the resource's, then the span object). A span logged
//! twice in a run (same trace and span id) is billed once.

mod attributes;
mod text;
mod trace;

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    lookup::first_str,
    task::task_from,
    text::{append_text, attach_text},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Record, ServiceTier, Source, Usage};

use attributes::{attributes, first_count};
use text::{EventText, event_content, message, span_text};
use trace::{TraceState, is_error, is_model_call, span_ids};

pub(crate) use text::{part_text, push_messages};

const EXPECTED: &str = "an OTLP JSON trace document (`resourceSpans`) or a span with `traceId`, `spanId`, `name` and `attributes`";
const DEDUP_REASON: &str = "duplicate span";
/// Traces whose span tree is remembered (see [`Parser`]).
const MAX_TRACES: usize = 4096;

const SCOPE_KEYS: &[&str] = &[
    "scopeSpans",
    "scope_spans",
    "instrumentationLibrarySpans",
    "instrumentation_library_spans",
];

const INPUT_KEYS: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.usage.prompt_tokens",
    "llm.usage.input_tokens",
    "ai.usage.inputTokens",
    "ai.usage.promptTokens",
    "llm.token_count.prompt",
];
const OUTPUT_KEYS: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
    "llm.usage.output_tokens",
    "ai.usage.outputTokens",
    "ai.usage.completionTokens",
    "llm.token_count.completion",
];
const CACHE_READ_KEYS: &[&str] = &[
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.usage.cache_read_input_tokens",
    "ai.usage.cachedInputTokens",
    "llm.token_count.prompt_details.cache_read",
];
const CACHE_WRITE_KEYS: &[&str] = &[
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
];
const REASONING_KEYS: &[&str] = &[
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.usage.reasoning_tokens",
    "ai.usage.reasoningTokens",
    "llm.token_count.completion_details.reasoning",
];
const MODEL_KEYS: &[&str] = &[
    "gen_ai.response.model",
    "gen_ai.request.model",
    "ai.response.model",
    "ai.model.id",
    "llm.response.model",
    "llm.request.model",
    "llm.model_name",
];
const PROVIDER_KEYS: &[&str] = &[
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
    "ai.model.provider",
];
const SESSION_KEYS: &[&str] = &[
    "gen_ai.conversation.id",
    "session.id",
    "langfuse.session.id",
    "ai.telemetry.metadata.sessionId",
    "ai.telemetry.metadata.session_id",
    "traceloop.association.properties.session_id",
];
const TIER_KEYS: &[&str] = &[
    "gen_ai.openai.response.service_tier",
    "openai.response.service_tier",
    "gen_ai.openai.request.service_tier",
    "openai.request.service_tier",
];
const OP_KEYS: &[&str] = &["gen_ai.operation.name", "llm.request.type"];
const MODEL_CALL_OPS: &[&str] = &[
    "chat",
    "text_completion",
    "generate_content",
    "embeddings",
    "completion",
    "embedding",
];
/// Events whose attributes are the span's own, moved off the span.
const ATTRIBUTE_EVENTS: &[&str] = &[
    "gen_ai.client.inference.operation.details",
    "gen_ai.content.prompt",
    "gen_ai.content.completion",
];
/// Indexed message attributes: (prefix, role field, content field).
const INDEXED_PROMPTS: &[(&str, &str, &str)] = &[
    ("gen_ai.prompt.", "role", "content"),
    ("llm.prompts.", "role", "content"),
    ("llm.input_messages.", "message.role", "message.content"),
];
const INDEXED_COMPLETIONS: &[(&str, &str, &str)] = &[
    ("gen_ai.completion.", "role", "content"),
    ("llm.completions.", "role", "content"),
    ("llm.output_messages.", "message.role", "message.content"),
];

/// Detection signature (docs/formats.md, otel), OTLP documents and the
/// one-span-per-line forms.
pub fn detect(v: &Value) -> bool {
    resource_spans(v).is_some() || is_flat_span(v) || is_log_record(v)
}

fn resource_spans(v: &Value) -> Option<&Vec<Value>> {
    for key in ["resourceSpans", "resource_spans"] {
        if let Some(a) = v.get(key).and_then(Value::as_array) {
            return Some(a);
        }
    }
    // Tempo's trace API answers with the same resource spans under `batches`.
    let batches = v.get("batches").and_then(Value::as_array)?;
    batches
        .iter()
        .any(|b| SCOPE_KEYS.iter().any(|k| b.get(*k).is_some()))
        .then_some(batches)
}

/// A metric written by an OpenTelemetry file exporter beside its spans.
fn is_metric(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("metric")
        || (v.get("dataPoints").is_some() && v.get("name").is_some())
}

/// A log record holding a GenAI event's attributes, written beside the
/// spans (Copilot CLI's file exporter): `attributes` with an `event.name`
/// the module reads, and a time.
fn is_log_record(v: &Value) -> bool {
    let event = match v.get("attributes") {
        Some(a @ Value::Object(_)) => a
            .get("event.name")
            .and_then(Value::as_str)
            .map(str::to_string),
        Some(Value::Array(_)) => attributes(v.get("attributes"))
            .get("event.name")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    event.is_some_and(|e| ATTRIBUTE_EVENTS.contains(&e.as_str()))
        && ["hrTime", "timeUnixNano", "timestamp", "observedTimestamp"]
            .iter()
            .any(|k| v.get(*k).is_some())
}

/// A time as an exporter may write it: what [`parse_timestamp`] reads, or
/// an `[seconds, nanoseconds]` pair (the JS SDK's `HrTime`).
fn time_value(v: &Value) -> Option<jiff::Timestamp> {
    if let Some([s, n]) = v.as_array().map(Vec::as_slice) {
        let secs = s.as_i64()?;
        let nanos = i32::try_from(n.as_i64()?).ok()?;
        return jiff::Timestamp::new(secs, nanos).ok();
    }
    parse_timestamp(v)
}

/// One span per line: ids, a name, and attributes as an object or as an
/// OTLP key/value list (every element `{key, …}`).
fn is_flat_span(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    let attrs_ok = match o.get("attributes") {
        Some(Value::Object(_)) => true,
        Some(Value::Array(a)) => a
            .iter()
            .all(|kv| kv.get("key").is_some_and(Value::is_string)),
        _ => false,
    };
    let has = |keys: &[&str]| keys.iter().any(|k| o.get(*k).is_some_and(Value::is_string));
    let ids = (has(&["traceId", "trace_id"]) && has(&["spanId", "span_id"]))
        || o.get("context").is_some_and(|c| {
            c.get("trace_id").is_some_and(Value::is_string)
                && c.get("span_id").is_some_and(Value::is_string)
        });
    attrs_ok && ids && o.get("name").is_some_and(Value::is_string)
}

// ---- one span --------------------------------------------------------------

/// Token counts of a span, as logged.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_write: Option<u64>,
    reasoning: Option<u64>,
}

impl Counts {
    fn read(attrs: &Value) -> Result<Counts, Skip> {
        Ok(Counts {
            input: first_count(attrs, INPUT_KEYS)?,
            output: first_count(attrs, OUTPUT_KEYS)?,
            cache_read: first_count(attrs, CACHE_READ_KEYS)?,
            cache_write: first_count(attrs, CACHE_WRITE_KEYS)?,
            reasoning: first_count(attrs, REASONING_KEYS)?,
        })
    }

    fn present(&self) -> bool {
        self.input.is_some()
            || self.output.is_some()
            || self.cache_read.is_some()
            || self.cache_write.is_some()
    }

    /// Buckets under the module's rules (inclusive input, with the
    /// Anthropic exception; reasoning inside output unless it cannot be).
    fn usage(&self, anthropic: bool) -> Usage {
        let input = self.input.unwrap_or(0);
        let cache_read = self.cache_read.unwrap_or(0);
        let cache_write = self.cache_write.unwrap_or(0);
        let reasoning = self.reasoning.unwrap_or(0);
        let mut output = self.output.unwrap_or(0);
        if reasoning > output {
            output = output.saturating_add(reasoning);
        }
        if anthropic && cache_read.saturating_add(cache_write) > input {
            Usage {
                input,
                cache_read,
                cache_write_5m: cache_write,
                cache_write_1h: 0,
                output,
                reasoning: reasoning.min(output),
            }
        } else {
            Usage::from_inclusive_input(input, cache_read, cache_write, output, reasoning)
        }
    }
}

/// Provider names as the rest of the tool spells them.
fn provider_name(raw: &str) -> Option<String> {
    let p = raw.trim().to_ascii_lowercase();
    if p.is_empty() {
        return None;
    }
    let head = p.split('.').next().unwrap_or(&p);
    let name = if p.starts_with("gcp.")
        || matches!(
            head,
            "google" | "gemini" | "vertex" | "vertex_ai" | "vertexai"
        )
        || p.starts_with("google")
    {
        "google"
    } else if p == "aws.bedrock" || head == "bedrock" || head == "amazon-bedrock" {
        "bedrock"
    } else if p.starts_with("azure") || p.starts_with("az.") {
        "azure"
    } else if head == "mistral_ai" || head == "mistralai" {
        "mistral"
    } else if head == "x_ai" {
        "xai"
    } else {
        head
    };
    Some(name.to_string())
}

/// What one span of a document became before the trace tree is consulted.
enum Outcome {
    Drop(&'static str),
    Skip(Skip),
    /// An LLM call; `model_call` says whether its operation names one.
    Call {
        record: Box<Record>,
        model_call: bool,
    },
}

struct SpanRead {
    ids: Option<(String, String, Option<String>)>,
    has_usage: bool,
    outcome: Outcome,
    /// `gen_ai.response.id`: what ties a log record to its span.
    response_id: Option<String>,
}

/// Remembers the span tree of the most recent [`MAX_TRACES`] traces, so
/// that parents and children in different documents of a file are matched
/// while memory stays bounded (a file's traces mostly come one after the
/// other).
pub struct Parser {
    opts: ParseOptions,
    traces: HashMap<String, TraceState>,
    order: VecDeque<String>,
    /// Log records with a call's usage (`gen_ai.client.inference.operation.details`
    /// logged on its own), held to the end of the file: a span with usage
    /// and the same response id (or trace) is the same call.
    logs: Vec<(Option<String>, Option<String>, Record)>,
    /// Response ids and traces of the spans with usage read so far.
    span_responses: std::collections::HashSet<String>,
    span_traces: std::collections::HashSet<String>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            traces: HashMap::new(),
            order: VecDeque::new(),
            logs: Vec::new(),
            span_responses: Default::default(),
            span_traces: Default::default(),
        }
    }

    /// A log record carrying a call's usage, as Copilot CLI's file exporter
    /// writes them beside its spans: read like a span, held (see `logs`).
    fn log_record(&mut self, value: &Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let attrs = attributes(value.get("attributes"));
        let mut span = serde_json::Map::new();
        span.insert(
            "name".into(),
            attrs
                .get("event.name")
                .cloned()
                .unwrap_or(Value::String("log".into())),
        );
        for k in [
            "traceId",
            "trace_id",
            "spanId",
            "span_id",
            "hrTime",
            "timeUnixNano",
            "timestamp",
        ] {
            if let Some(v) = value.get(k) {
                span.insert(k.into(), v.clone());
            }
        }
        span.insert("attributes".into(), Value::Object(attrs));
        let span = Value::Object(span);
        let read = self.read_span(&span, &Value::Object(Default::default()), &source);
        match read.outcome {
            Outcome::Call { record, .. } if read.has_usage => {
                let trace = read.ids.map(|(t, _, _)| t);
                self.logs.push((read.response_id, trace, *record));
                Ok(())
            }
            Outcome::Skip(skip) => Err(skip),
            _ => {
                out.drop_line(source, "log record");
                Ok(())
            }
        }
    }
    fn read_span(&self, span: &Value, resource: &Value, source: &Source) -> SpanRead {
        let Some(obj) = span.as_object() else {
            return SpanRead {
                ids: None,
                has_usage: false,
                outcome: Outcome::Skip(unrecognized(span, "an OTLP span object")),
                response_id: None,
            };
        };
        let ids = span_ids(span);
        let mut attrs = attributes(obj.get("attributes"));
        let mut events = EventText::default();
        for ev in obj
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = ev.get("name").and_then(Value::as_str).unwrap_or("");
            let ev_attrs = attributes(ev.get("attributes"));
            if ATTRIBUTE_EVENTS.contains(&name) {
                for (k, v) in ev_attrs {
                    attrs.entry(k).or_insert(v);
                }
                continue;
            }
            let ev_attrs = Value::Object(ev_attrs);
            if let Some(role) = name
                .strip_prefix("gen_ai.")
                .and_then(|r| r.strip_suffix(".message"))
            {
                events.prompt.push(message(role, event_content(&ev_attrs)));
            } else if name == "gen_ai.choice" {
                let r = events.response.get_or_insert_with(String::new);
                append_text(r, &event_content(&ev_attrs));
            }
        }
        let attrs = Value::Object(attrs);
        let counts = match Counts::read(&attrs) {
            Ok(c) => c,
            Err(skip) => {
                return SpanRead {
                    ids,
                    has_usage: false,
                    outcome: Outcome::Skip(skip),
                    response_id: None,
                };
            }
        };
        let has_usage = counts.present();
        let model_call = is_model_call(&attrs);
        let outcome = if !has_usage && !model_call {
            Outcome::Drop("non-llm span")
        } else if !has_usage && is_error(span) {
            Outcome::Drop("api error")
        } else {
            match self.build(
                span,
                &attrs,
                resource,
                &counts,
                &events,
                ids.as_ref(),
                source,
            ) {
                Ok(rec) => Outcome::Call {
                    record: Box::new(rec),
                    model_call,
                },
                Err(skip) => Outcome::Skip(skip),
            }
        };
        SpanRead {
            ids,
            has_usage,
            outcome,
            response_id: first_str(&attrs, &["gen_ai.response.id"]),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        span: &Value,
        attrs: &Value,
        resource: &Value,
        counts: &Counts,
        events: &EventText,
        ids: Option<&(String, String, Option<String>)>,
        source: &Source,
    ) -> Result<Record, Skip> {
        let mut rec = Record::new(source.clone(), Format::Otel);
        rec.model = first_str(attrs, MODEL_KEYS);
        rec.provider = first_str(attrs, PROVIDER_KEYS)
            .or_else(|| first_str(resource, PROVIDER_KEYS))
            .and_then(|p| provider_name(&p));
        rec.timestamp = [
            "startTimeUnixNano",
            "start_time_unix_nano",
            "startTime",
            "start_time",
            "timestamp",
            "hrTime",
            "timeUnixNano",
            "endTimeUnixNano",
            "endTime",
        ]
        .iter()
        .find_map(|k| span.get(*k).and_then(time_value));
        rec.session = first_str(attrs, SESSION_KEYS).or_else(|| first_str(resource, SESSION_KEYS));
        rec.task = task_from(&self.opts, &[attrs, resource, span], &[], &[]);
        rec.project =
            first_str(resource, &["service.name"]).filter(|s| !s.starts_with("unknown_service"));
        if let Some(t) = first_str(attrs, TIER_KEYS) {
            rec.service_tier = ServiceTier::from_logged(&t);
        }
        if counts.present() {
            let anthropic = rec.provider.as_deref() == Some("anthropic")
                || rec
                    .model
                    .as_deref()
                    .is_some_and(|m| m.to_ascii_lowercase().contains("claude"));
            rec.usage = Some(counts.usage(anthropic));
        }
        if let Some((trace, id, _)) = ids {
            rec.call_id = Some(Box::new(CallId::key(
                format!("otel:{trace}:{id}"),
                DEDUP_REASON,
            )));
        }
        let framed = !first_str(attrs, OP_KEYS).is_some_and(|op| {
            matches!(
                op.as_str(),
                "embeddings" | "embedding" | "text_completion" | "completion"
            )
        });
        attach_text(&mut rec, span_text(attrs, events, framed))?;
        Ok(rec)
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let mut reads = Vec::new();
        if let Some(rs) = resource_spans(&value) {
            for r in rs {
                let resource = Value::Object(attributes(
                    r.get("resource").and_then(|x| x.get("attributes")),
                ));
                for key in SCOPE_KEYS {
                    for scope in r.get(*key).and_then(Value::as_array).into_iter().flatten() {
                        for span in scope
                            .get("spans")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            reads.push(self.read_span(span, &resource, &source));
                        }
                    }
                }
            }
            if reads.is_empty() {
                out.drop_line(source, "no spans");
                return Ok(());
            }
        } else if is_flat_span(&value) {
            let resource = Value::Object(attributes(
                value.get("resource").and_then(|x| x.get("attributes")),
            ));
            reads.push(self.read_span(&value, &resource, &source));
        } else if is_metric(&value) {
            out.drop_line(source, "metric");
            return Ok(());
        } else if is_log_record(&value) {
            return self.log_record(&value, source, out);
        } else {
            return Err(unrecognized(&value, EXPECTED));
        }
        for r in &reads {
            if r.has_usage {
                if let Some(id) = &r.response_id {
                    self.span_responses.insert(id.clone());
                }
                if let Some((t, _, _)) = &r.ids {
                    self.span_traces.insert(t.clone());
                }
            }
        }
        out.extra_entries += (reads.len() as u64).saturating_sub(1);
        self.settle_document(reads, &source, out)
    }

    fn finish(&mut self, out: &mut Out) {
        for (response, trace, rec) in std::mem::take(&mut self.logs) {
            let of_a_span = response.is_some_and(|r| self.span_responses.contains(&r))
                || trace.is_some_and(|t| self.span_traces.contains(&t));
            if of_a_span {
                out.drop_line(rec.source, "log record of a span");
            } else {
                out.push(rec);
            }
        }
        for id in std::mem::take(&mut self.order) {
            if let Some(mut st) = self.traces.remove(&id) {
                st.settle(out);
            }
        }
        self.traces.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    pub(super) fn s(k: &str, v: &str) -> Value {
        json!({"key": k, "value": {"stringValue": v}})
    }
    pub(super) fn i(k: &str, v: Value) -> Value {
        json!({"key": k, "value": {"intValue": v}})
    }
    pub(super) fn span(trace: &str, id: &str, parent: &str, attrs: Vec<Value>) -> Value {
        json!({"traceId": trace, "spanId": id, "parentSpanId": parent, "name": "s",
               "startTimeUnixNano": "1762336800000000000", "attributes": attrs})
    }
    pub(super) fn doc(spans: Vec<Value>) -> Value {
        json!({"resourceSpans": [{"resource": {"attributes": [s("service.name", "svc")]},
               "scopeSpans": [{"scope": {"name": "x"}, "spans": spans}]}]})
    }
    pub(super) fn chat(trace: &str, id: &str, parent: &str, input: u64, output: u64) -> Value {
        span(
            trace,
            id,
            parent,
            vec![
                s("gen_ai.operation.name", "chat"),
                s("gen_ai.request.model", "gpt-4o"),
                i("gen_ai.usage.input_tokens", json!(input.to_string())),
                i("gen_ai.usage.output_tokens", json!(output)),
            ],
        )
    }
    pub(super) fn agent(trace: &str, id: &str, parent: &str, input: u64, output: u64) -> Value {
        span(
            trace,
            id,
            parent,
            vec![
                s("gen_ai.operation.name", "invoke_agent"),
                s("gen_ai.request.model", "gpt-4o"),
                i("gen_ai.usage.input_tokens", json!(input)),
                i("gen_ai.usage.output_tokens", json!(output)),
            ],
        )
    }
    pub(super) fn run(lines: &[Value]) -> (Out, Vec<Skip>) {
        run_parser_out(&mut Parser::new(ParseOptions::default()), lines)
    }
    pub(super) fn inputs(out: &Out) -> Vec<u64> {
        out.records
            .iter()
            .map(|r| r.usage.map_or(0, |u| u.total_input()))
            .collect()
    }
    pub(super) fn reasons(out: &Out) -> Vec<&'static str> {
        out.dropped.iter().map(|(_, r)| *r).collect()
    }

    #[test]
    fn anthropic_input_excluding_cache_is_recognized() {
        let attrs = |input: u64, read: u64| {
            doc(vec![span(
                "t",
                &format!("s{input}"),
                "",
                vec![
                    s("gen_ai.operation.name", "chat"),
                    s("gen_ai.system", "anthropic"),
                    s("gen_ai.request.model", "claude-haiku-4-5"),
                    i("gen_ai.usage.input_tokens", json!(input)),
                    i("gen_ai.usage.cache_read_input_tokens", json!(read)),
                    i("gen_ai.usage.cache_creation_input_tokens", json!(100)),
                    i("gen_ai.usage.output_tokens", json!(5)),
                ],
            )])
        };
        let (out, _) = run(&[attrs(20, 4000), attrs(5000, 4000)]);
        let u = out.records[0].usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.cache_write_5m), (20, 4000, 100));
        let u = out.records[1].usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.cache_write_5m), (900, 4000, 100));
        assert_eq!(out.records[0].provider.as_deref(), Some("anthropic"));
        // OpenAI's cache can never exceed its input: saturate instead.
        let u = Counts {
            input: Some(10),
            cache_read: Some(50),
            ..Counts::default()
        }
        .usage(false);
        assert_eq!((u.input, u.cache_read), (0, 50));
    }

    #[test]
    fn reasoning_beyond_output_is_added() {
        let c = |o: u64, r: u64| {
            Counts {
                input: Some(1),
                output: Some(o),
                reasoning: Some(r),
                ..Counts::default()
            }
            .usage(false)
        };
        assert_eq!((c(100, 40).output, c(100, 40).reasoning), (100, 40));
        assert_eq!((c(30, 40).output, c(30, 40).reasoning), (70, 40));
    }

    #[test]
    fn empty_document_and_model_call_without_anything() {
        let (out, skips) = run(&[json!({"resourceSpans": []})]);
        assert_eq!(reasons(&out), vec!["no spans"]);
        assert!(skips.is_empty());
        let (_, skips) = run(&[doc(vec![span(
            "t",
            "a",
            "",
            vec![s("gen_ai.operation.name", "chat")],
        )])]);
        assert_eq!(skips[0].reason, "no usage");
    }

    #[test]
    fn flat_spans_with_objects_and_key_value_lists() {
        let a = json!({"traceId": "t", "spanId": "a", "name": "chat",
            "attributes": {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 4,
                           "gen_ai.usage.output_tokens": 2, "gen_ai.provider.name": "gcp.vertex_ai"}});
        let b = json!({"traceId": "t2", "spanId": "b", "name": "chat",
            "attributes": [s("gen_ai.operation.name", "chat"), i("gen_ai.usage.input_tokens", json!("6"))]});
        let c = json!({"name": "chat", "context": {"trace_id": "0x1", "span_id": "0x2"},
            "parent_id": null, "start_time": "2025-11-05T10:00:00Z",
            "attributes": {"llm.request.type": "completion", "llm.usage.prompt_tokens": 8}});
        for v in [&a, &b, &c] {
            assert!(detect(v));
        }
        let (out, skips) = run(&[a, b, c]);
        assert!(skips.is_empty());
        assert_eq!(inputs(&out), vec![4, 6, 8]);
        assert_eq!(out.records[0].provider.as_deref(), Some("google"));
        assert!(out.records[2].timestamp.is_some());
        assert_eq!(out.extra_entries, 0);
    }

    #[test]
    fn detection_is_specific() {
        assert!(detect(&json!({"resourceSpans": []})));
        assert!(detect(&json!({"batches": [{"scopeSpans": []}]})));
        assert!(!detect(&json!({"batches": [{"x": 1}]})));
        // A Langfuse observation has a trace id but no span id.
        assert!(!detect(
            &json!({"id": "o", "traceId": "t", "type": "GENERATION", "startTime": "x", "name": "n", "attributes": {}})
        ));
        // A list that is not key/value pairs is not attributes.
        assert!(!detect(
            &json!({"traceId": "t", "spanId": "s", "name": "n", "attributes": [1, 2]})
        ));
    }

    #[test]
    fn old_names_instrumentation_library_spans_and_providers() {
        let v = json!({"resourceSpans": [{"instrumentationLibrarySpans": [{"spans": [
        span("t", "a", "", vec![
            s("gen_ai.system", "openai"),
            s("llm.request.type", "chat"),
            i("gen_ai.usage.prompt_tokens", json!(50)),
            i("gen_ai.usage.completion_tokens", json!(5)),
            i("gen_ai.usage.cache_read_input_tokens", json!(32)),
        ])]}]}]});
        let (out, _) = run(&[v]);
        let u = out.records[0].usage.unwrap();
        assert_eq!((u.input, u.cache_read, u.output), (18, 32, 5));
        let p = |x: &str| provider_name(x).unwrap();
        assert_eq!(p("gcp.gemini"), "google");
        assert_eq!(p("aws.bedrock"), "bedrock");
        assert_eq!(p("azure.ai.openai"), "azure");
        assert_eq!(p("openai.chat"), "openai");
        assert_eq!(p("Anthropic"), "anthropic");
        assert_eq!(p("mistral_ai"), "mistral");
        assert_eq!(p("x_ai"), "xai");
    }

    #[test]
    fn task_key_reads_attributes_and_dedup_key_is_the_span() {
        let mut sp = chat("t", "a", "", 10, 2);
        if let Some(a) = sp["attributes"].as_array_mut() {
            a.push(s("app.ticket", "T-7"));
            a.push(s("gen_ai.conversation.id", "conv"));
        }
        let opts = ParseOptions {
            task_key: Some("app.ticket".into()),
            ..ParseOptions::default()
        };
        let (out, _) = run_parser_out(&mut Parser::new(opts), &[doc(vec![sp])]);
        let r = &out.records[0];
        assert_eq!(r.task.as_deref(), Some("T-7"));
        assert_eq!(r.session.as_deref(), Some("conv"));
        assert_eq!(
            r.call_id.as_ref().unwrap().check,
            vec!["otel:t:a".to_string()]
        );
    }
}
