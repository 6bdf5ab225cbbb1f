//! Bytes → decompression → container and format detection → parsers →
//! billing in every usage mode → aggregation and every report renderer.
//! The tool never panics on input.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenmaxx::aggregate::{Aggregate, Dimension};
use tokenmaxx::export::{self, Report, ReportFormat};
use tokenmaxx::ingest::{self, Event, IngestOptions};
use tokenmaxx::bill::{Biller, Measures, UsageMode};
use tokenmaxx::run::Accounting;
use tokenmaxx::price::PriceBook;
use tokenmaxx::record::Format;

const DIMS: [Dimension; 10] = Dimension::ALL;

fn billers() -> &'static [Biller; 3] {
    static B: OnceLock<[Biller; 3]> = OnceLock::new();
    B.get_or_init(|| {
        let book = PriceBook::embedded().expect("embedded price book");
        [UsageMode::Auto, UsageMode::Reported, UsageMode::Counted].map(|mode| {
            // Drift counting on the reported path covers both counters.
            let measures = Measures {
                drift: mode == UsageMode::Reported,
                density: mode == UsageMode::Auto,
            };
            Biller::new(book.clone(), mode, measures)
        })
    })
}

fn run(data: &[u8], opts: &IngestOptions) {
    let billers = billers();
    let tz = jiff::tz::TimeZone::UTC;
    let mut aggs: Vec<Aggregate> = billers
        .iter()
        .map(|_| Aggregate::new(DIMS.to_vec(), tz.clone()))
        .collect();
    let mut acc = Accounting::default();
    let mut sink = |events: Vec<Event>| -> anyhow::Result<()> {
        for ev in events {
            match ev {
                Event::Record(r) => {
                    for (b, agg) in billers.iter().zip(&mut aggs) {
                        match b.bill((*r).clone()) {
                            Ok(billed) => {
                                let _ = tokenmaxx::export::records::write_jsonl(
                                    &billed,
                                    &mut Vec::new(),
                                );
                                agg.add(&billed);
                            }
                            Err(skip) => {
                                *acc.skipped.entry(skip.reason.to_string()).or_default() += 1
                            }
                        }
                    }
                }
                Event::Skip { skip, .. } => {
                    *acc.skipped.entry(skip.reason.to_string()).or_default() += 1
                }
                Event::Dropped { reason, .. } => {
                    *acc.not_billed.entry(reason.to_string()).or_default() += 1
                }
                Event::Lines(n) => acc.lines += n,
                Event::Warning { .. } => {}
            }
        }
        Ok(())
    };
    // Each run gets its own join book (batch halves), drained at the end
    // as a real run does.
    let opts = IngestOptions {
        parse: ingest::ParseOptions {
            joins: Default::default(),
            ..opts.parse.clone()
        },
        ..opts.clone()
    };
    let _ = ingest::read_bytes(data.to_vec(), "fuzz", &opts, &mut sink);
    let _ = sink(ingest::finish_run(&opts));
    let options = export::ReportOptions {
        metrics: vec![export::Metric::All],
        top: 3,
        ..Default::default()
    };
    for agg in &aggs {
        let report = Report {
            aggregate: agg,
            accounting: &acc,
            options: &options,
        };
        for f in [
            ReportFormat::Json,
            ReportFormat::Table,
            ReportFormat::Csv,
            ReportFormat::Markdown,
        ] {
            let mut out = Vec::new();
            let _ = export::exporter(f).write(&report, &mut out);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Content detection, as the tool runs by default.
    run(data, &IngestOptions::default());
    // `--input-format` forced: every parser sees values it would not have
    // been chosen for. Which one depends on the input so runs stay cheap.
    let forced = Format::ALL[data.len() % Format::ALL.len()];
    let opts = IngestOptions {
        format: Some(forced),
        ..IngestOptions::default()
    };
    run(data, &opts);
    // A usage-only run: formats that can parse only the fields they bill
    // from (Claude Code) take their lean path.
    let opts = IngestOptions {
        parse: ingest::ParseOptions {
            usage_only: true,
            ..Default::default()
        },
        ..IngestOptions::default()
    };
    run(data, &opts);
});
