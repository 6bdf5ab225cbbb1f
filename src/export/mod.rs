//! Rendering reports. One small trait, one file per output format, like
//! hyperfine's `export/`. All formats read the same [`Report`].

use std::io::Write;

use anyhow::Result;

use self::columns::Column;

use crate::aggregate::{Aggregate, Stats};
use crate::fmt::{money, plural, thousands, title};
use crate::run::Accounting;

pub mod check;
mod columns;
pub mod count;
pub mod csv;
pub mod html;
mod json;
mod markdown;
pub mod parquet;
pub mod prices;
pub mod records;
mod sections;
pub(crate) mod table;
pub mod whatif;

pub use sections::{ColumnPolicy, Metric, ReportOptions};

/// `--format` for `report`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Csv,
    Markdown,
    /// One self-contained page with charts (`html`).
    Html,
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
        ReportFormat::Html => Box::new(html::HtmlExporter),
    }
}

/// Everything a report shows.
pub struct Report<'a> {
    pub aggregate: &'a Aggregate,
    pub accounting: &'a Accounting,
    pub options: &'a ReportOptions,
}

/// A column as rendered: `drop_rank` 0 columns always stay; on a narrow
/// terminal the highest ranks are dropped first.
pub(crate) struct Header {
    pub title: String,
    pub drop_rank: u8,
    pub numeric: bool,
}

impl<T: ?Sized> From<&Column<T>> for Header {
    fn from(c: &Column<T>) -> Header {
        Header {
            title: c.title.to_string(),
            drop_rank: c.drop_rank,
            numeric: c.numeric,
        }
    }
}

/// A table ready to render: headers, rows of cells, and whether the last
/// row is the totals (Markdown sets it in bold).
pub(crate) struct Grid {
    pub headers: Vec<Header>,
    pub rows: Vec<Vec<String>>,
    pub totals_row: bool,
}

impl Grid {
    /// One row per item.
    pub fn of<'t, T: 't + ?Sized>(cols: &[Column<T>], items: impl Iterator<Item = &'t T>) -> Grid {
        Grid {
            headers: cols.iter().map(Header::from).collect(),
            rows: items
                .map(|it| cols.iter().map(|c| (c.cell)(it)).collect())
                .collect(),
            totals_row: false,
        }
    }
}

/// One row per group, keyed by the `--by` dimensions, then the totals
/// (labelled `label` in the first key column). Without `--by` the single
/// group is the totals and appears once, keyed `all`.
pub(crate) fn group_grid(report: &Report, label: &str, cols: &[&Column<Stats>]) -> Grid {
    let agg = report.aggregate;
    let key_header = |t: String| Header {
        title: t,
        drop_rank: 0,
        numeric: false,
    };
    let mut headers: Vec<Header> = agg
        .dims
        .iter()
        .map(|d| key_header(title(d.as_str())))
        .collect();
    if headers.is_empty() {
        headers.push(key_header("All".into()));
    }
    headers.extend(cols.iter().map(|c| Header::from(*c)));
    let row = |key: Vec<String>, s: &Stats| {
        let mut r = key;
        r.extend(cols.iter().map(|c| (c.cell)(s)));
        r
    };
    if agg.dims.is_empty() {
        return Grid {
            headers,
            rows: vec![row(vec!["all".into()], &agg.totals)],
            totals_row: false,
        };
    }
    let mut rows: Vec<Vec<String>> = agg.groups.iter().map(|(k, s)| row(k.clone(), s)).collect();
    let mut lead = vec![String::new(); agg.dims.len()];
    lead[0] = label.to_string();
    rows.push(row(lead, &agg.totals));
    Grid {
        headers,
        rows,
        totals_row: true,
    }
}

/// The main table of a human-readable report (table, Markdown). The
/// Unpriced column appears only when some record is unpriced.
pub(crate) fn summary_grid(report: &Report, label: &str) -> Grid {
    let any_unpriced = report.aggregate.totals.unpriced_records > 0;
    let cols: Vec<&Column<Stats>> = columns::SUMMARY
        .iter()
        .filter(|c| any_unpriced || c.title != columns::SUMMARY_UNPRICED)
        .collect();
    group_grid(report, label, &cols)
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
        // "context line: 7,792", not "context line 7792" (a line number).
        let parts: Vec<String> = m
            .iter()
            .map(|(r, n)| format!("{r}: {}", thousands(*n)))
            .collect();
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
