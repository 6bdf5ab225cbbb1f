//! `report --format markdown`: a GitHub-flavoured table ready for a PR
//! comment or a job summary, with the notes as a list under it.

use std::io::Write;

use anyhow::Result;

use super::sections::sections;
use super::{Column, Exporter, Report, human_columns, human_rows, notes};

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let bold_total = !report.aggregate.dims.is_empty();
        table(
            out,
            &human_columns(report),
            human_rows(report, "Total"),
            bold_total,
        )?;
        for sec in sections(report, "Total") {
            writeln!(out)?;
            writeln!(out, "#### {}", escape(&sec.title))?;
            writeln!(out)?;
            if sec.rows.is_empty() {
                writeln!(out, "_Nothing to show._")?;
                continue;
            }
            // Per-group sections end with a totals row; the drift and
            // top-task lists do not.
            let total_row = bold_total
                && sec.cols.len() > 1
                && !sec.title.starts_with("Drift")
                && !sec.title.starts_with("Top");
            table(out, &sec.cols, sec.rows, total_row)?;
        }
        let notes = notes(report);
        if !notes.is_empty() {
            writeln!(out)?;
            for n in notes {
                writeln!(out, "- {}", escape(&n))?;
            }
        }
        Ok(())
    }
}

/// A GitHub-flavoured table; `bold_last` marks a totals row.
pub(crate) fn table(
    out: &mut dyn Write,
    cols: &[Column],
    rows: Vec<Vec<String>>,
    bold_last: bool,
) -> Result<()> {
    let titles: Vec<String> = cols.iter().map(|c| escape(&c.title)).collect();
    writeln!(out, "| {} |", titles.join(" | "))?;
    let align: Vec<&str> = cols
        .iter()
        .map(|c| if c.numeric { "---:" } else { ":---" })
        .collect();
    writeln!(out, "| {} |", align.join(" | "))?;
    let last = rows.len().saturating_sub(1);
    for (i, row) in rows.into_iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                let c = escape(c);
                if i == last && bold_last && !c.is_empty() {
                    format!("**{c}**")
                } else {
                    c
                }
            })
            .collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Keep cell text from breaking the table.
pub(crate) fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
