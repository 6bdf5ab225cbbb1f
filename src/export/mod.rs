//! Rendering reports. One small trait, one file per output format, like
//! hyperfine's `export/`. All formats read the same [`Report`].

use std::io::Write;

use anyhow::Result;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use crate::aggregate::{Aggregate, Stats};
use crate::fmt::{money, opt_count as opt_num, percent, plural, thousands, title};
use crate::record::Usage;
use crate::run::Accounting;

mod csv;
mod json;
mod markdown;
pub mod records;
mod sections;
mod table;

pub use sections::{Metric, ReportOptions};

/// Version of the JSON shapes in SPEC §8; bumped on any rename or removal.
pub const SCHEMA_VERSION: u32 = 1;

/// `--format` for `report`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Csv,
    Markdown,
}

/// A renderer of reports.
pub trait Exporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()>;
}

pub fn exporter(format: ReportFormat) -> Box<dyn Exporter> {
    match format {
        ReportFormat::Table => Box::new(table::TableExporter),
        ReportFormat::Json => Box::new(json::JsonExporter),
        ReportFormat::Csv => Box::new(csv::CsvExporter),
        ReportFormat::Markdown => Box::new(markdown::MarkdownExporter),
    }
}

/// Everything a report shows.
pub struct Report<'a> {
    pub aggregate: &'a Aggregate,
    pub accounting: &'a Accounting,
    pub options: &'a ReportOptions,
}

/// A column of a human-readable table. `drop_rank` 0 columns always stay;
/// on a narrow terminal the highest ranks are dropped first.
pub(crate) struct Column {
    pub title: String,
    pub drop_rank: u8,
    pub numeric: bool,
}

/// Columns of the human-readable report (table, markdown), in order.
pub(crate) fn human_columns(report: &Report) -> Vec<Column> {
    let col = |title: &str, drop_rank: u8, numeric: bool| Column {
        title: title.to_string(),
        drop_rank,
        numeric,
    };
    let mut cols: Vec<Column> = report
        .aggregate
        .dims
        .iter()
        .map(|d| col(&title(d.as_str()), 0, false))
        .collect();
    if cols.is_empty() {
        cols.push(col("All", 0, false));
    }
    cols.push(col("Records", 0, true));
    if report.aggregate.totals.unpriced_records > 0 {
        cols.push(col("Unpriced", 1, true));
    }
    for (t, r) in [
        ("Input", 1),
        ("Cache read", 2),
        ("Cache write", 4),
        ("Output", 1),
        ("Total tokens", 2),
        ("Reasoning", 5),
        ("Cost (USD)", 0),
        ("$/request", 3),
        ("Out/resp p50", 4),
        ("Out/resp p90", 5),
        ("Cache hit", 3),
    ] {
        cols.push(col(t, r, true));
    }
    cols
}

/// One row of cells matching [`human_columns`]: the key values, then
/// formatted metrics.
pub(crate) fn human_row(report: &Report, key: &[String], s: &Stats) -> Vec<String> {
    let mut row: Vec<String> = key.to_vec();
    if row.is_empty() {
        row.push("all".into());
    }
    row.push(thousands(s.records));
    if report.aggregate.totals.unpriced_records > 0 {
        row.push(thousands(s.unpriced_records));
    }
    let u = &s.usage;
    for n in [
        u.input,
        u.cache_read,
        u.cache_write_5m.saturating_add(u.cache_write_1h),
        u.output,
        u.total(),
        u.reasoning,
    ] {
        row.push(thousands(n));
    }
    row.push(s.known_cost().map_or("unpriced".into(), |c| money(c, 4)));
    row.push(s.cost_per_request().map_or("-".into(), |c| money(c, 6)));
    row.push(opt_num(s.output_per_response.percentile(50)));
    row.push(opt_num(s.output_per_response.percentile(90)));
    row.push(s.cache_hit_rate().map_or("-".into(), percent));
    row
}

/// Rows of the human-readable report: one per group, then the totals
/// (labelled `label` in the first key column). Without `--by` the single
/// group is the totals and appears once.
pub(crate) fn human_rows(report: &Report, label: &str) -> Vec<Vec<String>> {
    let agg = report.aggregate;
    if agg.dims.is_empty() {
        return vec![human_row(report, &[], &agg.totals)];
    }
    let mut rows: Vec<Vec<String>> = agg
        .groups
        .iter()
        .map(|(k, s)| human_row(report, k, s))
        .collect();
    let mut total = human_row(report, &[], &agg.totals);
    let mut lead = vec![String::new(); agg.dims.len()];
    lead[0] = label.to_string();
    total.splice(0..1, lead);
    rows.push(total);
    rows
}

