//! Proxy and organization exports (Helicone, LiteLLM, OpenAI and Anthropic
//! usage/cost reports) through the real binary. Expected numbers were
//! computed by hand; the per-fixture totals are read from the table of the
//! README.md in each fixture folder, where their derivation is.

mod common;

use common::{
    assert_closes, buckets, cell, code_spans, dollars, fixture, jsonl, numbers, readme_table,
    reasons, records, report, stdout_json, tokenmaxx,
};
use serde_json::Value;

fn by_reason(v: &Value) -> Vec<(String, u64)> {
    v["by_reason"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

#[test]
fn fixture_totals_costs_and_accounting() {
    // The expectations are the READMEs' tables: one row per run, of every
    // file its first cell names; an empty cell is not checked.
    let mut checked = 0;
    for folder in ["helicone", "litellm", "usage-exports"] {
        for row in readme_table(folder) {
            let files = code_spans(&row["Fixture"]);
            let f = files.join(" + ");
            let paths: Vec<_> = files
                .iter()
                .map(|n| fixture(&format!("{folder}/{n}")))
                .collect();
            let r = report(&[], &paths);
            let t = &r["totals"];
            let a = &r["accounting"];
            let n = |col: &str| numbers(cell(&row, col).unwrap())[0];
            assert_eq!(a["lines"], n("Lines"), "{f}: lines");
            assert_eq!(t["records"], n("Records"), "{f}: records");
            if cell(&row, "Requests").is_some() {
                assert_eq!(t["requests"], n("Requests"), "{f}: requests");
            }
            if let Some(b) = cell(&row, "Total buckets") {
                assert_eq!(buckets(&t["usage"]).to_vec(), numbers(b), "{f}: buckets");
            }
            for (col, total, by) in [
                ("Not billed", &a["not_billed"]["lines"], &a["not_billed"]),
                (
                    "Deduplicated",
                    &a["deduplicated"]["records"],
                    &a["deduplicated"],
                ),
                ("Skipped", &a["skipped"], &r["skipped"]),
            ] {
                let (want, want_by) = reasons(cell(&row, col).unwrap_or("—"));
                assert_eq!(*total, want, "{f}: {col}");
                if let Some(want_by) = want_by {
                    assert_eq!(by_reason(by), want_by, "{f}: {col}");
                }
            }
            assert_eq!(a["merged"], 0, "{f}: nothing is merged in these formats");
            if let Some(c) = cell(&row, "Our cost") {
                assert_eq!(t["cost_usd"].as_str(), dollars(c), "{f}: cost");
            }
            if let Some(c) = cell(&row, "Reported") {
                assert_eq!(t["reported_cost_usd"].as_str(), dollars(c), "{f}: reported");
            }
            assert_closes(&r, "exports");

            // Detection: every record of the run is read as the format.
            for rec in records(&["--usage", "reported"], &paths) {
                assert_eq!(rec["format"], row["Format"].as_str(), "{f}: {rec}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 11, "the README tables have {checked} rows");
}

#[test]
fn helicone_body_usage_wins_and_columns_follow_the_provider() {
    let recs = records(&["--usage", "reported"], &[fixture("helicone/export.json")]);
    assert_eq!(recs.len(), 4);
    // Row 1: the Anthropic body, not `prompt_tokens: 9999`.
    let r = &recs[0];
    assert_eq!(buckets(&r["usage"]), [64, 5000, 400, 2000, 120, 0]);
    assert_eq!(r["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(r["provider"], "anthropic");
    // 64×3 + 5000×0.30 + 400×3.75 + 2000×6 + 120×15 = 16992 per MTok.
    assert_eq!(r["cost_usd"], "0.016992");
    assert_eq!(r["reported_cost_usd"], "0.016992");
    assert_eq!(r["session"], "sess-h1");
    assert_eq!(r["task"], "TK-101");
    assert_eq!(r["timestamp"], "2025-10-06T10:00:00Z");
    // Row 2: OpenAI body; no session, so the user is the task.
    assert_eq!(buckets(&recs[1]["usage"]), [564, 1536, 0, 0, 64, 0]);
    assert_eq!(recs[1]["cost_usd"], "0.0002382");
    assert_eq!(recs[1]["task"], "user-b");
    // Row 5: placeholder bodies → OpenAI columns, cache inside the prompt.
    assert_eq!(buckets(&recs[2]["usage"]), [800, 200, 0, 0, 50, 10]);
    assert_eq!(recs[2]["session"], "sess-h5");
    assert_eq!(recs[2]["task"], "sess-h5");
    assert_eq!(recs[2]["source"]["line"], 5);
    // Row 6: Anthropic columns, cache outside the prompt.
    assert_eq!(buckets(&recs[3]["usage"]), [30, 1000, 500, 0, 12, 0]);
    assert_eq!(recs[3]["cost_usd"], "0.000815");
    assert_eq!(recs[3]["task"], "TK-106");
}

#[test]
fn helicone_jsonl_reads_gemini_and_responses_bodies() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("helicone/export.jsonl")],
    );
    assert_eq!(buckets(&recs[0]["usage"]), [600, 400, 0, 0, 80, 30]);
    assert_eq!(recs[0]["cost_usd"], "0.000392");
    assert_eq!(recs[0]["session"], "sess-g");
    assert_eq!(recs[0]["timestamp"], "2025-11-10T12:00:00Z");
    assert_eq!(buckets(&recs[1]["usage"]), [800, 100, 0, 0, 40, 8]);
    assert_eq!(recs[1]["model"], "gpt-5-mini-2025-08-07");
    assert_eq!(recs[1]["source"]["line"], 3);
}

#[test]
fn helicone_csv_matches_json_and_the_same_request_bills_once() {
    let csv = records(&["--usage", "reported"], &[fixture("helicone/export.csv")]);
    let json = records(&["--usage", "reported"], &[fixture("helicone/export.json")]);
    assert_eq!(csv[0]["usage"], json[0]["usage"]);
    assert_eq!(csv[0]["session"], "sess-h1");
    assert_eq!(csv[0]["cost_usd"], "0.016992");
    assert_eq!(buckets(&csv[1]["usage"]), [25, 300, 0, 0, 6, 0]);
    // Read together the request bills once: the README's `export.json +
    // export.csv` row, checked by `fixture_totals_costs_and_accounting`.
}

#[test]
fn helicone_text_is_countable() {
    let out = tokenmaxx()
        .args(["records", "--quiet", "--usage", "counted"])
        .arg(fixture("helicone/export.json"))
        .output()
        .unwrap();
    let recs = jsonl(&out);
    // Rows with bodies are tokenized; the placeholder row keeps its columns.
    assert_eq!(recs[0]["usage_source"], "counted");
    assert!(recs[0]["usage"]["input"].as_u64().unwrap() > 0);
    assert_eq!(recs[2]["usage_source"], "reported");
}

#[test]
fn litellm_cache_writes_follow_the_version() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("litellm/spend-logs.json")],
    );
    assert_eq!(recs.len(), 3);
    let r = &recs[0];
    assert_eq!(buckets(&r["usage"]), [376, 1024, 0, 0, 30, 0]);
    // 376×2.50 + 1024×1.25 + 30×10 = 2520 per MTok.
    assert_eq!(r["cost_usd"], "0.00252");
    assert_eq!(r["reported_cost_usd"], "0.00252");
    assert_eq!(r["provider"], "openai");
    assert_eq!(r["task"], "billing");
    assert_eq!(r["session"], "conv-7");
    // Recent build: the writes are inside `prompt_tokens` (details say so).
    assert_eq!(buckets(&recs[1]["usage"]), [10, 9000, 2000, 1000, 200, 50]);
    assert_eq!(recs[1]["cost_usd"], "0.01923");
    assert_eq!(recs[1]["task"], "conv-8");
    // Mid-2025 build: the writes are outside.
    assert_eq!(buckets(&recs[2]["usage"]), [40, 0, 1500, 0, 25, 0]);
    assert_eq!(recs[2]["cost_usd"], "0.00612");
    assert_eq!(recs[2]["task"], "cust-3");
}

#[test]
fn litellm_csv_dump() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("litellm/spend-logs.csv")],
    );
    assert_eq!(recs.len(), 2);
    assert_eq!(buckets(&recs[0]["usage"]), [952, 2048, 0, 0, 100, 0]);
    assert_eq!(recs[0]["cost_usd"], "0.0007456");
    assert_eq!(recs[0]["timestamp"], "2025-11-04T10:00:00Z");
    assert_eq!(recs[0]["task"], "search");
    assert_eq!(buckets(&recs[1]["usage"]), [120, 0, 0, 0, 30, 0]);
    assert_eq!(recs[1]["task"], "ops,nightly");
    assert_eq!(recs[1]["reported_cost_usd"], "0.000096");
}

