//! OpenTelemetry GenAI spans, Langfuse observations and `llm logs --json`
//! through the real binary. Expected numbers were computed by hand; the
//! totals are read from the table of the README.md in tests/fixtures/otel,
//! tests/fixtures/langfuse and tests/fixtures/llm-cli, where their
//! derivation is.

mod common;

use std::path::PathBuf;

use common::{
    Row, assert_closes, buckets, cell, code_spans, fixture, numbers, readme_table, reasons,
    records, report, stdout_json, tokenmaxx,
};
use serde_json::{Value, json};

/// One run per row of the READMEs' tables: the files a row names (the whole
/// folder if it names none), with `--usage reported` unless the row names
/// another `--usage`.
struct Run {
    what: String,
    paths: Vec<PathBuf>,
    args: Vec<String>,
    row: Row,
}

fn runs() -> Vec<Run> {
    let mut runs = Vec::new();
    for folder in ["otel", "langfuse", "llm-cli"] {
        for row in readme_table(folder) {
            let spans = code_spans(&row["Fixture"]);
            let (opts, files): (Vec<&str>, Vec<&str>) =
                spans.iter().partition(|s| s.starts_with("--"));
            let mut args: Vec<String> = opts
                .iter()
                .flat_map(|o| o.split_whitespace())
                .map(String::from)
                .collect();
            if !args.iter().any(|a| a == "--usage") {
                args.extend(["--usage".into(), "reported".into()]);
            }
            let paths = if files.is_empty() {
                vec![fixture(folder)]
            } else {
                files
                    .iter()
                    .map(|f| fixture(&format!("{folder}/{f}")))
                    .collect()
            };
            let what = if files.is_empty() {
                folder.to_string()
            } else {
                files.join(" + ")
            };
            runs.push(Run {
                what,
                paths,
                args,
                row,
            });
        }
    }
    assert!(
        runs.len() >= 14,
        "the README tables have {} rows",
        runs.len()
    );
    runs
}

/// `(1 api error, 1 proxy cache hit)` as the report's `by_reason` object.
fn object(by: Vec<(String, u64)>) -> Value {
    Value::Object(by.into_iter().map(|(k, n)| (k, n.into())).collect())
}

#[test]
fn fixtures_total_as_computed_by_hand() {
    for Run {
        what,
        paths,
        args,
        row,
        ..
    } in runs()
    {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let rep = report(&args, &paths);
        let t = &rep["totals"];
        if let Some(b) = cell(&row, "Buckets") {
            assert_eq!(buckets(&t["usage"]).to_vec(), numbers(b), "{what}: usage");
        }
        let n = |col: &str| numbers(cell(&row, col).unwrap())[0];
        assert_eq!(t["records"], n("Records"), "{what}: records");
        let a = &rep["accounting"];
        assert_eq!(a["lines"], n("Lines"), "{what}: lines");
        // `Dedup / n.b. / skipped`: each a count, with its reasons if given.
        let parts: Vec<&str> = cell(&row, "Dedup").unwrap().split(" / ").collect();
        assert_eq!(parts.len(), 3, "{what}: dedup / n.b. / skipped");
        for (part, (col, total, by)) in parts.iter().zip([
            (
                "deduplicated",
                &a["deduplicated"]["records"],
                &a["deduplicated"]["by_reason"],
            ),
            (
                "not billed",
                &a["not_billed"]["lines"],
                &a["not_billed"]["by_reason"],
            ),
            ("skipped", &a["skipped"], &rep["skipped"]["by_reason"]),
        ]) {
            let (want, want_by) = reasons(part);
            assert_eq!(*total, want, "{what}: {col}");
            if let Some(want_by) = want_by {
                assert_eq!(*by, object(want_by), "{what}: {col}");
            }
        }
        assert_closes(&rep, &what);
    }
}

