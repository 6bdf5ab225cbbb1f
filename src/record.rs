//! The normalized record every input format is turned into.
//!
//! Usage is split into *disjoint* buckets (docs/formats.md, buckets) so that pricing is a plain
//! dot product: no bucket contains another, except `reasoning`, which is an
//! informational subset of `output` and is never priced on its own.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;

/// Token counts in disjoint billing buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Uncached input tokens.
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    /// All output tokens, reasoning included.
    pub output: u64,
    /// Informational: the part of `output` spent on reasoning/thinking.
    pub reasoning: u64,
}

impl Usage {
    /// Everything the model read: uncached input plus cache reads and writes.
    /// Long-context tiers are decided on this number.
    // Sums saturate: per-record counts are capped when parsed, but a
    // hostile file with millions of capped records must not wrap (or panic
    // in a debug build).
    pub fn total_input(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
    }

    pub fn total(&self) -> u64 {
        self.total_input().saturating_add(self.output)
    }

    /// The buckets in their fixed order: input, cache_read, cache_write_5m,
    /// cache_write_1h, output, reasoning.
    pub fn buckets(&self) -> [u64; 6] {
        [
            self.input,
            self.cache_read,
            self.cache_write_5m,
            self.cache_write_1h,
            self.output,
            self.reasoning,
        ]
    }

    pub fn add(&mut self, other: &Usage) {
        self.input = self.input.saturating_add(other.input);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.cache_write_5m = self.cache_write_5m.saturating_add(other.cache_write_5m);
        self.cache_write_1h = self.cache_write_1h.saturating_add(other.cache_write_1h);
        self.output = self.output.saturating_add(other.output);
        self.reasoning = self.reasoning.saturating_add(other.reasoning);
    }

    /// Set Anthropic's cache writes from `cache_creation_input_tokens`
    /// (`total`) and its TTL breakdown
    /// (`cache_creation.ephemeral_{5m,1h}_input_tokens`, either possibly
    /// absent). Without a breakdown every write is 5m, the default TTL. With
    /// one, any part of the total the breakdown leaves out is counted as 5m
    /// so that no written token goes unbilled; a breakdown larger than the
    /// total is believed over the total.
    pub fn with_cache_writes(
        mut self,
        total: u64,
        ephemeral_5m: Option<u64>,
        ephemeral_1h: Option<u64>,
    ) -> Usage {
        let (w5, w1) = if ephemeral_5m.is_some() || ephemeral_1h.is_some() {
            let (w5, w1) = (ephemeral_5m.unwrap_or(0), ephemeral_1h.unwrap_or(0));
            let excess = total.saturating_sub(w5.saturating_add(w1));
            (w5.saturating_add(excess), w1)
        } else {
            (total, 0)
        };
        self.cache_write_5m = w5;
        self.cache_write_1h = w1;
        self
    }

    /// Build buckets from a provider that reports input *including* cached
    /// tokens (OpenAI, Gemini, OTel): the cached part is subtracted so that
    /// nothing is billed twice. Saturates instead of underflowing on logs
    /// whose cached count exceeds the prompt count (seen in broken exports).
    pub fn from_inclusive_input(
        prompt: u64,
        cached: u64,
        cache_write: u64,
        output: u64,
        reasoning: u64,
    ) -> Usage {
        Usage {
            input: prompt.saturating_sub(cached).saturating_sub(cache_write),
            cache_read: cached,
            cache_write_5m: cache_write,
            cache_write_1h: 0,
            output,
            reasoning: reasoning.min(output),
        }
    }
}

/// How the request was served; batch/flex/priority change the price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTier {
    #[default]
    Standard,
    Batch,
    Flex,
    Priority,
}

impl ServiceTier {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceTier::Standard => "standard",
            ServiceTier::Batch => "batch",
            ServiceTier::Flex => "flex",
            ServiceTier::Priority => "priority",
        }
    }

    /// Map the tier strings providers write into logs. Anything unknown
    /// ("default", "auto", "standard_only", "scale") is billed as standard.
    pub fn from_logged(s: &str) -> ServiceTier {
        match s.to_ascii_lowercase().as_str() {
            "batch" => ServiceTier::Batch,
            "flex" => ServiceTier::Flex,
            "priority" => ServiceTier::Priority,
            _ => ServiceTier::Standard,
        }
    }
}

