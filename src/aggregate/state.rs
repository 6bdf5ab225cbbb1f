//! Reading a `report --format json` back into exact state, for `merge` (shard
//! reports combined) and `check` (a saved baseline). Everything the report
//! computes from is in the JSON: sums as integers and exact decimal strings,
//! the output-per-response histogram, per-task state, density counts, drift
//! sums. Derived figures (means, percentiles, ratios) are recomputed, never
//! read back.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::tasks::TaskStats;
use super::{Aggregate, Dimension, Distribution, Drift, Stats};
use crate::record::Usage;
use crate::run::Accounting;

/// A report read back: its aggregate and its accounting.
#[derive(Clone, Debug)]
pub struct ReportState {
    pub aggregate: Aggregate,
    pub accounting: Accounting,
}

type R<T> = Result<T, String>;

fn field<'v>(v: &'v Value, key: &str, at: &str) -> R<&'v Value> {
    v.get(key).ok_or_else(|| format!("{at}: missing `{key}`"))
}

fn uint(v: &Value, key: &str, at: &str) -> R<u64> {
    field(v, key, at)?
        .as_u64()
        .ok_or_else(|| format!("{at}: `{key}` is not a non-negative integer"))
}

fn opt_uint(v: &Value, key: &str, at: &str) -> R<Option<u64>> {
    match v.get(key) {
        None => Ok(None),
        Some(_) => uint(v, key, at).map(Some),
    }
}

fn uint_or_zero(v: &Value, key: &str, at: &str) -> R<u64> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(_) => uint(v, key, at),
    }
}

fn money(v: &Value, at: &str) -> R<Decimal> {
    match v {
        Value::String(s) => {
            Decimal::from_str(s).map_err(|_| format!("{at}: `{s}` is not a decimal"))
        }
        Value::Null => Ok(Decimal::ZERO),
        other => Err(format!("{at}: expected a decimal string, got {other}")),
    }
}

fn usage(v: &Value, at: &str) -> R<Usage> {
    Ok(Usage {
        input: uint(v, "input", at)?,
        cache_read: uint(v, "cache_read", at)?,
        cache_write_5m: uint(v, "cache_write_5m", at)?,
        cache_write_1h: uint(v, "cache_write_1h", at)?,
        output: uint(v, "output", at)?,
        reasoning: uint(v, "reasoning", at)?,
    })
}

/// Bucket names of `cost_breakdown` (keys are static in [`Stats`]).
const BUCKETS: &[&str] = &[
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "web_search",
];

/// One group's (or the totals') stats from its JSON object. Fields added
/// after the first release (request counts, cache economics, task state,
/// density) may be missing from an older report, a baseline saved by an
/// earlier tokenmaxx: they read as absent (zero, no tasks) rather than
/// making the report unreadable; the figures they feed then show as not
/// measured.
pub fn stats_from_json(v: &Value, at: &str) -> R<Stats> {
    let records = uint(v, "records", at)?;
    let priced_records = uint(v, "priced_records", at)?;
    let cost = money(field(v, "cost_usd", at)?, &format!("{at}.cost_usd"))?;
    let mut s = Stats {
        records,
        requests: opt_uint(v, "requests", at)?.unwrap_or(records),
        priced_records,
        priced_requests: opt_uint(v, "priced_requests", at)?.unwrap_or(priced_records),
        request_cost: match v.get("priced_request_cost_usd") {
            Some(x) => money(x, &format!("{at}.priced_request_cost_usd"))?,
            None => cost,
        },
        unpriced_records: uint(v, "unpriced_records", at)?,
        usage: usage(field(v, "usage", at)?, &format!("{at}.usage"))?,
        priced_usage: usage(field(v, "priced_usage", at)?, &format!("{at}.priced_usage"))?,
        cost,
        approx_records: uint(v, "approx_records", at)?,
        counted_records: uint(v, "counted_records", at)?,
        undated_records: uint(v, "undated_records", at)?,
        long_context_records: uint(v, "long_context_records", at)?,
        reported_cost: money(
            field(v, "reported_cost_usd", at)?,
            &format!("{at}.reported_cost_usd"),
        )?,
        reported_cost_records: opt_uint(v, "reported_cost_records", at)?.unwrap_or(0),
        ..Stats::default()
    };
    if let Some(b) = field(v, "cost_breakdown", at)?.as_object() {
        for (k, x) in b {
            let name = BUCKETS
                .iter()
                .find(|n| **n == k)
                .ok_or_else(|| format!("{at}.cost_breakdown: unknown bucket `{k}`"))?;
            s.cost_breakdown
                .insert(name, money(x, &format!("{at}.cost_breakdown.{k}"))?);
        }
    }
    let hist = field(v, "output_tokens_per_response", at)?
        .get("histogram")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{at}: missing `output_tokens_per_response.histogram`"))?;
    s.output_per_response = histogram(hist, at)?;
    if let Some(cache) = v.get("cache") {
        s.cache_savings = money(field(cache, "savings_usd", at)?, at)?;
        s.cache_write_premium = money(field(cache, "write_premium_usd", at)?, at)?;
    }
    let Some(tasks) = v.get("tasks") else {
        read_density(v, &mut s, at)?;
        return Ok(s);
    };
    s.tasks.records_without_task = uint(tasks, "records_without_task", at)?;
    for (i, row) in field(tasks, "state", at)?
        .as_array()
        .ok_or_else(|| format!("{at}.tasks.state: not a list"))?
        .iter()
        .enumerate()
    {
        let at = format!("{at}.tasks.state[{i}]");
        let cells = row
            .as_array()
            .filter(|c| c.len() == 8)
            .ok_or_else(|| format!("{at}: expected 8 values"))?;
        let n = |j: usize| {
            cells[j]
                .as_u64()
                .ok_or_else(|| format!("{at}: value {j} is not an integer"))
        };
        let name = cells[0]
            .as_str()
            .ok_or_else(|| format!("{at}: task name is not a string"))?;
        let t = TaskStats {
            requests: n(1)?,
            tokens: n(2)?,
            output: n(3)?,
            cost: money(&cells[4], &at)?,
            unpriced: n(5)?,
            successes: n(6)?,
            failures: n(7)?,
        };
        s.tasks
            .by_task
            .entry(name.to_string())
            .or_default()
            .merge(&t);
    }
    read_density(v, &mut s, at)?;
    Ok(s)
}

