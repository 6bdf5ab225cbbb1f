//! `report --format json`: the stable machine shape of SPEC §8.

use std::io::Write;

use anyhow::Result;
use serde_json::{Map, Value, json};

use super::{Exporter, Report, SCHEMA_VERSION, dec, dec_rounded, usage_json};
use crate::aggregate::{Distribution, MoneySummary, Stats, Tasks};

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
    let tol = report.options.drift_tolerance;
    let drift: Vec<Value> = agg
        .drift
        .iter()
        .map(|(model, d)| {
            json!({
                "model": model,
                "prompt_records": d.prompt_records,
                "reported_prompt_tokens": d.reported_prompt,
                "counted_prompt_tokens": d.counted_prompt,
                "prompt_ratio": d.prompt_ratio().map_or(Value::Null, |r| dec_rounded(r, 4)),
                "response_records": d.response_records,
                "reported_response_tokens": d.reported_response,
                "counted_response_tokens": d.counted_response,
                "response_ratio": d.response_ratio().map_or(Value::Null, |r| dec_rounded(r, 4)),
                "exact_tokenizer": d.exact,
                "flagged": d.flagged(tol),
            })
        })
        .collect();
    let top: Vec<Value> = agg
        .totals
        .tasks
        .top(report.options.top)
        .into_iter()
        .map(|(name, t)| {
            json!({
                "task": name,
                "requests": t.requests,
                "tokens": t.tokens,
                "output_tokens": t.output,
                "cost_usd": dec(t.cost),
                "outcome": t.outcome(),
            })
        })
        .collect();
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
        "drift": {
            "tolerance_pct": dec(tol),
            "models": drift,
        },
        "top_tasks": top,
        // Where every line read went; the parts add up to `lines`.
        "accounting": {
            "lines": acc.lines,
            "records": acc.records,
            "unpriced_records": acc.unpriced,
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
    m.insert("priced_requests".into(), json!(s.priced_requests));
    m.insert("priced_request_cost_usd".into(), dec(s.request_cost));
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
    m.insert("tasks".into(), tasks_json(&s.tasks));
    m.insert("density".into(), density_json(s));
    m.insert(
        "verbosity".into(),
        json!({
            "output_input_ratio": s.output_input_ratio().map_or(Value::Null, |r| dec_rounded(r, 4)),
            "reasoning_share": s.reasoning_share().map_or(Value::Null, |r| dec_rounded(r, 4)),
        }),
    );
    m.insert(
        "cache".into(),
        json!({
            "hit_rate": s.cache_hit_rate().map_or(Value::Null, |r| dec_rounded(r, 4)),
            "savings_usd": dec(s.cache_savings),
            "write_premium_usd": dec(s.cache_write_premium),
            "net_savings_usd": dec(s.cache_savings - s.cache_write_premium),
        }),
    );
    m.insert(
        "reported_cost_records".into(),
        json!(s.reported_cost_records),
    );
    m.insert("counted_records".into(), json!(s.counted_records));
    m.insert("approx_records".into(), json!(s.approx_records));
    m.insert("undated_records".into(), json!(s.undated_records));
    m.insert("long_context_records".into(), json!(s.long_context_records));
    m
}

fn dist_json(d: &Distribution) -> Value {
    json!({
        "mean": d.mean().map_or(Value::Null, |v| dec_rounded(v, 2)),
        "p50": d.percentile(50),
        "p90": d.percentile(90),
        "p99": d.percentile(99),
        "max": d.percentile(100),
    })
}

fn money_json(m: Option<MoneySummary>) -> Value {
    match m {
        None => Value::Null,
        Some(m) => json!({
            "mean": dec_rounded(m.mean, 8),
            "p50": dec(m.p50),
            "p90": dec(m.p90),
            "p95": dec(m.p95),
            "p99": dec(m.p99),
            "max": dec(m.max),
        }),
    }
}

/// Per-task figures, and the per-task state they come from (so that shard
/// reports merge exactly: `[task, requests, tokens, output_tokens,
/// cost_usd, unpriced_records, successes, failures]`).
fn tasks_json(t: &Tasks) -> Value {
    let state: Vec<Value> = t
        .by_task
        .iter()
        .map(|(name, s)| {
            json!([
                name,
                s.requests,
                s.tokens,
                s.output,
                dec(s.cost),
                s.unpriced,
                s.successes,
                s.failures
            ])
        })
        .collect();
    json!({
        "count": t.count(),
        "records_without_task": t.records_without_task,
        "unpriced_tasks": t.unpriced_tasks(),
        "requests_per_task": dist_json(&t.requests_per_task()),
        "tokens_per_task": dist_json(&t.tokens_per_task()),
        "cost_per_task_usd": money_json(t.cost_per_task()),
        "tasks_with_outcome": t.tasks_with_outcome(),
        "successful_tasks": t.successful_tasks(),
        "cost_per_successful_task_usd": t
            .cost_per_successful_task()
            .map_or(Value::Null, |c| dec_rounded(c, 8)),
        "state": state,
    })
}

/// Density counts (mergeable) and the ratios derived from them; all zero
/// and null when no response text was measured (`--metrics density`).
fn density_json(s: &Stats) -> Value {
    let d = &s.density;
    let r = |v: Option<rust_decimal::Decimal>| v.map_or(Value::Null, dec);
    json!({
        "responses": d.responses,
        "chars": d.chars,
        "raw_bytes": d.raw_bytes,
        "compressed_bytes": d.compressed_bytes,
        "words": d.words,
        "ngrams": d.ngrams,
        "repeated_ngrams": d.repeated_ngrams,
        "filler_words": d.filler_words,
        "lines": d.lines,
        "distinct_lines": d.distinct_lines,
        "visible_output_tokens": s.density_output,
        "chars_per_token": r(d.chars_per_token(s.density_output)),
        "compressibility": r(d.compressibility()),
        "repeated_ngram_share": r(d.repeated_ngram_share()),
        "filler_share": r(d.filler_share()),
        "tokens_per_distinct_line": r(d.tokens_per_distinct_line(s.density_output)),
    })
}
