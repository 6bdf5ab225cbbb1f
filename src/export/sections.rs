//! The metric tables a human-readable report adds under the main one
//! (`report --metrics tasks,verbosity,cache,density,drift`, `--top N`).
//! Table and Markdown render the same sections; JSON carries every figure
//! whatever is selected.

use rust_decimal::Decimal;

use super::{Column, Report};
use crate::aggregate::{Stats, TaskStats};
use crate::fmt::{money, opt_count as opt_num, percent, thousands, title};

/// A family of metrics shown as its own table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Metric {
    /// Tasks, requests and tokens per task, cost per task (mean, p50, p90,
    /// p99, max), cost per successful task.
    Tasks,
    /// Output tokens per response (mean, p50, p90, p99), output/input
    /// ratio, reasoning share of output.
    Verbosity,
    /// Cache hit rate, dollars saved by cache reads, cache write premium.
    Cache,
    /// Response text density: characters per token, compressibility,
    /// repeated 3-grams, filler phrases, tokens per distinct line.
    Density,
    /// Counted vs reported tokens per model (tokenizes text even when usage
    /// is reported).
    Drift,
    /// Every family above.
    All,
}

/// What a report shows beyond the main table.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub metrics: Vec<Metric>,
    /// `--top N`: the N most expensive tasks.
    pub top: usize,
    /// `--drift-tolerance`: percent a counted/reported ratio may be off 1.
    pub drift_tolerance: Decimal,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            metrics: Vec::new(),
            top: 0,
            drift_tolerance: Decimal::from(10),
        }
    }
}

impl ReportOptions {
    pub fn shows(&self, m: Metric) -> bool {
        self.metrics.iter().any(|x| *x == m || *x == Metric::All)
    }
}

