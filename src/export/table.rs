//! The default terminal table. On a terminal narrower than the table, the
//! least important columns are dropped (and named under the table) rather
//! than wrapping numbers across lines; the full set is always in json/csv.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};

use super::sections::sections;
use super::{ColumnPolicy, Exporter, Grid, Header, Report, notes, summary_grid};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let width = Fit {
            policy: report.options.columns,
            terminal: match report.options.columns {
                ColumnPolicy::Wide => None,
                _ => terminal_width(),
            },
        };
        render(out, summary_grid(report, "TOTAL"), width)?;
        for sec in sections(report, "TOTAL") {
            writeln!(out)?;
            writeln!(out, "{}", sec.title)?;
            if sec.grid.rows.is_empty() {
                writeln!(out, "(nothing to show)")?;
                continue;
            }
            render(out, sec.grid, width)?;
        }
        for n in notes(report) {
            writeln!(out, "{n}")?;
        }
        Ok(())
    }
}

/// How a table is fitted: the column policy and the terminal's width.
#[derive(Clone, Copy)]
struct Fit {
    policy: ColumnPolicy,
    terminal: Option<usize>,
}

/// One table, fitted to the terminal (or to `--compact`).
fn render(out: &mut dyn Write, grid: Grid, width: Fit) -> Result<()> {
    let Grid {
        headers: mut cols,
        mut rows,
        ..
    } = grid;
    let hidden = match (width.policy, width.terminal) {
        // Fitting to 0: every column that may go, goes.
        (ColumnPolicy::Compact, _) => fit(&mut cols, &mut rows, 0),
        (ColumnPolicy::Fit, Some(w)) => fit(&mut cols, &mut rows, w),
        _ => Vec::new(),
    };
    let mut t = new_table();
    if let Some(w) = width.terminal {
        // Long keys (model names, file paths) may still wrap.
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_width(w as u16);
    }
    t.set_header(cols.iter().map(|c| c.title.clone()).collect::<Vec<_>>());
    for r in rows {
        t.add_row(r);
    }
    for (i, c) in cols.iter().enumerate() {
        if c.numeric
            && let Some(col) = t.column_mut(i)
        {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{t}")?;
    if !hidden.is_empty() && width.policy == ColumnPolicy::Compact {
        writeln!(out, "Hidden (--compact): {}.", hidden.join(", "))?;
    } else if !hidden.is_empty() {
        writeln!(
            out,
            "Hidden to fit the terminal: {} (widen it, or use --wide or --format json/csv/markdown).",
            hidden.join(", ")
        )?;
    }
    Ok(())
}

/// A terminal table in the style every command uses.
pub(crate) fn new_table() -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t
}

/// Drop columns until the table fits `width`: highest drop rank first,
/// the rightmost among equals. Returns the hidden titles in table order.
fn fit(cols: &mut Vec<Header>, rows: &mut [Vec<String>], width: usize) -> Vec<String> {
    let order: Vec<String> = cols.iter().map(|c| c.title.clone()).collect();
    let mut hidden = Vec::new();
    while natural_width(cols, rows) > width {
        let Some((i, _)) = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.drop_rank > 0)
            .max_by_key(|(i, c)| (c.drop_rank, *i))
        else {
            break;
        };
        hidden.push(cols.remove(i).title);
        for r in rows.iter_mut() {
            r.remove(i);
        }
    }
    hidden.sort_by_key(|t| order.iter().position(|o| o == t));
    hidden
}

/// Width to fit, only when stdout is a terminal (a file or pipe gets every column).
fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    width_from(std::env::var("COLUMNS").ok(), Table::new().width())
}

/// `COLUMNS` when it is a positive number (as `ls` honours it), else the
/// terminal's width; a terminal that reports 0 columns (a pseudo-terminal
/// without a size, as `script` or `docker run -t` make) is of unknown
/// width: every column is shown rather than one character per column.
fn width_from(columns: Option<String>, terminal: Option<u16>) -> Option<usize> {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| terminal.map(usize::from).filter(|&w| w > 0))
}

