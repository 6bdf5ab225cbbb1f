//! Measuring one response: words, 3-grams, filler phrases and lines in one
//! pass, with buffers reused per thread.

use std::cell::RefCell;

use super::Density;
use super::filler::{NOT_IN_PHRASES, START, filler_phrases};
use super::table::{StrTable, TrigramSet, WordTable, hash_bytes, hash_seed};
use super::words::{WordBuf, scan_words};

/// Buffers reused between responses on one thread.
#[derive(Debug, Default)]
struct Scratch {
    word: WordBuf,
    words: WordTable,
    /// Phrase vocabulary index of each distinct word.
    vocab_of: Vec<u32>,
    trigrams: TrigramSet,
    lines: StrTable,
    /// Per word: phrase vocabulary index, with [`START`] at sentence starts.
    seq: Vec<u32>,
}

/// A thread drops its scratch after a response larger than this.
const KEEP_SCRATCH: usize = 1 << 20;

/// Everything except `compressed_bytes` (left 0).
pub(super) fn measure_text(text: &str) -> Density {
    thread_local! {
        static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    }
    SCRATCH
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                let d = scratch.measure(text);
                if text.len() > KEEP_SCRATCH {
                    *scratch = Scratch::default();
                }
                d
            }
            Err(_) => Scratch::default().measure(text),
        })
        .unwrap_or_else(|_| Scratch::default().measure(text))
}