#[test]
fn openai_usage_buckets_tiers_and_projects() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("usage-exports/openai-completions.json")],
    );
    let tiers: Vec<&str> = recs
        .iter()
        .map(|r| r["service_tier"].as_str().unwrap())
        .collect();
    assert_eq!(tiers, ["standard", "batch", "standard", "priority"]);
    let costs: Vec<Option<&str>> = recs.iter().map(|r| r["cost_usd"].as_str()).collect();
    assert_eq!(
        costs,
        [Some("0.0024"), Some("0.0009"), None, Some("0.00875")]
    );
    assert_eq!(recs[2]["unpriced_reason"], "no model in the log");
    assert_eq!(recs[0]["timestamp"], "2025-10-01T00:00:00Z");
    assert_eq!(recs[3]["timestamp"], "2025-10-02T00:00:00Z");
    // Buckets never take the long-context tier from their summed input.
    assert!(recs.iter().all(|r| r["long_context"] == false));

    let r = report(
        &["--by", "project"],
        &[fixture("usage-exports/openai-completions.json")],
    );
    let groups: Vec<(String, u64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["project"].as_str().unwrap().to_string(),
                g["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [("proj_alpha".to_string(), 65), ("proj_beta".to_string(), 5)]
    );
}

#[test]
fn openai_costs_reach_the_reported_total_by_project() {
    let r = report(
        &["--by", "project"],
        &[fixture("usage-exports/openai-costs.json")],
    );
    let reported: Vec<(String, String)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["project"].as_str().unwrap().to_string(),
                g["reported_cost_usd"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reported,
        [
            ("proj_alpha".to_string(), "0.1123".to_string()),
            ("proj_beta".to_string(), "0.25".to_string())
        ]
    );
    // Cost lines add no tokens and no requests.
    assert_eq!(r["totals"]["requests"], 0);
    assert_eq!(r["totals"]["usage"]["total"], 0);
}

