//! The default terminal table: fits the terminal width, notes below it.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};

use super::{Exporter, Report, human_header, human_row, notes};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        if std::io::stdout().is_terminal() {
            t.set_content_arrangement(ContentArrangement::Dynamic);
        }
        let header = human_header(report);
        let keys = report.aggregate.dims.len().max(1);
        t.set_header(header);
        if report.aggregate.dims.is_empty() {
            // Without --by the single group is the totals.
            t.add_row(human_row(&[], &report.aggregate.totals));
        } else {
            for (key, s) in &report.aggregate.groups {
                t.add_row(human_row(key, s));
            }
            let mut lead = vec![String::new(); keys];
            lead[0] = "TOTAL".into();
            let mut row = human_row(&[], &report.aggregate.totals);
            row.splice(0..1, lead);
            t.add_row(row);
        }
        for i in keys..t.column_count() {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        writeln!(out, "{t}")?;
        for n in notes(report) {
            writeln!(out, "{n}")?;
        }
        Ok(())
    }
}
