//! Every column of every report view, as data: a title, how important it
//! is when the terminal is narrow, and the function that fills its cell.
//! A column's title and its cell are one entry, so they cannot drift apart;
//! adding a column to a view is one entry here. Table and Markdown render
//! the human views, CSV its own (exact values, stable names, and new
//! columns last so positional readers keep working).

use rust_decimal::Decimal;

use crate::aggregate::{Drift, MoneySummary, Stats, TaskStats};
use crate::bill::{Billed, Pricing};
use crate::fmt::{money, opt_count, percent, thousands};

/// One column of a view over rows of `T`.
pub(crate) struct Column<T: ?Sized> {
    /// The header: a title for people, a field name in CSV.
    pub title: &'static str,
    /// 0: always shown; on a narrow terminal the highest rank goes first.
    pub drop_rank: u8,
    /// Right-aligned.
    pub numeric: bool,
    pub cell: fn(&T) -> String,
}

const fn num<T: ?Sized>(title: &'static str, drop_rank: u8, cell: fn(&T) -> String) -> Column<T> {
    Column {
        title,
        drop_rank,
        numeric: true,
        cell,
    }
}

const fn text<T: ?Sized>(title: &'static str, drop_rank: u8, cell: fn(&T) -> String) -> Column<T> {
    Column {
        title,
        drop_rank,
        numeric: false,
        cell,
    }
}

fn cache_write(s: &Stats) -> u64 {
    s.usage
        .cache_write_5m
        .saturating_add(s.usage.cache_write_1h)
}

fn opt_money(v: Option<Decimal>, places: u32) -> String {
    v.map_or("-".into(), |d| money(d, places))
}

fn opt_ratio(v: Option<Decimal>) -> String {
    v.map_or("-".into(), |d| crate::fmt::fixed(d.round_dp(2), 2))
}

fn opt_percent(v: Option<Decimal>) -> String {
    v.map_or("-".into(), percent)
}

/// The main table, after the key columns. `Unpriced` is shown only when a
/// record is unpriced (see [`SUMMARY_UNPRICED`]).
pub(crate) const SUMMARY: &[Column<Stats>] = &[
    num("Records", 0, |s| thousands(s.records)),
    num("Unpriced", 1, |s| thousands(s.unpriced_records)),
    // Input, output and cost stay at any width: what a report is for.
    num("Input", 0, |s| thousands(s.usage.input)),
    num("Cache read", 2, |s| thousands(s.usage.cache_read)),
    num("Cache write", 4, |s| thousands(cache_write(s))),
    num("Output", 0, |s| thousands(s.usage.output)),
    num("Total tokens", 2, |s| thousands(s.usage.total())),
    num("Reasoning", 5, |s| thousands(s.usage.reasoning)),
    num("Cost (USD)", 0, |s| {
        s.known_cost().map_or("unpriced".into(), |c| money(c, 4))
    }),
    num("$/request", 3, |s| opt_money(s.cost_per_request(), 6)),
    num("Out/resp p50", 4, |s| {
        opt_count(s.output_per_response.percentile(50))
    }),
    num("Out/resp p90", 5, |s| {
        opt_count(s.output_per_response.percentile(90))
    }),
    num("Cache hit", 3, |s| opt_percent(s.cache_hit_rate())),
];

/// The title in [`SUMMARY`] left out when every record is priced.
pub(crate) const SUMMARY_UNPRICED: &str = "Unpriced";

/// `report --format csv`, after the key columns: exact numbers, no
/// separators, money as exact decimals, empty where there is no value.
pub(crate) const CSV: &[Column<Stats>] = &[
    num("records", 0, |s| s.records.to_string()),
    num("unpriced_records", 0, |s| s.unpriced_records.to_string()),
    num("input", 0, |s| s.usage.input.to_string()),
    num("cache_read", 0, |s| s.usage.cache_read.to_string()),
    num("cache_write_5m", 0, |s| s.usage.cache_write_5m.to_string()),
    num("cache_write_1h", 0, |s| s.usage.cache_write_1h.to_string()),
    num("output", 0, |s| s.usage.output.to_string()),
    num("reasoning", 0, |s| s.usage.reasoning.to_string()),
    num("total_tokens", 0, |s| s.usage.total().to_string()),
    num("cost_usd", 0, |s| {
        s.known_cost()
            .map_or(String::new(), |c| c.normalize().to_string())
    }),
    num("cost_per_request_usd", 0, |s| {
        s.cost_per_request()
            .map_or(String::new(), |c| c.round_dp(8).normalize().to_string())
    }),
    num("output_per_response_p50", 0, |s| {
        opt_exact(s.output_per_response.percentile(50))
    }),
    num("output_per_response_p90", 0, |s| {
        opt_exact(s.output_per_response.percentile(90))
    }),
    num("cache_hit_rate", 0, |s| {
        s.cache_hit_rate()
            .map_or(String::new(), |r| r.round_dp(4).normalize().to_string())
    }),
];

