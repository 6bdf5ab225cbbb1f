//! What-if pricing (README, "What if"): each billed record priced again
//! under a scenario (another model, service tier, cache policy or price
//! date) and set beside what it cost, per group and in total.
//!
//! A record enters the comparison only when both prices exist: a delta
//! over records priced on one side only would compare different calls.
//! Records the log cannot price, and records the scenario cannot price,
//! are counted apart with their reasons, never as $0.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;

use crate::aggregate::Dimension;
use crate::bill::{Billed, Pricing};
use crate::price::PriceBook;
use crate::record::{ServiceTier, Usage};
use crate::tokenize::TokenizerChoice;

/// `--cache`: what happens to the cache reads and writes of the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CachePolicy {
    /// Cache reads and writes as logged.
    #[default]
    AsLogged,
    /// No prompt caching: every cache read and write billed as plain input.
    None,
}

impl CachePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            CachePolicy::AsLogged => "as-logged",
            CachePolicy::None => "none",
        }
    }
}

/// One `--map` rule (`--as MODEL` is the rule `*=MODEL`).
#[derive(Clone, Debug)]
pub struct ModelRule {
    pub pattern: String,
    pub model: String,
    matcher: globset::GlobMatcher,
}

impl ModelRule {
    pub fn new(pattern: &str, model: &str) -> Result<ModelRule> {
        let glob = globset::GlobBuilder::new(pattern)
            .case_insensitive(true)
            .literal_separator(false)
            .build()
            .with_context(|| format!("--map: `{pattern}` is not a valid pattern"))?;
        Ok(ModelRule {
            pattern: pattern.to_string(),
            model: model.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    /// `PATTERN=MODEL,PATTERN=MODEL` (a pattern holding a comma is written
    /// in its own `--map`).
    pub fn parse_list(spec: &str) -> Result<Vec<ModelRule>> {
        spec.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((p, m)) if !p.trim().is_empty() && !m.trim().is_empty() => {
                    ModelRule::new(p.trim(), m.trim())
                }
                _ => bail!("--map: `{pair}` is not PATTERN=MODEL"),
            })
            .collect()
    }
}

/// What the scenario changes; what it leaves alone is in [`ASSUMPTIONS`].
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    /// First matching rule wins; a model no rule matches is kept.
    pub rules: Vec<ModelRule>,
    pub tier: Option<ServiceTier>,
    pub cache: CachePolicy,
    /// Prices in effect at this instant instead of at each request's time.
    pub at: Option<Timestamp>,
    /// Where a record has text, count it with the target's tokenizer
    /// (`Billed::recounted`) instead of carrying the logged counts over.
    pub recount: bool,
}

const LOGGED_COUNTS: &str = "Token counts are the logged ones: the same input, output and reasoning tokens on the target model (a model with another tokenizer would count the same text differently; such records are counted as approximate).";
const RECOUNTED: &str = "Token counts of records with text are recounted with the target's tokenizer (the logged cache split kept in proportion, reasoning tokens as logged); records without text keep the logged counts.";

/// What every what-if assumes besides its token counts, printed under the
/// table and put in the JSON (see [`Scenario::assumptions`]).
const ASSUMPTIONS: &[&str] = &[
    "Output length and reasoning are unchanged: another model may answer longer or shorter.",
    "Caching is as logged unless --cache says otherwise; with --cache none every cache read and write is billed as plain input.",
    "Long-context tiers are judged on each request's logged input size.",
];

/// One record under the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repriced {
    /// Priced both ways.
    Compared {
        actual: Decimal,
        whatif: Decimal,
        /// The target counts tokens with another tokenizer than the
        /// logged model: its token counts are estimates.
        approx_tokens: bool,
    },
    /// The log's own price is unknown (unpriced model, no model).
    ActualUnpriced { reason: String },
    /// The scenario cannot be priced (the target has no batch price, the
    /// target is unknown, no price at `--at`).
    WhatIfUnpriced { reason: String },
}