#[test]
fn formats_are_detected() {
    for Run {
        what, paths, row, ..
    } in runs()
    {
        let recs = records(&[], &paths);
        assert!(!recs.is_empty(), "{what}");
        for r in &recs {
            assert_eq!(r["format"], row["Format"].as_str(), "{what}");
        }
    }
}

// ---- OpenTelemetry ---------------------------------------------------------

fn by_model(recs: &[Value]) -> std::collections::BTreeMap<String, &Value> {
    recs.iter()
        .map(|r| (r["model"].as_str().unwrap_or("").to_string(), r))
        .collect()
}

#[test]
fn otel_int_values_as_strings_and_numbers() {
    let recs = records(&["--usage", "reported"], &[fixture("otel/openai-v2.json")]);
    let m = by_model(&recs);
    // intValue "2300" (string), response model preferred over request model.
    let a = m["gpt-4o-2024-08-06"];
    assert_eq!(buckets(&a["usage"]), [252, 2048, 0, 0, 120, 0]);
    assert_eq!(a["session"], "conv-kite-7");
    assert_eq!(a["provider"], "openai");
    assert_eq!(a["timestamp"], "2025-11-05T10:00:00Z");
    // intValue 800 (number), reasoning inside output, flex tier.
    let b = m["gpt-5"];
    assert_eq!(buckets(&b["usage"]), [800, 0, 0, 0, 45, 20]);
    assert_eq!(b["service_tier"], "flex");
    assert_eq!(b["cost_usd"], "0.000725");
}

#[test]
fn otel_deprecated_and_vendor_names() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("otel/deprecated-names.jsonl")],
    );
    let m = by_model(&recs);
    // gen_ai.system + prompt/completion_tokens + OpenLLMetry cache name.
    assert_eq!(
        buckets(&m["gpt-4.1-mini-2025-04-14"]["usage"]),
        [476, 1024, 0, 0, 60, 0]
    );
    // vertex_ai → google; reasoning_tokens inside completion_tokens.
    let g = m["gemini-2.5-flash"];
    assert_eq!(g["provider"], "google");
    assert_eq!(buckets(&g["usage"]), [900, 0, 0, 0, 300, 250]);
}

/// Anthropic spans whose cache exceeds the input count report input
/// without the cache; others follow the convention (input with cache).
#[test]
fn otel_anthropic_input_excluding_cache() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("otel/deprecated-names.jsonl")],
    );
    let m = by_model(&recs);
    let excl = m["claude-haiku-4-5-20251001"];
    assert_eq!(buckets(&excl["usage"]), [40, 6000, 500, 0, 90, 0]);
    assert_eq!(excl["provider"], "anthropic");
    let incl = m["claude-haiku-4-5"];
    assert_eq!(buckets(&incl["usage"]), [500, 2500, 0, 0, 30, 0]);
}

/// The agent span sums its two chat spans (5000 in, 300 out): billing it
/// too would double the trace.
#[test]
fn otel_agent_usage_is_not_double_counted() {
    let rep = report(&["--by", "session"], &[fixture("otel/agent.json")]);
    let groups = rep["groups"].as_array().unwrap();
    let trip88 = groups
        .iter()
        .find(|g| g["key"]["session"] == "trip-88")
        .unwrap();
    assert_eq!(trip88["records"], 2);
    assert_eq!(buckets(&trip88["usage"]), [3500, 1500, 0, 0, 300, 0]);
    // An agent span with no model call under it is the only record of
    // its calls, and bills.
    let trip89 = groups
        .iter()
        .find(|g| g["key"]["session"] == "trip-89")
        .unwrap();
    assert_eq!(buckets(&trip89["usage"]), [700, 0, 0, 0, 50, 0]);
}

#[test]
fn otel_parent_in_an_earlier_document_is_still_an_aggregate() {
    let recs = records(&[], &[fixture("otel/agent-split.jsonl")]);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["source"]["line"], 2, "the chat span bills");
}

