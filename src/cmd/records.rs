//! Stream one enriched JSON object per billed record: usage buckets, price
//! row, exact cost. Made for `| jq` and for loading into DuckDB/Spark.
//!
//! Usage: tokenmaxx records [PATH…] [--format jsonl|csv|parquet] [-o FILE]
//!        [--usage auto|reported|counted] [--since DATE] [--until DATE]
//!        [--pricing FILE]… [--input-format FORMAT] [--strict]

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::bill::Measures;
use crate::cli::{InputArgs, Outcome};
use crate::export::parquet::ParquetWriter;
use crate::export::records::{self, RecordsFormat};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cat calls.jsonl | tokenmaxx records | jq 'select(.priced | not) | .model'
  tokenmaxx records logs/ --usage counted --format csv > records.csv
  tokenmaxx records logs/ --format parquet -o records.parquet
  duckdb -c \"SELECT model, sum(cost_usd) FROM 'records.parquet' GROUP BY model\"")]
pub struct RecordsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format. Parquet (typed columns, docs/parquet.md) goes to
    /// `-o FILE` or to a standard output that is not a terminal.
    #[arg(long, value_enum, default_value_t = RecordsFormat::Jsonl)]
    pub format: RecordsFormat,
    /// Write to FILE instead of standard output. The file appears whole
    /// when the run succeeds, and not at all when it fails.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CSV: write cells as the logs have them. By default a cell that a
    /// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a
    /// leading `'`.
    #[arg(long)]
    pub csv_raw: bool,
}

pub fn run(args: RecordsArgs) -> Result<Outcome> {
    if args.format == RecordsFormat::Parquet && args.output.is_none() && io::stdout().is_terminal()
    {
        bail!("Parquet is binary: write it to a file with -o FILE, or pipe it");
    }
    let logs = super::LogRun::from_args(&args.input, Measures::default())?;
    let accounting = match &args.output {
        Some(path) => {
            let mut file = super::AtomicFile::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let acc = write(&args, &logs, &mut file)?;
            file.commit()
                .with_context(|| format!("cannot write {}", path.display()))?;
            acc
        }
        None => write(&args, &logs, &mut BufWriter::new(io::stdout()))?,
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

fn write<W: Write + Send>(
    args: &RecordsArgs,
    logs: &super::LogRun,
    out: &mut W,
) -> Result<crate::run::Accounting> {
    let acc = match args.format {
        RecordsFormat::Jsonl => logs.run(&mut |b| match b {
            Some(b) => records::write_jsonl(&b, out),
            None => Ok(out.flush()?),
        })?,
        RecordsFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
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
        RecordsFormat::Parquet => {
            let mut w = ParquetWriter::new(&mut *out)?;
            let acc = logs.run(&mut |b| match b {
                Some(b) => w.write(&b),
                // A batch boundary is no reason to cut a row group short.
                None => Ok(()),
            })?;
            w.finish()?;
            acc
        }
    };
    out.flush()?;
    Ok(acc)
}
