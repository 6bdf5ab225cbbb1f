//! Where every entry read went: the run's summary, which adds up.

use std::collections::BTreeMap;

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
    /// What was read, input by input, so that `merge` can tell when two
    /// shards read the same file (which would count it twice).
    pub inputs: Vec<InputId>,
}

/// An input read to its end: its name as given, and its size and hash (of
/// the bytes as stored, before decompression), which identify it on any
/// machine under any path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputId {
    pub path: String,
    pub bytes: u64,
    pub xxh3: u128,
}

impl Accounting {
    pub fn skipped_lines(&self) -> u64 {
        sum(self.skipped.values())
    }

    pub fn deduplicated_records(&self) -> u64 {
        sum(self.deduplicated.values())
    }

    pub fn not_billed_lines(&self) -> u64 {
        sum(self.not_billed.values())
    }

    /// Add another run's (a shard's) accounting.
    pub fn merge(&mut self, o: &Accounting) {
        // Saturating: shards are files anyone can edit (see `overflowed`).
        self.lines = self.lines.saturating_add(o.lines);
        self.records = self.records.saturating_add(o.records);
        self.unpriced = self.unpriced.saturating_add(o.unpriced);
        self.filtered = self.filtered.saturating_add(o.filtered);
        self.inputs.extend(o.inputs.iter().cloned());
        for (src, dst) in [
            (&o.skipped, &mut self.skipped),
            (&o.deduplicated, &mut self.deduplicated),
            (&o.not_billed, &mut self.not_billed),
        ] {
            for (k, n) in src {
                let e = dst.entry(k.clone()).or_default();
                *e = e.saturating_add(*n);
            }
        }
    }

    /// The first count that reached `u64::MAX`: a sum that overflowed.
    pub fn overflowed(&self) -> Option<&'static str> {
        [
            ("lines", self.lines),
            ("records", self.records),
            ("unpriced_records", self.unpriced),
            ("filtered", self.filtered),
            ("skipped", self.skipped_lines()),
            ("deduplicated", self.deduplicated_records()),
            ("not_billed", self.not_billed_lines()),
        ]
        .into_iter()
        .find(|(_, v)| *v == u64::MAX)
        .map(|(k, _)| k)
    }

    /// Lines folded into another record.
    pub fn merged_lines(&self) -> u64 {
        self.lines.saturating_sub(sum([
            self.records,
            self.filtered,
            self.skipped_lines(),
            self.deduplicated_records(),
            self.not_billed_lines(),
        ]
        .iter()))
    }
}

fn sum<'a>(counts: impl Iterator<Item = &'a u64>) -> u64 {
    counts.fold(0, |a, n| a.saturating_add(*n))
}
