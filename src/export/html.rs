//! `report --format html`: one self-contained page (README, "HTML report"):
//! inline CSS and SVG, no script, and a Content-Security-Policy that
//! forbids any network request and any script. Every figure comes from the
//! same document `--format json` writes (numbers are identical), and every
//! chart has its data table under it.
//!
//! A log is untrusted input: every string that came from one (model names,
//! task ids, paths, reasons) goes through [`esc`] before it is written, in
//! text and in attributes alike.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::Report;
use crate::aggregate::Aggregate;
use crate::fmt::{money, thousands};
use crate::schema::report::{ReportDoc, StatsDoc};

/// Series and bars kept before the rest is summed into "other": a chart of
/// 10,000 models is unreadable and heavy, and the table says what "other"
/// holds.
const MAX_SERIES: usize = 8;
const MAX_BARS: usize = 20;
const MAX_DAYS: usize = 92;

/// Escape text for HTML text and double- or single-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const PALETTE: [&str; 9] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f",
];

const STYLE: &str = "
:root { color-scheme: light dark; --fg:#1d1d1f; --bg:#ffffff; --muted:#6e6e73; --grid:#d2d2d7; }
@media (prefers-color-scheme: dark) { :root { --fg:#f5f5f7; --bg:#1d1d1f; --muted:#a1a1a6; --grid:#424245; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid var(--grid); }
table { border-collapse: collapse; margin: .5em 0 1em; font-variant-numeric: tabular-nums; }
th, td { padding: .2em .6em; border-bottom: 1px solid var(--grid); text-align: left; }
td.n, th.n { text-align: right; }
td:first-child { white-space: nowrap; }
.muted { color: var(--muted); }
svg text { fill: var(--fg); font-size: 11px; }
svg .axis { stroke: var(--grid); }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: middle; }
.kpi { display: inline-block; margin: 0 2em 1em 0; } .kpi b { display: block; font-size: 1.4em; }
@media print { body { margin: 0; max-width: none; } }
";

/// Through the [`Exporter`](super::Exporter) trait (`merge`): without the
/// per-day chart, which needs the records by day and model.
pub struct HtmlExporter;

impl super::Exporter for HtmlExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        write(report, None, out)
    }
}

/// The page for `report`: `daily` is the same records grouped by day and
/// model (the cost-per-day chart), when the run built it.
pub fn write(report: &Report, daily: Option<&Aggregate>, out: &mut dyn Write) -> Result<()> {
    let o = report.options;
    let doc = report
        .aggregate
        .to_doc(report.accounting, o.drift_tolerance, o.top.max(20));
    let daily_doc = daily.map(|d| d.to_doc(report.accounting, o.drift_tolerance, 0));
    let mut h = head("Token economics report");
    summary(&mut h, &doc);
    if let Some(d) = &daily_doc {
        per_day(&mut h, d);
    }
    groups(&mut h, &doc);
    buckets(&mut h, &doc.totals.stats);
    cache(&mut h, &doc.totals.stats);
    verbosity(&mut h, &doc.totals.stats);
    tasks(&mut h, &doc);
    left_out(&mut h, &doc);
    h.push_str("<p class=\"muted\">Made by tokenmaxx. Every figure is the same as in <code>--format json</code>; money is exact, shown rounded.</p>\n</body></html>\n");
    out.write_all(h.as_bytes())?;
    Ok(())
}

/// The page's head and opening: no network, no script, so what a log wrote
/// can never run or call out.
pub fn head(title: &str) -> String {
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = write!(h, "<title>tokenmaxx: {}</title>\n<style>", esc(title));
    h.push_str(STYLE);
    let _ = write!(h, "</style></head><body>\n<h1>{}</h1>\n", esc(title));
    h
}

fn dec(d: Option<&crate::schema::Dec>) -> Decimal {
    d.map_or(Decimal::ZERO, |d| d.0)
}

fn summary(h: &mut String, doc: &ReportDoc) {
    let t = &doc.totals.stats;
    let _ = writeln!(
        h,
        "<section id=\"summary\"><div class=\"kpi\">Cost<b data-value=\"{}\">{}</b></div>\
         <div class=\"kpi\">Records<b>{}</b></div><div class=\"kpi\">Tokens<b>{}</b></div>\
         <div class=\"kpi\">Unpriced records<b>{}</b></div></section>",
        dec(t.cost_usd.as_ref()).normalize(),
        money(dec(t.cost_usd.as_ref()), 4),
        thousands(t.records),
        thousands(t.usage.total),
        thousands(t.unpriced_records),
    );
}

