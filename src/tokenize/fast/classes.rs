//! Per-code-point character classes for the pre-tokenizers.
//!
//! The classes come from `regex-syntax` at start-up, parsed from the same
//! `\p{..}`/`\s`/`(?i)` syntax the tiktoken patterns use, so they are the
//! exact tables the oracle regex engines (regex / fancy-regex) consult. A
//! hand-copied table would silently drift the day a Unicode update lands in
//! `regex-syntax`. Lookup is a 128-entry table for ASCII and a two-level
//! table (256-code-point blocks, deduplicated) for everything else.

use regex_syntax::hir::{Class, HirKind};
use std::collections::HashMap;

/// `\p{L}`
pub const LET: u8 = 1;
/// `\p{N}`
pub const NUM: u8 = 2;
/// `\s` (Unicode White_Space)
pub const WS: u8 = 4;
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` (o200k's "upper" run)
pub const UP: u8 = 8;
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]` (o200k's "lower" run)
pub const LO: u8 = 16;
/// `[\r\n]`
pub const NL: u8 = 32;

/// Contraction letters, as matched case-insensitively (`(?i:'s|'t|...)`).
/// Simple case folding gives some non-ASCII members (U+017F LATIN SMALL
/// LETTER LONG S folds with `s`), which is why these are tables too.
pub const F_S: u8 = 1;
pub const F_T: u8 = 2;
pub const F_M: u8 = 4;
pub const F_D: u8 = 8;
pub const F_R: u8 = 16;
pub const F_V: u8 = 32;
pub const F_L: u8 = 64;
pub const F_E: u8 = 128;

/// Kinds of ASCII bytes at the start of a piece (`Classes::ascii_kind`).
pub const K_LETTER: u8 = 0;
pub const K_DIGIT: u8 = 1;
pub const K_NEWLINE: u8 = 2;
/// `' '`: the only whitespace that may precede punctuation in a piece.
pub const K_SPACE: u8 = 3;
/// Other whitespace (tab, vertical tab, form feed).
pub const K_WS: u8 = 4;
/// Anything else: not `\s`, `\p{L}` or `\p{N}`.
pub const K_PUNCT: u8 = 5;

const MAX_CP: usize = 0x11_0000;

pub struct Classes {
    pub ascii: [u8; 128],
    pub ascii_kind: [u8; 128],
    /// Block number (into `blocks`) for each 256-code-point block.
    index: Vec<u16>,
    blocks: Vec<u8>,
    ascii_fold: [u8; 128],
    /// Non-ASCII code points that fold to a contraction letter.
    other_fold: Vec<(u32, u8)>,
}

fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    let hir = regex_syntax::Parser::new()
        .parse(pattern)
        .unwrap_or_else(|e| panic!("bad class {pattern}: {e}"));
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        HirKind::Literal(lit) => {
            let s = std::str::from_utf8(&lit.0).expect("utf-8 literal");
            let mut it = s.chars();
            let c = it.next().expect("one char") as u32;
            assert!(it.next().is_none(), "{pattern} is not one char");
            vec![(c, c)]
        }
        other => panic!("{pattern} is not a class: {other:?}"),
    }
}

impl Classes {
    pub fn build() -> Classes {
        let mut flat = vec![0u8; MAX_CP];
        let defs: [(&str, u8); 6] = [
            (r"\p{L}", LET),
            (r"\p{N}", NUM),
            (r"\s", WS),
            (r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", UP),
            (r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]", LO),
            (r"[\r\n]", NL),
        ];
        for (pat, bit) in defs {
            for (lo, hi) in class_ranges(pat) {
                for v in &mut flat[lo as usize..=hi as usize] {
                    *v |= bit;
                }
            }
        }
        let mut ascii = [0u8; 128];
        ascii.copy_from_slice(&flat[..128]);
        let mut ascii_kind = [K_PUNCT; 128];
        for (c, kind) in ascii_kind.iter_mut().enumerate() {
            let bits = ascii[c];
            *kind = if bits & LET != 0 {
                K_LETTER
            } else if bits & NUM != 0 {
                K_DIGIT
            } else if bits & NL != 0 {
                K_NEWLINE
            } else if c == usize::from(b' ') {
                K_SPACE
            } else if bits & WS != 0 {
                K_WS
            } else {
                K_PUNCT
            };
        }

        let mut seen: HashMap<&[u8], u16> = HashMap::new();
        let mut index = Vec::with_capacity(MAX_CP / 256);
        let mut blocks = Vec::new();
        for block in flat.chunks(256) {
            let next = seen.len();
            let id = *seen.entry(block).or_insert_with(|| {
                blocks.extend_from_slice(block);
                u16::try_from(next).expect("fewer than 65536 distinct blocks")
            });
            index.push(id);
        }

        let mut ascii_fold = [0u8; 128];
        let mut other_fold: Vec<(u32, u8)> = Vec::new();
        let letters: [(char, u8); 8] = [
            ('s', F_S),
            ('t', F_T),
            ('m', F_M),
            ('d', F_D),
            ('r', F_R),
            ('v', F_V),
            ('l', F_L),
            ('e', F_E),
        ];
        for (letter, bit) in letters {
            for (lo, hi) in class_ranges(&format!("(?i:{letter})")) {
                for cp in lo..=hi {
                    if cp < 128 {
                        ascii_fold[cp as usize] |= bit;
                    } else {
                        other_fold.push((cp, bit));
                    }
                }
            }
        }
        Classes {
            ascii,
            ascii_kind,
            index,
            blocks,
            ascii_fold,
            other_fold,
        }
    }

    /// Class bits of any code point.
    #[inline(always)]
    pub fn of(&self, cp: u32) -> u8 {
        let block = self.index[(cp >> 8) as usize] as usize;
        self.blocks[(block << 8) | (cp as usize & 0xff)]
    }

    /// Contraction-letter bits (`F_*`) of a code point.
    #[inline]
    pub fn fold(&self, cp: u32) -> u8 {
        if cp < 128 {
            self.ascii_fold[cp as usize]
        } else {
            self.other_fold
                .iter()
                .filter(|&&(c, _)| c == cp)
                .fold(0, |acc, &(_, bit)| acc | bit)
        }
    }
}
