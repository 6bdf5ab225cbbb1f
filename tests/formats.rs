//! Each fixture under tests/fixtures/formats runs through the real binary;
//! expected buckets were computed by hand (see that folder's README.md).

mod common;

use common::{fixture, jsonl, numbers, readme_table, stdout_json, tokenmaxx};
use serde_json::json;

#[test]
fn every_fixture_normalizes_to_the_hand_computed_buckets() {
    // The expectations are the README's table: one row per fixture.
    let cases = readme_table("formats");
    assert!(
        cases.len() >= 15,
        "the README table has {} rows",
        cases.len()
    );
    let mut checked = 0;
    for row in &cases {
        let name = row["Fixture"].trim_matches('`');
        let format = row["Format"].as_str();
        let b = numbers(&row["Total buckets"]);
        if b.is_empty() {
            continue; // text only: no reported usage to compare
        }
        assert_eq!(b.len(), 6, "{name}: six buckets");
        // `3 (3)`: records, of which with reported usage (what --usage
        // reported keeps); `1 (api error)`: lines skipped while parsing.
        let records = *numbers(&row["Records (with usage)"]).last().unwrap();
        let skipped = numbers(&row["Skipped lines (reason)"])[0];
        let path = fixture(&format!("formats/{name}"));
        let out = tokenmaxx()
            .args([
                "report", "--format", "json", "--usage", "reported", "--quiet",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let rep = stdout_json(&out);
        let t = &rep["totals"];
        let want = json!({"input": b[0], "cache_read": b[1], "cache_write_5m": b[2], "cache_write_1h": b[3],
            "output": b[4], "reasoning": b[5], "total": b[0] + b[1] + b[2] + b[3] + b[4]});
        assert_eq!(t["usage"], want, "{name}");
        assert_eq!(t["records"], records, "{name}");
        let parse_skips: u64 = rep["skipped"]["by_reason"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "no reported usage")
            .map(|(_, v)| v.as_u64().unwrap())
            .sum();
        assert_eq!(parse_skips, skipped, "{name}: {}", rep["skipped"]);

        let recs = jsonl(
            &tokenmaxx()
                .args(["records", "--quiet", "--usage", "reported"])
                .arg(&path)
                .output()
                .unwrap(),
        );
        assert!(
            recs.iter().all(|r| r["format"] == *format),
            "{name}: detected as {:?}",
            recs.iter().map(|r| r["format"].clone()).collect::<Vec<_>>()
        );
        checked += 1;
    }
    assert_eq!(
        checked,
        cases.len() - 1,
        "every fixture with usage was checked"
    );
}

#[test]
fn mixed_formats_in_one_directory_are_each_detected() {
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--by", "file", "--quiet"])
            .arg(fixture("formats"))
            .output()
            .unwrap(),
    );
    assert_eq!(rep["totals"]["records"], 39);
    assert_eq!(rep["skipped"]["lines"], 7);
}

#[test]
fn request_line_joins_its_response_line() {
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .arg(fixture("formats/openai-chat.jsonl"))
            .output()
            .unwrap(),
    );
    let first = &recs[0];
    assert_eq!(first["source"]["line"], 1);
    assert_eq!(first["model"], "gpt-4o-2024-08-06");
    assert_eq!(first["task"], "task-17");
    assert_eq!(first["usage"]["input"], 156);
    // With --usage counted the joined prompt text is tokenized (o200k, framed).
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet", "--usage", "counted"])
            .arg(fixture("formats/openai-chat.jsonl"))
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["counted"]["tokenizer"], "o200k_base");
    assert!(recs[0]["counted"]["prompt"].as_u64().unwrap() > 20);
    assert_eq!(
        recs[2]["counted"]["prompt"],
        serde_json::Value::Null,
        "response-only line has no prompt text"
    );
}

#[test]
fn streams_count_once_with_the_final_usage() {
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .arg(fixture("formats/anthropic-stream.jsonl"))
            .output()
            .unwrap(),
    );
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["usage"]["output"], 89);
    assert_eq!(recs[0]["usage"]["cache_read"], 4096);
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .arg(fixture("formats/openai-chat-stream.jsonl"))
            .output()
            .unwrap(),
    );
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["usage"]["output"], 5);
    // The second stream never sent usage: its text is counted instead.
    assert_eq!(recs[1]["usage_source"], "counted");
}

#[test]
fn claude_counts_are_flagged_approximate() {
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet", "--usage", "counted"])
            .arg(fixture("formats/anthropic-messages.jsonl"))
            .output()
            .unwrap(),
    );
    for r in &recs {
        assert_eq!(r["counted"]["tokenizer"], "approx:o200k_base");
        assert_eq!(r["counted"]["exact"], false);
    }
}

