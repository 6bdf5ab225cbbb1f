//! The flags the commands share (clap derive), how the library's enums are
//! spelled on the command line (`values`), and a command's [`Outcome`].
//! The subcommands and their dispatch are in `cmd`; `main.rs` maps outcomes
//! to exit codes.

use std::path::PathBuf;

use clap::Args;

use crate::bill::UsageMode;
use crate::record::Format;

mod values;

/// Options shared by the commands that read logs.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Log files or directories (walked recursively); `-` or nothing reads stdin.
    pub paths: Vec<PathBuf>,
    /// Also read an agent's logs from their default location
    /// (claude-code: $CLAUDE_CONFIG_DIR, ~/.config/claude, ~/.claude;
    /// codex: $CODEX_HOME or ~/.codex, sessions and archived sessions;
    /// gemini-cli: ~/.gemini/tmp/*/chats; qwen-code: ~/.qwen/projects/*/chats;
    /// amp: ~/.local/share/amp/threads; copilot-cli: ~/.copilot/otel).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "AGENT")]
    pub source: Vec<crate::ingest::AgentSource>,
    /// Force the input format instead of detecting it per file.
    #[arg(long, value_parser = format_value_parser(), value_name = "FORMAT")]
    pub input_format: Option<Format>,
    /// Task id field: a JSON pointer (/metadata/ticket) or a dotted/plain field name.
    #[arg(long, value_name = "KEY")]
    pub task_key: Option<String>,
    /// Field that says whether a line's task succeeded (JSON pointer or dotted
    /// path; default: outcome, success, passed, task_success, metadata.outcome,
    /// metadata.success, metadata.passed). Enables cost per successful task.
    #[arg(long, value_name = "KEY")]
    pub outcome_key: Option<String>,
    /// Map a field for logs no format knows (repeatable): NAME=PATH, PATH a
    /// JSON pointer (/usage/in) or dotted path (usage.in). Implies
    /// --input-format generic. Names: model, prompt, response, system,
    /// input_tokens (total, cache included), uncached_input_tokens,
    /// output_tokens, cache_read_tokens, cache_write_tokens,
    /// reasoning_tokens, timestamp, task, session, project, provider, cost.
    #[arg(long = "field", value_name = "NAME=PATH", value_parser = parse_field)]
    pub fields: Vec<(String, String)>,
    /// Where token counts come from.
    #[arg(long, value_enum, default_value_t = UsageMode::Auto)]
    pub usage: UsageMode,
    /// Count every record's text with this tokenizer instead of its model's:
    /// a built-in encoding, or a tokenizer file (tokenizer.json, or a
    /// tiktoken rank file with --tokenizer-pattern).
    #[arg(long, value_name = "NAME|FILE")]
    pub tokenizer: Option<String>,
    /// The pre-tokenizer of a tiktoken rank file: cl100k (= llama3), o200k,
    /// qwen2, or a regex.
    #[arg(long, requires = "tokenizer", value_name = "PATTERN")]
    pub tokenizer_pattern: Option<String>,
    /// Only records at or after this date (YYYY-MM-DD, YYYYMMDD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records up to and including this date (or before this RFC 3339 instant).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Time zone for day/week/month groups and for --since/--until dates (IANA name or `local`).
    #[arg(long, default_value = "UTC", value_name = "TZ", value_hint = clap::ValueHint::Other)]
    pub tz: String,
    /// Fail (exit 2) at the first malformed or unusable line instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `--pricing` alone, for the commands that read price tables but no logs
/// (`prices`, `tokenizers`): `--threads` and `--quiet` would do nothing there.
#[derive(Args, Debug, Clone)]
pub struct PricingArgs {
    /// Price table overlays (TOML), applied over the embedded tables in order.
    /// Without the flag, TOKENMAXX_PRICING lists overlays (a.toml:b.toml; empty: none).
    #[arg(long = "pricing", value_name = "FILE")]
    pub pricing: Vec<PathBuf>,
    /// Price a logged name as another model (repeatable): NAME=MODEL, e.g. an
    /// Azure OpenAI deployment `support-prod=gpt-4o-2024-08-06`. Also
    /// `[model_map]` in a --pricing file.
    #[arg(long = "model-map", value_name = "NAME=MODEL")]
    pub model_map: Vec<String>,
}

/// Options every command that reads logs or files accepts.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Price table overlays (TOML), applied over the embedded tables in order.
    /// Without the flag, TOKENMAXX_PRICING lists overlays (a.toml:b.toml; empty: none).
    #[arg(long = "pricing", value_name = "FILE")]
    pub pricing: Vec<PathBuf>,
    /// Price a logged name as another model (repeatable): NAME=MODEL, e.g. an
    /// Azure OpenAI deployment `support-prod=gpt-4o-2024-08-06`. Also
    /// `[model_map]` in a --pricing file.
    #[arg(long = "model-map", value_name = "NAME=MODEL")]
    pub model_map: Vec<String>,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Do not print per-line warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Names `--field` accepts (read by the generic format).
pub const FIELD_NAMES: &[&str] = &[
    "model",
    "prompt",
    "response",
    "system",
    "input_tokens",
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "timestamp",
    "task",
    "session",
    "project",
    "provider",
    "cost",
];

fn parse_field(s: &str) -> Result<(String, String), String> {
    let (name, path) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=PATH, e.g. model=/request/model"))?;
    let name = name.trim();
    if !FIELD_NAMES.contains(&name) {
        return Err(format!(
            "unknown field name `{name}`; expected one of: {}",
            FIELD_NAMES.join(", ")
        ));
    }
    let path = path.trim();
    if path.is_empty() {
        return Err(format!("`{s}`: the path after `=` is empty"));
    }
    Ok((name.to_string(), path.to_string()))
}

/// `--input-format`: one of the format names, which shell completions list.
fn format_value_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::as_str)).map(|s: String| {
        // The parser above accepts only these names.
        Format::from_name(&s).unwrap_or(Format::Generic)
    })
}

/// What a command found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A limit was exceeded: exit 1.
    Problem,
}
