//! Words and sentence breaks as the `density` module docs define them,
//! scanned in one pass with an ASCII fast path.

/// The words of `text` (the `density` module docs), lowercased, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    scan_words(text, &mut WordBuf::default(), |w, _, _| {
        out.push(String::from_utf8_lossy(w).into_owned())
    });
    out
}

/// Han ideographs and kana: one character is one word.
fn is_cjk_unit(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3007            // 々 〇
        | 0x3040..=0x30FF          // hiragana, katakana
        | 0x31F0..=0x31FF          // katakana phonetic extensions
        | 0x3400..=0x4DBF          // CJK extension A
        | 0x4E00..=0x9FFF          // CJK unified ideographs
        | 0xF900..=0xFAFF          // CJK compatibility ideographs
        | 0xFF66..=0xFF9F          // halfwidth katakana
        | 0x20000..=0x3FFFF        // CJK extensions B and later
    ) && c.is_alphanumeric()
}

/// Combining diacritical marks: continue a word, never start one.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

const fn is_sentence_break(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | ';'
            | ':'
            | '\n'
            | '\r'
            | '\u{0085}'
            | '\u{2026}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{3002}'
            | '\u{FF01}'
            | '\u{FF1F}'
            | '\u{FF1B}'
            | '\u{FF1A}'
    )
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// The character starting at byte `i` of `text` (a char boundary).
fn char_at(text: &str, i: usize) -> Option<char> {
    match text.as_bytes().get(i) {
        Some(&b) if b.is_ascii() => Some(char::from(b)),
        Some(_) => text.get(i..).and_then(|s| s.chars().next()),
        None => None,
    }
}

/// ASCII byte classes for the scanner's fast path.
const ALNUM: u8 = 1;
const BREAK: u8 = 2;
const SOFT: u8 = 3;
/// Apostrophe and non-ASCII bytes: decoded and classified as `char`s.
const OTHER: u8 = 0;
const CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        table[i] = if b.is_ascii_alphanumeric() {
            ALNUM
        } else if is_sentence_break(b as char) {
            BREAK
        } else if b == b'\'' {
            OTHER
        } else {
            SOFT
        };
        i += 1;
    }
    table
};

/// The word being scanned: up to 16 bytes in a zero-padded array (so the
/// array is the word's [`short_key`] at no cost), longer ones in `long`.
#[derive(Debug, Default)]
pub(super) struct WordBuf {
    short: [u8; 16],
    len: usize,
    long: Vec<u8>,
}

impl WordBuf {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.short.get_mut(self.len) {
            *slot = b;
        } else {
            if self.len == self.short.len() {
                self.long.clear();
                self.long.extend_from_slice(&self.short);
            }
            self.long.push(b);
        }
        self.len += 1;
    }

    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.push(b);
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Emits the word, if any, and empties the buffer.
    fn flush(&mut self, start: &mut bool, emit: &mut impl FnMut(&[u8], Option<u128>, bool)) {
        if self.len == 0 {
            return;
        }
        match self.short.get(..self.len) {
            Some(bytes) => emit(bytes, Some(u128::from_le_bytes(self.short)), *start),
            None => emit(&self.long, None, *start),
        }
        self.short = [0; 16];
        self.len = 0;
        *start = false;
    }
}

/// Calls `emit(word, short_key, sentence_start)` for every word of `text`
/// in order: the word as lowercased UTF-8, its [`short_key`] when it has
/// one, and whether it is the first word or a sentence break came since the
/// previous word.
pub(super) fn scan_words(
    text: &str,
    word: &mut WordBuf,
    mut emit: impl FnMut(&[u8], Option<u128>, bool),
) {
    let bytes = text.as_bytes();
    *word = WordBuf {
        long: std::mem::take(&mut word.long),
        ..WordBuf::default()
    };
    let mut start = true;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let class = CLASS[usize::from(b)];
        if class == ALNUM {
            word.push(b.to_ascii_lowercase());
            i += 1;
            continue;
        }
        if class != OTHER {
            word.flush(&mut start, &mut emit);
            start |= class == BREAK;
            i += 1;
            continue;
        }
        let Some(c) = char_at(text, i) else { break };
        i += c.len_utf8();
        if is_apostrophe(c) {
            let joins = !word.is_empty()
                && char_at(text, i).is_some_and(|n| n.is_alphanumeric() && !is_cjk_unit(n));
            if joins {
                word.push(b'\'');
                continue;
            }
        } else if is_cjk_unit(c) {
            word.flush(&mut start, &mut emit);
            word.push_char(c);
            word.flush(&mut start, &mut emit);
            continue;
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                word.push_char(l);
            }
            continue;
        } else if is_combining_mark(c) && !word.is_empty() {
            word.push_char(c);
            continue;
        }
        // A separator.
        word.flush(&mut start, &mut emit);
        if is_sentence_break(c) {
            start = true;
        }
    }
    word.flush(&mut start, &mut emit);
}

