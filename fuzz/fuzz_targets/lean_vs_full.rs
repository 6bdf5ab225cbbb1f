//! The usage-only fast path (lean parsing: only the fields a format bills
//! from are built) and the full parse must accept and reject exactly the
//! same lines, and make the same records from them: an unrelated flag
//! (`--task-key`, which needs the whole line) must never change a total.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenmaxx::ingest::{self, Event, IngestOptions, ParseOptions};
use tokenmaxx::record::Format;

/// Everything a run keeps of the events, text aside (only the full parse
/// keeps text, and a usage-only run never reads it).
fn events(data: &[u8], format: Option<Format>, usage_only: bool) -> Vec<String> {
    let opts = IngestOptions {
        parse: ParseOptions {
            usage_only,
            ..Default::default()
        },
        format,
    };
    let mut out = Vec::new();
    let mut sink = |evs: Vec<Event>| -> anyhow::Result<()> {
        for ev in evs {
            out.push(match ev {
                Event::Record(mut r) => {
                    r.text = None;
                    format!("{r:?}")
                }
                other => format!("{other:?}"),
            });
        }
        Ok(())
    };
    let _ = ingest::read_bytes(data.to_vec(), "fuzz", &opts, &mut sink);
    let _ = sink(ingest::finish_run(&opts));
    out
}

fuzz_target!(|data: &[u8]| {
    // Detected, and forced to each format that has a lean path (chosen by
    // the input so that a run stays cheap).
    let lean: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|&f| ingest::has_lean_path(f))
        .collect();
    let forced = lean.get(data.len() % lean.len().max(1)).copied();
    for format in [None, forced] {
        let full = events(data, format, false);
        let fast = events(data, format, true);
        assert_eq!(full, fast, "format {format:?}");
    }
});
