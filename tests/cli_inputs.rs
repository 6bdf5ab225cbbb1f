//! Input selection: `--source` default locations, `--field` mappings.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{chat_line, jsonl, stdout_json, tokenmaxx};
use serde_json::json;

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tokenmaxx-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn source_claude_code_reads_every_config_dir_listed() {
    let root = temp("src-claude");
    let (a, b) = (root.join("a"), root.join("b"));
    write(
        &a.join("projects/-home-ana-api/s1.jsonl"),
        &(chat_line("gpt-4o", 1735689600, 100, 0, 10, "u") + "\n"),
    );
    write(
        &b.join("projects/-home-bo-web/s2.jsonl"),
        &(chat_line("gpt-4o", 1735689600, 200, 0, 20, "u") + "\n"),
    );
    // Not under projects/: not a transcript location.
    write(
        &a.join("todos/x.json"),
        &(chat_line("gpt-4o", 1735689600, 999, 0, 9, "u") + "\n"),
    );
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "claude-code"])
        .env(
            "CLAUDE_CONFIG_DIR",
            format!("{}, {}", a.display(), b.display()),
        )
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    fs::remove_dir_all(&root).unwrap();
    assert_eq!(rep["totals"]["records"], 2);
    assert_eq!(rep["totals"]["usage"]["input"], 300);
}

#[test]
fn source_codex_reads_an_archived_copy_once() {
    let home = temp("src-codex");
    let rel = "2025/10/29/rollout-2025-10-29T00-59-38-x.jsonl";
    let rollout = |id: &str, at: &str| {
        [
            json!({"timestamp":"2025-10-29T00:59:38Z","type":"session_meta","payload":{"id":id,"cwd":"/w"}}),
            json!({"timestamp":at,"type":"event_msg","payload":{"type":"token_count","info":{
                "total_token_usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":10},
                "last_token_usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":10}}}}),
        ]
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect::<String>()
    };
    write(
        &home.join("sessions").join(rel),
        &rollout("s-1", "2025-10-29T01:00:00Z"),
    );
    write(
        &home.join("archived_sessions").join(rel),
        &rollout("s-1", "2025-10-29T01:00:00Z"),
    );
    write(
        &home.join("archived_sessions/2025/10/01/rollout-old.jsonl"),
        &rollout("s-old", "2025-10-01T09:00:00Z"),
    );
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--source", "codex"])
        .env("CODEX_HOME", &home)
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    fs::remove_dir_all(&home).unwrap();
    assert_eq!(
        rep["totals"]["records"], 2,
        "the copy is billed once, the old one too"
    );
    // The copy's lines are read and accounted for: its record is a duplicate.
    assert_eq!(rep["accounting"]["lines"], 6);
    assert_eq!(rep["accounting"]["deduplicated"]["records"], 1);
}

#[test]
fn source_without_any_log_dir_is_a_clear_error() {
    let home = temp("src-none");
    let out = tokenmaxx()
        .args(["report", "--source", "codex"])
        .env("CODEX_HOME", home.join("nope"))
        .output()
        .unwrap();
    fs::remove_dir_all(&home).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--source codex") && err.contains("nope"),
        "{err}"
    );
}

#[test]
fn field_mappings_read_a_log_no_format_knows() {
    let dir = temp("fields");
    let log = dir.join("calls.jsonl");
    write(
        &log,
        concat!(
            r#"{"when":"2025-03-01T10:00:00Z","req":{"engine":"gpt-4o-mini","text":"Hello"},"meter":{"in":1000,"hit":400,"out":50},"labels":{"job":"nightly"},"app":"billing"}"#,
            "\n",
            r#"{"when":"2025-03-01T11:00:00Z","req":{"engine":"gpt-4o-mini","text":"Bye"},"meter":{"in":"200","out":"5"},"labels":{"job":"nightly"},"app":"billing"}"#,
            "\n"
        ),
    );
    let recs = jsonl(
        &tokenmaxx()
            .args([
                "records",
                "--field",
                "model=/req/engine",
                "--field",
                "prompt=req.text",
                "--field",
                "input_tokens=meter.in",
                "--field",
                "cache_read_tokens=/meter/hit",
                "--field",
                "output_tokens=meter.out",
                "--field",
                "timestamp=when",
                "--field",
                "task=labels.job",
                "--field",
                "project=app",
            ])
            .arg(&log)
            .output()
            .unwrap(),
    );
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(recs.len(), 2);
    let r = &recs[0];
    assert_eq!(r["format"], "generic");
    assert_eq!(r["model"], "gpt-4o-mini");
    assert_eq!(r["task"], "nightly");
    assert_eq!(r["timestamp"], "2025-03-01T10:00:00Z");
    assert_eq!(r["usage"]["input"], 600);
    assert_eq!(r["usage"]["cache_read"], 400);
    assert_eq!(r["usage"]["output"], 50);
    // 600 × 0.15 + 400 × 0.075 + 50 × 0.60 = 90 + 30 + 30 → $0.00015
    assert_eq!(r["cost_usd"], "0.00015");
    assert_eq!(recs[1]["usage"]["input"], 200);
}

