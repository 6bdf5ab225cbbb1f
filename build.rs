//! Indexes the imported price tables (pricing/generated/) at build time, so
//! that a run starts without reading their 4,500 models: the binary carries
//! each name's key (the same keys the book looks up, from
//! src/price/names.rs) sorted, with the byte range of its model's TOML,
//! which is parsed only when a record names it (src/price/imported.rs).
//!
//! It also writes the o200k and cl100k vocabularies in a compact form (each
//! token's bytes, in rank order, behind a one-byte length) that the counting
//! engine indexes on first use (src/tokenize/fast/). The tokens come from
//! tiktoken-rs's copies of OpenAI's published `.tiktoken` files; 2.4 MB,
//! zstd-compressed to 1.3 MB, instead of the 47 MB of prebuilt automata a
//! ready-made engine embeds.

use std::collections::BTreeMap;
use std::fmt::Write;

#[path = "src/price/names.rs"]
#[allow(dead_code)]
mod names;

/// Lowest precedence first; the same order as `IMPORTED_TABLES` in
/// src/price/mod.rs.
const TABLES: [&str; 3] = ["litellm-retired", "litellm", "genai-prices"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    write_vocabularies();
    println!("cargo:rerun-if-changed=src/price/names.rs");
    let mut blocks = Vec::new();
    let mut keys: BTreeMap<String, u32> = BTreeMap::new();
    let mut n: u32 = 0;
    for (t, table) in TABLES.iter().enumerate() {
        let path = format!("pricing/generated/{table}.toml");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).expect("generated price table");
        // Embedded compressed (src/price/mod.rs, EmbeddedTable).
        let compressed = zstd::stream::encode_all(text.as_bytes(), 19).expect("zstd");
        let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap())
            .join(format!("{table}.toml.zst"));
        std::fs::write(out, compressed).unwrap();
        for b in names::blocks(&text) {
            blocks.push((t, b.start, b.end, b.id.clone()));
            // A later table's name wins, as a later table does at run time.
            for name in &b.names {
                let key = names::name_key(name);
                if !key.is_empty() {
                    keys.insert(key, n);
                }
            }
            n += 1;
        }
    }
    // Strings go into one blob and the arrays hold offsets into it: an
    // array of `&str` would need a run-time relocation per string (27,000
    // of them, 0.6 MB of binary and work at every start).
    let mut text = String::new();
    let mut span = |s: &str| {
        let start = text.len();
        text.push_str(s);
        format!("({start}, {})", text.len())
    };
    let mut out = String::from(
        "/// Imported models: (table, start, end, id in TEXT), in table order.\n\
         pub static BLOCKS: &[(u8, u32, u32, (u32, u32))] = &[\n",
    );
    for (t, start, end, id) in &blocks {
        let _ = writeln!(out, "    ({t}, {start}, {end}, {}),", span(id));
    }
    out.push_str(
        "];\n/// Name key (in TEXT) → model, sorted by key.\npub static KEYS: &[((u32, u32), u32)] = &[\n",
    );
    for (k, b) in &keys {
        let _ = writeln!(out, "    ({}, {b}),", span(k));
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// The ids and keys.\npub static TEXT: &str = {text:?};"
    );
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("imported_index.rs");
    std::fs::write(dest, out).unwrap();
}

/// `OUT_DIR/<encoding>.vocab.zst`: zstd of, for each rank from 0, the token's length (one
/// byte) and bytes. Ordinary tokens only: the specials are never produced
/// by counting (text that looks like one is counted as text).
fn write_vocabularies() {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let encodings = [
        ("o200k_base", tiktoken_rs::o200k_base().unwrap(), 199_998u32),
        (
            "cl100k_base",
            tiktoken_rs::cl100k_base().unwrap(),
            100_256u32,
        ),
    ];
    for (name, bpe, n) in encodings {
        let mut bytes = Vec::new();
        // Ordinary ranks run from 0 without a gap; the first rank that does
        // not decode ends them (the specials sit past a gap).
        let mut rank = 0;
        while let Ok(token) = bpe.decode_bytes(&[rank]) {
            let len = u8::try_from(token.len()).expect("tokens are shorter than 256 bytes");
            bytes.push(len);
            bytes.extend_from_slice(&token);
            rank += 1;
        }
        assert_eq!(rank, n, "{name}: ordinary token count");
        // What the runtime index must hold (src/tokenize/fast/mod.rs checks
        // it once per run): per kind of token, how many and the sum of
        // their ranks + 1.
        let mut sums = [(0u64, 0u64); 3];
        let (mut at, mut r) = (0usize, 0u64);
        while at < bytes.len() {
            let len = usize::from(bytes[at]);
            for (kind, yes) in [len <= 15, len == 2, len > 15].into_iter().enumerate() {
                if yes {
                    sums[kind].0 += 1;
                    sums[kind].1 += r + 1;
                }
            }
            at += 1 + len;
            r += 1;
        }
        std::fs::write(
            out.join(format!("{name}.vocab.sums")),
            format!("[{:?}, {:?}, {:?}]", sums[0], sums[1], sums[2]),
        )
        .unwrap();
        // zstd halves them (2.3 MB to 1.3 MB of a binary whose size is a
        // feature); decompressing takes a few milliseconds, once per run
        // that counts (src/tokenize/fast/mod.rs).
        // One frame that records its size, so that it decompresses straight
        // into a buffer of that size, without a streaming window.
        let compressed = zstd::bulk::compress(&bytes, 19).expect("zstd");
        std::fs::write(out.join(format!("{name}.vocab.zst")), compressed).unwrap();
    }
}
