//! The o200k/cl100k counting engine. Counting is most of what tokenmaxx
//! does with text, so this is tiktoken's algorithm (split the text with the
//! encoding's pattern, byte-pair-encode each piece) arranged around where
//! the time goes; every step is exact, and caches change speed only.
//!
//! - Splitting ([`split`]): hand-written pre-tokenizers instead of a regex,
//!   with an ASCII fast path, and Unicode classes read from `regex-syntax`
//!   ([`classes`]) so they are the oracle regex engines' own tables.
//! - Lookup ([`table`]): a piece of up to 15 bytes (99.5% of pieces in code
//!   and prose) is packed into two words once; a per-thread cache maps it to
//!   its count, and on a miss the vocabulary says whether it is one token
//!   (93% of pieces are).
//! - Byte-pair encoding of the rest: tiktoken's own merge loop ([`merge`])
//!   for pieces up to 64 bytes, where its quadratic worst case is bounded
//!   and it is several times faster than the `bpe` crate's backtracking
//!   encoder, whose per-call cost is dominated by set-up and by walking a
//!   large automaton. Longer pieces (a megabyte of letters without a space)
//!   go to the same merges driven by a heap, so no input takes quadratic
//!   time.
//! - The vocabularies are embedded as each token's bytes in rank order
//!   (build.rs writes them; 2.4 MB for both) and indexed on first use, in a
//!   few milliseconds: a binary that carries prebuilt automata is 20 times
//!   larger and slower to start (docs/architecture.md, "Tokenizers").
//!
//! Exactness is pinned by the differential tests in `tests.rs`: counts
//! against tiktoken-rs and piece boundaries against the tiktoken patterns.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHasher};

use super::{TokenizeError, Tokenizer, guarded};

mod classes;
mod merge;
mod split;
mod table;
#[cfg(test)]
mod tests;

use classes::Classes;
use merge::{MAX_MERGE, PairRanks};
use split::Text;
use table::{Key, MAX_SHORT, ShortCache, ShortMap};

/// Which pre-tokenizer pattern an encoding uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    O200k,
    Cl100k,
}

impl Pattern {
    fn cache_slot(self) -> usize {
        match self {
            Pattern::O200k => 0,
            Pattern::Cl100k => 1,
        }
    }
}

/// Pieces longer than [`MAX_SHORT`] and up to [`MAX_MERGE`] bytes are
/// memoised in a (slower, growing) long-piece cache, emptied at this many
/// entries per thread and encoding so memory stays flat however much text
/// goes through.
const CACHE_MAX_ENTRIES: usize = 1 << 12;

type LongCache = HashMap<Box<[u8]>, u32, BuildHasherDefault<FxHasher>>;

/// Per-thread memo of piece counts: no locking, and each thread's cache
/// holds what that thread's text repeats.
#[derive(Default)]
struct PieceCache {
    short: ShortCache,
    long: LongCache,
}

thread_local! {
    static CACHES: [RefCell<Option<Box<PieceCache>>>; 2] = Default::default();
}

fn classes() -> &'static Classes {
    static CLASSES: OnceLock<Classes> = OnceLock::new();
    CLASSES.get_or_init(Classes::build)
}

/// One encoding's vocabulary: its tokens with their ranks, indexed for
/// piece lookups and merges.
struct Vocab {
    short_tokens: ShortMap,
    pair_ranks: PairRanks,
    /// Tokens longer than [`MAX_SHORT`], with their ranks.
    long_tokens: FxHashMap<&'static [u8], u32>,
    max_token_len: usize,
}

