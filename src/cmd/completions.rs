//! Print a shell completion script, generated from the command-line
//! definitions (so it always matches this binary's flags).
//!
//! Usage: tokenmaxx completions bash|zsh|fish|powershell|elvish

use std::io::{self, Write};

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use crate::cli::Outcome;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx completions bash > ~/.local/share/bash-completion/completions/tokenmaxx
  tokenmaxx completions zsh > ~/.zfunc/_tokenmaxx      # with fpath+=~/.zfunc before compinit
  tokenmaxx completions fish > ~/.config/fish/completions/tokenmaxx.fish
  tokenmaxx completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> Result<Outcome> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    // Generated into memory: clap_complete panics on write errors, and a
    // closed pipe must end quietly.
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut buf);
    let mut out = io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(Outcome::Ok)
}