/// Which input format a record came from (`format` in the records JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    OpenAiChat,
    OpenAiResponses,
    /// OpenAI Batch API input and output lines (`custom_id`).
    OpenAiBatch,
    AnthropicMessages,
    /// Anthropic Message Batches requests and results (`custom_id`).
    AnthropicBatch,
    /// Claude Code session transcripts (`~/.claude/projects/**.jsonl`).
    ClaudeCode,
    /// Codex CLI rollouts and `codex exec --json` streams.
    Codex,
    /// Gemini CLI chat recordings (`~/.gemini/tmp/<project>/chats/`).
    GeminiCli,
    /// Qwen Code chat recordings (`~/.qwen/projects/<project>/chats/`).
    QwenCode,
    /// Amp threads (`~/.local/share/amp/threads/T-*.json`).
    Amp,
    /// OpenCode messages (`~/.local/share/opencode/opencode.db`, and the
    /// older `storage/message/**.json`).
    OpenCode,
    /// Pi coding agent sessions (`~/.pi/agent/sessions/**.jsonl`).
    Pi,
    Gemini,
    /// OpenTelemetry GenAI spans in OTLP JSON.
    Otel,
    /// Langfuse observations.
    Langfuse,
    /// Helicone request exports.
    Helicone,
    /// LiteLLM proxy `LiteLLM_SpendLogs` rows.
    LiteLlm,
    /// Simon Willison's `llm logs --json`.
    LlmCli,
    /// AWS Bedrock model invocation logs (CloudWatch Logs / S3).
    Bedrock,
    /// Cohere Chat API v2 responses and streams.
    Cohere,
    /// OpenAI organization usage API pages (counts only).
    OpenAiUsage,
    /// Anthropic Admin API usage and cost reports (counts only).
    AnthropicUsage,
    Generic,
}

impl Format {
    pub const ALL: [Format; 23] = [
        Format::OpenAiChat,
        Format::OpenAiResponses,
        Format::OpenAiBatch,
        Format::AnthropicMessages,
        Format::AnthropicBatch,
        Format::ClaudeCode,
        Format::Codex,
        Format::GeminiCli,
        Format::QwenCode,
        Format::Amp,
        Format::OpenCode,
        Format::Pi,
        Format::Gemini,
        Format::Otel,
        Format::Langfuse,
        Format::Helicone,
        Format::LiteLlm,
        Format::LlmCli,
        Format::Bedrock,
        Format::Cohere,
        Format::OpenAiUsage,
        Format::AnthropicUsage,
        Format::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::OpenAiChat => "openai-chat",
            Format::OpenAiResponses => "openai-responses",
            Format::OpenAiBatch => "openai-batch",
            Format::AnthropicMessages => "anthropic-messages",
            Format::AnthropicBatch => "anthropic-batch",
            Format::ClaudeCode => "claude-code",
            Format::Codex => "codex",
            Format::GeminiCli => "gemini-cli",
            Format::QwenCode => "qwen-code",
            Format::Amp => "amp",
            Format::OpenCode => "opencode",
            Format::Pi => "pi",
            Format::Gemini => "gemini",
            Format::Otel => "otel",
            Format::Langfuse => "langfuse",
            Format::Helicone => "helicone",
            Format::LiteLlm => "litellm",
            Format::LlmCli => "llm-cli",
            Format::Bedrock => "bedrock",
            Format::Cohere => "cohere",
            Format::OpenAiUsage => "openai-usage",
            Format::AnthropicUsage => "anthropic-usage",
            Format::Generic => "generic",
        }
    }

    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a record came from: the file (or `-` for stdin) and the 1-based line
/// (for JSON arrays, the 1-based element index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: Arc<str>,
    pub line: u64,
}

/// One chat message as far as token counting cares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub name: Option<String>,
    /// All text of the message joined: content parts, tool-call names and
    /// arguments, tool results.
    pub content: String,
}

/// Text a record carries, kept only so that it can be tokenized when asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    /// System/developer instructions and conversation turns, in order.
    pub messages: Vec<Message>,
    /// Tool definitions, each serialized as compact JSON (billed as input).
    pub tools: Vec<String>,
    /// Text the model produced: message text, tool-call arguments, thinking.
    pub response: String,
    /// True when the prompt side was present in the log (a response-only
    /// line has no prompt text, and its prompt cannot be counted).
    pub has_prompt: bool,
    /// True when the response side was present in the log.
    pub has_response: bool,
    /// The prompt is a Chat Completions `messages` list, billed with the
    /// documented per-message framing tokens.
    pub chat_framing: bool,
}

/// Audio tokens a usage reports, inside its input and output counts
/// (OpenAI's `audio_tokens` details, Gemini's AUDIO modality).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AudioTokens {
    pub input: u64,
    pub output: u64,
}

impl AudioTokens {
    pub fn total(self) -> u64 {
        self.input.saturating_add(self.output)
    }
}

