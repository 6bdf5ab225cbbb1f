//! Batch APIs: OpenAI Batch and Anthropic Message Batches joined by
//! `custom_id` across files, Gemini batch output; expected values computed
//! by hand in tests/fixtures/batch/README.md.

mod common;

use std::fs;

use common::{fixture, records, report};
use serde_json::{Value, json};

fn by_task(recs: &[Value]) -> std::collections::BTreeMap<String, Value> {
    recs.iter()
        .map(|r| (r["task"].as_str().unwrap_or("").to_string(), r.clone()))
        .collect()
}

#[test]
fn openai_batch_output_joins_its_input_across_files() {
    let recs = records(&[], &[fixture("batch/openai")]);
    let t = by_task(&recs);
    assert_eq!(recs.len(), 5, "{recs:#?}");
    assert!(recs.iter().all(|r| r["format"] == "openai-batch"));
    assert!(recs.iter().all(|r| r["service_tier"] == "batch"));

    let r = &t["ticket-0001"];
    assert_eq!(r["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(r["usage"]["input"], 14);
    assert_eq!(r["cost_usd"], "0.00000135");
    assert_eq!(r["source"]["line"], 3, "points at the output line");
    assert_eq!(t["ticket-0002"]["cost_usd"], "0.00000285");
    let s = &t["summary-01"];
    assert_eq!(
        s["usage"],
        json!({"input": 176, "cache_read": 1024, "cache_write_5m": 0, "cache_write_1h": 0,
            "output": 50, "reasoning": 0, "total": 1250})
    );
    // Batch halves input and output; the 1,024 cached tokens keep the
    // standard cached rate (0.50/M), as OpenAI bills gpt-4.1 batches.
    assert_eq!(s["cost_usd"], "0.000888");
    // Output without input: billed from its usage alone.
    assert_eq!(t["ticket-0004"]["cost_usd"], "0.0000024");
    // Input without output: an estimate from its text.
    assert_eq!(t["ticket-0005"]["usage_source"], "counted");
    assert_eq!(t["ticket-0005"]["usage"]["output"], 0);
    assert!(!t.contains_key("ticket-0003") && !t.contains_key("ticket-0006"));
}

#[test]
fn joined_batch_calls_have_prompt_text_to_count() {
    // With the request joined, --usage counted can count the prompt; a
    // result alone could only keep its reported input.
    let recs = records(&["--usage", "counted"], &[fixture("batch/openai")]);
    let t = by_task(&recs);
    let joined = &t["ticket-0001"];
    assert_eq!(joined["usage_source"], "counted");
    assert!(joined["counted"]["prompt"].as_u64().unwrap() > 0);
    let alone = &t["ticket-0004"];
    assert!(alone["counted"]["prompt"].is_null());
    assert_eq!(alone["usage"]["input"], 20);
}

#[test]
fn batch_join_does_not_depend_on_file_order() {
    // Output file read first (a name that sorts before the input's).
    let dir = std::env::temp_dir().join(format!("tokenmaxx-batch-order-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(
        fixture("batch/openai/output.jsonl"),
        dir.join("a-results.jsonl"),
    )
    .unwrap();
    fs::copy(
        fixture("batch/openai/input.jsonl"),
        dir.join("b-requests.jsonl"),
    )
    .unwrap();
    let swapped = report(&[], std::slice::from_ref(&dir));
    let normal = report(&[], &[fixture("batch/openai")]);
    fs::remove_dir_all(&dir).unwrap();
    for key in ["usage", "cost_usd", "records"] {
        assert_eq!(swapped["totals"][key], normal["totals"][key], "{key}");
    }
    // The same line accounting; only the input list differs (other names,
    // other order).
    let mut accounting = [swapped["accounting"].clone(), normal["accounting"].clone()];
    for a in &mut accounting {
        a.as_object_mut().unwrap().remove("inputs");
    }
    assert_eq!(accounting[0], accounting[1]);
}

#[test]
fn ids_reused_in_another_directory_do_not_join() {
    // Two batches that both used `ticket-0001`: the input of one must not
    // lend its text to the output of the other.
    let root = std::env::temp_dir().join(format!("tokenmaxx-batch-dirs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("a")).unwrap();
    fs::create_dir_all(root.join("b")).unwrap();
    fs::copy(
        fixture("batch/openai/input.jsonl"),
        root.join("a/input.jsonl"),
    )
    .unwrap();
    fs::copy(
        fixture("batch/openai/output.jsonl"),
        root.join("b/output.jsonl"),
    )
    .unwrap();
    let recs = records(&[], std::slice::from_ref(&root));
    fs::remove_dir_all(&root).unwrap();
    let t1: Vec<&Value> = recs.iter().filter(|r| r["task"] == "ticket-0001").collect();
    assert_eq!(t1.len(), 2, "an estimate from a/ and a result from b/");
}

#[test]
fn openai_batch_accounting_closes() {
    let rep = report(&[], &[fixture("batch/openai")]);
    let a = &rep["accounting"];
    assert_eq!(a["lines"], 12);
    assert_eq!(a["records"], 5);
    assert_eq!(a["not_billed"]["by_reason"], json!({"request failed": 4}));
    assert_eq!(a["merged"], 3);
    assert_eq!(a["skipped"], 0);
}

#[test]
fn anthropic_batch_results_join_requests() {
    let recs = records(&[], &[fixture("batch/anthropic")]);
    assert_eq!(recs.len(), 2);
    let t = by_task(&recs);
    let r = &t["rev-21"];
    assert_eq!(r["format"], "anthropic-batch");
    assert_eq!(r["service_tier"], "batch");
    assert_eq!(r["usage"]["cache_write_1h"], 2000);
    assert_eq!(r["cost_usd"], "0.006975");
    assert_eq!(t["rev-17"]["cost_usd"], "0.000165");

    let rep = report(&[], &[fixture("batch/anthropic")]);
    assert_eq!(rep["totals"]["cost_usd"], "0.00714");
    assert_eq!(rep["totals"]["undated_records"], 2);
    let a = &rep["accounting"];
    assert_eq!(a["lines"], 9);
    assert_eq!(a["not_billed"]["lines"], 5);
    assert_eq!(a["merged"], 2);
}

#[test]
fn gemini_batch_output_is_batch_tier_with_key_as_task() {
    let recs = records(&[], &[fixture("batch/gemini")]);
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r["service_tier"] == "batch"));
    assert_eq!(recs[0]["task"], "doc-1");
    assert_eq!(recs[0]["cost_usd"], "0.0002425");
    assert_eq!(recs[1]["cost_usd"], "0.00012375");
}

#[test]
fn whole_batch_folder_accounting_adds_up() {
    let rep = report(&[], &[fixture("batch")]);
    let a = &rep["accounting"];
    let parts = a["records"].as_u64().unwrap()
        + a["deduplicated"]["records"].as_u64().unwrap()
        + a["not_billed"]["lines"].as_u64().unwrap()
        + a["merged"].as_u64().unwrap()
        + a["skipped"].as_u64().unwrap()
        + a["filtered"].as_u64().unwrap();
    assert_eq!(a["lines"], 23);
    assert_eq!(parts, 23);
    assert_eq!(a["records"], 9);
}
