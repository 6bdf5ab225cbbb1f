//! The CI gate: read logs, evaluate a budget file (limits, scoped rules, a
//! baseline report, prompt-file budgets), print every check, and exit 1 when
//! one fails.
//!
//! Usage: tokenmaxx check [PATH…] [--budget tokenmaxx.toml] [--baseline FILE]
//!        [--update-baseline] [--format table|markdown|json]
//!        [--task-key KEY] [--outcome-key KEY] [--usage …] [--pricing FILE]…
//!
//! Exit: 0 every check passed, 1 a check failed, 2 a usage or input error
//! (unreadable budget or baseline, unknown metric, bad flag).
//! On GitHub Actions (`GITHUB_ACTIONS=true`) the Markdown summary is also
//! appended to `$GITHUB_STEP_SUMMARY` and each failure is printed as an
//! `::error` annotation on stderr (the runner reads workflow commands from
//! both streams; stdout stays data).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::aggregate::{Aggregate, Dimension, ReportState, Stats};
use crate::bill::Measures;
use crate::check::metrics::Unit;
use crate::check::{Budget, CheckResult, Kind, baseline_checks, glob, limit_checks};
use crate::cli::{InputArgs, Outcome};
use crate::export::check::CheckFormat;
use crate::export::{self, Report, ReportOptions};
use crate::run::Accounting;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx check eval-runs/ --task-key /metadata/case_id
  tokenmaxx check eval-runs/ --format markdown > comment.md
  tokenmaxx check eval-runs/ --update-baseline          # accept the new numbers
  tokenmaxx check --budget ci/prompts.toml              # prompt budgets only: no logs needed

Metrics (limit with NAME = cap, NAME_min = floor): run `tokenmaxx check --list-metrics`.")]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Budget file (TOML).
    #[arg(long, default_value = "tokenmaxx.toml", value_name = "FILE")]
    pub budget: PathBuf,
    /// Baseline report to compare with (overrides the budget file's [baseline] path).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's report as the new baseline (its checks are then skipped).
    #[arg(long)]
    pub update_baseline: bool,
    /// Output format: a table, Markdown (a PR comment), or JSON.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// List the metric names a budget can use, and exit.
    #[arg(long)]
    pub list_metrics: bool,
}

pub fn run(args: CheckArgs) -> Result<Outcome> {
    if args.list_metrics {
        let mut out = BufWriter::new(io::stdout().lock());
        for m in crate::check::metrics::METRICS {
            writeln!(out, "{:<34} {}", m.name, m.about)?;
        }
        out.flush()?;
        return Ok(Outcome::Ok);
    }
    let mut budget = Budget::load(&args.budget)?;
    if let Some(p) = &args.baseline {
        match budget.baseline.as_mut() {
            Some(b) => b.path = p.clone(),
            None => bail!(
                "--baseline: {} has no [baseline] section to say what to compare",
                args.budget.display()
            ),
        }
    }
    if args.update_baseline && budget.baseline.is_none() {
        bail!(
            "--update-baseline: {} has no [baseline] section naming the file to write",
            args.budget.display()
        );
    }

    let mut checks = Vec::new();
    let mut notes = Vec::new();
    if budget.needs_logs() {
        let (agg, rules, whatifs, acc) = read_logs(&args, &budget)?;
        crate::check::whatif_checks(&budget.whatifs, &whatifs, &mut checks);
        limit_checks(&budget.limits, "all", &agg.totals, &mut checks);
        for (rule, stats) in budget.rules.iter().zip(&rules) {
            limit_checks(&rule.limits, &rule.name, stats, &mut checks);
        }
        if let Some(b) = &budget.baseline {
            if args.update_baseline {
                write_baseline(&b.path, &agg, &acc)?;
                notes.push(format!(
                    "Baseline written to {}; baseline checks skipped.",
                    b.path.display()
                ));
            } else {
                let base = read_baseline(&b.path)?;
                baseline_checks(b, &agg.totals, &base, &mut checks);
            }
        }
        let t = &agg.totals;
        if t.unpriced_records > 0 {
            notes.push(format!(
                "{} unpriced record(s) are left out of every cost figure.",
                t.unpriced_records
            ));
        }
        if let Some(a) = export::accounting_note(&acc) {
            notes.push(a);
        }
    }
    prompt_checks(&budget, &args, &mut checks)?;

    let failed = checks.iter().filter(|c| !c.passed).count();
    // A budget under which nothing was checked fails ("no checks ran"), so
    // an emptied budget cannot turn a CI gate green; writing a new baseline
    // is the one run that checks nothing on purpose.
    let nothing_checked = checks.is_empty() && !args.update_baseline;
    let mut out = BufWriter::new(io::stdout().lock());
    export::check::write(args.format, &checks, &notes, &mut out)?;
    out.flush()?;
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        export::check::github(&checks, &notes)?;
    }
    Ok(if failed > 0 || nothing_checked {
        Outcome::Problem
    } else {
        Outcome::Ok
    })
}

/// One pass over the logs: totals grouped by model (what a baseline
/// keeps), and one stats per rule.
type Read = (
    Aggregate,
    Vec<Stats>,
    Vec<crate::whatif::Totals>,
    Accounting,
);

