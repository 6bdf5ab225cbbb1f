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
use crate::bill::Measures;
use crate::cli::{InputArgs, Outcome};
use crate::export::{self, ColumnPolicy, Metric, Report, ReportFormat, ReportOptions};

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
    /// Metric tables to add under the main one (comma-separated; JSON always
    /// carries every figure that was computed). density and drift also turn
    /// on the extra work they need (measuring text, counting tokens).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "METRIC")]
    pub metrics: Vec<Metric>,
    /// Also count the text of records whose usage is reported, and compare
    /// (same as --metrics drift).
    #[arg(long)]
    pub drift: bool,
    /// Percent a counted/reported ratio may differ from 1 before --drift flags it.
    #[arg(long, default_value = "10", value_name = "PCT")]
    pub drift_tolerance: rust_decimal::Decimal,
    /// List the N most expensive tasks.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub top: usize,
    /// Terminal table: only the columns that always stay (keys, records,
    /// input, output, cost).
    #[arg(long, conflicts_with = "wide")]
    pub compact: bool,
    /// Terminal table: every column, however narrow the terminal.
    #[arg(long)]
    pub wide: bool,
    /// CSV: add a `TOTAL` row after the groups (off by default: a row that
    /// is not a group breaks tools that sum or load the rows).
    #[arg(long)]
    pub csv_total_row: bool,
    /// CSV: write cells as the logs have them. By default a cell that a
    /// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a
    /// leading `'`.
    #[arg(long)]
    pub csv_raw: bool,
}

impl ReportArgs {
    fn options(&self) -> ReportOptions {
        let mut metrics = self.metrics.clone();
        if self.drift {
            metrics.push(Metric::Drift);
        }
        ReportOptions {
            metrics,
            top: self.top,
            drift_tolerance: self.drift_tolerance,
            csv_total_row: self.csv_total_row,
            csv_raw: self.csv_raw,
            columns: if self.compact {
                ColumnPolicy::Compact
            } else if self.wide {
                ColumnPolicy::Wide
            } else {
                ColumnPolicy::Fit
            },
        }
    }
}

pub fn run(args: ReportArgs) -> Result<Outcome> {
    let options = args.options();
    let measures = Measures {
        drift: options.shows(Metric::Drift),
        density: options.shows(Metric::Density),
    };
    let logs = super::LogRun::from_args(&args.input, measures)?;
    let mut agg = Aggregate::new(args.by.clone(), logs.tz.clone());
    // The HTML page's cost-per-day chart needs the records by day and model
    // whatever --by says.
    let mut daily = (args.format == ReportFormat::Html)
        .then(|| Aggregate::new(vec![Dimension::Day, Dimension::Model], logs.tz.clone()));
    let accounting = logs.run(&mut |b| {
        if let Some(b) = b {
            agg.add(&b);
            if let Some(d) = daily.as_mut() {
                d.add(&b);
            }
        }
        Ok(())
    })?;
    let report = Report {
        aggregate: &agg,
        accounting: &accounting,
        options: &options,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match &daily {
        Some(d) => export::html::write(&report, Some(d), &mut out)?,
        None => export::exporter(args.format).write(&report, &mut out)?,
    }
    out.flush()?;
    Ok(Outcome::Ok)
}
