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

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    lookup::{first_str, lookup},
    numbers::count_value,
    task::task_from,
    text::{append_json_text, append_text, attach_text},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Message, Record, ServiceTier, Source, Text, Usage};

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
    resource_spans(v).is_some() || is_flat_span(v)
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

// ---- attribute decoding ----------------------------------------------------

/// An OTLP `AnyValue` as plain JSON (`{"intValue":"5"}` → `"5"`, lists and
/// kvlists → arrays and objects). A value that is not an `AnyValue` (flat
/// attributes) is returned as is.
fn any_value(v: &Value) -> Value {
    let Some(o) = v.as_object() else {
        return v.clone();
    };
    for (k, x) in o {
        match k.as_str() {
            "stringValue" | "string_value" | "intValue" | "int_value" | "doubleValue"
            | "double_value" | "boolValue" | "bool_value" | "bytesValue" | "bytes_value" => {
                return x.clone();
            }
            "arrayValue" | "array_value" => {
                let values = x.get("values").and_then(Value::as_array);
                return Value::Array(values.into_iter().flatten().map(any_value).collect());
            }
            "kvlistValue" | "kvlist_value" => return Value::Object(kv_list(x.get("values"))),
            _ => {}
        }
    }
    if o.is_empty() { Value::Null } else { v.clone() }
}

fn kv_list(values: Option<&Value>) -> Map<String, Value> {
    let mut m = Map::new();
    for kv in values.and_then(Value::as_array).into_iter().flatten() {
        if let Some(k) = kv.get("key").and_then(Value::as_str) {
            m.insert(
                k.to_string(),
                kv.get("value").map_or(Value::Null, any_value),
            );
        }
    }
    m
}

/// Attributes as a JSON object, whether logged as a key/value list or flat.
fn attributes(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Array(_)) => kv_list(v),
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// An attribute by its (flat, dotted) name, or by path in nested attributes.
fn attr<'a>(attrs: &'a Value, key: &str) -> Option<&'a Value> {
    lookup(attrs, key).filter(|v| !v.is_null())
}

/// A structured attribute logged as a JSON string is decoded; a plain
/// string stays a string.
fn json_attr(v: &Value) -> Value {
    if let Value::String(s) = v {
        let t = s.trim_start();
        if (t.starts_with('[') || t.starts_with('{'))
            && let Ok(parsed) = serde_json::from_str::<Value>(s)
        {
            return parsed;
        }
    }
    v.clone()
}

