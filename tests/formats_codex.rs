//! Codex CLI rollouts and `codex exec --json` streams through the real
//! binary. Expected numbers were computed by hand; the totals are read from
//! the expected-results table of tests/fixtures/codex/README.md, where
//! their derivation is.

mod common;

use std::path::PathBuf;

use common::{
    Row, assert_closes, fixture, numbers, readme_table_with, reasons, records, report, stdout_json,
    tokenmaxx,
};
use serde_json::{Value, json};

const A: &str = "codex/sessions/2025/10/29/rollout-2025-10-29T09-15-02-0199f1a2-7c3e-7d10-9a44-5b6e7f801a01.jsonl";
const A_ARCHIVED: &str = "codex/archived_sessions/2025/10/29/rollout-2025-10-29T09-15-02-0199f1a2-7c3e-7d10-9a44-5b6e7f801a01.jsonl";
const B: &str = "codex/sessions/2025/10/29/rollout-2025-10-29T09-16-40-0199f1c0-1111-7a2b-8c3d-4e5f60718b02.jsonl";
const C: &str = "codex/sessions/2025/09/12/rollout-2025-09-12T08-30-00-01993d5e-2b40-7c11-8e22-90aa0b1c2c03.jsonl";
const D: &str = "codex/sessions/2025/10/30/rollout-2025-10-30T14-00-00-019a3520-0f00-7e44-9b55-3c4d5e6f7d04.jsonl";
const X: &str = "codex/exec-stream.jsonl";
const F: &str = "codex/sessions/2025/10/31/rollout-2025-10-31T10-00-00-019a3a00-5555-7f66-8a77-6b7c8d9e0f05.jsonl";

fn buckets(input: u64, cache_read: u64, cw5: u64, output: u64, reasoning: u64) -> Value {
    json!({"input": input, "cache_read": cache_read, "cache_write_5m": cw5, "cache_write_1h": 0,
           "output": output, "reasoning": reasoning, "total": input + cache_read + cw5 + output})
}

/// The README's expected results: its table with a `Lines` column.
fn expected() -> Vec<Row> {
    readme_table_with("codex", "Lines")
}

/// The row whose first cell is `label`.
fn row<'a>(rows: &'a [Row], label: &str) -> &'a Row {
    rows.iter()
        .find(|r| r["Fixture"] == label)
        .unwrap_or_else(|| panic!("no `{label}` row in codex/README.md"))
}

/// The files a row's label names: `A + A′` → [A, A′]; `whole folder` → the folder.
fn paths_of(label: &str) -> Vec<&'static str> {
    label
        .split(" + ")
        .map(|l| match l.trim().trim_end_matches(" alone") {
            "A" => A,
            "A′" => A_ARCHIVED,
            "B" => B,
            "C" => C,
            "D" => D,
            "X" => X,
            "F" => F,
            "whole folder" => "codex",
            other => panic!("codex/README.md: unknown fixture `{other}`"),
        })
        .collect()
}

/// A row's six bucket columns as a report's `usage` (`same as A`: A's).
fn usage_of(rows: &[Row], r: &Row) -> Value {
    if let Some(label) = r["input"].strip_prefix("same as ") {
        return usage_of(rows, row(rows, label));
    }
    let cols = [
        "input",
        "cache_read",
        "cache_write_5m",
        "cache_write_1h",
        "output",
        "reasoning",
    ];
    let b = cols.map(|c| numbers(&r[c])[0]);
    json!({"input": b[0], "cache_read": b[1], "cache_write_5m": b[2], "cache_write_1h": b[3],
           "output": b[4], "reasoning": b[5], "total": b[0] + b[1] + b[2] + b[3] + b[4]})
}

/// `(context line 14, …)` as the report's `by_reason` object.
fn object(by: Vec<(String, u64)>) -> Value {
    Value::Object(by.into_iter().map(|(k, n)| (k, n.into())).collect())
}

/// A report's totals and accounting are the row's: usage, records, lines,
/// and the dedup / not billed / skipped counts (with reasons where given).
fn assert_row(rep: &Value, rows: &[Row], r: &Row, what: &str) {
    assert_eq!(rep["totals"]["usage"], usage_of(rows, r), "{what}");
    assert_eq!(
        rep["totals"]["records"],
        numbers(&r["Records"])[0],
        "{what}"
    );
    let a = &rep["accounting"];
    assert_eq!(a["lines"], numbers(&r["Lines"])[0], "{what}");
    for (col, total, by) in [
        (
            "Dedup",
            &a["deduplicated"]["records"],
            &a["deduplicated"]["by_reason"],
        ),
        (
            "Not billed",
            &a["not_billed"]["lines"],
            &a["not_billed"]["by_reason"],
        ),
        ("Skipped", &a["skipped"], &rep["skipped"]["by_reason"]),
    ] {
        let (want, want_by) = reasons(&r[col]);
        assert_eq!(*total, want, "{what}: {col}");
        if let Some(want_by) = want_by {
            assert_eq!(*by, object(want_by), "{what}: {col}");
        }
    }
    assert_closes(rep, what);
}

