//! End-to-end tests of the binary: exit codes, containers, bad input,
//! determinism, exact money. Format-specific behaviour is in tests/formats.rs.

mod common;

use std::io::{Read, Write};

use common::{chat_line, jsonl, stdout_json, tokenmaxx};
use rust_decimal::Decimal;
use serde_json::json;

const JAN_1_2025: i64 = 1735689600;

fn write(dir: &tempfile::TempDir, name: &str, body: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn gpt4o_cost_matches_hand_computation() {
    // 156 uncached × $2.50 + 1024 cached × $1.25 + 9 output × $10, per 1M
    // = 0.00039 + 0.00128 + 0.00009 = 0.00176 (gpt-4o-2024-08-06 list price).
    let line = chat_line("gpt-4o-2024-08-06", JAN_1_2025, 1180, 1024, 9, "task-17");
    let out = tokenmaxx()
        .arg("records")
        .write_stdin(line)
        .output()
        .unwrap();
    let recs = jsonl(&out);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["usage"]["input"], 156);
    assert_eq!(r["usage"]["cache_read"], 1024);
    assert_eq!(r["usage"]["output"], 9);
    assert_eq!(r["cost_usd"], "0.00176");
    assert_eq!(
        r["cost_breakdown"],
        json!({"input": "0.00039", "cache_read": "0.00128", "output": "0.00009"})
    );
    assert_eq!(r["task"], "task-17");
    assert_eq!(r["timestamp"], "2025-01-01T00:00:00Z");
    assert_eq!(r["priced"], true);
    assert_eq!(r["usage_source"], "reported");
    assert_eq!(r["counted"], serde_json::Value::Null);
    assert_eq!(r["source"], json!({"path": "-", "line": 1}));
}

#[test]
fn alias_is_priced_at_the_price_of_its_day() {
    // gpt-4o cost $5/$15 before the alias moved to the 2024-08-06 snapshot.
    let may = chat_line("gpt-4o", 1717200000, 1000, 0, 100, "t"); // 2024-06-01
    let jan = chat_line("gpt-4o", JAN_1_2025, 1000, 0, 100, "t");
    let out = tokenmaxx()
        .arg("records")
        .write_stdin(format!("{may}\n{jan}\n"))
        .output()
        .unwrap();
    let recs = jsonl(&out);
    // 1000×5 + 100×15 = 6500 → 0.0065 ; 1000×2.5 + 100×10 = 3500 → 0.0035
    assert_eq!(recs[0]["cost_usd"], "0.0065");
    assert_eq!(recs[1]["cost_usd"], "0.0035");
    assert_eq!(recs[0]["price"]["effective_from"], "2024-05-13");
}

#[test]
fn unknown_model_is_unpriced_never_zero() {
    let lines = format!(
        "{}\n{}\n",
        chat_line("gpt-4o-mini", JAN_1_2025, 1000, 0, 10, "a"),
        chat_line("made-up-model-9", JAN_1_2025, 1000, 0, 10, "a")
    );
    let out = tokenmaxx()
        .args(["records"])
        .write_stdin(lines.clone())
        .output()
        .unwrap();
    let recs = jsonl(&out);
    assert_eq!(recs[1]["priced"], false);
    assert_eq!(recs[1]["cost_usd"], serde_json::Value::Null);
    assert!(
        recs[1]["unpriced_reason"]
            .as_str()
            .unwrap()
            .contains("unknown model")
    );

    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .write_stdin(lines)
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 2);
    assert_eq!(rep["totals"]["unpriced_records"], 1);
    assert_eq!(rep["totals"]["unpriced_models"], json!(["made-up-model-9"]));
    // 1000×0.15 + 10×0.60 = 156 → 0.000156, the priced record only.
    assert_eq!(rep["totals"]["cost_usd"], "0.000156");
    let g = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"]["model"] == "made-up-model-9")
        .unwrap();
    assert_eq!(g["cost_usd"], serde_json::Value::Null);

    let out = tokenmaxx()
        .args(["report"])
        .write_stdin(format!(
            "{}\n",
            chat_line("made-up-model-9", JAN_1_2025, 1, 0, 1, "a")
        ))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("unpriced"), "{text}");
    assert!(text.contains("exclude 1 unpriced record"), "{text}");
}

