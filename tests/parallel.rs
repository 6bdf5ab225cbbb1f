//! Inputs are read, parsed and billed on several threads at once. Nothing a
//! user sees may depend on how many: reports, records, warnings and the
//! accounting must be byte-identical for `--threads 1` and `--threads N`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{fixture, tokenmaxx};

fn run(args: &[&str], paths: &[&Path], threads: usize) -> (Vec<u8>, Vec<u8>) {
    let out = tokenmaxx()
        .args(args)
        .args(paths)
        .args(["--threads", &threads.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} --threads {threads}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, out.stderr)
}

fn assert_same_at_any_thread_count(args: &[&str], paths: &[&Path]) {
    let one = run(args, paths, 1);
    assert!(!one.0.is_empty(), "{args:?}: no output");
    for threads in [2, 3, 8] {
        let n = run(args, paths, threads);
        assert!(
            one.0 == n.0,
            "{args:?}: stdout differs between --threads 1 and --threads {threads}"
        );
        assert!(
            one.1 == n.1,
            "{args:?}: stderr differs between --threads 1 and --threads {threads}:\n{}\n---\n{}",
            String::from_utf8_lossy(&one.1),
            String::from_utf8_lossy(&n.1)
        );
    }
}

#[test]
fn every_fixture_reports_the_same_at_any_thread_count() {
    // Every format, batch joins across files, Claude Code and Codex copies
    // deduplicated across files, malformed lines with warnings.
    let root = fixture("");
    let paths = [root.as_path()];
    assert_same_at_any_thread_count(
        &[
            "report",
            "--format",
            "json",
            "--by",
            "model,day",
            "--metrics",
            "all",
            "--top",
            "5",
        ],
        &paths,
    );
    assert_same_at_any_thread_count(&["records"], &paths);
    assert_same_at_any_thread_count(&["records", "--usage", "counted"], &paths);
    assert_same_at_any_thread_count(&["report", "--format", "csv", "--by", "task"], &paths);
}

fn batch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokenmaxx-parallel-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Batch halves reach the join book from files read in parallel. Requests
/// that share a `custom_id` are joined first-in, first-out, so the pairing
/// depends on the order results arrive: it must be input order.
#[test]
fn repeated_batch_ids_join_in_input_order_at_any_thread_count() {
    let dir = batch_dir();
    const N: usize = 12;
    // Request k has a prompt of k+1 words: its counted tokens say which
    // request a result was joined with.
    let requests: String = (0..N)
        .map(|k| {
            let prompt = vec!["word"; k + 1].join(" ");
            format!(
                r#"{{"custom_id":"request-1","method":"POST","url":"/v1/chat/completions","body":{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"{prompt}"}}]}}}}"#
            ) + "\n"
        })
        .collect();
    fs::write(dir.join("input.jsonl"), requests).unwrap();
    for k in 0..N {
        let result = format!(
            r#"{{"id":"batch_req_{k}","custom_id":"request-1","response":{{"status_code":200,"body":{{"id":"c{k}","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini-2024-07-18","choices":[{{"index":0,"message":{{"role":"assistant","content":"ok"}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":{},"completion_tokens":1,"total_tokens":{}}}}}}},"error":null}}"#,
            100 + k,
            101 + k
        );
        fs::write(dir.join(format!("output-{k:02}.jsonl")), result + "\n").unwrap();
    }
    let paths = [dir.as_path()];
    let args = ["records", "--usage", "counted"];
    let expected: Vec<u64> = {
        let (out, _) = run(&args, &paths, 1);
        let recs: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(recs.len(), N);
        recs.iter()
            .map(|r| r["counted"]["prompt"].as_u64().unwrap())
            .collect()
    };
    // output-00 joins the first request, output-01 the second, ...
    assert!(
        expected.windows(2).all(|w| w[0] < w[1]),
        "not joined first-in, first-out: {expected:?}"
    );
    // Timing varies between runs; repeat to give a race a chance to show.
    for _ in 0..3 {
        assert_same_at_any_thread_count(&args, &paths);
    }
    let _ = fs::remove_dir_all(&dir);
}

/// Many small files (an agent's log tree) with replays of the same calls
/// in other files: which copy is kept must not depend on which thread
/// reached its file first.
#[test]
fn claude_code_copies_across_many_files_dedupe_the_same_at_any_thread_count() {
    let dir = batch_dir().join("projects");
    for s in 0..40 {
        let pdir = dir.join(format!("-srv-p{}", s % 5));
        fs::create_dir_all(&pdir).unwrap();
        let mut lines = String::new();
        for m in 0..6 {
            // Every third session replays the calls of the one before it.
            let owner = if s % 3 == 2 { s - 1 } else { s };
            let id = format!("msg_{owner:03}_{m}");
            lines += &format!(
                r#"{{"type":"user","sessionId":"s{s}","cwd":"/srv/p{}","timestamp":"2025-11-0{}T10:00:0{m}Z","message":{{"role":"user","content":"question {m}"}}}}"#,
                s % 5,
                1 + s % 3
            );
            lines += "\n";
            lines += &format!(
                r#"{{"type":"assistant","sessionId":"s{s}","cwd":"/srv/p{}","requestId":"req_{s}_{m}","timestamp":"2025-11-0{}T10:00:0{m}Z","message":{{"id":"{id}","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":"answer {m}"}}],"usage":{{"input_tokens":{},"output_tokens":{},"cache_read_input_tokens":100}}}}}}"#,
                s % 5,
                1 + s % 3,
                10 + s,
                5 + m
            );
            lines += "\n";
        }
        fs::write(pdir.join(format!("session-{s:02}.jsonl")), lines).unwrap();
    }
    let paths = [dir.as_path()];
    assert_same_at_any_thread_count(&["records"], &paths);
    assert_same_at_any_thread_count(
        &["report", "--format", "json", "--by", "project,day"],
        &paths,
    );
    let _ = fs::remove_dir_all(dir.parent().unwrap());
}
