//! pydantic genai-prices' data JSON (`prices/new_data/v2/data.json`): a list
//! of providers, each with models that have a `match` clause tree and either
//! one price set or a list of conditional ones (start dates, times of day).
//! Prices are already USD per 1M tokens (`_mtok`) or per 1000 (`_kcount`).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Import, Options, decimal, is_zero, snapshot_date, undated};
use crate::price::table::{LongContext, ModelEntry, PriceRow, parse_date};

#[derive(Deserialize)]
struct Provider {
    id: String,
    #[serde(default)]
    pricing_urls: Vec<String>,
    #[serde(default)]
    models: Vec<Model>,
}

#[derive(Deserialize)]
struct Model {
    id: String,
    #[serde(rename = "match")]
    matches: Option<Box<RawValue>>,
    context_window: Option<u64>,
    name: Option<String>,
    description: Option<String>,
    price_comments: Option<String>,
    prices: Box<RawValue>,
}

#[derive(Deserialize)]
struct Conditional {
    constraint: Option<BTreeMap<String, String>>,
    prices: BTreeMap<String, Box<RawValue>>,
}

#[derive(Deserialize)]
struct Tiered {
    base: Box<RawValue>,
    tiers: Vec<Tier>,
}

#[derive(Deserialize)]
struct Tier {
    start: u64,
    price: Box<RawValue>,
}

pub fn import(text: &str, opts: &Options) -> Result<Import> {
    let providers: Vec<Provider> = serde_json::from_str(text)
        .context("not a genai-prices data file (a JSON list of providers with models)")?;
    let mut out = Import::default();
    for p in &providers {
        for m in &p.models {
            out.entries += 1;
            let item = format!("{}/{}", p.id, m.id);
            match model(p, m, opts, &mut out) {
                Ok(Some(entry)) => out.models.push(entry),
                Ok(None) => {}
                Err(e) => bail!("{item}: {e:#}"),
            }
        }
    }
    Ok(out)
}

fn model(p: &Provider, m: &Model, opts: &Options, out: &mut Import) -> Result<Option<ModelEntry>> {
    let item = format!("{}/{}", p.id, m.id);
    let mut names = vec![m.id.clone()];
    if let Some(clause) = &m.matches {
        let clause: serde_json::Value =
            serde_json::from_str(clause.get()).context("`match` is not JSON")?;
        clause_names(&clause, &item, &mut names, out);
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.to_lowercase()));

    let conditionals: Vec<Conditional> = if m.prices.get().trim_start().starts_with('[') {
        serde_json::from_str(m.prices.get()).context("`prices` list")?
    } else {
        vec![Conditional {
            constraint: None,
            prices: serde_json::from_str(m.prices.get()).context("`prices`")?,
        }]
    };
    let first_from = names
        .iter()
        .filter_map(|n| snapshot_date(n))
        .min()
        .unwrap_or_else(undated);
    let source = p
        .pricing_urls
        .first()
        .cloned()
        .unwrap_or_else(|| format!("genai-prices ({})", opts.label));
    // A price by time of day (DeepSeek's off-peak discount) has no field:
    // the higher of the day's prices stands for the whole day, so off-peak
    // requests are over-billed, never peak ones under-billed.
    let input_of = |c: &Conditional| {
        c.prices
            .get("input_mtok")
            .and_then(|v| decimal(v.get()).ok())
            .unwrap_or_default()
    };
    let mut day_price: Option<&Conditional> = None;
    for c in &conditionals {
        if c.constraint
            .as_ref()
            .is_some_and(|k| !k.contains_key("start_date"))
        {
            let keys: Vec<&str> = c
                .constraint
                .iter()
                .flatten()
                .map(|(k, _)| k.as_str())
                .collect();
            out.unmapped(
                "price by time of day or another condition (the day's highest price is used all day)",
                format!("{item}: {}", keys.join(", ")),
            );
            if day_price.is_none_or(|d| input_of(c) > input_of(d)) {
                day_price = Some(c);
            }
        }
    }
    let mut rows: Vec<PriceRow> = Vec::new();
    for c in &conditionals {
        let from = match &c.constraint {
            None => first_from,
            Some(k) => match k.get("start_date") {
                Some(d) if k.len() == 1 => parse_date(d.get(..10).unwrap_or(d))
                    .with_context(|| format!("`start_date` is not a date: {d}"))?,
                _ => continue,
            },
        };
        let c = match day_price {
            Some(d) if c.constraint.is_none() && input_of(d) > input_of(c) => d,
            _ => c,
        };
        if rows.iter().any(|r| r.from == from) {
            out.unmapped(
                "second price on the same start date (first kept)",
                format!("{item}: {from}"),
            );
            continue;
        }
        let Some(row) = price_row(&item, from, &c.prices, &source, m, opts, out)? else {
            return Ok(None);
        };
        rows.push(row);
    }
    if rows.is_empty() {
        out.unmapped("model dropped: no unconditional price", item);
        return Ok(None);
    }
    rows.sort_by_key(|r| r.from);
    Ok(Some(ModelEntry {
        id: format!("genai-prices:{}/{}", p.id, m.id),
        provider: p.id.clone(),
        names,
        tokenizer: None,
        tokenizer_pattern: None,
        tokenizer_exact: true,
        context_window: m.context_window.filter(|&c| c > 0),
        rows,
        origin: String::new(),
    }))
}

