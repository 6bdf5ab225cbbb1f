//! `report --format json`: the stable machine shape of SPEC §8.

use std::io::Write;

use anyhow::Result;
use serde_json::{Map, Value, json};

use super::{Exporter, Report, SCHEMA_VERSION, dec, dec_rounded, usage_json};
use crate::aggregate::Stats;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        serde_json::to_writer_pretty(&mut *out, &report_json(report))?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

pub fn report_json(report: &Report) -> Value {
    let agg = report.aggregate;
    let groups: Vec<Value> = agg
        .groups
        .iter()
        .map(|(key, s)| {
            let mut k = Map::new();
            for (d, v) in agg.dims.iter().zip(key) {
                k.insert(d.as_str().to_string(), Value::String(v.clone()));
            }
            let mut g = stats_json(s);
            g.insert("key".into(), Value::Object(k));
            Value::Object(g)
        })
        .collect();
    let mut totals = stats_json(&agg.totals);
    totals.insert(
        "unpriced_models".into(),
        Value::Array(
            agg.unpriced
                .keys()
                .map(|m| Value::String(m.clone()))
                .collect(),
        ),
    );
    totals.insert(
        "unpriced".into(),
        Value::Array(
            agg.unpriced
                .iter()
                .map(|(m, (n, reason))| json!({"model": m, "records": n, "reason": reason}))
                .collect(),
        ),
    );
    let acc = report.accounting;
    json!({
        "schema_version": SCHEMA_VERSION,
        "currency": "USD",
        "group_by": agg.dims.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "groups": groups,
        "totals": totals,
        "skipped": {
            "lines": acc.skipped_lines(),
            "by_reason": acc.skipped,
        },
        "filtered_records": acc.filtered,
        // Where every line read went; the parts add up to `lines`.
        "accounting": {
            "lines": acc.lines,
            "records": acc.records,
            "deduplicated": {
                "records": acc.deduplicated_records(),
                "by_reason": acc.deduplicated,
            },
            "not_billed": {
                "lines": acc.not_billed_lines(),
                "by_reason": acc.not_billed,
            },
            "merged": acc.merged_lines(),
            "skipped": acc.skipped_lines(),
            "filtered": acc.filtered,
        },
    })
}

/// Fields shared by groups and totals. Money is exact decimal strings;
/// derived ratios are rounded and say so in their names' docs (README).
fn stats_json(s: &Stats) -> Map<String, Value> {
    let d = &s.output_per_response;
    let breakdown: Map<String, Value> = s
        .cost_breakdown
        .iter()
        .map(|(k, v)| (k.to_string(), dec(*v)))
        .collect();
    let mut m = Map::new();
    m.insert("records".into(), json!(s.records));
    m.insert("requests".into(), json!(s.requests));
    m.insert("priced_records".into(), json!(s.priced_records));
    m.insert("unpriced_records".into(), json!(s.unpriced_records));
    m.insert("usage".into(), usage_json(&s.usage));
    m.insert("priced_usage".into(), usage_json(&s.priced_usage));
    m.insert("cost_usd".into(), s.known_cost().map_or(Value::Null, dec));
    m.insert("cost_breakdown".into(), Value::Object(breakdown));
    m.insert(
        "cost_per_request_usd".into(),
        s.cost_per_request()
            .map_or(Value::Null, |c| dec_rounded(c, 8)),
    );
    m.insert(
        "output_tokens_per_response".into(),
        json!({
            "mean": d.mean().map_or(Value::Null, |v| dec_rounded(v, 2)),
            "p50": d.percentile(50),
            "p90": d.percentile(90),
            "p99": d.percentile(99),
            "max": d.percentile(100),
            // Mergeable state: [value, count] pairs, ascending.
            "histogram": d.buckets().map(|(v, c)| [v, c]).collect::<Vec<_>>(),
        }),
    );
    m.insert(
        "cache_hit_rate".into(),
        s.cache_hit_rate()
            .map_or(Value::Null, |r| dec_rounded(r, 4)),
    );
    m.insert(
        "reported_cost_usd".into(),
        if s.reported_cost_records > 0 {
            dec(s.reported_cost)
        } else {
            Value::Null
        },
    );
    m.insert("counted_records".into(), json!(s.counted_records));
    m.insert("approx_records".into(), json!(s.approx_records));
    m.insert("undated_records".into(), json!(s.undated_records));
    m.insert("long_context_records".into(), json!(s.long_context_records));
    m
}
