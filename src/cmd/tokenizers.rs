//! List the built-in tokenizers and which models use which, with exactness.
//!
//! Usage: tokenmaxx tokenizers [--pricing FILE]…

use std::io::{self, BufWriter, Write};

use anyhow::Result;
use clap::Args;

use crate::cli::{Outcome, PricingArgs};
use crate::tokenize::Encoding;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx tokenizers                          encodings, and each model's tokenizer
  tokenmaxx tokenizers | grep approx            models counted with an approximation
  tokenmaxx tokenizers --pricing mine.toml      including models from an overlay")]
pub struct TokenizersArgs {
    #[command(flatten)]
    pub common: PricingArgs,
}

pub fn run(args: TokenizersArgs) -> Result<Outcome> {
    let book = super::price_book(&args.common.pricing, &args.common.model_map)?;
    let mut out = BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "Encodings (exact reproductions of OpenAI tiktoken, encode_ordinary):"
    )?;
    for e in Encoding::ALL {
        let engine = match e {
            Encoding::O200kBase | Encoding::O200kHarmony | Encoding::Cl100kBase => {
                "tokenmaxx (own pre-tokenizer and merge; bpe-openai ranks)"
            }
            Encoding::P50kBase | Encoding::R50kBase => "tiktoken-rs",
        };
        writeln!(out, "  {:<14} engine: {engine}", e.name())?;
    }
    // Tokenizer files the overlays name, and the models that use each.
    let mut files: Vec<(&str, Vec<&str>)> = Vec::new();
    for m in book.models() {
        if let Some(t) = m
            .tokenizer
            .as_deref()
            .filter(|t| Encoding::from_name(t).is_none())
        {
            match files.iter_mut().find(|(f, _)| *f == t) {
                Some((_, models)) => models.push(&m.id),
                None => files.push((t, vec![&m.id])),
            }
        }
    }
    if !files.is_empty() {
        writeln!(out)?;
        writeln!(out, "Tokenizer files (from --pricing overlays):")?;
        for (f, models) in &files {
            let pattern = book
                .models()
                .iter()
                .find(|m| m.tokenizer.as_deref() == Some(*f))
                .and_then(|m| m.tokenizer_pattern.as_deref());
            let t = crate::tokenize::user::UserTokenizer::shared(std::path::Path::new(f), pattern)?;
            writeln!(out, "  {f}")?;
            writeln!(out, "    {}", t.describe())?;
            writeln!(out, "    used by: {}", models.join(", "))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Models (from the price book):")?;
    let width = book.models().iter().map(|m| m.id.len()).max().unwrap_or(0);
    for m in book.models() {
        let tok = m.tokenizer.as_deref().unwrap_or("-");
        let label = if m.tokenizer_exact {
            format!("{tok} (exact)")
        } else {
            format!("approx:{tok} (no public tokenizer; counts are estimates)")
        };
        writeln!(out, "  {:<width$}  {label}", m.id)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Other model names: tiktoken's name map (gpt-4o*, o1/o3/o4, gpt-5 → o200k_base; gpt-4, gpt-3.5 → cl100k_base; gpt-oss → o200k_harmony), else approx:o200k_base."
    )?;
    out.flush()?;
    Ok(Outcome::Ok)
}
