//! One file per input format. Each format turns JSON values (one JSONL line,
//! one array element, or a whole document) into normalized [`Record`]s.
//!
//! A parser is stateful per file because some formats spread one API call over
//! several lines (stream chunks whose last chunk carries usage; request lines
//! and the response lines that answer them).

use std::sync::Arc;

use serde_json::Value;

use super::fields::envelope::envelope;
use super::lean::Lean;
use crate::record::{Format, Record, Source};

pub mod amp;
pub mod anthropic;
pub mod anthropic_batch;
pub mod anthropic_usage;
pub mod bedrock;
pub mod claude_code;
pub mod codex;
pub mod cohere;
pub mod gemini;
pub mod gemini_cli;
pub mod generic;
pub mod helicone;
pub mod langfuse;
pub mod litellm;
pub mod llm_cli;
pub mod openai_batch;
pub mod openai_chat;
pub mod openai_responses;
pub mod openai_usage;
pub mod opencode;
pub mod otel;
pub mod pi;
pub mod qwen_code;

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
    pub joins: super::join::Joins,
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

/// A line read by a format's typed reader, for that format's parser.
#[derive(Debug, PartialEq)]
pub enum TypedLine {
    ClaudeCode(Box<claude_code::Assistant>),
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
    /// Records kept with a guess, by line (see `Event::Warning`).
    pub warnings: Vec<(Source, String)>,
}

impl Out {
    pub fn push(&mut self, record: Record) {
        self.records.push(record);
    }

    pub fn drop_line(&mut self, source: Source, reason: &'static str) {
        self.dropped.push((source, reason));
    }
}

/// A stateful reader of one format over one file.
pub trait FormatParser: Send {
    /// Consume one JSON value; append zero or more records to `out`.
    /// Lines that belong to the format but bill nothing (a stream chunk
    /// without usage, a `ping` event) return `Ok(())` without records.
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip>;

    /// Consume one line its format's typed reader read (see
    /// [`Lean::typed`]): only the parser of that format is ever given one.
    fn push_typed(&mut self, line: TypedLine, source: Source, out: &mut Out) -> Result<(), Skip> {
        let _ = (line, out);
        Err(Skip::new(
            "unrecognized record",
            format!("line {} was read for another format", source.line),
        ))
    }

    /// End of input: flush anything held back (a request whose response
    /// never came, a stream that never sent its final chunk).
    fn finish(&mut self, out: &mut Out);
}

/// Classify one value. Returns `None` when no format recognizes it.
/// The order is the one docs/formats.md, detection, lists (first match
/// wins).
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
/// Anthropic only by weak signals (a `claude` model name behind an
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
        // A Bedrock Converse request (`modelId`) is neither: its file is
        // decided by its responses.
        && body.get("modelId").is_none()
        && !RESPONSE_KEYS.iter().any(|k| body.get(*k).is_some())
}

/// The formats with a signature of their own, in the order of
/// docs/formats.md, detection, rule 1.
fn detect_specific(v: &Value) -> Option<Format> {
    type Rule = (fn(&Value) -> bool, Format);
    let rules: [Rule; 18] = [
        (otel::detect, Format::Otel),
        (bedrock::detect, Format::Bedrock),
        (openai_usage::detect, Format::OpenAiUsage),
        (anthropic_usage::detect, Format::AnthropicUsage),
        (openai_batch::detect, Format::OpenAiBatch),
        (anthropic_batch::detect, Format::AnthropicBatch),
        (codex::detect, Format::Codex),
        (amp::detect, Format::Amp),
        (gemini_cli::detect, Format::GeminiCli),
        (qwen_code::detect, Format::QwenCode),
        (opencode::detect, Format::OpenCode),
        (pi::detect, Format::Pi),
        (claude_code::detect, Format::ClaudeCode),
        (helicone::detect, Format::Helicone),
        (litellm::detect, Format::LiteLlm),
        (langfuse::detect, Format::Langfuse),
        (llm_cli::detect, Format::LlmCli),
        (gemini::is_vertex_row, Format::Gemini),
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
    } else if cohere::detect(v) {
        Some(Format::Cohere)
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
        Format::GeminiCli => Box::new(gemini_cli::Parser::new(opts.clone())),
        Format::QwenCode => Box::new(qwen_code::Parser::new(opts.clone())),
        Format::Amp => Box::new(amp::Parser::new(opts.clone())),
        Format::OpenCode => Box::new(opencode::Parser::new(opts.clone())),
        Format::Pi => Box::new(pi::Parser::new(opts.clone())),
        Format::Otel => Box::new(otel::Parser::new(opts.clone())),
        Format::Langfuse => Box::new(langfuse::Parser::new(opts.clone())),
        Format::Helicone => Box::new(helicone::Parser::new(opts.clone())),
        Format::LiteLlm => Box::new(litellm::Parser::new(opts.clone())),
        Format::LlmCli => Box::new(llm_cli::Parser::new(opts.clone())),
        Format::Bedrock => Box::new(bedrock::Parser::new(opts.clone())),
        Format::Cohere => Box::new(cohere::Parser::new(opts.clone())),
        Format::OpenAiUsage => Box::new(openai_usage::Parser::new(opts.clone())),
        Format::AnthropicUsage => Box::new(anthropic_usage::Parser::new(opts.clone())),
    }
}

/// Shared constructor for a record's source.
pub fn source(path: &Arc<str>, line: u64) -> Source {
    Source {
        path: path.clone(),
        line,
    }
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
    fn input_output_wrapper_is_detected() {
        let v = json!({"input":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]},
                       "output":{"object":"chat.completion","choices":[],"usage":{"prompt_tokens":1}}});
        assert_eq!(detect(&v), Some(Format::OpenAiChat));
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
}
