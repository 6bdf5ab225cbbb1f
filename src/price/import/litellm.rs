//! LiteLLM's `model_prices_and_context_window.json`: one flat object keyed
//! by the model name as LiteLLM routes it, prices in USD per token, no
//! dates. Long-context thresholds and service tiers are spelled in the field
//! names (`input_cost_per_token_above_200k_tokens_priority`).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::{Import, Options, decimal, is_zero, per_million, snapshot_date, undated};
use crate::price::resolve::{channel_key, normalize};
use crate::price::table::{Buckets, LongContext, ModelEntry, PriceRow, TierPrices};

type Entry = BTreeMap<String, Box<RawValue>>;

/// Service tiers spelled as a field-name suffix.
const TIERS: [&str; 3] = ["batches", "flex", "priority"];

/// Fields that scale a price by where the request ran; logs do not say
/// where, so these are listed, not applied.
const UPLIFTS: &[&str] = &[
    "regional_processing_uplift_multiplier_eu",
    "regional_processing_uplift_multiplier_us",
    "regional_endpoint_uplift_multiplier",
    "fedramp_uplift_multiplier",
];

pub fn import(text: &str, opts: &Options) -> Result<Import> {
    let all: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text)
        .context("not a LiteLLM model_prices_and_context_window.json (a JSON object of models)")?;
    let mut out = Import::default();
    // (provider, normalized name) → index in `out.models`: entries that are
    // one model's snapshots or aliases at one price become one model.
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (key, raw) in &all {
        if key == "sample_spec" {
            continue;
        }
        out.entries += 1;
        let entry: Entry = match serde_json::from_str(raw.get()) {
            Ok(e) => e,
            Err(_) => bail!("`{key}`: not a JSON object"),
        };
        let Some(m) = model(key, &entry, opts, &mut out).with_context(|| format!("`{key}`"))?
        else {
            continue;
        };
        let base = normalize(key);
        let base = crate::price::strip_date_suffix(&base)
            .unwrap_or(&base)
            .to_string();
        let group = groups.entry((m.provider.clone(), base)).or_default();
        match group
            .iter()
            .find(|&&i| same_prices(&out.models[i].rows[0], &m.rows[0]))
        {
            Some(&i) => {
                let into = &mut out.models[i];
                into.names.extend(m.names);
                // Dated by the earliest snapshot id among its names.
                let (a, b) = (into.rows[0].from, m.rows[0].from);
                into.rows[0].from = if a == undated() || (b != undated() && b < a) {
                    b
                } else {
                    a
                };
                if into.context_window.is_none() {
                    into.context_window = m.context_window;
                }
            }
            None => {
                group.push(out.models.len());
                out.models.push(m);
            }
        }
    }
    for m in &mut out.models {
        let row = &mut m.rows[0];
        if row.from == undated()
            && let Some(n) = &mut row.note
        {
            n.push_str(
                " The source gives no start date: this price is used for every earlier date.",
            );
        }
    }
    Ok(out)
}

/// Equal prices, whatever the start date and provenance.
fn same_prices(a: &PriceRow, b: &PriceRow) -> bool {
    let strip = |r: &PriceRow| PriceRow {
        from: undated(),
        source: String::new(),
        note: None,
        ..r.clone()
    };
    strip(a) == strip(b)
}

fn string(entry: &Entry, field: &str) -> Option<String> {
    entry
        .get(field)
        .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
}

