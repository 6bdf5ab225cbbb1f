//! Importers for the two public, MIT-licensed price data sets: pydantic
//! genai-prices' data JSON and LiteLLM's `model_prices_and_context_window.json`.
//! Each turns the source into tokenmaxx models (pricing/README.md, "Imported
//! tables") and lists, by reason, everything it could not map: an import
//! never drops a model or a price silently.
//!
//! Money is read from the source's decimal text (serde_json `RawValue`),
//! never through a float: LiteLLM's per-token `2.5e-06` becomes exactly
//! `2.50` per 1M tokens.

mod genai_prices;
mod litellm;

use anyhow::{Result, anyhow, bail};
use jiff::civil::Date;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

use super::resolve::{name_key, normalize};
use super::table::ModelEntry;

/// Which data set a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    GenaiPrices,
    Litellm,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::GenaiPrices => "genai-prices",
            Source::Litellm => "litellm",
        }
    }
}

/// What an import settles that the data does not say.
#[derive(Clone, Debug)]
pub struct Options {
    /// `checked` of every row: the day the data set was taken.
    pub checked: Date,
    /// Names the data set version in each row's note (e.g. "litellm 1.110.2").
    pub label: String,
}

/// The imported models, and what was left out.
#[derive(Debug, Default)]
pub struct Import {
    pub models: Vec<ModelEntry>,
    /// Reason → the source entries (and detail) it applies to.
    pub unmapped: BTreeMap<String, Vec<String>>,
    /// Entries read from the source.
    pub entries: usize,
}

impl Import {
    fn unmapped(&mut self, reason: impl Into<String>, item: impl Into<String>) {
        self.unmapped
            .entry(reason.into())
            .or_default()
            .push(item.into());
    }

    /// Items listed as not mapped, all reasons together.
    pub fn unmapped_count(&self) -> usize {
        self.unmapped.values().map(Vec::len).sum()
    }
}

/// Read one data set. A file that is not the data set it claims to be is an
/// error naming what is wrong; entries the importer cannot map are listed.
pub fn import(source: Source, text: &str, opts: &Options) -> Result<Import> {
    let mut out = match source {
        Source::GenaiPrices => genai_prices::import(text, opts)?,
        Source::Litellm => litellm::import(text, opts)?,
    };
    settle_names(&mut out);
    Ok(out)
}

/// The date `from` takes when the source gives no start date and no name
/// carries a snapshot date: the price is used for every earlier request, as
/// both references do (pricing/README.md, "Imported tables").
pub fn undated() -> Date {
    jiff::civil::date(1, 1, 1)
}

/// The snapshot date a model name carries (`-2024-08-06`, `-20250929`).
pub fn snapshot_date(name: &str) -> Option<Date> {
    let n = normalize(name);
    let base = super::resolve::strip_date_suffix(&n)?;
    let tail = n[base.len()..].trim_start_matches('-');
    let digits: String = tail.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 8 {
        return None;
    }
    let y: i16 = digits[0..4].parse().ok()?;
    let m: i8 = digits[4..6].parse().ok()?;
    let d: i8 = digits[6..8].parse().ok()?;
    Date::new(y, m, d).ok()
}

/// A JSON number's own text as an exact decimal ("2.5e-06" included).
pub(crate) fn decimal(text: &str) -> Result<Decimal> {
    let t = text.trim();
    let d = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str_exact(t)
    }
    .map_err(|_| anyhow!("not a decimal number: {t}"))?;
    if d.is_sign_negative() && !d.is_zero() {
        bail!("negative price: {t}");
    }
    Ok(d.normalize())
}

/// A price of zero (a field that prices nothing is not worth listing).
pub(crate) fn is_zero(text: &str) -> bool {
    decimal(text).is_ok_and(|d| d.is_zero())
}

/// USD per token → USD per 1M tokens, exactly.
pub(crate) fn per_million(per_token: Decimal) -> Decimal {
    (per_token * Decimal::from(1_000_000)).normalize()
}

/// Providers whose own names come first when two providers of one data set
/// price the same model name: the maker's API price beats a host's or a
/// gateway's.
const FIRST_PARTY: &[&str] = &[
    "openai",
    "text-completion-openai",
    "anthropic",
    "google",
    "gemini",
    "mistral",
    "deepseek",
    "x-ai",
    "xai",
    "cohere",
    "cohere_chat",
    "moonshotai",
    "moonshot",
    "zai",
    "zhipuai",
    "minimax",
    "perplexity",
    "voyageai",
    "voyage",
    "ai21",
];

fn provider_rank(provider: &str) -> usize {
    FIRST_PARTY
        .iter()
        .position(|p| *p == provider)
        .unwrap_or(FIRST_PARTY.len())
}

/// One logged name must lead to one price. Models are ordered makers first
/// (then in source order); a name an earlier model already has is taken off
/// a later one, and a model left with no name of its own is dropped, each
/// listed with the model that keeps the name.
fn settle_names(out: &mut Import) {
    let mut models = std::mem::take(&mut out.models);
    // Stable: source order within one rank.
    models.sort_by_key(|m| provider_rank(&m.provider));
    let mut owner: HashMap<String, String> = HashMap::new();
    for mut m in models {
        let mut kept = Vec::new();
        for name in std::mem::take(&mut m.names) {
            // Keyed as the book will match it (pricing/README.md).
            let key = name_key(&name);
            match owner.get(&key) {
                Some(o) if *o != m.id => out.unmapped(
                    "name already priced by another model of the same data set (first-party provider first, then source order)",
                    format!("{}: `{name}` (kept by {o})", m.id),
                ),
                Some(_) => {}
                None => {
                    owner.insert(key, m.id.clone());
                    kept.push(name);
                }
            }
        }
        if kept.is_empty() {
            out.unmapped(
                "model dropped: every name already priced by another model of the same data set",
                m.id.clone(),
            );
            continue;
        }
        m.names = kept;
        out.models.push(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_come_from_the_text() {
        assert_eq!(per_million(decimal("2.5e-06").unwrap()).to_string(), "2.5");
        assert_eq!(per_million(decimal("3e-07").unwrap()).to_string(), "0.3");
        assert_eq!(
            per_million(decimal("1.25E-7").unwrap()).to_string(),
            "0.125"
        );
        // A float product would give 0.30000000000000004 here.
        assert_eq!(
            per_million(decimal("3.0000000000000004e-07").unwrap()).to_string(),
            "0.30000000000000004"
        );
        assert_eq!(decimal("0.8").unwrap().to_string(), "0.8");
        assert!(decimal("-1").is_err());
        assert!(decimal("abc").is_err());
    }

    #[test]
    fn snapshot_dates() {
        assert_eq!(
            snapshot_date("gpt-4o-2024-08-06"),
            Some(jiff::civil::date(2024, 8, 6))
        );
        assert_eq!(
            snapshot_date("claude-sonnet-4-5-20250929"),
            Some(jiff::civil::date(2025, 9, 29))
        );
        assert_eq!(snapshot_date("gpt-4o"), None);
        assert_eq!(snapshot_date("claude-3-5-haiku-latest"), None);
        assert_eq!(snapshot_date("x-20251340"), None);
    }
}
