//! The per-record hot path after ingest: decide the usage (reported or
//! counted), then price it. Runs on batches in parallel; results keep input
//! order so every output is identical whatever the thread count.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow, bail};
use jiff::Timestamp;
use jiff::civil::Date;
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::ingest::join::Turns;
use crate::ingest::{self, Event, IngestOptions, Input, Skip};
use crate::metrics::density::Density;
use crate::price::{Cost, PriceBook};
use crate::progress::Progress;
use crate::record::{CallId, Record, Source, Usage};
use crate::tokenize::memo::{CountCache, Memoized};
use crate::tokenize::{Tokenizer, TokenizerChoice, chat};

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
    /// Counts of text seen before in the run (resent history).
    counts: CountCache,
}

impl Biller {
    pub fn new(book: PriceBook, mode: UsageMode) -> Biller {
        Biller {
            book,
            mode,
            drift: false,
            density: false,
            counts: CountCache::default(),
        }
    }

    /// Whether billing reads record text: counting, drift or density.
    /// Records without reported usage are counted from text in `auto`
    /// mode too; formats only skip text when all their records report
    /// usage (see `ingest::format::lean_fields`).
    pub fn needs_text(&self) -> bool {
        self.mode == UsageMode::Counted || self.drift || self.density
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
        let tok = &Memoized {
            inner: choice.encoding.tokenizer(),
            cache: &self.counts,
        };
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

/// What a reader thread made of one event: everything but deduplication,
/// which depends on what earlier inputs held and so is decided in order.
enum Item {
    Lines(u64),
    Dropped(&'static str),
    Skipped(Source, Skip),
    Filtered,
    Record {
        /// Taken out of the record: decided before the billing outcome,
        /// so a copy of a call is a duplicate even when it fails to bill.
        call_id: Option<Box<CallId>>,
        billed: Result<Box<Billed>, (Source, Skip)>,
    },
}

/// Records per batch below which billing stays on the reader's thread:
/// handing a handful of records to the pool costs more than billing them.
const PARALLEL_BILLING_MIN: usize = 32;

/// Bill a batch of events (on a reader thread; large batches on the pool).
fn work(events: Vec<Event>, biller: &Biller, filter: &TimeFilter) -> Vec<Item> {
    let bill = |mut r: Box<Record>| {
        let call_id = r.call_id.take();
        let source = r.source.clone();
        let billed = biller
            .bill(*r)
            .map(|mut b| {
                // Text was needed only to count and measure it; a prompt
                // can hold a whole resent conversation, so it is not
                // carried through the queues.
                b.record.text = None;
                Box::new(b)
            })
            .map_err(|skip| (source, skip));
        Item::Record { call_id, billed }
    };
    let records = events
        .iter()
        .filter(|e| matches!(e, Event::Record(_)))
        .count();
    let item = |ev: Event| match ev {
        Event::Lines(n) => Item::Lines(n),
        Event::Skip { source, skip } => Item::Skipped(source, skip),
        Event::Dropped { reason, .. } => Item::Dropped(reason),
        Event::Record(r) if !filter.keeps(r.timestamp) => Item::Filtered,
        Event::Record(r) => bill(r),
    };
    if records < PARALLEL_BILLING_MIN {
        events.into_iter().map(item).collect()
    } else {
        events.into_par_iter().map(item).collect()
    }
}

/// What arrives from a reader, per batch, in input order.
type Batch = Result<Vec<Item>>;
/// Batches a reader may run ahead of the consumer, per input.
const QUEUED_BATCHES: usize = 2;

/// Read every input, bill every record, hand billed records to `sink` in
/// input order; `sink(None)` marks the end of a batch (a moment to flush
/// output for a reader at the other end of a pipe). Skips are reported on
/// stderr as `path:line: reason` and counted; with `strict` the first one
/// is an error.
///
/// Inputs are read, parsed and billed on reader threads, several inputs at
/// once (agent logs are thousands of small files), while this thread takes
/// their batches strictly in input order: deduplication, accounting and
/// output see the same sequence whatever the thread count. Memory stays
/// bounded: at most a window of inputs is in flight, each with a few
/// queued batches.
pub fn run(
    inputs: &[Input],
    biller: &Biller,
    opts: &RunOptions,
    sink: &mut dyn FnMut(Option<Billed>) -> Result<()>,
) -> Result<Accounting> {
    let threads = rayon::current_num_threads().max(1);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..inputs.len())
        .map(|_| {
            let (tx, rx) = sync_channel::<Batch>(QUEUED_BATCHES);
            (Mutex::new(Some(tx)), rx)
        })
        .unzip();
    let readers = Readers {
        inputs,
        senders,
        next: AtomicUsize::new(0),
        turns: Arc::new(Turns::default()),
        window: threads * 4,
        biller,
        filter: opts.filter,
        // A run that reads no text lets formats skip it while parsing.
        ingest: IngestOptions {
            parse: ingest::ParseOptions {
                usage_only: !biller.needs_text(),
                ..opts.ingest.parse.clone()
            },
            ..opts.ingest.clone()
        },
    };
    let turns = &readers.turns;
    let mut consumer = Consumer {
        acc: Accounting::default(),
        seen: FxHashSet::default(),
        strict: opts.strict,
        quiet: opts.quiet,
        warned: 0,
        progress: Progress::start(inputs, opts.quiet),
    };
    let result = std::thread::scope(|scope| {
        for _ in 0..threads.min(inputs.len()) {
            scope.spawn(|| readers.work());
        }
        let consumed = (|| -> Result<()> {
            for (index, (input, rx)) in inputs.iter().zip(&receivers).enumerate() {
                turns.advance(index);
                consumer.warned = 0;
                for batch in rx.iter() {
                    let items = batch?;
                    let handed = consumer.take(items, sink)?;
                    consumer.progress.records(handed);
                    sink(None)?;
                }
                consumer.progress.input_done(index);
                report_unshown(&input.display_name(), consumer.warned);
            }
            Ok(())
        })();
        // Readers blocked on a full queue or a turn must not wait for a
        // consumer that has stopped.
        turns.cancel();
        drop(receivers);
        consumed
    });
    consumer.progress.finish();
    result?;
    // Halves still waiting in the join book, billed alone.
    consumer.warned = 0;
    let items = work(ingest::finish_run(&opts.ingest), biller, &opts.filter);
    consumer.take(items, sink)?;
    sink(None)?;
    report_unshown("(run end)", consumer.warned);
    Ok(consumer.acc)
}

/// What the reader threads share.
struct Readers<'a> {
    inputs: &'a [Input],
    /// One queue per input, taken by the thread that reads it.
    senders: Vec<Mutex<Option<SyncSender<Batch>>>>,
    /// The next input to claim.
    next: AtomicUsize,
    turns: Arc<Turns>,
    /// Inputs that may be in flight ahead of the consumer.
    window: usize,
    biller: &'a Biller,
    filter: TimeFilter,
    ingest: IngestOptions,
}

impl Readers<'_> {
    /// One reader thread: take the next input, read and bill it, queue
    /// its batches on that input's channel.
    fn work(&self) {
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            if index >= self.inputs.len() || !self.turns.wait_for_window(index, self.window) {
                return;
            }
            let Some(tx) = self.senders[index].lock().ok().and_then(|mut s| s.take()) else {
                return;
            };
            let read = self.turns.reading(index, || {
                ingest::read_input(&self.inputs[index], &self.ingest, &mut |events| {
                    let items = work(events, self.biller, &self.filter);
                    tx.send(Ok(items)).map_err(|_| anyhow!("the run stopped"))
                })
            });
            if let Err(e) = read {
                if self.turns.is_cancelled() {
                    return;
                }
                let _ = tx.send(Err(e));
            }
        }
    }
}

