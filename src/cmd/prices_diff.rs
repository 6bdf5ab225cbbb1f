//! `prices diff`: list every price on which two books disagree.
//!
//! Usage: tokenmaxx prices diff BOOK_A BOOK_B [--rulings FILE] [--format table|json]
//!
//! A book is `embedded` (everything shipped), `curated`, `genai-prices` or
//! `litellm` (one shipped layer alone), or a price-table file. Exit 1 when a
//! disagreement is not ruled on in `--rulings`, 0 when all are (or none
//! exist), 2 on error. See pricing/README.md, "Disagreements and rulings".

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::cli::Outcome;
use crate::export::prices::PricesFormat;
use crate::price::PriceBook;
use crate::price::diff::{Disagreement, diff};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx prices diff genai-prices curated --rulings pricing/rulings.toml
  tokenmaxx prices diff litellm.toml embedded")]
pub struct DiffArgs {
    /// First book: embedded, curated, genai-prices, litellm, litellm-retired, or a price-table file.
    #[arg(value_name = "BOOK_A")]
    pub a: String,
    /// Second book, looked up by each name of the first book's models.
    #[arg(value_name = "BOOK_B")]
    pub b: String,
    /// Rulings on known disagreements (TOML); a ruled one does not fail.
    #[arg(long, value_name = "FILE")]
    pub rulings: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PricesFormat::Table)]
    pub format: PricesFormat,
}

/// One ruling: a disagreement examined, and which value stands, and why.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Ruling {
    /// A model id of either book, or the name the diff shows; a trailing
    /// `*` matches any id with that prefix.
    model: String,
    /// A field as the diff names it; a prefix such as `batch` covers its
    /// buckets; `*` every field.
    field: String,
    /// Only this date (YYYY-MM-DD); absent: every date.
    date: Option<String>,
    /// Which value stands (free text, e.g. "curated").
    keep: String,
    /// The reasoning, with a citation.
    why: String,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Rulings {
    #[serde(default)]
    ruling: Vec<Ruling>,
}

impl Ruling {
    /// Whether the ruling's `model` names this id or name.
    fn names(&self, m: &str) -> bool {
        let (want, m) = (self.model.to_ascii_lowercase(), m.to_ascii_lowercase());
        match want.strip_suffix('*') {
            Some(prefix) => m.starts_with(prefix),
            None => m == want,
        }
    }

    fn covers(&self, d: &Disagreement) -> bool {
        let model = [&d.name, &d.a_model, &d.b_model]
            .iter()
            .any(|m| self.names(m));
        let field = self.field == "*"
            || d.field == self.field
            || d.field.starts_with(&format!("{}.", self.field));
        let date = self.date.as_deref().is_none_or(|x| x == d.date.to_string());
        model && field && date
    }
}

#[derive(Serialize)]
struct DiffDoc<'a> {
    schema_version: u32,
    a: &'a str,
    b: &'a str,
    disagreements: Vec<DisagreementDoc<'a>>,
    unruled: usize,
}

#[derive(Serialize)]
struct DisagreementDoc<'a> {
    name: &'a str,
    a_model: &'a str,
    b_model: &'a str,
    date: String,
    field: &'a str,
    a: &'a str,
    b: &'a str,
    a_source: &'a str,
    b_source: &'a str,
    /// The ruling that covers it, if any (its `why`).
    ruling: Option<&'a str>,
}

pub fn run(args: DiffArgs) -> Result<Outcome> {
    let a = book(&args.a)?;
    let b = book(&args.b)?;
    let rulings = match &args.rulings {
        None => Vec::new(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read rulings", p.display()))?;
            let r: Rulings = toml::from_str(&text)
                .with_context(|| format!("{}: not a rulings file", p.display()))?;
            for (i, x) in r.ruling.iter().enumerate() {
                if x.why.trim().is_empty() || x.keep.trim().is_empty() {
                    bail!(
                        "{}: ruling {} (`{}` {}) needs `keep` and a `why` with its citation",
                        p.display(),
                        i + 1,
                        x.model,
                        x.field
                    );
                }
            }
            r.ruling
        }
    };
    let found = diff(a.models(), &b);
    let ruled: Vec<Option<&Ruling>> = found
        .iter()
        .map(|d| rulings.iter().find(|r| r.covers(d)))
        .collect();
    let unruled = ruled.iter().filter(|r| r.is_none()).count();

    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        PricesFormat::Json => {
            let doc = DiffDoc {
                schema_version: crate::schema::SCHEMA_VERSION,
                a: &args.a,
                b: &args.b,
                disagreements: found
                    .iter()
                    .zip(&ruled)
                    .map(|(d, r)| DisagreementDoc {
                        name: &d.name,
                        a_model: &d.a_model,
                        b_model: &d.b_model,
                        date: d.date.to_string(),
                        field: &d.field,
                        a: &d.a,
                        b: &d.b,
                        a_source: &d.a_source,
                        b_source: &d.b_source,
                        ruling: r.map(|r| r.why.as_str()),
                    })
                    .collect(),
                unruled,
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        PricesFormat::Table => {
            let mut last: Option<(&str, &str)> = None;
            for (d, r) in found.iter().zip(&ruled) {
                if last != Some((&d.a_model, &d.b_model)) {
                    writeln!(
                        out,
                        "{}: {} ({}) vs {} ({})",
                        d.name, d.a_model, args.a, d.b_model, args.b
                    )?;
                    writeln!(out, "  sources: {} | {}", d.a_source, d.b_source)?;
                    last = Some((&d.a_model, &d.b_model));
                }
                writeln!(
                    out,
                    "  {}  {:<28} {:>10} | {:<10}{}",
                    d.date,
                    d.field,
                    d.a,
                    d.b,
                    match r {
                        Some(r) => format!("  ruled: keep {}", r.keep),
                        None => String::new(),
                    }
                )?;
            }
            writeln!(
                out,
                "{} disagreement{} between {} and {}: {} ruled, {unruled} not ruled",
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                args.a,
                args.b,
                found.len() - unruled
            )?;
        }
    }
    out.flush()?;
    // One rulings file serves several pairs of books: a ruling is stale
    // only if it is about a model of book A and covers nothing.
    let about = |r: &Ruling| {
        a.models()
            .iter()
            .any(|m| r.names(&m.id) || m.names.iter().any(|n| r.names(n)))
    };
    let unused: Vec<&Ruling> = rulings
        .iter()
        .filter(|r| about(r) && !found.iter().any(|d| r.covers(d)))
        .collect();
    for r in &unused {
        eprintln!(
            "warning: ruling on `{}` {} matches no disagreement (stale? remove it)",
            r.model, r.field
        );
    }
    Ok(if unruled > 0 {
        Outcome::Problem
    } else {
        Outcome::Ok
    })
}

fn book(spec: &str) -> Result<PriceBook> {
    match spec {
        "embedded" => PriceBook::embedded(),
        "curated" => PriceBook::curated(),
        "genai-prices" | "litellm" | "litellm-retired" => PriceBook::generated(spec),
        path => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{path}: cannot read price table"))?;
            PriceBook::from_toml_str(path, &text)
        }
    }
}
