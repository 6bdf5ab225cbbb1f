//! Hash tables for short pieces (at most 15 bytes: 99.5% of pieces in code
//! and prose). A general `HashMap<&[u8], _>` spends most of its time hashing
//! a slice and calling `memcmp`; here a piece is packed into two words once,
//! and hashing and comparing are a few integer operations.

/// Longest piece a [`Key`] holds.
pub const MAX_SHORT: usize = 15;

/// A piece of 1..=15 bytes: bytes 0..8 in `a`, bytes 8..15 in the low 56
/// bits of `b`, the length in bits 56..60 of `b`. Bits 60..64 are free (the
/// cache keeps the token count there). All-zero is no piece (length 0).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Key {
    a: u64,
    b: u64,
}

const COUNT_SHIFT: u32 = 60;

/// Masks keeping the first `len` bytes of two little-endian words, by
/// `len` (a table instead of a data-dependent branch).
const MASKS: [(u64, u64); 16] = {
    let mut m = [(0u64, 0u64); 16];
    let mut len = 0;
    while len < 16 {
        m[len] = if len < 8 {
            ((1u64 << (8 * len)) - 1, 0)
        } else {
            (u64::MAX, (1u64 << (8 * (len - 8))) - 1)
        };
        len += 1;
    }
    m
};
const KEY_B_MASK: u64 = !(0xF << COUNT_SHIFT);

impl Key {
    /// The piece `text[s..s + len]`, `1 <= len <= MAX_SHORT`.
    #[inline(always)]
    pub fn new(text: &[u8], s: usize, len: usize) -> Key {
        debug_assert!((1..=MAX_SHORT).contains(&len));
        let (a, b) = match text.get(s..s + 16) {
            Some(w) => (
                u64::from_le_bytes(w[..8].try_into().expect("8 bytes")),
                u64::from_le_bytes(w[8..].try_into().expect("8 bytes")),
            ),
            None => {
                let mut buf = [0u8; 16];
                buf[..len].copy_from_slice(&text[s..s + len]);
                (
                    u64::from_le_bytes(buf[..8].try_into().expect("8 bytes")),
                    u64::from_le_bytes(buf[8..].try_into().expect("8 bytes")),
                )
            }
        };
        let (ma, mb) = MASKS[len];
        Key {
            a: a & ma,
            b: (b & mb) | (len as u64) << 56,
        }
    }

    #[inline(always)]
    fn hash(self) -> u64 {
        (self.a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.b).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
    }
}

/// The short tokens of an encoding and their ranks (token ids, which in
/// tiktoken's vocabularies are also the merge priorities): open addressing
/// with linear probing, at most half full. Most lookups (merge candidates)
/// find nothing, so each slot has a one-byte fingerprint in a compact array
/// that stays in the CPU cache (half a MB for o200k), and a miss rarely
/// touches the 8 MB of keys. Ranks sit in their own array, read only on a
/// hit.
pub struct ShortMap {
    /// 0: empty; else 0x80 | seven bits of the hash.
    ctrl: Box<[u8]>,
    keys: Box<[Key]>,
    ranks: Box<[u32]>,
    shift: u32,
}

