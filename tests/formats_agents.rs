//! Coding agents beyond Claude Code and Codex, through the real binary;
//! expected values (and where they come from) in each fixture folder's
//! README.

mod common;

use std::fs;

use common::{
    assert_closes, assert_record_matches, fixture, readme_table, records, report, stdout_json,
    tokenmaxx,
};

#[test]
fn gemini_cli_keeps_the_last_copy_of_each_message() {
    let dir = fixture("gemini-cli/tmp/3c9a1f6e/chats");
    let recs = records(&[], &[&dir]);
    let want = readme_table("gemini-cli");
    assert_eq!(recs.len(), want.len(), "{recs:?}");
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "gemini-cli");
        assert_record_matches(r, w, "gemini-cli");
    }
    let rep = report(&[], &[&dir]);
    assert_closes(&rep, "gemini-cli");
    assert_eq!(rep["skipped"]["lines"], 0);
}

/// `--source gemini-cli` reads every project's chats under
/// `$GEMINI_CLI_HOME/.gemini/tmp`, and only them; a session copied into a
/// second file (a resumed legacy session) is billed once.
#[test]
fn source_gemini_cli_reads_the_chats_of_every_project() {
    let home = std::env::temp_dir().join(format!("tokenmaxx-gemini-home-{}", std::process::id()));
    let _ = fs::remove_dir_all(&home);
    let chats = home.join(".gemini/tmp/3c9a1f6e/chats");
    fs::create_dir_all(&chats).unwrap();
    for e in fs::read_dir(fixture("gemini-cli/tmp/3c9a1f6e/chats")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, chats.join(p.file_name().unwrap())).unwrap();
    }
    // The legacy session again, as the JSONL a resume writes beside it.
    let legacy: serde_json::Value = serde_json::from_slice(
        &fs::read(chats.join("session-2026-04-02T09-15-7c1d2e3f.json")).unwrap(),
    )
    .unwrap();
    let mut copy = format!(
        "{}\n",
        serde_json::json!({"sessionId": legacy["sessionId"], "projectHash": "abc123", "startTime": legacy["startTime"]})
    );
    for m in legacy["messages"].as_array().unwrap() {
        copy.push_str(&format!("{m}\n"));
    }
    fs::write(chats.join("session-2026-04-02T09-15-7c1d2e3f.jsonl"), copy).unwrap();
    // Logs without tokens elsewhere under tmp are not read.
    fs::write(
        home.join(".gemini/tmp/3c9a1f6e/logs.json"),
        "[{\"type\":\"user\"}]",
    )
    .unwrap();
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "gemini-cli"])
        .env("GEMINI_CLI_HOME", &home)
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    fs::remove_dir_all(&home).unwrap();
    assert_eq!(rep["totals"]["records"], 3, "{rep}");
    assert_eq!(rep["accounting"]["deduplicated"]["records"], 1, "{rep}");
    assert_eq!(rep["skipped"]["lines"], 0, "{rep}");
    assert_eq!(rep["totals"]["cost_usd"], "0.00835695");
}

#[test]
fn qwen_code_bills_assistant_records_once_across_branches() {
    let dir = fixture("qwen-code/projects");
    let recs = records(&[], &[&dir]);
    let want = common::readme_table("qwen-code");
    assert_eq!(recs.len(), want.len(), "{recs:?}");
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "qwen-code");
        assert_record_matches(r, w, "qwen-code");
        assert_eq!(r["project"], "/home/alice/proj");
        assert!(r["cost_usd"].is_null(), "unpriced, never zero: {r}");
    }
    let rep = report(&[], &[&dir]);
    assert_closes(&rep, "qwen-code");
    assert_eq!(rep["accounting"]["deduplicated"]["records"], 1);
    assert_eq!(rep["totals"]["unpriced_records"], 2);

    // `--source qwen-code` finds the same under QWEN_RUNTIME_DIR.
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "qwen-code"])
        .env("QWEN_RUNTIME_DIR", fixture("qwen-code"))
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 2, "{rep}");
    assert_eq!(rep["totals"]["usage"]["input"], 12828);
}

/// Amp threads: every assistant message with usage, and a partial ledger
/// neither doubles nor drops a call; `--source amp` reads
/// `$XDG_DATA_HOME/amp/threads`.
#[test]
fn amp_threads_bill_each_call_once() {
    let dir = fixture("amp/threads");
    let recs = records(&[], &[&dir]);
    let want = readme_table("amp");
    assert_eq!(recs.len(), want.len(), "{recs:?}");
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "amp");
        assert_record_matches(r, w, "amp");
    }
    let rep = report(&[], &[&dir]);
    assert_closes(&rep, "amp");
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "amp"])
        .env("XDG_DATA_HOME", fixture(""))
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 4, "{rep}");
}