/// Totals must equal the sum of the records' costs to the last digit.
#[test]
fn totals_equal_sum_of_parts_exactly() {
    let mut body = String::new();
    let models = [
        "gpt-4o",
        "gpt-4o-mini",
        "o1",
        "gpt-4o-2024-05-13",
        "claude-3-5-sonnet-20241022",
    ];
    for i in 0..500u64 {
        let m = models[(i % 5) as usize];
        let ts = JAN_1_2025 + (i as i64) * 3607;
        body.push_str(&chat_line(
            m,
            ts,
            100 + i * 37 % 9000,
            (i * 13) % 64 * 16,
            1 + i * 7 % 997,
            &format!("t{}", i % 23),
        ));
        body.push('\n');
    }
    let recs = jsonl(
        &tokenmaxx()
            .arg("records")
            .write_stdin(body.clone())
            .output()
            .unwrap(),
    );
    let sum: Decimal = recs
        .iter()
        .map(|r| r["cost_usd"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum();
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--by", "model,day", "--format", "json"])
            .write_stdin(body)
            .output()
            .unwrap(),
    );
    let total: Decimal = rep["totals"]["cost_usd"].as_str().unwrap().parse().unwrap();
    assert_eq!(sum, total);
    let groups: Decimal = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["cost_usd"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(groups, total);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let mut body = String::new();
    for i in 0..3000u64 {
        body.push_str(&chat_line(
            ["gpt-4o", "o3", "mystery"][(i % 3) as usize],
            JAN_1_2025 + i as i64 * 60,
            50 + i,
            0,
            1 + i % 50,
            &format!("t{}", i % 7),
        ));
        body.push('\n');
        if i % 500 == 7 {
            body.push_str("{broken\n");
        }
    }
    let run = |threads: &str, cmd: &[&str]| {
        let mut c = tokenmaxx();
        c.args(cmd)
            .args(["--threads", threads])
            .write_stdin(body.clone());
        c.output().unwrap()
    };
    for cmd in [
        &["records"][..],
        &["report", "--by", "task,day", "--format", "json"][..],
        &["report", "--format", "csv"][..],
    ] {
        let one = run("1", cmd);
        let two = run("2", cmd);
        let four = run("4", cmd);
        assert!(one.status.success());
        assert_eq!(one.stdout, two.stdout, "{cmd:?}");
        assert_eq!(one.stdout, four.stdout, "{cmd:?}");
        assert_eq!(one.stderr, two.stderr, "{cmd:?}");
    }
}

#[test]
fn malformed_line_is_reported_and_the_rest_processed() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}\n{{\"model\": \"gpt-4o\", \"usage\": \n{}\n",
        chat_line("gpt-4o", JAN_1_2025, 10, 0, 1, "a"),
        chat_line("gpt-4o", JAN_1_2025, 20, 0, 2, "a")
    );
    let p = write(&dir, "calls.jsonl", body.as_bytes());
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(
        stderr.contains(&format!("{}:2: malformed JSON", p.display())),
        "{stderr}"
    );
    let rep = stdout_json(&out);
    assert_eq!(rep["totals"]["records"], 2);
    assert_eq!(
        rep["skipped"],
        json!({"lines": 1, "by_reason": {"malformed json": 1}})
    );

    let out = tokenmaxx()
        .args(["report", "--strict"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(":2:"), "{stderr}");
}

#[test]
fn gzip_zstd_array_and_document_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    let a = chat_line("gpt-4o", JAN_1_2025, 100, 0, 10, "a");
    let b = chat_line("o3", JAN_1_2025, 200, 0, 20, "b");
    let plain = format!("{a}\n{b}\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain.as_bytes()).unwrap();
    let files = [
        write(&dir, "plain.jsonl", plain.as_bytes()),
        // named .json on purpose: detection is by content, not by name
        write(&dir, "packed.json", &gz.finish().unwrap()),
        write(
            &dir,
            "packed.zst",
            &zstd::stream::encode_all(plain.as_bytes(), 3).unwrap(),
        ),
        write(
            &dir,
            "array.json",
            format!("[\n  {a},\n  {b}\n]\n").as_bytes(),
        ),
        write(
            &dir,
            "crlf.jsonl",
            format!("\u{feff}{a}\r\n\r\n{b}\r\n").as_bytes(),
        ),
    ];
    let reference = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json"])
            .arg(&files[0])
            .output()
            .unwrap(),
    );
    for f in &files[1..] {
        let rep = stdout_json(
            &tokenmaxx()
                .args(["report", "--format", "json"])
                .arg(f)
                .output()
                .unwrap(),
        );
        assert_eq!(rep["totals"], reference["totals"], "{}", f.display());
    }
    // A pretty-printed single object is one record.
    let doc = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&a).unwrap())
        .unwrap();
    let p = write(&dir, "one.json", doc.as_bytes());
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json"])
            .arg(&p)
            .output()
            .unwrap(),
    );
    assert_eq!(rep["totals"]["records"], 1);
    // The directory holds all of them.
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert_eq!(rep["totals"]["records"], 11);
}

