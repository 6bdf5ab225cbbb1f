//! `prices --format json`: the price book (every model and its dated rows),
//! or one model resolved at a date. Prices are USD per 1M tokens; the
//! batch/flex/priority fields are multipliers of the standard price.

use serde::Serialize;

use super::Dec;

/// `prices --format json`.
#[derive(Serialize)]
pub struct PriceBookDoc<'a> {
    pub schema_version: u32,
    pub unit: &'a str,
    pub models: Vec<ModelDoc<'a>>,
}

/// `prices MODEL --format json`.
#[derive(Serialize)]
pub struct ResolvedDoc<'a> {
    pub schema_version: u32,
    pub query: &'a str,
    pub at: Option<String>,
    pub model: ModelDoc<'a>,
    /// The row that prices a request at `at` (null when unpriced).
    pub in_effect: Option<PriceRowDoc<'a>>,
    pub unpriced_reason: Option<&'a str>,
}

#[derive(Serialize)]
pub struct ModelDoc<'a> {
    pub id: &'a str,
    pub provider: &'a str,
    pub names: &'a [String],
    pub tokenizer: Option<&'a str>,
    pub tokenizer_exact: bool,
    pub context_window: Option<u64>,
    /// The table the model was read from (embedded file or overlay path).
    pub origin: &'a str,
    pub rows: Vec<PriceRowDoc<'a>>,
}

#[derive(Serialize)]
pub struct PriceRowDoc<'a> {
    /// UTC date the row takes effect; it holds until the next row.
    pub from: String,
    pub input: Dec,
    pub cache_read: Option<Dec>,
    pub cache_write_5m: Option<Dec>,
    pub cache_write_1h: Option<Dec>,
    pub output: Dec,
    pub web_search_per_1k: Option<Dec>,
    pub input_audio: Option<Dec>,
    pub output_audio: Option<Dec>,
    pub batch: Option<Dec>,
    pub flex: Option<Dec>,
    pub priority: Option<Dec>,
    /// The batch tier's own prices, where it has them instead of `batch`.
    pub batch_prices: Option<TierPricesDoc>,
    pub flex_prices: Option<TierPricesDoc>,
    pub priority_prices: Option<TierPricesDoc>,
    pub long_context: Option<LongContextDoc>,
    pub source: &'a str,
    pub checked: &'a str,
    pub note: Option<&'a str>,
}

/// Prices of a request whose input is above `above` tokens.
#[derive(Serialize)]
pub struct LongContextDoc {
    pub above: u64,
    pub input: Option<Dec>,
    pub cache_read: Option<Dec>,
    pub cache_write_5m: Option<Dec>,
    pub cache_write_1h: Option<Dec>,
    pub output: Option<Dec>,
}

/// A service tier's own prices; a bucket that is null keeps the standard
/// price.
#[derive(Serialize)]
pub struct TierPricesDoc {
    #[serde(flatten)]
    pub base: BucketsDoc,
    /// Prices above the row's long-context threshold.
    pub long_context: Option<BucketsDoc>,
}

#[derive(Serialize)]
pub struct BucketsDoc {
    pub input: Option<Dec>,
    pub cache_read: Option<Dec>,
    pub cache_write_5m: Option<Dec>,
    pub cache_write_1h: Option<Dec>,
    pub output: Option<Dec>,
}