#[test]
fn anthropic_usage_context_window_decides_the_tier() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("usage-exports/anthropic-usage.json")],
    );
    // 223000 summed input, but grouped `0-200k`: base rates + 4 web searches.
    assert_eq!(recs[0]["long_context"], false);
    assert_eq!(recs[0]["cost_usd"], "0.68425");
    assert_eq!(recs[0]["web_search_requests"], 4);
    assert_eq!(recs[0]["cost_breakdown"]["web_search"], "0.04");
    assert_eq!(
        buckets(&recs[0]["usage"]),
        [200000, 20000, 1000, 2000, 1500, 0]
    );
    // 150000 summed input, but grouped `200k-1M`: tier rates.
    assert_eq!(recs[1]["long_context"], true);
    assert_eq!(recs[1]["cost_usd"], "0.945");
    // Batch tier, no context_window group.
    assert_eq!(recs[2]["service_tier"], "batch");
    assert_eq!(recs[2]["cost_usd"], "0.015");
    assert_eq!(recs[3]["unpriced_reason"], "no model in the log");

    // The report has no request counts: cost per request stays undefined.
    let r = report(&[], &[fixture("usage-exports/anthropic-usage.json")]);
    assert_eq!(r["totals"]["requests"], 0);
    assert_eq!(r["totals"]["cost_per_request_usd"], Value::Null);
}

#[test]
fn anthropic_cost_amounts_are_cents() {
    let recs = records(
        &["--usage", "reported"],
        &[fixture("usage-exports/anthropic-costs.json")],
    );
    let reported: Vec<&str> = recs
        .iter()
        .map(|r| r["reported_cost_usd"].as_str().unwrap())
        .collect();
    assert_eq!(reported, ["1.2345", "0.005", "25"]);

    // Usage and cost reports together: our cost beside Anthropic's.
    let r = report(
        &[],
        &[
            fixture("usage-exports/anthropic-usage.json"),
            fixture("usage-exports/anthropic-costs.json"),
        ],
    );
    assert_eq!(r["totals"]["cost_usd"], "1.64425");
    assert_eq!(r["totals"]["reported_cost_usd"], "26.2395");
    assert_eq!(r["totals"]["records"], 7);
    assert_closes(&r, "exports");
}

#[test]
fn task_key_reaches_into_rows_and_bodies() {
    let tasks = |path: &str, key: &str| -> Vec<Value> {
        jsonl(
            &tokenmaxx()
                .args([
                    "records",
                    "--quiet",
                    "--usage",
                    "reported",
                    "--task-key",
                    key,
                ])
                .arg(fixture(path))
                .output()
                .unwrap(),
        )
        .into_iter()
        .map(|r| r["task"].clone())
        .collect()
    };
    assert_eq!(
        tasks("helicone/export.json", "request_body.max_tokens")[0],
        "800"
    );
    assert_eq!(
        tasks("litellm/spend-logs.json", "metadata.user_api_key_team_id"),
        [Value::from("team-blue"), Value::Null, Value::Null]
    );
}

#[test]
fn a_json_array_of_usage_pages_is_read_page_by_page() {
    // Pages of one paginated download saved as one JSON array: each page
    // is an element; each result a line.
    let pages = std::fs::read_to_string(fixture("usage-exports/openai-pages.jsonl")).unwrap();
    let array = format!(
        "[{}]",
        pages.lines().take(3).collect::<Vec<_>>().join(",\n")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pages.json");
    std::fs::write(&path, array).unwrap();
    let out = tokenmaxx()
        .args(["report", "--format", "json", "--quiet"])
        .arg(&path)
        .output()
        .unwrap();
    let r = stdout_json(&out);
    assert_eq!(r["accounting"]["lines"], 3);
    assert_eq!(r["totals"]["records"], 2);
    assert_eq!(r["totals"]["requests"], 13);
    assert_eq!(
        by_reason(&r["accounting"]["not_billed"]),
        [("empty page".to_string(), 1)]
    );
    assert_closes(&r, "exports");
}