impl Scratch {
    fn measure(&mut self, text: &str) -> Density {
        let phrases = filler_phrases();
        let seed = hash_seed();
        let Scratch {
            word,
            words,
            vocab_of,
            trigrams,
            lines,
            seq,
        } = self;
        vocab_of.clear();
        seq.clear();
        words.reset(text.len() / 16 + 8);
        trigrams.reset(text.len() / 5 + 8);
        lines.reset(text.len() / 64 + 4);

        let (mut prev2, mut prev1) = (0u32, 0u32);
        let mut repeated = 0u64;
        scan_words(text, word, |w, key, sentence_start| {
            let (id, new) = words.intern(seed, w, key);
            if new {
                vocab_of.push(phrases.vocab_index(seed, w, key));
            }
            if seq.len() >= 2 && !trigrams.insert(seed, [prev2, prev1, id]) {
                repeated += 1;
            }
            (prev2, prev1) = (prev1, id);
            let vocab = vocab_of.get(id as usize).copied().unwrap_or(NOT_IN_PHRASES);
            seq.push(if sentence_start { vocab | START } else { vocab });
        });
        let n_words = seq.len() as u64;

        // Lines split at '\n', a trailing '\r' dropped (as `str::lines`).
        let mut n_lines = 0u64;
        let mut offset = 0;
        for raw in text.split('\n') {
            let line_start = offset;
            offset += raw.len() + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            n_lines += 1;
            let start = line_start + (line.len() - line.trim_start().len());
            let key = trimmed.as_bytes();
            let hash = hash_bytes(seed, key);
            if lines.find(hash, key, text.as_bytes()).is_none() {
                lines.insert(hash, start, key.len());
            }
        }

        Density {
            responses: 1,
            chars: text.chars().count() as u64,
            raw_bytes: text.len() as u64,
            compressed_bytes: 0,
            words: n_words,
            ngrams: n_words.saturating_sub(2),
            repeated_ngrams: repeated,
            filler_words: phrases.covered_words(seq),
            lines: n_lines,
            distinct_lines: lines.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::density::compressed_size;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn repeated_trigrams_hand_counted() {
        // the cat sat on the mat the cat sat on the hat: 12 words, 10
        // 3-grams; "the cat sat", "cat sat on", "sat on the" come back once.
        let d = Density::measure("The cat sat on the mat. The cat sat on the hat");
        assert_eq!((d.words, d.ngrams, d.repeated_ngrams), (12, 10, 3));
        assert_eq!(d.repeated_ngram_share(), Some(dec("0.3000")));
        // Overlapping repeats count: a a a a a has 3 3-grams, 2 repeated.
        let d = Density::measure("a a a a a");
        assert_eq!((d.words, d.ngrams, d.repeated_ngrams), (5, 3, 2));
        // Fewer than three words: no 3-grams, no share.
        let d = Density::measure("hello world");
        assert_eq!((d.ngrams, d.repeated_ngrams), (0, 0));
        assert_eq!(d.repeated_ngram_share(), None);
        // Word ids are per response: distinct words do not collide.
        let d = Density::measure("a b c b c a c a b a b c");
        assert_eq!((d.ngrams, d.repeated_ngrams), (10, 1));
    }

    #[test]
    fn empty_and_degenerate_texts() {
        let d = Density::measure("");
        assert_eq!(
            d,
            Density {
                responses: 1,
                ..Density::default()
            }
        );
        assert_eq!(d.compressibility(), None);
        assert_eq!(d.repeated_ngram_share(), None);
        assert_eq!(d.filler_share(), None);
        assert_eq!(d.chars_per_token(0), None);
        assert_eq!(d.chars_per_token(5), Some(dec("0")));
        assert_eq!(d.tokens_per_distinct_line(5), None);
        let d = Density::measure("?!... --- ***\n\n;;");
        assert_eq!((d.words, d.lines, d.distinct_lines), (0, 2, 2));
        assert_eq!(d.filler_share(), None);
        // Large single-character inputs, emoji, control characters.
        for text in [
            "a".repeat(2 << 20),
            "🎉".repeat(300_000),
            "語".repeat(300_000),
            "\0\u{7f}\u{feff}\u{308}'’".repeat(10_000),
            "a ".repeat(500_000),
        ] {
            let d = Density::measure(&text);
            assert_eq!(d.raw_bytes, text.len() as u64);
            assert!(d.compressed_bytes > 0 && d.compressed_bytes < d.raw_bytes);
        }
    }

    #[test]
    fn many_distinct_words_and_lines_are_exact() {
        // w0 … w(n-1) twice: 2n words, 2n-2 3-grams; every 3-gram of the
        // second copy except the two that straddle the copies repeats.
        let n = 50_000;
        let half: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
        let text = format!("{} {}", half.join(" "), half.join(" "));
        let d = Density::measure(&text);
        assert_eq!(
            (d.words, d.ngrams, d.repeated_ngrams),
            (2 * n, 2 * n - 2, n - 2)
        );
        // Each line twice, some with surrounding whitespace: n lines, n/2 distinct.
        let lines: String = (0..n / 2)
            .map(|i| format!("line {i}\n  line {i}\t\n"))
            .collect();
        let d = Density::measure(&lines);
        assert_eq!((d.lines, d.distinct_lines), (n, n / 2));
        // The scratch of a thread is reused: a second, small response is
        // measured from scratch.
        let d = Density::measure("a b c a b c");
        assert_eq!((d.words, d.repeated_ngrams, d.distinct_lines), (6, 1, 1));
    }

    #[test]
    fn lines_and_distinct_lines() {
        // a, a (trimmed), b (CRLF), c: 4 non-empty lines, 3 distinct.
        let d = Density::measure("a\n\n  a  \nb\r\n   \nc\n");
        assert_eq!((d.lines, d.distinct_lines), (4, 3));
        assert_eq!(d.tokens_per_distinct_line(12), Some(dec("4.0000")));
        // Case matters, inner whitespace matters.
        let d = Density::measure("Ok\nok\no k\n\t\n");
        assert_eq!((d.lines, d.distinct_lines), (3, 3));
    }

    /// Ad-hoc throughput check, not part of the default run:
    /// `cargo test --release --lib metrics::density::tests::throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark; run in release with --ignored --nocapture"]
    fn throughput() {
        use std::hint::black_box;
        use std::time::Instant;

        fn cpu_seconds() -> Option<f64> {
            let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
            let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
            Some(ns / 1e9)
        }
        const SENTENCES: &[&str] = &[
            "Great question! I'd be happy to help you understand how caching works.",
            "The cache stores the result of an expensive computation so that later requests can reuse it.",
            "When a request arrives, the server first checks whether the key is already present.",
            "If it is, the stored value is returned immediately; otherwise the value is computed and saved.",
            "It's important to note that stale entries must be invalidated when the underlying data changes.",
            "A common strategy is to attach a time-to-live to each entry, after which it expires.",
            "Here is a short example in Python:\n\n```python\ncache = {}\ndef get(key):\n    if key in cache:\n        return cache[key]\n    value = compute(key)\n    cache[key] = value\n    return value\n```",
            "This approach trades memory for speed, which is usually a good deal for read-heavy workloads.",
            "However, you should measure the hit rate to make sure the cache is actually helping.",
            "1. Identify the slow operation.\n2. Choose a key that uniquely describes its input.\n3. Decide how long results stay valid.",
            "In summary, caching can dramatically reduce latency and cost when used carefully.",
            "I hope this helps! Let me know if you have any other questions.",
            "Rust's ownership model guarantees memory safety without a garbage collector.",
            "Each value has a single owner, and the value is dropped when the owner goes out of scope.",
            "Borrowing lets you reference data without taking ownership, either shared or mutable.",
        ];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut answers: Vec<String> = Vec::new();
        let mut total = 0usize;
        // DENSITY_BENCH_MB: corpus size (default 64 MB each).
        let size_mb: usize = std::env::var("DENSITY_BENCH_MB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(64);
        while total < size_mb << 20 {
            let mut r = String::new();
            while r.len() < 2000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                r.push_str(SENTENCES[(x % SENTENCES.len() as u64) as usize]);
                r.push(if x.is_multiple_of(5) { '\n' } else { ' ' });
            }
            total += r.len();
            answers.push(r);
        }
        // The README cut into ~2 KB pieces at line ends, repeated to 64 MB.
        let readme = include_str!("../../../README.md");
        let mut pieces: Vec<String> = vec![String::new()];
        for line in readme.split_inclusive('\n') {
            if pieces.last().is_some_and(|p| p.len() >= 2000) {
                pieces.push(String::new());
            }
            if let Some(p) = pieces.last_mut() {
                p.push_str(line);
            }
        }
        let readme: Vec<String> = pieces.iter().cycle().take(size_mb << 9).cloned().collect();

        for (corpus_name, corpus) in [("LLM-style answers", &answers), ("README pieces", &readme)] {
            let bytes: usize = corpus.iter().map(String::len).sum();
            let mb = bytes as f64 / 1e6;
            println!("{corpus_name}: {} responses, {mb:.0} MB", corpus.len());
            let time = |name: &str, f: &dyn Fn(&str) -> u64| {
                // Best of 3, in CPU time of this thread where Linux tells
                // it (the machine may be shared), else wall time.
                let mut s = f64::MAX;
                let mut sink = 0u64;
                for _ in 0..3 {
                    let (t, cpu) = (Instant::now(), cpu_seconds());
                    for r in corpus {
                        sink = sink.wrapping_add(f(black_box(r)));
                    }
                    let elapsed = match (cpu, cpu_seconds()) {
                        (Some(a), Some(b)) => b - a,
                        _ => t.elapsed().as_secs_f64(),
                    };
                    s = s.min(elapsed);
                }
                println!(
                    "  {name:<28} {:>8.1} MB/s {:>10.0} responses/s (sink {sink})",
                    mb / s,
                    corpus.len() as f64 / s,
                );
            };
            time("chars().count() (baseline)", &|r| r.chars().count() as u64);
            time("word scan only", &|r| {
                let (mut n, mut buf) = (0u64, WordBuf::default());
                scan_words(r, &mut buf, |w, _, _| n += w.len() as u64);
                n
            });
            time("text metrics (no zstd)", &|r| measure_text(r).words);
            time("zstd level 3 only", &|r| compressed_size(r.as_bytes()));
            time("measure (all)", &|r| Density::measure(r).words);
        }
    }
}
