//! `records`: one JSON object per billed record (docs/json.md, records), as
//! JSONL or CSV (Parquet: `super::parquet`).

use std::io::Write;

use super::columns;
use crate::aggregate::doc::usage_doc;
use crate::bill::{Billed, Pricing};
use crate::schema::records::{CountedDoc, PriceRefDoc, RecordDoc, SourceDoc};
use crate::schema::{Dec, OrderedMap};
use anyhow::Result;

/// `--format` for `records`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordsFormat {
    #[default]
    Jsonl,
    Csv,
    Parquet,
}

/// The record's document (docs/json.md, records).
pub fn record_doc(b: &Billed) -> RecordDoc<'_> {
    let r = &b.record;
    let (price, cost, breakdown, unpriced_reason, undated, long_context) = match &b.pricing {
        Pricing::Priced {
            model_id,
            effective_from,
            source,
            undated,
            cost,
        } => (
            Some(PriceRefDoc {
                model: model_id,
                effective_from: effective_from.to_string(),
                source,
            }),
            Some(Dec(cost.total)),
            OrderedMap(cost.breakdown.iter().map(|(k, v)| (*k, Dec(*v))).collect()),
            None,
            *undated,
            cost.long_context,
        ),
        Pricing::Unpriced { reason } => (
            None,
            None,
            OrderedMap::default(),
            Some(reason.as_str()),
            false,
            false,
        ),
    };
    RecordDoc {
        source: SourceDoc {
            path: &r.source.path,
            line: r.source.line,
        },
        format: r.format.as_str(),
        provider: r.provider.as_deref(),
        model: r.model.as_deref(),
        timestamp: r.timestamp.map(|t| t.to_string()),
        task: r.task.as_deref(),
        session: r.session.as_deref(),
        project: r.project.as_deref(),
        requests: r.requests,
        service_tier: r.service_tier.as_str(),
        usage: usage_doc(&b.usage),
        usage_source: b.usage_source.as_str(),
        counted: b.counted.as_ref().map(|c| CountedDoc {
            prompt: c.prompt,
            response: c.response,
            tokenizer: &c.tokenizer,
            exact: c.exact,
        }),
        priced: price.is_some(),
        price,
        cost_usd: cost,
        cost_breakdown: breakdown,
        unpriced_reason,
        undated,
        long_context,
        web_search_requests: r.web_search_requests,
        audio_tokens: r.audio.total(),
        audio_input_tokens: r.audio.input,
        audio_output_tokens: r.audio.output,
        reported_cost_usd: r.reported_cost_usd.map(Dec),
    }
}

pub fn write_jsonl(b: &Billed, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer(&mut *out, &record_doc(b))?;
    out.write_all(b"\n")?;
    Ok(())
}

/// `records --format csv`: the header row.
pub fn csv_header() -> impl Iterator<Item = &'static str> {
    columns::RECORDS_CSV.iter().map(|c| c.title)
}

/// `records --format csv`: one record's row.
pub fn csv_row(b: &Billed) -> impl Iterator<Item = String> + '_ {
    columns::RECORDS_CSV.iter().map(move |c| (c.cell)(b))
}
