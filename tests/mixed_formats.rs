//! Every fixture of every format copied into ONE directory: each file must
//! be detected as the same format as when it is read alone, and nothing may
//! be left unrecognized that was recognized alone.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use common::{fixture, jsonl, stdout_json, tokenmaxx};
use serde_json::Value;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("jsonl" | "json" | "csv")
        ) {
            out.push(p);
        }
    }
}

fn formats_of(recs: &[Value]) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in recs {
        m.entry(r["source"]["path"].as_str().unwrap().to_string())
            .or_default()
            .insert(r["format"].as_str().unwrap().to_string());
    }
    m
}

fn unrecognized(path: &Path) -> u64 {
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--quiet"])
            .arg(path)
            .output()
            .unwrap(),
    );
    rep["skipped"]["by_reason"]["unrecognized record"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn all_fixtures_in_one_directory_are_detected_as_alone() {
    let root = fixture("");
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    assert!(all.len() > 40, "fixtures not found: {}", all.len());

    let dir = std::env::temp_dir().join(format!("tokenmaxx-mixed-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    // Flat names that keep where each file came from.
    let mut origin: BTreeMap<String, PathBuf> = BTreeMap::new();
    for f in &all {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('/', "__");
        let dst = dir.join(&rel);
        fs::copy(f, &dst).unwrap();
        origin.insert(dst.to_string_lossy().into_owned(), f.clone());
    }

    let mixed = formats_of(&jsonl(
        &tokenmaxx()
            .args(["records", "--quiet", "--usage", "reported"])
            .arg(&dir)
            .output()
            .unwrap(),
    ));
    let mut expected_unrecognized = 0;
    let mut checked = 0;
    for (copy, original) in &origin {
        let alone = formats_of(&jsonl(
            &tokenmaxx()
                .args(["records", "--quiet", "--usage", "reported"])
                .arg(original)
                .output()
                .unwrap(),
        ));
        let want: BTreeSet<String> = alone.into_values().flatten().collect();
        let got = mixed.get(copy).cloned().unwrap_or_default();
        // A batch half may move its record to the other half's file when
        // both are in one directory; formats must still agree.
        assert!(
            got.is_subset(&want) || want.is_empty(),
            "{}: alone {want:?}, mixed {got:?}",
            original.display()
        );
        if !want.is_empty() {
            // One format per file, except the mixed-format fixtures.
            assert!(
                want.len() == 1 || original.starts_with(fixture("mixed")),
                "{}: {want:?}",
                original.display()
            );
            checked += 1;
        }
        expected_unrecognized += unrecognized(original);
    }
    assert!(checked > 30, "only {checked} files had records");
    assert_eq!(unrecognized(&dir), expected_unrecognized);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_by_format_names_every_format_of_a_mixed_tree() {
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--quiet", "--by", "format"])
            .arg(fixture(""))
            .output()
            .unwrap(),
    );
    let formats: BTreeSet<String> = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"]["format"].as_str().unwrap().to_string())
        .collect();
    for f in [
        "openai-chat",
        "openai-responses",
        "openai-batch",
        "anthropic-messages",
        "anthropic-batch",
        "claude-code",
        "codex",
        "gemini",
        "otel",
        "langfuse",
        "helicone",
        "litellm",
        "llm-cli",
        "openai-usage",
        "anthropic-usage",
        "generic",
        "bedrock",
        "cohere",
        "gemini-cli",
        "qwen-code",
        "amp",
        "opencode",
        "pi",
    ] {
        assert!(formats.contains(f), "{f} missing from {formats:?}");
    }
    // Every line of every fixture is a record or an accounted reason.
    common::assert_closes(&rep, "all fixtures");
}

/// A gateway log holds every provider's bodies in one file: the file's
/// format (from its first line) reads its own lines, and each line it does
/// not recognize is detected alone, in the full and the lean (report) path.
#[test]
fn one_file_interleaving_every_provider_reads_every_line() {
    let file = fixture("mixed/gateway.jsonl");
    let want = common::readme_table("mixed");
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert_eq!(recs.len(), want.len());
    for row in &want {
        let line: u64 = row["Line"].parse().unwrap();
        let r = recs
            .iter()
            .find(|r| r["source"]["line"] == line)
            .unwrap_or_else(|| panic!("no record of line {line}"));
        assert_eq!(r["format"], row["Format"].as_str(), "line {line}");
        assert_eq!(r["model"], row["Model"].as_str(), "line {line}");
        assert_eq!(r["usage"]["input"].to_string(), row["Input"], "line {line}");
        assert_eq!(
            r["usage"]["output"].to_string(),
            row["Output"],
            "line {line}"
        );
    }
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--by", "format"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert_eq!(rep["totals"]["records"], 6);
    assert_eq!(rep["accounting"]["skipped"], 0);
    assert_eq!(rep["groups"].as_array().unwrap().len(), 3);
    common::assert_closes(&rep, "gateway");
}
