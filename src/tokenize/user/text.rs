//! What happens to text before byte-pair merging: added tokens cut out,
//! normalizers, and pre-tokenizers, as `tokenizer.json` names them.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::{Result, bail};
use fancy_regex::Regex;

/// Pre-tokenizer presets for tiktoken rank files.
pub const PATTERN_PRESETS: &[&str] = &["cl100k", "llama3", "o200k", "qwen2"];

const CL100K: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN2: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const O200K: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
);
/// GPT-2's pattern: what a `ByteLevel` pre-tokenizer with `use_regex`
/// splits on.
const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// A preset's regex, or `pattern` itself.
pub fn pattern_regex(pattern: &str) -> Result<Regex> {
    let source = match pattern {
        "cl100k" | "llama3" => CL100K,
        "o200k" => O200K,
        "qwen2" => QWEN2,
        other => other,
    };
    compile(source)
}

pub fn compile(source: &str) -> Result<Regex> {
    Regex::new(source).map_err(|e| anyhow::anyhow!("pattern `{source}` does not compile: {e}"))
}

/// Added tokens (`added_tokens` of a tokenizer.json, or a rank file's
/// specials): found in the raw text, leftmost and longest first, and
/// counted as one token each.
#[derive(Default)]
pub struct AddedTokens {
    /// By first character: (content, strip whitespace left, right), longest first.
    by_first: HashMap<char, Vec<AddedToken>>,
}

pub struct AddedToken {
    pub content: String,
    pub lstrip: bool,
    pub rstrip: bool,
    pub single_word: bool,
}

impl AddedTokens {
    pub fn new(tokens: Vec<AddedToken>) -> AddedTokens {
        let mut by_first: HashMap<char, Vec<AddedToken>> = HashMap::new();
        for t in tokens {
            if let Some(c) = t.content.chars().next() {
                by_first.entry(c).or_default().push(t);
            }
        }
        for v in by_first.values_mut() {
            v.sort_by_key(|t| std::cmp::Reverse(t.content.len()));
        }
        AddedTokens { by_first }
    }

    pub fn contains(&self, content: &str) -> bool {
        content
            .chars()
            .next()
            .and_then(|c| self.by_first.get(&c))
            .is_some_and(|v| v.iter().any(|t| t.content == content))
    }

    /// The text cut into (segment, is an added token) parts, in order.
    pub fn split<'t>(&self, text: &'t str) -> Vec<(&'t str, bool)> {
        if self.by_first.is_empty() {
            return vec![(text, false)];
        }
        let mut out = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < text.len() {
            let c = text[i..].chars().next().unwrap_or('\0');
            let hit = self.by_first.get(&c).and_then(|cands| {
                cands.iter().find(|t| {
                    text[i..].starts_with(&t.content)
                        && (!t.single_word
                            || (!word_char_before(text, i)
                                && !word_char_after(text, i + t.content.len())))
                })
            });
            let Some(t) = hit else {
                i += c.len_utf8();
                continue;
            };
            let mut seg_end = i;
            if t.lstrip {
                seg_end = text[start..i].trim_end().len() + start;
            }
            if seg_end > start {
                out.push((&text[start..seg_end], false));
            }
            out.push((&text[i..i + t.content.len()], true));
            i += t.content.len();
            if t.rstrip {
                i = text.len() - text[i..].trim_start().len();
            }
            start = i;
        }
        if start < text.len() {
            out.push((&text[start..], false));
        }
        out
    }
}

fn word_char_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn word_char_after(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The normalizers implemented (README, "Bring your own tokenizer").
pub enum Normalizer {
    Sequence(Vec<Normalizer>),
    Nfc,
    Nfkc,
    /// A literal replaced everywhere.
    Replace {
        from: String,
        to: String,
    },
    Prepend(String),
    Lowercase,
}

impl Normalizer {
    pub fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        use unicode_normalization::UnicodeNormalization;
        match self {
            Normalizer::Sequence(steps) => {
                let mut s = Cow::Borrowed(text);
                for step in steps {
                    if let Cow::Owned(o) = step.apply(&s) {
                        s = Cow::Owned(o);
                    }
                }
                s
            }
            Normalizer::Nfc => {
                if unicode_normalization::is_nfc_quick(text.chars())
                    == unicode_normalization::IsNormalized::Yes
                {
                    Cow::Borrowed(text)
                } else {
                    Cow::Owned(text.nfc().collect())
                }
            }
            Normalizer::Nfkc => Cow::Owned(text.nfkc().collect()),
            Normalizer::Replace { from, to } => {
                if text.contains(from.as_str()) {
                    Cow::Owned(text.replace(from.as_str(), to))
                } else {
                    Cow::Borrowed(text)
                }
            }
            Normalizer::Prepend(p) => {
                if text.is_empty() {
                    Cow::Borrowed(text)
                } else {
                    Cow::Owned(format!("{p}{text}"))
                }
            }
            Normalizer::Lowercase => Cow::Owned(text.to_lowercase()),
        }
    }
}

/// How a `Split` treats what its pattern matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behavior {
    Isolated,
    Removed,
    MergedWithPrevious,
    MergedWithNext,
}

