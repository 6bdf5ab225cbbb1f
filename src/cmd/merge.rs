//! Combine the `report --format json` outputs of shards (one tokenmaxx run
//! per file set, on as many machines as you like) into one report, exactly.
//!
//! Usage: tokenmaxx merge REPORT.json… [--format table|json|csv|markdown]
//!        [--metrics METRIC[,METRIC…]] [--drift] [--top N] [--drift-tolerance PCT]
//!
//! Each input is a file or `-` (stdin, once), holding one JSON document
//! written by `report --format json`. The merged report equals the report of
//! all the shards' input read in one run, field for field:
//!
//! - every sum is exact (integer tokens and counts, decimal money), and the
//!   line accounting adds up the same way;
//! - output tokens per response come from each group's histogram
//!   (`[value, count]` pairs), so the merged mean and percentiles are exact;
//! - cost, requests and tokens per task come from per-task state
//!   (`tasks.state`): a task that spans shards is summed before the
//!   distribution is taken, so these percentiles are exact too;
//! - drift sums (and any other metric state the shards measured) are added
//!   per model; `flagged` is recomputed. Text is not re-read: `--metrics
//!   drift` or `density` shows only what the shards measured (made with
//!   `--drift`, `--metrics density` or `--metrics all`).
//!
//! Nothing is approximated. What `merge` cannot know, it is told:
//!
//! - All shards must group by the same `--by` (else exit 2, naming both
//!   files). Time groups (day, week, month) are computed in the shard's
//!   `--tz`, which the JSON does not record: run every shard with the same
//!   `--tz`, or days will not line up.
//! - `--drift-tolerance` decides which drift ratios are flagged. Without it,
//!   the shards' own `drift.tolerance_pct` is used; when shards disagree,
//!   merge stops (exit 2) and asks for the flag.
//! - `--top N` (the N most expensive tasks) is chosen here, over the merged
//!   tasks; the shards' own `top_tasks` are ignored.
//! - Shards must not share input: a file read by two shards would be
//!   counted twice. Every report lists the inputs it read to their end
//!   (`accounting.inputs`: size and xxh3-128 of the stored bytes), and merge
//!   refuses (exit 2) when two shards list the same non-empty content,
//!   naming both; `--allow-overlap` merges anyway, with a warning (the same
//!   bytes in two different files are counted twice by one run too). A
//!   report from before 0.2 has no list and cannot be checked: merge says
//!   so. Deduplication (Claude Code split calls, Codex archived copies)
//!   and batch request/result joins happen within a run, so keep files that
//!   belong together (a session and its subagent logs, a batch's input and
//!   output files) in the same shard.
//! - For a model that is unpriced for several reasons, the reason listed is
//!   the first shard's, in the order given (a one-run report lists the
//!   first met in input order).
//! - `--by file` keys are the paths as each shard's command line spelled
//!   them.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::aggregate::{Dimension, ReportState};
use crate::cli::Outcome;
use crate::export::{self, Metric, Report, ReportFormat, ReportOptions};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx report logs/06/ --by day,model --format json > june.json
  tokenmaxx report logs/07/ --by day,model --format json > july.json
  tokenmaxx merge june.json july.json --metrics tasks
  tokenmaxx merge shards/*.json --format json > all.json
  ssh worker3 tokenmaxx report /logs --format json | tokenmaxx merge a.json -

Shards must use the same --by and --tz, and must not share input files
(merge compares the size and hash of every input the shards list, and
refuses when two read the same one).")]
pub struct MergeArgs {
    /// Reports written by `report --format json`; `-` reads one from stdin.
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Metric tables to add under the main one (comma-separated; JSON always
    /// carries every figure the shards computed). drift and density show
    /// what the shards measured (they need --drift / --metrics there).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "METRIC")]
    pub metrics: Vec<Metric>,
    /// Show the drift table (same as --metrics drift); the shards must have
    /// been made with --drift for it to hold anything.
    #[arg(long)]
    pub drift: bool,
    /// Percent a counted/reported ratio may differ from 1 before it is
    /// flagged. Default: the shards' own tolerance (they must agree).
    #[arg(long, value_name = "PCT")]
    pub drift_tolerance: Option<Decimal>,
    /// List the N most expensive tasks (over the merged tasks).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub top: usize,
    /// Merge even when two shards read the same input (it is then counted
    /// more than once; a warning lists it). Without it, merge refuses.
    #[arg(long)]
    pub allow_overlap: bool,
}

/// One shard read back: its name (for errors), its dimensions and its
/// drift tolerance as written.
struct Shard {
    name: String,
    state: ReportState,
    tolerance: Option<Decimal>,
    /// Whether the report lists its inputs (reports before 0.2 do not).
    lists_inputs: bool,
}

pub fn run(args: MergeArgs) -> Result<Outcome> {
    let mut seen = BTreeSet::new();
    let mut shards = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        if !seen.insert(path) {
            bail!("{}: given twice (it would be counted twice)", display(path));
        }
        shards.push(read_shard(path)?);
    }
    check_overlap(&shards, args.allow_overlap)?;
    let tolerance = drift_tolerance(&args, &shards)?;
    let mut shards = shards.into_iter();
    let first = shards.next().context("no reports to merge")?;
    let first_name = first.name;
    let mut merged = first.state;
    for s in shards {
        if s.state.aggregate.dims != merged.aggregate.dims {
            bail!(
                "{}: grouped by {}, but {} is grouped by {}; merge reports made with the same --by",
                s.name,
                dims(&s.state.aggregate.dims),
                first_name,
                dims(&merged.aggregate.dims)
            );
        }
        merged
            .merge(&s.state)
            .map_err(|e| anyhow!("{}: {e}", s.name))?;
    }
    let mut metrics = args.metrics.clone();
    if args.drift {
        metrics.push(Metric::Drift);
    }
    let options = ReportOptions {
        metrics,
        top: args.top,
        drift_tolerance: tolerance,
        ..ReportOptions::default()
    };
    let report = Report {
        aggregate: &merged.aggregate,
        accounting: &merged.accounting,
        options: &options,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    export::exporter(args.format).write(&report, &mut out)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

fn display(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

fn read_shard(path: &Path) -> Result<Shard> {
    let name = display(path);
    // Parsed as it is read: input that is not JSON fails at its first
    // bytes instead of being read whole.
    let parsed: serde_json::Result<Value> = if path == Path::new("-") {
        serde_json::from_reader(io::BufReader::new(io::stdin().lock()))
    } else {
        let file = fs::File::open(path).with_context(|| format!("{name}: cannot read"))?;
        serde_json::from_reader(io::BufReader::new(file))
    };
    let v: Value = parsed
        .map_err(|e| anyhow!("{name}: not a tokenmaxx report (not one JSON document: {e})"))?;
    if v.get("schema_version").is_none() {
        bail!("{name}: not a tokenmaxx report (missing `schema_version`)");
    }
    let (state, doc) = ReportState::from_value(v).map_err(|e| anyhow!("{name}: {e}"))?;
    let tolerance = doc.drift.and_then(|d| d.tolerance_pct).map(|d| d.0);
    let lists_inputs = doc.accounting.is_some_and(|a| a.inputs.is_some());
    Ok(Shard {
        name,
        state,
        tolerance,
        lists_inputs,
    })
}

/// Two shards that read the same content would count it twice: refuse,
/// unless told to go on.
fn check_overlap(shards: &[Shard], allow: bool) -> Result<()> {
    let mut first: std::collections::HashMap<(u64, u128), (&str, &str)> = Default::default();
    let mut overlaps = Vec::new();
    for s in shards {
        if !s.lists_inputs {
            eprintln!(
                "tokenmaxx: warning: {}: made by a release that does not list its inputs; \
                 whether it shares input with another shard cannot be checked",
                s.name
            );
        }
        for i in &s.state.accounting.inputs {
            // Empty inputs bill nothing, and are all alike.
            if i.bytes == 0 {
                continue;
            }
            match first.get(&(i.bytes, i.xxh3)) {
                Some(&(shard, path)) if shard != s.name => overlaps.push(format!(
                    "{} ({}) and {} ({}): the same {} bytes",
                    shard, path, s.name, i.path, i.bytes
                )),
                Some(_) => {}
                None => {
                    first.insert((i.bytes, i.xxh3), (&s.name, &i.path));
                }
            }
        }
    }
    if overlaps.is_empty() {
        return Ok(());
    }
    let n = overlaps.len();
    let shown: Vec<&str> = overlaps.iter().take(5).map(String::as_str).collect();
    let more = if n > 5 {
        format!("; and {} more", n - 5)
    } else {
        String::new()
    };
    if allow {
        eprintln!(
            "tokenmaxx: warning: {n} input(s) read by more than one shard are counted more than once: {}{more}",
            shown.join("; ")
        );
        return Ok(());
    }
    bail!(
        "{n} input(s) were read by more than one shard, and merging would count them twice: {}{more}. \
         Merge shards of disjoint inputs, or pass --allow-overlap to merge anyway",
        shown.join("; ")
    )
}

/// The flag wins; otherwise the shards' common tolerance (10, the report
/// default, if none says).
fn drift_tolerance(args: &MergeArgs, shards: &[Shard]) -> Result<Decimal> {
    if let Some(t) = args.drift_tolerance {
        return Ok(t);
    }
    let mut found: Option<(&str, Decimal)> = None;
    for s in shards {
        let Some(t) = s.tolerance else { continue };
        match found {
            None => found = Some((&s.name, t)),
            Some((first, ft)) if ft != t => bail!(
                "shards were made with different drift tolerances ({} in {first}, {} in {}); \
                 pass --drift-tolerance PCT to choose one for the merged report",
                ft.normalize(),
                t.normalize(),
                s.name
            ),
            Some(_) => {}
        }
    }
    Ok(found.map_or(ReportOptions::default().drift_tolerance, |(_, t)| t))
}

fn dims(d: &[Dimension]) -> String {
    if d.is_empty() {
        return "nothing".into();
    }
    let names: Vec<&str> = d.iter().map(|d| d.as_str()).collect();
    names.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn shard(name: &str, tol: Option<&str>) -> Shard {
        Shard {
            name: name.into(),
            state: ReportState {
                aggregate: crate::aggregate::Aggregate::new(
                    vec![Dimension::Model],
                    jiff::tz::TimeZone::UTC,
                ),
                accounting: Default::default(),
            },
            tolerance: tol.map(|t| Decimal::from_str(t).unwrap()),
            lists_inputs: true,
        }
    }

    fn args(tol: Option<&str>) -> MergeArgs {
        MergeArgs {
            reports: vec![],
            format: ReportFormat::Json,
            metrics: vec![],
            drift: false,
            drift_tolerance: tol.map(|t| Decimal::from_str(t).unwrap()),
            top: 0,
            allow_overlap: false,
        }
    }

    #[test]
    fn drift_tolerance_flag_wins_else_shards_must_agree() {
        let agree = [shard("a", Some("5")), shard("b", Some("5.0"))];
        assert_eq!(
            drift_tolerance(&args(None), &agree).unwrap(),
            Decimal::from(5)
        );
        let differ = [shard("a", Some("5")), shard("b", Some("10"))];
        let e = drift_tolerance(&args(None), &differ)
            .unwrap_err()
            .to_string();
        assert!(e.contains("5 in a") && e.contains("10 in b"), "{e}");
        assert_eq!(
            drift_tolerance(&args(Some("7")), &differ).unwrap(),
            Decimal::from(7)
        );
        let none = [shard("a", None)];
        assert_eq!(
            drift_tolerance(&args(None), &none).unwrap(),
            Decimal::from(10)
        );
    }
}
