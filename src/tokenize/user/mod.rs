//! Tokenizers from files (README, "Bring your own tokenizer"): a Hugging
//! Face `tokenizer.json` with a BPE model, or a tiktoken rank file
//! (`.tiktoken`, Llama 3's and Kimi's `tokenizer.model`) with a
//! pre-tokenizer pattern.
//!
//! Why not the `tokenizers` crate: measured, it adds 3.3 MB to a binary
//! whose budget is 15 MB (README, "Size and startup"), for every model kind
//! and trainer; the BPE files open models ship need the part written here.
//! What a file uses that this does not implement (a WordPiece model, a
//! normalizer or pre-tokenizer not listed in the README) is an error
//! naming it, never a silent approximation. Exactness against the Python
//! `tokenizers` library is tested on real files (tests/user_tokenizers.rs).
//!
//! A tokenizer counts with `encode(text, add_special_tokens=False)`
//! semantics: added tokens written in the text (`<|im_start|>`) count as
//! one token each, as the model's chat template writes them; no BOS/EOS is
//! added.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result, bail};

use super::{TokenizeError, Tokenizer};

mod json;
mod merge;
mod template;
mod text;

use merge::Merges;
pub use template::ChatTemplate;
use text::{AddedTokens, Normalizer, PreTokenizer};

/// How the symbols of a word start.
enum Symbols {
    /// Each byte is a symbol (byte-level BPE): id of each byte's token.
    Bytes(Box<[Option<u32>; 256]>),
    /// Each character is a symbol (SentencePiece-style BPE); a character
    /// the vocabulary lacks becomes its UTF-8 bytes' `<0xNN>` tokens when
    /// `byte_fallback`, else the unknown token.
    Chars {
        vocab: HashMap<String, u32>,
        byte_tokens: Option<Box<[u32; 256]>>,
        unk: Option<u32>,
        fuse_unk: bool,
    },
}

/// A tokenizer loaded from a file.
pub struct UserTokenizer {
    name: &'static str,
    pub path: PathBuf,
    added: AddedTokens,
    normalizer: Option<Normalizer>,
    pre: Vec<PreTokenizer>,
    symbols: Symbols,
    merges: Merges,
    /// A word the vocabulary holds whole is one token, merges or not
    /// (Llama 3's `ignore_merges`; tiktoken does this always).
    whole_words: Option<rustc_hash::FxHashMap<Vec<u8>, u32>>,
    /// The family's chat template, when its markers are added tokens.
    pub template: Option<ChatTemplate>,
}