/// Copilot CLI's OpenTelemetry file export: metrics and log records beside
/// the spans, and one call recorded three ways, billed once;
/// `--source copilot-cli` reads `$COPILOT_HOME/otel`.
#[test]
fn copilot_cli_otel_export_bills_each_call_once() {
    let dir = fixture("copilot-cli/otel");
    let recs = records(&[], &[&dir]);
    let want = readme_table("copilot-cli");
    assert_eq!(recs.len(), want.len(), "{recs:?}");
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "otel");
        assert_record_matches(r, w, "otel");
    }
    assert_eq!(recs[0]["timestamp"], "2026-04-11T19:04:24.967317833Z");
    let rep = report(&[], &[&dir]);
    assert_closes(&rep, "copilot");
    assert_eq!(
        rep["accounting"]["not_billed"]["by_reason"],
        serde_json::json!({"aggregate span": 1, "log record of a span": 1, "metric": 1})
    );
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "copilot-cli"])
        .env("COPILOT_HOME", fixture("copilot-cli"))
        .output()
        .unwrap();
    assert_eq!(stdout_json(&out)["totals"]["records"], 2);
}

/// OpenCode's store as it is while OpenCode runs: `opencode.db` with its
/// rows still in the write-ahead log, OpenCode 2's `opencode-next.db`, and
/// the older message files the migration left behind. A fork copy and the
/// old files' copies are billed once; `--source opencode` finds it all
/// under `$XDG_DATA_HOME/opencode`.
#[test]
fn opencode_databases_and_old_files_bill_each_call_once() {
    let data = tempfile::tempdir().unwrap();
    let store = data.path().join("opencode");
    fs::create_dir_all(&store).unwrap();
    copy_tree(&fixture("opencode/storage"), &store.join("storage"));
    // Open connections keep their log: nothing is checkpointed into the
    // database file until they close.
    let mut open = Vec::new();
    for name in ["opencode.db", "opencode-next.db"] {
        let c = rusqlite::Connection::open(store.join(name)).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")
            .unwrap();
        let sql = fs::read_to_string(fixture(&format!("opencode/{name}.sql"))).unwrap();
        c.execute_batch(&sql).unwrap();
        assert!(store.join(format!("{name}-wal")).metadata().unwrap().len() > 0);
        open.push(c);
    }
    let run = |cmd: &str| {
        tokenmaxx()
            .args([cmd, "--quiet", "--source", "opencode"])
            .args(if cmd == "report" {
                &["--format", "json"][..]
            } else {
                &[][..]
            })
            .env("XDG_DATA_HOME", data.path())
            .output()
            .unwrap()
    };
    let recs = common::jsonl(&run("records"));
    let want = readme_table("opencode");
    assert_eq!(recs.len(), want.len(), "{recs:?}");
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "opencode");
        assert_record_matches(r, w, "opencode");
        assert_eq!(r["project"], "/home/alice/proj");
    }
    assert_eq!(recs[1]["session"], "ses_4b2e9c1f7ffeQhT2mN8rK5vJ3x");
    assert_eq!(recs[1]["timestamp"], "2026-01-02T00:00:00Z");
    let rep = stdout_json(&run("report"));
    assert_closes(&rep, "opencode");
    let acc = &rep["accounting"];
    // Rows: 4 + 2; files: the 3 messages (session files are not read).
    assert_eq!(acc["lines"], 9, "{acc}");
    assert_eq!(acc["deduplicated"]["records"], 3, "{acc}");
    assert_eq!(acc["not_billed"]["by_reason"]["context line"], 3, "{acc}");
    assert_eq!(rep["skipped"]["lines"], 0, "{rep}");
    drop(open);

    // The Kilo CLI, an OpenCode fork, keeps the same store as kilo.db.
    fs::create_dir_all(data.path().join("kilo")).unwrap();
    fs::copy(store.join("opencode.db"), data.path().join("kilo/kilo.db")).unwrap();
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "kilo"])
        .env("XDG_DATA_HOME", data.path())
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 2, "{rep}");
    assert_eq!(rep["totals"]["cost_usd"], "0.01797825");
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            fs::copy(&p, dest).unwrap();
        }
    }
}

/// Pi sessions: a session started from another copies its entries, billed
/// once; an aborted request is not billed; `--source pi` reads
/// `$PI_CODING_AGENT_DIR/sessions`.
#[test]
fn pi_sessions_bill_copied_entries_once() {
    let dir = fixture("pi/sessions");
    let recs = records(&[], &[&dir]);
    let want = readme_table("pi");
    assert_eq!(recs.len(), want.len(), "{recs:?}");
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "pi");
        assert_record_matches(r, w, "pi");
        assert_eq!(r["project"], "/home/dev/myapp");
    }
    assert_eq!(recs[2]["session"], "0197c2b0-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
    let rep = report(&[], &[&dir]);
    assert_closes(&rep, "pi");
    assert_eq!(rep["accounting"]["deduplicated"]["records"], 2);
    assert_eq!(
        rep["accounting"]["not_billed"]["by_reason"]["request failed"],
        1
    );
    assert_eq!(rep["skipped"]["lines"], 0);
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "pi"])
        .env("PI_CODING_AGENT_DIR", fixture("pi"))
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 3, "{rep}");
    assert_eq!(rep["totals"]["cost_usd"], "0.0503025");
}
