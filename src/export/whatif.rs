//! `whatif` output: actual against what-if cost per group and in total,
//! as a terminal table, JSON (docs/json.md, "whatif"), CSV or Markdown,
//! with the scenario's assumptions and what it could not price.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use super::{Grid, Header, ReportFormat, markdown, table};
use crate::fmt::{money, thousands};
use crate::schema::whatif::{
    ModelRuleDoc, ScenarioDoc, WhatIfDoc, WhatIfGroupDoc, WhatIfTotalsDoc,
};
use crate::schema::{Dec, SCHEMA_VERSION};
use crate::whatif::{Scenario, Totals, WhatIf};

pub struct WhatIfReport<'a> {
    pub scenario: &'a Scenario,
    pub result: &'a WhatIf,
}

pub fn write(format: ReportFormat, r: &WhatIfReport, out: &mut dyn Write) -> Result<()> {
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &doc(r))?;
            writeln!(out)?;
        }
        ReportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let mut header: Vec<String> = r
                .result
                .dims
                .iter()
                .map(|d| d.as_str().to_string())
                .collect();
            header.extend(
                [
                    "records",
                    "compared_records",
                    "actual_cost_usd",
                    "whatif_cost_usd",
                    "delta_usd",
                    "delta_pct",
                    "approx_token_records",
                    "actual_unpriced_records",
                    "whatif_unpriced_records",
                ]
                .map(String::from),
            );
            w.write_record(&header)?;
            for (key, t) in &r.result.groups {
                let mut row: Vec<String> = key
                    .iter()
                    .map(|k| super::csv::neutralise(k.clone()))
                    .collect();
                row.extend(exact_cells(t));
                w.write_record(&row)?;
            }
            w.flush()?;
        }
        ReportFormat::Html => {
            let grid = grid(r);
            let mut h = super::html::head("What if");
            h.push_str("<table><thead><tr>");
            for c in &grid.headers {
                let class = if c.numeric { " class=\"n\"" } else { "" };
                h.push_str(&format!("<th{class}>{}</th>", super::html::esc(&c.title)));
            }
            h.push_str("</tr></thead><tbody>\n");
            for row in &grid.rows {
                h.push_str("<tr>");
                for (cell, c) in row.iter().zip(&grid.headers) {
                    let class = if c.numeric { " class=\"n\"" } else { "" };
                    h.push_str(&format!("<td{class}>{}</td>", super::html::esc(cell)));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</tbody></table>\n<ul>\n");
            for n in notes(r) {
                h.push_str(&format!("<li>{}</li>\n", super::html::esc(&n)));
            }
            h.push_str("</ul>\n</body></html>\n");
            out.write_all(h.as_bytes())?;
        }
        ReportFormat::Table | ReportFormat::Markdown => {
            let md = format == ReportFormat::Markdown;
            let grid = grid(r);
            if md {
                markdown::table(out, grid)?;
                writeln!(out)?;
                for n in notes(r) {
                    writeln!(out, "- {}", markdown::escape(&n))?;
                }
            } else {
                table::render_fitted(out, grid)?;
                for n in notes(r) {
                    writeln!(out, "{n}")?;
                }
            }
        }
    }
    Ok(())
}

fn exact_cells(t: &Totals) -> Vec<String> {
    vec![
        t.records.to_string(),
        t.compared.to_string(),
        t.actual_usd.normalize().to_string(),
        t.whatif_usd.normalize().to_string(),
        t.delta_usd().normalize().to_string(),
        t.delta_pct()
            .map(|p| crate::fmt::fixed(p, 2))
            .unwrap_or_default(),
        t.approx_tokens.to_string(),
        t.actual_unpriced_count().to_string(),
        t.whatif_unpriced_count().to_string(),
    ]
}

