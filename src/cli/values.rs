//! How the command line spells the library's enums. The library's types
//! know nothing of clap; each gets its `ValueEnum` here, in one place, with
//! the names users type and the help shown for them.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::aggregate::Dimension;
use crate::bill::UsageMode;
use crate::export::check::CheckFormat;
use crate::export::count::CountFormat;
use crate::export::prices::PricesFormat;
use crate::export::records::RecordsFormat;
use crate::export::{Metric, ReportFormat};
use crate::ingest::AgentSource;
use crate::record::ServiceTier;
use crate::whatif::CachePolicy;

/// `ValueEnum` for a fieldless enum: each variant, its name on the command
/// line, and optionally its help.
macro_rules! value_enum {
    ($ty:ident { $($variant:ident => $name:literal $(: $help:literal)?,)* }) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($ty::$variant),*]
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $($ty::$variant => PossibleValue::new($name)$(.help($help))?,)*
                })
            }
        }
    };
}

value_enum!(Dimension {
    Model => "model",
    Provider => "provider",
    Day => "day",
    Week => "week",
    Month => "month",
    Task => "task",
    Session => "session",
    Project => "project": "Project or workspace (agent transcripts' working directory, an org export's project id)",
    File => "file",
    Format => "format": "The detected log format (`claude-code`, `openai-batch`, …)",
});

value_enum!(Metric {
    Tasks => "tasks": "Tasks, requests and tokens per task, cost per task (mean, p50, p90, p99, max), cost per successful task",
    Verbosity => "verbosity": "Output tokens per response (mean, p50, p90, p99), output/input ratio, reasoning share of output",
    Cache => "cache": "Cache hit rate, dollars saved by cache reads, cache write premium",
    Density => "density": "Response text density: characters per token, compressibility, repeated 3-grams, filler phrases, tokens per distinct line",
    Drift => "drift": "Counted vs reported tokens per model (tokenizes text even when usage is reported)",
    All => "all": "Every family above",
});

value_enum!(UsageMode {
    Auto => "auto": "Reported usage when the log has it, else count the text",
    Reported => "reported": "Only reported usage; records without it are skipped",
    Counted => "counted": "Always tokenize the text (records without text keep reported usage)",
});

value_enum!(AgentSource {
    ClaudeCode => "claude-code": "Claude Code transcripts: `<config>/projects/**.jsonl`",
    Codex => "codex": "Codex CLI rollouts: `<home>/sessions/**` and `<home>/archived_sessions/**`",
    GeminiCli => "gemini-cli": "Gemini CLI chats: `<home>/.gemini/tmp/<project>/chats/**` (GEMINI_CLI_HOME moves <home>)",
    QwenCode => "qwen-code": "Qwen Code chats: `~/.qwen/projects/<project>/chats/*.jsonl` (QWEN_RUNTIME_DIR moves ~/.qwen)",
    Amp => "amp": "Amp threads: `$XDG_DATA_HOME/amp/threads/T-*.json` (default ~/.local/share)",
    OpenCode => "opencode": "OpenCode: `$XDG_DATA_HOME/opencode/opencode*.db` (default ~/.local/share) and the older `storage/message/**.json`",
    Kilo => "kilo": "Kilo CLI and Kilo Code 7: `$XDG_DATA_HOME/kilo/kilo.db` (default ~/.local/share), read as OpenCode's store",
    Pi => "pi": "Pi sessions: `~/.pi/agent/sessions/**.jsonl` (PI_CODING_AGENT_DIR moves ~/.pi/agent)",
    CopilotCli => "copilot-cli": "GitHub Copilot CLI OpenTelemetry file export: `~/.copilot/otel/*.jsonl` (COPILOT_HOME moves ~/.copilot)",
});

value_enum!(ServiceTier {
    Standard => "standard",
    Batch => "batch": "Batch API prices (about half for most providers)",
    Flex => "flex": "Flex processing prices (OpenAI)",
    Priority => "priority": "Priority processing prices",
});

value_enum!(CachePolicy {
    AsLogged => "as-logged": "Cache reads and writes as the log has them",
    None => "none": "No prompt caching: every cache read and write billed as plain input",
});

value_enum!(ReportFormat {
    Table => "table",
    Json => "json",
    Csv => "csv",
    Markdown => "markdown",
    Html => "html": "One self-contained page with charts and their data tables (no script, no network)",
});

value_enum!(RecordsFormat {
    Jsonl => "jsonl",
    Csv => "csv",
    Parquet => "parquet": "Typed columns (docs/parquet.md), for DuckDB and Spark; to -o FILE or a pipe",
});

value_enum!(CheckFormat {
    Table => "table",
    Markdown => "markdown",
    Json => "json",
});

value_enum!(CountFormat {
    Table => "table",
    Json => "json",
});

value_enum!(PricesFormat {
    Table => "table",
    Json => "json",
});

#[cfg(test)]
mod tests {
    use super::*;

    /// The command-line names are the names the library prints (a report's
    /// `group_by`), so a report's dimensions can be passed back as `--by`.
    #[test]
    fn dimension_names_match_the_library() {
        for d in Dimension::ALL {
            let v = d.to_possible_value().unwrap();
            assert_eq!(v.get_name(), d.as_str());
        }
        assert_eq!(Dimension::value_variants().len(), Dimension::ALL.len());
    }
}