#[test]
fn otel_vercel_outer_span_is_an_aggregate() {
    let recs = records(&["--usage", "reported"], &[fixture("otel/vercel.jsonl")]);
    let lines: Vec<u64> = recs
        .iter()
        .map(|r| r["source"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![1, 2],
        "the two doGenerate steps, not the outer span"
    );
    assert!(recs.iter().all(|r| r["session"] == "picnic-1"));
    assert_eq!(recs[0]["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(recs[1]["model"], "gpt-4o-mini");
}

#[test]
fn otel_flat_spans_and_console_exporter() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("otel/flat-spans.jsonl")],
    );
    assert_eq!(recs[0]["provider"], "azure");
    assert_eq!(recs[0]["timestamp"], "2025-11-05T10:00:00Z");
    assert_eq!(buckets(&recs[0]["usage"]), [400, 0, 0, 0, 25, 0]);
    assert_eq!(recs[1]["provider"], "google");
    assert_eq!(buckets(&recs[1]["usage"]), [300, 0, 0, 0, 12, 0]);
}

#[test]
fn otel_text_is_counted_when_asked() {
    let recs = records(
        &["--usage", "counted"],
        &[
            fixture("otel/openai-v2.json"),
            fixture("otel/deprecated-names.jsonl"),
            fixture("otel/flat-spans.jsonl"),
        ],
    );
    let counted = |model: &str| {
        recs.iter()
            .find(|r| r["model"] == model)
            .map(|r| r["counted"].clone())
            .unwrap()
    };
    // gen_ai.input.messages, deprecated gen_ai.prompt, indexed prompts,
    // span events: each yields a prompt and a response.
    for model in [
        "gpt-4o-2024-08-06",
        "gpt-4.1-mini-2025-04-14",
        "claude-haiku-4-5-20251001",
        "gpt-4o",
    ] {
        let c = counted(model);
        assert!(c["prompt"].as_u64().unwrap() > 0, "{model}: {c}");
        assert!(c["response"].as_u64().unwrap() > 0, "{model}: {c}");
    }
}

#[test]
fn otel_project_is_the_service_and_spans_dedupe() {
    let rep = report(&["--by", "project"], &[fixture("otel/openai-v2.json")]);
    assert_eq!(rep["groups"][0]["key"]["project"], "help-desk");
    // The same export saved twice (a copy, not the same file twice: a file
    // is read once however often it is named).
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("openai-v2-copy.json");
    std::fs::copy(fixture("otel/openai-v2.json"), &copy).unwrap();
    let twice = report(&[], &[fixture("otel/openai-v2.json"), copy]);
    assert_eq!(twice["totals"]["records"], 2);
    assert_eq!(
        twice["accounting"]["deduplicated"]["by_reason"],
        json!({"duplicate span": 2})
    );
    assert_closes(&twice, "otel twice");
}

#[test]
fn otel_broken_span_is_reported() {
    let out = tokenmaxx()
        .args(["report", "--format", "json"])
        .arg(fixture("otel/deprecated-names.jsonl"))
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    assert_eq!(rep["skipped"]["by_reason"], json!({"invalid usage": 1}));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deprecated-names.jsonl:5:") && err.contains("negative token count"),
        "{err}"
    );
}

// ---- Langfuse --------------------------------------------------------------

