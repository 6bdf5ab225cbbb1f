//! Reading tokenizer files: Hugging Face `tokenizer.json` (BPE models) and
//! tiktoken rank files (`<base64 token> <rank>` per line).

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::merge::Merges;
use super::text::{
    self, AddedToken, AddedTokens, Normalizer, PreTokenizer, Prepend, check_behavior, unsupported,
};
use super::{Symbols, UserTokenizer};

/// GPT-2's byte ↔ character map of byte-level BPE vocabularies: printable
/// bytes stand for themselves, the others for U+0100 upwards.
fn byte_of_char() -> HashMap<char, u8> {
    let mut map = HashMap::new();
    let mut n = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, 33..=126 | 161..=172 | 174..=255);
        let c = if printable {
            char::from(b)
        } else {
            n += 1;
            char::from_u32(255 + n).expect("in range")
        };
        map.insert(c, b);
    }
    map
}

fn str_field<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn normalizer(v: &Value) -> Result<Option<Normalizer>> {
    if v.is_null() {
        return Ok(None);
    }
    let kind = str_field(v, "type").unwrap_or_default();
    Ok(Some(match kind {
        "Sequence" => Normalizer::Sequence(
            v["normalizers"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|n| normalizer(n).map(|n| n.unwrap_or(Normalizer::Sequence(Vec::new()))))
                .collect::<Result<_>>()?,
        ),
        "NFC" => Normalizer::Nfc,
        "NFKC" => Normalizer::Nfkc,
        "Lowercase" => Normalizer::Lowercase,
        "Prepend" => Normalizer::Prepend(str_field(v, "prepend").unwrap_or_default().to_string()),
        "Replace" => match v["pattern"].get("String").and_then(Value::as_str) {
            Some(from) => Normalizer::Replace {
                from: from.to_string(),
                to: str_field(v, "content").unwrap_or_default().to_string(),
            },
            None => return Err(unsupported("normalizer", "Replace with a regex")),
        },
        other => return Err(unsupported("normalizer", other)),
    }))
}

fn pre_tokenizers(v: &Value, out: &mut Vec<PreTokenizer>) -> Result<()> {
    if v.is_null() {
        return Ok(());
    }
    let kind = str_field(v, "type").unwrap_or_default();
    match kind {
        "Sequence" => {
            for p in v["pretokenizers"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                pre_tokenizers(p, out)?;
            }
        }
        "Split" => {
            let pattern = match (
                v["pattern"].get("Regex").and_then(Value::as_str),
                v["pattern"].get("String").and_then(Value::as_str),
            ) {
                (Some(re), _) => text::compile(re)?,
                (None, Some(s)) => text::compile(&fancy_regex::escape(s))?,
                _ => bail!("a Split pre-tokenizer without a pattern"),
            };
            out.push(PreTokenizer::Split {
                pattern,
                behavior: check_behavior(str_field(v, "behavior").unwrap_or("Isolated"))?,
                invert: v["invert"].as_bool().unwrap_or(false),
            });
        }
        "ByteLevel" => out.push(PreTokenizer::byte_level(
            v["add_prefix_space"].as_bool().unwrap_or(false),
            v["use_regex"].as_bool().unwrap_or(true),
        )?),
        "Metaspace" => out.push(PreTokenizer::Metaspace {
            replacement: str_field(v, "replacement")
                .and_then(|r| r.chars().next())
                .unwrap_or('\u{2581}'),
            prepend: match str_field(v, "prepend_scheme") {
                Some("first") => Prepend::First,
                Some("never") => Prepend::Never,
                Some("always") => Prepend::Always,
                _ if v["add_prefix_space"].as_bool() == Some(false) => Prepend::Never,
                _ => Prepend::Always,
            },
            split: v["split"].as_bool().unwrap_or(true),
        }),
        other => return Err(unsupported("pre-tokenizer", other)),
    }
    Ok(())
}

