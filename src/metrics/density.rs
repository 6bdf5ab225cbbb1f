//! Text density of responses (SPEC §7 "Density"): how much text an answer
//! spends per token, and how much of it is repetition or stock filler.
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

use std::cell::RefCell;
use std::sync::OnceLock;

use rust_decimal::Decimal;

/// The stock filler phrase list (format and criteria in its header).
pub const FILLER_PHRASES_TXT: &str = include_str!("../../data/filler-phrases.txt");

/// zstd level used for [`Density::compressed_bytes`].
pub const ZSTD_LEVEL: i32 = 3;

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

// ---------------------------------------------------------------- words

/// The words of `text` (module docs), lowercased, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    scan_words(text, &mut WordBuf::default(), |w, _, _| {
        out.push(String::from_utf8_lossy(w).into_owned())
    });
    out
}

/// Han ideographs and kana: one character is one word.
fn is_cjk_unit(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3007            // 々 〇
        | 0x3040..=0x30FF          // hiragana, katakana
        | 0x31F0..=0x31FF          // katakana phonetic extensions
        | 0x3400..=0x4DBF          // CJK extension A
        | 0x4E00..=0x9FFF          // CJK unified ideographs
        | 0xF900..=0xFAFF          // CJK compatibility ideographs
        | 0xFF66..=0xFF9F          // halfwidth katakana
        | 0x20000..=0x3FFFF        // CJK extensions B and later
    ) && c.is_alphanumeric()
}

/// Combining diacritical marks: continue a word, never start one.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

const fn is_sentence_break(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | ';'
            | ':'
            | '\n'
            | '\r'
            | '\u{0085}'
            | '\u{2026}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{3002}'
            | '\u{FF01}'
            | '\u{FF1F}'
            | '\u{FF1B}'
            | '\u{FF1A}'
    )
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// The character starting at byte `i` of `text` (a char boundary).
fn char_at(text: &str, i: usize) -> Option<char> {
    match text.as_bytes().get(i) {
        Some(&b) if b.is_ascii() => Some(char::from(b)),
        Some(_) => text.get(i..).and_then(|s| s.chars().next()),
        None => None,
    }
}

/// ASCII byte classes for the scanner's fast path.
const ALNUM: u8 = 1;
const BREAK: u8 = 2;
const SOFT: u8 = 3;
/// Apostrophe and non-ASCII bytes: decoded and classified as `char`s.
const OTHER: u8 = 0;
const CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        table[i] = if b.is_ascii_alphanumeric() {
            ALNUM
        } else if is_sentence_break(b as char) {
            BREAK
        } else if b == b'\'' {
            OTHER
        } else {
            SOFT
        };
        i += 1;
    }
    table
};

/// The word being scanned: up to 16 bytes in a zero-padded array (so the
/// array is the word's [`short_key`] at no cost), longer ones in `long`.
#[derive(Debug, Default)]
struct WordBuf {
    short: [u8; 16],
    len: usize,
    long: Vec<u8>,
}

impl WordBuf {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.short.get_mut(self.len) {
            *slot = b;
        } else {
            if self.len == self.short.len() {
                self.long.clear();
                self.long.extend_from_slice(&self.short);
            }
            self.long.push(b);
        }
        self.len += 1;
    }

    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.push(b);
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Emits the word, if any, and empties the buffer.
    fn flush(&mut self, start: &mut bool, emit: &mut impl FnMut(&[u8], Option<u128>, bool)) {
        if self.len == 0 {
            return;
        }
        match self.short.get(..self.len) {
            Some(bytes) => emit(bytes, Some(u128::from_le_bytes(self.short)), *start),
            None => emit(&self.long, None, *start),
        }
        self.short = [0; 16];
        self.len = 0;
        *start = false;
    }
}

/// Calls `emit(word, short_key, sentence_start)` for every word of `text`
/// in order: the word as lowercased UTF-8, its [`short_key`] when it has
/// one, and whether it is the first word or a sentence break came since the
/// previous word.
fn scan_words(text: &str, word: &mut WordBuf, mut emit: impl FnMut(&[u8], Option<u128>, bool)) {
    let bytes = text.as_bytes();
    *word = WordBuf {
        long: std::mem::take(&mut word.long),
        ..WordBuf::default()
    };
    let mut start = true;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let class = CLASS[usize::from(b)];
        if class == ALNUM {
            word.push(b.to_ascii_lowercase());
            i += 1;
            continue;
        }
        if class != OTHER {
            word.flush(&mut start, &mut emit);
            start |= class == BREAK;
            i += 1;
            continue;
        }
        let Some(c) = char_at(text, i) else { break };
        i += c.len_utf8();
        if is_apostrophe(c) {
            let joins = !word.is_empty()
                && char_at(text, i).is_some_and(|n| n.is_alphanumeric() && !is_cjk_unit(n));
            if joins {
                word.push(b'\'');
                continue;
            }
        } else if is_cjk_unit(c) {
            word.flush(&mut start, &mut emit);
            word.push_char(c);
            word.flush(&mut start, &mut emit);
            continue;
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                word.push_char(l);
            }
            continue;
        } else if is_combining_mark(c) && !word.is_empty() {
            word.push_char(c);
            continue;
        }
        // A separator.
        word.flush(&mut start, &mut emit);
        if is_sentence_break(c) {
            start = true;
        }
    }
    word.flush(&mut start, &mut emit);
}