/// A single billed API call, normalized.
#[derive(Clone, Debug)]
pub struct Record {
    pub source: Source,
    pub format: Format,
    /// `openai`, `anthropic`, `google`, … as detected from the format or
    /// logged; the price book may refine it.
    pub provider: Option<String>,
    /// Model as logged (response model preferred over request model).
    pub model: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub task: Option<String>,
    pub session: Option<String>,
    pub service_tier: ServiceTier,
    /// Usage reported by the provider, if the log has it.
    pub usage: Option<Usage>,
    /// Server-side tool requests billed per call (web search).
    pub web_search_requests: u64,
    /// Audio tokens inside `usage`. Providers price audio apart from text;
    /// a record with audio is never priced as text.
    pub audio: AudioTokens,
    pub text: Option<Text>,
    /// A cost the log itself carries, shown beside ours, never substituted.
    pub reported_cost_usd: Option<Decimal>,
    /// The project or workspace the call was made for (Claude Code's
    /// working directory, Codex's `cwd`, an org export's project id).
    pub project: Option<String>,
    /// API requests this record stands for: 1 for a logged call, more for a
    /// usage-export bucket that aggregates many calls.
    pub requests: u64,
    /// Whether the long-context price tier applies, when the log says so
    /// (an aggregated bucket cannot be judged from its summed input).
    /// `None`: decide from this record's own input size.
    pub long_context: Option<bool>,
    /// Identity of a call that may be logged more than once in a run.
    pub call_id: Option<Box<CallId>>,
    /// Whether the task this call served succeeded, when the log says so
    /// (an eval harness's `success`/`passed`/`outcome` field).
    pub outcome: Option<bool>,
}

/// Keys that identify one billed API call across lines and files, so that
/// a call logged twice (a transcript split over lines, a subagent log that
/// replays its parent, an archived copy of a session) is billed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallId {
    /// The record is a duplicate when any of these was registered earlier
    /// in the run.
    pub check: Vec<String>,
    /// Registered when the record is kept.
    pub register: Vec<String>,
    /// Stable key for the summary (`deduplicated.by_reason`).
    pub reason: &'static str,
}

impl CallId {
    /// The common case: one key, checked and registered.
    pub fn key(key: String, reason: &'static str) -> CallId {
        CallId {
            check: vec![key.clone()],
            register: vec![key],
            reason,
        }
    }
}

impl Record {
    pub fn new(source: Source, format: Format) -> Record {
        Record {
            source,
            format,
            provider: None,
            model: None,
            timestamp: None,
            task: None,
            session: None,
            service_tier: ServiceTier::Standard,
            usage: None,
            web_search_requests: 0,
            audio: AudioTokens::default(),
            text: None,
            reported_cost_usd: None,
            project: None,
            requests: 1,
            long_context: None,
            call_id: None,
            outcome: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusive_input_subtracts_cache() {
        let u = Usage::from_inclusive_input(1180, 1024, 0, 9, 0);
        assert_eq!(u.input, 156);
        assert_eq!(u.cache_read, 1024);
        assert_eq!(u.total_input(), 1180);
    }

    #[test]
    fn inclusive_input_never_underflows() {
        let u = Usage::from_inclusive_input(10, 50, 0, 1, 5);
        assert_eq!(u.input, 0);
        assert_eq!(u.reasoning, 1);
    }

    #[test]
    fn cache_writes_split_by_ttl() {
        let split = |total, w5, w1| {
            let u = Usage::default().with_cache_writes(total, w5, w1);
            (u.cache_write_5m, u.cache_write_1h)
        };
        assert_eq!(split(3000, None, None), (3000, 0));
        assert_eq!(split(3000, Some(1000), Some(2000)), (1000, 2000));
        // What the breakdown leaves out is 5m; only the 1h part is explicit.
        assert_eq!(split(3000, None, Some(2000)), (1000, 2000));
        assert_eq!(split(3000, Some(0), Some(0)), (3000, 0));
        // A breakdown over the total is believed.
        assert_eq!(split(100, Some(300), Some(700)), (300, 700));
    }

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        let big = Usage {
            input: u64::MAX - 1,
            output: 5,
            ..Usage::default()
        };
        let mut u = big;
        u.add(&big);
        assert_eq!(u.input, u64::MAX);
        assert_eq!(u.total(), u64::MAX);
    }

    #[test]
    fn tier_from_logged_strings() {
        assert_eq!(ServiceTier::from_logged("default"), ServiceTier::Standard);
        assert_eq!(ServiceTier::from_logged("BATCH"), ServiceTier::Batch);
        assert_eq!(ServiceTier::from_logged("priority"), ServiceTier::Priority);
    }
}
