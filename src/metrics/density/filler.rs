//! Stock filler phrases (the embedded `data/filler-phrases.txt`), indexed
//! for matching against a response's word sequence.

use std::sync::OnceLock;

use super::table::{WordTable, hash_seed};
use super::words::{short_key, words};

/// The stock filler phrase list (format and criteria in its header).
pub const FILLER_PHRASES_TXT: &str = include_str!("../../../data/filler-phrases.txt");

/// One stock filler phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillerPhrase {
    /// Lowercase words, as [`words`] produces them.
    pub words: Vec<String>,
    /// Matches only at the start of a sentence (`^` in the file).
    pub sentence_start: bool,
}

/// The parsed phrase list, indexed for matching: each phrase is a sequence
/// of vocabulary indices, grouped by its first word, longest first.
#[derive(Debug)]
pub struct FillerPhrases {
    phrases: Vec<FillerPhrase>,
    /// The distinct phrase words.
    vocab: WordTable,
    /// Indexed by the vocabulary index of the first word.
    by_first: Vec<Vec<Pattern>>,
}

#[derive(Debug)]
struct Pattern {
    words: Box<[u32]>,
    sentence_start: bool,
}

/// Marks a word that starts a sentence in the per-response word sequence.
pub(super) const START: u32 = 1 << 31;
/// Vocabulary index of a word that is in no phrase.
pub(super) const NOT_IN_PHRASES: u32 = START - 1;

impl FillerPhrases {
    /// Parses a phrase file (format in `data/filler-phrases.txt`). Lenient:
    /// comments and blank lines are skipped, each phrase is normalized with
    /// [`words`], empty phrases and exact duplicates are dropped.
    pub fn parse(src: &str) -> FillerPhrases {
        let mut phrases: Vec<FillerPhrase> = Vec::new();
        for line in src.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (sentence_start, body) = match line.strip_prefix('^') {
                Some(body) => (true, body),
                None => (false, line),
            };
            let phrase = FillerPhrase {
                words: words(body),
                sentence_start,
            };
            if !phrase.words.is_empty() && !phrases.contains(&phrase) {
                phrases.push(phrase);
            }
        }
        let seed = hash_seed();
        let mut vocab = WordTable::default();
        let mut by_first: Vec<Vec<Pattern>> = Vec::new();
        for phrase in &phrases {
            let ids: Box<[u32]> = phrase
                .words
                .iter()
                .map(|w| {
                    vocab
                        .intern(seed, w.as_bytes(), short_key(w.as_bytes()))
                        .0
                        .min(NOT_IN_PHRASES)
                })
                .collect();
            let Some(&first) = ids.first() else { continue };
            let first = first as usize;
            if by_first.len() <= first {
                by_first.resize_with(first + 1, Vec::new);
            }
            by_first[first].push(Pattern {
                words: ids,
                sentence_start: phrase.sentence_start,
            });
        }
        for list in &mut by_first {
            // Stable: phrases of equal length keep file order.
            list.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        }
        FillerPhrases {
            phrases,
            vocab,
            by_first,
        }
    }

    /// The phrases, in file order.
    pub fn phrases(&self) -> &[FillerPhrase] {
        &self.phrases
    }

    pub(super) fn vocab_index(&self, seed: u64, word: &[u8], key: Option<u128>) -> u32 {
        self.vocab.get(seed, word, key).unwrap_or(NOT_IN_PHRASES)
    }

    /// Words covered by phrase matches in `seq` (vocabulary indices with the
    /// [`START`] bit): leftmost first, longest first, non-overlapping.
    pub(super) fn covered_words(&self, seq: &[u32]) -> u64 {
        let mut covered = 0u64;
        let mut i = 0;
        while i < seq.len() {
            let mut step = 1;
            let first = (seq[i] & !START) as usize;
            if let Some(candidates) = self.by_first.get(first) {
                let rest = &seq[i..];
                if let Some(p) = candidates.iter().find(|p| p.matches(rest)) {
                    step = p.words.len();
                    covered += step as u64;
                }
            }
            i += step;
        }
        covered
    }
}

impl Pattern {
    /// `rest[0]` already has the pattern's first word.
    fn matches(&self, rest: &[u32]) -> bool {
        if self.words.len() > rest.len() || (self.sentence_start && rest[0] & START == 0) {
            return false;
        }
        // A later word carrying START (a sentence break before it) differs
        // from every vocabulary index, so phrases never span a break.
        self.words[1..] == rest[1..self.words.len()]
    }
}

