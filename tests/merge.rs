//! `merge`: shard reports combined must equal the report of the whole
//! input, exactly; plus its errors, and `completions`, `man` and the
//! examples in every subcommand's help.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, stdout_json, tokenmaxx};
use serde_json::Value;

/// The shards: every example log and most fixture families, split three
/// ways. Files that belong together stay in one shard, as they must in
/// real use: a batch's input and output files (joined by custom_id), a
/// Claude Code project (sessions and subagent logs), the Codex tree
/// (sessions and their archived copies), the Helicone and llm-cli exports
/// that repeat a call across files. Between them the shards cover skipped
/// lines, unpriced models, every deduplication and not-billed reason,
/// tasks, stream merging and drift.
const SHARDS: [&[&str]; 3] = [
    &[
        "examples/logs/anthropic-messages.jsonl",
        "examples/logs/anthropic-stream.jsonl",
        "examples/logs/gemini-snake.json",
        "examples/logs/gemini.jsonl",
        "tests/fixtures/formats/malformed-mid.jsonl",
        "tests/fixtures/formats/numbers-as-strings.jsonl",
        "tests/fixtures/langfuse",
        "tests/fixtures/otel/openai-v2.json",
        "tests/fixtures/otel/vercel.jsonl",
        "tests/fixtures/batch/openai",
    ],
    &[
        "examples/logs/generic.csv",
        "examples/logs/generic.jsonl",
        "examples/logs/openai-chat.jsonl",
        "tests/fixtures/formats/negative-counts.jsonl",
        "tests/fixtures/formats/cache-variants.jsonl",
        "tests/fixtures/helicone",
        "tests/fixtures/otel/agent.json",
        "tests/fixtures/otel/agent-split.jsonl",
        "tests/fixtures/claude-code/projects",
        "tests/fixtures/batch/anthropic",
    ],
    &[
        "examples/logs/openai-responses.jsonl",
        "examples/logs/openai-stream.jsonl",
        "examples/logs/pairs.jsonl",
        "tests/fixtures/formats/anthropic-cache-ttl.jsonl",
        "tests/fixtures/formats/gemini.jsonl",
        "tests/fixtures/litellm",
        "tests/fixtures/otel/deprecated-names.jsonl",
        "tests/fixtures/otel/flat-spans.jsonl",
        "tests/fixtures/llm-cli",
        "tests/fixtures/codex",
    ],
];

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `report --format json` of some paths, as bytes (asserting success).
fn report(paths: &[&str], flags: &[&str]) -> Vec<u8> {
    let out = tokenmaxx()
        .args(["report", "--quiet", "--format", "json"])
        .args(flags)
        .args(paths.iter().map(|p| path(p)))
        .output()
        .unwrap();
    stdout_json(&out);
    out.stdout
}

/// Write each shard's report into `dir`; return the files.
fn shard_reports(dir: &Path, flags: &[&str]) -> Vec<PathBuf> {
    SHARDS
        .iter()
        .enumerate()
        .map(|(i, shard)| {
            let p = dir.join(format!("shard{}.json", i + 1));
            std::fs::write(&p, report(shard, flags)).unwrap();
            p
        })
        .collect()
}

/// The JSON pointer of the first difference, for a readable failure.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let here = format!("{at}/{k}");
                match y.get(k) {
                    None => return Some(format!("{here}: only in the whole-input report")),
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &here) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{at}/{k}: only in the merged report"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(v, w, &format!("{at}/{i}")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{at}: {} vs {} elements", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{at}: {a} (whole) vs {b} (merged)")),
    }
}

