//! The metric tables a human-readable report adds under the main one
//! (`report --metrics tasks,verbosity,cache,density,drift`, `--top N`).
//! Table and Markdown render the same sections; JSON carries every figure
//! whatever is selected.

use rust_decimal::Decimal;

use super::columns::{self, Column, DriftRow};
use super::{Grid, Report, group_grid};
use crate::aggregate::{Stats, TaskStats};

/// A family of metrics shown as its own table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// Tasks, requests and tokens per task, cost per task (mean, p50, p90,
    /// p99, max), cost per successful task.
    Tasks,
    /// Output tokens per response (mean, p50, p90, p99), output/input
    /// ratio, reasoning share of output.
    Verbosity,
    /// Cache hit rate, dollars saved by cache reads, cache write premium.
    Cache,
    /// Response text density: characters per token, compressibility,
    /// repeated 3-grams, filler phrases, tokens per distinct line.
    Density,
    /// Counted vs reported tokens per model (tokenizes text even when usage
    /// is reported).
    Drift,
    /// Every family above.
    All,
}

/// What a report shows beyond the main table.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub metrics: Vec<Metric>,
    /// `--top N`: the N most expensive tasks.
    pub top: usize,
    /// `--drift-tolerance`: percent a counted/reported ratio may be off 1.
    pub drift_tolerance: Decimal,
    /// Which columns the terminal table keeps (`--compact`, `--wide`).
    pub columns: ColumnPolicy,
    /// `--csv-total-row`: a `TOTAL` row after the groups in CSV.
    pub csv_total_row: bool,
    /// CSV: write cells from logs as they are (see `csv::neutralise`).
    pub csv_raw: bool,
}

/// Which columns the terminal table shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColumnPolicy {
    /// Every column that fits the terminal, dropping the least important
    /// first; group keys, records, input, output and cost always stay.
    #[default]
    Fit,
    /// Only the columns that always stay.
    Compact,
    /// Every column, whatever the terminal's width.
    Wide,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            metrics: Vec::new(),
            top: 0,
            columns: ColumnPolicy::Fit,
            csv_total_row: false,
            csv_raw: false,
            drift_tolerance: Decimal::from(10),
        }
    }
}

impl ReportOptions {
    pub fn shows(&self, m: Metric) -> bool {
        self.metrics.iter().any(|x| *x == m || *x == Metric::All)
    }
}

/// One titled table.
pub(crate) struct Section {
    pub title: String,
    pub grid: Grid,
}

/// The per-group metric families, in the order they are shown.
const GROUP_SECTIONS: &[(Metric, &str, &[Column<Stats>])] = &[
    (Metric::Tasks, "Cost per task", columns::TASKS),
    (Metric::Verbosity, "Verbosity", columns::VERBOSITY),
    (
        Metric::Cache,
        "Cache economics (priced records)",
        columns::CACHE,
    ),
    (
        Metric::Density,
        "Density (records with response text)",
        columns::DENSITY,
    ),
];

pub(crate) fn sections(report: &Report, label: &str) -> Vec<Section> {
    let o = report.options;
    let mut out: Vec<Section> = GROUP_SECTIONS
        .iter()
        .filter(|(m, _, _)| o.shows(*m))
        .map(|(_, title, cols)| Section {
            title: title.to_string(),
            grid: group_grid(report, label, &cols.iter().collect::<Vec<_>>()),
        })
        .collect();
    if o.shows(Metric::Drift) {
        let rows: Vec<DriftRow> = report
            .aggregate
            .drift
            .iter()
            .map(|(model, drift)| DriftRow {
                model: model.clone(),
                drift: drift.clone(),
                tolerance_pct: o.drift_tolerance,
            })
            .collect();
        out.push(Section {
            title: "Drift: counted vs reported tokens (output excludes reasoning)".into(),
            grid: Grid::of(columns::DRIFT, rows.iter()),
        });
    }
    if o.top > 0 {
        let top: Vec<(String, TaskStats)> = (report.aggregate.totals.tasks.top(o.top))
            .into_iter()
            .map(|(name, t)| (name.to_string(), t.clone()))
            .collect();
        out.push(Section {
            title: format!("Top {} tasks by cost", o.top),
            grid: Grid::of(columns::TOP_TASKS, top.iter()),
        });
    }
    out
}
