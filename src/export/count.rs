//! `count` output: tokens per file and in total, as a plain list or JSON.

use std::io::Write;

use anyhow::Result;

use crate::fmt::thousands;
use crate::schema::SCHEMA_VERSION;
use crate::schema::count::{CountDoc, FileCountDoc};

/// `--format` for `count`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CountFormat {
    #[default]
    Table,
    Json,
}
/// What `count` measured.
pub struct Counted<'a> {
    /// The tokenizer's label (`o200k_base`, `approx:o200k_base`).
    pub tokenizer: String,
    pub exact: bool,
    /// `--model`, named in the note on an approximate count.
    pub model: Option<&'a str>,
    /// (path, bytes, tokens) per file, in input order.
    pub files: &'a [(String, u64, u64)],
    pub total: u64,
}

pub fn write(format: CountFormat, c: &Counted, out: &mut dyn Write) -> Result<()> {
    match format {
        CountFormat::Json => {
            let doc = CountDoc {
                schema_version: SCHEMA_VERSION,
                tokenizer: &c.tokenizer,
                exact: c.exact,
                files: c
                    .files
                    .iter()
                    .map(|(path, bytes, tokens)| FileCountDoc {
                        path,
                        bytes: *bytes,
                        tokens: *tokens,
                    })
                    .collect(),
                total_tokens: c.total,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        CountFormat::Table => {
            let width = c.files.iter().map(|f| f.0.len()).max().unwrap_or(0).max(5);
            for (p, _, t) in c.files {
                writeln!(out, "{p:<width$}  {:>12}", thousands(*t))?;
            }
            if c.files.len() > 1 {
                writeln!(out, "{:<width$}  {:>12}", "total", thousands(c.total))?;
            }
            if !c.exact {
                writeln!(
                    out,
                    "(approximate: {} has no public tokenizer; counted with {})",
                    c.model.unwrap_or("this model"),
                    c.tokenizer
                )?;
            }
        }
    }
    Ok(())
}
