//! The subcommands: one file each, opening with its usage and a single
//! `run`. Here: the top-level parser, the dispatch, and the setup the
//! log-reading commands share (price book, threads, inputs, time range),
//! turned from flags into run settings once.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::bill::{Billed, Biller, Measures};
use crate::cli::{CommonArgs, InputArgs, Outcome};
use crate::ingest::{self, IngestOptions, Input, ParseOptions};
use crate::price::PriceBook;
use crate::record::Format;
use crate::run::{Accounting, RunOptions, TimeFilter};

pub mod check;
pub mod completions;
pub mod count;
pub mod man;
pub mod merge;
pub mod prices;
pub mod records;
pub mod report;
pub mod tokenizers;
pub mod whatif;

const AFTER_HELP: &str = "\
Examples:
  tokenmaxx report logs/                       tokens and dollars by model
  tokenmaxx report logs/ --by day,model --format markdown
  cat calls.jsonl | tokenmaxx records | jq 'select(.cost_usd != null)'
  tokenmaxx count prompts/*.md --model gpt-4o --max-tokens 2000
  tokenmaxx prices claude-sonnet-4-5 --at 2025-10-01
  tokenmaxx report --source claude-code --by day,project
  tokenmaxx check eval-runs/ --format markdown  CI gate: exit 1 when a budget or baseline fails
  tokenmaxx merge shard1.json shard2.json      combine shard reports exactly
  tokenmaxx whatif logs/ --as claude-sonnet-4-5 the same calls priced as another model";

#[derive(Parser, Debug)]
#[command(name = "tokenmaxx", version, about = "Token economics for LLM API logs: tokens, dollars and verbosity, priced at the rates in effect when each request was made.", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Aggregate tokens and cost, grouped with --by.
    Report(report::ReportArgs),
    /// One enriched JSON object per record (streaming JSONL; CSV too).
    Records(records::RecordsArgs),
    /// Count tokens in text files or stdin.
    Count(count::CountArgs),
    /// Show the price book, resolve a model at a date, or validate tables.
    Prices(prices::PricesArgs),
    /// List tokenizers and which model uses which.
    Tokenizers(tokenizers::TokenizersArgs),
    /// Price the same logs under a scenario (another model, tier, no cache, other date) and compare.
    Whatif(whatif::WhatIfArgs),
    /// Combine `report --format json` outputs of shards into one report, exactly.
    Merge(merge::MergeArgs),
    /// CI gate: check logs against a budget file and a baseline; exit 1 on a failure.
    Check(check::CheckArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff).
    Man(man::ManArgs),
}

/// Run the command the arguments name.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    crate::limits::check_env()?;
    match cli.command {
        Command::Report(a) => report::run(a),
        Command::Whatif(a) => whatif::run(a),
        Command::Records(a) => records::run(a),
        Command::Count(a) => count::run(a),
        Command::Prices(a) => prices::run(a),
        Command::Tokenizers(a) => tokenizers::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Check(a) => check::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    }
}

/// Embedded tables plus overlays.
pub fn price_book(pricing: &[std::path::PathBuf], model_map: &[String]) -> Result<PriceBook> {
    let mut pairs = Vec::with_capacity(model_map.len());
    for m in model_map {
        match m.split_once('=') {
            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                pairs.push((from.trim().to_string(), to.trim().to_string()));
            }
            _ => {
                anyhow::bail!("--model-map {m:?}: expected NAME=MODEL (e.g. my-deployment=gpt-4o)")
            }
        }
    }
    Ok(PriceBook::load(&overlays(pricing))?.with_model_map(&pairs))
}

/// `--pricing` files; without any, those `TOKENMAXX_PRICING` lists
/// (separated like `PATH`). An empty variable, or empty entries, name no
/// overlay: `TOKENMAXX_PRICING= tokenmaxx …` turns a shell's setting off.
fn overlays(pricing: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    if !pricing.is_empty() {
        return pricing.to_vec();
    }
    std::env::var_os("TOKENMAXX_PRICING")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Write a file whole or not at all: the bytes go to a temporary file in
/// the same directory, which then replaces `path` in one rename. A reader
/// (or a second `check --update-baseline` running at the same time) sees
/// the old file or the new one, never a mix or a truncated one.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// A file written as a stream that appears at its path only once complete
/// ([`write_atomically`] for output too large to hold, like `records -o`):
/// until [`AtomicFile::commit`] it is a hidden temporary beside the
/// target, removed if the run fails or is dropped half-way.
pub(crate) struct AtomicFile {
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub(crate) fn create(path: &std::path::Path) -> std::io::Result<AtomicFile> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        let name = path
            .file_name()
            .map_or_else(|| "tokenmaxx".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = std::fs::File::create(&tmp)?;
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
            file: Some(std::io::BufWriter::new(file)),
        })
    }

    /// Flush, sync and move the file into place.
    pub(crate) fn commit(mut self) -> std::io::Result<()> {
        let file = self.file.take().expect("committed once");
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl std::io::Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // After a commit the temporary is gone and this does nothing;
        // otherwise (an error, or a commit that failed) leave nothing.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Size the worker pool once per process.
pub fn init_threads(common: &CommonArgs) -> Result<()> {
    if let Some(n) = common.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start worker threads")?;
    }
    Ok(())
}

pub fn time_zone(name: &str) -> Result<TimeZone> {
    if name.eq_ignore_ascii_case("local") {
        return Ok(TimeZone::system());
    }
    TimeZone::get(name).with_context(|| {
        format!("--tz: unknown time zone `{name}` (use an IANA name like Europe/Oslo, or UTC)")
    })
}

/// `--since`/`--until`: a date is a whole day in `tz` (inclusive), an
/// RFC 3339 string an exact instant.
pub fn time_filter(args: &InputArgs, tz: &TimeZone) -> Result<TimeFilter> {
    let since = args
        .since
        .as_deref()
        .map(|s| bound(s, tz, false, "--since"))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| bound(s, tz, true, "--until"))
        .transpose()?;
    if let (Some(a), Some(b)) = (since, until)
        && a >= b
    {
        bail!("--since is not before --until: the range is empty");
    }
    Ok(TimeFilter { since, until })
}

fn bound(s: &str, tz: &TimeZone, end: bool, flag: &str) -> Result<Timestamp> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    let date = parse_date(s).map_err(|_| {
        anyhow::anyhow!(
            "{flag}: `{s}` is not a date (YYYY-MM-DD, YYYYMMDD) or an RFC 3339 time{}",
            crate::ingest::fields::time::date_problem(s)
                .map(|p| format!(": {p}"))
                .unwrap_or_default()
        )
    })?;
    let date = if end {
        date.tomorrow().context("date out of range")?
    } else {
        date
    };
    Ok(date.to_zoned_datetime(tz.clone())?.timestamp())
}

pub fn parse_date(s: &str) -> Result<jiff::civil::Date> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y: i16 = s[0..4].parse()?;
        let m: i8 = s[4..6].parse()?;
        let d: i8 = s[6..8].parse()?;
        return Ok(jiff::civil::Date::new(y, m, d)?);
    }
    Ok(s.parse::<jiff::civil::Date>()?)
}

/// Everything the log-reading commands share, decided once from their
/// flags and from what the command measures: nothing is patched after.
pub struct LogRun {
    pub inputs: Vec<Input>,
    pub biller: Biller,
    pub opts: RunOptions,
    pub tz: TimeZone,
}

impl LogRun {
    /// Also count each record's text with another model's tokenizer
    /// (`whatif --recount`): the run then reads text.
    pub fn with_recount(mut self, recount: crate::bill::Recount) -> LogRun {
        self.biller.recount = Some(recount);
        self.opts.ingest.parse.usage_only = false;
        self
    }

    pub fn from_args(args: &InputArgs, measures: Measures) -> Result<LogRun> {
        init_threads(&args.common)?;
        let tz = time_zone(&args.tz)?;
        let filter = time_filter(args, &tz)?;
        let book = price_book(&args.common.pricing, &args.common.model_map)?;
        let mut seen = ingest::Seen::default();
        let inputs = ingest::collect_inputs_with(&args.paths, &args.source, &mut seen)?;
        if !args.common.quiet {
            for note in &seen.notes {
                eprintln!("tokenmaxx: warning: {note}");
            }
        }
        let mut biller = Biller::new(book, args.usage, measures);
        if let Some(t) = &args.tokenizer {
            biller.tokenizer = Some(crate::tokenize::named_tokenizer(
                t,
                args.tokenizer_pattern.as_deref(),
            )?);
        }
        let opts = RunOptions {
            ingest: IngestOptions {
                parse: ParseOptions {
                    task_key: args.task_key.clone(),
                    fields: args.fields.clone(),
                    outcome_key: args.outcome_key.clone(),
                    // The run's join book starts empty.
                    joins: Default::default(),
                    // A run that reads no text lets formats skip it while
                    // parsing.
                    usage_only: !biller.needs_text(),
                },
                // Mapped fields are read by the generic format.
                format: args
                    .input_format
                    .or_else(|| (!args.fields.is_empty()).then_some(Format::Generic)),
            },
            filter,
            strict: args.strict,
            quiet: args.common.quiet,
        };
        Ok(LogRun {
            inputs,
            biller,
            opts,
            tz,
        })
    }

    /// Read and bill every input, handing billed records to `sink` in
    /// input order (see [`crate::run::run`]).
    pub fn run(&self, sink: &mut dyn FnMut(Option<Billed>) -> Result<()>) -> Result<Accounting> {
        crate::run::run(&self.inputs, &self.biller, &self.opts, sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_the_file_whole_and_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("baseline.json");
        write_atomically(&p, b"first version, longer than the second").unwrap();
        write_atomically(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["baseline.json"]);
        // A directory that does not exist: an error, and no file appears.
        let missing = dir.path().join("nope/baseline.json");
        assert!(write_atomically(&missing, b"x").is_err());
        assert!(!missing.exists());
    }
}
