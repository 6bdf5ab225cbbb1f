//! p50k/r50k through tiktoken-rs. Its `encode` returns `Err` (and
//! `encode_ordinary` panics) when the pre-tokenizer regex overflows on a very
//! long whitespace run; we then count that run's piece with the byte-pair
//! merge directly, which is exactly what tiktoken would do with the piece.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

use super::{TokenizeError, Tokenizer, guarded};

pub struct Tiktoken {
    name: &'static str,
    bpe: &'static CoreBPE,
    ranks: OnceLock<HashMap<Vec<u8>, u32>>,
    vocab: u32,
}

/// Runs of whitespace at least this long are cut out and merged directly.
const LONG_RUN: usize = 4096;

impl Tiktoken {
    pub fn p50k() -> Tiktoken {
        Tiktoken {
            name: "p50k_base",
            bpe: tiktoken_rs::p50k_base_singleton(),
            ranks: OnceLock::new(),
            vocab: 50281,
        }
    }

    pub fn r50k() -> Tiktoken {
        Tiktoken {
            name: "r50k_base",
            bpe: tiktoken_rs::r50k_base_singleton(),
            ranks: OnceLock::new(),
            vocab: 50256,
        }
    }

    fn encode_len(&self, text: &str) -> Option<usize> {
        self.bpe
            .encode(text, &HashSet::new())
            .ok()
            .map(|(t, _)| t.len())
    }

    /// The rank table, rebuilt from the decoder (tiktoken-rs keeps its
    /// encoder private). Built only when a pathological input needs it.
    fn ranks(&self) -> &HashMap<Vec<u8>, u32> {
        self.ranks.get_or_init(|| {
            (0..self.vocab)
                .filter_map(|r| self.bpe.decode_bytes(&[r]).ok().map(|b| (b, r)))
                .collect()
        })
    }

    /// GPT-2-style pre-tokenization never joins a whitespace run with the
    /// text before it, and turns a run followed by more text into one piece
    /// of all but its last character (`\s+(?!\S)`), the last character
    /// starting the next piece. So text can be cut around long runs and each
    /// part counted alone with the same result.
    fn count_with_long_runs(&self, text: &str) -> Result<usize, TokenizeError> {
        let mut total = 0;
        let mut rest = text;
        while let Some((start, end)) = find_long_run(rest) {
            let run = &rest[start..end];
            let (piece, tail_start) = if end == rest.len() {
                (run, end)
            } else {
                let last = run.chars().next_back().map_or(0, char::len_utf8);
                (&run[..run.len() - last], end - last)
            };
            total += self
                .encode_len(&rest[..start])
                .ok_or_else(|| err(self.name))?;
            total += merge_count(piece.as_bytes(), self.ranks());
            rest = &rest[tail_start..];
        }
        Ok(total + self.encode_len(rest).ok_or_else(|| err(self.name))?)
    }
}

fn err(name: &str) -> TokenizeError {
    TokenizeError(format!("{name}: the tiktoken regex failed on this text"))
}

/// Number of tokens byte-pair merging produces for one piece: repeatedly
/// merge the adjacent pair with the lowest rank, leftmost first — tiktoken's
/// rule — with a heap so that a megabyte-long piece stays O(n log n).
fn merge_count(piece: &[u8], ranks: &HashMap<Vec<u8>, u32>) -> usize {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = piece.len();
    if n <= 1 || ranks.contains_key(piece) {
        return n.min(1);
    }
    // Part i covers piece[i..next[i]]; dead parts were merged into a left one.
    let mut next: Vec<usize> = (1..=n).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
    let mut alive = vec![true; n];
    let pair_rank = |i: usize, next: &[usize]| -> Option<u32> {
        let j = next[i];
        if j >= n {
            return None;
        }
        ranks.get(&piece[i..next[j]]).copied()
    };
    let mut heap = BinaryHeap::new();
    for i in 0..n - 1 {
        if let Some(r) = pair_rank(i, &next) {
            heap.push(Reverse((r, i)));
        }
    }
    let mut parts = n;
    while let Some(Reverse((r, i))) = heap.pop() {
        if !alive[i] || pair_rank(i, &next) != Some(r) {
            continue; // stale entry
        }
        let j = next[i];
        next[i] = next[j];
        alive[j] = false;
        if next[i] < n {
            prev[next[i]] = i;
        }
        parts -= 1;
        if let Some(r) = pair_rank(i, &next) {
            heap.push(Reverse((r, i)));
        }
        let p = prev[i];
        if p < n
            && let Some(r) = pair_rank(p, &next)
        {
            heap.push(Reverse((r, p)));
        }
    }
    parts
}

fn find_long_run(s: &str) -> Option<(usize, usize)> {
    let mut start = None;
    let mut chars = 0usize;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if start.is_none() {
                start = Some(i);
                chars = 0;
            }
            chars += 1;
        } else if let Some(st) = start.take()
            && chars >= LONG_RUN
        {
            return Some((st, i));
        }
    }
    match start {
        Some(st) if chars >= LONG_RUN => Some((st, s.len())),
        _ => None,
    }
}

impl Tokenizer for Tiktoken {
    fn name(&self) -> &'static str {
        self.name
    }

    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        if let Some(n) = self.encode_len(text) {
            return Ok(n);
        }
        guarded(std::panic::AssertUnwindSafe(|| {
            self.count_with_long_runs(text)
        }))?
    }
}

impl Tiktoken {
    #[cfg(test)]
    fn count_split_for_test(&self, text: &str) -> usize {
        self.count_with_long_runs(text).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_counting_matches_whole_counting() {
        let t = Tiktoken::r50k();
        for text in [
            format!("hello{}world", " ".repeat(5000)),
            format!("a{}", "\n".repeat(5000)),
            format!("{} x", " \t".repeat(3000)),
            format!("x{}", " ".repeat(LONG_RUN)),
        ] {
            assert_eq!(
                t.count_split_for_test(&text),
                t.encode_len(&text).unwrap(),
                "{:?}",
                &text[..8]
            );
        }
    }

    #[test]
    fn heap_merge_matches_tiktoken_per_piece() {
        let t = Tiktoken::r50k();
        for piece in [
            "hello",
            " world",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "      ",
            "\n\n\t ",
            "xyzzyplugh",
        ] {
            assert_eq!(
                merge_count(piece.as_bytes(), t.ranks()),
                t.encode_len(piece).unwrap(),
                "{piece:?}"
            );
        }
    }

    #[test]
    fn megabyte_of_whitespace_does_not_crash() {
        let t = Tiktoken::p50k();
        let text = " ".repeat(1_000_000) + "x";
        assert!(t.count(&text).unwrap() > 0);
    }
}