fn histogram(pairs: &[Value], at: &str) -> R<Distribution> {
    let mut d = Distribution::default();
    for p in pairs {
        let (v, c) = match p.as_array().map(Vec::as_slice) {
            Some([v, c]) => (v.as_u64(), c.as_u64()),
            _ => (None, None),
        };
        match (v, c) {
            (Some(v), Some(c)) => d.add_n(v, c),
            _ => return Err(format!("{at}: histogram entries are [value, count]")),
        }
    }
    Ok(d)
}

/// Density counts; absent in reports that measured no text.
fn read_density(v: &Value, s: &mut Stats, at: &str) -> R<()> {
    let Some(d) = v.get("density").filter(|d| d.is_object()) else {
        return Ok(());
    };
    let at = format!("{at}.density");
    s.density = crate::metrics::density::Density {
        responses: uint(d, "responses", &at)?,
        chars: uint(d, "chars", &at)?,
        raw_bytes: uint(d, "raw_bytes", &at)?,
        compressed_bytes: uint(d, "compressed_bytes", &at)?,
        words: uint(d, "words", &at)?,
        ngrams: uint(d, "ngrams", &at)?,
        repeated_ngrams: uint(d, "repeated_ngrams", &at)?,
        filler_words: uint(d, "filler_words", &at)?,
        lines: uint(d, "lines", &at)?,
        distinct_lines: uint(d, "distinct_lines", &at)?,
    };
    s.density_output = uint(d, "visible_output_tokens", &at)?;
    Ok(())
}

fn accounting(v: &Value, totals: &Stats) -> R<Accounting> {
    let at = "accounting";
    let map = |x: &Value, at: &str| -> R<BTreeMap<String, u64>> {
        x.as_object()
            .ok_or_else(|| format!("{at}: not an object"))?
            .iter()
            .map(|(k, n)| {
                n.as_u64()
                    .map(|n| (k.clone(), n))
                    .ok_or_else(|| format!("{at}.{k}: not an integer"))
            })
            .collect()
    };
    let skipped = map(
        field(field(v, "skipped", "report")?, "by_reason", "skipped")?,
        "skipped.by_reason",
    )?;
    let Some(a) = v.get("accounting") else {
        // A report from before the line accounting: what it knew.
        let filtered = opt_uint(v, "filtered_records", "report")?.unwrap_or(0);
        let skipped_lines: u64 = skipped.values().sum();
        return Ok(Accounting {
            lines: totals.records + skipped_lines + filtered,
            records: totals.records,
            unpriced: totals.unpriced_records,
            skipped,
            filtered,
            ..Accounting::default()
        });
    };
    Ok(Accounting {
        lines: uint(a, "lines", at)?,
        records: uint(a, "records", at)?,
        unpriced: uint_or_zero(a, "unpriced_records", at)?,
        skipped,
        filtered: uint(a, "filtered", at)?,
        deduplicated: map(
            field(field(a, "deduplicated", at)?, "by_reason", at)?,
            "accounting.deduplicated.by_reason",
        )?,
        not_billed: map(
            field(field(a, "not_billed", at)?, "by_reason", at)?,
            "accounting.not_billed.by_reason",
        )?,
    })
}

