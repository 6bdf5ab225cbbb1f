//! Indexes the imported price tables (pricing/generated/) at build time, so
//! that a run starts without reading their 4,500 models: the binary carries
//! each name's key (the same keys the book looks up, from
//! src/price/names.rs) sorted, with the byte range of its model's TOML,
//! which is parsed only when a record names it (src/price/imported.rs).

use std::collections::BTreeMap;
use std::fmt::Write;

#[path = "src/price/names.rs"]
#[allow(dead_code)]
mod names;

/// Lowest precedence first; the same order as `IMPORTED_TABLES` in
/// src/price/mod.rs.
const TABLES: [&str; 3] = ["litellm-retired", "litellm", "genai-prices"];

fn main() {
    println!("cargo:rerun-if-changed=src/price/names.rs");
    let mut blocks = String::new();
    let mut keys: BTreeMap<String, u32> = BTreeMap::new();
    let mut n: u32 = 0;
    for (t, table) in TABLES.iter().enumerate() {
        let path = format!("pricing/generated/{table}.toml");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).expect("generated price table");
        for b in names::blocks(&text) {
            let _ = writeln!(blocks, "    ({t}, {}, {}, {:?}),", b.start, b.end, b.id);
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
    let mut out = String::from(
        "/// Imported models: (table, start, end, id), in table order.\n\
         pub static BLOCKS: &[(usize, usize, usize, &str)] = &[\n",
    );
    out.push_str(&blocks);
    out.push_str(
        "];\n/// Name key → model, sorted by key.\npub static KEYS: &[(&str, u32)] = &[\n",
    );
    for (k, b) in &keys {
        let _ = writeln!(out, "    ({k:?}, {b}),");
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("imported_index.rs");
    std::fs::write(dest, out).unwrap();
}