// ---------------------------------------------------------------- hashing

// Small open-addressing tables with a seeded folded-multiply hash: std's
// SipHash tables were most of the cost. The seed is random per process, so
// crafted text cannot aim for collisions; results never depend on it (keys
// are compared exactly), only speed does.

const K: [u64; 4] = [
    0x243F_6A88_85A3_08D3,
    0x1319_8A2E_0370_7344,
    0xA409_3822_299F_31D0,
    0x082E_FA98_EC4E_6C89,
];

fn hash_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64)
    })
}

fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K[0]);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut v = [0u8; 8];
        v.copy_from_slice(chunk);
        h = fold_mul(h ^ u64::from_le_bytes(v), K[1]);
    }
    let rest = chunks.remainder();
    let n = rest.len();
    // 1–7 bytes read without a variable-length copy (which stalls the load):
    // two overlapping 4-byte reads, or first/middle/last byte. Not
    // injective, which is fine: the length is already mixed in, and keys
    // are compared exactly.
    let tail = match rest {
        [] => None,
        [a, b, c, d, ..] => {
            let (e, f, g, k) = (rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]);
            Some(
                u64::from(u32::from_le_bytes([*a, *b, *c, *d]))
                    | u64::from(u32::from_le_bytes([e, f, g, k])) << 32,
            )
        }
        [a, ..] => Some(u64::from(*a) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16),
    };
    if let Some(v) = tail {
        h = fold_mul(h ^ v, K[2]);
    }
    fold_mul(h ^ seed, K[3])
}

/// `a == b`, without a `memcmp` call for the short keys that words are:
/// two overlapping fixed-size reads cover every byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    fn u32_at(s: &[u8], i: usize) -> u32 {
        u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]])
    }
    fn u64_at(s: &[u8], i: usize) -> u64 {
        let mut v = [0u8; 8];
        v.copy_from_slice(&s[i..i + 8]);
        u64::from_le_bytes(v)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        8..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, n - 8) == u64_at(b, n - 8),
        _ => a == b,
    }
}

/// Slot count for about `expected` keys at load ≤ 1/2.
fn table_size(expected: usize) -> usize {
    expected
        .saturating_mul(2)
        .clamp(16, 1 << 24)
        .next_power_of_two()
}

/// A set of byte strings stored elsewhere (`base`), each given an index in
/// insertion order. Linear probing, load ≤ 1/2.
#[derive(Debug, Default)]
struct StrTable {
    /// Entry index + 1, or 0 for a free slot.
    slots: Vec<u32>,
    /// (hash, start, len) of each key in its base.
    entries: Vec<(u64, usize, usize)>,
}

