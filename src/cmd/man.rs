//! Print a man page (roff), generated from the command-line definitions:
//! the top-level page, with every subcommand listed, or one subcommand's
//! own page (`tokenmaxx-report(1)` and so on), or write them all to a
//! directory. Beside what clap_mangen renders, each page has EXAMPLES (the
//! `--help` examples, kept line for line), EXIT STATUS and ENVIRONMENT.
//!
//! Usage: tokenmaxx man [COMMAND] | tokenmaxx man --dir DIR

use std::io::{self, Write};

use anyhow::{Context, Result, bail};
use clap::{Args, CommandFactory};

use super::Cli;
use crate::cli::Outcome;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx man | man -l -
  tokenmaxx man report > ~/.local/share/man/man1/tokenmaxx-report.1
  tokenmaxx man --dir ~/.local/share/man/man1")]
pub struct ManArgs {
    /// A subcommand whose page to print instead of the top-level one.
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Option<String>,
    /// Write every page (tokenmaxx.1, tokenmaxx-report.1, …) into DIR.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

pub fn run(args: ManArgs) -> Result<Outcome> {
    let mut cmd = Cli::command();
    // Propagate global settings (version, help flags) to subcommands.
    cmd.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create directory", dir.display()))?;
        let mut pages = vec![cmd.clone()];
        pages.extend(
            cmd.get_subcommands()
                .filter(|s| s.get_name() != "help")
                .cloned(),
        );
        for page in pages {
            let name = page
                .get_display_name()
                .unwrap_or(page.get_name())
                .to_string();
            let path = dir.join(format!("{name}.1"));
            super::write_atomically(&path, &render(page)?)
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
        return Ok(Outcome::Ok);
    }
    let page = match &args.command {
        None => cmd,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd
                    .get_subcommands()
                    .map(|s| s.get_name())
                    .filter(|n| *n != "help")
                    .collect();
                bail!("no command `{name}`; expected one of: {}", names.join(", "));
            };
            // Built, a subcommand's display name is `tokenmaxx-report`:
            // the page's title.
            sub.clone()
        }
    };
    let mut out = io::stdout().lock();
    out.write_all(&render(page)?)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

/// What the EXIT STATUS and ENVIRONMENT sections say, as roff.
const STATUS_AND_ENVIRONMENT: &str = r#".SH "EXIT STATUS"
.TP
0
Success: everything was read, and no check failed.
.TP
1
A problem was found: a check or budget failed (check, count \-\-max\-tokens), or two price books disagree on a price nobody ruled on (prices diff).
.TP
2
An error: bad arguments; an unreadable input, budget, baseline or price table (reported with its path); or \-\-strict and a malformed line.
.SH ENVIRONMENT
.TP
TOKENMAXX_PRICING
Price table overlays applied when no \-\-pricing is given, separated like PATH (a.toml:b.toml); empty means none.
.TP
TOKENMAXX_MAX_LINE_MIB
The longest log line or JSON array element read, in MiB (default 256, from 1 to 4096); longer ones are skipped as line too long.
.TP
COLUMNS
The width terminal tables fit, instead of the terminal's.
.TP
CLAUDE_CONFIG_DIR
Where \-\-source claude\-code looks (a comma\-separated list).
.TP
CODEX_HOME
Where \-\-source codex looks (default ~/.codex).
.TP
GEMINI_CLI_HOME, QWEN_RUNTIME_DIR, XDG_DATA_HOME, COPILOT_HOME
Where \-\-source gemini\-cli (GEMINI_CLI_HOME/.gemini/tmp), qwen\-code (QWEN_RUNTIME_DIR/projects), amp (XDG_DATA_HOME/amp/threads) and copilot\-cli (COPILOT_HOME/otel) look.
.TP
GITHUB_ACTIONS
When true, check also writes its table to the job summary and one ::error annotation per failed check.
"#;

/// One page: clap_mangen's sections, then EXAMPLES, EXIT STATUS and
/// ENVIRONMENT.
fn render(page: clap::Command) -> Result<Vec<u8>> {
    let examples = page.get_after_help().map(|h| h.to_string());
    let has_args = page.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = page.has_subcommands();
    let has_version = page.get_version().is_some() || page.get_long_version().is_some();
    let man =
        clap_mangen::Man::new(page).source(format!("tokenmaxx {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    if has_args {
        man.render_options_section(&mut buf)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut buf)?;
    }
    if let Some(ex) = examples {
        // Verbatim (no fill): a command line must not be reflowed mid-line.
        buf.extend_from_slice(b".SH EXAMPLES\n.nf\n");
        for l in ex.lines().filter(|l| l.trim() != "Examples:") {
            buf.extend_from_slice(roff_line(l.trim_start()).as_bytes());
            buf.push(b'\n');
        }
        buf.extend_from_slice(b".fi\n");
    }
    buf.extend_from_slice(STATUS_AND_ENVIRONMENT.as_bytes());
    if has_version {
        man.render_version_section(&mut buf)?;
    }
    Ok(buf)
}

/// One line of text for roff: backslashes escaped, and a line that starts
/// with `.` or `'` kept from being read as a request.
fn roff_line(l: &str) -> String {
    let l = l.replace('\\', "\\e");
    if l.starts_with(['.', '\'']) {
        format!("\\&{l}")
    } else {
        l
    }
}
