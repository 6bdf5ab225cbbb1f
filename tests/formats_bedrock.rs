//! AWS Bedrock model invocation logs through the real binary; expected
//! values (and how they were computed) in tests/fixtures/bedrock/README.md.

mod common;

use common::{assert_closes, assert_record_matches, fixture, readme_table, records, report};

#[test]
fn invocation_logs_give_the_hand_computed_records() {
    let file = fixture("bedrock/invocation-logs.jsonl");
    let recs = records(&[], &[&file]);
    let want = readme_table("bedrock");
    assert_eq!(recs.len(), want.len());
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "bedrock");
        assert_record_matches(r, w, "bedrock");
    }
    let rep = report(&[], &[&file]);
    assert_eq!(rep["totals"]["cost_usd"], "0.01109436");
    assert_eq!(rep["accounting"]["deduplicated"]["records"], 1);
    assert_closes(&rep, "bedrock");
}

/// Converse responses (wrapped, or answering a request line) and a
/// ConverseStream: the same calls as the invocation logs, the same bill.
#[test]
fn converse_responses_and_streams_give_the_hand_computed_records() {
    let want = common::readme_table_with("bedrock", "File");
    for name in ["converse.jsonl", "converse-stream.jsonl"] {
        let file = fixture(&format!("bedrock/{name}"));
        let recs = records(&[], &[&file]);
        let rows: Vec<_> = want.iter().filter(|w| w["File"] == name).collect();
        assert_eq!(recs.len(), rows.len(), "{name}");
        for (r, w) in recs.iter().zip(rows) {
            assert_eq!(r["format"], "bedrock");
            assert_record_matches(r, w, name);
        }
        let rep = report(&[], &[&file]);
        assert_closes(&rep, name);
        assert_eq!(rep["skipped"]["lines"], 0, "{name}");
    }
}