impl StrTable {
    fn reset(&mut self, expected: usize) {
        self.slots.clear();
        self.slots.resize(table_size(expected), 0);
        self.entries.clear();
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The index of `key`, comparing stored keys in `base`.
    fn find(&self, hash: u64, key: &[u8], base: &[u8]) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = hash as usize & mask;
        loop {
            let s = *self.slots.get(i)?;
            if s == 0 {
                return None;
            }
            let index = s - 1;
            let &(h, start, len) = self.entries.get(index as usize)?;
            if h == hash
                && base
                    .get(start..start.saturating_add(len))
                    .is_some_and(|k| same(k, key))
            {
                return Some(index);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a key known to be absent; its index, or `None` past 4 billion keys.
    fn insert(&mut self, hash: u64, start: usize, len: usize) -> Option<u32> {
        let index = u32::try_from(self.entries.len())
            .ok()
            .filter(|&n| n < u32::MAX - 1)?;
        if (self.entries.len() + 1) * 2 > self.slots.len() {
            let size = (self.slots.len() * 2).max(16);
            self.slots.clear();
            self.slots.resize(size, 0);
            for (n, &(h, _, _)) in self.entries.iter().enumerate() {
                place(&mut self.slots, h, n as u32 + 1);
            }
        }
        self.entries.push((hash, start, len));
        place(&mut self.slots, hash, index + 1);
        Some(index)
    }
}

/// Puts `value` in the first free slot from `hash` on (there is one: load ≤ 1/2).
fn place(slots: &mut [u32], hash: u64, value: u32) {
    let mask = slots.len().wrapping_sub(1);
    let mut i = hash as usize & mask;
    while let Some(s) = slots.get_mut(i) {
        if *s == 0 {
            *s = value;
            return;
        }
        i = (i + 1) & mask;
    }
}

/// A key of [`KeySet`]; 0 (the default) marks a free slot.
trait SetKey: Copy + Eq + Default {
    fn hash(self, seed: u64) -> u64;
}

impl SetKey for u64 {
    fn hash(self, seed: u64) -> u64 {
        fold_mul(self ^ seed, K[3])
    }
}

impl SetKey for u128 {
    fn hash(self, seed: u64) -> u64 {
        fold_mul((self as u64) ^ seed, ((self >> 64) as u64) ^ K[3])
    }
}

/// A set of non-zero integer keys. Linear probing, load ≤ 1/2.
#[derive(Debug, Default)]
struct KeySet<T> {
    slots: Vec<T>,
    len: usize,
}

impl<T: SetKey> KeySet<T> {
    fn reset(&mut self, expected: usize) {
        self.slots.clear();
        self.slots.resize(table_size(expected), T::default());
        self.len = 0;
    }

    fn keys(&self) -> impl Iterator<Item = T> + '_ {
        self.slots.iter().copied().filter(|&k| k != T::default())
    }

    /// Adds `key`; false when it was already there.
    fn insert(&mut self, seed: u64, key: T) -> bool {
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![T::default(); (old.len() * 2).max(16)];
            for k in old.into_iter().filter(|&k| k != T::default()) {
                self.probe(seed, k);
            }
        }
        let added = self.probe(seed, key);
        self.len += usize::from(added);
        added
    }

    /// Finds `key` or puts it in a free slot; true when put.
    fn probe(&mut self, seed: u64, key: T) -> bool {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = key.hash(seed) as usize & mask;
        while let Some(s) = self.slots.get_mut(i) {
            if *s == T::default() {
                *s = key;
                return true;
            }
            if *s == key {
                return false;
            }
            i = (i + 1) & mask;
        }
        false
    }
}

/// Word indices below 2^21 pack three to a `u64`.
const NARROW_BITS: u32 = 21;

/// The 3-grams of one response, as triples of word indices: packed in a
/// `u64` (half the memory) until a response has more than 2 million
/// distinct words, then moved to `u128` keys.
#[derive(Debug, Default)]
struct TrigramSet {
    /// (a << 42 | b << 21 | c) + 1.
    narrow: KeySet<u64>,
    /// (a << 64 | b << 32 | c) + 1.
    wide: KeySet<u128>,
    is_wide: bool,
}

impl TrigramSet {
    fn reset(&mut self, expected: usize) {
        self.narrow.reset(expected);
        if self.is_wide {
            self.wide = KeySet::default();
            self.is_wide = false;
        }
    }

    fn wide_key([a, b, c]: [u32; 3]) -> u128 {
        ((u128::from(a) << 64) | (u128::from(b) << 32) | u128::from(c)) + 1
    }

    /// Adds the 3-gram; false when it was already there.
    fn insert(&mut self, seed: u64, [a, b, c]: [u32; 3]) -> bool {
        if !self.is_wide {
            if (a | b | c) >> NARROW_BITS == 0 {
                let key = ((u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)) + 1;
                return self.narrow.insert(seed, key);
            }
            self.widen(seed);
        }
        self.wide.insert(seed, Self::wide_key([a, b, c]))
    }

