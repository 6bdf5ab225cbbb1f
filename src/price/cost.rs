//! Exact cost of one request: tokens × USD/1M per bucket, in `Decimal`.

use rust_decimal::Decimal;

use super::{PriceRow, Rates, Resolved, Unpriced};
use crate::record::AudioTokens;
use crate::record::{ServiceTier, Usage};

/// Every bucket a [`Cost::breakdown`] can name, in billing order (the
/// report's JSON reader and the Parquet columns both list them from here).
pub const COST_BUCKETS: &[&str] = &[
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "web_search",
];

/// Exact cost of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Sum of `breakdown`, exactly.
    pub total: Decimal,
    /// USD per bucket, in the fixed order `input`, `cache_read`,
    /// `cache_write_5m`, `cache_write_1h`, `output`, `web_search`; only
    /// buckets with a non-zero token (or request) count appear.
    pub breakdown: Vec<(&'static str, Decimal)>,
    /// True when the row's long-context tier priced the request.
    pub long_context: bool,
    /// What the cache reads would have cost at the uncached input rate,
    /// minus what they cost: the money prompt caching saved (≥ 0 unless a
    /// table prices reads above input).
    pub cache_savings: Decimal,
    /// What cache writes cost beyond the uncached input rate: the price of
    /// caching (5m writes at 1.25× input, 1h at 2× for Anthropic).
    pub cache_write_premium: Decimal,
}

impl Cost {
    /// The cost of one bucket (zero when absent).
    pub fn bucket(&self, name: &str) -> Decimal {
        self.breakdown
            .iter()
            .find(|(b, _)| *b == name)
            .map_or(Decimal::ZERO, |(_, v)| *v)
    }
}

impl PriceRow {
    /// The rates of a request with `total_input` input tokens at `tier`,
    /// and the multiplier still to apply to them (1 when the tier has its
    /// own prices). A tier's own prices replace the standard ones bucket by
    /// bucket; a multiplier scales every bucket; neither leaves the tier
    /// unpriced (None).
    pub fn tier_rates(&self, tier: ServiceTier, total_input: u64) -> Option<(Rates, Decimal)> {
        let (mult, own) = match tier {
            ServiceTier::Standard => (Some(Decimal::ONE), None),
            ServiceTier::Batch => (self.batch, self.batch_prices.as_ref()),
            ServiceTier::Flex => (self.flex, self.flex_prices.as_ref()),
            ServiceTier::Priority => (self.priority, self.priority_prices.as_ref()),
        };
        let mut rates = self.effective_rates(total_input);
        match (own, mult) {
            (Some(prices), _) => {
                prices.apply(&mut rates);
                Some((rates, Decimal::ONE))
            }
            (None, Some(m)) => Some((rates, m)),
            (None, None) => None,
        }
    }
}

/// Whether a service tier is priced by its own table (which holds no
/// audio rates) rather than by a multiplier.
fn tier_has_own_prices(row: &PriceRow, tier: ServiceTier) -> bool {
    match tier {
        ServiceTier::Standard => false,
        ServiceTier::Batch => row.batch_prices.is_some(),
        ServiceTier::Flex => row.flex_prices.is_some(),
        ServiceTier::Priority => row.priority_prices.is_some(),
    }
}