#[test]
fn anthropic_cache_ttls_are_priced_apart() {
    // claude-sonnet-4-5: input $3, read $0.30, 5m write $3.75, 1h write $6, output $15.
    // line 1: 10×3 + 500×0.30 + 1000×3.75 + 2000×6 + 5×15 = 30 + 150 + 3750 + 12000 + 75 = 16005 → $0.016005
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .arg(fixture("formats/anthropic-cache-ttl.jsonl"))
            .output()
            .unwrap(),
    );
    let model = recs[0]["model"].as_str().unwrap();
    assert!(model.starts_with("claude-sonnet-4-5"), "{model}");
    assert_eq!(recs[0]["cost_usd"], "0.016005");
    assert_eq!(recs[0]["cost_breakdown"]["cache_write_1h"], "0.012");
}

#[test]
fn examples_report_from_embedded_defaults() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/logs");
    let out = tokenmaxx().arg("report").arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("TOTAL"), "{text}");
    // The README's first command: every line of the bundled logs is a
    // record or part of one (nothing "not billed", nothing skipped).
    assert!(
        !text.contains("not billed") && !text.contains("skipped"),
        "{text}"
    );
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--by", "provider"])
            .arg(&dir)
            .output()
            .unwrap(),
    );
    let providers: Vec<&str> = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"]["provider"].as_str().unwrap())
        .collect();
    for p in ["anthropic", "google", "openai"] {
        assert!(providers.contains(&p), "{providers:?}");
    }
    assert_eq!(rep["skipped"]["lines"], 0);
}

/// An OpenAI-compatible gateway log (OpenRouter, LiteLLM) of a Claude model
/// whose first line is a bare request: the request alone looks Anthropic
/// (docs/formats.md, anthropic-messages: the `claude` model name decides),
/// but the responses are
/// `chat.completion` objects. The file must be read as OpenAI chat, not have
/// every response skipped as an unrecognized Anthropic record.
#[test]
fn request_first_file_is_detected_by_its_responses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}"#,
            "\n",
            r#"{"id":"gen-1","object":"chat.completion","created":1760000000,"model":"claude-sonnet-4-5-20250929","choices":[{"message":{"role":"assistant","content":"yo"}}],"usage":{"prompt_tokens":1010,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1000}}}"#,
            "\n",
        ),
    )
    .unwrap();
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .arg(&path)
            .output()
            .unwrap(),
    );
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["format"], "openai-chat");
    assert_eq!(recs[0]["source"]["line"], 1);
    assert_eq!(recs[0]["usage_source"], "reported");
    assert_eq!(recs[0]["usage"]["input"], 10);
    assert_eq!(recs[0]["usage"]["cache_read"], 1000);
}

/// Audio is priced several times above text (Gemini 2.0 Flash: 0.70 vs 0.10
/// per 1M input, pricing/google.toml). Audio tokens are billed at the
/// model's audio rate; a response whose model has no audio rate is
/// unpriced, with the reason: never billed as text.
/// Shapes from the providers' documentation: Gemini `promptTokensDetails`
/// by modality, OpenAI `prompt/completion_tokens_details.audio_tokens`.
#[test]
fn audio_tokens_are_priced_at_audio_rates_never_as_text() {
    let gemini = r#"{"candidates":[{"content":{"parts":[{"text":"The speaker says hello."}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":710,"candidatesTokenCount":6,"totalTokenCount":716,"promptTokensDetails":[{"modality":"TEXT","tokenCount":10},{"modality":"AUDIO","tokenCount":700}],"candidatesTokensDetails":[{"modality":"TEXT","tokenCount":6}]},"modelVersion":"gemini-2.0-flash","createTime":"2025-06-01T10:00:00Z"}"#;
    let openai = r#"{"id":"chatcmpl-a1","object":"chat.completion","created":1748772000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":null,"audio":{"id":"audio_1","data":"","expires_at":1748775600,"transcript":"Hello there."}},"finish_reason":"stop"}],"usage":{"prompt_tokens":17,"completion_tokens":98,"total_tokens":115,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":82}}}"#;
    let text_only = r#"{"candidates":[{"content":{"parts":[{"text":"Hi."}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":2,"totalTokenCount":12,"promptTokensDetails":[{"modality":"TEXT","tokenCount":10}]},"modelVersion":"gemini-2.0-flash","createTime":"2025-06-01T10:00:00Z"}"#;
    // 10 text × 0.10 + 700 audio × 0.70 + 6 output × 0.40 per 1M
    // = 0.000001 + 0.00049 + 0.0000024 = $0.0004934.
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .write_stdin(format!("{gemini}\n"))
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["audio_input_tokens"], 700);
    assert_eq!(recs[0]["priced"], true, "{}", recs[0]);
    assert_eq!(recs[0]["cost_usd"], "0.0004934");
    assert_eq!(recs[0]["cost_breakdown"]["input"], "0.000491");
    // gpt-4o-2024-08-06 has no audio rate in the book: 82 output audio
    // tokens leave the record unpriced.
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .write_stdin(format!("{openai}\n"))
            .output()
            .unwrap(),
    );
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["audio_tokens"], 82);
    assert_eq!(r["audio_output_tokens"], 82);
    assert_eq!(r["priced"], false);
    let reason = r["unpriced_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("no audio price for `gpt-4o-2024-08-06` (82 output audio tokens"),
        "{reason}"
    );
    let recs = jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .write_stdin(format!("{text_only}\n"))
            .output()
            .unwrap(),
    );
    assert_eq!(recs[0]["audio_tokens"], 0);
    assert_eq!(recs[0]["priced"], true);
    // 10 × 0.10 + 2 × 0.40 per 1M.
    assert_eq!(recs[0]["cost_usd"], "0.0000018");
}