#[test]
fn every_fixture_gives_the_hand_computed_totals() {
    let rows = expected();
    let mut checked = 0;
    for r in &rows {
        if r["Fixture"].starts_with('`') {
            continue; // `--source codex`: source_codex_reads_codex_home…
        }
        let files = paths_of(&r["Fixture"]);
        let what = files.join(" + ");
        let paths: Vec<PathBuf> = files.iter().map(|p| fixture(p)).collect();
        let rep = report(&["--usage", "reported"], &paths);
        assert_row(&rep, &rows, r, &what);
        let recs = records(&["--usage", "reported"], &paths);
        assert_eq!(recs.len() as u64, numbers(&r["Records"])[0], "{what}");
        assert!(recs.iter().all(|r| r["format"] == "codex"), "{what}");
        assert!(recs.iter().all(|r| r["provider"] == "openai"), "{what}");
        checked += 1;
    }
    assert!(checked >= 8, "the README table has {checked} fixture rows");
}

#[test]
fn re_emitted_totals_and_info_null_bill_nothing() {
    let recs = records(&[], &[fixture(A)]);
    let lines: Vec<u64> = recs
        .iter()
        .map(|r| r["source"]["line"].as_u64().unwrap())
        .collect();
    // Line 8 repeats line 7's total, line 9 is `info: null`, line 21
    // repeats line 20's total.
    assert_eq!(lines, [7, 16, 20]);
    // Dropped as re-emits, not left to the cross-file dedup.
    let rep = report(&["--usage", "reported"], &[fixture(A)]);
    assert_eq!(
        rep["accounting"]["not_billed"]["by_reason"]["repeated token count"],
        2
    );
    assert_eq!(rep["accounting"]["deduplicated"]["records"], 0);
    assert_eq!(recs[0]["usage"], buckets(1904, 4096, 0, 350, 200));
    assert_eq!(recs[0]["timestamp"], "2025-10-29T09:15:14.81Z");
    // Line 20: `last_token_usage` says 8000/7000/380; the delta of totals
    // (8500/7168/400, 256 of it a cache write) is what is billed.
    assert_eq!(recs[2]["usage"], buckets(1076, 7168, 256, 400, 180));
}

#[test]
fn the_latest_turn_context_names_the_model() {
    let recs = records(&[], &[fixture(A)]);
    let models: Vec<&str> = recs.iter().map(|r| r["model"].as_str().unwrap()).collect();
    assert_eq!(models, ["gpt-5", "gpt-5-mini", "gpt-5-mini"]);
    assert!(recs.iter().all(|r| r["priced"] == true));
    assert!(
        recs.iter()
            .all(|r| r["session"] == "0199f1a2-7c3e-7d10-9a44-5b6e7f801a01")
    );
}

#[test]
fn a_malformed_line_mid_file_is_skipped_and_the_rest_read() {
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(fixture(A))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(stderr.contains(":10: malformed JSON"), "{stderr}");
    let rep = stdout_json(&out);
    assert_eq!(rep["skipped"]["by_reason"], json!({"malformed json": 1}));
    assert_eq!(rep["totals"]["records"], 3);
}

#[test]
fn a_thread_spawn_replay_is_never_billed_to_the_child() {
    // B replays A's history re-stamped to the spawn instant; its own
    // counter restarts from zero after the replay.
    let recs = records(&[], &[fixture(B)]);
    let lines: Vec<u64> = recs
        .iter()
        .map(|r| r["source"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [13, 14]);
    assert_eq!(recs[0]["usage"], buckets(1976, 1024, 0, 120, 64));
    assert_eq!(recs[1]["usage"], buckets(152, 2048, 0, 140, 76));
    assert!(
        recs.iter()
            .all(|r| r["session"] == "0199f1c0-1111-7a2b-8c3d-4e5f60718b02"),
        "the child's session, not the replayed parent's"
    );
    assert_eq!(recs[0]["model"], "gpt-5-mini");

    // D replays E's history with the original timestamps; its counter
    // continues from E's total, so the child bills only its own increments.
    let recs = records(&["--usage", "counted"], &[fixture(D)]);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["source"]["line"], 10);
    assert_eq!(recs[1]["source"]["line"], 12);
    // The UUIDv7 turn_id on line 8 ends the replay inside the burst window,
    // so the child's first prompt (line 9) is the record's text.
    assert!(recs[0]["counted"]["prompt"].as_u64().unwrap() > 0);
    let recs = records(&["--usage", "reported"], &[fixture(D)]);
    assert_eq!(recs[0]["usage"], buckets(1476, 1024, 0, 150, 80));
    assert_eq!(recs[1]["usage"], buckets(1152, 2048, 0, 150, 70));
}

