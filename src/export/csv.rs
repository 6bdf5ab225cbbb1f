//! `report --format csv`: one row per group (a report without `--by` has
//! one, the totals); exact numbers (no thousands separators, money as exact
//! decimals). Every row is a group, so CSV consumers that sum a column get
//! the total; `--csv-total-row` appends one labelled `TOTAL` for people.

use std::io::Write;

use anyhow::Result;

use super::{Exporter, Report, columns};
use crate::aggregate::Stats;

pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let agg = report.aggregate;
        let mut w = ::csv::Writer::from_writer(out);
        let mut header: Vec<&str> = agg.dims.iter().map(|d| d.as_str()).collect();
        header.extend(columns::CSV.iter().map(|c| c.title));
        w.write_record(&header)?;
        // Without --by the single group is the totals: one row.
        if !agg.dims.is_empty() {
            for (key, s) in &agg.groups {
                let mut row = key.clone();
                row.extend(cells(s));
                w.write_record(&row)?;
            }
        }
        if agg.dims.is_empty() || report.options.csv_total_row {
            let mut total: Vec<String> = agg.dims.iter().map(|_| "TOTAL".to_string()).collect();
            total.extend(cells(&agg.totals));
            w.write_record(&total)?;
        }
        w.flush()?;
        Ok(())
    }
}

fn cells(s: &Stats) -> impl Iterator<Item = String> + '_ {
    columns::CSV.iter().map(move |c| (c.cell)(s))
}
