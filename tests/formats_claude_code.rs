//! Claude Code transcripts through the real binary. Expected numbers were
//! computed by hand: see tests/fixtures/claude-code/README.md.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{assert_accounting_closes, buckets, fixture, jsonl, records, report, tokenmaxx};
use serde_json::{Value, json};

const SA: &str = "3b7f0c1e-5d2a-4c8e-9f10-2a6b4d8e0c11";
const SB: &str = "e52d9a40-7c1b-4f3e-8a26-5b9c0d1e2f33";
const SC: &str = "c0ffee11-2b3c-4d5e-8f60-718293a4b5c6";
const SL: &str = "7d1c2b3a-0e4f-4a5b-8c6d-1e2f3a4b5c6d";

fn tree() -> PathBuf {
    fixture("claude-code/projects")
}

/// The record whose source is `file` (a path suffix) at `line`.
fn at<'r>(recs: &'r [Value], file: &str, line: u64) -> Option<&'r Value> {
    recs.iter().find(|r| {
        r["source"]["path"].as_str().unwrap().ends_with(file) && r["source"]["line"] == line
    })
}

#[test]
fn tree_totals_and_accounting() {
    let r = report(&[], &[tree()]);
    let t = &r["totals"];
    assert_eq!(t["records"], 11);
    assert_eq!(t["requests"], 11);
    assert_eq!(buckets(&t["usage"]), [2987, 66000, 7900, 8000, 1844, 120]);
    assert_eq!(t["cost_usd"], "0.167362");
    assert_eq!(t["cost_breakdown"]["web_search"], "0.02");
    assert_eq!(t["reported_cost_usd"], "0.00915");
    assert_eq!(t["unpriced_records"], 0);
    let acc = &r["accounting"];
    assert_eq!(acc["lines"], 38);
    assert_eq!(acc["records"], 11);
    assert_eq!(
        acc["deduplicated"],
        json!({"records": 2, "by_reason": {"same Claude Code message": 2}})
    );
    assert_eq!(
        acc["not_billed"],
        json!({"lines": 19, "by_reason": {
            "context line": 16, "unknown record type": 1,
            "synthetic message": 1, "api error": 1}})
    );
    assert_eq!(acc["merged"], 5);
    assert_eq!(acc["skipped"], 1);
    assert_eq!(r["skipped"]["by_reason"], json!({"malformed json": 1}));
    assert_accounting_closes(acc, "claude-code");
}

#[test]
fn each_file_alone_closes_its_accounting() {
    // (file, lines, records, merged, not billed, skipped)
    let cases: &[(String, u64, u64, u64, u64, u64)] = &[
        (format!("-home-ana-old/{SL}.jsonl"), 3, 2, 0, 1, 0),
        (format!("-home-ana-shop/{SA}.jsonl"), 16, 3, 3, 9, 1),
        ("-home-ana-shop/agent-a91c7e.jsonl".into(), 5, 3, 0, 2, 0),
        (format!("-home-ana-shop/{SC}.jsonl"), 2, 1, 0, 1, 0),
        (format!("-srv-blog/{SB}.jsonl"), 8, 2, 1, 5, 0),
        (
            format!("-srv-blog/{SB}/subagents/agent-b04e2f.jsonl"),
            4,
            2,
            1,
            1,
            0,
        ),
    ];
    for (file, lines, recs, merged, not_billed, skipped) in cases {
        let acc = report(&[], &[tree().join(file)])["accounting"].clone();
        assert_eq!(acc["lines"], *lines, "{file}");
        assert_eq!(acc["records"], *recs, "{file}");
        assert_eq!(acc["merged"], *merged, "{file}");
        assert_eq!(acc["not_billed"]["lines"], *not_billed, "{file}");
        assert_eq!(acc["skipped"], *skipped, "{file}");
        assert_eq!(acc["deduplicated"]["records"], 0, "{file}");
        assert_accounting_closes(&acc, "claude-code");
    }
}