fn model(key: &str, entry: &Entry, opts: &Options, out: &mut Import) -> Result<Option<ModelEntry>> {
    let provider = string(entry, "litellm_provider").unwrap_or_else(|| "unknown".into());
    let mode = string(entry, "mode").unwrap_or_default();
    let item = key.to_string();

    // (threshold, tier) → bucket → USD per 1M tokens.
    let mut prices: BTreeMap<(Option<u64>, Option<&'static str>), Buckets> = BTreeMap::new();
    let mut web_search: Option<Decimal> = None;
    let (mut input_audio, mut output_audio) = (None, None);
    for (field, raw) in entry {
        if UPLIFTS.contains(&field.as_str()) {
            out.unmapped(
                "regional uplift multiplier (the log does not say the region)",
                format!("{item}: {field}"),
            );
            continue;
        }
        if field == "search_context_cost_per_query" {
            let sizes: BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(raw.get()).context("`search_context_cost_per_query`")?;
            if let Some(v) = sizes.get("search_context_size_medium") {
                let per_query = decimal(v.get()).context("`search_context_cost_per_query`")?;
                web_search = Some((per_query * Decimal::from(1000)).normalize());
            }
            continue;
        }
        if field == "input_cost_per_audio_token" || field == "output_cost_per_audio_token" {
            let v = per_million(decimal(raw.get()).with_context(|| format!("`{field}`"))?);
            match field.as_str() {
                "input_cost_per_audio_token" => input_audio = Some(v),
                _ => output_audio = Some(v),
            }
            continue;
        }
        if field == "tiered_pricing" {
            out.unmapped("`tiered_pricing` ranges (base price kept)", item.clone());
            continue;
        }
        let Some((threshold, tier, bucket)) = parse_field(field) else {
            if field.contains("cost") && !is_zero(raw.get()) {
                out.unmapped(
                    format!("price `{field}` has no tokenmaxx field (not applied)"),
                    item.clone(),
                );
            }
            continue;
        };
        let Ok(v) = decimal(raw.get()) else {
            bail!("`{field}` is not a price: {}", raw.get());
        };
        let b = prices.entry((threshold, tier)).or_default();
        let slot = match bucket {
            "input" => &mut b.input,
            "output" => &mut b.output,
            "cache_read" => &mut b.cache_read,
            "cache_write_5m" => &mut b.cache_write_5m,
            _ => &mut b.cache_write_1h,
        };
        *slot = Some(per_million(v));
    }

    let base = prices.remove(&(None, None)).unwrap_or_default();
    let Some(input) = base.input else {
        out.unmapped(
            format!("model dropped: no per-token input price (mode `{mode}`)"),
            item,
        );
        return Ok(None);
    };
    let mut note = format!("Imported from LiteLLM ({}), key `{key}`.", opts.label);
    let output = match base.output {
        Some(o) => o,
        None if mode == "embedding" => {
            note.push_str(" No output price: an embedding model, which returns no output tokens.");
            Decimal::ZERO
        }
        None => {
            out.unmapped("model dropped: no output token price", item);
            return Ok(None);
        }
    };

    let thresholds: std::collections::BTreeSet<u64> =
        prices.keys().filter_map(|(t, _)| *t).collect();
    if thresholds.len() > 1 {
        out.unmapped(
            "several long-context thresholds (the lowest is kept; requests above the next are billed at it)",
            format!("{item}: {thresholds:?}"),
        );
    }
    let above = thresholds.iter().next().copied();
    let long_context = above.and_then(|a| {
        prices.get(&(Some(a), None)).map(|b| LongContext {
            above: a,
            input: b.input,
            output: b.output,
            cache_read: b.cache_read,
            cache_write_5m: b.cache_write_5m,
            cache_write_1h: b.cache_write_1h,
        })
    });
    let mut tier = |name: &'static str| -> Option<TierPrices> {
        let base = prices.get(&(None, Some(name)))?.clone();
        let lc = above.and_then(|a| prices.get(&(Some(a), Some(name))).cloned());
        if long_context.is_some() && lc.is_none() {
            out.unmapped(
                format!("{name} prices without long-context prices (that tier is unpriced)"),
                item.clone(),
            );
            return None;
        }
        Some(TierPrices {
            base,
            long_context: lc,
        })
    };
    let batch_prices = tier("batches");
    let flex_prices = tier("flex");
    let priority_prices = tier("priority");

    let source = match string(entry, "source") {
        Some(s) if s.starts_with("https://") => s,
        _ => format!(
            "LiteLLM model_prices_and_context_window.json ({})",
            opts.label
        ),
    };
    // A name that names a region or a government cloud keeps that name;
    // other names are matched after normalization.
    let mut names = vec![key.to_string()];
    if let Some(bare) = key.strip_prefix(&format!("{provider}/"))
        && channel_key(key).is_none()
        && super::FIRST_PARTY.contains(&provider.as_str())
    {
        names.push(bare.to_string());
    }
    let from = names
        .iter()
        .filter_map(|n| snapshot_date(n))
        .min()
        .unwrap_or_else(undated);
    Ok(Some(ModelEntry {
        id: format!("litellm:{key}"),
        provider,
        names,
        tokenizer: None,
        tokenizer_pattern: None,
        tokenizer_exact: true,
        context_window: entry
            .get("max_input_tokens")
            .and_then(|v| v.get().parse::<u64>().ok())
            .filter(|&c| c > 0),
        rows: vec![PriceRow {
            from,
            input,
            output,
            cache_read: base.cache_read,
            cache_write_5m: base.cache_write_5m,
            cache_write_1h: base.cache_write_1h,
            web_search_per_1k: web_search,
            input_audio,
            output_audio,
            batch: None,
            flex: None,
            priority: None,
            batch_prices,
            flex_prices,
            priority_prices,
            long_context,
            source,
            checked: opts.checked.to_string(),
            note: Some(note),
        }],
        origin: String::new(),
    }))
}

/// `input_cost_per_token_above_200k_tokens_priority` → (200000, priority,
/// input). None for a field that is not a per-token price of a bucket.
fn parse_field(field: &str) -> Option<(Option<u64>, Option<&'static str>, &'static str)> {
    let mut rest = field;
    let mut tier = None;
    for t in TIERS {
        if let Some(r) = rest.strip_suffix(&format!("_{t}")) {
            rest = r;
            tier = Some(t);
            break;
        }
    }
    let mut threshold = None;
    if let Some(r) = rest.strip_suffix("_tokens")
        && let Some((head, n)) = r.rsplit_once("_above_")
    {
        let (digits, scale) = match n.as_bytes().last()? {
            b'k' => (&n[..n.len() - 1], 1_000),
            b'm' => (&n[..n.len() - 1], 1_000_000),
            _ => return None,
        };
        threshold = Some(digits.parse::<u64>().ok()? * scale);
        rest = head;
    }
    let bucket = match rest {
        "input_cost_per_token" => "input",
        "output_cost_per_token" => "output",
        "cache_read_input_token_cost" => "cache_read",
        "cache_creation_input_token_cost" => "cache_write_5m",
        "cache_creation_input_token_cost_above_1hr" => "cache_write_1h",
        _ => return None,
    };
    Some((threshold, tier, bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names() {
        assert_eq!(
            parse_field("input_cost_per_token"),
            Some((None, None, "input"))
        );
        assert_eq!(
            parse_field("input_cost_per_token_above_200k_tokens_priority"),
            Some((Some(200_000), Some("priority"), "input"))
        );
        assert_eq!(
            parse_field("cache_creation_input_token_cost_above_1hr_above_200k_tokens"),
            Some((Some(200_000), None, "cache_write_1h"))
        );
        assert_eq!(
            parse_field("cache_read_input_token_cost_batches"),
            Some((None, Some("batches"), "cache_read"))
        );
        assert_eq!(parse_field("input_cost_per_audio_token"), None);
        assert_eq!(parse_field("input_cost_per_token_above_xk_tokens"), None);
    }
}