#[test]
fn bad_field_mappings_are_usage_errors() {
    for bad in ["modle=/x", "model", "model="] {
        let out = tokenmaxx()
            .args(["report", "--field", bad, "-"])
            .write_stdin("")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn report_by_project_groups_mapped_projects() {
    let dir = temp("by-project");
    let log = dir.join("calls.jsonl");
    write(
        &log,
        concat!(
            r#"{"model":"gpt-4o-mini","input_tokens":100,"output_tokens":1,"app":"a"}"#,
            "\n",
            r#"{"model":"gpt-4o-mini","input_tokens":200,"output_tokens":2,"app":"b"}"#,
            "\n",
            r#"{"model":"gpt-4o-mini","input_tokens":300,"output_tokens":3}"#,
            "\n"
        ),
    );
    let rep = stdout_json(
        &tokenmaxx()
            .args([
                "report",
                "--format",
                "json",
                "--by",
                "project",
                "--field",
                "project=app",
            ])
            .arg(&log)
            .output()
            .unwrap(),
    );
    fs::remove_dir_all(&dir).unwrap();
    let keys: Vec<String> = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"]["project"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["(none)", "a", "b"]);
}

/// A first read that is all whitespace is not an empty input: a file that
/// opens with more blank lines than one read buffer holds, and a pipe whose
/// first chunk is blank lines, are still read, with true line numbers.
#[test]
fn leading_blank_lines_never_hide_the_records() {
    use std::io::Write;
    let line = common::chat_line("gpt-4o-mini", 1735689600, 100, 0, 10, "t");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blank-first.jsonl");
    let mut body = "\n".repeat(262_144).into_bytes();
    body.extend_from_slice(line.as_bytes());
    body.push(b'\n');
    std::fs::write(&path, &body).unwrap();
    for strict in [false, true] {
        let mut cmd = tokenmaxx();
        cmd.arg("records").arg(&path);
        if strict {
            cmd.arg("--strict");
        }
        let recs = common::jsonl(&cmd.output().unwrap());
        assert_eq!(recs.len(), 1, "strict={strict}");
        assert_eq!(recs[0]["source"]["line"], 262_145);
    }
    // Blank lines first, the record only after a pause.
    let mut child = common::spawn(&["records"], false);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n\n").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    writeln!(stdin, "{line}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let recs = common::jsonl(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["source"]["line"], 3);
    // Blank lines before a CSV or a JSON document are skipped the same way.
    let csv = dir.path().join("blank-first.csv");
    let mut body = " \n".repeat(100_000).into_bytes();
    body.extend_from_slice(b"{\"model\":\"gpt-4o-mini\",\"input_tokens\":5,\"output_tokens\":1}\n");
    std::fs::write(&csv, &body).unwrap();
    let recs = common::jsonl(&tokenmaxx().arg("records").arg(&csv).output().unwrap());
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["source"]["line"], 100_001);
}

/// A JSON array cut short, or with a trailing comma, keeps every element
/// read before the damage: each is a record, and the damage is one skipped
/// line that says where.
#[test]
fn a_cut_json_array_keeps_the_elements_before_the_cut() {
    let el = |i: u64| {
        format!(
            r#"{{"model":"gpt-4o-mini","input_tokens":{},"output_tokens":1,"timestamp":"2025-03-01T00:00:00Z"}}"#,
            i + 1
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, usize)> = vec![
        (
            "cut.json",
            format!("[{},{},{}", el(0), el(1), &el(2)[..20]),
            2,
        ),
        ("comma.json", format!("[{},]", el(0)), 1),
        (
            "long.json",
            {
                let all: Vec<String> = (0..3000).map(el).collect();
                let s = format!("[{}]", all.join(","));
                s[..s.len() - 40].to_string()
            },
            2999,
        ),
    ];
    for (name, body, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let out = tokenmaxx()
            .args(["report", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        let rep = common::stdout_json(&out);
        assert_eq!(rep["totals"]["records"], want as u64, "{name}");
        assert_eq!(rep["skipped"]["lines"], 1, "{name}");
        assert_eq!(rep["skipped"]["by_reason"]["malformed json"], 1, "{name}");
        common::assert_closes(&rep, name);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("after element {want}")),
            "{name}: {err}"
        );
    }
}

/// One NUL byte near the start of a log damages one line, not the file:
/// the line is skipped and named, the other lines are records. A file that
/// is mostly control bytes is still reported once as binary.
#[test]
fn a_nul_byte_skips_its_line_not_the_file() {
    let line = |i: u64| common::chat_line("gpt-4o-mini", 1735689600, 100 + i, 0, 10, "t");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nul.jsonl");
    let mut body = format!("{}\n", line(0)).into_bytes();
    let mut bad = line(1).into_bytes();
    bad[30] = 0;
    body.extend_from_slice(&bad);
    body.push(b'\n');
    body.extend_from_slice(format!("{}\n", line(2)).as_bytes());
    std::fs::write(&path, &body).unwrap();
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let rep = common::stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 2);
    assert_eq!(rep["skipped"]["lines"], 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nul.jsonl:2:"), "{err}");
    assert!(!err.contains("binary"), "{err}");
    // UTF-16 text: every other byte NUL. Binary, reported once.
    let utf16: Vec<u8> = line(0)
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let path = dir.path().join("utf16.jsonl");
    std::fs::write(&path, &utf16).unwrap();
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let rep = common::stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 0);
    assert_eq!(rep["skipped"]["by_reason"]["binary data"], 1);
}

/// Records of a report over `paths`, and its stderr.
fn records_of(paths: &[&Path], extra: &[&str]) -> (u64, String) {
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .args(extra)
        .args(paths)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = stdout_json(&out);
    (
        v["totals"]["records"].as_u64().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn a_directory_symlink_loop_is_walked_once() {
    let root = temp("symlink-loop");
    write(
        &root.join("a/x.jsonl"),
        &(chat_line("gpt-4o", 1735689600, 100, 0, 10, "u") + "\n"),
    );
    std::os::unix::fs::symlink(root.join("a"), root.join("a/loop")).unwrap();
    let (n, err) = records_of(&[&root], &[]);
    assert_eq!(n, 1, "{err}");
    assert!(err.contains("a symlink loop or a repeated path"), "{err}");
    // --quiet keeps the warning out; the count is the same.
    let (n, err) = records_of(&[&root], &["--quiet"]);
    assert_eq!(n, 1);
    assert!(!err.contains("warning"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_file_reached_twice_is_read_once() {
    let root = temp("same-file");
    let file = root.join("logs/x.jsonl");
    write(
        &file,
        &(chat_line("gpt-4o", 1735689600, 100, 0, 10, "u") + "\n"),
    );
    // A file symlink beside it, inside the walked directory.
    std::os::unix::fs::symlink(&file, root.join("logs/y.jsonl")).unwrap();
    let logs = root.join("logs");
    // The directory, the file inside it, and the same path twice.
    let (n, err) = records_of(&[&logs, &file, &file], &[]);
    assert_eq!(n, 1, "{err}");
    assert_eq!(err.matches("the same file as").count(), 3, "{err}");

    // `count` counts each file once too.
    let out = tokenmaxx()
        .args(["count", "--format", "json"])
        .arg(&logs)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = stdout_json(&out);
    assert_eq!(v["files"].as_array().map(Vec::len), Some(1), "{v}");
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_walked_directory_is_skipped_not_waited_on() {
    let root = temp("fifo");
    write(
        &root.join("x.jsonl"),
        &(chat_line("gpt-4o", 1735689600, 100, 0, 10, "u") + "\n"),
    );
    let fifo = root.join("pipe.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Nobody writes to the FIFO: reading it would block forever (the
    // helper's 20 s timeout fails the test).
    let (n, err) = records_of(&[&root], &[]);
    assert_eq!(n, 1);
    assert!(err.contains("pipe.jsonl: not a regular file"), "{err}");
}

/// JSONL whose first line is cut: it is skipped with its line number and
/// the rest is streamed (not held whole, as a multi-line document is).
#[test]
fn a_malformed_first_line_is_skipped_and_the_rest_streamed() {
    let mut text = String::from("{\"id\": \"cut-off\", \"usage\": {\"prompt_tok\n\n");
    for i in 0..3 {
        text.push_str(&(chat_line("gpt-4o", 1735689600 + i, 100, 0, 10, "u") + "\n"));
    }
    let out = tokenmaxx()
        .args(["records", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(out.status.success());
    let recs = jsonl(&out);
    let lines: Vec<u64> = recs
        .iter()
        .map(|r| r["source"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-:1: ") && err.contains("1 skipped"), "{err}");
}

/// A timestamp that is not a date ("month 13") is named on its line; the
/// record is kept and priced at the latest price, as an undated one is.
#[test]
fn an_invalid_timestamp_is_warned_on_its_line() {
    let root = temp("bad-ts");
    let file = root.join("x.jsonl");
    write(
        &file,
        concat!(
            r#"{"timestamp":"2025-13-45T00:00:00Z","model":"gpt-4o-mini","input_tokens":10,"output_tokens":5}"#,
            "\n",
            r#"{"timestamp":"2025-11-03T08:20:00Z","model":"gpt-4o-mini","input_tokens":10,"output_tokens":5}"#,
            "\n"
        ),
    );
    let (n, err) = records_of(&[&file], &[]);
    assert_eq!(n, 2, "{err}");
    assert!(
        err.contains(":1: timestamp \"2025-13-45T00:00:00Z\" is not a date (there is no month 13)"),
        "{err}"
    );
    assert!(!err.contains(":2:"), "{err}");
    // --strict refuses to guess the price of its day.
    let out = tokenmaxx()
        .args(["report", "--strict"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A CSV row with fewer cells than the header is not billed with zeros for
/// the missing cells: it is skipped, with its line, and counted.
#[test]
fn a_short_csv_row_is_skipped_not_billed_as_zero() {
    let root = temp("short-csv");
    let file = root.join("x.csv");
    write(
        &file,
        "timestamp,model,input_tokens,output_tokens\n\
         2025-11-03T08:20:00Z,gpt-4o-mini,10,5\n\
         2025-11-03T08:21:00Z,gpt-4o-mini,10\n\
         2025-11-03T08:22:00Z,gpt-4o-mini,10,5,extra\n",
    );
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = stdout_json(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(v["totals"]["records"], 1, "{err}");
    assert_eq!(v["skipped"]["lines"], 2, "{v}");
    assert!(
        err.contains("x.csv:3: CSV row has 3 cells, the header 4"),
        "{err}"
    );
    assert!(
        err.contains("x.csv:4: CSV row has 5 cells, the header 4"),
        "{err}"
    );
}

/// A gzip file cut short is a read error at its line, not malformed JSON,
/// whether it holds JSONL or one JSON array.
#[test]
fn a_cut_gzip_stream_is_a_read_error() {
    use std::io::Write as _;
    let root = temp("cut-gz");
    let lines: Vec<String> = (0..2000)
        .map(|i| chat_line("gpt-4o", 1735689600 + i, 100, 0, 10, "u"))
        .collect();
    for (name, text) in [
        ("x.jsonl.gz", lines.join("\n") + "\n"),
        ("x.json.gz", format!("[{}]", lines.join(","))),
    ] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        let file = root.join(name);
        fs::write(&file, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let out = tokenmaxx()
            .args(["report", "--format", "json"])
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        let v = stdout_json(&out);
        assert!(
            v["totals"]["records"].as_u64().unwrap() > 100,
            "{name}: {v}"
        );
        assert!(!err.contains("malformed"), "{name}: {err}");
        assert!(err.contains("input ends early"), "{name}: {err}");
        assert_eq!(
            v["skipped"]["by_reason"],
            json!({"read error": 1}),
            "{name}: {v}"
        );
    }
}

/// File names that are not UTF-8 stay distinct (and lossless) as groups:
/// the bytes that are not text are written as `\xNN`.
#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_stay_distinct() {
    use std::os::unix::ffi::OsStrExt;
    let root = temp("non-utf8-names");
    for (name, input) in [(&b"a\xff.jsonl"[..], 100), (&b"a\xfe.jsonl"[..], 200)] {
        write(
            &root.join(std::ffi::OsStr::from_bytes(name)),
            &(chat_line("gpt-4o", 1735689600, input, 0, 10, "u") + "\n"),
        );
    }
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--by", "file"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = stdout_json(&out);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{v}");
    let names: Vec<String> = groups
        .iter()
        .map(|g| g["key"]["file"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("a\\xff.jsonl")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with("a\\xfe.jsonl")),
        "{names:?}"
    );
}

/// An unreadable folder inside a walked one is skipped and named as
/// itself; its siblings are read. Root reads any folder, so the binary is
/// run as `nobody` when the test runs as root.
#[cfg(unix)]
#[test]
fn an_unreadable_subdirectory_is_named_and_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let root = temp("unreadable-sub");
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
    write(
        &root.join("ok/x.jsonl"),
        &(chat_line("gpt-4o", 1735689600, 100, 0, 10, "u") + "\n"),
    );
    write(
        &root.join("locked/y.jsonl"),
        &(chat_line("gpt-4o", 1735689600, 200, 0, 10, "u") + "\n"),
    );
    for d in ["ok", ""] {
        fs::set_permissions(root.join(d), fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(root.join("ok/x.jsonl"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let root_user = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let bin = assert_cmd::cargo::cargo_bin("tokenmaxx");
    let mut cmd = if root_user {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .args(["report", "--format", "json"])
        .arg(&root)
        .env("NO_COLOR", "1")
        .output()
        .expect("setpriv (util-linux) runs the binary as nobody");
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["totals"]["records"], 1, "{v}");
    let locked = root.join("locked");
    assert!(
        err.contains(&format!("{}: cannot list directory", locked.display())),
        "{err}"
    );
}

/// A gzip bomb whose one array element expands past the line limit stops
/// at the limit with its element named, without holding the element: the
/// elements before it are kept. The limit is lowered to 8 MiB
/// (`TOKENMAXX_MAX_LINE_MIB`) to keep the test fast; the bomb is 40 MiB of
/// text in ~40 KB.
#[test]
fn a_huge_array_element_stops_at_the_line_limit() {
    use std::io::Write as _;
    let root = temp("array-bomb");
    let file = root.join("bomb.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        fs::File::create(&file).unwrap(),
        flate2::Compression::best(),
    );
    let first = chat_line("gpt-4o", 1735689600, 100, 0, 10, "u");
    write!(gz, "[{first},{{\"model\":\"gpt-4o\",\"pad\":\"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..40 {
        gz.write_all(&chunk).unwrap();
    }
    write!(gz, "\"}}]").unwrap();
    gz.finish().unwrap();
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(&file)
        .env("TOKENMAXX_MAX_LINE_MIB", "8")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v = stdout_json(&out);
    assert_eq!(v["totals"]["records"], 1, "{v}");
    assert_eq!(
        v["skipped"]["by_reason"],
        json!({"line too long": 1}),
        "{v}"
    );
    assert!(
        err.contains("bomb.json.gz:2: array element exceeds the 8388608-byte line limit"),
        "{err}"
    );

    // A JSONL line over the limit is skipped alone; the next line is read.
    let jsonl = root.join("long.jsonl");
    let long = format!("{{\"pad\":\"{}\"}}", "a".repeat(9 << 20));
    write(&jsonl, &format!("{long}\n{first}\n"));
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(&jsonl)
        .env("TOKENMAXX_MAX_LINE_MIB", "8")
        .output()
        .unwrap();
    let v = stdout_json(&out);
    assert_eq!(v["totals"]["records"], 1, "{v}");
    assert_eq!(
        v["skipped"]["by_reason"],
        json!({"line too long": 1}),
        "{v}"
    );

    // A limit that is not a number of MiB is an error, not a default.
    let out = tokenmaxx()
        .args(["report"])
        .arg(&jsonl)
        .env("TOKENMAXX_MAX_LINE_MIB", "lots")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TOKENMAXX_MAX_LINE_MIB"));
}
