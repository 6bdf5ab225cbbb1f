//! Small open-addressing tables with a seeded folded-multiply hash: std's
//! SipHash tables were most of the cost. The seed is random per process, so
//! crafted text cannot aim for collisions; results never depend on it (keys
//! are compared exactly), only speed does.

use std::sync::OnceLock;

const K: [u64; 4] = [
    0x243F_6A88_85A3_08D3,
    0x1319_8A2E_0370_7344,
    0xA409_3822_299F_31D0,
    0x082E_FA98_EC4E_6C89,
];

pub(super) fn hash_seed() -> u64 {
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

pub(super) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
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
pub(super) struct StrTable {
    /// Entry index + 1, or 0 for a free slot.
    slots: Vec<u32>,
    /// (hash, start, len) of each key in its base.
    entries: Vec<(u64, usize, usize)>,
}

impl StrTable {
    pub(super) fn reset(&mut self, expected: usize) {
        self.slots.clear();
        self.slots.resize(table_size(expected), 0);
        self.entries.clear();
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The index of `key`, comparing stored keys in `base`.
    pub(super) fn find(&self, hash: u64, key: &[u8], base: &[u8]) -> Option<u32> {
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
    pub(super) fn insert(&mut self, hash: u64, start: usize, len: usize) -> Option<u32> {
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
pub(super) struct TrigramSet {
    /// (a << 42 | b << 21 | c) + 1.
    narrow: KeySet<u64>,
    /// (a << 64 | b << 32 | c) + 1.
    wide: KeySet<u128>,
    is_wide: bool,
}

impl TrigramSet {
    pub(super) fn reset(&mut self, expected: usize) {
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
    pub(super) fn insert(&mut self, seed: u64, [a, b, c]: [u32; 3]) -> bool {
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

/// Gives each distinct word an index, in order of first appearance. Words
/// of up to 16 bytes (nearly all) are keyed by [`short_key`](super::words::short_key); longer ones
/// are stored and compared byte for byte.
#[derive(Debug, Default)]
pub(super) struct WordTable {
    /// [`short_key`](super::words::short_key), or 0 for a free slot.
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
    pub(super) fn reset(&mut self, expected: usize) {
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

    /// The index of `w` (`key`: its [`short_key`](super::words::short_key)), if it has one.
    pub(super) fn get(&self, seed: u64, w: &[u8], key: Option<u128>) -> Option<u32> {
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

    /// The index of `w` (`key`: its [`short_key`](super::words::short_key)), and whether it is new.
    /// Indices saturate at `u32::MAX` (past 4 billion distinct words).
    pub(super) fn intern(&mut self, seed: u64, w: &[u8], key: Option<u128>) -> (u32, bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