#[test]
fn garbage_empty_and_invalid_utf8_never_crash() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "empty.jsonl", b"");
    write(&dir, "blank.jsonl", b"\n\n  \n");
    let mut garbage = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        garbage.push((x >> 16) as u8);
    }
    write(&dir, "garbage.log", &garbage);
    write(
        &dir,
        "latin1.jsonl",
        b"{\"model\":\"gpt-4o\",\"prompt\":\"caf\xe9\"}\n",
    );
    write(
        &dir,
        "truncated.jsonl",
        &chat_line("gpt-4o", JAN_1_2025, 1, 0, 1, "a").as_bytes()[..80],
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        chat_line("gpt-4o", JAN_1_2025, 1, 0, 1, "a")
            .repeat(50)
            .as_bytes(),
    )
    .unwrap();
    let gz = gz.finish().unwrap();
    write(&dir, "cut.jsonl.gz", &gz[..gz.len() / 2]);
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rep["skipped"]["lines"].as_u64().unwrap() >= 3, "{rep}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("latin1.jsonl:1:"), "{stderr}");
    assert!(stderr.contains("truncated.jsonl:1:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn hundred_megabyte_line_is_processed() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(100 * 1024 * 1024);
    let line = format!(
        r#"{{"object":"chat.completion","created":{JAN_1_2025},"model":"gpt-4o","choices":[{{"message":{{"role":"assistant","content":"{big}"}}}}],"usage":{{"prompt_tokens":5,"completion_tokens":7}}}}"#
    );
    drop(big);
    let p = write(
        &dir,
        "big.jsonl",
        format!(
            "{line}\n{}\n",
            chat_line("gpt-4o", JAN_1_2025, 1, 0, 1, "a")
        )
        .as_bytes(),
    );
    drop(line);
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json"])
            .arg(&p)
            .output()
            .unwrap(),
    );
    assert_eq!(rep["totals"]["records"], 2);
    assert_eq!(rep["totals"]["usage"]["output"], 8);
}