/// Words of 1–16 bytes as one number: their bytes, little-endian,
/// zero-padded. Exact (injective), because no word contains a NUL byte.
/// The scanner gets it for free from [`WordBuf`]; this builds it from a
/// slice (phrase words, tests).
pub(super) fn short_key(w: &[u8]) -> Option<u128> {
    fn u32_at(s: &[u8], i: usize) -> u64 {
        u64::from(u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]))
    }
    fn u64_at(s: &[u8], i: usize) -> u64 {
        let mut v = [0u8; 8];
        v.copy_from_slice(&s[i..i + 8]);
        u64::from_le_bytes(v)
    }
    let n = w.len();
    match n {
        1..=3 => Some(
            w.iter()
                .enumerate()
                .fold(0u128, |k, (i, &b)| k | u128::from(b) << (8 * i)),
        ),
        // Bytes 0..4, then bytes 4..n: the last n-4 bytes of the last four.
        4..=8 => Some(u128::from(
            u32_at(w, 0) | (u32_at(w, n - 4) >> (8 * (8 - n))) << 32,
        )),
        9..=16 => {
            Some(u128::from(u64_at(w, 0)) | u128::from(u64_at(w, n - 8) >> (8 * (16 - n))) << 64)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::density::Density;
    use crate::metrics::density::table::WordTable;

    #[test]
    fn word_keys_are_exact() {
        // short_key is the zero-padded bytes: compare with a plain copy.
        let words = [
            "a",
            "aa",
            "ab",
            "ba",
            "abc",
            "abcd",
            "abcde",
            "abcdef",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghij",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "bbcdefghijklmnop",
            "abcdefghijklmnoq",
            "naïve",
            "語",
            "語語",
            "it's",
            "abcdefghijklmnopq",
        ];
        for w in words {
            let mut padded = [0u8; 16];
            let key = short_key(w.as_bytes());
            if w.len() <= 16 {
                padded[..w.len()].copy_from_slice(w.as_bytes());
                assert_eq!(key, Some(u128::from_le_bytes(padded)), "{w}");
            } else {
                assert_eq!(key, None, "{w}");
            }
        }
        // Long and short words share one index space.
        let mut t = WordTable::default();
        t.reset(0);
        let long = "internationalization";
        assert_eq!(t.intern(1, b"a", short_key(b"a")), (0, true));
        assert_eq!(t.intern(1, long.as_bytes(), None), (1, true));
        assert_eq!(t.intern(1, b"a", short_key(b"a")), (0, false));
        assert_eq!(t.intern(1, long.as_bytes(), None), (1, false));
        assert_eq!(t.get(1, b"a", short_key(b"a")), Some(0));
        assert_eq!(t.get(1, b"b", short_key(b"b")), None);
        assert_eq!(t.get(1, b"internationalisation", None), None);
        assert_eq!(t.get(1, long.as_bytes(), None), Some(1));
        let d = Density::measure(
            "internationalization localization internationalization localization \
             internationalization localisation",
        );
        // I L I L I L': 3-grams ILI, LIL, ILI (repeat), LIL'.
        assert_eq!((d.ngrams, d.repeated_ngrams), (4, 1));
        let d = Density::measure(&"antidisestablishmentarianism ".repeat(10));
        assert_eq!((d.ngrams, d.repeated_ngrams), (8, 7));
    }

    #[test]
    fn words_in_other_scripts() {
        assert_eq!(words("Naïve CAFÉ"), ["naïve", "café"]);
        // Decomposed ï (i + U+0308) stays one word, distinct from precomposed.
        assert_eq!(words("nai\u{308}ve"), ["nai\u{308}ve"]);
        // Japanese without spaces: one word per kana/kanji; 。 is punctuation.
        let d = Density::measure("これはペンです。");
        assert_eq!((d.words, d.chars, d.raw_bytes), (7, 8, 24));
        assert_eq!(words("Rust言語"), ["rust", "言", "語"]);
        // Korean is spaced: one word per run.
        assert_eq!(words("안녕하세요 세계"), ["안녕하세요", "세계"]);
        assert_eq!(words("ПРИВЕТ мир"), ["привет", "мир"]);
        // Emoji and symbols separate words; digits are word characters.
        assert_eq!(words("🎉done🎉 3.14 v2_x"), ["done", "3", "14", "v2", "x"]);
        // Apostrophes only between letters; ’ folds to '.
        assert_eq!(
            words("'quoted' it’s dogs' rock'n'roll ''"),
            ["quoted", "it's", "dogs", "rock'n'roll"]
        );
        // 3-grams work per character in Japanese.
        let d = Density::measure("ペンですペンです");
        assert_eq!((d.words, d.ngrams, d.repeated_ngrams), (8, 6, 2));
    }
}
