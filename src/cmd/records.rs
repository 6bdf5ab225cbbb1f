//! Stream one enriched JSON object per billed record: usage buckets, price
//! row, exact cost. Made for `| jq` and for loading into DuckDB/Spark.
//!
//! Usage: tokenmaxx records [PATH…] [--format jsonl|csv] [--usage auto|reported|counted]
//!        [--since DATE] [--until DATE] [--pricing FILE]… [--input-format FORMAT] [--strict]

use std::io::{self, BufWriter, Write};

use anyhow::Result;
use clap::Args;

use crate::bill::Measures;
use crate::cli::{InputArgs, Outcome};
use crate::export::records::{self, RecordsFormat};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cat calls.jsonl | tokenmaxx records | jq 'select(.priced | not) | .model'
  tokenmaxx records logs/ --usage counted --format csv > records.csv")]
pub struct RecordsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RecordsFormat::Jsonl)]
    pub format: RecordsFormat,
    /// CSV: write cells as the logs have them. By default a cell that a
    /// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a
    /// leading `'`.
    #[arg(long)]
    pub csv_raw: bool,
}

pub fn run(args: RecordsArgs) -> Result<Outcome> {
    let logs = super::LogRun::from_args(&args.input, Measures::default())?;
    let stdout = io::stdout();
    let accounting = match args.format {
        RecordsFormat::Jsonl => {
            let mut out = BufWriter::new(stdout.lock());
            let acc = logs.run(&mut |b| match b {
                Some(b) => records::write_jsonl(&b, &mut out),
                None => Ok(out.flush()?),
            })?;
            out.flush()?;
            acc
        }
        RecordsFormat::Csv => {
            let mut w = csv::Writer::from_writer(BufWriter::new(stdout.lock()));
            w.write_record(records::csv_header())?;
            let acc = logs.run(&mut |b| {
                match b {
                    Some(b) if args.csv_raw => w.write_record(records::csv_row(&b))?,
                    Some(b) => {
                        w.write_record(records::csv_row(&b).map(crate::export::csv::neutralise))?
                    }
                    None => w.flush()?,
                }
                Ok(())
            })?;
            w.flush()?;
            acc
        }
    };
    // Records carry no summary of their own: say on stderr where every line
    // went when some did not become a record.
    if !args.input.common.quiet
        && let Some(note) = crate::export::accounting_note(&accounting)
    {
        eprintln!("tokenmaxx: {note}");
    }
    Ok(Outcome::Ok)
}