impl Resolved<'_> {
    /// Price `usage` served at `tier`, plus `web_search_requests` billed per
    /// 1000 requests.
    ///
    /// Unpriced when the tier is not standard and the row has no multiplier
    /// for it (`no batch price for `o1``), or when web searches were made and
    /// the row has no web-search price: never silently billed as something
    /// else.
    pub fn cost(
        &self,
        usage: &Usage,
        tier: ServiceTier,
        web_search_requests: u64,
    ) -> Result<Cost, Unpriced> {
        self.cost_in_context(
            usage,
            tier,
            web_search_requests,
            None,
            AudioTokens::default(),
        )
    }

    /// [`Resolved::cost`] with the long-context decision given by the log
    /// (`Some`) instead of judged from `usage` (`None`): a usage-export
    /// bucket sums many requests, so its total input says nothing about
    /// any one request's size. `audio` are the audio tokens inside `usage`:
    /// providers price audio apart from text (often several times above
    /// it), so they are billed at the row's audio rates, and a request
    /// whose audio has no rate is unpriced rather than billed as text.
    pub fn cost_in_context(
        &self,
        usage: &Usage,
        tier: ServiceTier,
        web_search_requests: u64,
        long_context: Option<bool>,
        audio: AudioTokens,
    ) -> Result<Cost, Unpriced> {
        let row = self.row;
        let id = &self.model.id;
        let audio_rate = |tokens: u64, rate: Option<Decimal>, side: &str| match rate {
            _ if tokens == 0 => Ok(Decimal::ZERO),
            Some(r) => Ok(r),
            None => Err(Unpriced::new(format!(
                "no audio price for `{id}` ({tokens} {side} audio tokens; billed as text they would be under-billed)"
            ))),
        };
        let input_audio = audio_rate(audio.input, row.input_audio, "input")?;
        let output_audio = audio_rate(audio.output, row.output_audio, "output")?;
        // Audio is inside the input and output counts. Cached audio has no
        // rate here: audio beyond the uncached input cannot be priced.
        if audio.input > usage.input || audio.output > usage.output {
            return Err(Unpriced::new(format!(
                "no price for cached audio tokens of `{id}` ({} audio input tokens, {} uncached input)",
                audio.input, usage.input
            )));
        }
        if audio.total() > 0 && tier != ServiceTier::Standard && tier_has_own_prices(row, tier) {
            return Err(Unpriced::new(format!(
                "no {} audio price for `{id}`",
                tier.as_str()
            )));
        }
        let total_input = match long_context {
            None => usage.total_input(),
            Some(true) => u64::MAX,
            Some(false) => 0,
        };
        let Some((rates, mult)) = row.tier_rates(tier, total_input) else {
            return Err(Unpriced::new(format!(
                "no {} price for `{id}`",
                tier.as_str()
            )));
        };
        let overflow = || Unpriced::new(format!("cost overflows for `{id}`"));
        let million = Decimal::from(1_000_000u32);
        let tokens_cost = |tokens: u64, rate: Decimal| -> Result<Decimal, Unpriced> {
            Decimal::from(tokens)
                .checked_mul(rate)
                .and_then(|v| v.checked_mul(mult))
                .and_then(|v| v.checked_div(million))
                .map(|v| v.normalize())
                .ok_or_else(overflow)
        };

        let mut breakdown = Vec::with_capacity(6);
        for (name, tokens, rate, audio_tokens, audio_rate) in [
            ("input", usage.input, rates.input, audio.input, input_audio),
            (
                "cache_read",
                usage.cache_read,
                rates.cache_read,
                0,
                Decimal::ZERO,
            ),
            (
                "cache_write_5m",
                usage.cache_write_5m,
                rates.cache_write_5m,
                0,
                Decimal::ZERO,
            ),
            (
                "cache_write_1h",
                usage.cache_write_1h,
                rates.cache_write_1h,
                0,
                Decimal::ZERO,
            ),
            (
                "output",
                usage.output,
                rates.output,
                audio.output,
                output_audio,
            ),
        ] {
            if tokens > 0 {
                // The bucket's audio tokens at the audio rate, the rest at
                // the text rate; one bucket either way.
                let v = tokens_cost(tokens - audio_tokens, rate)?
                    .checked_add(tokens_cost(audio_tokens, audio_rate)?)
                    .ok_or_else(overflow)?;
                breakdown.push((name, v.normalize()));
            }
        }
        if web_search_requests > 0 {
            let per_1k = row
                .web_search_per_1k
                .ok_or_else(|| Unpriced::new(format!("no web search price for `{id}`")))?;
            let v = Decimal::from(web_search_requests)
                .checked_mul(per_1k)
                .and_then(|v| v.checked_div(Decimal::from(1000u32)))
                .map(|v| v.normalize())
                .ok_or_else(overflow)?;
            breakdown.push(("web_search", v));
        }
        let mut total = Decimal::ZERO;
        for (_, v) in &breakdown {
            total = total.checked_add(*v).ok_or_else(overflow)?;
        }
        let cache_savings = tokens_cost(usage.cache_read, rates.input - rates.cache_read)?;
        let cache_write_premium =
            tokens_cost(usage.cache_write_5m, rates.cache_write_5m - rates.input)?
                .checked_add(tokens_cost(
                    usage.cache_write_1h,
                    rates.cache_write_1h - rates.input,
                )?)
                .ok_or_else(overflow)?;
        Ok(Cost {
            total: total.normalize(),
            breakdown,
            long_context: rates.long_context,
            cache_savings: cache_savings.normalize(),
            cache_write_premium: cache_write_premium.normalize(),
        })
    }
}