/// The embedded phrase list, parsed once.
pub fn filler_phrases() -> &'static FillerPhrases {
    static PHRASES: OnceLock<FillerPhrases> = OnceLock::new();
    PHRASES.get_or_init(|| FillerPhrases::parse(FILLER_PHRASES_TXT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::density::Density;
    use rust_decimal::Decimal;
    use std::collections::HashSet;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn filler(text: &str) -> u64 {
        Density::measure(text).filler_words
    }

    #[test]
    fn filler_phrases_match_case_punctuation_longest_first() {
        // great question (2) + i'd be happy to help (5, longer than "i'd be
        // happy to") + let me know if you have any other questions (9; the
        // comma is soft, and the contained "if you have any other questions"
        // is not counted again) = 16 of 19 words.
        let d = Density::measure(
            "Great question! I'd be happy to help. Rust is fast. \
             Let me know, if you have any other questions.",
        );
        assert_eq!((d.words, d.filler_words), (19, 16));
        assert_eq!(d.filler_share(), Some(dec("0.8421")));
        assert_eq!(filler("I'd be happy to explain"), 4);
        assert_eq!(filler("GREAT QUESTION"), 2);
        assert_eq!(filler("**Great** question"), 2);
        assert_eq!(filler("I’d be happy to help"), 5); // typographic apostrophe
        assert_eq!(filler("in today's fast-paced world"), 5); // hyphen is soft
        // Sentence punctuation and line breaks end a phrase.
        assert_eq!(filler("That is great. Question two"), 0);
        assert_eq!(filler("great\nquestion"), 0);
        // "let me" / "know ..." split by a line: only the tail matches.
        assert_eq!(filler("let me\nknow if you have any other questions"), 6);
        // Anchored phrases only at a sentence start.
        assert_eq!(filler("Certainly! Here it is."), 1);
        assert_eq!(filler("Done. Sure, here it is"), 1);
        assert_eq!(filler("It certainly works; make sure to test"), 0);
        // Non-overlapping, leftmost: the second phrase starts after the first.
        assert_eq!(filler("hope this helps hope this helps"), 6);
        assert_eq!(filler("feel free to ask"), 4);
        // Not inside a longer word, and no partial phrase.
        assert_eq!(filler("great questionnaire"), 0);
        assert_eq!(filler("let me know"), 0);
    }

    /// Fails when someone adds a line the matcher would read differently
    /// from how it is written.
    #[test]
    fn phrase_file_is_clean() {
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        let mut count = 0;
        for (n, raw) in FILLER_PHRASES_TXT.lines().enumerate() {
            let n = n + 1;
            if raw.trim().is_empty() || raw.starts_with('#') {
                continue;
            }
            count += 1;
            let body = raw.strip_prefix('^').unwrap_or(raw);
            let ws = words(body);
            assert!(!ws.is_empty(), "line {n}: empty phrase {raw:?}");
            assert_eq!(body, body.to_lowercase(), "line {n}: not lowercase");
            assert_eq!(
                body,
                ws.join(" "),
                "line {n}: write the phrase as its words, one space apart, no punctuation"
            );
            assert!(
                raw.starts_with('^') || ws.len() >= 2,
                "line {n}: a single word must be anchored with ^: {raw:?}"
            );
            assert!(seen.insert(ws), "line {n}: duplicate phrase {raw:?}");
        }
        assert!((60..=120).contains(&count), "{count} phrases");
        assert_eq!(filler_phrases().phrases().len(), count);
        let lengths = filler_phrases()
            .by_first
            .iter()
            .flatten()
            .map(|p| p.words.len());
        assert_eq!(
            lengths.sum::<usize>(),
            seen.iter().map(Vec::len).sum::<usize>()
        );
    }

    #[test]
    fn parse_is_lenient() {
        let p = FillerPhrases::parse("# c\n\n  Hope THIS, helps \n^sure\nhope this helps\n^\n!!\n");
        assert_eq!(
            p.phrases(),
            [
                FillerPhrase {
                    words: vec!["hope".into(), "this".into(), "helps".into()],
                    sentence_start: false
                },
                FillerPhrase {
                    words: vec!["sure".into()],
                    sentence_start: true
                },
            ]
        );
    }
}