#[test]
fn closed_pipe_ends_quietly() {
    let mut body = String::new();
    for i in 0..20000 {
        body.push_str(&chat_line("gpt-4o", JAN_1_2025 + i, 10, 0, 1, "a"));
        body.push('\n');
    }
    let mut child = common::spawn(&["records"], true);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(body.as_bytes());
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -c 64`
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn since_until_and_time_zone() {
    let lines = [
        chat_line("gpt-4o", 1735689599, 1, 0, 1, "a"), // 2024-12-31T23:59:59Z
        chat_line("gpt-4o", JAN_1_2025, 1, 0, 1, "a"), // 2025-01-01T00:00:00Z
        chat_line("gpt-4o", 1735776000, 1, 0, 1, "a"), // 2025-01-02T00:00:00Z
    ]
    .join("\n");
    let rep = stdout_json(
        &tokenmaxx()
            .args([
                "report",
                "--by",
                "day",
                "--format",
                "json",
                "--since",
                "2025-01-01",
                "--until",
                "20250101",
            ])
            .write_stdin(lines.clone())
            .output()
            .unwrap(),
    );
    assert_eq!(rep["totals"]["records"], 1);
    assert_eq!(rep["filtered_records"], 2);
    // In Oslo (UTC+1) the first record falls on 2025-01-01 too.
    let rep = stdout_json(
        &tokenmaxx()
            .args([
                "report",
                "--by",
                "day",
                "--format",
                "json",
                "--tz",
                "Europe/Oslo",
            ])
            .write_stdin(lines)
            .output()
            .unwrap(),
    );
    let days: Vec<&str> = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"]["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2025-01-01", "2025-01-02"]);
    let out = tokenmaxx()
        .args(["report", "--tz", "Mars/Olympus"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn pricing_overlay_prices_a_private_model() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = write(
        &dir,
        "mine.toml",
        br#"
[[model]]
id = "acme-large"
provider = "acme"
names = ["acme-large"]
tokenizer = "cl100k_base"

[[model.price]]
from = "2024-01-01"
input = "1.00"
output = "2.00"
source = "https://acme.example/contract-2024"
checked = "2026-11-27"
"#,
    );
    let line = chat_line("acme-large", JAN_1_2025, 1000, 0, 1000, "a");
    let recs = jsonl(
        &tokenmaxx()
            .arg("records")
            .arg("--pricing")
            .arg(&overlay)
            .write_stdin(line.clone())
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["cost_usd"], "0.003");
    let recs = jsonl(
        &tokenmaxx()
            .arg("records")
            .env("TOKENMAXX_PRICING", &overlay)
            .write_stdin(line)
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["cost_usd"], "0.003");

    let bad = write(&dir, "bad.toml", b"[[model]]\nid = 3\n");
    let out = tokenmaxx()
        .arg("prices")
        .arg("--pricing")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
}

/// Overlays are written by people: plain numbers are exact prices, and an
/// empty TOKENMAXX_PRICING (a shell's setting turned off) means no overlay.
#[test]
fn overlays_take_plain_numbers_and_an_empty_variable_means_none() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = write(
        &dir,
        "plain.toml",
        b"[[model]]\nid = \"acme-large\"\nprovider = \"acme\"\n[[model.price]]\nfrom = 2024-01-01\ninput = 1.0\noutput = 2.0\n",
    );
    let line = chat_line("acme-large", JAN_1_2025, 1000, 0, 1000, "a");
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--pricing"])
            .arg(&overlay)
            .write_stdin(line.clone())
            .output()
            .unwrap(),
    );
    // 1000 × $1/M + 1000 × $2/M, exactly.
    assert_eq!(recs[0]["cost_usd"], "0.003");
    for empty in ["", ":"] {
        let out = tokenmaxx()
            .arg("records")
            .env("TOKENMAXX_PRICING", empty)
            .write_stdin(line.clone())
            .output()
            .unwrap();
        let recs = jsonl(&out);
        assert_eq!(recs[0]["priced"], false, "TOKENMAXX_PRICING={empty:?}");
    }
    // A flag value is one path, even with a colon in it.
    let colon = write(&dir, "a:b.toml", &std::fs::read(&overlay).unwrap());
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--pricing"])
            .arg(&colon)
            .write_stdin(line.clone())
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["cost_usd"], "0.003");
    let negative = write(
        &dir,
        "negative.toml",
        b"[[model]]\nid = \"acme-large\"\nprovider = \"acme\"\n[[model.price]]\nfrom = 2024-01-01\ninput = -1\noutput = 2\n",
    );
    let out = tokenmaxx()
        .args(["prices", "--pricing"])
        .arg(&negative)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("negative.toml: model `acme-large` row 1: `input` is negative (-1)"),
        "{err}"
    );
}

#[test]
fn an_unknown_model_gets_close_names() {
    let out = tokenmaxx().args(["prices", "gpt-4oo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown model `gpt-4oo`"), "{err}");
    assert!(
        err.contains("did you mean") && err.contains("gpt-4o"),
        "{err}"
    );
    let out = tokenmaxx()
        .args(["prices", "claude-sonet-4-5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did you mean") && err.contains("claude-sonnet-4-5"),
        "{err}"
    );
    // Nothing close: no guess.
    let out = tokenmaxx()
        .args(["prices", "zzzzzzzzzzzz"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("did you mean"));
}

#[test]
fn counted_usage_tokenizes_on_request_only() {
    let line = r#"{"created":1735689600,"model":"gpt-4o-2024-08-06","messages":[{"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},{"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}]}"#;
    // A request alone has no reported usage: it is counted automatically.
    let recs = jsonl(
        &tokenmaxx()
            .arg("records")
            .write_stdin(line)
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["usage_source"], "counted");
    assert_eq!(recs[0]["counted"]["tokenizer"], "o200k_base");
    assert_eq!(recs[0]["counted"]["exact"], true);
    // 2 messages: (3 + role + content) each, + 3 priming.
    let input = recs[0]["usage"]["input"].as_u64().unwrap();
    assert!(input > 30 && input < 60, "{input}");
    // A response with usage is not tokenized unless asked.
    let resp = chat_line("gpt-4o", JAN_1_2025, 100, 0, 10, "a");
    let recs = jsonl(
        &tokenmaxx()
            .arg("records")
            .write_stdin(resp.clone())
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["counted"], serde_json::Value::Null);
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--usage", "counted"])
            .write_stdin(resp)
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["usage_source"], "counted");
    assert_eq!(recs[0]["counted"]["response"], 1); // "ok"
    assert_eq!(recs[0]["counted"]["prompt"], serde_json::Value::Null);
    assert_eq!(recs[0]["usage"]["input"], 100); // no prompt text: reported figure kept
}

#[test]
fn count_files_and_stdin() {
    let out = tokenmaxx()
        .args(["count", "--encoding", "cl100k_base", "--format", "json"])
        .write_stdin("hello world")
        .output()
        .unwrap();
    let v = stdout_json(&out);
    assert_eq!(v["total_tokens"], 2);
    assert_eq!(v["tokenizer"], "cl100k_base");
    assert_eq!(v["files"], json!([{"path": "-", "bytes": 11, "tokens": 2}]));
    assert_eq!(v["schema_version"], 1);

    let dir = tempfile::tempdir().unwrap();
    write(&dir, "a.md", b"tiktoken is great!");
    write(&dir, "b.md", "<|endoftext|>".as_bytes());
    let v = stdout_json(
        &tokenmaxx()
            .args(["count", "--model", "gpt-3.5-turbo", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert_eq!(v["total_tokens"], 6 + 7);

    let out = tokenmaxx()
        .args(["count", "--max-tokens", "5", "--encoding", "cl100k_base"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a.md: 6 tokens, over the limit of 5"));
    let out = tokenmaxx()
        .args(["count", "--max-tokens", "7"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    let out = tokenmaxx()
        .args(["count", "--model", "no-such-model"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown model `no-such-model`"));

    // Claude has no public tokenizer: the count says it is approximate.
    let v = stdout_json(
        &tokenmaxx()
            .args(["count", "--model", "claude-sonnet-4-5", "--format", "json"])
            .write_stdin("hi")
            .output()
            .unwrap(),
    );
    assert_eq!(v["tokenizer"], "approx:o200k_base");
    assert_eq!(v["exact"], false);
}

#[test]
fn count_survives_a_megabyte_of_whitespace() {
    for enc in ["o200k_base", "cl100k_base", "p50k_base", "r50k_base"] {
        let out = tokenmaxx()
            .args(["count", "--encoding", enc])
            .write_stdin(" ".repeat(1_000_000) + "x")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{enc}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn prices_show_resolve_and_check() {
    let out = tokenmaxx().args(["prices", "check"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = stdout_json(
        &tokenmaxx()
            .args(["prices", "o3", "--at", "2025-05-01", "--format", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["in_effect"]["input"], "10");
    assert_eq!(v["in_effect"]["output"], "40");
    let v = stdout_json(
        &tokenmaxx()
            .args([
                "prices",
                "o3-2025-04-16",
                "--at",
                "2025-06-10",
                "--format",
                "json",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(v["in_effect"]["input"], "2");
    assert!(
        v["in_effect"]["source"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let out = tokenmaxx().args(["prices", "nope-1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tokenmaxx().args(["prices"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("claude-sonnet-4-5"));
}

#[test]
fn bad_cli_use_exits_2() {
    for args in [
        &["report", "--by", "colour"][..],
        &["report", "--input-format", "xml"][..],
        &["nonsense"][..],
        &["report", "/no/such/path"][..],
    ] {
        let out = tokenmaxx().args(args).write_stdin("").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// `tail -f log | tokenmaxx records`: a record comes out while stdin is
/// still open, not after a full batch or end of input.
#[test]
fn records_stream_from_a_live_pipe() {
    use std::io::BufRead;
    let mut child = common::spawn(&["records"], false);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        "{}",
        chat_line("gpt-4o", JAN_1_2025, 10, 0, 1, "live")
    )
    .unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(20));
    drop(stdin);
    let _ = child.wait();
    let line = line.expect("no record while stdin was open");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["task"], "live");
}

/// Nothing read costs exactly $0; it is not "unpriced".
#[test]
fn empty_input_costs_zero() {
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json"])
            .write_stdin("")
            .output()
            .unwrap(),
    );
    assert_eq!(rep["totals"]["records"], 0);
    assert_eq!(rep["totals"]["cost_usd"], "0");
    let out = tokenmaxx()
        .args(["report"])
        .write_stdin("")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("unpriced"), "{text}");
    assert!(text.contains("$0.0000"), "{text}");
}

/// Without a task field the conversation is the task; `--task-key` decides
/// alone when given.
#[test]
fn conversation_is_the_task_when_none_is_logged() {
    let line = r#"{"object":"chat.completion","created":1735689600,"model":"gpt-4o","metadata":{"session_id":"conv-9","ticket":"T-1"},"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
    let recs = jsonl(
        &tokenmaxx()
            .arg("records")
            .write_stdin(line)
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["session"], "conv-9");
    assert_eq!(recs[0]["task"], "conv-9");
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--task-key", "/metadata/ticket"])
            .write_stdin(line)
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["task"], "T-1");
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--task-key", "metadata.missing"])
            .write_stdin(line)
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["task"], serde_json::Value::Null);
}

#[test]
fn records_csv_rows_match_the_header_and_new_columns_come_last() {
    let out = tokenmaxx()
        .args(["records", "--format", "csv", "--quiet"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/logs"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    // v0.1's columns keep their positions; later ones are appended.
    assert_eq!(header[..3], ["path", "line", "format"]);
    assert_eq!(header[header.len() - 2..], ["project", "requests"]);
    for row in rdr.records() {
        assert_eq!(row.unwrap().len(), header.len());
    }
}

/// `--compact` keeps the columns that always stay (keys, records, input,
/// output, cost) and says what it hid; `--wide` and a pipe keep them all.
#[test]
fn compact_and_wide_tables() {
    let run = |extra: &[&str]| {
        let out = tokenmaxx()
            .args([
                "report",
                "examples/logs/anthropic-messages.jsonl",
                "--by",
                "day,model",
            ])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let compact = run(&["--compact"]);
    let header = compact.lines().nth(1).unwrap();
    for kept in ["Day", "Model", "Records", "Input", "Output", "Cost (USD)"] {
        assert!(header.contains(kept), "{kept}: {header}");
    }
    assert!(!header.contains("Cache read"), "{header}");
    assert!(compact.contains("Hidden (--compact): "), "{compact}");
    for full in [run(&["--wide"]), run(&[])] {
        assert!(full.lines().nth(1).unwrap().contains("Cache read"));
        assert!(!full.contains("Hidden"));
    }
    let out = tokenmaxx()
        .args(["report", "--compact", "--wide", "examples/logs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `count dir/` skips a binary file it finds (an image beside the prompts)
/// with a warning and counts the rest; a binary file named alone is an
/// error.
#[test]
fn count_skips_binary_files_found_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), "hello world").unwrap();
    std::fs::write(
        dir.path().join("logo.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .unwrap();
    let out = tokenmaxx()
        .args(["count", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["total_tokens"], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("logo.png: a binary file") && err.contains("skipped"),
        "{err}"
    );
    let out = tokenmaxx()
        .arg("count")
        .arg(dir.path().join("logo.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Files read whole have a size cap, and reports are parsed as they are
/// read: an endless input stops with the path and exit 2 instead of
/// growing until the machine runs out of memory.
#[cfg(unix)]
#[test]
fn endless_inputs_stop_with_a_clear_error() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["prices", "gpt-4o", "--pricing", "/dev/zero"],
            "too large for a price table",
        ),
        (&["count", "/dev/zero"], "too large for one text to count"),
        (&["merge", "/dev/zero"], "not a tokenmaxx report"),
        (
            &["check", "examples/ci/eval-runs", "--budget", "/dev/zero"],
            "too large for a budget file",
        ),
    ];
    for (args, want) in cases {
        let out = tokenmaxx()
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("/dev/zero") && err.contains(want),
            "{args:?}: {err}"
        );
    }
}

/// `--help` offers only what a command uses, and says what each option does.
#[test]
fn help_lists_only_options_that_do_something() {
    let help = |args: &[&str]| {
        let out = tokenmaxx().args(args).arg("--help").output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    for cmd in ["prices", "tokenizers"] {
        let h = help(&[cmd]);
        assert!(
            !h.contains("--threads") && !h.contains("--quiet"),
            "{cmd}: {h}"
        );
        assert!(h.contains("--pricing"), "{cmd}: {h}");
    }
    for cmd in ["check", "count", "prices"] {
        let h = help(&[cmd]);
        let mut lines = h
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("--format"));
        let first = lines.next().unwrap_or("");
        // Short help puts the description beside the option, long help under it.
        let beside = first.split_once("<FORMAT>").map_or("", |(_, r)| r.trim());
        let under = lines.next().unwrap_or("").trim();
        let described = (!beside.is_empty() && !beside.starts_with('['))
            || (!under.is_empty() && !under.starts_with('-') && !under.starts_with('['));
        assert!(described, "{cmd}: --format has no description:\n{h}");
    }
}

/// Report CSV rows are all groups (their sums are the totals); the TOTAL
/// row is opt-in.
#[test]
fn csv_rows_are_groups_and_the_total_row_is_opt_in() {
    let csv = |extra: &[&str]| {
        let out = tokenmaxx()
            .args([
                "report",
                "examples/logs/anthropic-messages.jsonl",
                "--by",
                "model",
                "--format",
                "csv",
            ])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = csv(&[]);
    assert!(!plain.contains("TOTAL"), "{plain}");
    let with = csv(&["--csv-total-row"]);
    assert_eq!(
        with.lines().last().unwrap().split(',').next(),
        Some("TOTAL")
    );
    assert_eq!(with.lines().count(), plain.lines().count() + 1);
}

/// Azure OpenAI logs name deployments, which no log can map to a model:
/// `--model-map NAME=MODEL`, or `[model_map]` in a --pricing file, says
/// what a deployment runs. 100,000 input + 10,000 output of
/// gpt-4o-2024-08-06 = 0.25 + 0.10 = $0.35.
#[test]
fn model_map_prices_deployment_names() {
    let line = common::chat_line("support-prod", 1761991200, 100_000, 0, 10_000, "u") + "\n";
    let cost = |args: &[&str]| {
        let out = tokenmaxx()
            .args(["records", "--input-format", "openai-chat"])
            .args(args)
            .arg("-")
            .write_stdin(line.clone())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let recs = common::jsonl(&out);
        (recs[0]["model"].clone(), recs[0]["cost_usd"].clone())
    };
    assert_eq!(cost(&[]).1, serde_json::Value::Null);
    let (model, usd) = cost(&["--model-map", "support-prod=gpt-4o-2024-08-06"]);
    assert_eq!(
        (model.as_str(), usd.as_str()),
        (Some("support-prod"), Some("0.35"))
    );

    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("azure.toml");
    std::fs::write(
        &overlay,
        "[model_map]\n\"support-prod\" = \"gpt-4o-2024-08-06\"\n",
    )
    .unwrap();
    assert_eq!(cost(&["--pricing", overlay.to_str().unwrap()]).1, "0.35");

    let out = tokenmaxx()
        .args(["records", "--model-map", "nonsense", "-"])
        .write_stdin(line)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Man pages keep the examples line for line, say what the exit statuses
/// mean and which environment variables count, and `man --dir` writes one
/// page per command.
#[test]
fn man_pages_have_examples_exit_status_and_environment() {
    let out = tokenmaxx().args(["man", "report"]).output().unwrap();
    let page = String::from_utf8(out.stdout).unwrap();
    let examples = page.split(".SH EXAMPLES\n.nf\n").nth(1).expect("EXAMPLES");
    assert!(
        examples
            .lines()
            .any(|l| l
                == "tokenmaxx report logs/ --by day,model --since 2025-06-01 --tz Europe/Oslo"),
        "{examples}"
    );
    assert!(page.contains(".SH \"EXIT STATUS\""));
    assert!(page.contains(".SH ENVIRONMENT") && page.contains("TOKENMAXX_PRICING"));

    let dir = tempfile::tempdir().unwrap();
    let out = tokenmaxx()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "tokenmaxx.1",
        "tokenmaxx-report.1",
        "tokenmaxx-check.1",
        "tokenmaxx-prices.1",
    ] {
        let p = dir.path().join(name);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|_| panic!("{name} missing"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{name}");
    }
}

/// Shell completions offer an option's values, not file names, where the
/// values are known (and nothing where they are free text).
#[test]
fn completions_offer_values() {
    let out = tokenmaxx().args(["completions", "bash"]).output().unwrap();
    let script = String::from_utf8(out.stdout).unwrap();
    let case = |opt: &str| {
        let at = script
            .find(&format!("{opt})"))
            .unwrap_or_else(|| panic!("{opt}"));
        script[at..].lines().nth(1).unwrap().to_string()
    };
    assert!(
        case("--input-format").contains("openai-chat")
            && case("--input-format").contains("bedrock")
    );
    assert!(case("--encoding").contains("o200k_base"));
    assert!(case("--by").contains("model") && case("--by").contains("day"));
    for free in ["--tz", "--model"] {
        assert!(!case(free).contains("compgen -f"), "{free}: {}", case(free));
    }
}

/// A bad `--since`/`--until` date says what is wrong in the user's terms,
/// not the date parser's ("failed to parse four digit integer as year").
#[test]
fn bad_dates_are_explained_in_plain_words() {
    for (date, says) in [
        ("2025-13-45", "there is no month 13"),
        ("2025-02-30", "2025-02 has 28 days"),
        ("20x5-01-01", "must be digits"),
        ("20240230", "2024-02 has 29 days"),
        ("yesterday", "is not a date (YYYY-MM-DD, YYYYMMDD)"),
    ] {
        let out = tokenmaxx()
            .args(["report", "--since", date])
            .arg(common::fixture("formats"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{date}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{date}: {err}");
        for internal in ["parse", "parameter", "integer"] {
            assert!(!err.contains(internal), "{date}: {err}");
        }
    }
}

/// A task id or model name from a log that starts with `=`, `+`, `-` or `@`
/// would be a formula in a spreadsheet: CSV cells are neutralised with a
/// leading `'` (OWASP), numbers are left alone, `--csv-raw` writes them as
/// they are.
#[test]
fn csv_cells_that_would_be_formulas_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let line = |task: &str, model: &str| {
        format!(
            r#"{{"timestamp":"2025-11-03T08:20:00Z","model":"{model}","task_id":"{task}","input_tokens":10,"output_tokens":5}}"#
        )
    };
    let body = [
        line("=HYPERLINK(\\\"http://x\\\",\\\"y\\\")", "gpt-4o-mini"),
        line("@SUM(A1)", "+cmd"),
        line("-2+3", "gpt-4o-mini"),
    ]
    .join("\n");
    let p = write(&dir, "x.jsonl", body.as_bytes());
    let run = |args: &[&str]| {
        let out = tokenmaxx().args(args).arg(&p).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let records = run(&["records", "--format", "csv", "--quiet"]);
    assert!(records.contains("\"'=HYPERLINK("), "{records}");
    assert!(records.contains("'@SUM(A1)"), "{records}");
    assert!(records.contains("'+cmd"), "{records}");
    assert!(records.contains("'-2+3"), "{records}");
    assert!(
        !records.contains(",=") && !records.contains(",@"),
        "{records}"
    );
    let report = run(&["report", "--by", "task", "--format", "csv", "--quiet"]);
    assert!(
        report.contains("'@SUM(A1)") && report.contains("'-2+3"),
        "{report}"
    );
    let raw = run(&["records", "--format", "csv", "--quiet", "--csv-raw"]);
    assert!(
        raw.contains(",@SUM(A1),") || raw.contains("\n@SUM"),
        "{raw}"
    );
    assert!(!raw.contains("'@SUM"), "{raw}");
}