impl Scenario {
    /// What this scenario assumes, for the notes and the JSON.
    pub fn assumptions(&self) -> Vec<&'static str> {
        let mut a = vec![if self.recount {
            RECOUNTED
        } else {
            LOGGED_COUNTS
        }];
        a.extend_from_slice(ASSUMPTIONS);
        a
    }

    /// Nothing to change: a what-if that is the log itself.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.tier.is_none()
            && self.cache == CachePolicy::AsLogged
            && self.at.is_none()
            && !self.recount
    }

    /// The model a logged model becomes.
    pub fn target<'a>(&'a self, model: &'a str) -> &'a str {
        self.rules
            .iter()
            .find(|r| r.matcher.is_match(model))
            .map_or(model, |r| r.model.as_str())
    }

    /// The usage billed under the scenario.
    pub fn usage(&self, u: &Usage) -> Usage {
        match self.cache {
            CachePolicy::AsLogged => *u,
            CachePolicy::None => Usage {
                input: u.total_input(),
                cache_read: 0,
                cache_write_5m: 0,
                cache_write_1h: 0,
                ..*u
            },
        }
    }

    pub fn reprice(&self, b: &Billed, book: &PriceBook) -> Repriced {
        let actual = match &b.pricing {
            Pricing::Priced { cost, .. } => cost.total,
            Pricing::Unpriced { reason } => {
                return Repriced::ActualUnpriced {
                    reason: reason.clone(),
                };
            }
        };
        let model = b.record.model.as_deref().unwrap_or("");
        let target = self.target(model);
        let at = self.at.or(b.record.timestamp);
        let tier = self.tier.unwrap_or(b.record.service_tier);
        let unpriced = |reason: String| Repriced::WhatIfUnpriced { reason };
        let resolved = match book.resolve(target, at) {
            Ok(r) => r,
            Err(u) => return unpriced(u.reason),
        };
        let recounted = b.recounted.as_ref().filter(|_| self.recount);
        let usage = match recounted {
            Some(c) => recounted_usage(&b.usage, c),
            None => b.usage,
        };
        let cost = match resolved.cost_in_context(
            &self.usage(&usage),
            tier,
            b.record.web_search_requests,
            b.record.long_context,
            b.record.audio,
        ) {
            Ok(c) => c,
            Err(u) => return unpriced(u.reason),
        };
        let approx_tokens = match recounted {
            Some(c) => !c.exact,
            None => {
                target != model
                    && TokenizerChoice::for_model(Some(book), target).label()
                        != TokenizerChoice::for_model(Some(book), model).label()
            }
        };
        Repriced::Compared {
            actual,
            whatif: cost.total,
            approx_tokens,
        }
    }
}

/// The logged usage with the text's tokens counted again: a recounted
/// prompt keeps the logged split between uncached input, cache reads and
/// cache writes (each bucket scaled by recounted ÷ logged input, the
/// rounding remainder in uncached input, so the buckets sum to the
/// recount); a recounted response replaces the visible output, and the
/// reasoning tokens (never in the text) are kept.
pub fn recounted_usage(logged: &Usage, c: &crate::bill::Counted) -> Usage {
    let mut u = *logged;
    if let Some(p) = c.prompt {
        let total = logged.total_input();
        if total == 0 {
            u.input = p;
        } else {
            let scale = |n: u64| (u128::from(n) * u128::from(p) / u128::from(total)) as u64;
            u.cache_read = scale(logged.cache_read);
            u.cache_write_5m = scale(logged.cache_write_5m);
            u.cache_write_1h = scale(logged.cache_write_1h);
            u.input = p - u.cache_read - u.cache_write_5m - u.cache_write_1h;
        }
    }
    if let Some(r) = c.response {
        u.output = r.saturating_add(logged.reasoning);
    }
    u
}

/// The comparison over a set of records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub records: u64,
    /// Records priced both ways: the ones the costs below sum.
    pub compared: u64,
    pub actual_usd: Decimal,
    pub whatif_usd: Decimal,
    /// Compared records whose target counts tokens another way.
    pub approx_tokens: u64,
    pub actual_unpriced: BTreeMap<String, u64>,
    pub whatif_unpriced: BTreeMap<String, u64>,
}