/// Width of the table without wrapping: widest cell per column plus borders
/// and padding (3 per column, 1 for the last border).
fn natural_width(cols: &[Header], rows: &[Vec<String>]) -> usize {
    let mut total = 1;
    for (i, c) in cols.iter().enumerate() {
        let w = rows
            .iter()
            .map(|r| r[i].chars().count())
            .chain([c.title.chars().count()])
            .max()
            .unwrap_or(0);
        total += w + 3;
    }
    total
}

/// A table of another command (`whatif`) fitted to the terminal like the
/// report's.
pub(crate) fn render_fitted(out: &mut dyn Write, grid: Grid) -> Result<()> {
    render(
        out,
        grid,
        Fit {
            policy: ColumnPolicy::Fit,
            terminal: terminal_width(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    fn col(title: &str, drop_rank: u8) -> Header {
        Header {
            title: title.into(),
            drop_rank,
            numeric: true,
        }
    }

    #[test]
    fn narrow_terminal_drops_least_important_columns_first() {
        let mut cols = vec![
            col("Model", 0),
            col("Records", 0),
            col("p90", 5),
            col("Input", 1),
            col("Cost", 0),
            col("p50", 4),
        ];
        let mut rows = vec![vec![
            "gpt-4o".to_string(),
            "1".into(),
            "10".into(),
            "1,000".into(),
            "$0.0100".into(),
            "5".into(),
        ]];
        let full = natural_width(&cols, &rows);
        let hidden = fit(&mut cols, &mut rows, full - 1);
        assert_eq!(hidden, ["p90"]);
        assert_eq!(rows[0].len(), 5);
        let hidden = fit(&mut cols, &mut rows, 10);
        // Only rank-0 columns remain however narrow the terminal.
        assert_eq!(hidden, ["Input", "p50"]);
        let titles: Vec<&str> = cols.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Model", "Records", "Cost"]);
    }

    #[test]
    fn zero_columns_is_unknown_and_columns_env_wins() {
        assert_eq!(width_from(None, Some(0)), None);
        assert_eq!(width_from(None, Some(80)), Some(80));
        assert_eq!(width_from(Some("120".into()), Some(80)), Some(120));
        assert_eq!(width_from(Some("0".into()), Some(80)), Some(80));
        assert_eq!(width_from(Some("wide".into()), None), None);
    }

    /// The main table by day and model, with realistic cells: at 80
    /// columns input, output and cost stay; at 120 more stays; at 0 (an
    /// unknown width) nothing is hidden.
    #[test]
    fn the_main_table_keeps_input_output_and_cost() {
        let headers = || {
            let mut h = vec![col("Day", 0), col("Model", 0)];
            h.extend(crate::export::columns::SUMMARY.iter().map(Header::from));
            h
        };
        let row = || {
            let mut r = vec![
                "2025-11-03".to_string(),
                "claude-sonnet-4-5-20250929".into(),
            ];
            r.extend(
                crate::export::columns::SUMMARY
                    .iter()
                    .map(|c| match c.title {
                        "Cost (USD)" | "$/request" => "$12.3456".to_string(),
                        "Cache hit" => "33.5%".into(),
                        _ => "1,234,567".into(),
                    }),
            );
            r
        };
        let kept = |w: Option<usize>| {
            let (mut cols, mut rows) = (headers(), vec![row()]);
            if let Some(w) = w {
                fit(&mut cols, &mut rows, w);
            }
            cols.into_iter().map(|c| c.title).collect::<Vec<_>>()
        };
        let at80 = kept(Some(80));
        for must in ["Day", "Model", "Records", "Input", "Output", "Cost (USD)"] {
            assert!(at80.iter().any(|t| t == must), "{must} at 80: {at80:?}");
        }
        let at120 = kept(Some(120));
        assert!(at120.len() > at80.len(), "{at120:?}");
        assert!(at120.iter().any(|t| t == "Cache read"), "{at120:?}");
        assert_eq!(kept(width_from(None, Some(0))).len(), headers().len());
    }
}