#[test]
fn calls_split_over_rows_count_once_with_the_largest_usage() {
    let recs = records(&["--usage", "reported"], &[tree()]);
    assert_eq!(recs.len(), 11);
    for r in &recs {
        assert_eq!(r["format"], "claude-code");
        assert_eq!(r["provider"], "anthropic");
    }
    let sa = format!("{SA}.jsonl");
    // Three rows, the first streamed with output 8: one record at the
    // first row, output 410, 1h cache write, thinking ⊂ output, dated by
    // the first row with the largest usage (as ccusage dates it).
    let a1 = at(&recs, &sa, 3).unwrap();
    assert_eq!(buckets(&a1["usage"]), [3, 12000, 0, 4000, 410, 120]);
    assert_eq!(a1["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(a1["timestamp"], "2025-11-05T09:00:06.2Z");
    assert_eq!(a1["session"], SA);
    assert_eq!(a1["task"], SA);
    assert!(at(&recs, &sa, 4).is_none() && at(&recs, &sa, 5).is_none());
    // Breakdown 5m 600 of 900 written: the excess is 5m too; web searches.
    let a2 = at(&recs, &sa, 7).unwrap();
    assert_eq!(buckets(&a2["usage"]), [5, 16000, 900, 0, 95, 0]);
    assert_eq!(a2["web_search_requests"], 2);
    assert_eq!(a2["cost_usd"], "0.029615");
    // Output 12 then 230; no breakdown: all 5m.
    let a3 = at(&recs, &sa, 14).unwrap();
    assert_eq!(buckets(&a3["usage"]), [2, 20000, 1500, 0, 230, 0]);
    // Subagent call split over two rows, smaller output first.
    let t1 = at(&recs, "agent-b04e2f.jsonl", 3).unwrap();
    assert_eq!(buckets(&t1["usage"]), [900, 0, 0, 0, 75, 0]);
    assert_eq!(t1["session"], SB);
}

#[test]
fn sidechain_replays_are_billed_once() {
    let recs = records(&["--usage", "reported"], &[tree()]);
    // Same message and requestId, read after the parent: dropped.
    assert!(at(&recs, "agent-a91c7e.jsonl", 2).is_none());
    // The subagent's own calls stay.
    assert!(at(&recs, "agent-a91c7e.jsonl", 3).is_some());
    assert!(at(&recs, "agent-a91c7e.jsonl", 5).is_some());
    // Same message under a new requestId: a directory's files are read
    // before its subdirectories, so the session's own copy is kept and the
    // subagent's replay is the duplicate (ccusage keeps the parent's too).
    let kept = at(&recs, &format!("{SB}.jsonl"), 7).unwrap();
    assert_eq!(buckets(&kept["usage"]), [4, 6000, 500, 0, 120, 0]);
    assert!(at(&recs, "agent-b04e2f.jsonl", 2).is_none());
    // Both files of SB together bill msg_01BLOGb2 once.
    let outputs: Vec<u64> = recs
        .iter()
        .filter(|r| r["session"] == SB)
        .map(|r| buckets(&r["usage"])[4])
        .collect();
    assert_eq!(outputs.iter().filter(|&&o| o == 120).count(), 1);
}

#[test]
fn synthetic_error_and_context_lines_bill_nothing() {
    let r = report(&[], &[tree().join(format!("-home-ana-shop/{SA}.jsonl"))]);
    assert_eq!(
        r["accounting"]["not_billed"]["by_reason"],
        json!({"context line": 6, "unknown record type": 1,
            "synthetic message": 1, "api error": 1})
    );
    let recs = records(
        &["--usage", "reported"],
        &[tree().join(format!("-home-ana-shop/{SA}.jsonl"))],
    );
    assert!(
        recs.iter()
            .all(|r| r["model"] != "<synthetic>" && r["source"]["line"] != 11)
    );
    assert_eq!(recs.len(), 3);
    // The malformed line is reported with its place and reading goes on.
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(tree().join(format!("-home-ana-shop/{SA}.jsonl")))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{SA}.jsonl:8:")), "{err}");
}

#[test]
fn legacy_cost_is_kept_beside_ours() {
    let recs = records(
        &["--usage", "reported"],
        &[tree().join(format!("-home-ana-old/{SL}.jsonl"))],
    );
    assert_eq!(recs.len(), 2);
    assert_eq!(buckets(&recs[0]["usage"]), [1200, 0, 0, 0, 340, 0]);
    assert_eq!(recs[0]["reported_cost_usd"], "0.0087");
    assert_eq!(recs[0]["cost_usd"], "0.0087");
    assert_eq!(recs[0]["model"], "claude-sonnet-4-20250514");
    assert_eq!(recs[1]["reported_cost_usd"], "0.00045");
    assert_eq!(buckets(&recs[1]["usage"]), [50, 0, 0, 0, 20, 0]);
    // Records without any costUSD report none.
    let others = records(
        &["--usage", "reported"],
        &[tree().join(format!("-home-ana-shop/{SC}.jsonl"))],
    );
    assert_eq!(others[0]["reported_cost_usd"], Value::Null);
}

fn groups(r: &Value, dim: &str) -> Vec<(String, u64, [u64; 6], String)> {
    r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"][dim].as_str().unwrap().to_string(),
                g["records"].as_u64().unwrap(),
                buckets(&g["usage"]),
                g["cost_usd"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn by_project_uses_cwd_else_the_encoded_directory() {
    let r = report(&["--by", "project"], &[tree()]);
    let mut g = groups(&r, "project");
    g.sort();
    assert_eq!(
        g,
        [
            (
                "-home-ana-old".to_string(),
                2,
                [1250, 0, 0, 0, 360, 0],
                "0.00915".to_string()
            ),
            (
                "/home/ana/shop".to_string(),
                6,
                [823, 60000, 5400, 4000, 989, 120],
                "0.087742".to_string()
            ),
            (
                "/srv/blog".to_string(),
                3,
                [914, 6000, 2500, 4000, 495, 0],
                "0.07047".to_string()
            ),
        ]
    );
}

#[test]
fn by_session_uses_session_id() {
    let r = report(&["--by", "session"], &[tree()]);
    let mut g: Vec<(String, u64, [u64; 6])> = groups(&r, "session")
        .into_iter()
        .map(|(k, n, b, _)| (k, n, b))
        .collect();
    g.sort();
    let mut want = vec![
        (SA.to_string(), 5, [816, 51000, 5400, 4000, 945, 120]),
        (SL.to_string(), 2, [1250, 0, 0, 0, 360, 0]),
        (SC.to_string(), 1, [7, 9000, 0, 0, 44, 0]),
        (SB.to_string(), 3, [914, 6000, 2500, 4000, 495, 0]),
    ];
    want.sort();
    assert_eq!(g, want);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    for args in [
        vec!["report", "--format", "json", "--by", "session,model"],
        vec!["records", "--usage", "reported"],
    ] {
        let run = |threads: &str| {
            let out = tokenmaxx()
                .args(&args)
                .args(["--quiet", "--threads", threads])
                .arg(tree())
                .output()
                .unwrap();
            assert!(out.status.success());
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(run("1"), run("2"), "{args:?}");
    }
}

/// A copy of the tree under a fresh temp dir, each file renamed by `rename`
/// (path relative to `projects/` → new relative path).
struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str, rename: impl Fn(&str) -> String) -> TempTree {
        let root = std::env::temp_dir().join(format!(
            "tokenmaxx-claude-code-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&root);
        let projects = root.join("projects");
        let mut files = Vec::new();
        collect(&tree(), &mut files);
        for f in files {
            let rel = f
                .strip_prefix(tree())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let dest = projects.join(rename(&rel));
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::copy(&f, &dest).unwrap();
        }
        TempTree(root)
    }

    fn projects(&self) -> PathBuf {
        self.0.join("projects")
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn file_order_does_not_change_the_report() {
    // Every sidechain file read before its session's file...
    let subagents_first = TempTree::new("subagents-first", |rel| match rel.rsplit_once('/') {
        Some((dir, f)) if f.starts_with("agent-") && !dir.contains("subagents") => {
            format!("{dir}/0-{f}")
        }
        Some((dir, f)) if dir.contains('/') => format!("{dir}/{f}"),
        Some((dir, f)) => format!("{dir}/z-{f}"),
        None => rel.to_string(),
    });
    // ... and every session file read before its sidechain files.
    let sessions_first = TempTree::new("sessions-first", |rel| {
        match rel.split_once("/subagents/") {
            Some((dir, f)) => {
                let (project, session) = dir.split_once('/').unwrap();
                format!("{project}/zz-{session}/subagents/{f}")
            }
            None => rel.to_string(),
        }
    });
    let orders = [
        tree(),
        subagents_first.projects(),
        sessions_first.projects(),
    ];
    for args in [
        vec!["--by", "session"],
        vec!["--by", "project,model"],
        vec![],
    ] {
        let runs: Vec<String> = orders
            .iter()
            .map(|p| {
                let out = tokenmaxx()
                    .args(["report", "--format", "json", "--quiet"])
                    .args(&args)
                    .arg(p)
                    .output()
                    .unwrap();
                assert!(out.status.success());
                // The trees differ in their paths only: drop the list of
                // inputs read, which names them.
                let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                doc["accounting"].as_object_mut().unwrap().remove("inputs");
                doc.to_string()
            })
            .collect();
        assert_eq!(runs[0], runs[1], "{args:?}: subagents first");
        assert_eq!(runs[0], runs[2], "{args:?}: sessions first");
    }
    // The orders really differ: which copy of msg_01BLOGb2 is kept changes
    // (files named explicitly are read in the order given).
    let session = tree().join(format!("-srv-blog/{SB}.jsonl"));
    let agent = tree().join(format!("-srv-blog/{SB}/subagents/agent-b04e2f.jsonl"));
    let kept = |paths: [&Path; 2]| {
        let out = tokenmaxx()
            .args(["records", "--quiet"])
            .args(paths)
            .output()
            .unwrap();
        jsonl(&out)
            .into_iter()
            .filter(|r| buckets(&r["usage"]) == [4, 6000, 500, 0, 120, 0])
            .map(|r| r["source"]["path"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let a = kept([&agent, &session]);
    let b = kept([&session, &agent]);
    assert_eq!((a.len(), b.len()), (1, 1));
    assert!(a[0].contains("agent-b04e2f"), "{a:?}");
    assert!(b[0].ends_with(&format!("/{SB}.jsonl")), "{b:?}");
    // Same for the same-requestId replay of msg_01SHOPa2.
    let a2 = |p: &Path| {
        records(&["--usage", "reported"], &[p])
            .into_iter()
            .filter(|r| buckets(&r["usage"]) == [5, 16000, 900, 0, 95, 0])
            .map(|r| r["source"]["path"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(a2(&subagents_first.projects())[0].contains("agent-a91c7e"));
    assert!(a2(&sessions_first.projects())[0].ends_with(&format!("{SA}.jsonl")));
}

#[test]
fn stream_json_result_is_not_added_to_its_assistant_lines() {
    let path = fixture("claude-code/stream-json/print-stream.jsonl");
    let r = report(&[], &[&path]);
    assert_eq!(r["totals"]["records"], 2);
    assert_eq!(buckets(&r["totals"]["usage"]), [16, 10800, 800, 0, 89, 0]);
    assert_eq!(r["totals"]["cost_usd"], "0.002541");
    // total_cost_usd of the result is ignored when the calls are logged.
    assert_eq!(r["totals"]["reported_cost_usd"], Value::Null);
    let acc = &r["accounting"];
    assert_eq!(acc["lines"], 6);
    assert_eq!(acc["merged"], 1);
    assert_eq!(acc["not_billed"]["by_reason"], json!({"context line": 3}));
    assert_accounting_closes(acc, "claude-code");
    let recs = records(&["--usage", "reported"], &[&path]);
    assert_eq!(buckets(&recs[0]["usage"]), [12, 5000, 800, 0, 64, 0]);
    assert_eq!(recs[0]["session"], "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d");
    let g = report(&["--by", "project"], &[&path]);
    assert_eq!(g["groups"][0]["key"]["project"], "/home/ana/cli");
}

#[test]
fn a_result_alone_bills_its_run() {
    let path = fixture("claude-code/stream-json/print-result.json");
    let r = report(&[], &[&path]);
    let t = &r["totals"];
    assert_eq!(t["records"], 1);
    assert_eq!(t["requests"], 3);
    assert_eq!(buckets(&t["usage"]), [9, 4000, 1200, 0, 150, 0]);
    assert_eq!(t["reported_cost_usd"], "0.0093");
    assert_eq!(t["cost_usd"], "0.007977");
    assert_eq!(t["undated_records"], 1);
    assert_accounting_closes(&r["accounting"], "claude-code");
    let recs = records(&["--usage", "reported"], &[&path]);
    assert_eq!(recs[0]["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(recs[0]["format"], "claude-code");
}

/// Older and minimal Claude Code transcripts carry `message.usage` but no
/// `type` (ccusage's transcript schema requires only `timestamp` and
/// `message.usage`); they are billed, detected or forced, in the full and
/// the lean (usage-only) path.
#[test]
fn lines_without_type_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old-session.jsonl");
    let lines = [
        json!({"timestamp":"2025-06-01T10:00:00.000Z","sessionId":"old-1","version":"1.0.3","requestId":"req_old1",
               "message":{"id":"msg_old1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":12,"output_tokens":340,"cache_creation_input_tokens":2000,"cache_read_input_tokens":8000}},
               "costUSD":0.0394}),
        json!({"timestamp":"2025-06-01T10:01:00.000Z","sessionId":"old-1","version":"1.0.3","requestId":"req_old2",
               "message":{"id":"msg_old2","model":"claude-sonnet-4-20250514","usage":{"input_tokens":5,"output_tokens":60,"cache_read_input_tokens":10000}}}),
    ];
    fs::write(
        &file,
        lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    for forced in [&[][..], &["--input-format", "claude-code"][..]] {
        let recs = records(forced, &[&file]);
        assert_eq!(recs.len(), 2, "{forced:?}");
        assert_eq!(recs[0]["format"], "claude-code");
        assert_eq!(buckets(&recs[0]["usage"]), [12, 8000, 2000, 0, 340, 0]);
        let r = report(forced, &[&file]);
        assert_eq!(r["totals"]["records"], 2, "{forced:?}");
        assert_eq!(r["totals"]["usage"]["output"], 400);
        assert_accounting_closes(&r["accounting"], "typeless");
    }
}

/// A usage-only run parses Claude Code lines lean (only the billed fields);
/// a line it does not recognize is still described by all its keys, as the
/// full parse describes it, not as "an empty object" (found by the
/// lean_vs_full fuzz target).
#[test]
fn unrecognized_lines_are_described_the_same_on_the_lean_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.jsonl");
    // The first line settles the format; the lean path reads the rest.
    std::fs::write(
        &file,
        "{\"type\":\"summary\",\"summary\":\"x\",\"leafUuid\":\"u\"}\n{\"foo\":1}\n",
    )
    .unwrap();
    for extra in [
        &[][..],
        &["--task-key", "foo"][..],
        &["--input-format", "claude-code"][..],
    ] {
        let out = tokenmaxx()
            .arg("report")
            .args(extra)
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("got an object with keys: foo"),
            "{extra:?}: {err}"
        );
    }
}