#[test]
fn a_session_without_turn_context_stays_unpriced() {
    let recs = records(&[], &[fixture(C)]);
    assert_eq!(recs.len(), 2);
    for r in &recs {
        assert_eq!(r["model"], Value::Null, "no gpt-5 guess");
        assert_eq!(r["priced"], false);
        assert_eq!(r["unpriced_reason"], "no model in the log");
    }
    assert_eq!(recs[1]["usage"], buckets(164, 1536, 0, 60, 32));
}

#[test]
fn an_archived_copy_is_deduplicated_in_either_order() {
    let rows = expected();
    for order in [[A, A_ARCHIVED], [A_ARCHIVED, A]] {
        let paths: Vec<PathBuf> = order.iter().map(|p| fixture(p)).collect();
        let rep = report(&["--usage", "reported"], &paths);
        assert_row(&rep, &rows, row(&rows, "A + A′"), &order.join(" + "));
    }
}

#[test]
fn exec_stream_turns_are_records_without_time_or_model() {
    let recs = records(&[], &[fixture(X)]);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["usage"], buckets(1560, 3840, 0, 210, 0));
    // `turn.completed.usage` is cumulative per thread: the resumed run
    // bills its increment.
    assert_eq!(recs[1]["usage"], buckets(1280, 5120, 0, 120, 0));
    for r in &recs {
        assert_eq!(r["session"], "0199f2d4-5e6f-7a80-b1c2-d3e4f5a6b707");
        assert_eq!(r["timestamp"], Value::Null);
        assert_eq!(r["model"], Value::Null);
        assert_eq!(r["unpriced_reason"], "no model in the log");
    }
}

#[test]
fn by_project_and_by_session() {
    let rep = report(
        &["--usage", "reported", "--by", "project"],
        &[fixture("codex")],
    );
    let groups: Vec<(Value, u64, u64)> = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["project"].clone(),
                g["records"].as_u64().unwrap(),
                g["usage"]["total"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = |p: &str, n: u64, t: u64| (json!(p), n, t);
    assert_eq!(
        groups,
        [
            want("(none)", 2, 12130),
            want("/home/dev/billing", 2, 6000),
            want("/home/dev/notes-app", 2, 4250),
            // A's 3, B's 2, and F's own turn (7,200 tokens; its copies of
            // A's lines are duplicates).
            want("/home/dev/shop-api", 6, 36960),
        ]
    );

    let rep = report(
        &["--usage", "reported", "--by", "session"],
        &[fixture("codex")],
    );
    let sessions: Vec<(String, u64)> = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["session"].as_str().unwrap().to_string(),
                g["records"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            ("01993d5e-2b40-7c11-8e22-90aa0b1c2c03".to_string(), 2),
            ("0199f1a2-7c3e-7d10-9a44-5b6e7f801a01".to_string(), 3),
            ("0199f1c0-1111-7a2b-8c3d-4e5f60718b02".to_string(), 2),
            ("0199f2d4-5e6f-7a80-b1c2-d3e4f5a6b707".to_string(), 2),
            ("019a3520-0f00-7e44-9b55-3c4d5e6f7d04".to_string(), 2),
            ("019a3a00-5555-7f66-8a77-6b7c8d9e0f05".to_string(), 1),
        ]
    );
}

#[test]
fn source_codex_reads_codex_home_and_accounts_for_the_archived_copy() {
    let out = tokenmaxx()
        .env("CODEX_HOME", fixture("codex"))
        .args([
            "report", "--source", "codex", "--format", "json", "--usage", "reported", "--quiet",
        ])
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    let rows = expected();
    let r = rows
        .iter()
        .find(|r| r["Fixture"].starts_with("`--source codex`"))
        .expect("a `--source codex` row in codex/README.md");
    assert_row(&rep, &rows, r, "--source codex");
}

#[test]
fn output_is_identical_for_one_and_two_threads() {
    let run = |threads: &str, cmd: &[&str]| {
        tokenmaxx()
            .args(cmd)
            .args(["--threads", threads])
            .arg(fixture("codex"))
            .output()
            .unwrap()
    };
    for cmd in [
        &["records"][..],
        &["report", "--by", "session,model", "--format", "json"][..],
        &["report", "--by", "project"][..],
    ] {
        let one = run("1", cmd);
        let two = run("2", cmd);
        assert!(one.status.success(), "{cmd:?}");
        assert_eq!(one.stdout, two.stdout, "{cmd:?}");
        assert_eq!(one.stderr, two.stderr, "{cmd:?}");
    }
}
