//! `prices` output: the book's table (latest row per model), one model's
//! history with the row in effect at a date, and both as JSON.

use std::io::Write;

use anyhow::Result;
use comfy_table::CellAlignment;
use rust_decimal::Decimal;

use crate::price::{Buckets, ModelEntry, PriceBook, PriceRow, TierPrices};
use crate::schema::prices::{
    BucketsDoc, LongContextDoc, ModelDoc, PriceBookDoc, PriceRowDoc, ResolvedDoc, TierPricesDoc,
};
use crate::schema::{Dec, SCHEMA_VERSION};

/// `--format` for `prices`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PricesFormat {
    #[default]
    Table,
    Json,
}

/// One model resolved at `at` (the flag's text; `at_ts` its instant).
pub fn resolved(
    book: &PriceBook,
    entry: &ModelEntry,
    model: &str,
    at: Option<&str>,
    at_ts: Option<jiff::Timestamp>,
    format: PricesFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let resolved = book.resolve(model, at_ts);
    if format == PricesFormat::Json {
        let doc = ResolvedDoc {
            schema_version: SCHEMA_VERSION,
            query: model,
            at: at_ts.map(|t| t.to_string()),
            model: model_doc(entry),
            in_effect: resolved.as_ref().ok().map(|r| row_doc(r.row)),
            unpriced_reason: resolved.as_ref().err().map(|u| u.reason.as_str()),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
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
    writeln!(out, "Table: {}", origin_text(&entry.origin))?;
    match &resolved {
        Ok(r) => writeln!(
            out,
            "In effect {}: row from {}{}",
            at.unwrap_or("now"),
            from_text(r.row.from),
            if r.undated { " (latest)" } else { "" }
        )?,
        Err(u) => writeln!(out, "Unpriced {}: {}", at.unwrap_or("now"), u.reason)?,
    }
    let mut t = super::table::new_table();
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
            writeln!(out, "{}: {n}", from_text(r.from))?;
        }
    }
    Ok(())
}

fn opt(d: Option<Decimal>) -> String {
    d.map_or("-".into(), |d| d.normalize().to_string())
}

fn row_doc(r: &PriceRow) -> PriceRowDoc<'_> {
    let d = |v: Option<Decimal>| v.map(Dec);
    PriceRowDoc {
        from: r.from.to_string(),
        input: Dec(r.input),
        cache_read: d(r.cache_read),
        cache_write_5m: d(r.cache_write_5m),
        cache_write_1h: d(r.cache_write_1h),
        output: Dec(r.output),
        web_search_per_1k: d(r.web_search_per_1k),
        input_audio: d(r.input_audio),
        output_audio: d(r.output_audio),
        batch: d(r.batch),
        flex: d(r.flex),
        priority: d(r.priority),
        batch_prices: r.batch_prices.as_ref().map(tier_doc),
        flex_prices: r.flex_prices.as_ref().map(tier_doc),
        priority_prices: r.priority_prices.as_ref().map(tier_doc),
        long_context: r.long_context.as_ref().map(|t| LongContextDoc {
            above: t.above,
            input: d(t.input),
            cache_read: d(t.cache_read),
            cache_write_5m: d(t.cache_write_5m),
            cache_write_1h: d(t.cache_write_1h),
            output: d(t.output),
        }),
        source: &r.source,
        checked: &r.checked,
        note: r.note.as_deref(),
    }
}

fn buckets_doc(b: &Buckets) -> BucketsDoc {
    let d = |v: Option<Decimal>| v.map(Dec);
    BucketsDoc {
        input: d(b.input),
        cache_read: d(b.cache_read),
        cache_write_5m: d(b.cache_write_5m),
        cache_write_1h: d(b.cache_write_1h),
        output: d(b.output),
    }
}

fn tier_doc(t: &TierPrices) -> TierPricesDoc {
    TierPricesDoc {
        base: buckets_doc(&t.base),
        long_context: t.long_context.as_ref().map(buckets_doc),
    }
}

fn model_doc(m: &ModelEntry) -> ModelDoc<'_> {
    ModelDoc {
        id: &m.id,
        provider: &m.provider,
        names: &m.names,
        tokenizer: m.tokenizer.as_deref(),
        tokenizer_exact: m.tokenizer_exact,
        context_window: m.context_window,
        origin: &m.origin,
        rows: m.rows.iter().map(row_doc).collect(),
    }
}

fn row_cells(r: &PriceRow) -> Vec<String> {
    let tier = r.long_context.as_ref().map_or("-".into(), |t| {
        format!("> {}: in {} / out {}", t.above, opt(t.input), opt(t.output))
    });
    let mult: Vec<String> = [
        ("batch", r.batch, &r.batch_prices),
        ("flex", r.flex, &r.flex_prices),
        ("priority", r.priority, &r.priority_prices),
    ]
    .iter()
    .filter_map(|(n, m, own)| match (m, own) {
        (_, Some(p)) => Some(format!(
            "{n}: in {} / out {}",
            opt(p.base.input.or(Some(r.input))),
            opt(p.base.output.or(Some(r.output)))
        )),
        (Some(m), None) => Some(format!("{n} ×{}", m.normalize())),
        (None, None) => None,
    })
    .collect();
    vec![
        from_text(r.from),
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

pub fn list(book: &PriceBook, format: PricesFormat, out: &mut dyn Write) -> Result<()> {
    if format == PricesFormat::Json {
        let doc = PriceBookDoc {
            schema_version: SCHEMA_VERSION,
            unit: "USD per 1M tokens",
            models: book.models().iter().map(model_doc).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut t = super::table::new_table();
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

/// Where a model's prices come from, as a reader needs it.
fn origin_text(origin: &str) -> String {
    match origin {
        o if o.ends_with("generated/genai-prices.toml") => {
            format!("{o} (imported from genai-prices; curated tables take precedence)")
        }
        o if o.ends_with("generated/litellm.toml") => {
            format!("{o} (imported from LiteLLM; curated tables and genai-prices take precedence)")
        }
        o if o.starts_with("embedded:") => format!("{o} (curated)"),
        o => format!("{o} (overlay)"),
    }
}

/// A row's start date; imported rows the source gives no date use the
/// first day of year 1 (pricing/README.md, "Imported tables").
fn from_text(d: jiff::civil::Date) -> String {
    if d == crate::price::import::undated() {
        "(no date)".into()
    } else {
        d.to_string()
    }
}