/// A log that writes several requests before their responses (reqA, reqB,
/// respA, respB) pairs them first in, first out; a gateway log whose lines
/// carry a `request_id` pairs by it, whatever the order. Usage must never
/// come from the wrong line: A's prompt (28 counted tokens) goes with A's
/// usage (30 reported), B's (9) with B's (9).
#[test]
fn requests_and_responses_pair_in_order_or_by_id() {
    let req = |word: &str, n: usize| {
        json!({"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":
            format!("{}.", vec![word; n].join(" "))}]})
    };
    let resp = |id: &str, prompt: u64| {
        json!({"id":id,"object":"chat.completion","created":1761991200,"model":"gpt-4o-2024-08-06",
            "choices":[{"index":0,"message":{"role":"assistant","content":"Done."},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":prompt,"completion_tokens":3,"total_tokens":prompt + 3}})
    };
    let run = |lines: Vec<serde_json::Value>, usage: &str| {
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        let recs = jsonl(
            &tokenmaxx()
                .args(["records", "--quiet", "--usage", usage, "-"])
                .write_stdin(text)
                .output()
                .unwrap(),
        );
        let mut by_line: Vec<(u64, u64, serde_json::Value)> = recs
            .iter()
            .map(|r| {
                (
                    r["source"]["line"].as_u64().unwrap(),
                    r["usage"]["input"].as_u64().unwrap(),
                    r["counted"]["prompt"].clone(),
                )
            })
            .collect();
        by_line.sort_by_key(|x| x.0);
        by_line
    };
    let fifo = vec![
        req("Alpha", 20),
        req("Beta", 1),
        resp("chatcmpl-A", 30),
        resp("chatcmpl-B", 9),
    ];
    let got = run(fifo.clone(), "reported");
    assert_eq!(
        got.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(),
        [(1, 30), (2, 9)]
    );
    let counted = run(fifo, "counted");
    assert_eq!(counted[0].2, 28);
    assert_eq!(counted[1].2, 9);

    // Gateway lines with ids, answered out of order.
    let wrap = |id: &str, key: &str, body: serde_json::Value| json!({"request_id": id, key: body});
    let by_id = vec![
        wrap("a", "request", req("Alpha", 20)),
        wrap("b", "request", req("Beta", 1)),
        wrap("b", "response", resp("chatcmpl-B", 9)),
        wrap("a", "response", resp("chatcmpl-A", 30)),
    ];
    let got = run(by_id, "reported");
    assert_eq!(
        got.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(),
        [(1, 30), (2, 9)]
    );
}

/// The same call streamed and not (tests/fixtures/streams): one record
/// each, with identical model, usage and cost.
#[test]
fn streamed_and_unstreamed_calls_bill_the_same() {
    for provider in ["anthropic", "openai-chat", "openai-responses", "gemini"] {
        let read = |kind: &str| {
            let recs = jsonl(
                &tokenmaxx()
                    .args(["records", "--quiet"])
                    .arg(fixture(&format!("streams/{provider}-{kind}.jsonl")))
                    .output()
                    .unwrap(),
            );
            assert_eq!(recs.len(), 1, "{provider}-{kind}: {recs:?}");
            recs.into_iter().next().unwrap()
        };
        let (once, stream) = (read("once"), read("stream"));
        for field in ["model", "format", "usage", "cost_usd"] {
            assert_eq!(once[field], stream[field], "{provider}: {field}");
        }
        assert!(once["cost_usd"].is_string(), "{provider}: priced");
    }
}
