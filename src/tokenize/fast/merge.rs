//! tiktoken's own merge loop, for pieces of up to 64 bytes that are not a
//! token.
//!
//! Byte-pair encoding proper: repeatedly merge the adjacent pair whose
//! concatenation has the lowest rank, leftmost first on ties, until no
//! adjacent pair is a token. This is `_byte_pair_merge` from tiktoken, so it
//! is the definition the counts must match. It is quadratic in the piece
//! length, which is harmless for at most [`MAX_MERGE`] bytes. On such pieces
//! the `bpe` crate's backtracking encoder spends its time on per-call set-up
//! (two allocations) and on walking an automaton through a large table for
//! every byte; replacing it here roughly tripled the speed of the pieces that
//! miss the cache (unique multi-token words), which had been a quarter of
//! the counting time on source code. Longer pieces still go to that encoder,
//! which is linear.

/// Ranks of all two-byte tokens, indexed by `first << 8 | second`.
pub struct PairRanks(Box<[u32]>);

impl PairRanks {
    pub fn new(two_byte_tokens: impl IntoIterator<Item = ([u8; 2], u32)>) -> PairRanks {
        let mut r = vec![u32::MAX; 1 << 16].into_boxed_slice();
        for ([a, b], rank) in two_byte_tokens {
            r[usize::from(a) << 8 | usize::from(b)] = rank;
        }
        PairRanks(r)
    }

    #[inline(always)]
    pub fn get(&self, a: u8, b: u8) -> u32 {
        self.0[usize::from(a) << 8 | usize::from(b)]
    }
}

/// Longest piece merged here; longer ones go to the linear encoder.
pub const MAX_MERGE: usize = 64;

/// Number of tokens of `piece` (`2 <= piece.len() <= MAX_MERGE`).
/// `span_rank(start, len)` is the rank of `piece[start..start + len]` (for
/// `len >= 3`), `u32::MAX` if that is no token.
#[inline(always)]
pub fn count(pairs: &PairRanks, piece: &[u8], span_rank: impl Fn(usize, usize) -> u32) -> usize {
    let n = piece.len();
    debug_assert!((2..=MAX_MERGE).contains(&n));
    // parts[i] = (start of part i, rank of part i merged with part i + 1);
    // the last two entries are the end sentinels.
    let mut start = [0u8; MAX_MERGE + 1];
    let mut rank = [u32::MAX; MAX_MERGE + 1];
    for (i, st) in start[..=n].iter_mut().enumerate() {
        *st = i as u8;
    }
    for i in 0..n - 1 {
        rank[i] = pairs.get(piece[i], piece[i + 1]);
    }
    let mut len = n + 1;
    // Rank of parts i..i+3 (part i merged with part i + 1, after the merge
    // being made), as in tiktoken's `get_rank`.
    let get_rank = |start: &[u8; MAX_MERGE + 1], len: usize, i: usize| -> u32 {
        if i + 3 < len {
            let a = usize::from(start[i]);
            let b = usize::from(start[i + 3]);
            if b - a == 2 {
                pairs.get(piece[a], piece[a + 1])
            } else {
                span_rank(a, b - a)
            }
        } else {
            u32::MAX
        }
    };
    loop {
        let mut best = u32::MAX;
        let mut at = 0;
        for (i, &r) in rank[..len - 1].iter().enumerate() {
            if r < best {
                best = r;
                at = i;
            }
        }
        if best == u32::MAX {
            break;
        }
        if at > 0 {
            rank[at - 1] = get_rank(&start, len, at - 1);
        }
        rank[at] = get_rank(&start, len, at);
        start.copy_within(at + 2..len, at + 1);
        rank.copy_within(at + 2..len, at + 1);
        len -= 1;
    }
    len - 1
}
