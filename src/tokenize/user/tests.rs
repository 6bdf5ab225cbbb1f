//! A built-in encoding written out as a tokenizer file, both kinds, counts
//! exactly as the built-in engine does: the file engine checked with no
//! network and no reference library. (Real files of open model families
//! are checked against Hugging Face's Python `tokenizers` in
//! tests/user_tokenizers.rs.)

use std::collections::HashMap;
use std::fmt::Write as _;

use super::UserTokenizer;
use crate::tokenize::{Encoding, Tokenizer};

/// cl100k's ordinary tokens by rank.
fn cl100k_tokens() -> Vec<Vec<u8>> {
    let bpe = tiktoken_rs::cl100k_base().unwrap();
    (0..100_256u32)
        .map(|r| bpe.decode_bytes(&[r]).unwrap())
        .collect()
}

fn corpus() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut s = String::new();
    for f in ["README.md", "src/tokenize/user/text.rs", "docs/formats.md"] {
        s.push_str(&std::fs::read_to_string(format!("{root}/{f}")).unwrap());
    }
    s.push_str(
        "日本語のテキスト、中文文本 한국어 Ünïcödé e\u{301} 🙂👩‍💻 12345678 3.14\n\n\n   \t x",
    );
    // The built-in engine counts a special token's text as text; a file's
    // added tokens count as one (tested on their own below).
    s.replace("<|endoftext|>", "endoftext")
}

/// Counts of every line, and of the whole text, by both tokenizers.
fn assert_same_counts(file: &dyn Tokenizer, builtin: &dyn Tokenizer) {
    let text = corpus();
    for line in text.lines().chain(std::iter::once(text.as_str())) {
        assert_eq!(
            file.count(line).unwrap(),
            builtin.count(line).unwrap(),
            "{line:?}"
        );
    }
}

#[test]
fn a_builtin_encoding_as_a_tiktoken_rank_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cl100k.tiktoken");
    let mut out = String::new();
    for (rank, t) in cl100k_tokens().iter().enumerate() {
        let _ = writeln!(out, "{} {rank}", base64(t));
    }
    std::fs::write(&path, out).unwrap();
    let t = UserTokenizer::load(&path, Some("cl100k")).unwrap();
    assert_same_counts(&t, Encoding::Cl100kBase.tokenizer());
    // A rank file needs its pattern.
    let e = UserTokenizer::load(&path, None).err().unwrap();
    assert!(
        format!("{e:#}").contains("needs its pre-tokenizer pattern"),
        "{e:#}"
    );
}

/// The conversion Hugging Face's converter makes (every split of a token
/// into two lower-ranked tokens is a merge, ordered by the token's rank).
#[test]
fn a_builtin_encoding_as_a_tokenizer_json() {
    let tokens = cl100k_tokens();
    let rank: HashMap<&[u8], usize> = tokens
        .iter()
        .enumerate()
        .map(|(r, t)| (t.as_slice(), r))
        .collect();
    let chars = byte_chars();
    let show = |b: &[u8]| b.iter().map(|&x| chars[x as usize]).collect::<String>();
    let mut vocab = serde_json::Map::new();
    let mut merges = Vec::new();
    for (r, t) in tokens.iter().enumerate() {
        vocab.insert(show(t), r.into());
        for i in 1..t.len() {
            let (a, b) = t.split_at(i);
            if let (Some(&ra), Some(&rb)) = (rank.get(a), rank.get(b))
                && ra < r
                && rb < r
            {
                merges.push(serde_json::Value::from(format!("{} {}", show(a), show(b))));
            }
        }
    }
    let doc = serde_json::json!({
        "version": "1.0",
        "added_tokens": [{"id": 100257, "content": "<|endoftext|>", "single_word": false,
                          "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
        "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false,
                  "byte_fallback": false, "ignore_merges": true, "vocab": vocab, "merges": merges},
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let t = UserTokenizer::load(&path, None).unwrap();
    assert_same_counts(&t, Encoding::Cl100kBase.tokenizer());
    // Added tokens count as one token, as the model's template writes them.
    assert_eq!(t.count("a<|endoftext|>b").unwrap(), 3);
}

#[test]
fn files_that_cannot_be_used_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        format!("{:#}", UserTokenizer::load(&p, None).err().unwrap())
    };
    assert!(err("a.json", "{not json").contains("not valid JSON"));
    assert!(
        err("b.json", r#"{"model": {"type": "WordPiece", "vocab": {}}}"#)
            .contains("model `WordPiece` is not supported")
    );
    assert!(
        err(
            "c.json",
            r#"{"pre_tokenizer": {"type": "BertPreTokenizer"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}"#
        )
        .contains("pre-tokenizer `BertPreTokenizer` is not supported")
    );
    assert!(
        err(
            "d.json",
            r#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#
        )
        .contains("names a token the vocabulary lacks")
    );
    let missing = UserTokenizer::load(&dir.path().join("nope.json"), None)
        .err()
        .unwrap();
    assert!(
        format!("{missing:#}").contains("cannot read"),
        "{missing:#}"
    );
}

fn byte_chars() -> Vec<char> {
    let mut n = 0u32;
    (0..=255u8)
        .map(|b| {
            if matches!(b, 33..=126 | 161..=172 | 174..=255) {
                char::from(b)
            } else {
                n += 1;
                char::from_u32(255 + n).unwrap()
            }
        })
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}
