//! `report --format markdown`: a GitHub-flavoured table ready for a PR
//! comment or a job summary, with the notes as a list under it.

use std::io::Write;

use anyhow::Result;

use super::{Exporter, Report, human_header, human_row, notes};

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let header = human_header(report);
        let keys = report.aggregate.dims.len().max(1);
        writeln!(
            out,
            "| {} |",
            header
                .iter()
                .map(|h| escape(h))
                .collect::<Vec<_>>()
                .join(" | ")
        )?;
        let align: Vec<&str> = (0..header.len())
            .map(|i| if i < keys { ":---" } else { "---:" })
            .collect();
        writeln!(out, "| {} |", align.join(" | "))?;
        let mut write_row = |row: Vec<String>, bold: bool| -> Result<()> {
            let cells: Vec<String> = row
                .iter()
                .map(|c| {
                    let c = escape(c);
                    if bold && !c.is_empty() {
                        format!("**{c}**")
                    } else {
                        c
                    }
                })
                .collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
            Ok(())
        };
        if !report.aggregate.dims.is_empty() {
            for (key, s) in &report.aggregate.groups {
                write_row(human_row(key, s), false)?;
            }
        }
        let mut total = human_row(&[], &report.aggregate.totals);
        if report.aggregate.dims.is_empty() {
            write_row(total, false)?;
        } else {
            let mut lead = vec![String::new(); keys];
            lead[0] = "Total".into();
            total.splice(0..1, lead);
            write_row(total, true)?;
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
