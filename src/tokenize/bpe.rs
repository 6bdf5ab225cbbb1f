//! o200k/cl100k through `bpe-openai`: exact against tiktoken (see the
//! differential test below) and linear on pathological input, where
//! tiktoken-rs's regex overflows its stack on ~1 MB whitespace runs.

use super::{TokenizeError, Tokenizer, guarded};

pub struct BpeOpenAi {
    name: &'static str,
    inner: &'static bpe_openai::Tokenizer,
}

impl BpeOpenAi {
    pub fn o200k(name: &'static str) -> BpeOpenAi {
        BpeOpenAi {
            name,
            inner: bpe_openai::o200k_base(),
        }
    }

    pub fn cl100k() -> BpeOpenAi {
        BpeOpenAi {
            name: "cl100k_base",
            inner: bpe_openai::cl100k_base(),
        }
    }
}

impl Tokenizer for BpeOpenAi {
    fn name(&self) -> &'static str {
        self.name
    }

    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        let inner = self.inner;
        guarded(|| inner.count(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Deterministic xorshift so the corpus is the same on every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const PIECES: &[&str] = &[
        "The quick brown fox jumps over the lazy dog. ",
        "fn main() {\n    println!(\"{}\", x);\n}\n",
        "{\"id\": 42, \"items\": [1, 2, 3], \"ok\": true}",
        "  \t  ",
        "\r\n\r\n",
        "\n\n\n",
        "don't won't I'll they've we're it's ’s ",
        "1234567890 3.14159 0b0111 0xdeadbeef ",
        "日本語のテキストです。中文文本，没有空格。",
        "Привет, мир! Γειά σου κόσμε. مرحبا بالعالم ",
        "🦀🚀👩‍👩‍👧‍👦 emoji ",
        "e\u{301}\u{302} combining ",
        "\u{a0}\u{3000}nbsp ideographic space ",
        "<|endoftext|>",
        "<|im_start|>user<|im_end|>",
        "    def f(self):\n        return self.x  # comment\n",
        "CamelCaseIdentifierWithoutSpaces",
        "!!!???...---***",
        "https://example.com/path?q=1&r=2#frag ",
        "SELECT * FROM t WHERE a = 'b';",
    ];

    fn corpus(seed: u64, n: usize) -> Vec<String> {
        let mut rng = Rng(seed);
        (0..n)
            .map(|_| {
                let parts = 1 + rng.below(12);
                let mut s = String::new();
                for _ in 0..parts {
                    match rng.below(10) {
                        // random code points from all planes, assigned or not
                        0 => {
                            for _ in 0..1 + rng.below(6) {
                                let cp = rng.below(0x110000) as u32;
                                if let Some(c) = char::from_u32(cp) {
                                    s.push(c);
                                }
                            }
                        }
                        // runs of one character, without spaces
                        1 => {
                            let c = ['a', ' ', '\n', '9', '-', 'é', '中'][rng.below(7)];
                            for _ in 0..rng.below(300) {
                                s.push(c);
                            }
                        }
                        _ => s.push_str(PIECES[rng.below(PIECES.len())]),
                    }
                }
                s
            })
            .collect()
    }

    fn oracle_count(bpe: &tiktoken_rs::CoreBPE, s: &str) -> usize {
        bpe.encode(s, &HashSet::new()).expect("oracle").0.len()
    }

    /// The engine must agree with tiktoken (via tiktoken-rs) on every string.
    #[test]
    fn differential_against_tiktoken() {
        let texts = corpus(0x5eed_1234_abcd_0001, 4000);
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        assert!(bytes > 500_000, "corpus too small: {bytes}");
        let pairs: [(&dyn Tokenizer, &tiktoken_rs::CoreBPE); 2] = [
            (
                super::super::Encoding::O200kBase.tokenizer(),
                tiktoken_rs::o200k_base_singleton(),
            ),
            (
                super::super::Encoding::Cl100kBase.tokenizer(),
                tiktoken_rs::cl100k_base_singleton(),
            ),
        ];
        for (ours, oracle) in pairs {
            for t in &texts {
                assert_eq!(
                    ours.count(t).unwrap(),
                    oracle_count(oracle, t),
                    "{} on {t:?}",
                    ours.name()
                );
            }
        }
    }

    /// tiktoken-rs overflows its regex stack here; we must count it.
    #[test]
    fn megabyte_of_whitespace_does_not_crash() {
        let spaces = " ".repeat(1_000_000);
        let n = super::super::Encoding::O200kBase
            .tokenizer()
            .count(&spaces)
            .unwrap();
        assert!(n > 0);
        let tabs = "\t".repeat(1_000_000) + "x";
        let n = super::super::Encoding::Cl100kBase
            .tokenizer()
            .count(&tabs)
            .unwrap();
        assert!(n > 0);
    }
}
