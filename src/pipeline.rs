//! The per-record hot path after ingest: decide the usage (reported or
//! counted), then price it. Runs on batches in parallel; results keep input
//! order so every output is identical whatever the thread count.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use anyhow::{Result, bail};
use jiff::Timestamp;
use jiff::civil::Date;
use rayon::prelude::*;

use crate::ingest::{self, Event, IngestOptions, Input, Skip};
use crate::metrics::density::Density;
use crate::price::{Cost, PriceBook};
use crate::record::{Record, Source, Usage};
use crate::tokenize::{TokenizerChoice, chat};

/// `--usage`: where token counts come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
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

/// Everything needed to bill records.
pub struct Biller {
    pub book: PriceBook,
    pub mode: UsageMode,
    /// `--drift`: also count the text of records whose usage is reported,
    /// so that counted and reported tokens can be compared.
    pub drift: bool,
    /// `--metrics density`: measure response text.
    pub density: bool,
}

impl Biller {
    pub fn new(book: PriceBook, mode: UsageMode) -> Biller {
        Biller {
            book,
            mode,
            drift: false,
            density: false,
        }
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
            let counted = if self.drift {
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
        let base = reported.unwrap_or_default();
        // A side the log has no text for keeps its reported figure.
        let (prompt, response) = (counted.prompt, counted.response);
        let usage = Usage {
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
        };
        self.finish(record, usage, UsageSource::Counted, Some(counted))
    }

    /// Tokens of the record's text with the model's tokenizer (or a named
    /// approximation); `None` when the record has no text.
    fn count(&self, record: &Record) -> Result<Option<Counted>, Skip> {
        let Some(text) = record
            .text
            .as_ref()
            .filter(|t| t.has_prompt || t.has_response)
        else {
            return Ok(None);
        };
        let model = record.model.as_deref().unwrap_or("");
        let entry = self.book.find(model);
        let choice = match entry
            .and_then(|e| e.tokenizer.as_deref())
            .and_then(crate::tokenize::Encoding::from_name)
        {
            Some(encoding) => TokenizerChoice {
                encoding,
                exact: entry.is_some_and(|e| e.tokenizer_exact),
            },
            None => TokenizerChoice::for_unknown_model(model),
        };
        let tok = choice.encoding.tokenizer();
        let framed = text.chat_framing && choice.exact;
        let err = |e: crate::tokenize::TokenizeError| Skip::new("tokenize failed", e.to_string());
        let prompt = if text.has_prompt {
            Some(chat::prompt_tokens(tok, text, framed).map_err(err)? as u64)
        } else {
            None
        };
        let response = if text.has_response {
            Some(tok.count(&text.response).map_err(err)? as u64)
        } else {
            None
        };
        Ok(Some(Counted {
            prompt,
            response,
            tokenizer: choice.label(),
            exact: choice.exact,
        }))
    }

    fn finish(
        &self,
        record: Record,
        usage: Usage,
        usage_source: UsageSource,
        counted: Option<Counted>,
    ) -> Result<Billed, Skip> {
        let pricing = match record.model.as_deref() {
            None | Some("") => Pricing::Unpriced {
                reason: "no model in the log".to_string(),
            },
            Some(model) => match self.book.resolve(model, record.timestamp) {
                Err(u) => Pricing::Unpriced { reason: u.reason },
                Ok(res) => {
                    match res.cost_in_context(
                        &usage,
                        record.service_tier,
                        record.web_search_requests,
                        record.long_context,
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
        };
        // Measured here, in the parallel stage: compressing every response
        // is the expensive part of the density metrics.
        let density = match record.text.as_ref() {
            Some(t) if self.density && t.has_response && !t.response.is_empty() => {
                Some(Density::measure(&t.response))
            }
            _ => None,
        };
        Ok(Billed {
            record,
            usage,
            usage_source,
            counted,
            pricing,
            density,
        })
    }
}

/// Date-range filter on record timestamps (`--since`, `--until`, inclusive
/// days in the report's time zone, already converted to instants).
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeFilter {
    pub since: Option<Timestamp>,
    /// Exclusive upper bound.
    pub until: Option<Timestamp>,
}

impl TimeFilter {
    pub fn is_set(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    fn keeps(&self, ts: Option<Timestamp>) -> bool {
        if !self.is_set() {
            return true;
        }
        let Some(ts) = ts else { return false };
        self.since.is_none_or(|s| ts >= s) && self.until.is_none_or(|u| ts < u)
    }
}

/// What happened to every entry read, for the summary. The parts add up:
/// `lines = records + deduplicated + not_billed + merged + skipped +
/// filtered`, where `merged` (lines folded into another record: a request
/// joined to its response, stream chunks, a call split over several lines)
/// is what remains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Entries read: JSONL lines, array elements, CSV rows, and the calls
    /// inside one document (OTLP spans, usage buckets).
    pub lines: u64,
    /// Records handed on, priced or not.
    pub records: u64,
    /// Of those, records that could not be priced.
    pub unpriced: u64,
    pub skipped: BTreeMap<String, u64>,
    /// Records dropped by `--since/--until` (or without a timestamp while
    /// a range is set).
    pub filtered: u64,
    /// Calls logged more than once, by why (counted once, the copy dropped).
    pub deduplicated: BTreeMap<String, u64>,
    /// Lines of a known format that bill nothing, by why.
    pub not_billed: BTreeMap<String, u64>,
}

impl Accounting {
    pub fn skipped_lines(&self) -> u64 {
        self.skipped.values().sum()
    }

    pub fn deduplicated_records(&self) -> u64 {
        self.deduplicated.values().sum()
    }

    pub fn not_billed_lines(&self) -> u64 {
        self.not_billed.values().sum()
    }

    /// Add another run's (a shard's) accounting.
    pub fn merge(&mut self, o: &Accounting) {
        self.lines += o.lines;
        self.records += o.records;
        self.unpriced += o.unpriced;
        self.filtered += o.filtered;
        for (src, dst) in [
            (&o.skipped, &mut self.skipped),
            (&o.deduplicated, &mut self.deduplicated),
            (&o.not_billed, &mut self.not_billed),
        ] {
            for (k, n) in src {
                *dst.entry(k.clone()).or_default() += n;
            }
        }
    }

    /// Lines folded into another record.
    pub fn merged_lines(&self) -> u64 {
        self.lines.saturating_sub(
            self.records
                + self.filtered
                + self.skipped_lines()
                + self.deduplicated_records()
                + self.not_billed_lines(),
        )
    }
}

pub struct RunOptions {
    pub ingest: IngestOptions,
    pub filter: TimeFilter,
    pub strict: bool,
    pub quiet: bool,
}

/// Per-line warnings printed per input; the summary counts them all.
const MAX_WARNINGS_PER_INPUT: u64 = 20;

/// Read every input, bill every record, hand billed records to `sink` in
/// input order; `sink(None)` marks the end of a batch (a moment to flush
/// output for a reader at the other end of a pipe). Skips are reported on
/// stderr as `path:line: reason` and counted; with `strict` the first one
/// is an error.
pub fn run(
    inputs: &[Input],
    biller: &Biller,
    opts: &RunOptions,
    sink: &mut dyn FnMut(Option<Billed>) -> Result<()>,
) -> Result<Accounting> {
    let mut acc = Accounting::default();
    // Keys of calls billed so far (see `CallId`): grows with the number of
    // deduplicable calls, a few dozen bytes each.
    let mut seen: HashSet<String> = HashSet::new();
    let mut batch = |events: Vec<Event>, acc: &mut Accounting, warned: &mut u64| -> Result<()> {
        enum Outcome {
            Pending(Box<Record>),
            Billed(Box<Billed>),
            Skipped(Source, Skip),
            Done,
        }
        // Sequential first: deduplication depends on order.
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(events.len());
        for ev in events {
            outcomes.push(match ev {
                Event::Lines(n) => {
                    acc.lines += n;
                    Outcome::Done
                }
                Event::Skip { source, skip } => Outcome::Skipped(source, skip),
                Event::Dropped { reason, .. } => {
                    *acc.not_billed.entry(reason.to_string()).or_default() += 1;
                    Outcome::Done
                }
                Event::Record(r) if !opts.filter.keeps(r.timestamp) => {
                    acc.filtered += 1;
                    Outcome::Done
                }
                Event::Record(r) => match &r.call_id {
                    Some(id) if id.check.iter().any(|k| seen.contains(k)) => {
                        *acc.deduplicated.entry(id.reason.to_string()).or_default() += 1;
                        Outcome::Done
                    }
                    Some(id) => {
                        seen.extend(id.register.iter().cloned());
                        Outcome::Pending(r)
                    }
                    None => Outcome::Pending(r),
                },
            });
        }
        // Only records go to the workers; line counts and drops are done.
        outcomes.retain(|o| !matches!(o, Outcome::Done));
        let outcomes: Vec<Outcome> = outcomes
            .into_par_iter()
            .map(|o| match o {
                Outcome::Pending(r) => {
                    let source = r.source.clone();
                    match biller.bill(*r) {
                        Ok(b) => Outcome::Billed(Box::new(b)),
                        Err(skip) => Outcome::Skipped(source, skip),
                    }
                }
                o => o,
            })
            .collect();
        for o in outcomes {
            match o {
                Outcome::Billed(b) => {
                    acc.records += 1;
                    acc.unpriced += u64::from(matches!(b.pricing, Pricing::Unpriced { .. }));
                    sink(Some(*b))?
                }
                Outcome::Pending(_) | Outcome::Done => {}
                Outcome::Skipped(source, skip) => {
                    if opts.strict {
                        bail!("{}:{}: {}", source.path, source.line, skip.detail);
                    }
                    *acc.skipped.entry(skip.reason.to_string()).or_default() += 1;
                    if !opts.quiet {
                        *warned += 1;
                        if *warned <= MAX_WARNINGS_PER_INPUT {
                            let _ = writeln!(
                                std::io::stderr().lock(),
                                "{}:{}: {}",
                                source.path,
                                source.line,
                                skip.detail
                            );
                        }
                    }
                }
            }
        }
        sink(None)
    };
    for input in inputs {
        let mut warned = 0;
        ingest::read_input(input, &opts.ingest, &mut |events| {
            batch(events, &mut acc, &mut warned)
        })?;
        report_unshown(&input.display_name(), warned);
    }
    let mut warned = 0;
    batch(ingest::finish_run(&opts.ingest), &mut acc, &mut warned)?;
    report_unshown("(run end)", warned);
    Ok(acc)
}

fn report_unshown(name: &str, warned: u64) {
    if warned > MAX_WARNINGS_PER_INPUT {
        let more = warned - MAX_WARNINGS_PER_INPUT;
        let _ = writeln!(
            std::io::stderr().lock(),
            "{name}: {more} more skipped line{} not shown",
            if more == 1 { "" } else { "s" }
        );
    }
}
