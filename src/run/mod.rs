//! Running: read every input, bill every record, and hand the billed
//! records on in input order. Inputs are read and billed on reader threads;
//! one consumer takes their batches in order, deduplicates and accounts, so
//! every output is identical whatever the thread count.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow, bail};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::bill::{Billed, Biller, Pricing};
use crate::ingest::{self, Event, IngestOptions, Input, Skip};
use crate::progress::Progress;
use crate::record::{CallId, Record, Source};

mod accounting;
mod filter;

use crate::ingest::turns::Turns;
pub use accounting::{Accounting, InputId};
pub use filter::TimeFilter;

/// How a run reads and what it keeps, decided before it starts.
pub struct RunOptions {
    /// Its `usage_only` must agree with the biller (see
    /// [`Biller::needs_text`]): a run that reads no text lets formats skip
    /// it while parsing.
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
    /// The input was read to its end: its size and hash.
    Read(u64, u128),
    Dropped(&'static str),
    Skipped(Source, Skip),
    Warning(Source, String),
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
        Event::Warning { source, detail } => Item::Warning(source, detail),
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
        ingest: &opts.ingest,
    };
    let turns = &readers.turns;
    let mut consumer = Consumer {
        acc: Accounting::default(),
        seen: FxHashSet::default(),
        strict: opts.strict,
        quiet: opts.quiet,
        warned: 0,
        current: String::new(),
        progress: Progress::start(inputs, opts.quiet),
    };
    let result = std::thread::scope(|scope| {
        for _ in 0..threads.min(inputs.len()) {
            scope.spawn(|| readers.work());
        }
        let consumed = consumer.consume(inputs, &receivers, turns, sink);
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
    ingest: &'a IngestOptions,
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
                let read = ingest::read_input(&self.inputs[index], self.ingest, &mut |events| {
                    let items = work(events, self.biller, &self.filter);
                    tx.send(Ok(items)).map_err(|_| anyhow!("the run stopped"))
                })?;
                if let Some((bytes, xxh3)) = read {
                    tx.send(Ok(vec![Item::Read(bytes, xxh3)]))
                        .map_err(|_| anyhow!("the run stopped"))?;
                }
                Ok(())
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
    /// The current input's name.
    current: String,
    progress: Progress,
}

impl Consumer {
    /// Take every input's batches, input by input, moving the readers'
    /// turn along.
    fn consume(
        &mut self,
        inputs: &[Input],
        receivers: &[Receiver<Batch>],
        turns: &Turns,
        sink: &mut dyn FnMut(Option<Billed>) -> Result<()>,
    ) -> Result<()> {
        for (index, (input, rx)) in inputs.iter().zip(receivers).enumerate() {
            turns.advance(index);
            self.warned = 0;
            self.current = input.display_name();
            for batch in rx.iter() {
                let items = batch?;
                let handed = self.take(items, sink)?;
                self.progress.records(handed);
                sink(None)?;
            }
            self.progress.input_done(index);
            report_unshown(&input.display_name(), self.warned);
        }
        Ok(())
    }

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
                Item::Read(bytes, xxh3) => self.acc.inputs.push(InputId {
                    path: self.current.clone(),
                    bytes,
                    xxh3,
                }),
                Item::Dropped(reason) => {
                    bump(&mut self.acc.not_billed, reason);
                }
                Item::Filtered => self.acc.filtered += 1,
                Item::Skipped(source, skip) => self.skip(source, skip)?,
                Item::Warning(source, detail) => {
                    if self.strict {
                        bail!("{}:{}: {detail}", source.path, source.line);
                    }
                    self.say(&source, &detail);
                }
                Item::Record { call_id, billed } => {
                    if let Some(id) = call_id {
                        if id.check.iter().any(|k| self.seen.contains(k)) {
                            bump(&mut self.acc.deduplicated, id.reason);
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
        bump(&mut self.acc.skipped, skip.reason);
        self.say(&source, &skip.detail);
        Ok(())
    }

    /// One `path:line: detail` warning, up to the cap per input.
    fn say(&mut self, source: &Source, detail: &str) {
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
                    detail
                );
            }
        }
    }
}

/// Count one more under `reason`. Most lines of an agent log are counted
/// this way (context lines), so the key is allocated only the first time.
fn bump(counts: &mut std::collections::BTreeMap<String, u64>, reason: &str) {
    match counts.get_mut(reason) {
        Some(n) => *n += 1,
        None => {
            counts.insert(reason.to_string(), 1);
        }
    }
}

fn report_unshown(name: &str, warned: u64) {
    if warned > MAX_WARNINGS_PER_INPUT {
        let more = warned - MAX_WARNINGS_PER_INPUT;
        let _ = writeln!(
            std::io::stderr().lock(),
            "{name}: {more} more warning{} not shown",
            if more == 1 { "" } else { "s" }
        );
    }
}