/// The "done means" of merging: for each grouping, the shards' reports
/// merged equal the report of all their input read in one run, every
/// field (sums, exact money, histograms and percentiles, per-task state
/// and cost-per-task percentiles, drift, accounting), and byte for byte.
#[test]
fn merged_shards_equal_the_whole_input_exactly() {
    let all: Vec<&str> = SHARDS.iter().flat_map(|s| s.iter().copied()).collect();
    for by in ["model", "day,provider", "task"] {
        // --metrics all: the shards also count text (drift) and measure
        // responses (density), so that state is merged too.
        let flags = ["--by", by, "--metrics", "all", "--top", "5"];
        let dir = tempfile::tempdir().unwrap();
        let shards = shard_reports(dir.path(), &flags);
        let whole_bytes = report(&all, &flags);
        let whole: Value = serde_json::from_slice(&whole_bytes).unwrap();
        let out = tokenmaxx()
            .args(["merge", "--format", "json", "--top", "5"])
            .args(&shards)
            .output()
            .unwrap();
        let merged = stdout_json(&out);
        if let Some(d) = first_difference(&whole, &merged, "") {
            panic!("--by {by}: merged report differs at {d}");
        }
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&whole_bytes),
            "--by {by}: same values, different bytes"
        );

        // The comparison is only as good as what the input exercises.
        let acc = &whole["accounting"];
        assert!(
            acc["deduplicated"]["records"].as_u64().unwrap() >= 5,
            "{acc}"
        );
        assert!(acc["not_billed"]["lines"].as_u64().unwrap() > 0, "{acc}");
        assert!(acc["skipped"].as_u64().unwrap() > 0, "{acc}");
        assert!(acc["merged"].as_u64().unwrap() > 0, "{acc}");
        let t = &whole["totals"];
        assert!(t["unpriced_records"].as_u64().unwrap() > 0);
        assert!(t["tasks"]["count"].as_u64().unwrap() > 10);
        assert!(t["tasks"]["cost_per_task_usd"]["p90"].is_string());
        assert!(t["output_tokens_per_response"]["p90"].is_u64());
        assert_eq!(whole["top_tasks"].as_array().unwrap().len(), 5);
        assert!(!whole["drift"]["models"].as_array().unwrap().is_empty());
        // A task (or a group) spanning shards really is summed: every shard
        // holds records, and each alone is less than the whole.
        for s in &shards {
            let v: Value = serde_json::from_slice(&std::fs::read(s).unwrap()).unwrap();
            let n = v["totals"]["records"].as_u64().unwrap();
            assert!(n > 0 && n < t["records"].as_u64().unwrap());
        }
    }
}

/// With --usage counted every record is tokenized: approximate tokenizer
/// counts and counted records merge exactly too.
#[test]
fn merged_counted_usage_equals_the_whole() {
    let flags = ["--by", "model", "--usage", "counted"];
    let dir = tempfile::tempdir().unwrap();
    let shards = shard_reports(dir.path(), &flags);
    let all: Vec<&str> = SHARDS.iter().flat_map(|s| s.iter().copied()).collect();
    let whole = report(&all, &flags);
    let out = tokenmaxx()
        .args(["merge", "--format", "json"])
        .args(&shards)
        .output()
        .unwrap();
    stdout_json(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&whole)
    );
    let v: Value = serde_json::from_slice(&whole).unwrap();
    assert!(v["totals"]["approx_records"].as_u64().unwrap() > 0);
}

/// Human formats render the merged state exactly like `report` renders the
/// whole input.
#[test]
fn merged_human_formats_match_the_whole_report() {
    let dir = tempfile::tempdir().unwrap();
    // The shards measure what the tables show (drift counts text, density
    // measures responses); merge can only show what they measured.
    let flags = ["--by", "model", "--metrics", "all"];
    let shards = shard_reports(dir.path(), &flags);
    let all: Vec<PathBuf> = SHARDS
        .iter()
        .flat_map(|s| s.iter().map(|p| path(p)))
        .collect();
    for format in ["table", "markdown", "csv"] {
        let whole = tokenmaxx()
            .args(["report", "--quiet", "--format", format])
            .args(flags)
            .args(["--top", "3"])
            .args(&all)
            .output()
            .unwrap();
        assert!(whole.status.success());
        let merged = tokenmaxx()
            .args([
                "merge",
                "--format",
                format,
                "--metrics",
                "all",
                "--top",
                "3",
            ])
            .args(&shards)
            .output()
            .unwrap();
        assert!(
            merged.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&merged.stderr)
        );
        let text = String::from_utf8(merged.stdout).unwrap();
        assert!(text.contains("claude-sonnet-4-5"), "{format}:\n{text}");
        let want = String::from_utf8(whole.stdout).unwrap();
        if let Some((i, (a, b))) = want
            .lines()
            .zip(text.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
        {
            panic!("{format}, line {}:\n whole:  {a}\n merged: {b}", i + 1);
        }
        assert_eq!(text, want, "{format} differs");
    }
}

