//! `report --format markdown`: a GitHub-flavoured table ready for a PR
//! comment or a job summary, with the notes as a list under it.

use std::io::Write;

use anyhow::Result;

use super::sections::sections;
use super::{Exporter, Grid, Report, notes, summary_grid};

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        table(out, summary_grid(report, "Total"))?;
        for sec in sections(report, "Total") {
            writeln!(out)?;
            writeln!(out, "#### {}", escape(&sec.title))?;
            writeln!(out)?;
            if sec.grid.rows.is_empty() {
                writeln!(out, "_Nothing to show._")?;
                continue;
            }
            table(out, sec.grid)?;
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

/// A GitHub-flavoured table; a totals row is set in bold.
pub(crate) fn table(out: &mut dyn Write, grid: Grid) -> Result<()> {
    let Grid {
        headers: cols,
        rows,
        totals_row: bold_last,
    } = grid;
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