fn grid(r: &WhatIfReport) -> Grid {
    let col = |title: &str, numeric: bool, drop_rank: u8| Header {
        title: title.to_string(),
        drop_rank,
        numeric,
    };
    let mut headers: Vec<Header> = r
        .result
        .dims
        .iter()
        .map(|d| col(&crate::fmt::title(d.as_str()), false, 0))
        .collect();
    headers.extend([
        col("Records", true, 2),
        col("Compared", true, 3),
        col("Actual (USD)", true, 0),
        col("What-if (USD)", true, 0),
        col("Delta (USD)", true, 1),
        col("Delta", true, 0),
        col("Not compared", true, 2),
    ]);
    let cells = |t: &Totals| {
        vec![
            thousands(t.records),
            thousands(t.compared),
            money(t.actual_usd, 4),
            money(t.whatif_usd, 4),
            money(t.delta_usd(), 4),
            t.delta_pct()
                .map(|p| {
                    format!(
                        "{}{}%",
                        if p.is_sign_positive() && !p.is_zero() {
                            "+"
                        } else {
                            ""
                        },
                        crate::fmt::fixed(p, 2)
                    )
                })
                .unwrap_or_else(|| "-".to_string()),
            thousands(t.actual_unpriced_count() + t.whatif_unpriced_count()),
        ]
    };
    let dims = r.result.dims.len();
    let mut rows: Vec<Vec<String>> = r
        .result
        .groups
        .iter()
        .map(|(k, t)| {
            let mut row = k.clone();
            row.extend(cells(t));
            row
        })
        .collect();
    let mut total = vec![String::new(); dims];
    if let Some(first) = total.first_mut() {
        *first = "TOTAL".to_string();
    }
    total.extend(cells(&r.result.totals));
    rows.push(total);
    Grid {
        headers,
        rows,
        totals_row: true,
    }
}

/// The scenario in words, what it assumes, and what it left out.
fn notes(r: &WhatIfReport) -> Vec<String> {
    let t = &r.result.totals;
    let mut out = vec![format!("Scenario: {}.", describe(r.scenario))];
    for a in r.scenario.assumptions() {
        out.push(format!("Assumed: {a}"));
    }
    if t.approx_tokens > 0 {
        out.push(format!(
            "{} compared records move to a model with another tokenizer: their token counts, and so their what-if costs, are estimates.",
            thousands(t.approx_tokens)
        ));
    }
    let list = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(reason, n)| format!("{reason}: {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if !t.actual_unpriced.is_empty() {
        out.push(format!(
            "Not compared, the log's own price unknown ({}): {}.",
            thousands(t.actual_unpriced_count()),
            list(&t.actual_unpriced)
        ));
    }
    if !t.whatif_unpriced.is_empty() {
        out.push(format!(
            "Not compared, the scenario cannot be priced ({}): {}.",
            thousands(t.whatif_unpriced_count()),
            list(&t.whatif_unpriced)
        ));
    }
    out
}

fn describe(s: &Scenario) -> String {
    let mut parts = Vec::new();
    for rule in &s.rules {
        parts.push(if rule.pattern == "*" {
            format!("every model as {}", rule.model)
        } else {
            format!("{} as {}", rule.pattern, rule.model)
        });
    }
    if let Some(t) = s.tier {
        parts.push(format!("{} tier", t.as_str()));
    }
    if s.cache == crate::whatif::CachePolicy::None {
        parts.push("no prompt caching".to_string());
    }
    if let Some(at) = s.at {
        parts.push(format!("prices of {}", at.strftime("%Y-%m-%d")));
    }
    if s.recount {
        parts.push("text recounted with each target's tokenizer".to_string());
    }
    if parts.is_empty() {
        "as logged (no change)".to_string()
    } else {
        parts.join(", ")
    }
}

fn totals_doc(t: &Totals) -> WhatIfTotalsDoc<'_> {
    WhatIfTotalsDoc {
        records: t.records,
        compared_records: t.compared,
        actual_cost_usd: Dec(t.actual_usd),
        whatif_cost_usd: Dec(t.whatif_usd),
        delta_usd: Dec(t.delta_usd()),
        delta_pct: t.delta_pct().map(Dec),
        approx_token_records: t.approx_tokens,
        actual_unpriced: &t.actual_unpriced,
        whatif_unpriced: &t.whatif_unpriced,
    }
}

fn doc<'a>(r: &'a WhatIfReport) -> WhatIfDoc<'a> {
    let dims: Vec<&'static str> = r.result.dims.iter().map(|d| d.as_str()).collect();
    WhatIfDoc {
        schema_version: SCHEMA_VERSION,
        scenario: ScenarioDoc {
            models: r
                .scenario
                .rules
                .iter()
                .map(|m| ModelRuleDoc {
                    pattern: &m.pattern,
                    model: &m.model,
                })
                .collect(),
            tier: r.scenario.tier.map(|t| t.as_str()),
            cache: r.scenario.cache.as_str(),
            prices_at: r.scenario.at.map(|t| t.to_string()),
            recount: r.scenario.recount,
        },
        assumptions: r.scenario.assumptions(),
        group_by: dims.clone(),
        groups: r
            .result
            .groups
            .iter()
            .map(|(k, t)| WhatIfGroupDoc {
                key: dims
                    .iter()
                    .copied()
                    .zip(k.iter().map(String::as_str))
                    .collect(),
                totals: totals_doc(t),
            })
            .collect(),
        totals: totals_doc(&r.result.totals),
    }
}