fn read_logs(args: &CheckArgs, budget: &Budget) -> Result<Read> {
    let measures = Measures {
        drift: false,
        density: budget.needs_density(),
    };
    let logs = super::LogRun::from_args(&args.input, measures)?;
    let mut agg = Aggregate::new(vec![Dimension::Model], logs.tz.clone());
    let mut rules: Vec<Stats> = vec![Stats::default(); budget.rules.len()];
    let mut whatifs = vec![crate::whatif::Totals::default(); budget.whatifs.len()];
    let acc = logs.run(&mut |b| {
        if let Some(b) = b {
            agg.add(&b);
            for (w, t) in budget.whatifs.iter().zip(whatifs.iter_mut()) {
                t.add(&w.scenario.reprice(&b, &logs.biller.book));
            }
            let task = agg.totals.tasks.intern(&b);
            for (rule, s) in budget.rules.iter().zip(rules.iter_mut()) {
                if rule.matches(&b) {
                    s.add(&b, task.as_ref());
                }
            }
        }
        Ok(())
    })?;
    Ok((agg, rules, whatifs, acc))
}

fn read_baseline(path: &std::path::Path) -> Result<Stats> {
    let file = fs::File::open(path).with_context(|| {
        format!(
            "{}: cannot read the baseline (write one with --update-baseline)",
            path.display()
        )
    })?;
    // Parsed as it is read: a file that is not JSON (/dev/zero) fails at
    // its first bytes instead of being read whole.
    let v: Value = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| format!("{}: not JSON", path.display()))?;
    let (state, _) = ReportState::from_value(v).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a tokenmaxx report ({e}); save one with `tokenmaxx report --format json`",
            path.display()
        )
    })?;
    Ok(state.aggregate.totals)
}

fn write_baseline(path: &std::path::Path, agg: &Aggregate, acc: &Accounting) -> Result<()> {
    let options = ReportOptions::default();
    let report = Report {
        aggregate: agg,
        accounting: acc,
        options: &options,
    };
    let mut buf = Vec::new();
    export::exporter(export::ReportFormat::Json).write(&report, &mut buf)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    super::write_atomically(path, &buf)
        .with_context(|| format!("{}: cannot write the baseline", path.display()))
}

fn prompt_checks(budget: &Budget, args: &CheckArgs, out: &mut Vec<CheckResult>) -> Result<()> {
    if budget.prompts.is_empty() {
        return Ok(());
    }
    let book = super::price_book(&args.input.common.pricing, &args.input.common.model_map)?;
    for (i, p) in budget.prompts.iter().enumerate() {
        let at = format!("{} [[prompt]] #{} ", args.budget.display(), i + 1);
        let choice = match &p.tokenizer {
            // A file is relative to the budget file, as its globs are.
            Some(t) => {
                let name = if crate::tokenize::Encoding::from_name(t).is_some() {
                    t.clone()
                } else {
                    budget.dir().join(t).to_string_lossy().into_owned()
                };
                crate::tokenize::named_tokenizer(&name, p.tokenizer_pattern.as_deref())
                    .with_context(|| format!("{at}tokenizer `{t}`"))?
            }
            None => crate::tokenize::tokenizer_for(
                Some(&book),
                p.model.as_deref(),
                p.encoding.as_deref(),
                &at,
            )?,
        };
        let tok = choice.engine.tokenizer();
        let files = prompt_files(budget, &p.files, &at)?;
        let tokenizer = choice.label();
        let mut total = 0u64;
        for f in &files {
            let text = crate::limits::read_text(f, crate::limits::TEXT, "a prompt file")
                .with_context(|| format!("{}: cannot read as UTF-8 text", f.display()))?;
            let n = tok
                .count(&text)
                .with_context(|| format!("{}: cannot count", f.display()))?
                as u64;
            total = total.saturating_add(n);
            if let Some(max) = p.max_tokens {
                out.push(prompt_result(
                    "prompt_tokens",
                    f.display().to_string(),
                    n,
                    max,
                    &tokenizer,
                    Some(f.display().to_string()),
                ));
            }
        }
        if let Some(max) = p.max_total_tokens {
            out.push(prompt_result(
                "prompt_total_tokens",
                p.files.join(", "),
                total,
                max,
                &tokenizer,
                None,
            ));
        }
    }
    Ok(())
}

/// The files a `[[prompt]]` entry's patterns name, sorted, each once; a
/// pattern that matches nothing is an error (a renamed prompt file must
/// not pass silently).
fn prompt_files(budget: &Budget, patterns: &[String], at: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for pat in patterns {
        let found = glob::files(budget.dir(), pat).with_context(|| format!("{at}files `{pat}`"))?;
        if found.is_empty() {
            bail!("{at}files `{pat}`: no file matches");
        }
        files.extend(found);
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn prompt_result(
    name: &str,
    scope: String,
    n: u64,
    max: u64,
    tokenizer: &str,
    file: Option<String>,
) -> CheckResult {
    CheckResult {
        kind: Kind::Prompt,
        name: name.to_string(),
        scope,
        unit: Unit::Tokens,
        value: Some(Decimal::from(n)),
        limit: Some(Decimal::from(max)),
        floor: false,
        baseline: None,
        delta_pct: None,
        passed: n <= max,
        note: Some(tokenizer.to_string()),
        file,
    }
}