/// The in-order half of a run: deduplication, accounting, warnings.
struct Consumer {
    acc: Accounting,
    /// Keys of calls billed so far (see `CallId`): grows with the number of
    /// deduplicable calls, a few dozen bytes each.
    seen: FxHashSet<String>,
    strict: bool,
    quiet: bool,
    /// Warnings printed for the current input.
    warned: u64,
    progress: Progress,
}

impl Consumer {
    /// Account for a batch and hand its records on; returns how many
    /// records went to `sink`.
    fn take(
        &mut self,
        items: Vec<Item>,
        sink: &mut dyn FnMut(Option<Billed>) -> Result<()>,
    ) -> Result<u64> {
        let mut handed = 0;
        for item in items {
            match item {
                Item::Lines(n) => self.acc.lines += n,
                Item::Dropped(reason) => {
                    *self.acc.not_billed.entry(reason.to_string()).or_default() += 1;
                }
                Item::Filtered => self.acc.filtered += 1,
                Item::Skipped(source, skip) => self.skip(source, skip)?,
                Item::Record { call_id, billed } => {
                    if let Some(id) = call_id {
                        if id.check.iter().any(|k| self.seen.contains(k)) {
                            *self
                                .acc
                                .deduplicated
                                .entry(id.reason.to_string())
                                .or_default() += 1;
                            continue;
                        }
                        self.seen.extend(id.register);
                    }
                    match billed {
                        Ok(b) => {
                            self.acc.records += 1;
                            self.acc.unpriced +=
                                u64::from(matches!(b.pricing, Pricing::Unpriced { .. }));
                            handed += 1;
                            sink(Some(*b))?;
                        }
                        Err((source, skip)) => self.skip(source, skip)?,
                    }
                }
            }
        }
        Ok(handed)
    }

    fn skip(&mut self, source: Source, skip: Skip) -> Result<()> {
        if self.strict {
            bail!("{}:{}: {}", source.path, source.line, skip.detail);
        }
        *self.acc.skipped.entry(skip.reason.to_string()).or_default() += 1;
        if !self.quiet {
            self.warned += 1;
            if self.warned <= MAX_WARNINGS_PER_INPUT {
                // The warning takes the progress line's place; the line is
                // drawn again below it at the next update.
                self.progress.finish();
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "{}:{}: {}",
                    source.path,
                    source.line,
                    skip.detail
                );
            }
        }
        Ok(())
    }
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
