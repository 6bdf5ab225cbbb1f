//! `check` output: the table of checks, the Markdown summary for a pull
//! request or job summary, the JSON document, and GitHub Actions
//! annotations.

use std::fs;
use std::io::{self, Write};

use anyhow::{Context, Result};
use rust_decimal::Decimal;

use super::columns::Column;
use crate::check::CheckResult;
use crate::check::metrics::show;
use crate::schema::check::{CheckDoc, CheckReportDoc};
use crate::schema::{Dec, SCHEMA_VERSION};

/// `--format` for `check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CheckFormat {
    #[default]
    Table,
    Markdown,
    Json,
}

/// Write the checks and notes in `format`.
pub fn write(
    format: CheckFormat,
    checks: &[CheckResult],
    notes: &[String],
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        CheckFormat::Table => write_table(checks, notes, out),
        CheckFormat::Markdown => write_markdown(checks, notes, out),
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &check_doc(checks, notes))?;
            writeln!(out)?;
            Ok(())
        }
    }
}

fn show_opt(c: &CheckResult, d: Option<Decimal>) -> String {
    d.map_or("-".into(), |d| show(c.unit, d))
}

/// The columns of the table and the Markdown summary.
const COLUMNS: &[Column<CheckResult>] = &[
    Column {
        title: "Check",
        drop_rank: 0,
        numeric: false,
        cell: |c| c.name.clone(),
    },
    Column {
        title: "Scope",
        drop_rank: 0,
        numeric: false,
        cell: |c| c.scope.clone(),
    },
    Column {
        title: "Value",
        drop_rank: 0,
        numeric: true,
        cell: |c| match (&c.note, c.value) {
            (Some(n), Some(_)) => format!("{} ({n})", show_opt(c, c.value)),
            (Some(n), None) => n.clone(),
            (None, _) => show_opt(c, c.value),
        },
    },
    Column {
        title: "Limit",
        drop_rank: 0,
        numeric: true,
        cell: |c| match c.limit {
            Some(l) if c.floor => format!("≥ {}", show(c.unit, l)),
            Some(l) => format!("≤ {}", show(c.unit, l)),
            None => "-".into(),
        },
    },
    Column {
        title: "Baseline",
        drop_rank: 0,
        numeric: true,
        cell: |c| show_opt(c, c.baseline),
    },
    Column {
        title: "Δ",
        drop_rank: 0,
        numeric: true,
        cell: |c| {
            c.delta_pct.map_or("-".into(), |d| {
                if d > Decimal::ZERO {
                    format!("+{}%", d.normalize())
                } else {
                    format!("{}%", d.normalize())
                }
            })
        },
    },
    Column {
        title: "Result",
        drop_rank: 0,
        numeric: false,
        cell: |c| if c.passed { "PASS" } else { "FAIL" }.into(),
    },
];

/// Cells shared by the table, Markdown and annotations.
fn cells(c: &CheckResult) -> Vec<String> {
    COLUMNS.iter().map(|col| (col.cell)(c)).collect()
}

fn titles() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.title).collect()
}

fn summary(checks: &[CheckResult]) -> String {
    let failed = checks.iter().filter(|c| !c.passed).count();
    if checks.is_empty() {
        "no checks ran".into()
    } else if failed == 0 {
        format!("all {} checks passed", checks.len())
    } else {
        format!("{failed} of {} checks failed", checks.len())
    }
}

