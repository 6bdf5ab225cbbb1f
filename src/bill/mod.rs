//! Billing one record: decide its usage (reported by the log, or counted
//! from its text), price it, and measure its text when asked. Pure per
//! record, so the runner can bill batches in parallel.

use jiff::civil::Date;

use crate::ingest::Skip;
use crate::metrics::density::Density;
use crate::price::{Cost, PriceBook};
use crate::record::{Record, Usage};
use crate::tokenize::memo::CountCache;

mod count;

/// `--usage`: where token counts come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UsageMode {
    /// Reported usage when the log has it, else count the text.
    #[default]
    Auto,
    /// Only reported usage; records without it are skipped.
    Reported,
    /// Always tokenize the text (records without text keep reported usage).
    Counted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageSource {
    Reported,
    Counted,
}

impl UsageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageSource::Reported => "reported",
            UsageSource::Counted => "counted",
        }
    }
}

/// Tokens counted from the record's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    /// None when the log had no prompt text (a response-only line).
    pub prompt: Option<u64>,
    pub response: Option<u64>,
    /// `o200k_base`, or `approx:o200k_base` for models without a public tokenizer.
    pub tokenizer: String,
    pub exact: bool,
}

/// How a record was priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pricing {
    Priced {
        model_id: String,
        effective_from: Date,
        source: String,
        /// No timestamp: the latest row was used.
        undated: bool,
        cost: Cost,
    },
    Unpriced {
        reason: String,
    },
}

/// A record with its final usage and price.
#[derive(Clone, Debug)]
pub struct Billed {
    pub record: Record,
    pub usage: Usage,
    pub usage_source: UsageSource,
    pub counted: Option<Counted>,
    pub pricing: Pricing,
    /// Text measurements of the response (`--metrics density`).
    pub density: Option<Density>,
    /// The text counted again with another model's tokenizer
    /// (`whatif --recount`, [`Biller::recount`]).
    pub recounted: Option<Counted>,
}

impl Billed {
    pub fn cost(&self) -> Option<&Cost> {
        match &self.pricing {
            Pricing::Priced { cost, .. } => Some(cost),
            Pricing::Unpriced { .. } => None,
        }
    }

    /// Provider as logged, else from the price book's model entry.
    pub fn provider(&self) -> Option<&str> {
        self.record.provider.as_deref()
    }
}

/// Maps a logged model to the model whose tokenizer recounts its text.
pub type Recount = Box<dyn Fn(&str) -> String + Send + Sync>;

/// Work on each record's text beyond choosing its usage, asked for by the
/// report or the budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measures {
    /// `--drift`: also count the text of records whose usage is reported,
    /// so that counted and reported tokens can be compared.
    pub drift: bool,
    /// `--metrics density`: measure response text.
    pub density: bool,
}

/// Everything needed to bill records.
pub struct Biller {
    pub book: PriceBook,
    pub mode: UsageMode,
    pub measures: Measures,
    /// `--tokenizer`: counts every record's text instead of its model's.
    pub tokenizer: Option<crate::tokenize::TokenizerChoice>,
    /// `whatif --recount`: the model whose tokenizer counts each record's
    /// text again (given the logged model), while the text is at hand.
    pub recount: Option<Recount>,
    /// Counts of text seen before in the run (resent history).
    counts: CountCache,
}

impl Biller {
    pub fn new(book: PriceBook, mode: UsageMode, measures: Measures) -> Biller {
        Biller {
            book,
            mode,
            measures,
            tokenizer: None,
            recount: None,
            counts: CountCache::default(),
        }
    }

    /// Whether billing reads record text: counting, drift or density.
    /// Records without reported usage are counted from text in `auto`
    /// mode too; formats only skip text when all their records report
    /// usage (see `ingest::format::lean_fields`). A run reads with
    /// `usage_only` set to the opposite of this.
    pub fn needs_text(&self) -> bool {
        self.mode == UsageMode::Counted
            || self.measures.drift
            || self.measures.density
            || self.recount.is_some()
    }