fn first_count(attrs: &Value, keys: &[&str]) -> Result<Option<u64>, Skip> {
    for k in keys {
        if let Some(v) = attr(attrs, k)
            && let Some(n) = count_value(v, k)?
        {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

// ---- text ------------------------------------------------------------------

/// Text of a message, part or content in the shapes GenAI instrumentations
/// log: strings; `{type:"text", content}` parts; `text`/`thinking`
/// blocks; tool calls (`name`/`toolName` with `arguments`/`args`/`input`);
/// tool results (`response`/`result`/`output`); OpenAI `tool_calls` and
/// `function`; nested `parts`, `message`, `choices`. Binary parts carry no
/// countable text.
pub(crate) fn part_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => append_text(out, s),
        Value::Array(a) => {
            for x in a {
                part_text(x, out);
            }
        }
        Value::Object(m) => {
            let kind = m.get("type").and_then(Value::as_str).unwrap_or("");
            if matches!(
                kind,
                "blob"
                    | "uri"
                    | "file"
                    | "image"
                    | "image_url"
                    | "input_image"
                    | "audio"
                    | "input_audio"
            ) {
                return;
            }
            for key in ["text", "content", "thinking", "reasoning"] {
                if let Some(x) = m.get(key) {
                    part_text(x, out);
                }
            }
            let args = ["arguments", "args", "input"]
                .iter()
                .find_map(|k| m.get(*k).filter(|x| !x.is_null()));
            if let Some(args) = args {
                if let Some(name) = ["name", "toolName"]
                    .iter()
                    .find_map(|k| m.get(*k).and_then(Value::as_str))
                {
                    append_text(out, name);
                }
                append_json_text(out, args);
            }
            for key in ["response", "result", "output"] {
                if let Some(x) = m.get(key) {
                    append_json_text(out, x);
                }
            }
            for key in [
                "function",
                "tool_calls",
                "toolCalls",
                "parts",
                "message",
                "choices",
            ] {
                if let Some(x) = m.get(key) {
                    part_text(x, out);
                }
            }
        }
        _ => {}
    }
}

fn message(role: &str, content: String) -> Message {
    Message {
        role: role.to_string(),
        name: None,
        content,
    }
}

/// Prompt messages from a decoded value: a list of `{role, parts|content}`
/// messages (also OpenInference `{message:{role, content}}`), an object
/// with `system` and `messages` or `prompt` (Vercel `ai.prompt`), a single
/// message, or a plain string.
pub(crate) fn push_messages(v: &Value, msgs: &mut Vec<Message>) {
    match v {
        Value::Array(items) => {
            for m in items {
                let m = m.get("message").filter(|x| x.is_object()).unwrap_or(m);
                let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
                let mut content = String::new();
                match m {
                    Value::Object(o) => {
                        if let Some(p) = o.get("parts") {
                            part_text(p, &mut content);
                        } else {
                            part_text(m, &mut content);
                        }
                    }
                    other => part_text(other, &mut content),
                }
                msgs.push(message(role, content));
            }
        }
        Value::Object(o) if o.contains_key("messages") || o.contains_key("prompt") => {
            if let Some(s) = o.get("system") {
                let mut content = String::new();
                part_text(s, &mut content);
                msgs.push(message("system", content));
            }
            if let Some(m) = o.get("messages") {
                push_messages(&json_attr(m), msgs);
            }
            if let Some(p) = o.get("prompt") {
                let mut content = String::new();
                part_text(&json_attr(p), &mut content);
                msgs.push(message("user", content));
            }
        }
        Value::Null => {}
        other => {
            let role = other.get("role").and_then(Value::as_str).unwrap_or("user");
            let mut content = String::new();
            part_text(other, &mut content);
            msgs.push(message(role, content));
        }
    }
}

/// OpenLLMetry / OpenInference indexed messages (`gen_ai.prompt.0.role`,
/// `gen_ai.prompt.0.content`, `….tool_calls.0.name`), in index order.
fn indexed(
    attrs: &Map<String, Value>,
    (prefix, role_key, content_key): (&str, &str, &str),
) -> BTreeMap<u64, (Option<String>, String)> {
    let mut by_index: BTreeMap<u64, (Option<String>, String)> = BTreeMap::new();
    for (k, v) in attrs {
        let Some((idx, field)) = k.strip_prefix(prefix).and_then(|r| r.split_once('.')) else {
            continue;
        };
        let Ok(i) = idx.parse::<u64>() else {
            continue;
        };
        let entry = by_index.entry(i).or_default();
        if field == role_key {
            entry.0 = v.as_str().map(str::to_string);
        } else if field == content_key {
            part_text(&json_attr(v), &mut entry.1);
        } else if field.contains("tool_calls.")
            && (field.ends_with(".name") || field.ends_with(".arguments"))
        {
            append_json_text(&mut entry.1, v);
        }
    }
    by_index
}

/// Messages carried by `gen_ai.*.message` / `gen_ai.choice` span events.
#[derive(Default)]
struct EventText {
    prompt: Vec<Message>,
    response: Option<String>,
}

fn event_content(attrs: &Value) -> String {
    let mut s = String::new();
    for key in ["content", "gen_ai.event.content", "message", "body"] {
        if let Some(v) = attr(attrs, key) {
            part_text(&json_attr(v), &mut s);
            if !s.is_empty() {
                break;
            }
        }
    }
    s
}

fn span_text(attrs: &Value, events: &EventText, framed: bool) -> Text {
    let mut text = Text::default();
    let flat = attrs.as_object();
    if let Some(sys) = attr(attrs, "gen_ai.system_instructions") {
        let mut content = String::new();
        part_text(&json_attr(sys), &mut content);
        text.messages.push(message("system", content));
    }
    let mut prompt = Vec::new();
    for key in ["gen_ai.input.messages", "gen_ai.prompt"] {
        if let Some(v) = attr(attrs, key) {
            push_messages(&json_attr(v), &mut prompt);
            break;
        }
    }
    if prompt.is_empty()
        && let Some(flat) = flat
    {
        for spec in INDEXED_PROMPTS {
            let found = indexed(flat, *spec);
            if !found.is_empty() {
                for (role, content) in found.into_values() {
                    prompt.push(message(role.as_deref().unwrap_or("user"), content));
                }
                break;
            }
        }
    }
    if prompt.is_empty() {
        for key in ["llm.input_messages", "ai.prompt.messages", "ai.prompt"] {
            if let Some(v) = attr(attrs, key) {
                push_messages(&json_attr(v), &mut prompt);
                break;
            }
        }
    }
    if prompt.is_empty() {
        prompt.extend(events.prompt.iter().cloned());
    }
    text.has_prompt = !prompt.is_empty();
    text.chat_framing = framed && text.has_prompt;
    text.messages.extend(prompt);

    let mut response = String::new();
    let mut has_response = false;
    for key in ["gen_ai.output.messages", "gen_ai.completion"] {
        if let Some(v) = attr(attrs, key) {
            part_text(&json_attr(v), &mut response);
            has_response = true;
            break;
        }
    }
    if !has_response && let Some(flat) = flat {
        for spec in INDEXED_COMPLETIONS {
            let found = indexed(flat, *spec);
            if !found.is_empty() {
                for (_, content) in found.into_values() {
                    append_text(&mut response, &content);
                }
                has_response = true;
                break;
            }
        }
    }
    if !has_response && let Some(v) = attr(attrs, "llm.output_messages") {
        part_text(&json_attr(v), &mut response);
        has_response = true;
    }
    if !has_response {
        for key in [
            "ai.response.text",
            "ai.response.toolCalls",
            "ai.response.object",
        ] {
            if let Some(v) = attr(attrs, key) {
                part_text(&json_attr(v), &mut response);
                has_response = true;
            }
        }
    }
    if !has_response && let Some(r) = &events.response {
        append_text(&mut response, r);
        has_response = true;
    }
    text.response = response;
    text.has_response = has_response;

    if let Some(tools) = attr(attrs, "gen_ai.tool.definitions").map(json_attr) {
        match tools {
            Value::Array(a) => text.tools.extend(a.iter().map(Value::to_string)),
            Value::Null => {}
            other => text.tools.push(other.to_string()),
        }
    }
    text
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

/// Whether the span's operation is a model call (see the module doc).
fn is_model_call(attrs: &Value) -> bool {
    if let Some(op) = first_str(attrs, OP_KEYS)
        && MODEL_CALL_OPS.contains(&op.to_ascii_lowercase().as_str())
    {
        return true;
    }
    if let Some(kind) = first_str(attrs, &["openinference.span.kind"])
        && matches!(kind.to_ascii_uppercase().as_str(), "LLM" | "EMBEDDING")
    {
        return true;
    }
    first_str(attrs, &["ai.operationId", "operation.name"]).is_some_and(|op| {
        let op = op.split_whitespace().next().unwrap_or("");
        op.ends_with(".doGenerate") || op.ends_with(".doStream") || op.ends_with(".doEmbed")
    })
}

fn is_error(span: &Value) -> bool {
    let Some(status) = span.get("status") else {
        return false;
    };
    let code = status.get("code").or_else(|| status.get("status_code"));
    match code {
        Some(Value::Number(n)) => n.as_u64() == Some(2),
        Some(Value::String(s)) => s.to_ascii_uppercase().ends_with("ERROR"),
        _ => false,
    }
}

/// Trace, span and parent ids (parent `None` for a root).
fn span_ids(span: &Value) -> Option<(String, String, Option<String>)> {
    let trace = first_str(span, &["traceId", "trace_id", "context.trace_id"])?;
    let id = first_str(span, &["spanId", "span_id", "context.span_id"])?;
    let parent = first_str(
        span,
        &["parentSpanId", "parent_span_id", "parent_id", "parentId"],
    )
    .filter(|p| !p.trim_start_matches("0x").chars().all(|c| c == '0'));
    Some((trace, id, parent))
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
}

/// The span tree of one trace, as far as the file has shown it.
#[derive(Default)]
struct TraceState {
    /// Every span seen, with its parent.
    parent: HashMap<String, Option<String>>,
    /// Spans with a span that has usage somewhere below them.
    marked: HashSet<String>,
    /// Spans billed with usage.
    billed: HashSet<String>,
    /// Spans with usage that are not model calls, waiting for the calls
    /// that may come under them.
    held: Vec<(String, Record)>,
}

impl TraceState {
    /// Mark the ancestors of `id`. Stops at a span already marked: its
    /// ancestors were marked then, or will be when it arrives.
    fn mark_ancestors(&mut self, id: &str) {
        let mut cur = self.parent.get(id).cloned().flatten();
        while let Some(p) = cur {
            if !self.marked.insert(p.clone()) {
                break;
            }
            cur = self.parent.get(&p).cloned().flatten();
        }
    }

    fn ancestor_billed(&self, id: &str) -> bool {
        let mut cur = self.parent.get(id).and_then(|p| p.as_deref());
        // Bounded: a file may hold a parent cycle.
        for _ in 0..=self.parent.len() {
            let Some(p) = cur else {
                return false;
            };
            if self.billed.contains(p) {
                return true;
            }
            cur = self.parent.get(p).and_then(|q| q.as_deref());
        }
        false
    }

    /// Held spans are settled: billed unless a span below them has usage.
    fn settle(&mut self, out: &mut Out) {
        for (id, rec) in std::mem::take(&mut self.held) {
            if self.marked.contains(&id) {
                out.drop_line(rec.source, "aggregate span");
            } else if self.ancestor_billed(&id) {
                out.drop_line(rec.source, "nested span");
            } else {
                self.billed.insert(id);
                out.push(rec);
            }
        }
    }
}

/// Remembers the span tree of the most recent [`MAX_TRACES`] traces, so
/// that parents and children in different documents of a file are matched
/// while memory stays bounded (a file's traces mostly come one after the
/// other).
pub struct Parser {
    opts: ParseOptions,
    traces: HashMap<String, TraceState>,
    order: VecDeque<String>,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser {
            opts,
            traces: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn trace(&mut self, id: &str, out: &mut Out) -> &mut TraceState {
        if !self.traces.contains_key(id) {
            while self.order.len() >= MAX_TRACES {
                if let Some(old) = self.order.pop_front()
                    && let Some(mut st) = self.traces.remove(&old)
                {
                    st.settle(out);
                }
            }
            self.order.push_back(id.to_string());
        }
        self.traces.entry(id.to_string()).or_default()
    }

    fn read_span(&self, span: &Value, resource: &Value, source: &Source) -> SpanRead {
        let Some(obj) = span.as_object() else {
            return SpanRead {
                ids: None,
                has_usage: false,
                outcome: Outcome::Skip(unrecognized(span, "an OTLP span object")),
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
        ]
        .iter()
        .find_map(|k| span.get(*k).and_then(parse_timestamp));
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

    /// Settle one document's spans against the trace trees.
    fn settle_document(
        &mut self,
        reads: Vec<SpanRead>,
        source: &Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        // Link every span first, so the order of spans inside a document
        // does not matter.
        for r in &reads {
            if let Some((trace, id, parent)) = &r.ids {
                let st = self.trace(trace, out);
                st.parent.insert(id.clone(), parent.clone());
            }
        }
        for r in &reads {
            if let Some((trace, id, _)) = &r.ids
                && let Some(st) = self.traces.get_mut(trace)
                && (r.has_usage || st.marked.contains(id))
            {
                st.mark_ancestors(id);
            }
        }
        let mut first_skip = None;
        for r in reads {
            match r.outcome {
                Outcome::Drop(reason) => out.drop_line(source.clone(), reason),
                Outcome::Skip(skip) => {
                    if first_skip.is_none() {
                        first_skip = Some(skip);
                    } else {
                        out.drop_line(source.clone(), skip.reason);
                    }
                }
                Outcome::Call { record, model_call } => {
                    let Some((trace, id, _)) = r.ids else {
                        out.push(*record);
                        continue;
                    };
                    let Some(st) = self.traces.get_mut(&trace) else {
                        out.push(*record);
                        continue;
                    };
                    if st.marked.contains(&id) {
                        out.drop_line(record.source, "aggregate span");
                    } else if !model_call {
                        st.held.push((id, *record));
                    } else if record.usage.is_some() && st.ancestor_billed(&id) {
                        out.drop_line(record.source, "nested span");
                    } else {
                        if record.usage.is_some() {
                            st.billed.insert(id);
                        }
                        out.push(*record);
                    }
                }
            }
        }
        first_skip.map_or(Ok(()), Err)
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
        } else {
            return Err(unrecognized(&value, EXPECTED));
        }
        out.extra_entries += (reads.len() as u64).saturating_sub(1);
        self.settle_document(reads, &source, out)
    }

    fn finish(&mut self, out: &mut Out) {
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

    fn s(k: &str, v: &str) -> Value {
        json!({"key": k, "value": {"stringValue": v}})
    }
    fn i(k: &str, v: Value) -> Value {
        json!({"key": k, "value": {"intValue": v}})
    }
    fn span(trace: &str, id: &str, parent: &str, attrs: Vec<Value>) -> Value {
        json!({"traceId": trace, "spanId": id, "parentSpanId": parent, "name": "s",
               "startTimeUnixNano": "1762336800000000000", "attributes": attrs})
    }
    fn doc(spans: Vec<Value>) -> Value {
        json!({"resourceSpans": [{"resource": {"attributes": [s("service.name", "svc")]},
               "scopeSpans": [{"scope": {"name": "x"}, "spans": spans}]}]})
    }
    fn chat(trace: &str, id: &str, parent: &str, input: u64, output: u64) -> Value {
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
    fn agent(trace: &str, id: &str, parent: &str, input: u64, output: u64) -> Value {
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
    fn run(lines: &[Value]) -> (Out, Vec<Skip>) {
        run_parser_out(&mut Parser::new(ParseOptions::default()), lines)
    }
    fn inputs(out: &Out) -> Vec<u64> {
        out.records
            .iter()
            .map(|r| r.usage.map_or(0, |u| u.total_input()))
            .collect()
    }
    fn reasons(out: &Out) -> Vec<&'static str> {
        out.dropped.iter().map(|(_, r)| *r).collect()
    }

    #[test]
    fn int_values_as_strings_and_numbers() {
        let d = doc(vec![chat("t", "a", "", 120, 7)]);
        let (out, skips) = run(&[d]);
        assert!(skips.is_empty());
        let u = out.records[0].usage.unwrap();
        assert_eq!((u.input, u.output), (120, 7));
        assert_eq!(out.records[0].project.as_deref(), Some("svc"));
        assert!(out.records[0].timestamp.is_some());
    }

    #[test]
    fn any_values_decode() {
        let v = json!({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": 3}]}});
        assert_eq!(any_value(&v), json!(["a", 3]));
        let v = json!({"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": true}}]}});
        assert_eq!(any_value(&v), json!({"k": true}));
        assert_eq!(any_value(&json!({})), Value::Null);
        assert_eq!(any_value(&json!({"doubleValue": 1.5})), json!(1.5));
    }

    #[test]
    fn agent_usage_is_not_counted_over_its_calls() {
        // Parent listed before its children, with a tool span in between.
        let d = doc(vec![
            agent("t", "ag", "", 500, 50),
            chat("t", "c1", "ag", 200, 20),
            span(
                "t",
                "tool",
                "ag",
                vec![s("gen_ai.operation.name", "execute_tool")],
            ),
            chat("t", "c2", "tool", 300, 30),
        ]);
        let (out, skips) = run(&[d]);
        assert!(skips.is_empty());
        assert_eq!(inputs(&out), vec![200, 300]);
        assert_eq!(out.extra_entries, 3);
        let mut r = reasons(&out);
        r.sort_unstable();
        assert_eq!(r, vec!["aggregate span", "non-llm span"]);
    }

    #[test]
    fn agent_without_calls_under_it_bills_at_the_end() {
        let (out, _) = run(&[doc(vec![agent("t", "ag", "", 500, 50)])]);
        assert_eq!(inputs(&out), vec![500]);
    }

    #[test]
    fn agent_and_calls_in_separate_documents_either_order() {
        for lines in [
            vec![
                doc(vec![agent("t", "ag", "", 500, 50)]),
                doc(vec![chat("t", "c1", "ag", 500, 50)]),
            ],
            vec![
                doc(vec![chat("t", "c1", "ag", 500, 50)]),
                doc(vec![agent("t", "ag", "", 500, 50)]),
            ],
        ] {
            let (out, _) = run(&lines);
            assert_eq!(inputs(&out), vec![500]);
            assert_eq!(reasons(&out), vec!["aggregate span"]);
        }
    }

    #[test]
    fn grandchild_usage_marks_every_ancestor() {
        // Child first, then the tool span between, then the agent.
        let lines = vec![
            doc(vec![chat("t", "c", "tool", 10, 1)]),
            doc(vec![span("t", "tool", "ag", vec![])]),
            doc(vec![agent("t", "ag", "", 10, 1)]),
        ];
        let (out, _) = run(&lines);
        assert_eq!(inputs(&out), vec![10]);
        assert_eq!(reasons(&out), vec!["non-llm span", "aggregate span"]);
    }

    #[test]
    fn wrapped_model_call_counts_once_in_any_order() {
        // A framework chat span around the SDK chat span, same usage.
        let parent_first = vec![
            doc(vec![chat("t", "p", "", 90, 9)]),
            doc(vec![chat("t", "c", "p", 90, 9)]),
        ];
        let (out, _) = run(&parent_first);
        assert_eq!(inputs(&out), vec![90]);
        assert_eq!(reasons(&out), vec!["nested span"]);
        let child_first = vec![
            doc(vec![chat("t", "c", "p", 90, 9)]),
            doc(vec![chat("t", "p", "", 90, 9)]),
        ];
        let (out, _) = run(&child_first);
        assert_eq!(inputs(&out), vec![90]);
        assert_eq!(reasons(&out), vec!["aggregate span"]);
    }

    #[test]
    fn parent_cycles_terminate() {
        let d = doc(vec![chat("t", "a", "b", 1, 1), chat("t", "b", "a", 1, 1)]);
        let (out, _) = run(&[d]);
        assert_eq!(out.records.len() + out.dropped.len(), 2);
    }

    #[test]
    fn held_spans_settle_when_their_trace_is_evicted() {
        let lines: Vec<Value> = (0..=MAX_TRACES)
            .map(|n| doc(vec![agent(&format!("t{n}"), "ag", "", 1, 1)]))
            .collect();
        let mut p = Parser::new(ParseOptions::default());
        let path: std::sync::Arc<str> = std::sync::Arc::from("t");
        let mut out = Out::default();
        for (n, l) in lines.into_iter().enumerate() {
            p.push(l, super::super::source(&path, n as u64 + 1), &mut out)
                .unwrap();
        }
        assert_eq!(out.records.len(), 1, "the oldest trace was settled");
        p.finish(&mut out);
        assert_eq!(out.records.len(), MAX_TRACES + 1);
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
    fn non_llm_and_error_spans_bill_nothing() {
        let d = doc(vec![
            span("t", "h", "", vec![s("http.request.method", "GET")]),
            span("t", "e", "", vec![s("gen_ai.operation.name", "chat")]),
        ]);
        let mut d = d;
        if let Some(sp) = d.pointer_mut("/resourceSpans/0/scopeSpans/0/spans/1") {
            sp["status"] = json!({"code": 2});
        }
        let (out, skips) = run(&[d]);
        assert!(out.records.is_empty() && skips.is_empty());
        assert_eq!(reasons(&out), vec!["non-llm span", "api error"]);
        assert_eq!(out.extra_entries, 1);
    }

    #[test]
    fn several_broken_spans_are_each_accounted() {
        let bad = |id: &str| {
            span(
                "t",
                id,
                "",
                vec![
                    s("gen_ai.operation.name", "chat"),
                    i("gen_ai.usage.input_tokens", json!("-1")),
                ],
            )
        };
        let (out, skips) = run(&[doc(vec![bad("a"), bad("b"), chat("t", "c", "", 3, 1)])]);
        assert_eq!(skips.len(), 1);
        assert_eq!(skips[0].reason, "invalid usage");
        assert_eq!(reasons(&out), vec!["invalid usage"]);
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.extra_entries, 2);
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
    fn text_from_every_shape() {
        let attrs = json!({
            "gen_ai.system_instructions": "[{\"type\":\"text\",\"content\":\"Be kind.\"}]",
            "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"},{\"type\":\"blob\",\"content\":\"AAAA\"}]},{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"name\":\"f\",\"arguments\":{\"x\":1}}]}]",
            "gen_ai.output.messages": "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"yo\"}],\"finish_reason\":\"stop\"}]",
            "gen_ai.tool.definitions": "[{\"name\":\"f\"}]"
        });
        let t = span_text(&attrs, &EventText::default(), true);
        assert_eq!(t.messages.len(), 3);
        assert_eq!(t.messages[0].content, "Be kind.");
        assert_eq!(t.messages[1].content, "hi");
        assert_eq!(t.messages[2].content, "f\n{\"x\":1}");
        assert_eq!(t.response, "yo");
        assert_eq!(t.tools, vec!["{\"name\":\"f\"}".to_string()]);
        assert!(t.has_prompt && t.has_response && t.chat_framing);

        let indexed = json!({
            "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "second",
            "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "first",
            "gen_ai.completion.0.content": "answer",
            "gen_ai.completion.0.tool_calls.0.name": "lookup"
        });
        let t = span_text(&indexed, &EventText::default(), true);
        let roles: Vec<&str> = t.messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, vec!["system", "user"]);
        assert_eq!(t.messages[1].content, "second");
        assert_eq!(t.response, "answer\nlookup");

        let vercel = json!({
            "ai.prompt": "{\"system\":\"Plan.\",\"prompt\":\"Go\"}",
            "ai.response.text": "Done",
            "ai.response.toolCalls": "[{\"toolName\":\"w\",\"args\":\"{}\"}]"
        });
        let t = span_text(&vercel, &EventText::default(), true);
        assert_eq!(t.messages.len(), 2);
        assert_eq!(t.response, "Done\nw\n{}");

        let ev = EventText {
            prompt: vec![message("user", "from event".into())],
            response: Some("chosen".into()),
        };
        let t = span_text(&json!({}), &ev, false);
        assert_eq!(t.messages[0].content, "from event");
        assert_eq!(t.response, "chosen");
        assert!(!t.chat_framing);
    }

    #[test]
    fn details_event_stands_in_for_span_attributes() {
        let mut sp = chat("t", "a", "", 10, 2);
        sp["events"] = json!([{"name": "gen_ai.client.inference.operation.details",
            "attributes": [s("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"q\"}]}]")]},
            {"name": "gen_ai.choice", "attributes": [s("message", "{\"content\":\"a\"}")]}]);
        let (out, _) = run(&[doc(vec![sp])]);
        let t = out.records[0].text.as_ref().unwrap();
        assert_eq!(t.messages[0].content, "q");
        assert_eq!(t.response, "a");
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