/// Names a `match` clause gives: `equals` exactly, and `starts_with` as its
/// prefix itself (dated snapshots of it match by the snapshot rule). Other
/// clauses cannot become exact names and are listed.
fn clause_names(c: &serde_json::Value, item: &str, names: &mut Vec<String>, out: &mut Import) {
    let Some(obj) = c.as_object() else { return };
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("equals" | "starts_with", serde_json::Value::String(s)) => names.push(s.clone()),
            ("or", serde_json::Value::Array(list)) => {
                for c in list {
                    clause_names(c, item, names, out);
                }
            }
            _ => out.unmapped(
                "match clause other than `equals`/`starts_with` (names it would match are not priced)",
                format!("{item}: {k} {}", short(v)),
            ),
        }
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[allow(clippy::too_many_arguments)]
fn price_row(
    item: &str,
    from: Date,
    prices: &BTreeMap<String, Box<RawValue>>,
    source: &str,
    m: &Model,
    opts: &Options,
    out: &mut Import,
) -> Result<Option<PriceRow>> {
    let mut base: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut tiers: BTreeMap<&str, Vec<(u64, Decimal)>> = BTreeMap::new();
    for (key, raw) in prices {
        let field = match key.as_str() {
            "input_mtok" => "input",
            "output_mtok" => "output",
            "cache_read_mtok" => "cache_read",
            "cache_write_mtok" | "cache_write_5m_mtok" => "cache_write_5m",
            "cache_write_1h_mtok" => "cache_write_1h",
            "web_searches_kcount" => "web_search_per_1k",
            "input_audio_mtok" => "input_audio",
            "output_audio_mtok" => "output_audio",
            other => {
                if !is_zero(raw.get()) {
                    out.unmapped(
                        format!("price `{other}` has no tokenmaxx field (not applied)"),
                        item.to_string(),
                    );
                }
                continue;
            }
        };
        let text = raw.get().trim();
        if text.starts_with('{') {
            let t: Tiered = serde_json::from_str(text).with_context(|| format!("`{key}`"))?;
            base.insert(
                field,
                decimal(t.base.get()).with_context(|| format!("`{key}`"))?,
            );
            let mut list = Vec::new();
            for tier in &t.tiers {
                list.push((
                    tier.start,
                    decimal(tier.price.get()).with_context(|| format!("`{key}` tier"))?,
                ));
            }
            tiers.insert(field, list);
        } else {
            base.insert(field, decimal(text).with_context(|| format!("`{key}`"))?);
        }
    }
    let Some(&input) = base.get("input") else {
        out.unmapped("model dropped: no per-token input price", item.to_string());
        return Ok(None);
    };
    let mut note = format!("Imported from genai-prices ({}).", opts.label);
    let output = match base.get("output") {
        Some(&o) => o,
        None if input_only(item, m) => {
            note.push_str(
                " No output price: an embedding or reranking model, which returns no output tokens.",
            );
            Decimal::ZERO
        }
        None => {
            out.unmapped("model dropped: no output token price", item.to_string());
            return Ok(None);
        }
    };
    let long_context = long_context(item, &tiers, out);
    if let Some(c) = &m.price_comments {
        note.push(' ');
        note.push_str(c.trim());
    }
    if from == undated() {
        note.push_str(
            " The source gives no start date: this price is used for every earlier date.",
        );
    }
    Ok(Some(PriceRow {
        from,
        input,
        output,
        cache_read: base.get("cache_read").copied(),
        cache_write_5m: base.get("cache_write_5m").copied(),
        cache_write_1h: base.get("cache_write_1h").copied(),
        web_search_per_1k: base.get("web_search_per_1k").copied(),
        input_audio: base.get("input_audio").copied(),
        output_audio: base.get("output_audio").copied(),
        batch: None,
        flex: None,
        priority: None,
        batch_prices: None,
        flex_prices: None,
        priority_prices: None,
        long_context,
        source: source.to_string(),
        checked: opts.checked.to_string(),
        note: Some(note),
    }))
}

/// genai-prices tiers are per price; tokenmaxx has one threshold per row.
/// They map when every tiered price has one tier at the same start.
fn long_context(
    item: &str,
    tiers: &BTreeMap<&str, Vec<(u64, Decimal)>>,
    out: &mut Import,
) -> Option<LongContext> {
    if tiers.is_empty() {
        return None;
    }
    let starts: std::collections::BTreeSet<u64> =
        tiers.values().flatten().map(|(s, _)| *s).collect();
    if starts.len() != 1 || tiers.values().any(|t| t.len() != 1) {
        out.unmapped(
            "several long-context thresholds (the lowest is kept; requests above the next are billed at it)",
            item.to_string(),
        );
    }
    let above = *starts.iter().next()?;
    let at = |f: &str| {
        tiers
            .get(f)
            .and_then(|t| t.iter().find(|(s, _)| *s == above))
            .map(|(_, p)| *p)
    };
    for f in ["web_search_per_1k", "input_audio", "output_audio"] {
        if tiers.contains_key(f) {
            out.unmapped(
                format!("long-context tier of `{f}` (base price kept)"),
                item.to_string(),
            );
        }
    }
    Some(LongContext {
        above,
        input: at("input"),
        output: at("output"),
        cache_read: at("cache_read"),
        cache_write_5m: at("cache_write_5m"),
        cache_write_1h: at("cache_write_1h"),
    })
}

/// Embedding and reranking models bill input only: the data set gives
/// them no output price, and they return no output tokens.
fn input_only(item: &str, m: &Model) -> bool {
    let text = format!(
        "{item} {} {}",
        m.name.as_deref().unwrap_or(""),
        m.description.as_deref().unwrap_or("")
    )
    .to_lowercase();
    ["embed", "rerank", "/bge-"]
        .iter()
        .any(|w| text.contains(w))
        || item.starts_with("voyageai/")
}
