//! Token counts memoized by content.
//!
//! Chat and agent logs resend the whole conversation with every request: a
//! 20-turn conversation logs its first message 20 times, so counting every
//! prompt in full costs O(turns²) in text. Counting is exact and
//! deterministic, so a count can be reused for the same text under the same
//! encoding: the run then tokenizes each distinct message once and only
//! hashes the repeats (xxh3, tens of GB/s).
//!
//! Keys are 128-bit xxh3 hashes of the encoding name and the text: an
//! accidental collision (~2⁻¹²⁸ per pair) is the only way a cached count
//! could differ from a fresh one. Memory is bounded: each shard is cleared
//! when full, so a long run keeps at most [`CAPACITY`] entries (~10 MB) and
//! repeats that are close together (one conversation's history) still hit.

use std::sync::Mutex;

use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::Xxh3;

use super::{TokenizeError, Tokenizer};

/// Shorter texts are counted directly: hashing and locking would cost
/// about as much as counting them.
const MIN_BYTES: usize = 128;
const SHARDS: usize = 64;
const PER_SHARD: usize = 4096;
/// Entries kept at most.
pub const CAPACITY: usize = SHARDS * PER_SHARD;

/// A run-wide cache of counts, shared by every thread.
pub struct CountCache {
    shards: Vec<Mutex<FxHashMap<u128, u32>>>,
}

impl Default for CountCache {
    fn default() -> Self {
        CountCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl CountCache {
    /// `tok`'s count of `text`, from the cache when this text was counted
    /// with this encoding before.
    pub fn count(&self, tok: &dyn Tokenizer, text: &str) -> Result<usize, TokenizeError> {
        if text.len() < MIN_BYTES {
            return tok.count(text);
        }
        let mut h = Xxh3::new();
        h.update(tok.name().as_bytes());
        h.update(&[0xff]); // no encoding name contains 0xff: unambiguous
        h.update(text.as_bytes());
        let key = h.digest128();
        let shard = &self.shards[(key as usize) % SHARDS];
        if let Some(&n) = lock(shard).get(&key) {
            return Ok(n as usize);
        }
        let n = tok.count(text)?;
        // A count beyond u32 (a >16 GB text) is not cached.
        if let Ok(small) = u32::try_from(n) {
            let mut m = lock(shard);
            if m.len() >= PER_SHARD {
                m.clear();
            }
            m.insert(key, small);
        }
        Ok(n)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a valid map (insert or clear).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A tokenizer whose counts go through a [`CountCache`].
pub struct Memoized<'a> {
    pub inner: &'a dyn Tokenizer,
    pub cache: &'a CountCache,
}

impl Tokenizer for Memoized<'_> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        self.cache.count(self.inner, text)
    }

    fn render_chat(&self, messages: &[crate::record::Message]) -> Option<String> {
        self.inner.render_chat(messages)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts bytes, and how often it was asked.
    struct Probe {
        name: &'static str,
        calls: AtomicUsize,
    }

    impl Tokenizer for Probe {
        fn name(&self) -> &'static str {
            self.name
        }
        fn count(&self, text: &str) -> Result<usize, TokenizeError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Ok(text.len())
        }
    }

    fn probe(name: &'static str) -> Probe {
        Probe {
            name,
            calls: AtomicUsize::new(0),
        }
    }

    #[test]
    fn repeated_long_text_is_counted_once() {
        let cache = CountCache::default();
        let p = probe("a");
        let long = "x".repeat(500);
        for _ in 0..5 {
            assert_eq!(cache.count(&p, &long).unwrap(), 500);
        }
        assert_eq!(p.calls.load(Ordering::Relaxed), 1);
        // Short texts are always counted.
        for _ in 0..3 {
            cache.count(&p, "short").unwrap();
        }
        assert_eq!(p.calls.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn encodings_do_not_share_counts() {
        let cache = CountCache::default();
        let (a, b) = (probe("a"), probe("b"));
        let long = "y".repeat(300);
        cache.count(&a, &long).unwrap();
        cache.count(&b, &long).unwrap();
        assert_eq!(a.calls.load(Ordering::Relaxed), 1);
        assert_eq!(b.calls.load(Ordering::Relaxed), 1);
        let other = "z".repeat(300);
        cache.count(&a, &other).unwrap();
        assert_eq!(a.calls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn memory_stays_bounded() {
        let cache = CountCache::default();
        let p = probe("a");
        for i in 0..(CAPACITY + 10_000) {
            cache.count(&p, &format!("{i:0>200}")).unwrap();
        }
        let held: usize = cache.shards.iter().map(|s| lock(s).len()).sum();
        assert!(held <= CAPACITY, "{held} entries");
    }
}