/// The pre-tokenizers implemented.
pub enum PreTokenizer {
    Split {
        pattern: Regex,
        behavior: Behavior,
        invert: bool,
    },
    /// Bytes are symbols; with `use_regex`, GPT-2's split first.
    ByteLevel {
        add_prefix_space: bool,
        split: Option<Regex>,
    },
    /// Spaces become `replacement`, prepended per `prepend`, split before
    /// each replacement when `split`.
    Metaspace {
        replacement: char,
        prepend: Prepend,
        split: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prepend {
    Always,
    First,
    Never,
}

impl PreTokenizer {
    pub fn byte_level(add_prefix_space: bool, use_regex: bool) -> Result<PreTokenizer> {
        Ok(PreTokenizer::ByteLevel {
            add_prefix_space,
            split: if use_regex {
                Some(compile(GPT2)?)
            } else {
                None
            },
        })
    }

    /// Cut one piece, handing each result to `emit` as it is found (a
    /// whole message is never held as a list of its pieces: that costs
    /// more in page faults than the splitting itself). `first`: the piece
    /// is the text's first (Metaspace's `prepend_scheme = "first"`).
    pub fn split_each<'t>(
        &self,
        piece: Cow<'t, str>,
        first: bool,
        emit: &mut dyn FnMut(Cow<'t, str>) -> Result<(), String>,
    ) -> Result<(), String> {
        match self {
            PreTokenizer::Split {
                pattern,
                behavior,
                invert,
            } => split_piece(piece, pattern, *behavior, *invert, emit),
            PreTokenizer::ByteLevel {
                add_prefix_space,
                split,
            } => {
                let piece = if *add_prefix_space && !piece.starts_with(' ') {
                    Cow::Owned(format!(" {piece}"))
                } else {
                    piece
                };
                match split {
                    Some(re) => split_piece(piece, re, Behavior::Isolated, false, emit),
                    None => emit(piece),
                }
            }
            PreTokenizer::Metaspace {
                replacement,
                prepend,
                split,
            } => {
                let r = replacement.to_string();
                let mut s = piece.replace(' ', &r);
                if (*prepend == Prepend::Always || (*prepend == Prepend::First && first))
                    && !s.starts_with(*replacement)
                {
                    s.insert(0, *replacement);
                }
                if *split {
                    let mut cur = String::new();
                    for c in s.chars() {
                        if c == *replacement && !cur.is_empty() {
                            emit(Cow::Owned(std::mem::take(&mut cur)))?;
                        }
                        cur.push(c);
                    }
                    if !cur.is_empty() {
                        emit(Cow::Owned(cur))?;
                    }
                    Ok(())
                } else {
                    emit(Cow::Owned(s))
                }
            }
        }
    }
}

/// One piece cut by a pattern, as the `tokenizers` crate's `split` does:
/// the matches and the text between them, kept, dropped or joined to a
/// neighbour by `behavior`.
fn split_piece<'t>(
    piece: Cow<'t, str>,
    re: &Regex,
    behavior: Behavior,
    invert: bool,
    emit: &mut dyn FnMut(Cow<'t, str>) -> Result<(), String>,
) -> Result<(), String> {
    let s: &str = &piece;
    let mut out = |a: usize, z: usize| -> Result<(), String> {
        emit(match &piece {
            Cow::Borrowed(b) => Cow::Borrowed(&b[a..z]),
            Cow::Owned(o) => Cow::Owned(o[a..z].to_string()),
        })
    };
    // A span waiting for its neighbour: (start, end, is a match).
    let mut pending: Option<(usize, usize, bool)> = None;
    let mut span = |a: usize, z: usize, matched: bool| -> Result<(), String> {
        match behavior {
            Behavior::Isolated => out(a, z),
            Behavior::Removed => {
                if matched {
                    Ok(())
                } else {
                    out(a, z)
                }
            }
            // A match joins its neighbour unless that neighbour is a match
            // too (the crate's fold over the spans).
            Behavior::MergedWithPrevious => match pending {
                Some(p) if matched && !p.2 => {
                    pending = Some((p.0, z, true));
                    Ok(())
                }
                _ => {
                    if let Some(p) = pending.replace((a, z, matched)) {
                        out(p.0, p.1)?;
                    }
                    Ok(())
                }
            },
            Behavior::MergedWithNext => match pending {
                Some(p) if p.2 && !matched => {
                    pending = Some((p.0, z, false));
                    Ok(())
                }
                _ => {
                    if let Some(p) = pending.replace((a, z, matched)) {
                        out(p.0, p.1)?;
                    }
                    Ok(())
                }
            },
        }
    };
    let mut last = 0;
    for m in re.find_iter(s) {
        let m = m.map_err(|e| format!("pattern failed: {e}"))?;
        if m.start() == m.end() {
            continue;
        }
        if m.start() > last {
            span(last, m.start(), invert)?;
        }
        span(m.start(), m.end(), !invert)?;
        last = m.end();
    }
    if last < s.len() {
        span(last, s.len(), invert)?;
    }
    if let Some(p) = pending {
        out(p.0, p.1)?;
    }
    Ok(())
}

/// A pattern that names something this does not implement.
pub fn unsupported(kind: &str, name: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{kind} `{name}` is not supported (supported: see README, \"Bring your own tokenizer\")"
    )
}

pub fn check_behavior(name: &str) -> Result<Behavior> {
    Ok(match name {
        "Isolated" => Behavior::Isolated,
        "Removed" => Behavior::Removed,
        "MergedWithPrevious" => Behavior::MergedWithPrevious,
        "MergedWithNext" => Behavior::MergedWithNext,
        other => bail!("split behavior `{other}` is not supported"),
    })
}
