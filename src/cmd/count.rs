//! Count tokens in text files (prompts, docs) or stdin, per file and total.
//! With --max-tokens, exit 1 when a file is over budget: a CI gate for
//! prompt files.
//!
//! Usage: tokenmaxx count [FILE…] [--model MODEL | --encoding ENC]
//!        [--max-tokens N] [--max-total-tokens N] [--format table|json]

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::cli::{CommonArgs, Outcome};
use crate::export::{self, count::CountFormat};
use crate::fmt::thousands;
use crate::ingest::walk::{Seen, Walk, walk};
use crate::tokenize::{TokenizerChoice, tokenizer_for};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx count prompts/ --model gpt-4o
  echo 'hello world' | tokenmaxx count --encoding cl100k_base
  tokenmaxx count AGENTS.md prompts/*.md --model gpt-5 --max-tokens 2500
  tokenmaxx count prompts/ --tokenizer Qwen3/tokenizer.json
  tokenmaxx count prompts/ --tokenizer llama3/tokenizer.model --tokenizer-pattern llama3")]
pub struct CountArgs {
    /// Files or directories (every file inside, recursively); `-` or nothing reads stdin.
    pub paths: Vec<PathBuf>,
    /// Count with this model's tokenizer (from the price book or tiktoken's model map).
    #[arg(long, conflicts_with = "encoding", value_hint = clap::ValueHint::Other)]
    pub model: Option<String>,
    /// Count with this encoding.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(crate::price::KNOWN_TOKENIZERS.iter().copied()))]
    pub encoding: Option<String>,
    /// Count with a built-in encoding, or a tokenizer file: a Hugging Face
    /// tokenizer.json, or a tiktoken rank file (with --tokenizer-pattern).
    #[arg(long, conflicts_with_all = ["model", "encoding"], value_name = "NAME|FILE")]
    pub tokenizer: Option<String>,
    /// The pre-tokenizer of a tiktoken rank file: cl100k (= llama3), o200k,
    /// qwen2, or a regex.
    #[arg(long, requires = "tokenizer", value_name = "PATTERN")]
    pub tokenizer_pattern: Option<String>,
    /// Exit 1 when any single file has more tokens than this.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Exit 1 when all files together have more tokens than this.
    #[arg(long, value_name = "N")]
    pub max_total_tokens: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CountFormat::Table)]
    pub format: CountFormat,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(args: CountArgs) -> Result<Outcome> {
    super::init_threads(&args.common)?;
    let choice = choose(&args)?;
    let tok = choice.engine.tokenizer();
    let files = collect(&args.paths)?;
    // A file found by walking a folder that is not text (an image beside
    // the prompts) is skipped with a warning; one named alone is an error.
    let read: Vec<Result<FileCount, String>> = {
        use rayon::prelude::*;
        files
            .par_iter()
            .map(|(f, walked)| -> Result<Result<FileCount, String>> {
                let (name, text) = match read_text(f) {
                    Ok(t) => t,
                    Err(e) if *walked && e.downcast_ref::<NotText>().is_some() => {
                        return Ok(Err(format!("{e:#}, skipped")));
                    }
                    Err(e) => return Err(e),
                };
                let n = tok
                    .count(&text)
                    .with_context(|| format!("{name}: cannot count"))?
                    as u64;
                Ok(Ok((name, text.len() as u64, n)))
            })
            .collect::<Result<_>>()?
    };
    let mut counts: Vec<FileCount> = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(c) => counts.push(c),
            Err(skipped) => eprintln!("tokenmaxx: warning: {skipped}"),
        }
    }
    let total: u64 = counts.iter().map(|c| c.2).sum();
    let mut out = BufWriter::new(io::stdout().lock());
    let counted = export::count::Counted {
        tokenizer: choice.label(),
        exact: choice.exact,
        model: args.model.as_deref(),
        files: &counts,
        total,
    };
    export::count::write(args.format, &counted, &mut out)?;
    out.flush()?;
    let over = over_budget(&args, &counts, total);
    Ok(if over { Outcome::Problem } else { Outcome::Ok })
}

/// Path (`-` for stdin), bytes, tokens.
type FileCount = (String, u64, u64);

/// Say on stderr which counts are over `--max-tokens` and
/// `--max-total-tokens`; true when any is.
fn over_budget(args: &CountArgs, counts: &[FileCount], total: u64) -> bool {
    let mut over = false;
    if let Some(max) = args.max_tokens {
        for (p, _, t) in counts.iter().filter(|c| c.2 > max) {
            eprintln!(
                "{p}: {} tokens, over the limit of {}",
                thousands(*t),
                thousands(max)
            );
            over = true;
        }
    }
    if let Some(max) = args.max_total_tokens
        && total > max
    {
        eprintln!(
            "total: {} tokens, over the limit of {}",
            thousands(total),
            thousands(max)
        );
        over = true;
    }
    over
}

fn choose(args: &CountArgs) -> Result<TokenizerChoice> {
    if let Some(t) = &args.tokenizer {
        return crate::tokenize::named_tokenizer(t, args.tokenizer_pattern.as_deref());
    }
    let book = match &args.model {
        Some(_) => Some(super::price_book(
            &args.common.pricing,
            &args.common.model_map,
        )?),
        None => None,
    };
    tokenizer_for(
        book.as_ref(),
        args.model.as_deref(),
        args.encoding.as_deref(),
        "--",
    )
}

/// The inputs, each with whether it was found by walking a directory.
fn collect(paths: &[PathBuf]) -> Result<Vec<(Option<PathBuf>, bool)>> {
    if paths.is_empty() {
        if io::stdin().is_terminal() {
            bail!("no input: give files to count, or pipe text on stdin");
        }
        return Ok(vec![(None, false)]);
    }
    let mut out = Vec::new();
    let mut seen = Seen::default();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push((None, false));
        } else if p.is_dir() {
            let mut found = Vec::new();
            walk(p, Walk::EveryFile, &mut seen, &mut found)
                .with_context(|| format!("{}: cannot list directory", p.display()))?;
            out.extend(found.into_iter().map(|f| (Some(f), true)));
        } else {
            match std::fs::metadata(p) {
                Ok(meta) if meta.is_file() && !seen.first_file(p, &meta) => {}
                _ => out.push((Some(p.clone()), false)),
            }
        }
    }
    // Every file is counted once: a file reached twice, a symlink loop or a
    // FIFO in a folder would otherwise double a total or block the run.
    for note in &seen.notes {
        eprintln!("tokenmaxx: warning: {note}");
    }
    Ok(out)
}

fn read_text(f: &Option<PathBuf>) -> Result<(String, String)> {
    let (name, bytes) = match f {
        None => (
            "-".to_string(),
            crate::limits::capped(
                io::stdin().lock(),
                crate::limits::TEXT,
                "-",
                "one text to count",
            )?,
        ),
        Some(p) => (
            p.display().to_string(),
            crate::limits::read_bytes(p, crate::limits::TEXT, "one text to count")?,
        ),
    };
    if let Some(at) = memchr::memchr(0, &bytes) {
        return Err(NotText(format!(
            "{name}: a binary file, not text (NUL byte at offset {at})"
        ))
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        NotText(format!(
            "{name}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok((name, text))
}

/// A file that is not text: what a folder walk skips.
#[derive(Debug)]
struct NotText(String);

impl std::fmt::Display for NotText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotText {}
