//! `report --format markdown`: a GitHub-flavoured table ready for a PR
//! comment or a job summary, with the notes as a list under it.

use std::io::Write;

use anyhow::Result;

use super::{Exporter, Report, human_columns, human_rows, notes};

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let cols = human_columns(report);
        let titles: Vec<String> = cols.iter().map(|c| escape(&c.title)).collect();
        writeln!(out, "| {} |", titles.join(" | "))?;
        let align: Vec<&str> = cols
            .iter()
            .map(|c| if c.numeric { "---:" } else { ":---" })
            .collect();
        writeln!(out, "| {} |", align.join(" | "))?;
        let rows = human_rows(report, "Total");
        let last = rows.len() - 1;
        let bold_total = !report.aggregate.dims.is_empty();
        for (i, row) in rows.into_iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .map(|c| {
                    let c = escape(c);
                    if i == last && bold_total && !c.is_empty() {
                        format!("**{c}**")
                    } else {
                        c
                    }
                })
                .collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
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

/// Keep cell text from breaking the table.
fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