/// Lines printed under a human-readable table: what the totals leave out.
pub(crate) fn notes(report: &Report) -> Vec<String> {
    let t = &report.aggregate.totals;
    let mut notes = Vec::new();
    if t.unpriced_records > 0 {
        let models: Vec<String> = report
            .aggregate
            .unpriced
            .iter()
            .map(|(m, (n, reason))| format!("{m} ×{n} ({reason})"))
            .collect();
        notes.push(format!(
            "Cost totals exclude {} unpriced record{}: {}.",
            t.unpriced_records,
            plural(t.unpriced_records),
            models.join("; ")
        ));
    }
    if t.approx_records > 0 {
        notes.push(format!(
            "{} record{} counted with an approximate tokenizer (no public tokenizer for the model).",
            t.approx_records,
            plural(t.approx_records)
        ));
    }
    if t.undated_records > 0 {
        notes.push(format!(
            "{} record{} had no timestamp and {} priced at the latest price.",
            t.undated_records,
            plural(t.undated_records),
            if t.undated_records == 1 {
                "was"
            } else {
                "were"
            }
        ));
    }
    if t.reported_cost_records > 0 {
        notes.push(format!(
            "Logs carried their own cost for {} record{}: {} (not used in the totals above).",
            t.reported_cost_records,
            plural(t.reported_cost_records),
            money(t.reported_cost, 4)
        ));
    }
    if let Some(line) = accounting_note(report.accounting) {
        notes.push(line);
    }
    notes
}

/// Where every line read went, when anything other than "one line, one
/// record" happened: the parts add up to the lines read.
pub fn accounting_note(acc: &Accounting) -> Option<String> {
    let merged = acc.merged_lines();
    if acc.lines == acc.records {
        return None;
    }
    let by = |m: &std::collections::BTreeMap<String, u64>| -> String {
        let parts: Vec<String> = m.iter().map(|(r, n)| format!("{r} {n}")).collect();
        parts.join(", ")
    };
    let mut first = format!("{} record{}", thousands(acc.records), plural(acc.records));
    if acc.unpriced > 0 {
        first.push_str(&format!(" ({} unpriced)", thousands(acc.unpriced)));
    }
    let mut parts = vec![first];
    let dedup = acc.deduplicated_records();
    if dedup > 0 {
        parts.push(format!(
            "{} duplicate{} dropped ({})",
            thousands(dedup),
            plural(dedup),
            by(&acc.deduplicated)
        ));
    }
    let not_billed = acc.not_billed_lines();
    if not_billed > 0 {
        parts.push(format!(
            "{} not billed ({})",
            thousands(not_billed),
            by(&acc.not_billed)
        ));
    }
    if merged > 0 {
        parts.push(format!(
            "{} merged into other records (request/response pairs, stream chunks)",
            thousands(merged)
        ));
    }
    let skipped = acc.skipped_lines();
    if skipped > 0 {
        parts.push(format!(
            "{} skipped ({})",
            thousands(skipped),
            by(&acc.skipped)
        ));
    }
    if acc.filtered > 0 {
        parts.push(format!(
            "{} outside --since/--until (or without a timestamp)",
            thousands(acc.filtered)
        ));
    }
    Some(format!(
        "Read {} line{}: {}.",
        thousands(acc.lines),
        plural(acc.lines),
        parts.join("; ")
    ))
}

/// Exact decimal as a JSON string, without trailing zeros.
pub(crate) fn dec(d: Decimal) -> Value {
    Value::String(d.normalize().to_string())
}

/// A derived (divided) decimal: rounded to `places`, as a JSON string.
pub(crate) fn dec_rounded(d: Decimal, places: u32) -> Value {
    dec(d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven))
}

pub(crate) fn usage_json(u: &Usage) -> Value {
    json!({
        "input": u.input,
        "cache_read": u.cache_read,
        "cache_write_5m": u.cache_write_5m,
        "cache_write_1h": u.cache_write_1h,
        "output": u.output,
        "reasoning": u.reasoning,
        "total": u.total(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimals_in_json_are_exact_strings() {
        assert_eq!(
            dec(Decimal::from_str("0.00176000").unwrap()),
            json!("0.00176")
        );
        assert_eq!(dec(Decimal::ZERO), json!("0"));
    }
}
