//! Show the price book, resolve one model at a date, or validate the tables.
//!
//! Usage: tokenmaxx prices [MODEL] [--at DATE] [--format table|json] [--pricing FILE]…
//!        tokenmaxx prices check [--pricing FILE]…
//!        tokenmaxx prices import --from genai-prices|litellm FILE|URL [--out DIR]
//!        tokenmaxx prices diff BOOK_A BOOK_B [--rulings FILE]

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use crate::cli::{Outcome, PricingArgs};
use crate::export::{self, prices::PricesFormat};
use crate::price::PriceBook;

#[derive(Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  tokenmaxx prices                         every model, current prices
  tokenmaxx prices o3 --at 2025-05-01      the row in effect on that day
  tokenmaxx prices check --pricing mine.toml"
)]
pub struct PricesArgs {
    #[command(subcommand)]
    pub action: Option<PricesAction>,
    /// A model name as logged (dated snapshots, provider prefixes accepted).
    pub model: Option<String>,
    /// Resolve at this date (YYYY-MM-DD or RFC 3339); default: the latest row.
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PricesFormat::Table)]
    pub format: PricesFormat,
    #[command(flatten)]
    pub common: PricingArgs,
}

#[derive(Subcommand, Debug)]
pub enum PricesAction {
    /// Validate every table (dates, prices, names, provenance); exit 2 on problems.
    Check {
        #[command(flatten)]
        common: PricingArgs,
    },
    /// Convert a public price data set (genai-prices, LiteLLM) into price tables.
    Import(import::ImportArgs),
    /// List every price two books disagree on; exit 1 if one is not ruled on.
    Diff(diff::DiffArgs),
}

#[path = "prices_diff.rs"]
mod diff;
#[path = "prices_import.rs"]
mod import;

pub fn run(args: PricesArgs) -> Result<Outcome> {
    match args.action {
        Some(PricesAction::Check { common }) => return check(&common),
        Some(PricesAction::Import(a)) => return import::run(a),
        Some(PricesAction::Diff(a)) => return diff::run(a),
        None => {}
    }
    let book = super::price_book(&args.common.pricing, &args.common.model_map)?;
    let mut out = BufWriter::new(io::stdout().lock());
    match &args.model {
        None => export::prices::list(&book, args.format, &mut out)?,
        Some(m) => resolve(&book, m, args.at.as_deref(), args.format, &mut out)?,
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

fn check(common: &PricingArgs) -> Result<Outcome> {
    let book = super::price_book(&common.pricing, &common.model_map)?;
    let problems = book.check();
    if problems.is_empty() {
        let rows: usize = book.models().iter().map(|m| m.rows.len()).sum();
        println!(
            "price tables OK: {} models, {rows} dated rows",
            book.models().len()
        );
        return Ok(Outcome::Ok);
    }
    for p in &problems {
        eprintln!("{p}");
    }
    bail!(
        "{} problem{} in the price tables",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )
}

fn resolve(
    book: &PriceBook,
    model: &str,
    at: Option<&str>,
    format: PricesFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let at_ts = match at {
        None => None,
        Some(s) => Some(match s.parse::<jiff::Timestamp>() {
            Ok(ts) => ts,
            Err(_) => super::parse_date(s)
                .with_context(|| {
                    format!("--at: `{s}` is not a date (YYYY-MM-DD) or an RFC 3339 time")
                })?
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)?
                .timestamp(),
        }),
    };
    let Some(entry) = book.find(model) else {
        let close = book.suggest(model, 3);
        let hint = match close.as_slice() {
            [] => String::new(),
            [one] => format!("; did you mean {one}?"),
            many => format!("; did you mean one of {}?", many.join(", ")),
        };
        bail!(
            "unknown model `{model}`: not in the price book{hint} (add it with --pricing FILE; `tokenmaxx prices` lists known models)"
        );
    };
    export::prices::resolved(book, entry, model, at, at_ts, format, out)
}
