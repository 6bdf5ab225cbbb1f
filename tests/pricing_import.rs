//! `prices import` on small real excerpts of both public data sets, the
//! regeneration of the embedded generated tables, and the prices the broad
//! book gives real model ids (hand-computed dollars, cited sources).
//!
//! Fixtures: tests/fixtures/pricing-import/ holds entries copied verbatim
//! from the vendored snapshots (pricing/vendor/README.md says which).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{chat_line, fixture, tokenmaxx};

const GP: &str = "pricing-import/genai-prices-excerpt.json";
const LL: &str = "pricing-import/litellm-excerpt.json";

fn import(from: &str, file: &str) -> (String, String) {
    let out = tokenmaxx()
        .args([
            "prices",
            "import",
            "--from",
            from,
            "--checked",
            "2026-12-03",
        ])
        .arg(fixture(file))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `prices NAME --format json` with one overlay.
fn resolve(overlay: &std::path::Path, name: &str, at: Option<&str>) -> serde_json::Value {
    let mut cmd = tokenmaxx();
    cmd.args(["prices", name, "--format", "json", "--pricing"])
        .arg(overlay);
    if let Some(d) = at {
        cmd.args(["--at", d]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write_temp(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn litellm_per_token_floats_become_exact_per_million_prices() {
    let (toml, summary) = import("litellm", LL);
    let table = write_temp(&toml);
    // gpt-4.1 and its snapshot share one price: one model, dated by the
    // snapshot id. Per token 2e-06 / 5e-07 / 8e-06 → 2.00 / 0.50 / 8.00.
    let m = resolve(table.path(), "gpt-4.1", None);
    let model = &m["model"];
    assert_eq!(model["id"], "litellm:gpt-4.1");
    assert_eq!(
        model["names"],
        serde_json::json!(["gpt-4.1", "gpt-4.1-2025-04-14"])
    );
    let row = &model["rows"][0];
    assert_eq!(row["from"], "2025-04-14");
    assert_eq!(
        (&row["input"], &row["cache_read"], &row["output"]),
        (&"2".into(), &"0.5".into(), &"8".into())
    );
    // search_context_cost_per_query medium 0.025 → $25 per 1,000.
    assert_eq!(row["web_search_per_1k"], "25");
    // Batch halves input and output; no cached batch rate → the standard
    // cached rate (not halved). Priority 3.5e-06 / 8.75e-07 / 1.4e-05.
    let batch = &row["batch_prices"];
    assert_eq!(
        (&batch["input"], &batch["cache_read"], &batch["output"]),
        (&"1".into(), &serde_json::Value::Null, &"4".into())
    );
    assert_eq!(row["priority_prices"]["input"], "3.5");
    assert_eq!(row["priority_prices"]["cache_read"], "0.875");
    assert_eq!(row["priority_prices"]["output"], "14");

    // Gemini 2.5 Pro: one threshold (200k), with batch/flex/priority tables
    // above it too.
    let row = &resolve(table.path(), "gemini-2.5-pro", None)["model"]["rows"][0];
    assert_eq!(row["long_context"]["above"], 200000);
    assert_eq!(row["long_context"]["input"], "2.5");
    assert_eq!(row["long_context"]["output"], "15");
    assert_eq!(row["batch_prices"]["long_context"]["input"], "1.25");
    assert_eq!(row["priority_prices"]["long_context"]["output"], "27");

    // Regional Bedrock profiles keep their own (higher) price: us. and eu.
    // are one model at 3.30/16.50, us-gov. another at 3.60.
    let us = resolve(
        table.path(),
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        None,
    );
    assert_eq!(us["model"]["rows"][0]["input"], "3.3");
    assert_eq!(us["model"]["rows"][0]["output"], "16.5");
    let gov = resolve(
        table.path(),
        "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
        None,
    );
    assert_eq!(gov["model"]["rows"][0]["input"], "3.6");

    // The summary says what was left out, by reason.
    assert!(summary.contains("imported "), "{summary}");
    assert!(
        summary.contains("regional uplift multiplier (the log does not say the region)"),
        "{summary}"
    );
}

#[test]
fn genai_prices_keep_dated_history_and_tiers() {
    let (toml, summary) = import("genai-prices", GP);
    let table = write_temp(&toml);
    // o3: a conditional price from 2025-06-10 (the cut) after the first.
    let o3 = resolve(table.path(), "o3", Some("2025-07-01"));
    let rows = &o3["model"]["rows"];
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[1]["from"], "2025-06-10");
    assert_eq!(o3["in_effect"]["input"], "2");
    assert_eq!(o3["in_effect"]["output"], "8");
    // claude-opus-4-6: every price tiered at 200k → one long-context tier.
    let opus = resolve(table.path(), "claude-opus-4-6", None);
    let row = &opus["model"]["rows"][0];
    assert_eq!(row["input"], "5");
    assert_eq!(row["long_context"]["above"], 200000);
    assert_eq!(row["long_context"]["input"], "10");
    assert_eq!(row["long_context"]["cache_write_1h"], "20");
    assert_eq!(row["web_search_per_1k"], "10");
    // DeepSeek's off-peak discount (0.135 outside 00:30–16:30 UTC, 0.27
    // within) cannot be expressed: listed, and the peak price is used, so
    // nothing is under-billed.
    assert!(
        summary.contains("price by time of day") && summary.contains("deepseek/deepseek-chat"),
        "{summary}"
    );
    let ds = resolve(table.path(), "deepseek-chat", None);
    assert_eq!(ds["in_effect"]["input"], "0.27");
    assert_eq!(ds["in_effect"]["output"], "1.1");
}

#[test]
fn a_malformed_import_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"gpt-x": {"input_cost_per_token": "abc", "#).unwrap();
    let out_dir = dir.path().join("out");
    let out = tokenmaxx()
        .args(["prices", "import", "--from", "litellm"])
        .arg(&bad)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("cannot import as litellm"),
        "{err}"
    );
    assert!(!out_dir.exists(), "nothing is written on error");

    // A price that is not a number is named with its entry and field.
    std::fs::write(
        &bad,
        r#"{"gpt-x": {"input_cost_per_token": "abc", "output_cost_per_token": 1e-6}}"#,
    )
    .unwrap();
    let out = tokenmaxx()
        .args(["prices", "import", "--from", "litellm"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`gpt-x`") && err.contains("input_cost_per_token"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // The other data set's file is refused, not half-read.
    let out = tokenmaxx()
        .args(["prices", "import", "--from", "genai-prices"])
        .arg(fixture(LL))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Serve `body` once on 127.0.0.1 over plain HTTP; returns the URL.
fn serve_once(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}/model_prices_and_context_window.json")
}

#[test]
fn a_url_is_fetched_and_plain_http_needs_a_flag() {
    let body = std::fs::read(fixture(LL)).unwrap();
    let url = serve_once(body);
    let refused = tokenmaxx()
        .args(["prices", "import", "--from", "litellm", &url])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--allow-http"));

    let url = serve_once(std::fs::read(fixture(LL)).unwrap());
    let out = tokenmaxx()
        .args([
            "prices",
            "import",
            "--from",
            "litellm",
            "--allow-http",
            "--checked",
            "2026-12-03",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (from_file, _) = import("litellm", LL);
    let from_url = String::from_utf8(out.stdout).unwrap();
    // Same table; only the Command line names the input differently.
    let body = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("# "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        body(&from_url).replace(&url, "X"),
        body(&from_file).replace(&fixture(LL).display().to_string(), "X")
    );
}

/// The embedded generated tables are exactly what their recorded command
/// writes from the vendored snapshots: nobody edits them by hand, and an
/// importer change shows up as a diff to review.
#[test]
fn generated_tables_regenerate_byte_for_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["genai-prices", "litellm", "litellm-retired"] {
        let table = root.join(format!("pricing/generated/{name}.toml"));
        let text = std::fs::read_to_string(&table).unwrap();
        let cmd = text
            .lines()
            .find_map(|l| l.strip_prefix("# Command: tokenmaxx "))
            .expect("a # Command: line");
        let args = shell_words(cmd);
        let dir = tempfile::tempdir().unwrap();
        let out = tokenmaxx()
            .current_dir(root)
            .args(&args)
            .arg("--out")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for file in [format!("{name}.toml"), format!("{name}-unmapped.md")] {
            let want = std::fs::read_to_string(root.join("pricing/generated").join(&file)).unwrap();
            let got = std::fs::read_to_string(dir.path().join(&file)).unwrap();
            assert!(
                want == got,
                "pricing/generated/{file} is not what `scripts/regenerate-pricing.sh` writes; rerun it and review the diff"
            );
        }
    }
}

/// Split a command line as the header writes it (words, single quotes).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in s.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Bedrock's geographic inference profiles cost about 10 % more than the
/// in-region and global ones for the Claude 4.5 generation, us-gov 20 %
/// (https://aws.amazon.com/bedrock/pricing/; LiteLLM 1.110.2 keys
/// `us.`/`eu.`/`us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0`).
/// 100,000 input + 10,000 output tokens (below the 200k tier):
///   in-region 0.1 × 3.00 + 0.01 × 15.00 = $0.45; us. 0.33 + 0.165 = $0.495;
///   us-gov. 0.36 + 0.18 = $0.54.
#[test]
fn bedrock_regional_profiles_cost_their_own_price() {
    let created = 1_760_000_000; // 2025-10-09
    let lines = [
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ]
    .map(|m| chat_line(m, created, 100_000, 0, 10_000, "u"))
    .join("\n");
    let out = tokenmaxx()
        .args(["records", "--input-format", "openai-chat", "-"])
        .write_stdin(lines + "\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let costs: Vec<String> = common::jsonl(&out)
        .iter()
        .map(|r| r["cost_usd"].as_str().unwrap_or("unpriced").to_string())
        .collect();
    assert_eq!(costs, ["0.45", "0.495", "0.54", "0.495"]);
}

/// Models the curated tables do not have are priced from the imported ones,
/// and the curated tables still win where they have the model.
#[test]
fn the_broad_book_prices_what_real_logs_name() {
    let created = 1_780_000_000; // 2026-05-28
    let cases = [
        // genai-prices 47df840a openai gpt-5.1: 1.25 / 10.00.
        (
            "gpt-5.1",
            "1.25",
            "embedded:pricing/generated/genai-prices.toml",
        ),
        // curated: gpt-4o 2.50 (pricing/openai.toml).
        ("gpt-4o", "2.5", "embedded:pricing/openai.toml"),
        // LiteLLM 1.110.2 `xai/grok-3-mini`: 3e-07 → 0.30, named bare too.
        ("grok-3-mini", "0.3", ""),
    ];
    for (model, input, origin) in cases {
        let out = tokenmaxx()
            .args(["prices", model, "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["in_effect"]["input"], input, "{model}");
        if !origin.is_empty() {
            assert_eq!(v["model"]["origin"], origin, "{model}");
        }
    }
    // And a record of one is priced: 100k input + 100k output of gpt-5.1 =
    // 0.125 + 1.00.
    let out = tokenmaxx()
        .args(["records", "--input-format", "openai-chat", "-"])
        .write_stdin(chat_line("gpt-5.1", created, 100_000, 0, 100_000, "u") + "\n")
        .output()
        .unwrap();
    let recs = common::jsonl(&out);
    assert_eq!(recs[0]["cost_usd"], "1.125");
}

/// `prices diff` lists each disagreement with both values and sources, exits
/// 1 until every one is ruled on, and 0 after.
#[test]
fn prices_diff_exit_codes_and_rulings() {
    let dir = tempfile::tempdir().unwrap();
    // Same names as the curated o3, a different cached rate before the cut.
    let table = dir.path().join("mine.toml");
    std::fs::write(
        &table,
        "[[model]]\nid = \"my-o3\"\nprovider = \"openai\"\nnames = [\"o3\"]\n\
         [[model.price]]\nfrom = \"2025-04-16\"\ninput = \"10.00\"\ncache_read = \"0.50\"\noutput = \"40.00\"\n\
         source = \"https://example.com/o3\"\nchecked = \"2026-12-03\"\n",
    )
    .unwrap();
    let diff = |extra: &[&str]| {
        tokenmaxx()
            .args(["prices", "diff"])
            .arg(&table)
            .arg("curated")
            .args(extra)
            .output()
            .unwrap()
    };
    let out = diff(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    // Curated o3: 2.50 cached until the 2025-06-10 cut, then 0.50; after
    // the cut the input (2.00) and output (8.00) differ too.
    assert!(text.contains("2025-04-16  cache_read"), "{text}");
    assert!(text.contains("0.50 | 2.50"), "{text}");
    assert!(text.contains("2025-06-10  input"), "{text}");
    assert!(text.contains("https://example.com/o3 |"), "{text}");
    assert!(text.contains("not ruled"), "{text}");

    let json = diff(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["unruled"], 3);

    let rulings = dir.path().join("rulings.toml");
    std::fs::write(
        &rulings,
        "[[ruling]]\nmodel = \"my-o3\"\nfield = \"*\"\nkeep = \"mine\"\nwhy = \"test: a private contract price\"\n",
    )
    .unwrap();
    let out = diff(&["--rulings", rulings.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A ruling without its reasons is refused.
    std::fs::write(
        &rulings,
        "[[ruling]]\nmodel = \"my-o3\"\nfield = \"*\"\nkeep = \"mine\"\nwhy = \"\"\n",
    )
    .unwrap();
    let out = diff(&["--rulings", rulings.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));

    // A book that agrees with itself.
    let out = tokenmaxx()
        .args(["prices", "diff", "curated", "curated"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// o4-mini's priority price is 2.00 / 0.50 / 8.00 against 1.10 / 0.275 /
/// 4.40 standard: 2.00 / 1.10 has no exact decimal multiplier, so the tier
/// carries its own prices (pricing/openai.toml, citing LiteLLM 1.110.2 and
/// OpenAI's Priority tab). 1,000,000 prompt tokens of which 200,000 cached,
/// 100,000 output:
///   priority: 0.8 × 2.00 + 0.2 × 0.50 + 0.1 × 8.00 = 1.60 + 0.10 + 0.80 = $2.50
///   flex:     0.8 × 0.55 + 0.2 × 0.138 + 0.1 × 2.20 = 0.44 + 0.0276 + 0.22 = $0.6876
#[test]
fn service_tiers_with_their_own_prices() {
    let line = |tier: &str| {
        chat_line(
            "o4-mini-2025-04-16",
            1_760_000_000,
            1_000_000,
            200_000,
            100_000,
            "u",
        )
        .replacen(
            "\"object\"",
            &format!("\"service_tier\":\"{tier}\",\"object\""),
            1,
        )
    };
    let out = tokenmaxx()
        .args(["records", "--input-format", "openai-chat", "-"])
        .write_stdin(format!("{}\n{}\n", line("priority"), line("flex")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = common::jsonl(&out);
    assert_eq!(recs[0]["service_tier"], "priority");
    assert_eq!(recs[0]["cost_usd"], "2.5");
    assert_eq!(recs[1]["service_tier"], "flex");
    assert_eq!(recs[1]["cost_usd"], "0.6876");
}