impl ShortMap {
    /// The map of the short tokens of `vocab`: for each rank from 0, the
    /// token's length (one byte) and bytes, as build.rs writes them.
    /// Tokens are inserted in the order of their home slots, so the writes
    /// sweep the 10 MB table once instead of missing the CPU cache three
    /// times per token, which took a one-line `count` from 40 to 20 ms.
    pub fn from_vocab(vocab: &[u8]) -> ShortMap {
        // (offset of the token's length byte, rank) of every short token.
        let mut short: Vec<(u32, u32)> = Vec::with_capacity(1 << 18);
        let (mut at, mut rank) = (0usize, 0u32);
        while let Some(&len) = vocab.get(at) {
            if usize::from(len) <= MAX_SHORT {
                short.push((at as u32, rank));
            }
            at += 1 + usize::from(len);
            rank += 1;
        }
        let key = |at: u32| {
            let at = at as usize;
            Key::new(vocab, at + 1, usize::from(vocab[at]))
        };
        let size = (short.len() * 2).next_power_of_two().max(256);
        let mut map = ShortMap {
            ctrl: vec![0; size].into_boxed_slice(),
            keys: zeroed(size),
            // Read only where `ctrl` says a token is, so 0 is as good as
            // any, and zeroed memory costs no writes.
            ranks: vec![0; size].into_boxed_slice(),
            shift: 64 - size.trailing_zeros(),
        };
        // Counting sort by the top bits of the home slot.
        let bits = size.trailing_zeros().min(10);
        let bucket = |map: &ShortMap, k: Key| map.home(k).0 >> (size.trailing_zeros() - bits);
        let mut starts = vec![0u32; (1 << bits) + 1];
        for &(at, _) in &short {
            starts[bucket(&map, key(at)) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut sorted = vec![(0u32, 0u32); short.len()];
        for &(at, rank) in &short {
            let b = bucket(&map, key(at));
            sorted[starts[b] as usize] = (at, rank);
            starts[b] += 1;
        }
        drop(short);
        for (at, rank) in sorted {
            map.insert(key(at), rank);
        }
        map
    }

    fn insert(&mut self, k: Key, rank: u32) {
        let mask = self.ctrl.len() - 1;
        let (mut i, fp) = self.home(k);
        while self.ctrl[i] != 0 && self.keys[i] != k {
            i = (i + 1) & mask;
        }
        self.ctrl[i] = fp;
        self.keys[i] = k;
        self.ranks[i] = rank;
    }

    /// Home slot and fingerprint of `k`: the index from the top bits of
    /// the hash, the fingerprint from the seven bits below them.
    #[inline(always)]
    fn home(&self, k: Key) -> (usize, u8) {
        let h = k.hash();
        let fp = 0x80 | (h >> (self.shift - 7)) as u8 & 0x7f;
        ((h >> self.shift) as usize, fp)
    }

    #[inline(always)]
    fn slot(&self, k: Key) -> Option<usize> {
        let mask = self.ctrl.len() - 1;
        let (mut i, fp) = self.home(k);
        loop {
            let c = self.ctrl[i];
            if c == fp && self.keys[i] == k {
                return Some(i);
            }
            if c == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// How many tokens the map holds, and the sum of their ranks + 1.
    pub fn checksum(&self) -> (u64, u64) {
        self.ctrl
            .iter()
            .zip(self.ranks.iter())
            .filter(|(c, _)| **c != 0)
            .fold((0, 0), |(n, s), (_, &r)| (n + 1, s + u64::from(r) + 1))
    }

    #[inline(always)]
    pub fn contains(&self, k: Key) -> bool {
        self.slot(k).is_some()
    }

    /// Rank of the token `k`, `u32::MAX` if it is none.
    #[inline(always)]
    pub fn rank(&self, k: Key) -> u32 {
        match self.slot(k) {
            Some(i) => self.ranks[i],
            None => u32::MAX,
        }
    }
}

/// `n` all-zero keys, from memory the allocator already has zeroed (fresh
/// pages), rather than written over.
fn zeroed(n: usize) -> Box<[Key]> {
    let b = Box::<[Key]>::new_zeroed_slice(n);
    // SAFETY: a Key is two u64s, for which all-zero bits are a value (and
    // the all-zero Key is `Key::default()`, no piece).
    unsafe { b.assume_init() }
}

/// Bits of the number of cache slots (16 bytes each).
const CACHE_BITS: u32 = 15;

/// Token counts of recently seen short pieces: a 2-way set-associative
/// cache, so its size is fixed and a full cache evicts the older entry of a
/// set instead of growing or being emptied.
pub struct ShortCache {
    slots: Box<[Key]>,
}

impl Default for ShortCache {
    fn default() -> Self {
        ShortCache {
            slots: zeroed(1 << CACHE_BITS),
        }
    }
}

impl ShortCache {
    #[inline(always)]
    fn set(k: Key) -> usize {
        (k.hash() >> (64 - CACHE_BITS)) as usize & !1
    }

    #[inline(always)]
    pub fn get(&self, k: Key) -> Option<usize> {
        let i = Self::set(k);
        for e in &self.slots[i..i + 2] {
            if e.a == k.a && e.b & KEY_B_MASK == k.b {
                return Some((e.b >> COUNT_SHIFT) as usize);
            }
        }
        None
    }

    /// Remembers `k` -> `count`; counts above 15 (impossible for a piece of
    /// at most 15 bytes) are not stored.
    #[inline]
    pub fn put(&mut self, k: Key, count: usize) {
        if count > 0xF {
            return;
        }
        let i = Self::set(k);
        self.slots[i + 1] = self.slots[i];
        self.slots[i] = Key {
            a: k.a,
            b: k.b | (count as u64) << COUNT_SHIFT,
        };
    }
}