/// A `tokenizer.json` with a BPE model.
pub fn from_json(bytes: &[u8]) -> Result<UserTokenizer> {
    let v: Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    let model = v.get("model").context("no `model`: not a tokenizer.json")?;
    let kind = str_field(model, "type").unwrap_or("BPE");
    if kind != "BPE" {
        bail!("model `{kind}` is not supported (only BPE models are)");
    }
    for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
        if str_field(model, key).is_some_and(|s| !s.is_empty()) {
            bail!("BPE `{key}` is not supported");
        }
    }
    if model["dropout"].as_f64().is_some_and(|d| d > 0.0) {
        bail!("BPE dropout is random: counts would not be reproducible");
    }
    let vocab_json = model["vocab"]
        .as_object()
        .context("`model.vocab` is not an object")?;
    let mut pre = Vec::new();
    pre_tokenizers(&v["pre_tokenizer"], &mut pre)?;
    let byte_level = pre
        .iter()
        .any(|p| matches!(p, PreTokenizer::ByteLevel { .. }));
    let id_of = |v: &Value| {
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .context("a vocabulary id that is not a number")
    };
    // Token strings → ids, and each id's key for merging.
    let mut vocab: HashMap<String, u32> = HashMap::with_capacity(vocab_json.len());
    for (k, id) in vocab_json {
        vocab.insert(k.clone(), id_of(id)?);
    }
    let merges_json = model["merges"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut pairs: FxHashMap<(u32, u32), (u32, u32)> = FxHashMap::default();
    for (rank, m) in merges_json.iter().enumerate() {
        let (a, b) = match m {
            Value::String(s) => s
                .split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .with_context(|| format!("merge {rank} `{s}` is not `LEFT RIGHT`"))?,
            Value::Array(parts) if parts.len() == 2 => (
                parts[0].as_str().unwrap_or_default().to_string(),
                parts[1].as_str().unwrap_or_default().to_string(),
            ),
            _ => bail!("merge {rank} is neither `LEFT RIGHT` nor a pair"),
        };
        let joined = format!("{a}{b}");
        let (Some(&ia), Some(&ib), Some(&ij)) = (vocab.get(&a), vocab.get(&b), vocab.get(&joined))
        else {
            // The `tokenizers` crate refuses such a file too.
            bail!("merge {rank} `{a} {b}` names a token the vocabulary lacks");
        };
        pairs.entry((ia, ib)).or_insert((rank as u32, ij));
    }
    let ignore_merges = model["ignore_merges"].as_bool().unwrap_or(false);
    let (symbols, whole_words) = if byte_level {
        let map = byte_of_char();
        let to_bytes =
            |s: &str| -> Option<Vec<u8>> { s.chars().map(|c| map.get(&c).copied()).collect() };
        let mut table = [None; 256];
        let mut whole = FxHashMap::default();
        for (k, &id) in &vocab {
            let Some(b) = to_bytes(k) else { continue };
            if b.len() == 1 {
                table[b[0] as usize] = Some(id);
            }
            if ignore_merges {
                whole.insert(b, id);
            }
        }
        (
            Symbols::Bytes(Box::new(table)),
            ignore_merges.then_some(whole),
        )
    } else {
        let byte_tokens = if model["byte_fallback"].as_bool().unwrap_or(false) {
            let mut t = [0u32; 256];
            for (b, slot) in t.iter_mut().enumerate() {
                *slot = *vocab
                    .get(&format!("<0x{b:02X}>"))
                    .with_context(|| format!("byte_fallback without the token <0x{b:02X}>"))?;
            }
            Some(Box::new(t))
        } else {
            None
        };
        let unk = str_field(model, "unk_token").and_then(|u| vocab.get(u).copied());
        let whole = ignore_merges.then(|| {
            vocab
                .iter()
                .map(|(k, &id)| (k.as_bytes().to_vec(), id))
                .collect()
        });
        (
            Symbols::Chars {
                vocab: vocab.clone(),
                byte_tokens,
                unk,
                fuse_unk: model["fuse_unk"].as_bool().unwrap_or(false),
            },
            whole,
        )
    };
    let added = v["added_tokens"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| {
            Some(AddedToken {
                content: str_field(t, "content")?.to_string(),
                lstrip: t["lstrip"].as_bool().unwrap_or(false),
                rstrip: t["rstrip"].as_bool().unwrap_or(false),
                single_word: t["single_word"].as_bool().unwrap_or(false),
            })
        })
        .collect();
    Ok(UserTokenizer {
        name: "",
        path: Default::default(),
        added: AddedTokens::new(added),
        normalizer: normalizer(&v["normalizer"])?,
        pre,
        symbols,
        merges: Merges::Pairs(pairs),
        whole_words,
        template: None,
    })
}

/// A tiktoken rank file: `<base64 token> <rank>` per line, pre-tokenized
/// with `pattern` (a preset or a regex).
pub fn from_tiktoken(bytes: &[u8], pattern: &str) -> Result<UserTokenizer> {
    let text = std::str::from_utf8(bytes).context("not a tiktoken rank file (not text)")?;
    let mut ranks: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
    let mut by_rank: Vec<Vec<u8>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (token, rank) = line
            .split_once(' ')
            .with_context(|| format!("line {}: not `<base64 token> <rank>`", i + 1))?;
        let token = base64_decode(token)
            .with_context(|| format!("line {}: `{token}` is not base64", i + 1))?;
        let rank: u32 = rank
            .trim()
            .parse()
            .with_context(|| format!("line {}: rank `{rank}` is not a number", i + 1))?;
        let slot = rank as usize;
        if slot >= by_rank.len() {
            if slot > 10_000_000 {
                bail!("line {}: rank {rank} is implausibly large", i + 1);
            }
            by_rank.resize(slot + 1, Vec::new());
        }
        by_rank[slot] = token.clone();
        ranks.insert(token, rank);
    }
    let mut table = [None; 256];
    for b in 0..=255u8 {
        table[b as usize] = ranks.get(&vec![b]).copied();
    }
    if table.iter().any(Option::is_none) {
        bail!("not a byte-level rank file: a single byte has no rank");
    }
    let whole: FxHashMap<Vec<u8>, u32> = ranks.iter().map(|(k, &r)| (k.clone(), r)).collect();
    Ok(UserTokenizer {
        name: "",
        path: Default::default(),
        added: AddedTokens::default(),
        normalizer: None,
        pre: vec![PreTokenizer::Split {
            pattern: text::pattern_regex(pattern)?,
            behavior: text::Behavior::Isolated,
            invert: false,
        }],
        symbols: Symbols::Bytes(Box::new(table)),
        merges: Merges::Ranks {
            ranks,
            bytes: by_rank,
        },
        whole_words: Some(whole),
        template: None,
    })
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim().trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in s {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_decode("IQ==").unwrap(), b"!");
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert!(base64_decode("a$b").is_none());
    }

    #[test]
    fn byte_map_is_a_bijection() {
        let m = byte_of_char();
        assert_eq!(m.len(), 256);
        assert_eq!(m[&'!'], b'!');
        assert_eq!(m[&'\u{120}'], b' ');
    }
}