impl UserTokenizer {
    /// Load `path`: a `tokenizer.json`, or a tiktoken rank file whose
    /// pre-tokenizer is `pattern` (a preset name or a regex).
    pub fn load(path: &Path, pattern: Option<&str>) -> Result<UserTokenizer> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("tokenizer {}: cannot read", path.display()))?;
        let what = || format!("tokenizer {}", path.display());
        let looks_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let mut t = if looks_json {
            if pattern.is_some() {
                bail!(
                    "{}: a tokenizer.json carries its own pre-tokenizer; a pattern is only for tiktoken rank files",
                    what()
                );
            }
            json::from_json(&bytes).with_context(what)?
        } else {
            let Some(pattern) = pattern else {
                bail!(
                    "{}: a tiktoken rank file needs its pre-tokenizer pattern (a preset: {}; or a regex)",
                    what(),
                    text::PATTERN_PRESETS.join(", ")
                );
            };
            json::from_tiktoken(&bytes, pattern).with_context(what)?
        };
        t.path = path.to_path_buf();
        t.template = ChatTemplate::detect(|m| t.added.contains(m));
        t.name = Box::leak(
            // The whole path: counts are cached by tokenizer name, and two
            // models' files are often both called tokenizer.json.
            format!("file:{}", path.display()).into_boxed_str(),
        );
        Ok(t)
    }

    /// The tokenizer at `path`, loaded once per run (canonical path and
    /// pattern) and kept for the rest of it.
    ///
    /// Billing asks for a model's tokenizer once per record: the path as
    /// given is looked up first, so that only the first call for a name
    /// touches the file system (the canonical path, which makes two names
    /// of one file share it).
    pub fn shared(path: &Path, pattern: Option<&str>) -> Result<&'static UserTokenizer> {
        type Loaded = Mutex<HashMap<(PathBuf, Option<String>), &'static UserTokenizer>>;
        static LOADED: OnceLock<Loaded> = OnceLock::new();
        let loaded = LOADED.get_or_init(Default::default);
        let lock = || loaded.lock().unwrap_or_else(|p| p.into_inner());
        let given = (path.to_path_buf(), pattern.map(str::to_string));
        if let Some(t) = lock().get(&given) {
            return Ok(t);
        }
        let canonical = (
            path.canonicalize()
                .with_context(|| format!("tokenizer {}: cannot read", path.display()))?,
            given.1.clone(),
        );
        let found = lock().get(&canonical).copied();
        let t = match found {
            Some(t) => t,
            None => Box::leak(Box::new(UserTokenizer::load(path, pattern)?)),
        };
        let mut map = lock();
        map.insert(canonical, t);
        map.insert(given, t);
        Ok(t)
    }

    /// One line on what the file is: its kind, and its chat framing.
    pub fn describe(&self) -> String {
        let kind = match (&self.symbols, &self.merges) {
            (_, Merges::Ranks { .. }) => "tiktoken rank file",
            (Symbols::Bytes(_), _) => "tokenizer.json, byte-level BPE",
            (Symbols::Chars { .. }, _) => "tokenizer.json, SentencePiece-style BPE",
        };
        let framing = match self.template {
            Some(t) => format!("chat framing: the {t:?} template"),
            None => "chat framing: none (message text only)".to_string(),
        };
        format!("{kind}; exact (encode without special tokens); {framing}")
    }

    /// Words repeat (Zipf): each thread keeps the counts of the words it
    /// has merged, per tokenizer, up to a bound.
    fn count_word(&self, word: &[u8]) -> usize {
        if word.is_empty() {
            return 0;
        }
        // Long words (a SentencePiece tokenizer's whole message) are rarely
        // seen twice: not worth keeping.
        if word.len() > 64 {
            return self.merge_word(word);
        }
        thread_local! {
            static WORDS: std::cell::RefCell<(usize, rustc_hash::FxHashMap<Vec<u8>, u32>)> =
                Default::default();
        }
        let me = self as *const UserTokenizer as usize;
        let hit = WORDS.with(|w| {
            let w = w.borrow();
            if w.0 == me {
                w.1.get(word).copied()
            } else {
                None
            }
        });
        if let Some(n) = hit {
            return n as usize;
        }
        let n = self.merge_word(word);
        WORDS.with(|w| {
            let mut w = w.borrow_mut();
            if w.0 != me || w.1.len() >= 200_000 {
                w.1.clear();
                w.0 = me;
            }
            w.1.insert(word.to_vec(), n as u32);
        });
        n
    }

    /// Pre-tokenizer `step` on one piece, depth first, counting each word
    /// that comes out of the last step.
    fn pre_tokenize(
        &self,
        step: usize,
        piece: std::borrow::Cow<'_, str>,
        first: bool,
        total: &mut usize,
    ) -> Result<(), String> {
        let Some(pre) = self.pre.get(step) else {
            *total += self.count_word(piece.as_bytes());
            return Ok(());
        };
        let mut n = 0;
        pre.split_each(piece, first, &mut |p| {
            let f = first && n == 0;
            n += 1;
            self.pre_tokenize(step + 1, p, f, total)
        })
    }

    fn merge_word(&self, word: &[u8]) -> usize {
        if let Some(whole) = &self.whole_words
            && whole.contains_key(word)
        {
            return 1;
        }
        let mut ids = Vec::with_capacity(word.len());
        match &self.symbols {
            // A byte the vocabulary lacks is dropped, as the `tokenizers`
            // crate drops it (every byte-level vocabulary of a real model
            // has all 256).
            Symbols::Bytes(table) => ids.extend(word.iter().filter_map(|&b| table[b as usize])),
            Symbols::Chars {
                vocab,
                byte_tokens,
                unk,
                fuse_unk,
            } => {
                let s = String::from_utf8_lossy(word);
                let mut last_unk = false;
                let mut buf = [0u8; 4];
                for c in s.chars() {
                    if let Some(&id) = vocab.get(c.encode_utf8(&mut buf) as &str) {
                        ids.push(id);
                        last_unk = false;
                    } else if let Some(bytes) = byte_tokens {
                        for b in c.encode_utf8(&mut buf).bytes() {
                            ids.push(bytes[b as usize]);
                        }
                        last_unk = false;
                    } else if let Some(u) = unk {
                        if !(*fuse_unk && last_unk) {
                            ids.push(*u);
                        }
                        last_unk = true;
                    }
                }
            }
        }
        self.merges.count(&ids)
    }
}

impl Tokenizer for UserTokenizer {
    fn name(&self) -> &'static str {
        self.name
    }

    fn render_chat(&self, messages: &[crate::record::Message]) -> Option<String> {
        self.template.map(|t| t.render(messages))
    }

    fn count(&self, input: &str) -> Result<usize, TokenizeError> {
        let mut total = 0;
        for (segment, added) in self.added.split(input) {
            if added {
                total += 1;
                continue;
            }
            let normalized = match &self.normalizer {
                Some(n) => n.apply(segment),
                None => std::borrow::Cow::Borrowed(segment),
            };
            self.pre_tokenize(0, normalized, true, &mut total)
                .map_err(|e| TokenizeError(format!("{}: {e}", self.name)))?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests;