fn write_table(checks: &[CheckResult], notes: &[String], out: &mut dyn Write) -> Result<()> {
    use comfy_table::CellAlignment;
    if checks.is_empty() {
        writeln!(out, "tokenmaxx check: {}.", summary(checks))?;
        for n in notes {
            writeln!(out, "{n}")?;
        }
        return Ok(());
    }
    let mut t = super::table::new_table();
    t.set_header(titles());
    for c in checks {
        t.add_row(cells(c));
    }
    for (i, c) in COLUMNS.iter().enumerate() {
        if c.numeric
            && let Some(col) = t.column_mut(i)
        {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{t}")?;
    writeln!(out, "tokenmaxx check: {}.", summary(checks))?;
    for n in notes {
        writeln!(out, "{n}")?;
    }
    Ok(())
}

fn markdown(checks: &[CheckResult], notes: &[String]) -> String {
    let failed = checks.iter().any(|c| !c.passed);
    let mark = if failed {
        "❌"
    } else if checks.is_empty() {
        // Nothing was checked: not a pass (exit 1, unless a baseline was
        // being written).
        "⚠️"
    } else {
        "✅"
    };
    let mut s = format!("### {mark} tokenmaxx check: {}\n\n", summary(checks));
    s.push_str(&format!("| {} |\n", titles().join(" | ")));
    s.push_str("| :--- | :--- | ---: | ---: | ---: | ---: | :---: |\n");
    for c in checks {
        let mut row: Vec<String> = cells(c).iter().map(|x| x.replace('|', "\\|")).collect();
        row[6] = if c.passed {
            "✅ PASS".into()
        } else {
            "❌ **FAIL**".into()
        };
        s.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    if !notes.is_empty() {
        s.push('\n');
        for n in notes {
            s.push_str(&format!("- {}\n", n.replace('|', "\\|")));
        }
    }
    s
}

fn write_markdown(checks: &[CheckResult], notes: &[String], out: &mut dyn Write) -> Result<()> {
    out.write_all(markdown(checks, notes).as_bytes())?;
    Ok(())
}

/// The check document (docs/json.md, check).
fn check_doc<'a>(checks: &'a [CheckResult], notes: &'a [String]) -> CheckReportDoc<'a> {
    CheckReportDoc {
        schema_version: SCHEMA_VERSION,
        passed: checks.iter().all(|c| c.passed),
        checks: checks
            .iter()
            .map(|c| CheckDoc {
                name: &c.name,
                kind: c.kind.as_str(),
                scope: &c.scope,
                value: c.value.map(|v| Dec(v.round_dp(8))),
                limit: c.limit.map(Dec),
                floor: c.floor,
                baseline: c.baseline.map(|v| Dec(v.round_dp(8))),
                delta_pct: c.delta_pct.map(Dec),
                passed: c.passed,
                note: c.note.as_deref(),
            })
            .collect(),
        notes,
    }
}

/// GitHub Actions: the Markdown summary to the job summary file, and an
/// `::error` annotation per failed check.
pub fn github(checks: &[CheckResult], notes: &[String]) -> Result<()> {
    if let Ok(path) = std::env::var("GITHUB_STEP_SUMMARY")
        && !path.is_empty()
    {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("{path}: cannot append the job summary"))?;
        f.write_all(markdown(checks, notes).as_bytes())?;
        f.write_all(b"\n")?;
    }
    let stderr = io::stderr();
    let mut e = stderr.lock();
    for c in checks.iter().filter(|c| !c.passed) {
        // The annotation reads the same cells as the table, by title.
        let cell = |title: &str| {
            COLUMNS
                .iter()
                .find(|col| col.title == title)
                .map_or_else(String::new, |col| (col.cell)(c))
        };
        let (name, scope, value) = (cell("Check"), cell("Scope"), cell("Value"));
        let (limit, base, delta) = (cell("Limit"), cell("Baseline"), cell("Δ"));
        let mut msg = format!("{name} ({scope}) = {value}");
        if limit != "-" {
            msg.push_str(&format!(", limit {limit}"));
        }
        if base != "-" {
            msg.push_str(&format!(", baseline {base} ({delta})"));
        }
        // Workflow commands end at a newline; `%` must be escaped first.
        let msg = msg
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        match &c.file {
            Some(f) => writeln!(e, "::error file={f},title=tokenmaxx check::{msg}")?,
            None => writeln!(e, "::error title=tokenmaxx check::{msg}")?,
        }
    }
    Ok(())
}
