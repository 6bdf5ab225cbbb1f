//! Tokenizer files of open model families, counted by tokenmaxx and by
//! Hugging Face's Python `tokenizers` (the reference): identical counts on
//! every text of tests/fixtures/tokenizers/corpus/ and on the repo's prose
//! and code.
//!
//! The files and the library are fetched by `scripts/fetch-tokenizers.sh`
//! (CI runs it; locally: `eval "$(scripts/fetch-tokenizers.sh)"` before
//! `cargo test`). Without them this test says it was skipped, unless
//! `TOKENMAXX_REQUIRE_HF=1` (CI), which makes their absence a failure.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use common::{fixture, tokenmaxx};

const FAMILIES: &[&str] = &["llama3", "qwen3", "deepseek_v3", "gemma3"];

fn reference_setup() -> Option<(PathBuf, PathBuf)> {
    let dir = std::env::var_os("TOKENMAXX_HF_TOKENIZERS").map(PathBuf::from);
    let python = std::env::var_os("TOKENMAXX_HF_PYTHON").map(PathBuf::from);
    match (dir, python) {
        (Some(d), Some(p)) => Some((d, p)),
        _ if std::env::var("TOKENMAXX_REQUIRE_HF").as_deref() == Ok("1") => {
            panic!(
                "TOKENMAXX_REQUIRE_HF=1 but the reference is not set up: run scripts/fetch-tokenizers.sh"
            )
        }
        _ => {
            eprintln!(
                "user_tokenizers: skipped (no TOKENMAXX_HF_TOKENIZERS; see scripts/fetch-tokenizers.sh)"
            );
            None
        }
    }
}

fn corpus() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(fixture("tokenizers/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let root = env!("CARGO_MANIFEST_DIR");
    files.push(format!("{root}/README.md"));
    files.push(format!("{root}/src/ingest/sqlite.rs"));
    files
}

#[test]
fn counts_equal_hugging_face_tokenizers_on_four_families() {
    let Some((dir, python)) = reference_setup() else {
        return;
    };
    let files = corpus();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/hf-count.py");
    for family in FAMILIES {
        let tokenizer = dir.join(family).join("tokenizer.json");
        let out = Command::new(&python)
            .arg(script)
            .arg(&tokenizer)
            .args(&files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want: BTreeMap<String, u64> = serde_json::from_slice(&out.stdout).unwrap();
        let out = tokenmaxx()
            .args(["count", "--format", "json", "--tokenizer"])
            .arg(&tokenizer)
            .args(&files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: BTreeMap<String, u64> = doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["tokens"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{family}");
        assert_eq!(doc["exact"], true);
    }
}
