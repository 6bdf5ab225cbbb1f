//! Show the price book, resolve one model at a date, or validate the tables.
//!
//! Usage: tokenmaxx prices [MODEL] [--at DATE] [--format table|json] [--pricing FILE]…
//!        tokenmaxx prices check [--pricing FILE]…

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::cli::{CommonArgs, Outcome};
use crate::export::{SCHEMA_VERSION, dec};
use crate::price::{ModelEntry, PriceBook, PriceRow};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PricesFormat {
    #[default]
    Table,
    Json,
}

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
    #[arg(long, value_enum, default_value_t = PricesFormat::Table)]
    pub format: PricesFormat,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Debug)]
pub enum PricesAction {
    /// Validate every table (dates, prices, names, provenance); exit 2 on problems.
    Check {
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub fn run(args: PricesArgs) -> Result<Outcome> {
    if let Some(PricesAction::Check { common }) = &args.action {
        return check(common);
    }
    let book = super::price_book(&args.common)?;
    let mut out = BufWriter::new(io::stdout().lock());
    match &args.model {
        None => list(&book, args.format, &mut out)?,
        Some(m) => resolve(&book, m, args.at.as_deref(), args.format, &mut out)?,
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

fn check(common: &CommonArgs) -> Result<Outcome> {
    let book = super::price_book(common)?;
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

fn opt(d: Option<Decimal>) -> String {
    d.map_or("-".into(), |d| d.normalize().to_string())
}

fn row_json(r: &PriceRow) -> Value {
    json!({
        "from": r.from.to_string(),
        "input": dec(r.input),
        "cache_read": r.cache_read.map(dec),
        "cache_write_5m": r.cache_write_5m.map(dec),
        "cache_write_1h": r.cache_write_1h.map(dec),
        "output": dec(r.output),
        "web_search_per_1k": r.web_search_per_1k.map(dec),
        "batch": r.batch.map(dec),
        "flex": r.flex.map(dec),
        "priority": r.priority.map(dec),
        "long_context": r.long_context.as_ref().map(|t| json!({
            "above": t.above,
            "input": t.input.map(dec),
            "cache_read": t.cache_read.map(dec),
            "cache_write_5m": t.cache_write_5m.map(dec),
            "cache_write_1h": t.cache_write_1h.map(dec),
            "output": t.output.map(dec),
        })),
        "source": r.source,
        "checked": r.checked,
        "note": r.note,
    })
}

fn model_json(m: &ModelEntry) -> Value {
    json!({
        "id": m.id,
        "provider": m.provider,
        "names": m.names,
        "tokenizer": m.tokenizer,
        "tokenizer_exact": m.tokenizer_exact,
        "context_window": m.context_window,
        "origin": m.origin,
        "rows": m.rows.iter().map(row_json).collect::<Vec<_>>(),
    })
}

fn table() -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t
}

fn row_cells(r: &PriceRow) -> Vec<String> {
    let tier = r.long_context.as_ref().map_or("-".into(), |t| {
        format!("> {}: in {} / out {}", t.above, opt(t.input), opt(t.output))
    });
    let mult: Vec<String> = [
        ("batch", r.batch),
        ("flex", r.flex),
        ("priority", r.priority),
    ]
    .iter()
    .filter_map(|(n, m)| m.map(|m| format!("{n} ×{}", m.normalize())))
    .collect();
    vec![
        r.from.to_string(),
        r.input.normalize().to_string(),
        opt(r.cache_read),
        opt(r.cache_write_5m),
        opt(r.cache_write_1h),
        r.output.normalize().to_string(),
        tier,
        if mult.is_empty() {
            "-".into()
        } else {
            mult.join(", ")
        },
    ]
}

const ROW_HEADER: [&str; 8] = [
    "From",
    "Input",
    "Cache read",
    "Write 5m",
    "Write 1h",
    "Output",
    "Long context",
    "Tiers",
];

fn list(book: &PriceBook, format: PricesFormat, out: &mut dyn Write) -> Result<()> {
    if format == PricesFormat::Json {
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "unit": "USD per 1M tokens",
            "models": book.models().iter().map(model_json).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut t = table();
    let mut header = vec!["Model", "Provider"];
    header.extend(ROW_HEADER);
    t.set_header(header);
    for m in book.models() {
        let Some(latest) = m.rows.iter().max_by_key(|r| r.from) else {
            continue;
        };
        let mut row = vec![m.id.clone(), m.provider.clone()];
        row.extend(row_cells(latest));
        t.add_row(row);
    }
    for i in 3..8 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "USD per 1M tokens; latest row per model. `tokenmaxx prices MODEL` shows the history and sources."
    )?;
    Ok(())
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
        bail!(
            "unknown model `{model}`: not in the price book (add it with --pricing FILE; `tokenmaxx prices` lists known models)"
        );
    };
    let resolved = book.resolve(model, at_ts);
    if format == PricesFormat::Json {
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "query": model,
            "at": at_ts.map(|t| t.to_string()),
            "model": model_json(entry),
            "in_effect": match &resolved {
                Ok(r) => row_json(r.row),
                Err(_) => Value::Null,
            },
            "unpriced_reason": resolved.as_ref().err().map(|u| u.reason.clone()),
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{model} → {} ({}), tokenizer {}{}",
        entry.id,
        entry.provider,
        entry.tokenizer.as_deref().unwrap_or("-"),
        if entry.tokenizer_exact {
            ""
        } else {
            " (approximation)"
        }
    )?;
    match &resolved {
        Ok(r) => writeln!(
            out,
            "In effect {}: row from {}{}",
            at.unwrap_or("now"),
            r.row.from,
            if r.undated { " (latest)" } else { "" }
        )?,
        Err(u) => writeln!(out, "Unpriced {}: {}", at.unwrap_or("now"), u.reason)?,
    }
    let mut t = table();
    let mut header = vec![""];
    header.extend(ROW_HEADER);
    header.push("Source");
    t.set_header(header);
    for r in &entry.rows {
        let mark = match &resolved {
            Ok(res) if std::ptr::eq(res.row, r) => "▶",
            _ => "",
        };
        let mut row = vec![mark.to_string()];
        row.extend(row_cells(r));
        row.push(r.source.clone());
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    for r in &entry.rows {
        if let Some(n) = &r.note {
            writeln!(out, "{}: {n}", r.from)?;
        }
    }
    Ok(())
}