/// Read a whole report. `tz` is only used by later `add` calls (merged
/// reports never re-derive day keys).
pub fn report_from_json(v: &Value) -> R<ReportState> {
    let version = uint(v, "schema_version", "report")?;
    if version != u64::from(crate::export::SCHEMA_VERSION) {
        return Err(format!(
            "schema_version {version}, this tokenmaxx reads {}",
            crate::export::SCHEMA_VERSION
        ));
    }
    let dims: Vec<Dimension> = field(v, "group_by", "report")?
        .as_array()
        .ok_or("report: `group_by` is not a list")?
        .iter()
        .map(|d| {
            d.as_str()
                .and_then(Dimension::from_name)
                .ok_or_else(|| format!("report: unknown dimension {d}"))
        })
        .collect::<R<_>>()?;
    let mut agg = Aggregate::new(dims.clone(), jiff::tz::TimeZone::UTC);
    for (i, g) in field(v, "groups", "report")?
        .as_array()
        .ok_or("report: `groups` is not a list")?
        .iter()
        .enumerate()
    {
        let at = format!("groups[{i}]");
        let key_obj = field(g, "key", &at)?;
        let key: Vec<String> = dims
            .iter()
            .map(|d| {
                key_obj
                    .get(d.as_str())
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| format!("{at}.key: missing `{}`", d.as_str()))
            })
            .collect::<R<_>>()?;
        let s = stats_from_json(g, &at)?;
        agg.groups.entry(key).or_default().merge(&s);
    }
    let totals = field(v, "totals", "report")?;
    agg.totals = stats_from_json(totals, "totals")?;
    if let Some(list) = totals.get("unpriced").and_then(Value::as_array) {
        for u in list {
            let model = u.get("model").and_then(Value::as_str).unwrap_or("");
            let n = uint_or_zero(u, "records", "totals.unpriced")?;
            let reason = u.get("reason").and_then(Value::as_str).unwrap_or("");
            agg.unpriced
                .insert(model.to_string(), (n, reason.to_string()));
        }
    }
    if let Some(models) = v.pointer("/drift/models").and_then(Value::as_array) {
        for m in models {
            let at = "drift.models";
            let d = Drift {
                prompt_records: uint(m, "prompt_records", at)?,
                reported_prompt: uint(m, "reported_prompt_tokens", at)?,
                counted_prompt: uint(m, "counted_prompt_tokens", at)?,
                response_records: uint(m, "response_records", at)?,
                reported_response: uint(m, "reported_response_tokens", at)?,
                counted_response: uint(m, "counted_response_tokens", at)?,
                exact: m.get("exact_tokenizer").and_then(Value::as_bool) == Some(true),
            };
            let name = m.get("model").and_then(Value::as_str).unwrap_or("");
            agg.drift.entry(name.to_string()).or_default().merge(&d);
        }
    }
    let accounting = accounting(v, &agg.totals)?;
    Ok(ReportState {
        aggregate: agg,
        accounting,
    })
}

impl ReportState {
    /// Add another shard's report: every sum exact, distributions merged
    /// from their state. Both must group by the same dimensions.
    pub fn merge(&mut self, o: &ReportState) -> R<()> {
        if self.aggregate.dims != o.aggregate.dims {
            return Err(format!(
                "reports group by different dimensions ({} vs {})",
                dims_str(&self.aggregate.dims),
                dims_str(&o.aggregate.dims)
            ));
        }
        let a = &mut self.aggregate;
        for (k, s) in &o.aggregate.groups {
            a.groups.entry(k.clone()).or_default().merge(s);
        }
        a.totals.merge(&o.aggregate.totals);
        for (m, (n, reason)) in &o.aggregate.unpriced {
            let e = a.unpriced.entry(m.clone()).or_insert((0, reason.clone()));
            e.0 += n;
        }
        for (m, d) in &o.aggregate.drift {
            a.drift.entry(m.clone()).or_default().merge(d);
        }
        self.accounting.merge(&o.accounting);
        Ok(())
    }
}

fn dims_str(d: &[Dimension]) -> String {
    if d.is_empty() {
        return "nothing".into();
    }
    d.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(",")
}