    fn widen(&mut self, seed: u64) {
        let TrigramSet { narrow, wide, .. } = self;
        wide.reset(narrow.len.saturating_mul(2));
        let mask = (1u64 << NARROW_BITS) - 1;
        for key in narrow.keys() {
            let k = key - 1;
            let part = |shift: u32| ((k >> shift) & mask) as u32;
            wide.insert(seed, Self::wide_key([part(42), part(21), part(0)]));
        }
        *narrow = KeySet::default();
        self.is_wide = true;
    }
}

/// Words of 1–16 bytes as one number: their bytes, little-endian,
/// zero-padded. Exact (injective), because no word contains a NUL byte.
/// The scanner gets it for free from [`WordBuf`]; this builds it from a
/// slice (phrase words, tests).
fn short_key(w: &[u8]) -> Option<u128> {
    fn u32_at(s: &[u8], i: usize) -> u64 {
        u64::from(u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]))
    }
    fn u64_at(s: &[u8], i: usize) -> u64 {
        let mut v = [0u8; 8];
        v.copy_from_slice(&s[i..i + 8]);
        u64::from_le_bytes(v)
    }
    let n = w.len();
    match n {
        1..=3 => Some(
            w.iter()
                .enumerate()
                .fold(0u128, |k, (i, &b)| k | u128::from(b) << (8 * i)),
        ),
        // Bytes 0..4, then bytes 4..n: the last n-4 bytes of the last four.
        4..=8 => Some(u128::from(
            u32_at(w, 0) | (u32_at(w, n - 4) >> (8 * (8 - n))) << 32,
        )),
        9..=16 => {
            Some(u128::from(u64_at(w, 0)) | u128::from(u64_at(w, n - 8) >> (8 * (16 - n))) << 64)
        }
        _ => None,
    }
}

/// Gives each distinct word an index, in order of first appearance. Words
/// of up to 16 bytes (nearly all) are keyed by [`short_key`]; longer ones
/// are stored and compared byte for byte.
#[derive(Debug, Default)]
struct WordTable {
    /// [`short_key`], or 0 for a free slot.
    short_keys: Vec<u128>,
    short_ids: Vec<u32>,
    short_len: usize,
    long: StrTable,
    long_bytes: Vec<u8>,
    /// Index of each `long` entry.
    long_ids: Vec<u32>,
    /// Words so far (the next index).
    len: u32,
}

impl WordTable {
    fn reset(&mut self, expected: usize) {
        self.short_keys.clear();
        self.short_keys.resize(table_size(expected), 0);
        self.short_ids.clear();
        self.short_ids.resize(self.short_keys.len(), 0);
        self.short_len = 0;
        self.long.reset(0);
        self.long_bytes.clear();
        self.long_ids.clear();
        self.len = 0;
    }

    fn slot_hash(seed: u64, key: u128) -> u64 {
        fold_mul((key as u64) ^ seed, ((key >> 64) as u64) ^ K[1])
    }

