//! Hand-written pre-tokenizers for the o200k and cl100k patterns.
//!
//! A general regex engine steps an automaton through every byte (and
//! tiktoken-rs's backtracking one recurses on long whitespace runs); these
//! two patterns are simple enough to follow by hand, and most pieces start
//! with ASCII, which a fast path scans eight bytes at a time. Each
//! `*_piece` function returns where the piece starting at `i` ends, exactly
//! as the leftmost-first (backtracking) regex would, including the places
//! where a greedy quantifier has to give characters back. Every character
//! is matched by some alternative, so pieces tile the text and the split is
//! a plain loop. Scans only move forward and a character is re-read at most
//! a small constant number of times, so splitting is linear in the input.
//!
//! The exact patterns (tiktoken / tiktoken-rs 0.12.1):
//!
//! o200k_base, alternatives A1..A7:
//! ```text
//! [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//! |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//! |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//! ```
//! cl100k_base (tiktoken's current, possessive form), alternatives B1..B8:
//! ```text
//! '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+
//! |\s++$|\s*[\r\n]|\s+(?!\S)|\s
//! ```
//! Note B5 (`\s++$`): a whitespace run that reaches the end of the text is
//! one piece even when it holds a newline. The older cl100k pattern (used by
//! `bpe-openai`) splits it after the last newline instead.

use super::classes::{
    Classes, F_D, F_E, F_L, F_M, F_R, F_S, F_T, F_V, K_LETTER, K_NEWLINE, K_PUNCT, K_SPACE, K_WS,
    LET, LO, NL, NUM, UP, WS,
};

/// `[^\r\n\p{L}\p{N}]`: the optional prefix of a word.
const NOT_PREFIX: u8 = LET | NUM | NL;
/// `[^\s\p{L}\p{N}]`: punctuation (and marks, symbols, unassigned...).
const NOT_PUNCT: u8 = WS | LET | NUM;

const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// High bit of each byte of `x` set where the byte is ASCII in `lo..=hi`
/// (`lo >= 1`, `hi < 0x7f`); no carries cross bytes because the high bits
/// are cleared before adding.
#[inline(always)]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let y = x & !HIGH;
    let ge_lo = y + ONES * (0x80 - lo as u64);
    let gt_hi = y + ONES * (0x7f - hi as u64);
    ge_lo & !gt_hi & !x & HIGH
}

pub struct Text<'a> {
    b: &'a [u8],
    cls: &'a Classes,
}

