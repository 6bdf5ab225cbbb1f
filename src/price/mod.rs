//! Versioned price tables: every row has an effective date, so a request is
//! priced at the row in effect on its day (pricing/README.md).
//!
//! `pricing/{openai,anthropic,google}.toml` are embedded at build time; run-time
//! overlays (`--pricing FILE`) replace models by `id` or add new ones. A logged
//! model name is normalized and matched exactly against each model's names
//! (then once more without a date suffix), the row in effect on the record's
//! UTC date is chosen, and [`Resolved::cost`] prices the usage buckets exactly
//! in `Decimal`. The schema, the matching and the fallback rules are documented
//! in `pricing/README.md`.

mod check;
mod cost;
mod resolve;
mod table;

use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use jiff::Timestamp;

pub use cost::Cost;
pub use resolve::{normalize, strip_date_suffix, utc_date};
pub use table::{Buckets, KNOWN_TOKENIZERS, LongContext, ModelEntry, PriceRow, Rates, TierPrices};

/// The embedded tables: (origin, text).
const EMBEDDED: [(&str, &str); 3] = [
    (
        "embedded:pricing/openai.toml",
        include_str!("../../pricing/openai.toml"),
    ),
    (
        "embedded:pricing/anthropic.toml",
        include_str!("../../pricing/anthropic.toml"),
    ),
    (
        "embedded:pricing/google.toml",
        include_str!("../../pricing/google.toml"),
    ),
];

/// All loaded models plus a name index.
#[derive(Clone, Debug)]
pub struct PriceBook {
    models: Vec<ModelEntry>,
    index: HashMap<String, usize>,
}

/// A model matched and the price row in effect.
#[derive(Clone, Copy, Debug)]
pub struct Resolved<'a> {
    pub model: &'a ModelEntry,
    pub row: &'a PriceRow,
    /// The record had no timestamp: the latest row was used.
    pub undated: bool,
}

/// Why a record cannot be priced; it is then excluded from cost totals and
/// listed, never counted as $0.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Unpriced {
    pub reason: String,
}

impl Unpriced {
    pub fn new(reason: impl Into<String>) -> Unpriced {
        Unpriced {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Unpriced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Unpriced {}

impl PriceBook {
    fn from_models(models: Vec<ModelEntry>) -> PriceBook {
        let index = resolve::build_index(&models);
        PriceBook { models, index }
    }

    fn embedded_models() -> Result<Vec<ModelEntry>> {
        let mut models = Vec::new();
        for (origin, text) in EMBEDDED {
            models.extend(table::parse_table(origin, text)?);
        }
        Ok(models)
    }

    /// Embedded tables only.
    pub fn embedded() -> Result<PriceBook> {
        Ok(PriceBook::from_models(PriceBook::embedded_models()?))
    }

    /// Embedded tables, then each overlay file in order: a model with the same
    /// `id` as an earlier one replaces it entirely (keeping its position); new
    /// ids are appended. Errors name the file and what to fix.
    pub fn load(overlays: &[PathBuf]) -> Result<PriceBook> {
        let mut models = PriceBook::embedded_models()?;
        for path in overlays {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{origin}: cannot read pricing file"))?;
            let overlay = table::parse_table(&origin, &text)?;
            merge(&mut models, overlay);
        }
        Ok(PriceBook::from_models(models))
    }

    /// One table from a string (tests).
    pub fn from_toml_str(origin: &str, text: &str) -> Result<PriceBook> {
        Ok(PriceBook::from_models(table::parse_table(origin, text)?))
    }

    /// This book with `text` applied as an overlay (same rules as `load`).
    pub fn with_overlay_str(mut self, origin: &str, text: &str) -> Result<PriceBook> {
        merge(&mut self.models, table::parse_table(origin, text)?);
        Ok(PriceBook::from_models(self.models))
    }

    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// Normalize and match a logged model name (None = unknown model).
    pub fn find(&self, model: &str) -> Option<&ModelEntry> {
        resolve::find(&self.models, &self.index, model)
    }

    /// The model and the row in effect on `at`'s UTC date; with no timestamp
    /// the latest row, flagged `undated`.
    pub fn resolve(&self, model: &str, at: Option<Timestamp>) -> Result<Resolved<'_>, Unpriced> {
        resolve::resolve(self.find(model), model, at)
    }

    /// Validate every table. Empty = OK.
    /// Known names close to `model`, closest first (at most `n`).
    pub fn suggest(&self, model: &str, n: usize) -> Vec<&str> {
        resolve::suggest(&self.models, model, n)
    }

    pub fn check(&self) -> Vec<String> {
        check::check(&self.models)
    }
}

/// Apply one overlay file: same id → replace in place; new id → append.
/// Duplicates *within* the overlay are kept so that `check` reports them.
fn merge(models: &mut Vec<ModelEntry>, overlay: Vec<ModelEntry>) {
    let base_len = models.len();
    let mut replaced = vec![false; base_len];
    for m in overlay {
        match models[..base_len].iter().position(|e| e.id == m.id) {
            Some(i) if !replaced[i] => {
                replaced[i] = true;
                models[i] = m;
            }
            _ => models.push(m),
        }
    }
}

#[cfg(test)]
mod tests;