impl Totals {
    pub fn add(&mut self, r: &Repriced) {
        self.records += 1;
        match r {
            Repriced::Compared {
                actual,
                whatif,
                approx_tokens,
            } => {
                self.compared += 1;
                self.actual_usd += actual;
                self.whatif_usd += whatif;
                self.approx_tokens += u64::from(*approx_tokens);
            }
            Repriced::ActualUnpriced { reason } => {
                *self.actual_unpriced.entry(reason.clone()).or_default() += 1;
            }
            Repriced::WhatIfUnpriced { reason } => {
                *self.whatif_unpriced.entry(reason.clone()).or_default() += 1;
            }
        }
    }

    pub fn delta_usd(&self) -> Decimal {
        self.whatif_usd - self.actual_usd
    }

    /// The change in percent of the actual cost, to two decimals (`None`
    /// when nothing was spent to compare with).
    pub fn delta_pct(&self) -> Option<Decimal> {
        (!self.actual_usd.is_zero()).then(|| {
            (self.delta_usd() * Decimal::ONE_HUNDRED / self.actual_usd)
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
        })
    }

    pub fn actual_unpriced_count(&self) -> u64 {
        self.actual_unpriced.values().sum()
    }

    pub fn whatif_unpriced_count(&self) -> u64 {
        self.whatif_unpriced.values().sum()
    }
}

/// Records grouped as `report` groups them, each group compared.
#[derive(Clone, Debug)]
pub struct WhatIf {
    pub dims: Vec<Dimension>,
    tz: TimeZone,
    pub groups: BTreeMap<Vec<String>, Totals>,
    pub totals: Totals,
}

impl WhatIf {
    pub fn new(dims: Vec<Dimension>, tz: TimeZone) -> WhatIf {
        WhatIf {
            dims,
            tz,
            groups: BTreeMap::new(),
            totals: Totals::default(),
        }
    }

    pub fn add(&mut self, b: &Billed, r: &Repriced) {
        let key: Vec<String> = self.dims.iter().map(|d| d.value(b, &self.tz)).collect();
        self.groups.entry(key).or_default().add(r);
        self.totals.add(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_rule_wins_and_unmatched_models_stay() {
        let s = Scenario {
            rules: ModelRule::parse_list("claude-opus-*=claude-sonnet-4-5, gpt-4o*=gpt-4o-mini")
                .unwrap(),
            ..Scenario::default()
        };
        assert_eq!(s.target("claude-opus-4-1-20250805"), "claude-sonnet-4-5");
        assert_eq!(s.target("GPT-4o-2024-08-06"), "gpt-4o-mini");
        assert_eq!(s.target("gemini-2.5-pro"), "gemini-2.5-pro");
        assert!(ModelRule::parse_list("nope").is_err());
        assert!(ModelRule::parse_list("a=").is_err());
    }

    #[test]
    fn no_cache_bills_every_cached_token_as_input() {
        let s = Scenario {
            cache: CachePolicy::None,
            ..Scenario::default()
        };
        let u = Usage {
            input: 10,
            cache_read: 100,
            cache_write_5m: 20,
            cache_write_1h: 5,
            output: 7,
            reasoning: 3,
        };
        let v = s.usage(&u);
        assert_eq!(
            v.buckets(),
            [135, 0, 0, 0, 7, 3],
            "input takes every cached token; output and reasoning stay"
        );
    }

    #[test]
    fn a_recount_keeps_the_logged_cache_split() {
        let logged = Usage {
            input: 100,
            cache_read: 800,
            cache_write_5m: 100,
            cache_write_1h: 0,
            output: 50,
            reasoning: 20,
        };
        let c = crate::bill::Counted {
            prompt: Some(1100),
            response: Some(40),
            tokenizer: "x".into(),
            exact: true,
        };
        let u = recounted_usage(&logged, &c);
        assert_eq!(u.buckets(), [110, 880, 110, 0, 60, 20]);
        assert_eq!(u.total_input(), 1100);
    }

    #[test]
    fn delta_percent_is_exact_to_two_places() {
        let t = Totals {
            compared: 1,
            actual_usd: Decimal::new(3, 0),
            whatif_usd: Decimal::new(1, 0),
            ..Totals::default()
        };
        assert_eq!(t.delta_usd(), Decimal::new(-2, 0));
        assert_eq!(t.delta_pct(), Some(Decimal::new(-6667, 2)));
        assert_eq!(Totals::default().delta_pct(), None);
    }
}