impl<'a> Text<'a> {
    pub fn new(text: &'a str, cls: &'a Classes) -> Text<'a> {
        Text {
            b: text.as_bytes(),
            cls,
        }
    }

    /// Code point and byte length of the character at `i` (< len).
    #[inline(always)]
    fn decode(&self, i: usize) -> (u32, usize) {
        let b = self.b;
        let b0 = b[i] as u32;
        if b0 < 0x80 {
            (b0, 1)
        } else if b0 < 0xE0 {
            (((b0 & 0x1F) << 6) | (b[i + 1] as u32 & 0x3F), 2)
        } else if b0 < 0xF0 {
            (
                ((b0 & 0x0F) << 12) | ((b[i + 1] as u32 & 0x3F) << 6) | (b[i + 2] as u32 & 0x3F),
                3,
            )
        } else {
            (
                ((b0 & 0x07) << 18)
                    | ((b[i + 1] as u32 & 0x3F) << 12)
                    | ((b[i + 2] as u32 & 0x3F) << 6)
                    | (b[i + 3] as u32 & 0x3F),
                4,
            )
        }
    }

    /// Class bits and byte length of the character at `i`; `(0, 0)` past the
    /// end, which no positive class test accepts.
    #[inline(always)]
    fn at(&self, i: usize) -> (u8, usize) {
        match self.b.get(i) {
            None => (0, 0),
            Some(&c) if c < 0x80 => (self.cls.ascii[c as usize], 1),
            Some(_) => {
                let (cp, n) = self.decode(i);
                (self.cls.of(cp), n)
            }
        }
    }

    /// End of the run of characters having any of `bits`, from `i`.
    #[inline(always)]
    fn run(&self, mut i: usize, bits: u8) -> usize {
        loop {
            let (c, n) = self.at(i);
            if c & bits == 0 {
                return i;
            }
            i += n;
        }
    }

    /// End of the run of `[^\s\p{L}\p{N}]` from `i`.
    #[inline(always)]
    /// `\p{N}{1,3}` from `i`, where a number of `n` bytes starts.
    fn numbers(&self, i: usize, n: usize) -> usize {
        let mut k = i + n;
        for _ in 0..2 {
            let (c2, n2) = self.at(k);
            if c2 & NUM == 0 {
                break;
            }
            k += n2;
        }
        k
    }

    /// ` ?[^\s\p{L}\p{N}]+` from `i` (class `c`), then its tail (see
    /// [`Self::punct_tail`]); `None` when no punctuation starts here. Both
    /// patterns share this branch and differ only in the tail.
    fn punct_then(&self, i: usize, c: u8, slash: bool) -> Option<usize> {
        let from = if c & WS == 0 {
            i
        } else if self.b[i] == b' ' && i + 1 < self.b.len() && self.at(i + 1).0 & NOT_PUNCT == 0 {
            i + 1
        } else {
            return None;
        };
        Some(self.punct_tail(self.run_punct(from), slash))
    }

    fn run_punct(&self, mut i: usize) -> usize {
        while i < self.b.len() {
            let (c, n) = self.at(i);
            if c & NOT_PUNCT != 0 {
                break;
            }
            i += n;
        }
        i
    }

    /// Eight bytes from `i`, zero past the end (zero is no letter).
    #[inline(always)]
    fn load8(&self, i: usize) -> u64 {
        match self.b.get(i..i + 8) {
            Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")),
            None => {
                let mut buf = [0u8; 8];
                let tail = self.b.get(i..).unwrap_or(&[]);
                buf[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(buf)
            }
        }
    }

    /// End of the run of ASCII bytes in `lo..=hi` from `i`, eight at a time.
    #[inline(always)]
    fn ascii_run(&self, mut i: usize, lo: u8, hi: u8) -> usize {
        loop {
            let m = !in_range(self.load8(i), lo, hi) & HIGH;
            if m != 0 {
                return i + (m.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
    }

    /// End of the run of ASCII letters from `i`.
    #[inline(always)]
    fn ascii_letter_run(&self, mut i: usize) -> usize {
        loop {
            let x = self.load8(i);
            let m = !(in_range(x, b'a', b'z') | in_range(x, b'A', b'Z')) & HIGH;
            if m != 0 {
                return i + (m.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
    }

    /// Length of `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i`, 0 if none.
    #[inline(never)]
    fn contraction(&self, i: usize) -> usize {
        if self.b.get(i) != Some(&b'\'') || i + 1 >= self.b.len() {
            return 0;
        }
        let (cp, n) = self.decode(i + 1);
        let f = self.cls.fold(cp);
        if f & (F_S | F_T | F_M | F_D) != 0 {
            return 1 + n;
        }
        let want = if f & (F_R | F_V) != 0 {
            F_E
        } else if f & F_L != 0 {
            F_L
        } else {
            return 0;
        };
        let j = i + 1 + n;
        if j >= self.b.len() {
            return 0;
        }
        let (cp2, n2) = self.decode(j);
        if self.cls.fold(cp2) & want != 0 {
            1 + n + n2
        } else {
            0
        }
    }

    /// o200k `[UP]*[LO]+` from `s`, with the backtracking of the greedy
    /// `[UP]*`: UP and LO share Lm, Lo and M, so when the UP run is not
    /// followed by an LO character the regex gives back characters until the
    /// last LO one inside the run, which then is the whole `[LO]+`.
    #[inline(always)]
    fn o200k_lower(&self, s: usize) -> Option<usize> {
        let mut k = s;
        let mut last_lo_end = None;
        loop {
            let (c, n) = self.at(k);
            if c & UP == 0 {
                if c & LO != 0 {
                    return Some(self.run(k, LO));
                }
                return last_lo_end;
            }
            if c & LO != 0 {
                last_lo_end = Some(k + n);
            }
            k += n;
        }
    }

    /// o200k `[UP]+[LO]*` from `s`, where the character at `s` is UP.
    #[inline(always)]
    fn o200k_upper(&self, s: usize) -> usize {
        self.run(self.run(s, UP), LO)
    }

    /// o200k / cl100k whitespace alternatives. Returns (run end, end of the
    /// last newline in the run, start of the last character in the run).
    #[inline(always)]
    fn ws_run(&self, i: usize) -> (usize, Option<usize>, usize) {
        let mut k = i;
        let mut last_nl_end = None;
        let mut last_start = i;
        loop {
            let (c, n) = self.at(k);
            if c & WS == 0 {
                return (k, last_nl_end, last_start);
            }
            if c & NL != 0 {
                last_nl_end = Some(k + 1);
            }
            last_start = k;
            k += n;
        }
    }

    /// Kind of an ASCII byte as the first character of a piece.
    #[inline(always)]
    fn kind(&self, c: u8) -> u8 {
        self.cls.ascii_kind[c as usize]
    }

    /// An all-ASCII word from `s`: `[A-Z]*[a-z]+` or `[A-Z]+` (o200k's
    /// UP and LO are `[A-Z]` and `[a-z]` within ASCII and do not overlap, so
    /// there is nothing to backtrack), then the optional contraction. None
    /// if a non-ASCII character follows: it could continue either run.
    #[inline(always)]
    fn o200k_ascii_word(&self, s: usize) -> Option<usize> {
        let u_end = self.ascii_run(s, b'A', b'Z');
        let l_end = self.ascii_run(u_end, b'a', b'z');
        if self.b.get(l_end).is_some_and(|&c| c >= 0x80) {
            return None;
        }
        if self.b.get(l_end) == Some(&b'\'') {
            return Some(l_end + self.contraction(l_end));
        }
        Some(l_end)
    }

    /// cl100k's `\p{L}+` over ASCII letters from `s`; None if a non-ASCII
    /// character follows.
    #[inline(always)]
    fn cl100k_ascii_word(&self, s: usize) -> Option<usize> {
        let e = self.ascii_letter_run(s);
        if self.b.get(e).is_some_and(|&c| c >= 0x80) {
            return None;
        }
        Some(e)
    }

    /// `[^\s\p{L}\p{N}]+` from `p` (a punctuation byte), then the tail
    /// bytes (`[\r\n/]*` or `[\r\n]*`).
    #[inline(always)]
    fn punct_with_tail(&self, p: usize, slash: bool) -> usize {
        let b = self.b;
        let mut k = p + 1;
        while k < b.len() && b[k] < 0x80 && self.kind(b[k]) == K_PUNCT {
            k += 1;
        }
        if k < b.len() && b[k] >= 0x80 {
            k = self.run_punct(k);
        }
        self.punct_tail(k, slash)
    }

    /// The run that may end a punctuation piece: `[\r\n]*`, and for o200k
    /// `[\r\n/]*` (`slash`). Both the ASCII and the general path end here.
    #[inline(always)]
    fn punct_tail(&self, mut k: usize, slash: bool) -> usize {
        let b = self.b;
        while k < b.len() && (b[k] == b'\n' || b[k] == b'\r' || (slash && b[k] == b'/')) {
            k += 1;
        }
        k
    }

    /// Scans the ASCII whitespace run from `i`, eight bytes at a time.
    /// Returns (run end, end of its last newline), or None if a non-ASCII
    /// character follows (it may be whitespace too).
    #[inline(always)]
    fn ascii_ws_run(&self, i: usize) -> Option<(usize, Option<usize>)> {
        let mut k = i;
        let mut last_nl_end = None;
        loop {
            let x = self.load8(k);
            let ws = in_range(x, 0x09, 0x0d) | in_range(x, b' ', b' ');
            let mut nl = in_range(x, b'\n', b'\n') | in_range(x, b'\r', b'\r');
            let stop = !ws & HIGH;
            let mut step = 8;
            if stop != 0 {
                step = (stop.trailing_zeros() / 8) as usize;
                nl &= (1u64 << (8 * step)) - 1;
            }
            if nl != 0 {
                last_nl_end = Some(k + (63 - nl.leading_zeros() as usize) / 8 + 1);
            }
            k += step;
            if stop != 0 {
                break;
            }
        }
        if self.b.get(k).is_some_and(|&c| c >= 0x80) {
            return None;
        }
        Some((k, last_nl_end))
    }

    /// The o200k piece at `i` when ASCII decides it; None defers to the
    /// general path.
    #[inline(always)]
    fn o200k_ascii(&self, i: usize) -> Option<usize> {
        let b = self.b;
        let c0 = b[i];
        if c0 >= 0x80 {
            return None;
        }
        let k0 = self.kind(c0);
        if k0 == K_LETTER {
            return self.o200k_ascii_word(i);
        }
        let Some(&c1) = b.get(i + 1) else {
            // A last character is a piece of its own.
            return Some(i + 1);
        };
        if c1 >= 0x80 {
            return None;
        }
        let k1 = self.kind(c1);
        match k0 {
            K_PUNCT | K_SPACE | K_WS if k1 == K_LETTER => self.o200k_ascii_word(i + 1),
            K_PUNCT => Some(self.punct_with_tail(i, true)),
            K_SPACE if k1 == K_PUNCT => Some(self.punct_with_tail(i + 1, true)),
            K_SPACE | K_WS | K_NEWLINE => {
                let (end, last_nl_end) = self.ascii_ws_run(i)?;
                Some(match last_nl_end {
                    Some(e) => e,
                    None if end == b.len() || end == i + 1 => end,
                    None => end - 1,
                })
            }
            _ => None,
        }
    }

    /// The cl100k piece at `i` when ASCII decides it; None defers to the
    /// general path.
    #[inline(always)]
    fn cl100k_ascii(&self, i: usize) -> Option<usize> {
        let b = self.b;
        let c0 = b[i];
        if c0 >= 0x80 {
            return None;
        }
        if c0 == b'\'' {
            let m = self.contraction(i);
            if m != 0 {
                return Some(i + m);
            }
        }
        let k0 = self.kind(c0);
        if k0 == K_LETTER {
            return self.cl100k_ascii_word(i);
        }
        let Some(&c1) = b.get(i + 1) else {
            return Some(i + 1);
        };
        if c1 >= 0x80 {
            return None;
        }
        let k1 = self.kind(c1);
        match k0 {
            K_PUNCT | K_SPACE | K_WS if k1 == K_LETTER => self.cl100k_ascii_word(i + 1),
            K_PUNCT => Some(self.punct_with_tail(i, false)),
            K_SPACE if k1 == K_PUNCT => Some(self.punct_with_tail(i + 1, false)),
            K_SPACE | K_WS | K_NEWLINE => {
                let (end, last_nl_end) = self.ascii_ws_run(i)?;
                Some(if end == b.len() {
                    end
                } else if let Some(e) = last_nl_end {
                    e
                } else if end == i + 1 {
                    end
                } else {
                    end - 1
                })
            }
            _ => None,
        }
    }

    /// End of the o200k piece starting at `i` (< len).
    #[inline(always)]
    pub fn o200k_piece(&self, i: usize) -> usize {
        match self.o200k_ascii(i) {
            Some(e) => e,
            None => self.o200k_general(i),
        }
    }

    /// End of the o200k piece starting at `i` (< len), any characters:
    /// the regex alternatives one by one.
    #[inline(never)]
    pub fn o200k_general(&self, i: usize) -> usize {
        let (c, n) = self.at(i);
        if c & NOT_PREFIX == 0 {
            // A1 then A2, each first with the optional prefix taken.
            let s = i + n;
            if let Some(e) = self.o200k_lower(s) {
                return e + self.contraction(e);
            }
            if c & UP != 0 {
                // A mark: it is a prefix *and* an UP/LO character, so A1
                // without the prefix always matches.
                let e = self.o200k_lower(i).unwrap_or(s);
                return e + self.contraction(e);
            }
            if self.at(s).0 & UP != 0 {
                let e = self.o200k_upper(s);
                return e + self.contraction(e);
            }
        } else if c & LET != 0 {
            let e = match self.o200k_lower(i) {
                Some(e) => e,
                // Every letter is UP or LO.
                None => self.o200k_upper(i),
            };
            return e + self.contraction(e);
        }
        if c & NUM != 0 {
            // A3: \p{N}{1,3}
            return self.numbers(i, n);
        }
        // A4: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        if let Some(k) = self.punct_then(i, c, true) {
            return k;
        }
        // c is whitespace.
        let (end, last_nl_end, last_start) = self.ws_run(i);
        if let Some(e) = last_nl_end {
            // A5: \s*[\r\n]+ -- up to and including the last newline.
            e
        } else if end == self.b.len() || last_start == i {
            // A6 at the end of the text, or A7 for a single character.
            end
        } else {
            // A6: \s+(?!\S) gives back the last whitespace character.
            last_start
        }
    }

    /// End of the cl100k piece starting at `i` (< len).
    #[inline(always)]
    pub fn cl100k_piece(&self, i: usize) -> usize {
        match self.cl100k_ascii(i) {
            Some(e) => e,
            None => self.cl100k_general(i),
        }
    }

    /// End of the cl100k piece starting at `i` (< len), any characters.
    #[inline(never)]
    pub fn cl100k_general(&self, i: usize) -> usize {
        let (c, n) = self.at(i);
        if self.b[i] == b'\'' {
            // B1
            let m = self.contraction(i);
            if m != 0 {
                return i + m;
            }
        }
        if c & NOT_PREFIX == 0 {
            // B2 with the prefix (possessive: never given back, and without
            // it a non-letter could not start \p{L}+ anyway).
            if self.at(i + n).0 & LET != 0 {
                return self.run(i + n, LET);
            }
        } else if c & LET != 0 {
            return self.run(i, LET);
        }
        if c & NUM != 0 {
            // B3
            return self.numbers(i, n);
        }
        // B4: ` ?[^\s\p{L}\p{N}]++[\r\n]*+`
        if let Some(k) = self.punct_then(i, c, false) {
            return k;
        }
        let (end, last_nl_end, last_start) = self.ws_run(i);
        if end == self.b.len() {
            // B5: \s++$
            end
        } else if let Some(e) = last_nl_end {
            // B6: \s*[\r\n]
            e
        } else if last_start == i {
            // B8: \s
            end
        } else {
            // B7: \s+(?!\S)
            last_start
        }
    }
}