#[test]
fn merging_one_report_reproduces_it() {
    let whole = report(
        &["examples/logs"],
        &["--by", "day,model", "--drift-tolerance", "5"],
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("only.json");
    std::fs::write(&p, &whole).unwrap();
    let out = tokenmaxx()
        .args(["merge", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    stdout_json(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&whole)
    );
    // The same through stdin.
    let out = tokenmaxx()
        .args(["merge", "--format", "json", "-"])
        .write_stdin(whole.clone())
        .output()
        .unwrap();
    stdout_json(&out);
    assert_eq!(out.stdout, whole);
}

/// A report of a directory and one of a subdirectory share the subdirectory's
/// files: merging them would count those twice, so merge refuses, naming
/// both shards and the file; `--allow-overlap` merges with a warning.
#[test]
fn overlapping_shards_are_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("examples.json");
    let part = dir.path().join("gemini.json");
    std::fs::write(&whole, report(&["examples/logs"], &[])).unwrap();
    std::fs::write(&part, report(&["examples/logs/gemini.jsonl"], &[])).unwrap();
    let out = tokenmaxx()
        .arg("merge")
        .args([&whole, &part])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    for s in [
        "examples.json",
        "gemini.json",
        "gemini.jsonl",
        "--allow-overlap",
    ] {
        assert!(err.contains(s), "{s} missing from: {err}");
    }
    let out = tokenmaxx()
        .arg("merge")
        .args([&whole, &part])
        .arg("--allow-overlap")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("counted more than once"));
    // Every report lists what it read, with size and hash; a merged report
    // lists the union, so merging merges is checked too.
    let doc: Value = serde_json::from_slice(&std::fs::read(&part).unwrap()).unwrap();
    let inputs = doc["accounting"]["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1);
    assert!(
        inputs[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("gemini.jsonl")
    );
    let size = std::fs::metadata(path("examples/logs/gemini.jsonl"))
        .unwrap()
        .len();
    assert_eq!(inputs[0]["bytes"], size);
    assert_eq!(inputs[0]["xxh3"].as_str().unwrap().len(), 32);
    // A report without the list (an earlier release): merged, with a note.
    let mut old = doc.clone();
    old["accounting"].as_object_mut().unwrap().remove("inputs");
    let old_path = dir.path().join("old.json");
    std::fs::write(&old_path, serde_json::to_vec(&old).unwrap()).unwrap();
    let other = dir.path().join("pairs.json");
    std::fs::write(&other, report(&["examples/logs/pairs.jsonl"], &[])).unwrap();
    let out = tokenmaxx()
        .arg("merge")
        .args([&old_path, &other])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be checked"));
}

#[test]
fn different_groupings_are_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("by-model.json");
    let b = dir.path().join("by-day.json");
    std::fs::write(
        &a,
        report(&["examples/logs/gemini.jsonl"], &["--by", "model"]),
    )
    .unwrap();
    std::fs::write(
        &b,
        report(&["examples/logs/pairs.jsonl"], &["--by", "day,provider"]),
    )
    .unwrap();
    let out = tokenmaxx().arg("merge").args([&a, &b]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    for s in [
        "by-model.json",
        "by-day.json",
        "day,provider",
        "model",
        "--by",
    ] {
        assert!(err.contains(s), "`{s}` not in: {err}");
    }
}

#[test]
fn a_file_that_is_not_a_report_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("shard1.json");
    std::fs::write(&good, report(&["examples/logs/gemini.jsonl"], &[])).unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "shard2.json",
            br#"{"groups": []}"#,
            "shard2.json: not a tokenmaxx report (missing `schema_version`)",
        ),
        ("list.json", b"[1, 2]", "list.json: not a tokenmaxx report"),
        ("text.json", b"hello", "text.json: not a tokenmaxx report"),
        (
            "future.json",
            br#"{"schema_version": 99}"#,
            "future.json: schema_version 99",
        ),
    ];
    for (name, body, expect) in cases {
        let bad = dir.path().join(name);
        std::fs::write(&bad, body).unwrap();
        let out = tokenmaxx()
            .arg("merge")
            .args([&good, &bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{name}: {err}");
    }
    // A records stream (JSONL) is not a report either.
    let jsonl = fixture("formats/openai-chat.jsonl");
    let out = tokenmaxx().arg("merge").arg(&jsonl).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("openai-chat.jsonl: "));
    // Missing file, and the same file twice (it would count twice).
    let out = tokenmaxx()
        .arg("merge")
        .arg(dir.path().join("nope.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.json"));
    let out = tokenmaxx()
        .arg("merge")
        .args([&good, &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("given twice"));
}

#[test]
fn different_drift_tolerances_need_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(&a, report(&["examples/logs/gemini.jsonl"], &[])).unwrap();
    std::fs::write(
        &b,
        report(
            &["examples/logs/pairs.jsonl"],
            &["--drift-tolerance", "2.5"],
        ),
    )
    .unwrap();
    let out = tokenmaxx()
        .args(["merge", "--format", "json"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("10 in") && err.contains("2.5 in") && err.contains("--drift-tolerance"),
        "{err}"
    );
    let out = tokenmaxx()
        .args(["merge", "--format", "json", "--drift-tolerance", "7"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert_eq!(stdout_json(&out)["drift"]["tolerance_pct"], "7");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = tokenmaxx().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains("tokenmaxx"), "{shell}");
        assert!(s.contains("merge") && s.contains("report"), "{shell}");
    }
    let bash = tokenmaxx().args(["completions", "bash"]).output().unwrap();
    let s = String::from_utf8(bash.stdout).unwrap();
    assert!(s.contains("complete -F _tokenmaxx"), "{s}");
    assert!(s.contains("--drift-tolerance"));
    let out = tokenmaxx().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_is_roff_and_lists_subcommands() {
    let out = tokenmaxx().arg("man").output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    // clap_mangen opens with two lines defining the apostrophe string
    // (`.ie \n(.g .ds Aq …`, `.el .ds Aq '`); the page proper starts at .TH.
    let mut requests = s
        .lines()
        .filter(|l| !l.starts_with(".ie ") && !l.starts_with(".el "));
    assert!(
        requests.next().unwrap().starts_with(".TH tokenmaxx 1 "),
        "{s}"
    );
    assert!(s.contains(".SH SUBCOMMANDS"));
    for sub in ["report", "records", "count", "merge", "completions", "man"] {
        assert!(s.contains(&format!("tokenmaxx\\-{sub}(1)")), "{sub}");
    }
    let out = tokenmaxx().args(["man", "merge"]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains(".TH tokenmaxx\\-merge 1 ") || s.contains(".TH tokenmaxx-merge 1 "),
        "{s}"
    );
    assert!(s.contains("drift\\-tolerance"));
    let out = tokenmaxx().args(["man", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every subcommand's --help ends with examples.
#[test]
fn every_subcommand_has_examples() {
    let out = tokenmaxx().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let subs: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|s| *s != "help")
        .collect();
    for expected in [
        "report",
        "records",
        "count",
        "prices",
        "tokenizers",
        "merge",
        "completions",
        "man",
    ] {
        assert!(subs.contains(&expected), "{expected} not in {subs:?}");
    }
    for sub in subs {
        let out = tokenmaxx().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub}");
        let s = String::from_utf8(out.stdout).unwrap();
        let examples = s.split_once("\nExamples:\n").map(|(_, e)| e);
        assert!(
            examples.is_some_and(|e| e.contains(&format!("tokenmaxx {sub}"))),
            "{sub} --help has no examples:\n{s}"
        );
    }
}

/// Shards whose sums cannot be added (crafted, or corrupt) are an error
/// naming the figure, never a total stuck silently at the largest number.
#[test]
fn merged_figures_that_overflow_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Value); 3] = [
        ("usage.input", Value::from(u64::MAX - 5)),
        ("records", Value::from(u64::MAX - 5)),
        (
            "cost_usd",
            Value::from("79228162514264337593543950000".to_string()),
        ),
    ];
    for (field, big) in cases {
        let mut files = Vec::new();
        for (i, log) in ["examples/logs/gemini.jsonl", "examples/logs/generic.jsonl"]
            .iter()
            .enumerate()
        {
            let mut v: Value =
                serde_json::from_slice(&report(&[log], &["--by", "provider"])).unwrap();
            for at in ["/totals", "/groups/0"] {
                let stats = v.pointer_mut(at).unwrap();
                match field.split_once('.') {
                    Some((a, b)) => stats[a][b] = big.clone(),
                    None => stats[field] = big.clone(),
                }
            }
            let p = dir.path().join(format!("{i}.json"));
            std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
            files.push(p);
        }
        let out = tokenmaxx().arg("merge").args(&files).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{field}: {err}");
        assert!(err.contains("too large to add"), "{field}: {err}");
        assert!(err.contains(field), "{field}: {err}");
    }
}