/// One titled table.
pub(crate) struct Section {
    pub title: String,
    pub cols: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

fn col(title: &str, drop_rank: u8, numeric: bool) -> Column {
    Column {
        title: title.to_string(),
        drop_rank,
        numeric,
    }
}

/// Key columns (the `--by` dimensions) of a per-group section.
fn key_cols(report: &Report) -> Vec<Column> {
    let dims = &report.aggregate.dims;
    if dims.is_empty() {
        return vec![col("All", 0, false)];
    }
    dims.iter()
        .map(|d| col(&title(d.as_str()), 0, false))
        .collect()
}

/// Rows per group then the totals, like the main table.
fn group_rows(
    report: &Report,
    label: &str,
    cells: &dyn Fn(&Stats) -> Vec<String>,
) -> Vec<Vec<String>> {
    let agg = report.aggregate;
    let with = |key: Vec<String>, s: &Stats| {
        let mut r = key;
        r.extend(cells(s));
        r
    };
    if agg.dims.is_empty() {
        return vec![with(vec!["all".into()], &agg.totals)];
    }
    let mut rows: Vec<Vec<String>> = agg.groups.iter().map(|(k, s)| with(k.clone(), s)).collect();
    let mut lead = vec![String::new(); agg.dims.len()];
    lead[0] = label.to_string();
    rows.push(with(lead, &agg.totals));
    rows
}

fn opt_money(v: Option<Decimal>, places: u32) -> String {
    v.map_or("-".into(), |d| money(d, places))
}

fn opt_ratio(v: Option<Decimal>) -> String {
    v.map_or("-".into(), |d| format!("{:.2}", d.round_dp(2)))
}

fn opt_percent(v: Option<Decimal>) -> String {
    v.map_or("-".into(), percent)
}

pub(crate) fn sections(report: &Report, label: &str) -> Vec<Section> {
    let o = report.options;
    let mut out = Vec::new();
    if o.shows(Metric::Tasks) {
        out.push(tasks(report, label));
    }
    if o.shows(Metric::Verbosity) {
        out.push(verbosity(report, label));
    }
    if o.shows(Metric::Cache) {
        out.push(cache(report, label));
    }
    if o.shows(Metric::Density) {
        out.push(density(report, label));
    }
    if o.shows(Metric::Drift) {
        out.push(drift(report));
    }
    if o.top > 0 {
        out.push(top_tasks(report));
    }
    out
}

fn tasks(report: &Report, label: &str) -> Section {
    let mut cols = key_cols(report);
    for (t, r) in [
        ("Tasks", 0),
        ("Req/task", 3),
        ("Tokens/task p50", 4),
        ("Cost/task mean", 1),
        ("p50", 0),
        ("p90", 2),
        ("p99", 3),
        ("max", 2),
        ("Success", 3),
        ("Cost/success", 1),
    ] {
        cols.push(col(t, r, true));
    }
    let rows = group_rows(report, label, &|s: &Stats| {
        let t = &s.tasks;
        let c = t.cost_per_task();
        let pick =
            |f: fn(&crate::aggregate::MoneySummary) -> Decimal| opt_money(c.as_ref().map(f), 6);
        let judged = t.tasks_with_outcome();
        vec![
            thousands(t.count()),
            opt_ratio(t.requests_per_task().mean()),
            opt_num(t.tokens_per_task().percentile(50)),
            pick(|m| m.mean),
            pick(|m| m.p50),
            pick(|m| m.p90),
            pick(|m| m.p99),
            pick(|m| m.max),
            if judged == 0 {
                "-".into()
            } else {
                format!("{}/{}", t.successful_tasks(), judged)
            },
            opt_money(t.cost_per_successful_task(), 6),
        ]
    });
    Section {
        title: "Cost per task".into(),
        cols,
        rows,
    }
}

fn verbosity(report: &Report, label: &str) -> Section {
    let mut cols = key_cols(report);
    for (t, r) in [
        ("Responses", 0),
        ("Out/resp mean", 1),
        ("p50", 0),
        ("p90", 1),
        ("p99", 2),
        ("Out/in", 0),
        ("Reasoning share", 2),
    ] {
        cols.push(col(t, r, true));
    }
    let rows = group_rows(report, label, &|s: &Stats| {
        let d = &s.output_per_response;
        vec![
            thousands(d.len()),
            opt_ratio(d.mean()),
            opt_num(d.percentile(50)),
            opt_num(d.percentile(90)),
            opt_num(d.percentile(99)),
            s.output_input_ratio()
                .map_or("-".into(), |r| format!("{:.3}", r.round_dp(3))),
            opt_percent(s.reasoning_share()),
        ]
    });
    Section {
        title: "Verbosity".into(),
        cols,
        rows,
    }
}

fn cache(report: &Report, label: &str) -> Section {
    let mut cols = key_cols(report);
    for (t, r) in [
        ("Hit rate", 0),
        ("Cache read", 2),
        ("Cache write", 2),
        ("Saved by reads", 0),
        ("Write premium", 1),
        ("Net saved", 0),
    ] {
        cols.push(col(t, r, true));
    }
    let rows = group_rows(report, label, &|s: &Stats| {
        let u = &s.usage;
        vec![
            opt_percent(s.cache_hit_rate()),
            thousands(u.cache_read),
            thousands(u.cache_write_5m.saturating_add(u.cache_write_1h)),
            money(s.cache_savings, 4),
            money(s.cache_write_premium, 4),
            money(s.cache_savings - s.cache_write_premium, 4),
        ]
    });
    Section {
        title: "Cache economics (priced records)".into(),
        cols,
        rows,
    }
}

fn density(report: &Report, label: &str) -> Section {
    let mut cols = key_cols(report);
    for (t, r) in [
        ("Responses", 0),
        ("Chars/token", 0),
        ("Compressibility", 1),
        ("Repeated 3-grams", 1),
        ("Filler", 0),
        ("Tokens/distinct line", 2),
    ] {
        cols.push(col(t, r, true));
    }
    let rows = group_rows(report, label, &|s: &Stats| {
        let d = &s.density;
        vec![
            thousands(d.responses),
            opt_ratio(d.chars_per_token(s.density_output)),
            opt_ratio(d.compressibility()),
            opt_percent(d.repeated_ngram_share()),
            opt_percent(d.filler_share()),
            opt_ratio(d.tokens_per_distinct_line(s.density_output)),
        ]
    });
    Section {
        title: "Density (records with response text)".into(),
        cols,
        rows,
    }
}

fn drift(report: &Report) -> Section {
    let tol = report.options.drift_tolerance;
    let mut cols = vec![col("Model", 0, false)];
    for (t, r) in [
        ("Records", 1),
        ("Reported in", 2),
        ("Counted in", 2),
        ("In ratio", 0),
        ("Reported out", 2),
        ("Counted out", 2),
        ("Out ratio", 0),
        ("Tokenizer", 3),
        ("Flag", 0),
    ] {
        cols.push(col(t, r, true));
    }
    let rows = report
        .aggregate
        .drift
        .iter()
        .map(|(model, d)| {
            vec![
                model.clone(),
                thousands(d.prompt_records.max(d.response_records)),
                thousands(d.reported_prompt),
                thousands(d.counted_prompt),
                opt_ratio(d.prompt_ratio()),
                thousands(d.reported_response),
                thousands(d.counted_response),
                opt_ratio(d.response_ratio()),
                if d.exact { "exact" } else { "approx" }.into(),
                if d.flagged(tol) {
                    format!("off >{}%", tol.normalize())
                } else {
                    "ok".into()
                },
            ]
        })
        .collect();
    Section {
        title: "Drift: counted vs reported tokens (output excludes reasoning)".into(),
        cols,
        rows,
    }
}

fn top_tasks(report: &Report) -> Section {
    let mut cols = vec![col("Task", 0, false)];
    for (t, r) in [
        ("Requests", 1),
        ("Tokens", 1),
        ("Output", 2),
        ("Cost (USD)", 0),
        ("Outcome", 2),
    ] {
        cols.push(col(t, r, true));
    }
    let top = report.aggregate.totals.tasks.top(report.options.top);
    let rows = top
        .into_iter()
        .map(|(name, s): (&str, &TaskStats)| {
            vec![
                name.to_string(),
                thousands(s.requests),
                thousands(s.tokens),
                thousands(s.output),
                money(s.cost, 6),
                match s.outcome() {
                    Some(true) => "success".into(),
                    Some(false) => "failure".into(),
                    None => "-".into(),
                },
            ]
        })
        .collect();
    Section {
        title: format!("Top {} tasks by cost", report.options.top),
        cols,
        rows,
    }
}
