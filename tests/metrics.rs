//! Report metrics on fixtures whose values were computed by hand
//! (tests/fixtures/metrics/README.md, tests/fixtures/check/README.md).

mod common;

use common::{fixture, report, stdout_json, tokenmaxx};
use serde_json::{Value, json};

#[test]
fn cost_per_task_and_outcomes() {
    let rep = report(&["--top", "2"], &[fixture("check/runs")]);
    let t = &rep["totals"]["tasks"];
    assert_eq!(t["count"], 4);
    assert_eq!(t["records_without_task"], 0);
    assert_eq!(
        t["cost_per_task_usd"],
        json!({"mean": "0.00125", "p50": "0.000555", "p90": "0.0035", "p95": "0.0035",
            "p99": "0.0035", "max": "0.0035"})
    );
    assert_eq!(t["tokens_per_task"]["p50"], 1100);
    assert_eq!(t["requests_per_task"]["mean"], "1.25");
    assert_eq!(t["tasks_with_outcome"], 4);
    assert_eq!(t["successful_tasks"], 3);
    assert_eq!(t["cost_per_successful_task_usd"], "0.00166667");
    let top: Vec<(&str, &str)> = rep["top_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["task"].as_str().unwrap(), x["cost_usd"].as_str().unwrap()))
        .collect();
    assert_eq!(top, [("case-4", "0.0035"), ("case-2", "0.00084")]);
    assert_eq!(rep["top_tasks"][1]["outcome"], false);
}

#[test]
fn tasks_span_groups_per_model() {
    let rep = report(&["--by", "model"], &[fixture("check/runs")]);
    let mini = rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"]["model"] == "gpt-4o-mini")
        .unwrap();
    assert_eq!(mini["tasks"]["count"], 3);
    assert_eq!(mini["tasks"]["cost_per_task_usd"]["p95"], "0.00084");
}

#[test]
fn verbosity() {
    let rep = report(&[], &[fixture("check/runs")]);
    let t = &rep["totals"];
    assert_eq!(t["verbosity"]["output_input_ratio"], "0.1");
    assert_eq!(t["output_tokens_per_response"]["p50"], 100);
    assert_eq!(t["output_tokens_per_response"]["p99"], 400);
    let rep = report(&["--by", "model"], &[fixture("metrics/cache.jsonl")]);
    assert_eq!(rep["groups"][1]["verbosity"]["reasoning_share"], "0.4");
}

#[test]
fn cache_economics() {
    let rep = report(&["--by", "model"], &[fixture("metrics/cache.jsonl")]);
    let g = &rep["groups"];
    assert_eq!(g[0]["key"]["model"], "claude-sonnet-4-5");
    assert_eq!(
        g[0]["cache"],
        json!({"hit_rate": "0.8264", "savings_usd": "0.027", "write_premium_usd": "0.0015",
            "net_savings_usd": "0.0255"})
    );
    assert_eq!(g[0]["cost_usd"], "0.01155");
    assert_eq!(g[1]["cache"]["savings_usd"], "0.00015");
    assert_eq!(rep["totals"]["cache"]["net_savings_usd"], "0.02565");
}

#[test]
fn drift_flags_a_model_whose_counts_disagree() {
    let rep = report(&["--drift"], &[fixture("metrics/drift.jsonl")]);
    let models = rep["drift"]["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    let by = |m: &str| models.iter().find(|x| x["model"] == m).unwrap().clone();
    let bad = by("gpt-4o");
    assert_eq!(bad["counted_prompt_tokens"], 2);
    assert_eq!(bad["reported_prompt_tokens"], 20);
    assert_eq!(bad["prompt_ratio"], "0.1");
    assert_eq!(bad["flagged"], true);
    let good = by("gpt-4o-mini");
    assert_eq!(
        (
            good["prompt_ratio"].as_str(),
            good["response_ratio"].as_str()
        ),
        (Some("1"), Some("1"))
    );
    assert_eq!(good["flagged"], false);
    // Drift never changes the billed usage: reported usage still wins.
    assert_eq!(rep["totals"]["usage"]["input"], 22);
    assert_eq!(rep["totals"]["counted_records"], 0);
    // A looser tolerance clears the flag; without --drift nothing is counted.
    let rep = report(
        &["--drift", "--drift-tolerance", "95"],
        &[fixture("metrics/drift.jsonl")],
    );
    assert!(
        rep["drift"]["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["flagged"] == false)
    );
    let rep = report(&[], &[fixture("metrics/drift.jsonl")]);
    assert!(rep["drift"]["models"].as_array().unwrap().is_empty());
}

#[test]
fn metric_tables_render() {
    let out = tokenmaxx()
        .args(["report", "--metrics", "all", "--top", "3", "--drift"])
        .arg(fixture("check/runs"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for title in [
        "Cost per task",
        "Verbosity",
        "Cache economics",
        "Drift: counted vs reported",
        "Top 3 tasks by cost",
    ] {
        assert!(text.contains(title), "{title}\n{text}");
    }
    let md = tokenmaxx()
        .args(["report", "--metrics", "tasks", "--format", "markdown"])
        .arg(fixture("check/runs"))
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("#### Cost per task"));
    assert!(md.contains("| **Total** |"));
}

#[test]
fn density_of_response_text() {
    let rep = report(
        &["--metrics", "density"],
        &[fixture("metrics/density.jsonl")],
    );
    let d = &rep["totals"]["density"];
    assert_eq!(d["responses"], 2);
    assert_eq!(d["chars"], 87);
    assert_eq!(d["words"], 19);
    assert_eq!(
        (d["ngrams"].as_u64(), d["repeated_ngrams"].as_u64()),
        (Some(15), Some(3))
    );
    assert_eq!(d["filler_words"], 2);
    assert_eq!(
        (d["lines"].as_u64(), d["distinct_lines"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(d["visible_output_tokens"], 30);
    assert_eq!(d["chars_per_token"], "2.9");
    assert_eq!(d["repeated_ngram_share"], "0.2");
    assert_eq!(d["filler_share"], "0.1053");
    assert_eq!(d["tokens_per_distinct_line"], "10");
    // Compressibility is zstd's: consistent with the counts it comes from.
    let ratio: f64 = d["compressibility"].as_str().unwrap().parse().unwrap();
    let (c, r) = (
        d["compressed_bytes"].as_u64().unwrap(),
        d["raw_bytes"].as_u64().unwrap(),
    );
    assert!((ratio - c as f64 / r as f64).abs() < 1e-4);
    // Not measured unless asked: text measurement costs time.
    let rep = report(&[], &[fixture("metrics/density.jsonl")]);
    assert_eq!(rep["totals"]["density"]["responses"], 0);
    assert_eq!(rep["totals"]["density"]["filler_share"], Value::Null);
}

#[test]
fn check_can_limit_density() {
    let dir = std::env::temp_dir().join(format!("tokenmaxx-density-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let budget = dir.join("b.toml");
    std::fs::write(
        &budget,
        "[limits]\nfiller_share = \"0.1\"\nrepeated_ngram_share = \"0.25\"\n",
    )
    .unwrap();
    let out = tokenmaxx()
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "--format", "json", "--budget"])
        .arg(&budget)
        .arg(fixture("metrics/density.jsonl"))
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rep: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = rep["checks"].as_array().unwrap();
    assert_eq!(checks[0]["value"], "0.1053");
    assert_eq!(checks[0]["passed"], false);
    assert_eq!(checks[1]["value"], "0.2");
    assert_eq!(checks[1]["passed"], true);
}

#[test]
fn cost_per_request_leaves_out_buckets_without_a_request_count() {
    // Anthropic usage-report buckets carry cost but no request count; the
    // five eval requests cost 0.005 → 0.001 per request, not more.
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--quiet"])
        .arg(fixture("check/runs"))
        .arg(fixture("usage-exports/anthropic-usage.json"))
        .output()
        .unwrap();
    let rep = stdout_json(&out);
    let t = &rep["totals"];
    assert_eq!(t["priced_requests"], 5);
    assert_eq!(t["priced_request_cost_usd"], "0.005");
    assert_eq!(t["cost_per_request_usd"], "0.001");
    assert_ne!(t["cost_usd"], "0.005");
}