fn opt_exact(v: Option<u64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn task_money(s: &Stats, pick: fn(&MoneySummary) -> Decimal) -> String {
    opt_money(s.tasks.cost_per_task().as_ref().map(pick), 6)
}

/// `--metrics tasks`.
pub(crate) const TASKS: &[Column<Stats>] = &[
    num("Tasks", 0, |s| thousands(s.tasks.count())),
    num("Req/task", 3, |s| {
        opt_ratio(s.tasks.requests_per_task().mean())
    }),
    num("Tokens/task p50", 4, |s| {
        opt_count(s.tasks.tokens_per_task().percentile(50))
    }),
    num("Cost/task mean", 1, |s| task_money(s, |m| m.mean)),
    num("p50", 0, |s| task_money(s, |m| m.p50)),
    num("p90", 2, |s| task_money(s, |m| m.p90)),
    num("p99", 3, |s| task_money(s, |m| m.p99)),
    num("max", 2, |s| task_money(s, |m| m.max)),
    num("Success", 3, |s| match s.tasks.tasks_with_outcome() {
        0 => "-".into(),
        judged => format!("{}/{}", s.tasks.successful_tasks(), judged),
    }),
    num("Cost/success", 1, |s| {
        opt_money(s.tasks.cost_per_successful_task(), 6)
    }),
];

/// `--metrics verbosity`.
pub(crate) const VERBOSITY: &[Column<Stats>] = &[
    num("Responses", 0, |s| thousands(s.output_per_response.len())),
    num("Out/resp mean", 1, |s| {
        opt_ratio(s.output_per_response.mean())
    }),
    num("p50", 0, |s| {
        opt_count(s.output_per_response.percentile(50))
    }),
    num("p90", 1, |s| {
        opt_count(s.output_per_response.percentile(90))
    }),
    num("p99", 2, |s| {
        opt_count(s.output_per_response.percentile(99))
    }),
    num("Out/in", 0, |s| {
        s.output_input_ratio()
            .map_or("-".into(), |r| crate::fmt::fixed(r.round_dp(3), 3))
    }),
    num("Reasoning share", 2, |s| opt_percent(s.reasoning_share())),
];

/// `--metrics cache`.
pub(crate) const CACHE: &[Column<Stats>] = &[
    num("Hit rate", 0, |s| opt_percent(s.cache_hit_rate())),
    num("Cache read", 2, |s| thousands(s.usage.cache_read)),
    num("Cache write", 2, |s| thousands(cache_write(s))),
    num("Saved by reads", 0, |s| money(s.cache_savings, 4)),
    num("Write premium", 1, |s| money(s.cache_write_premium, 4)),
    num("Net saved", 0, |s| {
        money(s.cache_savings - s.cache_write_premium, 4)
    }),
];

/// `--metrics density`.
pub(crate) const DENSITY: &[Column<Stats>] = &[
    num("Responses", 0, |s| thousands(s.density.responses)),
    num("Chars/token", 0, |s| {
        opt_ratio(s.density.chars_per_token(s.density_output))
    }),
    num("Compressibility", 1, |s| {
        opt_ratio(s.density.compressibility())
    }),
    num("Repeated 3-grams", 1, |s| {
        opt_percent(s.density.repeated_ngram_share())
    }),
    num("Filler", 0, |s| opt_percent(s.density.filler_share())),
    num("Tokens/distinct line", 2, |s| {
        opt_ratio(s.density.tokens_per_distinct_line(s.density_output))
    }),
];

/// A row of the drift table: one model's sums, judged at the tolerance.
/// Owned (a handful of rows), so the column table can be a constant.
pub(crate) struct DriftRow {
    pub model: String,
    pub drift: Drift,
    pub tolerance_pct: Decimal,
}

/// `--metrics drift` (or `--drift`): one row per model.
pub(crate) const DRIFT: &[Column<DriftRow>] = &[
    text("Model", 0, |r| r.model.clone()),
    num("Records", 1, |r| {
        thousands(r.drift.prompt_records.max(r.drift.response_records))
    }),
    num("Reported in", 2, |r| thousands(r.drift.reported_prompt)),
    num("Counted in", 2, |r| thousands(r.drift.counted_prompt)),
    num("In ratio", 0, |r| opt_ratio(r.drift.prompt_ratio())),
    num("Reported out", 2, |r| thousands(r.drift.reported_response)),
    num("Counted out", 2, |r| thousands(r.drift.counted_response)),
    num("Out ratio", 0, |r| opt_ratio(r.drift.response_ratio())),
    num("Tokenizer", 3, |r| {
        if r.drift.exact { "exact" } else { "approx" }.into()
    }),
    num("Flag", 0, |r| {
        if r.drift.flagged(r.tolerance_pct) {
            format!("off >{}%", r.tolerance_pct.normalize())
        } else {
            "ok".into()
        }
    }),
];

/// `--top N`: the most expensive tasks.
pub(crate) const TOP_TASKS: &[Column<(String, TaskStats)>] = &[
    text("Task", 0, |(name, _)| name.clone()),
    num("Requests", 1, |(_, t)| thousands(t.requests)),
    num("Tokens", 1, |(_, t)| thousands(t.tokens)),
    num("Output", 2, |(_, t)| thousands(t.output)),
    num("Cost (USD)", 0, |(_, t)| money(t.cost, 6)),
    num("Outcome", 2, |(_, t)| {
        match t.outcome() {
            Some(true) => "success",
            Some(false) => "failure",
            None => "-",
        }
        .into()
    }),
];

fn or_empty(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn priced(b: &Billed) -> Option<(&str, String, String)> {
    match &b.pricing {
        Pricing::Priced {
            model_id,
            effective_from,
            cost,
            ..
        } => Some((
            model_id,
            effective_from.to_string(),
            cost.total.normalize().to_string(),
        )),
        Pricing::Unpriced { .. } => None,
    }
}

/// `records --format csv`: one row per billed record. Columns added after
/// v0.1 go last, so positional readers keep working.
pub(crate) const RECORDS_CSV: &[Column<Billed>] = &[
    text("path", 0, |b| b.record.source.path.to_string()),
    num("line", 0, |b| b.record.source.line.to_string()),
    text("format", 0, |b| b.record.format.as_str().into()),
    text("provider", 0, |b| or_empty(&b.record.provider)),
    text("model", 0, |b| or_empty(&b.record.model)),
    text("timestamp", 0, |b| {
        b.record
            .timestamp
            .map(|t| t.to_string())
            .unwrap_or_default()
    }),
    text("task", 0, |b| or_empty(&b.record.task)),
    text("session", 0, |b| or_empty(&b.record.session)),
    text("service_tier", 0, |b| b.record.service_tier.as_str().into()),
    num("input", 0, |b| b.usage.input.to_string()),
    num("cache_read", 0, |b| b.usage.cache_read.to_string()),
    num("cache_write_5m", 0, |b| b.usage.cache_write_5m.to_string()),
    num("cache_write_1h", 0, |b| b.usage.cache_write_1h.to_string()),
    num("output", 0, |b| b.usage.output.to_string()),
    num("reasoning", 0, |b| b.usage.reasoning.to_string()),
    text("usage_source", 0, |b| b.usage_source.as_str().into()),
    text("tokenizer", 0, |b| {
        b.counted
            .as_ref()
            .map(|c| c.tokenizer.clone())
            .unwrap_or_default()
    }),
    text("priced", 0, |b| {
        matches!(b.pricing, Pricing::Priced { .. }).to_string()
    }),
    text("price_model", 0, |b| {
        priced(b).map(|p| p.0.to_string()).unwrap_or_default()
    }),
    text("effective_from", 0, |b| {
        priced(b).map(|p| p.1).unwrap_or_default()
    }),
    num("cost_usd", 0, |b| {
        priced(b).map(|p| p.2).unwrap_or_default()
    }),
    num("reported_cost_usd", 0, |b| {
        b.record
            .reported_cost_usd
            .map(|d| d.normalize().to_string())
            .unwrap_or_default()
    }),
    // Added after v0.1.
    text("project", 0, |b| or_empty(&b.record.project)),
    num("requests", 0, |b| b.record.requests.to_string()),
];
