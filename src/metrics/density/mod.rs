//! Text density of responses (README "Metrics"; docs/json.md, report
//! `density`): how much text an answer spends per token, and how much of it
//! is repetition or stock filler.
//!
//! [`Density::measure`] reduces one response text to integer counts; counts
//! add up exactly over records, groups and shard reports ([`Density::add`]),
//! and ratios are derived from the sums only for display, as decimals rounded
//! to 4 places (half to even, computed in exact integer arithmetic).
//!
//! Definitions shared by every count:
//! - **Word**: a maximal run of letters, digits and combining marks
//!   (`char::is_alphanumeric`, plus combining diacritics after a letter), with
//!   an apostrophe (`'` or `’`, folded to `'`) kept when it stands between two
//!   such characters (`it's`, `rock'n'roll`; the quotes of `'hi'` and the
//!   apostrophe of `dogs'` are not part of a word). Words are lowercased
//!   (`char::to_lowercase`); no other normalization (no NFC, so a decomposed
//!   `naïve` and a precomposed one are different words). Scripts written
//!   without spaces are split per character where one character is a
//!   meaningful unit: every Han ideograph and every hiragana/katakana
//!   character is a word of its own (`これはペンです` is 7 words). Other
//!   spaceless scripts (Thai, Lao, Khmer, Myanmar) stay one word per run.
//!   Hangul is written with spaces and is read like Latin. Everything else
//!   (spaces, punctuation, symbols, emoji) separates words.
//! - **Sentence break**: `. ! ? ; : …` (and their full-width forms `。！？；：`)
//!   and line breaks. Only filler-phrase matching uses them: a phrase never
//!   spans a sentence break, while commas, quotes, dashes, brackets and
//!   markdown between its words do not interrupt it.
//! - **Compressed size**: the response's UTF-8 bytes compressed as one zstd
//!   frame at level 3 (what `zstd::bulk::compress(text, 3)` returns), minus
//!   the frame's header (magic number, frame header descriptor, window
//!   descriptor, dictionary id, content size: 6–18 bytes that say nothing
//!   about the text) and checksum (off by default): i.e. the compressed
//!   blocks, each with its 3-byte block header. An empty text is 0 bytes.
//!   Short or incompressible texts can come out larger than the raw bytes
//!   (1 byte of text is a 4-byte block). Sizes are reproducible for a given
//!   zstd library version (pinned by Cargo.lock; zstd 1.5.7).

use rust_decimal::Decimal;

mod compress;
mod filler;
mod measure;
mod table;
mod words;

pub use compress::{ZSTD_LEVEL, compressed_size};
pub use filler::{FILLER_PHRASES_TXT, FillerPhrase, FillerPhrases, filler_phrases};
pub use words::words;

use measure::measure_text;

/// Each density ratio's name and one-line definition, for `--help` and docs.
pub const METRIC_DEFINITIONS: &[(&str, &str)] = &[
    (
        "chars_per_token",
        "characters per token = response characters / output tokens",
    ),
    (
        "compressibility",
        "compressibility = zstd-compressed bytes / raw bytes (lower = more repetitive)",
    ),
    (
        "repeated_ngram_share",
        "repeated 3-gram share = word 3-grams that repeat an earlier 3-gram of the same response / all 3-grams",
    ),
    (
        "filler_share",
        "filler share = words inside stock filler phrases / all words",
    ),
    (
        "tokens_per_distinct_line",
        "tokens per distinct line = output tokens / distinct non-empty lines",
    ),
];

/// Per-response text measurements; every field is an integer count so that
/// sums over records (and over shard reports) are exact and mergeable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Density {
    /// Responses measured (1 per record, also when the text is empty).
    pub responses: u64,
    /// Unicode scalar values (Rust `char`s) in the response text.
    pub chars: u64,
    /// UTF-8 bytes of the response text.
    pub raw_bytes: u64,
    /// zstd level-3 compressed size without the frame header (module docs).
    pub compressed_bytes: u64,
    /// Words (module docs: lowercased runs of letters/digits, CJK per character).
    pub words: u64,
    /// Word 3-grams: `words - 2` when there are at least 3 words, else 0.
    pub ngrams: u64,
    /// 3-grams equal to a 3-gram that starts earlier in the same response
    /// (overlapping occurrences count: `a a a a` has 2 3-grams, 1 repeated).
    pub repeated_ngrams: u64,
    /// Words covered by stock filler phrase matches (non-overlapping,
    /// leftmost, longest match first).
    pub filler_words: u64,
    /// Lines (split at `\n`, a trailing `\r` dropped) that are not empty or
    /// whitespace only.
    pub lines: u64,
    /// Distinct non-empty lines within the response, compared after trimming
    /// surrounding whitespace (case-sensitive, byte-exact).
    pub distinct_lines: u64,
}

impl Density {
    /// Measures one response. Linear in the text length; never panics.
    pub fn measure(response: &str) -> Density {
        let mut d = measure_text(response);
        d.compressed_bytes = compressed_size(response.as_bytes());
        d
    }