#[test]
fn langfuse_usage_details_and_legacy_usage() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("langfuse/observations.jsonl")],
    );
    let m = by_model(&recs);
    // v1 legacy `usage` only.
    assert_eq!(buckets(&m["gpt-4o-mini"]["usage"]), [350, 0, 0, 0, 40, 0]);
    assert_eq!(m["gpt-4o-mini"]["reported_cost_usd"], "0.0000765");
    // v2: providedModelName; input net of input_cached_tokens; output
    // net of output_reasoning_tokens.
    let o4 = m["o4-mini"];
    assert_eq!(buckets(&o4["usage"]), [210, 1792, 0, 0, 192, 128]);
    assert_eq!(o4["reported_cost_usd"], "0.0015686");
    assert_eq!(o4["session"], "s-lf-1");
    // Anthropic cache keys beside input.
    assert_eq!(
        buckets(&m["claude-sonnet-4-5-20250929"]["usage"]),
        [25, 4000, 1200, 0, 310, 0]
    );
    // `total` shows an old SDK's inclusive input: 1500 + 20 = 1520.
    assert_eq!(
        buckets(&m["gpt-4.1-mini"]["usage"]),
        [476, 1024, 0, 0, 20, 0]
    );
    assert_eq!(
        buckets(&m["text-embedding-3-small"]["usage"]),
        [64, 0, 0, 0, 0, 0]
    );
}

#[test]
fn langfuse_page_trace_and_csv() {
    let recs = records(&["--usage", "reported"], &[fixture("langfuse/page.json")]);
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r["source"]["line"] == 1));
    let m = by_model(&recs);
    // usageDetails wins over the legacy usage beside it.
    assert_eq!(buckets(&m["gpt-4.1"]["usage"]), [100, 800, 0, 0, 150, 0]);
    assert_eq!(
        buckets(&m["gemini-2.5-flash"]["usage"]),
        [420, 0, 0, 0, 35, 0]
    );

    let recs = records(&[], &[fixture("langfuse/trace.json")]);
    assert_eq!(recs[0]["session"], "trip-lf", "from the trace");
    assert_eq!(buckets(&recs[0]["usage"]), [12, 0, 1000, 2000, 80, 0]);

    let recs = records(&["--usage", "reported"], &[fixture("langfuse/export.csv")]);
    let u: Vec<[u64; 6]> = recs.iter().map(|r| buckets(&r["usage"])).collect();
    assert_eq!(
        u,
        vec![
            [120, 0, 0, 0, 33, 0],
            [75, 0, 0, 0, 12, 0],
            [44, 0, 0, 0, 9, 0]
        ]
    );
    assert_eq!(recs[0]["timestamp"], "2025-11-05T10:00:00Z");
    assert_eq!(recs[0]["session"], "csv-s1");
}

#[test]
fn langfuse_task_only_from_task_key() {
    let recs = records(&[], &[fixture("langfuse/observations.jsonl")]);
    // Without --task-key the session stands in for the task.
    assert_eq!(recs[0]["task"], "s-lf-1");
    let recs = records(
        &["--task-key", "name"],
        &[fixture("langfuse/observations.jsonl")],
    );
    assert_eq!(recs[0]["task"], "draft-reply");
}

// ---- llm logs --json -------------------------------------------------------

#[test]
fn llm_cli_token_details() {
    let recs = records(&["--usage", "reported"], &[fixture("llm-cli/logs.json")]);
    let m = by_model(&recs);
    // OpenAI: token_details is a JSON string; input includes cached.
    assert_eq!(
        buckets(&m["gpt-4o-mini"]["usage"]),
        [148, 1152, 0, 0, 70, 0]
    );
    // resolved_model preferred.
    assert!(m.contains_key("gpt-4o-2024-08-06"));
    // Anthropic: input excludes cache; writes split 5m/1h.
    assert_eq!(
        buckets(&m["claude-sonnet-4-5-20250929"]["usage"]),
        [18, 9000, 500, 2000, 240, 0]
    );
    assert!(recs.iter().all(|r| r["session"].is_string()));
}

#[test]
fn llm_cli_null_tokens_are_counted_from_text() {
    let recs = records(&[], &[fixture("llm-cli/logs.json")]);
    let local = recs.iter().find(|r| r["model"] == "llama3.2:3b").unwrap();
    assert_eq!(local["usage_source"], "counted");
    assert!(local["counted"]["prompt"].as_u64().unwrap() > 0);
    // With --usage reported it is skipped, `no reported usage`: the
    // README's `logs.json` row, checked by fixtures_total_as_computed_by_hand.
}
