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

/// tests/fixtures/tokenizers/toy/tokenizer.json: ours, small enough to
/// count by hand (letters, space and newline as bytes; merges up to
/// `hello` and `Ġhello`; ChatML markers as added tokens). Its counts were
/// checked with Hugging Face's `tokenizers` when it was written:
/// "hello hello" → [hello, Ġhello].
fn toy() -> PathBuf {
    fixture("tokenizers/toy/tokenizer.json")
}

fn write(dir: &std::path::Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

const OVERLAY: &str = r#"
[[model]]
id = "toy-model"
provider = "toy"
tokenizer = "toy/tokenizer.json"

[[model.price]]
from = "2025-01-01"
input = "1.00"
output = "2.00"
source = "test"
"#;

/// A chat request and its response, for `--usage counted`.
const CALL: &str = r#"{"request":{"model":"toy-model","messages":[{"role":"user","content":"hello"}]},"response":{"object":"chat.completion","created":1760000000,"model":"toy-model","choices":[{"index":0,"message":{"role":"assistant","content":"hello hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":7,"total_tokens":14}}}"#;

/// An overlay names the file relative to itself; records of its model are
/// counted with it, the prompt framed by the family's template (ChatML:
/// `<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n` is 20
/// tokens of the toy), and `tokenizers` lists it.
#[test]
fn an_overlay_tokenizer_counts_its_models_records() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("toy")).unwrap();
    std::fs::copy(toy(), dir.path().join("toy/tokenizer.json")).unwrap();
    let overlay = write(dir.path(), "prices.toml", OVERLAY);
    let log = write(dir.path(), "calls.jsonl", &format!("{CALL}\n"));
    let out = tokenmaxx()
        .args(["records", "--usage", "counted", "--pricing"])
        .arg(&overlay)
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["usage"]["input"], 20, "{r}");
    assert_eq!(r["usage"]["output"], 2, "{r}");
    let label = r["counted"]["tokenizer"].as_str().unwrap();
    assert!(
        label.starts_with("file:") && label.ends_with("toy/tokenizer.json"),
        "{label}"
    );
    assert_eq!(r["counted"]["exact"], true);
    // (20 × 1.00 + 2 × 2.00) / 1M
    assert_eq!(r["cost_usd"], "0.000024");
    let out = tokenmaxx()
        .args(["tokenizers", "--pricing"])
        .arg(&overlay)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    let line = listing
        .lines()
        .find(|l| l.trim_start().starts_with("toy-model"))
        .unwrap();
    assert!(line.contains("toy/tokenizer.json (exact)"), "{line}");
    assert!(listing.contains("byte-level BPE; exact"), "{listing}");
    assert!(
        listing.contains("chat framing: the ChatMl template"),
        "{listing}"
    );
    assert!(listing.contains("used by: toy-model"), "{listing}");
}

/// `--tokenizer` counts every record's text with one tokenizer.
#[test]
fn tokenizer_flag_counts_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        dir.path(),
        "calls.jsonl",
        &format!("{}\n", CALL.replace("toy-model", "gpt-4o")),
    );
    let out = tokenmaxx()
        .args(["records", "--usage", "counted", "--tokenizer"])
        .arg(toy())
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (r["usage"]["input"].as_u64(), r["usage"]["output"].as_u64()),
        (Some(20), Some(2))
    );
}

/// A prompt budget counts with a tokenizer file relative to the budget.
#[test]
fn a_prompt_budget_counts_with_a_tokenizer_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(toy(), dir.path().join("tok.json")).unwrap();
    write(dir.path(), "prompt.md", "hello hello hello");
    let budget = write(
        dir.path(),
        "budget.toml",
        "[[prompt]]\nfiles = \"prompt.md\"\ntokenizer = \"tok.json\"\nmax_tokens = 2\n",
    );
    let out = tokenmaxx()
        .args(["check", "--format", "json", "--budget"])
        .arg(&budget)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "prompt")
        .unwrap();
    assert_eq!(c["value"], "3", "{c}");
}

/// A tokenizer that cannot be used stops the run (exit 2, path and why),
/// never a silent fallback to another tokenizer.
#[test]
fn bad_tokenizer_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = write(dir.path(), "prices.toml", OVERLAY);
    let log = write(dir.path(), "calls.jsonl", &format!("{CALL}\n"));
    let out = tokenmaxx()
        .args(["report", "--pricing"])
        .arg(&overlay)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("toy/tokenizer.json") && err.contains("unknown tokenizer"),
        "{err}"
    );
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"model": {"type": "Unigram", "vocab": []}}"#,
    );
    let out = tokenmaxx()
        .arg("count")
        .arg("--tokenizer")
        .arg(&bad)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("model `Unigram` is not supported"));
    let ranks = write(dir.path(), "r.tiktoken", "YQ== 0\n");
    let out = tokenmaxx()
        .arg("count")
        .arg("--tokenizer")
        .arg(&ranks)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs its pre-tokenizer pattern"));
}

/// `whatif --as toy-model --recount`: the call's text counted with the
/// target's tokenizer file (prompt framed by its ChatML template: 20
/// tokens; response 2) instead of the logged 7 + 7; without --recount the
/// logged counts are carried over and flagged approximate.
#[test]
fn whatif_recounts_text_with_the_targets_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("toy")).unwrap();
    std::fs::copy(toy(), dir.path().join("toy/tokenizer.json")).unwrap();
    let overlay = write(dir.path(), "prices.toml", OVERLAY);
    let log = write(
        dir.path(),
        "calls.jsonl",
        &format!("{}\n", CALL.replace("toy-model", "gpt-4o")),
    );
    let run = |extra: &[&str]| {
        let out = tokenmaxx()
            .args([
                "whatif",
                "--format",
                "json",
                "--as",
                "toy-model",
                "--pricing",
            ])
            .arg(&overlay)
            .args(extra)
            .arg(&log)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["totals"].clone()
    };
    // gpt-4o on 2025-10-09: 7 × 2.50 + 7 × 10.00 per 1M = 0.0000875.
    let carried = run(&[]);
    assert_eq!(carried["actual_cost_usd"], "0.0000875");
    assert_eq!(carried["whatif_cost_usd"], "0.000021"); // 7 × 1 + 7 × 2
    assert_eq!(carried["approx_token_records"], 1);
    let recounted = run(&["--recount"]);
    assert_eq!(recounted["whatif_cost_usd"], "0.000024"); // 20 × 1 + 2 × 2
    assert_eq!(recounted["approx_token_records"], 0);
}
