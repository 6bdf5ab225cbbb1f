//! Token counting. A [`Tokenizer`] counts tokens of a string; the built-in
//! encodings are exact reproductions of OpenAI's tiktoken (`encode_ordinary`
//! semantics: text that looks like `<|endoftext|>` is plain text, because
//! that is how user content reaches the model).
//!
//! Engines: our own (`fast`) for o200k/cl100k, which almost every count
//! goes through, so it is where throughput matters: a hand-written
//! pre-tokenizer, per-thread memoised piece counts, tiktoken's merge loop
//! for short pieces and the `bpe` crate's linear encoder for long ones, so
//! no input takes quadratic time. tiktoken-rs counts the legacy p50k/r50k,
//! and is the test oracle for all of them.

use std::fmt;
use std::sync::OnceLock;

pub mod chat;
mod choice;
mod fast;
pub mod memo;
mod tiktoken;
pub mod user;

pub use choice::{Engine, TokenizerChoice, named_tokenizer, tokenizer_for};

/// Something that counts tokens.
pub trait Tokenizer: Send + Sync {
    /// Encoding name, e.g. `o200k_base`.
    fn name(&self) -> &'static str;
    /// Number of tokens in `text`. Errors only on engine failure, never on
    /// ordinary input.
    fn count(&self, text: &str) -> Result<usize, TokenizeError>;
    /// The messages as the model family's chat template writes them, for
    /// tokenizers that know their family's template (tokenizer files).
    fn render_chat(&self, _messages: &[crate::record::Message]) -> Option<String> {
        None
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenizeError(pub String);

impl fmt::Display for TokenizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tokenizer failed: {}", self.0)
    }
}

impl std::error::Error for TokenizeError {}

/// The built-in encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    O200kBase,
    O200kHarmony,
    Cl100kBase,
    P50kBase,
    R50kBase,
}

impl Encoding {
    pub const ALL: [Encoding; 5] = [
        Encoding::O200kBase,
        Encoding::O200kHarmony,
        Encoding::Cl100kBase,
        Encoding::P50kBase,
        Encoding::R50kBase,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::R50kBase => "r50k_base",
        }
    }

    pub fn from_name(s: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == s)
    }

    /// The shared, lazily built tokenizer for this encoding.
    pub fn tokenizer(self) -> &'static dyn Tokenizer {
        static O200K: OnceLock<fast::FastBpe> = OnceLock::new();
        static HARMONY: OnceLock<fast::FastBpe> = OnceLock::new();
        static CL100K: OnceLock<fast::FastBpe> = OnceLock::new();
        static P50K: OnceLock<tiktoken::Tiktoken> = OnceLock::new();
        static R50K: OnceLock<tiktoken::Tiktoken> = OnceLock::new();
        match self {
            Encoding::O200kBase => O200K.get_or_init(|| fast::FastBpe::o200k("o200k_base")),
            // o200k_harmony adds only special tokens; ordinary text encodes
            // exactly as o200k_base.
            Encoding::O200kHarmony => HARMONY.get_or_init(|| fast::FastBpe::o200k("o200k_harmony")),
            Encoding::Cl100kBase => CL100K.get_or_init(fast::FastBpe::cl100k),
            Encoding::P50kBase => P50K.get_or_init(tiktoken::Tiktoken::p50k),
            Encoding::R50kBase => R50K.get_or_init(tiktoken::Tiktoken::r50k),
        }
    }
}

/// Run an engine call, turning a panic inside a third-party engine into an
/// error: one bad string must not take down a run over gigabytes of logs.
fn guarded<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, TokenizeError> {
    std::panic::catch_unwind(f).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".to_string());
        TokenizeError(msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Encoding::ALL {
            assert_eq!(Encoding::from_name(e.name()), Some(e));
            assert_eq!(e.tokenizer().name(), e.name());
        }
    }

    /// Examples published in tiktoken's README and tests.
    #[test]
    fn published_examples() {
        let o200k = Encoding::O200kBase.tokenizer();
        let cl100k = Encoding::Cl100kBase.tokenizer();
        let r50k = Encoding::R50kBase.tokenizer();
        // tiktoken README: enc.encode("hello world") == [15339, 1917] (cl100k)
        assert_eq!(cl100k.count("hello world").unwrap(), 2);
        assert_eq!(o200k.count("hello world").unwrap(), 2);
        // tiktoken tests: gpt2 "hello world" → [31373, 995]
        assert_eq!(r50k.count("hello world").unwrap(), 2);
        // tiktoken tests (test_simple): with special tokens disallowed,
        // "<|endoftext|>" is plain text: [27, 91, 437, 1659, 5239, 91, 29].
        assert_eq!(r50k.count("<|endoftext|>").unwrap(), 7);
        // The same as text in o200k (encode_ordinary, module docs): 7 tokens.
        assert_eq!(o200k.count("<|endoftext|>").unwrap(), 7);
        assert_eq!(cl100k.count("").unwrap(), 0);
        // OpenAI cookbook: "tiktoken is great!" is 6 tokens in cl100k_base.
        assert_eq!(cl100k.count("tiktoken is great!").unwrap(), 6);
    }
}
