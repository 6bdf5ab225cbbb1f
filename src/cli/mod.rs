//! Command-line surface (clap derive) and the mapping of outcomes to exit
//! codes: 0 ok, 1 "found a problem" (a budget exceeded), 2 error. A closed
//! stdout pipe is a normal end, exit 0, like ripgrep.

use std::io;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::bill::UsageMode;
use crate::cmd;
use crate::record::Format;

mod values;

const AFTER_HELP: &str = "\
Examples:
  tokenmaxx report logs/                       tokens and dollars by model
  tokenmaxx report logs/ --by day,model --format markdown
  cat calls.jsonl | tokenmaxx records | jq 'select(.cost_usd != null)'
  tokenmaxx count prompts/*.md --model gpt-4o --max-tokens 2000
  tokenmaxx prices claude-sonnet-4-5 --at 2025-10-01
  tokenmaxx report --source claude-code --by day,project
  tokenmaxx check eval-runs/ --format markdown  CI gate: exit 1 when a budget or baseline fails
  tokenmaxx merge shard1.json shard2.json      combine shard reports exactly";

#[derive(Parser, Debug)]
#[command(name = "tokenmaxx", version, about = "Token economics for LLM API logs: tokens, dollars and verbosity, priced at the rates in effect when each request was made.", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Aggregate tokens and cost, grouped with --by.
    Report(cmd::report::ReportArgs),
    /// One enriched JSON object per record (streaming JSONL; CSV too).
    Records(cmd::records::RecordsArgs),
    /// Count tokens in text files or stdin.
    Count(cmd::count::CountArgs),
    /// Show the price book, resolve a model at a date, or validate tables.
    Prices(cmd::prices::PricesArgs),
    /// List tokenizers and which model uses which.
    Tokenizers(cmd::tokenizers::TokenizersArgs),
    /// Combine `report --format json` outputs of shards into one report, exactly.
    Merge(cmd::merge::MergeArgs),
    /// CI gate: check logs against a budget file and a baseline; exit 1 on a failure.
    Check(cmd::check::CheckArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(cmd::completions::CompletionsArgs),
    /// Print the man page (roff).
    Man(cmd::man::ManArgs),
}

/// Options shared by the commands that read logs.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Log files or directories (walked recursively); `-` or nothing reads stdin.
    pub paths: Vec<PathBuf>,
    /// Also read an agent's logs from their default location
    /// (claude-code: $CLAUDE_CONFIG_DIR, ~/.config/claude, ~/.claude;
    /// codex: $CODEX_HOME or ~/.codex, sessions and archived sessions).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "AGENT")]
    pub source: Vec<crate::ingest::AgentSource>,
    /// Force the input format instead of detecting it per file.
    #[arg(long, value_parser = parse_format, value_name = "FORMAT")]
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
    /// Only records at or after this date (YYYY-MM-DD, YYYYMMDD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records up to and including this date (or before this RFC 3339 instant).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Time zone for day/week/month groups and for --since/--until dates (IANA name or `local`).
    #[arg(long, default_value = "UTC", value_name = "TZ")]
    pub tz: String,
    /// Fail (exit 2) at the first malformed or unusable line instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options every command accepts.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Price table overlays (TOML), applied over the embedded tables in order.
    #[arg(
        long = "pricing",
        value_name = "FILE",
        env = "TOKENMAXX_PRICING",
        value_delimiter = ':'
    )]
    pub pricing: Vec<PathBuf>,
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

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        format!(
            "unknown format `{s}`; expected one of: {}",
            names.join(", ")
        )
    })
}

/// What a command found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A limit was exceeded: exit 1.
    Problem,
}

/// Parse arguments, run, and return the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(Outcome::Ok) => 0,
        Ok(Outcome::Problem) => 1,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("tokenmaxx: {e:#}");
            2
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Report(a) => cmd::report::run(a),
        Command::Records(a) => cmd::records::run(a),
        Command::Count(a) => cmd::count::run(a),
        Command::Prices(a) => cmd::prices::run(a),
        Command::Tokenizers(a) => cmd::tokenizers::run(a),
        Command::Merge(a) => cmd::merge::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Completions(a) => cmd::completions::run(a),
        Command::Man(a) => cmd::man::run(a),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>()
                .is_some_and(|ce| match ce.kind() {
                    csv::ErrorKind::Io(io) => io.kind() == io::ErrorKind::BrokenPipe,
                    _ => false,
                })
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|se| se.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}
