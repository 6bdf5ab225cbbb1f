//! Print a man page (roff), generated from the command-line definitions:
//! the top-level page, with every subcommand listed, or one subcommand's
//! own page (`tokenmaxx-report(1)` and so on).
//!
//! Usage: tokenmaxx man [COMMAND]

use std::io::{self, Write};

use anyhow::{Result, bail};
use clap::{Args, CommandFactory};

use super::Cli;
use crate::cli::Outcome;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx man | man -l -
  tokenmaxx man > ~/.local/share/man/man1/tokenmaxx.1
  tokenmaxx man report > ~/.local/share/man/man1/tokenmaxx-report.1")]
pub struct ManArgs {
    /// A subcommand whose page to print instead of the top-level one.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

pub fn run(args: ManArgs) -> Result<Outcome> {
    let mut cmd = Cli::command();
    // Propagate global settings (version, help flags) to subcommands.
    cmd.build();
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
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("tokenmaxx {}", env!("CARGO_PKG_VERSION")))
        .render(&mut buf)?;
    let mut out = io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(Outcome::Ok)
}