    /// The slot holding `key`, or the free slot where it goes.
    fn short_slot(&self, seed: u64, key: u128) -> Option<usize> {
        let mask = self.short_keys.len().checked_sub(1)?;
        let mut i = Self::slot_hash(seed, key) as usize & mask;
        loop {
            let k = *self.short_keys.get(i)?;
            if k == key || k == 0 {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The index of `w` (`key`: its [`short_key`]), if it has one.
    fn get(&self, seed: u64, w: &[u8], key: Option<u128>) -> Option<u32> {
        match key {
            Some(key) => {
                let i = self.short_slot(seed, key)?;
                (self.short_keys.get(i) == Some(&key)).then(|| self.short_ids.get(i).copied())?
            }
            None => {
                let found = self.long.find(hash_bytes(seed, w), w, &self.long_bytes)?;
                self.long_ids.get(found as usize).copied()
            }
        }
    }

    /// The index of `w` (`key`: its [`short_key`]), and whether it is new.
    /// Indices saturate at `u32::MAX` (past 4 billion distinct words).
    fn intern(&mut self, seed: u64, w: &[u8], key: Option<u128>) -> (u32, bool) {
        let Some(key) = key else {
            let hash = hash_bytes(seed, w);
            if let Some(found) = self.long.find(hash, w, &self.long_bytes) {
                return (
                    self.long_ids
                        .get(found as usize)
                        .copied()
                        .unwrap_or(u32::MAX),
                    false,
                );
            }
            self.long_bytes.extend_from_slice(w);
            self.long
                .insert(hash, self.long_bytes.len() - w.len(), w.len());
            self.long_ids.push(self.len);
            return (self.next(), true);
        };
        if (self.short_len + 1) * 2 > self.short_keys.len() {
            let keys = std::mem::take(&mut self.short_keys);
            let ids = std::mem::take(&mut self.short_ids);
            let size = (keys.len() * 2).max(16);
            self.short_keys = vec![0; size];
            self.short_ids = vec![0; size];
            for (k, id) in keys.into_iter().zip(ids).filter(|&(k, _)| k != 0) {
                if let Some(i) = self.short_slot(seed, k) {
                    self.short_keys[i] = k;
                    self.short_ids[i] = id;
                }
            }
        }
        let Some(i) = self.short_slot(seed, key) else {
            return (u32::MAX, false);
        };
        if self.short_keys[i] == key {
            return (self.short_ids[i], false);
        }
        self.short_keys[i] = key;
        self.short_ids[i] = self.len;
        self.short_len += 1;
        (self.next(), true)
    }

    /// Hands out the next index.
    fn next(&mut self) -> u32 {
        let id = self.len;
        self.len = self.len.saturating_add(1);
        id
    }
}

// ---------------------------------------------------------------- filler phrases

/// One stock filler phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillerPhrase {
    /// Lowercase words, as [`words`] produces them.
    pub words: Vec<String>,
    /// Matches only at the start of a sentence (`^` in the file).
    pub sentence_start: bool,
}

/// The parsed phrase list, indexed for matching: each phrase is a sequence
/// of vocabulary indices, grouped by its first word, longest first.
#[derive(Debug)]
pub struct FillerPhrases {
    phrases: Vec<FillerPhrase>,
    /// The distinct phrase words.
    vocab: WordTable,
    /// Indexed by the vocabulary index of the first word.
    by_first: Vec<Vec<Pattern>>,
}

#[derive(Debug)]
struct Pattern {
    words: Box<[u32]>,
    sentence_start: bool,
}

/// Marks a word that starts a sentence in the per-response word sequence.
const START: u32 = 1 << 31;
/// Vocabulary index of a word that is in no phrase.
const NOT_IN_PHRASES: u32 = START - 1;

impl FillerPhrases {
    /// Parses a phrase file (format in `data/filler-phrases.txt`). Lenient:
    /// comments and blank lines are skipped, each phrase is normalized with
    /// [`words`], empty phrases and exact duplicates are dropped.
    pub fn parse(src: &str) -> FillerPhrases {
        let mut phrases: Vec<FillerPhrase> = Vec::new();
        for line in src.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (sentence_start, body) = match line.strip_prefix('^') {
                Some(body) => (true, body),
                None => (false, line),
            };
            let phrase = FillerPhrase {
                words: words(body),
                sentence_start,
            };
            if !phrase.words.is_empty() && !phrases.contains(&phrase) {
                phrases.push(phrase);
            }
        }
        let seed = hash_seed();
        let mut vocab = WordTable::default();
        let mut by_first: Vec<Vec<Pattern>> = Vec::new();
        for phrase in &phrases {
            let ids: Box<[u32]> = phrase
                .words
                .iter()
                .map(|w| {
                    vocab
                        .intern(seed, w.as_bytes(), short_key(w.as_bytes()))
                        .0
                        .min(NOT_IN_PHRASES)
                })
                .collect();
            let Some(&first) = ids.first() else { continue };
            let first = first as usize;
            if by_first.len() <= first {
                by_first.resize_with(first + 1, Vec::new);
            }
            by_first[first].push(Pattern {
                words: ids,
                sentence_start: phrase.sentence_start,
            });
        }
        for list in &mut by_first {
            // Stable: phrases of equal length keep file order.
            list.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        }
        FillerPhrases {
            phrases,
            vocab,
            by_first,
        }
    }

    /// The phrases, in file order.
    pub fn phrases(&self) -> &[FillerPhrase] {
        &self.phrases
    }

    fn vocab_index(&self, seed: u64, word: &[u8], key: Option<u128>) -> u32 {
        self.vocab.get(seed, word, key).unwrap_or(NOT_IN_PHRASES)
    }

    /// Words covered by phrase matches in `seq` (vocabulary indices with the
    /// [`START`] bit): leftmost first, longest first, non-overlapping.
    fn covered_words(&self, seq: &[u32]) -> u64 {
        let mut covered = 0u64;
        let mut i = 0;
        while i < seq.len() {
            let mut step = 1;
            let first = (seq[i] & !START) as usize;
            if let Some(candidates) = self.by_first.get(first) {
                let rest = &seq[i..];
                if let Some(p) = candidates.iter().find(|p| p.matches(rest)) {
                    step = p.words.len();
                    covered += step as u64;
                }
            }
            i += step;
        }
        covered
    }
}

impl Pattern {
    /// `rest[0]` already has the pattern's first word.
    fn matches(&self, rest: &[u32]) -> bool {
        if self.words.len() > rest.len() || (self.sentence_start && rest[0] & START == 0) {
            return false;
        }
        // A later word carrying START (a sentence break before it) differs
        // from every vocabulary index, so phrases never span a break.
        self.words[1..] == rest[1..self.words.len()]
    }
}

/// The embedded phrase list, parsed once.
pub fn filler_phrases() -> &'static FillerPhrases {
    static PHRASES: OnceLock<FillerPhrases> = OnceLock::new();
    PHRASES.get_or_init(|| FillerPhrases::parse(FILLER_PHRASES_TXT))
}

