//! Aggregate tokens and cost by model, provider, day, week, month, task,
//! session or file.
//!
//! Usage: tokenmaxx report [PATH…] [--by DIM[,DIM…]] [--format table|json|csv|markdown]
//!        [--since DATE] [--until DATE] [--tz TZ] [--usage auto|reported|counted]
//!        [--pricing FILE]… [--input-format FORMAT] [--task-key KEY] [--strict]

use std::io::{self, BufWriter, Write};

use anyhow::Result;
use clap::Args;

use crate::aggregate::{Aggregate, Dimension};
use crate::cli::{InputArgs, Outcome};
use crate::export::{self, Report, ReportFormat};
use crate::pipeline;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx report logs/
  tokenmaxx report logs/ --by day,model --since 2025-06-01 --tz Europe/Oslo
  tokenmaxx report calls.jsonl.gz --by task --format json > report.json")]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Group by these dimensions (comma-separated, in order).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "model")]
    pub by: Vec<Dimension>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

pub fn run(args: ReportArgs) -> Result<Outcome> {
    let run = super::log_run(&args.input)?;
    let mut agg = Aggregate::new(args.by.clone(), run.tz.clone());
    let accounting = pipeline::run(&run.inputs, &run.biller, &run.opts, &mut |b| {
        if let Some(b) = b {
            agg.add(&b);
        }
        Ok(())
    })?;
    let report = Report {
        aggregate: &agg,
        accounting: &accounting,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    export::exporter(args.format).write(&report, &mut out)?;
    out.flush()?;
    Ok(Outcome::Ok)
}