    /// Turn one record into a billed one, or say why it cannot be.
    pub fn bill(&self, mut record: Record) -> Result<Billed, Skip> {
        let entry = self.book.find(record.model.as_deref().unwrap_or(""));
        if record.provider.is_none() {
            record.provider = entry.map(|e| e.provider.clone());
        }
        let want_count = match self.mode {
            UsageMode::Auto => record.usage.is_none(),
            UsageMode::Reported => false,
            UsageMode::Counted => true,
        };
        let reported = record.usage;
        if !want_count {
            let Some(u) = reported else {
                return Err(Skip::new(
                    "no reported usage",
                    "record has no reported usage (--usage reported)",
                ));
            };
            let counted = if self.measures.drift {
                self.count(&record)?
            } else {
                None
            };
            return self.finish(record, u, UsageSource::Reported, counted);
        }
        let Some(counted) = self.count(&record)? else {
            return match reported {
                Some(u) => self.finish(record, u, UsageSource::Reported, None),
                None => Err(Skip::new(
                    "no usage",
                    "record has neither usage nor text to count",
                )),
            };
        };
        let usage = counted_usage(reported.unwrap_or_default(), &counted);
        self.finish(record, usage, UsageSource::Counted, Some(counted))
    }

    fn finish(
        &self,
        record: Record,
        usage: Usage,
        usage_source: UsageSource,
        counted: Option<Counted>,
    ) -> Result<Billed, Skip> {
        let pricing = self.price(&record, &usage);
        let density = self.measure(&record);
        let recounted = match &self.recount {
            Some(target) => {
                let model = target(record.model.as_deref().unwrap_or(""));
                let choice = crate::tokenize::TokenizerChoice::for_model(Some(&self.book), &model);
                self.count_with(&record, choice)?
            }
            None => None,
        };
        Ok(Billed {
            record,
            usage,
            usage_source,
            counted,
            pricing,
            density,
            recounted,
        })
    }

    /// The price of `usage` for the record's model at its time, or why
    /// there is none.
    fn price(&self, record: &Record, usage: &Usage) -> Pricing {
        match record.model.as_deref() {
            None | Some("") => Pricing::Unpriced {
                reason: "no model in the log".to_string(),
            },
            Some(model) => match self.book.resolve(model, record.timestamp) {
                Err(u) => Pricing::Unpriced { reason: u.reason },
                Ok(res) => {
                    match res.cost_in_context(
                        usage,
                        record.service_tier,
                        record.web_search_requests,
                        record.long_context,
                        record.audio,
                    ) {
                        Err(u) => Pricing::Unpriced { reason: u.reason },
                        Ok(cost) => Pricing::Priced {
                            model_id: res.model.id.clone(),
                            effective_from: res.row.from,
                            source: res.row.source.clone(),
                            undated: res.undated,
                            cost,
                        },
                    }
                }
            },
        }
    }

    /// `--metrics density`: the response text's measurements.
    fn measure(&self, record: &Record) -> Option<Density> {
        // Measured here, in the parallel stage: compressing every response
        // is the expensive part of the density metrics.
        match record.text.as_ref() {
            Some(t) if self.measures.density && t.has_response && !t.response.is_empty() => {
                Some(Density::measure(&t.response))
            }
            _ => None,
        }
    }
}

/// The usage of a counted record: a counted side replaces every reported
/// figure of that side in `base` (a count cannot tell cached or reasoning
/// tokens apart); a side the log has no text for keeps its reported figure.
pub fn counted_usage(base: Usage, counted: &Counted) -> Usage {
    let (prompt, response) = (counted.prompt, counted.response);
    Usage {
        input: prompt.unwrap_or(base.input),
        cache_read: if prompt.is_some() { 0 } else { base.cache_read },
        cache_write_5m: if prompt.is_some() {
            0
        } else {
            base.cache_write_5m
        },
        cache_write_1h: if prompt.is_some() {
            0
        } else {
            base.cache_write_1h
        },
        output: response.unwrap_or(base.output),
        reasoning: if response.is_some() {
            0
        } else {
            base.reasoning
        },
    }
}
