//! `records`: one JSON object per billed record (SPEC §8), as JSONL or CSV.

use std::io::Write;

use anyhow::Result;
use serde_json::{Map, Value, json};

use super::{dec, usage_json};
use crate::bill::{Billed, Pricing};

/// `--format` for `records`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordsFormat {
    #[default]
    Jsonl,
    Csv,
}

pub fn record_json(b: &Billed) -> Value {
    let r = &b.record;
    let (priced, price, cost, breakdown, unpriced_reason, undated, long_context) = match &b.pricing
    {
        Pricing::Priced {
            model_id,
            effective_from,
            source,
            undated,
            cost,
        } => {
            let breakdown: Map<String, Value> = cost
                .breakdown
                .iter()
                .map(|(k, v)| (k.to_string(), dec(*v)))
                .collect();
            (
                true,
                json!({"model": model_id, "effective_from": effective_from.to_string(), "source": source}),
                dec(cost.total),
                Value::Object(breakdown),
                Value::Null,
                *undated,
                cost.long_context,
            )
        }
        Pricing::Unpriced { reason } => (
            false,
            Value::Null,
            Value::Null,
            Value::Object(Map::new()),
            Value::String(reason.clone()),
            false,
            false,
        ),
    };
    json!({
        "source": {"path": &*r.source.path, "line": r.source.line},
        "format": r.format.as_str(),
        "provider": r.provider,
        "model": r.model,
        "timestamp": r.timestamp.map(|t| t.to_string()),
        "task": r.task,
        "session": r.session,
        "project": r.project,
        "requests": r.requests,
        "service_tier": r.service_tier.as_str(),
        "usage": usage_json(&b.usage),
        "usage_source": b.usage_source.as_str(),
        "counted": b.counted.as_ref().map(|c| json!({
            "prompt": c.prompt, "response": c.response, "tokenizer": c.tokenizer, "exact": c.exact,
        })),
        "priced": priced,
        "price": price,
        "cost_usd": cost,
        "cost_breakdown": breakdown,
        "unpriced_reason": unpriced_reason,
        "undated": undated,
        "long_context": long_context,
        "web_search_requests": r.web_search_requests,
        "reported_cost_usd": r.reported_cost_usd.map(dec),
    })
}

pub fn write_jsonl(b: &Billed, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer(&mut *out, &record_json(b))?;
    out.write_all(b"\n")?;
    Ok(())
}

pub const CSV_HEADER: &[&str] = &[
    "path",
    "line",
    "format",
    "provider",
    "model",
    "timestamp",
    "task",
    "session",
    "service_tier",
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "reasoning",
    "usage_source",
    "tokenizer",
    "priced",
    "price_model",
    "effective_from",
    "cost_usd",
    "reported_cost_usd",
    // Added after v0.1: appended so that positional readers keep working.
    "project",
    "requests",
];

pub fn csv_row(b: &Billed) -> Vec<String> {
    let r = &b.record;
    let u = &b.usage;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (price_model, from, cost) = match &b.pricing {
        Pricing::Priced {
            model_id,
            effective_from,
            cost,
            ..
        } => (
            model_id.clone(),
            effective_from.to_string(),
            cost.total.normalize().to_string(),
        ),
        Pricing::Unpriced { .. } => Default::default(),
    };
    vec![
        r.source.path.to_string(),
        r.source.line.to_string(),
        r.format.as_str().into(),
        s(&r.provider),
        s(&r.model),
        r.timestamp.map(|t| t.to_string()).unwrap_or_default(),
        s(&r.task),
        s(&r.session),
        r.service_tier.as_str().into(),
        u.input.to_string(),
        u.cache_read.to_string(),
        u.cache_write_5m.to_string(),
        u.cache_write_1h.to_string(),
        u.output.to_string(),
        u.reasoning.to_string(),
        b.usage_source.as_str().into(),
        b.counted
            .as_ref()
            .map(|c| c.tokenizer.clone())
            .unwrap_or_default(),
        matches!(b.pricing, Pricing::Priced { .. }).to_string(),
        price_model,
        from,
        cost,
        r.reported_cost_usd
            .map(|d| d.normalize().to_string())
            .unwrap_or_default(),
        s(&r.project),
        r.requests.to_string(),
    ]
}
