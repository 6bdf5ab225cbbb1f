//! `check` output: the table of checks, the Markdown summary for a pull
//! request or job summary, the JSON document, and GitHub Actions
//! annotations.

use std::fs;
use std::io::{self, Write};

use anyhow::{Context, Result};
use rust_decimal::Decimal;

use crate::check::CheckResult;
use crate::check::metrics::show;
use crate::schema::check::{CheckDoc, CheckReportDoc};
use crate::schema::{Dec, SCHEMA_VERSION};

/// `--format` for `check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
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

/// Cells shared by the table and Markdown renderers.
fn cells(c: &CheckResult) -> [String; 7] {
    let v = |d: Option<Decimal>| d.map_or("-".into(), |d| show(c.unit, d));
    let limit = match c.limit {
        Some(l) if c.floor => format!("≥ {}", show(c.unit, l)),
        Some(l) => format!("≤ {}", show(c.unit, l)),
        None => "-".into(),
    };
    let delta = c.delta_pct.map_or("-".into(), |d| {
        if d > Decimal::ZERO {
            format!("+{}%", d.normalize())
        } else {
            format!("{}%", d.normalize())
        }
    });
    let mut value = v(c.value);
    if let Some(n) = &c.note {
        value = if c.value.is_some() {
            format!("{value} ({n})")
        } else {
            n.clone()
        };
    }
    [
        c.name.clone(),
        c.scope.clone(),
        value,
        limit,
        v(c.baseline),
        delta,
        if c.passed { "PASS" } else { "FAIL" }.into(),
    ]
}

const HEAD: [&str; 7] = [
    "Check", "Scope", "Value", "Limit", "Baseline", "Δ", "Result",
];

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
    t.set_header(HEAD.to_vec());
    for c in checks {
        t.add_row(cells(c).to_vec());
    }
    for i in 2..6 {
        if let Some(col) = t.column_mut(i) {
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
    let mut s = format!(
        "### {} tokenmaxx check: {}\n\n",
        if failed { "❌" } else { "✅" },
        summary(checks)
    );
    s.push_str(&format!("| {} |\n", HEAD.join(" | ")));
    s.push_str("| :--- | :--- | ---: | ---: | ---: | ---: | :---: |\n");
    for c in checks {
        let mut row = cells(c).map(|x| x.replace('|', "\\|"));
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
        let [name, scope, value, limit, base, delta, _] = cells(c);
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
