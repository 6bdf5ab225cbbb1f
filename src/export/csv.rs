//! `report --format csv`: one row per group (a report without `--by` has
//! one, the totals); exact numbers (no thousands separators, money as exact
//! decimals). Every row is a group, so CSV consumers that sum a column get
//! the total; `--csv-total-row` appends one labelled `TOTAL` for people.
//! Group keys come from logs: a key a spreadsheet would run as a formula is
//! neutralised (see [`neutralise`]) unless `--csv-raw`.

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
            let raw = report.options.csv_raw;
            for (key, s) in &agg.groups {
                let mut row: Vec<String> = key
                    .iter()
                    .map(|k| {
                        if raw {
                            k.clone()
                        } else {
                            neutralise(k.clone())
                        }
                    })
                    .collect();
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

/// A CSV cell that a spreadsheet would run as a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a number)
/// gets a leading `'`, as OWASP recommends for CSV injection: task ids,
/// model names and paths come from logs, which anyone may have written.
/// `--csv-raw` turns this off for programs that read the file.
pub fn neutralise(cell: String) -> String {
    let risky = cell
        .bytes()
        .next()
        .is_some_and(|b| matches!(b, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    if risky && cell.parse::<rust_decimal::Decimal>().is_err() && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_get_a_quote_and_numbers_do_not() {
        for (cell, want) in [
            ("=1+1", "'=1+1"),
            ("+cmd", "'+cmd"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("-5", "-5"),
            ("-0.00012", "-0.00012"),
            ("+3", "+3"),
            ("gpt-4o", "gpt-4o"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell.to_string()), want, "{cell:?}");
        }
    }
}