/// Stacked bars: cost per day, one colour per model (the costliest
/// [`MAX_SERIES`] models; the rest as "other").
fn per_day(h: &mut String, d: &ReportDoc) {
    use std::collections::BTreeMap;
    let mut by_day: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    let mut by_model: BTreeMap<String, Decimal> = BTreeMap::new();
    for g in &d.groups {
        let day = g.key.get("day").cloned().unwrap_or_default();
        let model = g.key.get("model").cloned().unwrap_or_default();
        let c = dec(g.stats.cost_usd.as_ref());
        *by_day
            .entry(day)
            .or_default()
            .entry(model.clone())
            .or_default() += c;
        *by_model.entry(model).or_default() += c;
    }
    let mut models: Vec<(String, Decimal)> = by_model.into_iter().collect();
    models.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let named: Vec<String> = models
        .iter()
        .take(MAX_SERIES)
        .map(|m| m.0.clone())
        .collect();
    let series_of = |m: &str| named.iter().position(|n| n == m).unwrap_or(MAX_SERIES);
    let days: Vec<(&String, [Decimal; MAX_SERIES + 1])> = by_day
        .iter()
        .rev()
        .take(MAX_DAYS)
        .rev()
        .map(|(day, ms)| {
            let mut v = [Decimal::ZERO; MAX_SERIES + 1];
            for (m, c) in ms {
                v[series_of(m)] += c;
            }
            (day, v)
        })
        .collect();
    h.push_str("<section id=\"per-day\"><h2>Cost per day, by model</h2>\n");
    if by_day.len() > MAX_DAYS {
        let _ = writeln!(
            h,
            "<p class=\"muted\">The last {MAX_DAYS} of {} days.</p>",
            by_day.len()
        );
    }
    let max = days
        .iter()
        .map(|(_, v)| v.iter().copied().sum::<Decimal>())
        .max()
        .unwrap_or(Decimal::ZERO);
    let (w, hgt) = (900.0_f64, 220.0_f64);
    let bw = if days.is_empty() {
        0.0
    } else {
        w / days.len() as f64
    };
    let _ = write!(
        h,
        "<svg role=\"img\" aria-label=\"Cost per day\" viewBox=\"0 0 {w} {}\" width=\"100%\"><line class=\"axis\" x1=\"0\" y1=\"{hgt}\" x2=\"{w}\" y2=\"{hgt}\"/>",
        hgt + 20.0
    );
    for (i, (day, v)) in days.iter().enumerate() {
        let mut y = hgt;
        for (s, c) in v.iter().enumerate() {
            if c.is_zero() || max.is_zero() {
                continue;
            }
            let bh = (c / max).to_f64().unwrap_or(0.0) * hgt;
            y -= bh;
            let _ = write!(
                h,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\" data-day=\"{}\" data-series=\"{s}\" data-value=\"{}\"><title>{} {}: {}</title></rect>",
                i as f64 * bw + 1.0,
                (bw - 2.0).max(1.0),
                PALETTE[s],
                esc(day),
                c.normalize(),
                esc(day),
                esc(named.get(s).map_or("other", String::as_str)),
                money(*c, 4)
            );
        }
        if days.len() <= 31 || i % (days.len() / 15).max(1) == 0 {
            let _ = write!(
                h,
                "<text x=\"{:.1}\" y=\"{}\">{}</text>",
                i as f64 * bw + 1.0,
                hgt + 14.0,
                esc(day.get(5..).unwrap_or(day))
            );
        }
    }
    h.push_str("</svg>\n<p>");
    for (s, m) in named
        .iter()
        .chain(std::iter::once(&"other".to_string()))
        .enumerate()
    {
        if s == MAX_SERIES && models.len() <= MAX_SERIES {
            break;
        }
        let _ = write!(
            h,
            "<span class=\"swatch\" style=\"background:{}\"></span>{} &nbsp; ",
            PALETTE[s],
            esc(m)
        );
    }
    h.push_str("</p>\n<table><thead><tr><th>Day</th>");
    for m in &named {
        let _ = write!(h, "<th class=\"n\">{}</th>", esc(m));
    }
    if models.len() > MAX_SERIES {
        h.push_str("<th class=\"n\">other</th>");
    }
    h.push_str("<th class=\"n\">Total</th></tr></thead><tbody>\n");
    for (day, v) in &days {
        let _ = write!(h, "<tr><td>{}</td>", esc(day));
        let cols = if models.len() > MAX_SERIES {
            MAX_SERIES + 1
        } else {
            named.len()
        };
        for c in v.iter().take(cols) {
            let _ = write!(h, "<td class=\"n\">{}</td>", money(*c, 4));
        }
        let _ = writeln!(
            h,
            "<td class=\"n\">{}</td></tr>",
            money(v.iter().copied().sum(), 4)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

/// Horizontal bars: cost per group, and the report's table.
fn groups(h: &mut String, doc: &ReportDoc) {
    let _ = writeln!(
        h,
        "<section id=\"groups\"><h2>By {}</h2>",
        esc(&doc.group_by.join(", "))
    );
    let mut rows: Vec<(String, &StatsDoc)> = doc
        .groups
        .iter()
        .map(|g| {
            let key: Vec<&str> = doc
                .group_by
                .iter()
                .map(|d| g.key.get(d).map_or("", String::as_str))
                .collect();
            (key.join(" · "), &g.stats)
        })
        .collect();
    rows.sort_by(|a, b| {
        dec(b.1.cost_usd.as_ref())
            .cmp(&dec(a.1.cost_usd.as_ref()))
            .then(a.0.cmp(&b.0))
    });
    let max = rows
        .first()
        .map_or(Decimal::ZERO, |r| dec(r.1.cost_usd.as_ref()));
    let shown = rows.len().min(MAX_BARS);
    let _ = write!(
        h,
        "<svg role=\"img\" aria-label=\"Cost by group\" viewBox=\"0 0 900 {}\" width=\"100%\">",
        shown * 22 + 4
    );
    for (i, (k, s)) in rows.iter().take(shown).enumerate() {
        let c = dec(s.cost_usd.as_ref());
        let bw = if max.is_zero() {
            0.0
        } else {
            (c / max).to_f64().unwrap_or(0.0) * 560.0
        };
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"250\" y=\"{}\" width=\"{bw:.1}\" height=\"16\" fill=\"{}\" data-group=\"{}\" data-value=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            i * 22 + 15,
            esc(&truncate(k, 40)),
            i * 22 + 3,
            PALETTE[0],
            esc(k),
            c.normalize(),
            255.0 + bw,
            i * 22 + 15,
            money(c, 4)
        );
    }
    h.push_str("</svg>\n");
    if rows.len() > shown {
        let _ = writeln!(
            h,
            "<p class=\"muted\">The {shown} costliest of {} groups are drawn; the table lists all.</p>",
            rows.len()
        );
    }
    h.push_str("<table><thead><tr><th>Group</th><th class=\"n\">Records</th><th class=\"n\">Input</th><th class=\"n\">Cache read</th><th class=\"n\">Cache write</th><th class=\"n\">Output</th><th class=\"n\">Reasoning</th><th class=\"n\">Cost</th></tr></thead><tbody>\n");
    for (k, s) in &rows {
        let u = &s.usage;
        let writes = cache_writes(u);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(k),
            thousands(s.records),
            thousands(u.input),
            thousands(u.cache_read),
            thousands(writes),
            thousands(u.output),
            thousands(u.reasoning),
            s.cost_usd
                .as_ref()
                .map_or("unpriced".to_string(), |c| money(c.0, 4))
        );
    }
    h.push_str("</tbody></table></section>\n");
}

/// 5-minute and 1-hour cache writes together.
fn cache_writes(u: &crate::schema::report::UsageDoc) -> u64 {
    u.total
        .saturating_sub(u.input)
        .saturating_sub(u.cache_read)
        .saturating_sub(u.output)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Cost by bucket over everything.
fn buckets(h: &mut String, t: &StatsDoc) {
    h.push_str("<section id=\"buckets\"><h2>Cost and tokens by bucket</h2>\n<table><thead><tr><th>Bucket</th><th class=\"n\">Tokens</th><th class=\"n\">Cost</th></tr></thead><tbody>\n");
    let u = &t.usage;
    let writes = cache_writes(u);
    for (name, key, tokens) in [
        ("Input", "input", u.input),
        ("Cache read", "cache_read", u.cache_read),
        ("Cache write", "", writes),
        ("Output", "output", u.output),
    ] {
        let cost: Decimal = if key.is_empty() {
            t.cost_breakdown
                .iter()
                .filter(|(k, _)| k.starts_with("cache_write"))
                .map(|(_, v)| v.0)
                .sum()
        } else {
            t.cost_breakdown.get(key).map_or(Decimal::ZERO, |v| v.0)
        };
        let _ = writeln!(
            h,
            "<tr><td>{name}</td><td class=\"n\">{}</td><td class=\"n\" data-bucket=\"{name}\" data-value=\"{}\">{}</td></tr>",
            thousands(tokens),
            cost.normalize(),
            money(cost, 4)
        );
    }
    let _ = writeln!(
        h,
        "<tr><td>Reasoning (inside output)</td><td class=\"n\">{}</td><td class=\"n\">-</td></tr></tbody></table></section>",
        thousands(u.reasoning)
    );
}

fn cache(h: &mut String, t: &StatsDoc) {
    h.push_str("<section id=\"cache\"><h2>Cache economics</h2>\n<table><tbody>\n");
    let rate = t
        .cache_hit_rate
        .as_ref()
        .map_or("-".to_string(), |r| crate::fmt::percent(r.0));
    let _ = writeln!(
        h,
        "<tr><td>Hit rate (cache reads ÷ all input)</td><td class=\"n\">{rate}</td></tr>"
    );
    if let Some(c) = &t.cache {
        let _ = writeln!(
            h,
            "<tr><td>Saved by cache reads</td><td class=\"n\">{}</td></tr><tr><td>Cache write premium</td><td class=\"n\">{}</td></tr>",
            money(c.savings_usd.0, 4),
            money(c.write_premium_usd.0, 4)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

/// The histogram of output tokens per response.
fn verbosity(h: &mut String, t: &StatsDoc) {
    let hist = &t.output_tokens_per_response.histogram;
    h.push_str("<section id=\"verbosity\"><h2>Output tokens per response</h2>\n");
    let s = &t.output_tokens_per_response.summary;
    let _ = writeln!(
        h,
        "<p>p50 {} · p90 {} · max {}</p>",
        s.p50.map_or("-".into(), thousands),
        s.p90.map_or("-".into(), thousands),
        s.max.map_or("-".into(), thousands)
    );
    let maxc = hist.iter().map(|b| b.1).max().unwrap_or(0);
    let n = hist.len().max(1) as f64;
    let _ = write!(
        h,
        "<svg role=\"img\" aria-label=\"Output tokens per response\" viewBox=\"0 0 900 140\" width=\"100%\"><line class=\"axis\" x1=\"0\" y1=\"120\" x2=\"900\" y2=\"120\"/>"
    );
    for (i, (v, c)) in hist.iter().enumerate() {
        let bh = if maxc == 0 {
            0.0
        } else {
            *c as f64 / maxc as f64 * 118.0
        };
        let _ = write!(
            h,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\" data-tokens=\"{v}\" data-value=\"{c}\"><title>≤ {v} tokens: {c}</title></rect>",
            i as f64 * 900.0 / n,
            120.0 - bh,
            (900.0 / n - 1.0).max(1.0),
            PALETTE[2]
        );
    }
    h.push_str("</svg>\n<table><thead><tr><th class=\"n\">Up to tokens</th><th class=\"n\">Responses</th></tr></thead><tbody>\n");
    for (v, c) in hist {
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            thousands(*v),
            thousands(*c)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn tasks(h: &mut String, doc: &ReportDoc) {
    let Some(t) = &doc.totals.stats.tasks else {
        return;
    };
    h.push_str("<section id=\"tasks\"><h2>Cost per task</h2>\n");
    if let Some(c) = &t.cost_per_task_usd {
        let _ = writeln!(
            h,
            "<p>{} tasks · mean {} · p50 {} · p90 {} · max {}</p>",
            thousands(t.count),
            money(c.mean.0, 6),
            money(c.p50.0, 6),
            money(c.p90.0, 6),
            money(c.max.0, 6)
        );
    }
    if !doc.top_tasks.is_empty() {
        h.push_str("<table><thead><tr><th>Task</th><th class=\"n\">Requests</th><th class=\"n\">Tokens</th><th class=\"n\">Cost</th></tr></thead><tbody>\n");
        for task in &doc.top_tasks {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&task.task),
                thousands(task.requests),
                thousands(task.tokens),
                money(task.cost_usd.0, 6)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

/// What the figures leave out.
fn left_out(h: &mut String, doc: &ReportDoc) {
    h.push_str("<section id=\"left-out\"><h2>Left out of the totals</h2>\n");
    if doc.totals.unpriced.is_empty() && doc.skipped.lines == 0 {
        h.push_str("<p>Nothing: every record was priced and every line read.</p>\n");
    }
    if !doc.totals.unpriced.is_empty() {
        h.push_str("<table><thead><tr><th>Unpriced model</th><th class=\"n\">Records</th><th>Why</th></tr></thead><tbody>\n");
        for u in &doc.totals.unpriced {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&u.model),
                u.records.map_or("-".into(), thousands),
                esc(&u.reason)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    if doc.skipped.lines > 0 {
        h.push_str("<table><thead><tr><th>Skipped lines, by reason</th><th class=\"n\">Lines</th></tr></thead><tbody>\n");
        for (r, n) in &doc.skipped.by_reason {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(r),
                thousands(*n)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_everything_a_log_could_use_to_break_out() {
        assert_eq!(
            esc("<script>alert('x')</script>\"&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
    }
}
