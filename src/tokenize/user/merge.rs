//! Byte-pair merging for user tokenizers, in the two ways tokenizer files
//! define it, both driven by a heap so that a long word (a SentencePiece
//! tokenizer sees a whole message as one word) never takes quadratic time:
//!
//! - Hugging Face `tokenizer.json` (`model.merges`): the adjacent pair
//!   with the lowest merge rank is merged first, ties to the leftmost
//!   (the `tokenizers` crate's `Word::merge_all`).
//! - tiktoken rank files: the adjacent pair whose concatenation has the
//!   lowest rank is merged first, ties to the leftmost (tiktoken's
//!   `byte_pair_merge`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

/// How pairs merge.
pub enum Merges {
    /// (left id, right id) → (rank, merged id).
    Pairs(FxHashMap<(u32, u32), (u32, u32)>),
    /// Token bytes → rank (= id); `bytes[id]` are each token's bytes.
    Ranks {
        ranks: FxHashMap<Vec<u8>, u32>,
        bytes: Vec<Vec<u8>>,
    },
}

impl Merges {
    /// The merge of `a` then `b`: its rank and the merged token.
    fn pair(&self, a: u32, b: u32) -> Option<(u32, u32)> {
        match self {
            Merges::Pairs(m) => m.get(&(a, b)).copied(),
            Merges::Ranks { ranks, bytes } => {
                let (x, y) = (bytes.get(a as usize)?, bytes.get(b as usize)?);
                let mut joined = Vec::with_capacity(x.len() + y.len());
                joined.extend_from_slice(x);
                joined.extend_from_slice(y);
                ranks.get(&joined).map(|&r| (r, r))
            }
        }
    }

    /// Number of tokens `symbols` merge into.
    pub fn count(&self, symbols: &[u32]) -> usize {
        let n = symbols.len();
        if n < 2 {
            return n;
        }
        let mut ids = symbols.to_vec();
        let mut next: Vec<usize> = (1..=n).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut alive = vec![true; n];
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<_>, ids: &[u32], at: usize, nxt: usize| {
            if nxt < ids.len()
                && let Some((rank, merged)) = self.pair(ids[at], ids[nxt])
            {
                heap.push(Reverse((rank, at, ids[at], ids[nxt], merged)));
            }
        };
        for i in 0..n - 1 {
            push(&mut heap, &ids, i, i + 1);
        }
        let mut left = n;
        while let Some(Reverse((_, at, a, b, merged))) = heap.pop() {
            let nxt = next[at];
            // A pair made stale by an earlier merge on either side.
            if !alive[at] || nxt >= n || ids[at] != a || ids[nxt] != b {
                continue;
            }
            ids[at] = merged;
            alive[nxt] = false;
            next[at] = next[nxt];
            if next[at] < n {
                prev[next[at]] = at;
            }
            left -= 1;
            if prev[at] < n {
                push(&mut heap, &ids, prev[at], at);
            }
            push(&mut heap, &ids, at, next[at]);
        }
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_ranks_merge_lowest_first_and_leftmost_on_ties() {
        // ids: a=0 b=1 c=2, ab=3, bc=4, abc=5
        let mut m = FxHashMap::default();
        m.insert((0, 1), (1, 3));
        m.insert((1, 2), (0, 4));
        m.insert((3, 2), (2, 5));
        let merges = Merges::Pairs(m);
        // "abc": bc first (rank 0) → a,bc; no (a,bc) merge → 2 tokens.
        assert_eq!(merges.count(&[0, 1, 2]), 2);
        // "abab": ab twice → 2.
        assert_eq!(merges.count(&[0, 1, 0, 1]), 2);
        assert_eq!(merges.count(&[0]), 1);
        assert_eq!(merges.count(&[]), 0);
    }

    #[test]
    fn byte_ranks_merge_by_the_joined_token() {
        let bytes: Vec<Vec<u8>> = vec![
            b"a".to_vec(),
            b"b".to_vec(),
            b"ab".to_vec(),
            b"aba".to_vec(),
        ];
        let ranks = bytes
            .iter()
            .enumerate()
            .map(|(i, b)| (b.clone(), i as u32))
            .collect();
        let merges = Merges::Ranks { ranks, bytes };
        assert_eq!(merges.count(&[0, 1, 0]), 1);
        assert_eq!(merges.count(&[1, 1]), 2);
    }
}