// ---------------------------------------------------------------- measuring

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
fn measure_text(text: &str) -> Density {
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

// ---------------------------------------------------------------- compression

/// zstd's largest block; an incompressible text is stored in raw blocks.
const ZSTD_BLOCK_MAX: u64 = 128 * 1024;
/// A thread keeps its output buffer between calls unless it grew past this.
const KEEP_BUFFER: usize = 1 << 20;

thread_local! {
    static COMPRESSOR: RefCell<Option<(zstd::bulk::Compressor<'static>, Vec<u8>)>> =
        const { RefCell::new(None) };
}

/// Compressed size of `data` as defined in the module docs: the blocks of a
/// level-3 zstd frame, without frame header and checksum; 0 for no data.
/// Reuses one compression context per thread (the output is the same as a
/// fresh context's). Should zstd ever fail, the size of storing the data in
/// raw blocks is returned (zstd's own worst case), so the call never panics.
pub fn compressed_size(data: &[u8]) -> u64 {
    if data.is_empty() {
        return 0;
    }
    let reused = COMPRESSOR
        .try_with(|cell| {
            let mut slot = cell.try_borrow_mut().ok()?;
            if slot.is_none() {
                *slot = Some((zstd::bulk::Compressor::new(ZSTD_LEVEL).ok()?, Vec::new()));
            }
            let (compressor, buf) = slot.as_mut()?;
            buf.clear();
            buf.reserve(zstd::compress_bound(data.len()));
            let size = compressor
                .compress_to_buffer(data, buf)
                .ok()
                .and_then(|n| buf.get(..n))
                .map(block_bytes);
            if buf.capacity() > KEEP_BUFFER {
                *buf = Vec::new();
            }
            size
        })
        .ok()
        .flatten();
    reused
        .or_else(|| {
            zstd::bulk::compress(data, ZSTD_LEVEL)
                .ok()
                .map(|frame| block_bytes(&frame))
        })
        .unwrap_or_else(|| raw_block_bytes(data.len() as u64))
}

/// Bytes of a zstd frame after its header and before its checksum.
fn block_bytes(frame: &[u8]) -> u64 {
    let Some(&descriptor) = frame.get(4) else {
        return 0;
    };
    let single_segment = descriptor & 0x20 != 0;
    let dict_id = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
    let content_size = match descriptor >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let header = 4 + 1 + usize::from(!single_segment) + dict_id + content_size;
    let checksum = if descriptor & 0x04 != 0 { 4 } else { 0 };
    frame.len().saturating_sub(header + checksum) as u64
}

/// Raw blocks holding `len` bytes: the data plus a 3-byte header per block.
fn raw_block_bytes(len: u64) -> u64 {
    let blocks = len.div_ceil(ZSTD_BLOCK_MAX).max(1);
    len.saturating_add(blocks.saturating_mul(3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn filler(text: &str) -> u64 {
        Density::measure(text).filler_words
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
    fn filler_phrases_match_case_punctuation_longest_first() {
        // great question (2) + i'd be happy to help (5, longer than "i'd be
        // happy to") + let me know if you have any other questions (9; the
        // comma is soft, and the contained "if you have any other questions"
        // is not counted again) = 16 of 19 words.
        let d = Density::measure(
            "Great question! I'd be happy to help. Rust is fast. \
             Let me know, if you have any other questions.",
        );
        assert_eq!((d.words, d.filler_words), (19, 16));
        assert_eq!(d.filler_share(), Some(dec("0.8421")));
        assert_eq!(filler("I'd be happy to explain"), 4);
        assert_eq!(filler("GREAT QUESTION"), 2);
        assert_eq!(filler("**Great** question"), 2);
        assert_eq!(filler("I’d be happy to help"), 5); // typographic apostrophe
        assert_eq!(filler("in today's fast-paced world"), 5); // hyphen is soft
        // Sentence punctuation and line breaks end a phrase.
        assert_eq!(filler("That is great. Question two"), 0);
        assert_eq!(filler("great\nquestion"), 0);
        // "let me" / "know ..." split by a line: only the tail matches.
        assert_eq!(filler("let me\nknow if you have any other questions"), 6);
        // Anchored phrases only at a sentence start.
        assert_eq!(filler("Certainly! Here it is."), 1);
        assert_eq!(filler("Done. Sure, here it is"), 1);
        assert_eq!(filler("It certainly works; make sure to test"), 0);
        // Non-overlapping, leftmost: the second phrase starts after the first.
        assert_eq!(filler("hope this helps hope this helps"), 6);
        assert_eq!(filler("feel free to ask"), 4);
        // Not inside a longer word, and no partial phrase.
        assert_eq!(filler("great questionnaire"), 0);
        assert_eq!(filler("let me know"), 0);
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
    fn compressibility_orders_repetitive_below_random() {
        let repetitive = "All work and no play makes Jack a dull boy.\n".repeat(100);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let random: String = (0..repetitive.len())
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b"abcdefghijklmnopqrstuvwxyz ,.\n"[(x % 30) as usize])
            })
            .collect();
        let rep = Density::measure(&repetitive).compressibility().unwrap();
        let rnd = Density::measure(&random).compressibility().unwrap();
        assert!(rep < dec("0.05"), "{rep}");
        assert!(rnd > dec("0.5"), "{rnd}");
        assert_eq!(Density::measure(&repetitive).distinct_lines, 1);
    }

    #[test]
    fn compressed_size_definition() {
        assert_eq!(compressed_size(b""), 0);
        // One byte: a single 3-byte block header plus the byte.
        assert_eq!(compressed_size(b"x"), 4);
        // The parser: zstd's frame of nothing is magic (4) + descriptor (1)
        // + 1-byte content size + one empty last block (3 bytes).
        let empty = zstd::bulk::compress(b"", 3).unwrap();
        assert_eq!((empty.len(), block_bytes(&empty)), (9, 3));
        // A reused context gives the one-shot size, whatever came before.
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(50);
        let one_shot = block_bytes(&zstd::bulk::compress(text.as_bytes(), 3).unwrap());
        compressed_size(&[7u8; 5000]);
        assert_eq!(compressed_size(text.as_bytes()), one_shot);
        assert_eq!(Density::measure(&text).compressed_bytes, one_shot);
        // Incompressible data costs at most the raw-block bound (3 blocks).
        let mut x = 88172645463325252u64;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let size = compressed_size(&noise);
        assert!(size > 290_000 && size <= raw_block_bytes(300_000), "{size}");
        assert_eq!(raw_block_bytes(300_000), 300_009);
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
    fn hash_tables_handle_collisions_and_empty_state() {
        let empty = StrTable::default();
        assert_eq!(empty.find(0, b"x", b"x"), None);
        // Every key with the same hash: probing still tells them apart.
        let mut t = StrTable::default();
        let base = b"abcdefghijklmnopqrstuvwxyz";
        for i in 0..26 {
            assert_eq!(t.find(7, &base[i..=i], base), None);
            assert_eq!(t.insert(7, i, 1), Some(i as u32));
        }
        for i in 0..26 {
            assert_eq!(t.find(7, &base[i..=i], base), Some(i as u32));
        }
        // 3-grams start packed in u64 and move to u128 keys when a word
        // index needs more than 21 bits; nothing is lost on the way.
        let mut s = TrigramSet::default();
        let narrow = [[0, 0, 0], [1, 2, 3], [(1 << 21) - 1, 0, (1 << 21) - 1]];
        for g in narrow {
            assert!(s.insert(1, g));
            assert!(!s.insert(1, g));
        }
        assert!(!s.is_wide);
        assert!(s.insert(1, [0, 0, 1 << 21]));
        assert!(s.is_wide);
        for g in narrow {
            assert!(!s.insert(1, g));
        }
        assert!(s.insert(1, [u32::MAX, u32::MAX, u32::MAX]));
        assert!(!s.insert(1, [u32::MAX, u32::MAX, u32::MAX]));
        assert!(!s.insert(1, [0, 0, 1 << 21]));
        assert!(s.insert(1, [3, 2, 1]));
        s.reset(4);
        assert!(!s.is_wide);
        assert!(s.insert(1, [1, 2, 3]));
    }

    #[test]
    fn word_keys_are_exact() {
        // short_key is the zero-padded bytes: compare with a plain copy.
        let words = [
            "a",
            "aa",
            "ab",
            "ba",
            "abc",
            "abcd",
            "abcde",
            "abcdef",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghij",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "bbcdefghijklmnop",
            "abcdefghijklmnoq",
            "naïve",
            "語",
            "語語",
            "it's",
            "abcdefghijklmnopq",
        ];
        for w in words {
            let mut padded = [0u8; 16];
            let key = short_key(w.as_bytes());
            if w.len() <= 16 {
                padded[..w.len()].copy_from_slice(w.as_bytes());
                assert_eq!(key, Some(u128::from_le_bytes(padded)), "{w}");
            } else {
                assert_eq!(key, None, "{w}");
            }
        }
        // Long and short words share one index space.
        let mut t = WordTable::default();
        t.reset(0);
        let long = "internationalization";
        assert_eq!(t.intern(1, b"a", short_key(b"a")), (0, true));
        assert_eq!(t.intern(1, long.as_bytes(), None), (1, true));
        assert_eq!(t.intern(1, b"a", short_key(b"a")), (0, false));
        assert_eq!(t.intern(1, long.as_bytes(), None), (1, false));
        assert_eq!(t.get(1, b"a", short_key(b"a")), Some(0));
        assert_eq!(t.get(1, b"b", short_key(b"b")), None);
        assert_eq!(t.get(1, b"internationalisation", None), None);
        assert_eq!(t.get(1, long.as_bytes(), None), Some(1));
        let d = Density::measure(
            "internationalization localization internationalization localization \
             internationalization localisation",
        );
        // I L I L I L': 3-grams ILI, LIL, ILI (repeat), LIL'.
        assert_eq!((d.ngrams, d.repeated_ngrams), (4, 1));
        let d = Density::measure(&"antidisestablishmentarianism ".repeat(10));
        assert_eq!((d.ngrams, d.repeated_ngrams), (8, 7));
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

    #[test]
    fn words_in_other_scripts() {
        assert_eq!(words("Naïve CAFÉ"), ["naïve", "café"]);
        // Decomposed ï (i + U+0308) stays one word, distinct from precomposed.
        assert_eq!(words("nai\u{308}ve"), ["nai\u{308}ve"]);
        // Japanese without spaces: one word per kana/kanji; 。 is punctuation.
        let d = Density::measure("これはペンです。");
        assert_eq!((d.words, d.chars, d.raw_bytes), (7, 8, 24));
        assert_eq!(words("Rust言語"), ["rust", "言", "語"]);
        // Korean is spaced: one word per run.
        assert_eq!(words("안녕하세요 세계"), ["안녕하세요", "세계"]);
        assert_eq!(words("ПРИВЕТ мир"), ["привет", "мир"]);
        // Emoji and symbols separate words; digits are word characters.
        assert_eq!(words("🎉done🎉 3.14 v2_x"), ["done", "3", "14", "v2", "x"]);
        // Apostrophes only between letters; ’ folds to '.
        assert_eq!(
            words("'quoted' it’s dogs' rock'n'roll ''"),
            ["quoted", "it's", "dogs", "rock'n'roll"]
        );
        // 3-grams work per character in Japanese.
        let d = Density::measure("ペンですペンです");
        assert_eq!((d.words, d.ngrams, d.repeated_ngrams), (8, 6, 2));
    }

    #[test]
    fn chars_per_token_counts_scalar_values() {
        let d = Density::measure("héllo 👋");
        assert_eq!((d.chars, d.raw_bytes), (7, 11));
        assert_eq!(d.chars_per_token(2), Some(dec("3.5000")));
        assert_eq!(d.chars_per_token(3), Some(dec("2.3333")));
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

    /// Fails when someone adds a line the matcher would read differently
    /// from how it is written.
    #[test]
    fn phrase_file_is_clean() {
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        let mut count = 0;
        for (n, raw) in FILLER_PHRASES_TXT.lines().enumerate() {
            let n = n + 1;
            if raw.trim().is_empty() || raw.starts_with('#') {
                continue;
            }
            count += 1;
            let body = raw.strip_prefix('^').unwrap_or(raw);
            let ws = words(body);
            assert!(!ws.is_empty(), "line {n}: empty phrase {raw:?}");
            assert_eq!(body, body.to_lowercase(), "line {n}: not lowercase");
            assert_eq!(
                body,
                ws.join(" "),
                "line {n}: write the phrase as its words, one space apart, no punctuation"
            );
            assert!(
                raw.starts_with('^') || ws.len() >= 2,
                "line {n}: a single word must be anchored with ^: {raw:?}"
            );
            assert!(seen.insert(ws), "line {n}: duplicate phrase {raw:?}");
        }
        assert!((60..=120).contains(&count), "{count} phrases");
        assert_eq!(filler_phrases().phrases().len(), count);
        let lengths = filler_phrases()
            .by_first
            .iter()
            .flatten()
            .map(|p| p.words.len());
        assert_eq!(
            lengths.sum::<usize>(),
            seen.iter().map(Vec::len).sum::<usize>()
        );
    }

    #[test]
    fn parse_is_lenient() {
        let p = FillerPhrases::parse("# c\n\n  Hope THIS, helps \n^sure\nhope this helps\n^\n!!\n");
        assert_eq!(
            p.phrases(),
            [
                FillerPhrase {
                    words: vec!["hope".into(), "this".into(), "helps".into()],
                    sentence_start: false
                },
                FillerPhrase {
                    words: vec!["sure".into()],
                    sentence_start: true
                },
            ]
        );
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
        let readme = include_str!("../../README.md");
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