    /// Adds `other` field by field, saturating at `u64::MAX`.
    pub fn add(&mut self, other: &Density) {
        let Density {
            responses,
            chars,
            raw_bytes,
            compressed_bytes,
            words,
            ngrams,
            repeated_ngrams,
            filler_words,
            lines,
            distinct_lines,
        } = *other;
        self.responses = self.responses.saturating_add(responses);
        self.chars = self.chars.saturating_add(chars);
        self.raw_bytes = self.raw_bytes.saturating_add(raw_bytes);
        self.compressed_bytes = self.compressed_bytes.saturating_add(compressed_bytes);
        self.words = self.words.saturating_add(words);
        self.ngrams = self.ngrams.saturating_add(ngrams);
        self.repeated_ngrams = self.repeated_ngrams.saturating_add(repeated_ngrams);
        self.filler_words = self.filler_words.saturating_add(filler_words);
        self.lines = self.lines.saturating_add(lines);
        self.distinct_lines = self.distinct_lines.saturating_add(distinct_lines);
    }

    /// Compressibility = zstd-compressed bytes / raw bytes (lower = more repetitive).
    pub fn compressibility(&self) -> Option<Decimal> {
        ratio(self.compressed_bytes, self.raw_bytes)
    }

    /// Repeated 3-gram share = word 3-grams that repeat an earlier 3-gram of the same response / all 3-grams.
    pub fn repeated_ngram_share(&self) -> Option<Decimal> {
        ratio(self.repeated_ngrams, self.ngrams)
    }

    /// Filler share = words inside stock filler phrases / all words.
    pub fn filler_share(&self) -> Option<Decimal> {
        ratio(self.filler_words, self.words)
    }

    /// Characters per token = response characters / output tokens.
    ///
    /// `output_tokens` must cover the same responses that were measured
    /// (records without text excluded); for reasoning models, pass the
    /// visible output (output minus reasoning) to compare like with like.
    pub fn chars_per_token(&self, output_tokens: u64) -> Option<Decimal> {
        ratio(self.chars, output_tokens)
    }

    /// Tokens per distinct line = output tokens / distinct non-empty lines.
    ///
    /// Same caveat on `output_tokens` as [`Density::chars_per_token`].
    pub fn tokens_per_distinct_line(&self, output_tokens: u64) -> Option<Decimal> {
        ratio(output_tokens, self.distinct_lines)
    }
}

/// `num / den` rounded half to even at 4 decimal places, exactly (integer
/// arithmetic); `None` when `den` is 0. The result always has scale 4.
fn ratio(num: u64, den: u64) -> Option<Decimal> {
    if den == 0 {
        return None;
    }
    let scaled = u128::from(num) * 10_000; // < 2^64 * 2^14: no overflow
    let den = u128::from(den);
    let (mut q, r) = (scaled / den, scaled % den);
    let twice = r * 2; // r < den < 2^64
    if twice > den || (twice == den && !q.is_multiple_of(2)) {
        q += 1;
    }
    // q <= (2^64 - 1) * 10^4 < 2^96: always representable.
    let q = i128::try_from(q).ok()?;
    Decimal::try_from_i128_with_scale(q, 4).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn add_sums_and_saturates() {
        let mut a = Density::measure("one two three one two three\nx");
        let b = Density::measure("hope this helps");
        let mut expected = a;
        expected.responses = 2;
        expected.chars += b.chars;
        expected.raw_bytes += b.raw_bytes;
        expected.compressed_bytes += b.compressed_bytes;
        expected.words += 3;
        expected.ngrams += 1;
        expected.filler_words += 3;
        expected.lines += 1;
        expected.distinct_lines += 1;
        a.add(&b);
        assert_eq!(a, expected);

        let mut big = Density {
            chars: u64::MAX - 1,
            words: u64::MAX,
            ..Density::default()
        };
        big.add(&b);
        assert_eq!(
            (big.chars, big.words, big.responses),
            (u64::MAX, u64::MAX, 1)
        );
        assert_eq!(big.filler_share(), Some(dec("0.0000")));
    }

    #[test]
    fn ratios_round_half_even_exactly() {
        assert_eq!(ratio(1, 0), None);
        assert_eq!(ratio(1, 3), Some(dec("0.3333")));
        assert_eq!(ratio(2, 3), Some(dec("0.6667")));
        assert_eq!(ratio(1, 8).map(|d| d.to_string()), Some("0.1250".into()));
        assert_eq!(ratio(1, 20_000), Some(dec("0.0000"))); // 0.00005 → even
        assert_eq!(ratio(3, 20_000), Some(dec("0.0002"))); // 0.00015 → even
        assert_eq!(ratio(u64::MAX, 1), Some(Decimal::from(u64::MAX)));
        assert_eq!(ratio(u64::MAX, u64::MAX), Some(dec("1")));
    }

    #[test]
    fn chars_per_token_counts_scalar_values() {
        let d = Density::measure("héllo 👋");
        assert_eq!((d.chars, d.raw_bytes), (7, 11));
        assert_eq!(d.chars_per_token(2), Some(dec("3.5000")));
        assert_eq!(d.chars_per_token(3), Some(dec("2.3333")));
    }

    #[test]
    fn definitions_cover_every_ratio() {
        let names: Vec<&str> = METRIC_DEFINITIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "chars_per_token",
                "compressibility",
                "repeated_ngram_share",
                "filler_share",
                "tokens_per_distinct_line"
            ]
        );
    }
}
