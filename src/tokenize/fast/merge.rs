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
//! the counting time on source code. Longer pieces go to [`count_long`], the
//! same merges driven by a heap, so no input takes quadratic time.

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

    /// How many pairs are tokens, and the sum of their ranks + 1.
    pub fn checksum(&self) -> (u64, u64) {
        self.0
            .iter()
            .filter(|&&r| r != u32::MAX)
            .fold((0, 0), |(n, s), &r| (n + 1, s + u64::from(r) + 1))
    }

    #[inline(always)]
    pub fn get(&self, a: u8, b: u8) -> u32 {
        self.0[usize::from(a) << 8 | usize::from(b)]
    }
}

/// Longest piece merged by [`count`]; longer ones go to [`count_long`].
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

/// Number of tokens of a piece of any length, by the same merges as
/// [`count`] in O(n log n): candidate merges sit in a min-heap keyed by
/// (rank, start), which is tiktoken's order (lowest rank, leftmost on ties),
/// and an entry whose parts have changed since it was pushed is skipped
/// when popped. `span_rank` is as for [`count`] (any length).
pub fn count_long(
    pairs: &PairRanks,
    piece: &[u8],
    span_rank: impl Fn(usize, usize) -> u32,
) -> usize {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = piece.len();
    if n < 2 {
        return n;
    }
    // Parts are identified by their start; `end[s]` is the end of the part
    // starting at `s`, and `prev[s]` the start of the part before it.
    // A merged-away start has `end[s] == 0`.
    let mut end: Vec<u32> = (1..=n as u32).collect();
    let mut prev: Vec<u32> = (0..n as u32).map(|i| i.wrapping_sub(1)).collect();
    let rank_of = |s: usize, e: usize| -> u32 {
        if e - s == 2 {
            pairs.get(piece[s], piece[s + 1])
        } else {
            span_rank(s, e - s)
        }
    };
    let mut heap: BinaryHeap<Reverse<(u32, u32, u32)>> = (0..n - 1)
        .filter_map(|i| {
            let r = pairs.get(piece[i], piece[i + 1]);
            (r != u32::MAX).then_some(Reverse((r, i as u32, i as u32 + 2)))
        })
        .collect();
    let mut parts = n;
    while let Some(Reverse((_, s, e))) = heap.pop() {
        let (s, e) = (s as usize, e as usize);
        // Still the merge of the part at `s` with its right neighbour, as
        // both were when pushed?
        let mid = end[s] as usize;
        if mid == 0 || mid >= n || end[mid] as usize != e {
            continue;
        }
        end[s] = e as u32;
        end[mid] = 0;
        if e < n {
            prev[e] = s as u32;
        }
        parts -= 1;
        if s > 0 {
            let p = prev[s] as usize;
            let r = rank_of(p, e);
            if r != u32::MAX {
                heap.push(Reverse((r, p as u32, e as u32)));
            }
        }
        if e < n {
            let after = end[e] as usize;
            let r = rank_of(s, after);
            if r != u32::MAX {
                heap.push(Reverse((r, s as u32, after as u32)));
            }
        }
    }
    parts
}
