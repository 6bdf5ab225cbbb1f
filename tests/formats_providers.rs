//! Provider formats read from application logs: Cohere Chat API v2 and
//! Vertex AI request-response logs, through the real binary; expected
//! values (and where they come from) in each fixture folder's README.

mod common;

use common::{assert_closes, assert_record_matches, fixture, readme_table, records, report};

#[test]
fn cohere_bills_the_billed_units_streamed_or_not() {
    let want = readme_table("cohere");
    let mut got = Vec::new();
    for name in ["chat.jsonl", "chat-stream.jsonl"] {
        let file = fixture(&format!("cohere/{name}"));
        for r in records(&[], &[&file]) {
            got.push((name, r));
        }
        let rep = report(&[], &[&file]);
        assert_closes(&rep, name);
        assert_eq!(rep["skipped"]["lines"], 0, "{name}");
    }
    assert_eq!(got.len(), want.len());
    for ((name, r), w) in got.iter().zip(&want) {
        assert_eq!(*name, w["File"]);
        assert_eq!(r["format"], "cohere");
        assert_record_matches(r, w, name);
    }
    // The same call, streamed and not: identical usage.
    assert_eq!(got[0].1["usage"], got[2].1["usage"]);
}

/// Vertex AI request-response logging rows (tests/fixtures/vertex) read as
/// Gemini calls: full bodies, or a stream's payload strings.
#[test]
fn vertex_request_response_rows_are_gemini_calls() {
    let file = fixture("vertex/request-response-log.jsonl");
    let want = readme_table("vertex");
    let recs = records(&[], &[&file]);
    assert_eq!(recs.len(), want.len());
    for (r, w) in recs.iter().zip(&want) {
        assert_eq!(r["format"], "gemini");
        assert_record_matches(r, w, "vertex");
    }
    assert_closes(&report(&[], &[&file]), "vertex");
}