impl Vocab {
    /// Indexes `data`: for each rank from 0, the token's length (one byte)
    /// and bytes, as build.rs writes them. `sums` is build.rs's count and
    /// rank sum of the short, two-byte and long tokens: the index is checked
    /// against them before it counts anything.
    fn new(name: &str, data: &'static [u8], sums: [(u64, u64); 3]) -> Vocab {
        let short_tokens = ShortMap::from_vocab(data);
        let mut pairs = Vec::new();
        let mut long_tokens = FxHashMap::default();
        let mut max_token_len = 0;
        let (mut at, mut id) = (0usize, 0u32);
        while let Some(&len) = data.get(at) {
            let t = &data[at + 1..at + 1 + usize::from(len)];
            max_token_len = max_token_len.max(t.len());
            if t.len() == 2 {
                pairs.push(([t[0], t[1]], id));
            }
            if t.len() > MAX_SHORT {
                long_tokens.insert(t, id);
            }
            at += 1 + usize::from(len);
            // Opaque to the optimiser on purpose. Written as a plain counter
            // (or as `.zip(0u32..)`), optimised builds with mimalloc or
            // jemalloc gave every rank here a per-run offset of ~22,000, so
            // counts came out a few in ten thousand wrong and differed from
            // run to run; debug builds, glibc's malloc, and any added
            // observation of the counter hid it. No unsafe code is involved:
            // it looks like a miscompilation, not pinned down further. The
            // check below catches any other corruption of the index.
            id = std::hint::black_box(id) + 1;
        }
        let vocab = Vocab {
            short_tokens,
            pair_ranks: PairRanks::new(pairs),
            long_tokens,
            max_token_len,
        };
        let long = vocab
            .long_tokens
            .values()
            .fold((0, 0), |(n, s), &r| (n + 1, s + u64::from(r) + 1));
        let built = [
            vocab.short_tokens.checksum(),
            vocab.pair_ranks.checksum(),
            long,
        ];
        assert_eq!(
            built, sums,
            "the {name} vocabulary was indexed wrong (tokens and rank sums of short, \
             two-byte and long tokens): this build cannot count exactly; please report it"
        );
        vocab
    }

    /// Tokens in `text[s..e]`, one pre-tokenizer piece.
    #[inline(always)]
    fn piece_count(&self, text: &[u8], s: usize, e: usize, cache: &mut PieceCache) -> usize {
        let len = e - s;
        if len == 1 {
            // Every byte is a token.
            return 1;
        }
        if len <= MAX_SHORT {
            let k = Key::new(text, s, len);
            if let Some(n) = cache.short.get(k) {
                return n;
            }
            return self.short_miss(k, text, s, len, &mut cache.short);
        }
        self.long_piece_count(text, s, len, &mut cache.long)
    }

    /// Rank of the token `text[s..s + len]` (`len >= 2`), `u32::MAX` if
    /// it is none.
    #[inline(always)]
    fn rank(&self, text: &[u8], s: usize, len: usize) -> u32 {
        if len > self.max_token_len {
            u32::MAX
        } else if len <= MAX_SHORT {
            self.short_tokens.rank(Key::new(text, s, len))
        } else {
            self.long_tokens
                .get(&text[s..s + len])
                .copied()
                .unwrap_or(u32::MAX)
        }
    }

    /// Tokens in `text[s..s + len]`, `2 <= len <= MAX_MERGE`, which is not
    /// itself a token.
    #[inline(always)]
    fn merge_count(&self, text: &[u8], s: usize, len: usize) -> usize {
        merge::count(&self.pair_ranks, &text[s..s + len], |a, n| {
            self.rank(text, s + a, n)
        })
    }

    #[inline(never)]
    fn short_miss(
        &self,
        k: Key,
        text: &[u8],
        s: usize,
        len: usize,
        cache: &mut ShortCache,
    ) -> usize {
        let n = if self.short_tokens.contains(k) {
            1
        } else {
            self.merge_count(text, s, len)
        };
        cache.put(k, n);
        n
    }

    #[cold]
    fn long_piece_count(&self, text: &[u8], s: usize, len: usize, cache: &mut LongCache) -> usize {
        let piece = &text[s..s + len];
        if len <= self.max_token_len && self.long_tokens.contains_key(piece) {
            return 1;
        }
        if len > MAX_MERGE {
            return merge::count_long(&self.pair_ranks, piece, |a, n| self.rank(piece, a, n));
        }
        if let Some(&n) = cache.get(piece) {
            return n as usize;
        }
        let n = self.merge_count(text, s, len);
        if cache.len() >= CACHE_MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(piece.into(), n as u32);
        n
    }
}

/// An embedded vocabulary, decompressed for the rest of the process (the
/// vocabulary that indexes it lives as long, in a `OnceLock`).
fn decompressed(zst: &'static [u8]) -> &'static [u8] {
    let size = zstd::zstd_safe::get_frame_content_size(zst)
        .ok()
        .flatten()
        .expect("build.rs records the size in the frame");
    let bytes = zstd::bulk::decompress(zst, size as usize).expect("build.rs wrote a valid frame");
    Box::leak(bytes.into_boxed_slice())
}

fn o200k_vocab() -> &'static Vocab {
    static V: OnceLock<Vocab> = OnceLock::new();
    V.get_or_init(|| {
        Vocab::new(
            "o200k",
            decompressed(include_bytes!(concat!(
                env!("OUT_DIR"),
                "/o200k_base.vocab.zst"
            ))),
            include!(concat!(env!("OUT_DIR"), "/o200k_base.vocab.sums")),
        )
    })
}

fn cl100k_vocab() -> &'static Vocab {
    static V: OnceLock<Vocab> = OnceLock::new();
    V.get_or_init(|| {
        Vocab::new(
            "cl100k",
            decompressed(include_bytes!(concat!(
                env!("OUT_DIR"),
                "/cl100k_base.vocab.zst"
            ))),
            include!(concat!(env!("OUT_DIR"), "/cl100k_base.vocab.sums")),
        )
    })
}

/// Exact o200k/cl100k token counter.
pub struct FastBpe {
    name: &'static str,
    pattern: Pattern,
    vocab: &'static Vocab,
    classes: &'static Classes,
}

impl FastBpe {
    pub fn o200k(name: &'static str) -> FastBpe {
        FastBpe {
            name,
            pattern: Pattern::O200k,
            vocab: o200k_vocab(),
            classes: classes(),
        }
    }

    pub fn cl100k() -> FastBpe {
        FastBpe {
            name: "cl100k_base",
            pattern: Pattern::Cl100k,
            vocab: cl100k_vocab(),
            classes: classes(),
        }
    }

    /// The pre-tokenizer pieces of `text`.
    #[cfg(test)]
    pub fn split<'a>(&self, text: &'a str) -> Vec<&'a str> {
        let t = Text::new(text, self.classes);
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let e = match self.pattern {
                Pattern::O200k => t.o200k_piece(i),
                Pattern::Cl100k => t.cl100k_piece(i),
            };
            out.push(&text[i..e]);
            i = e;
        }
        out
    }

    #[inline(never)]
    fn count_with(&self, text: &str, cache: &mut PieceCache) -> usize {
        match self.pattern {
            Pattern::O200k => self.count_loop(text, cache, |t, i| t.o200k_piece(i)),
            Pattern::Cl100k => self.count_loop(text, cache, |t, i| t.cl100k_piece(i)),
        }
    }

    /// One loop per pattern with splitting and lookup inlined into its
    /// body: the work per piece is a few dozen instructions, so a call per
    /// piece would show.
    #[inline(always)]
    fn count_loop(
        &self,
        text: &str,
        cache: &mut PieceCache,
        piece: impl Fn(&Text<'_>, usize) -> usize,
    ) -> usize {
        let t = Text::new(text, self.classes);
        let bytes = text.as_bytes();
        let mut total = 0;
        let mut i = 0;
        while i < bytes.len() {
            let e = piece(&t, i);
            total += self.vocab.piece_count(bytes, i, e, cache);
            i = e;
        }
        total
    }

    /// Token count, without the panic guard.
    pub fn count_raw(&self, text: &str) -> usize {
        CACHES.with(
            |caches| match caches[self.pattern.cache_slot()].try_borrow_mut() {
                Ok(mut slot) => {
                    let cache = slot.get_or_insert_with(Default::default);
                    self.count_with(text, cache)
                }
                // Only reachable by re-entrance; count without memoising.
                Err(_) => self.count_with(text, &mut PieceCache::default()),
            },
        )
    }
}

impl Tokenizer for FastBpe {
    fn name(&self) -> &'static str {
        self.name
    }

    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        guarded(std::panic::AssertUnwindSafe(|| self.count_raw(text)))
    }
}
