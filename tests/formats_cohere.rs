//! Cohere Chat API v2 through the real binary; expected values (and where
//! they come from) in tests/fixtures/cohere/README.md.

mod common;

use common::{assert_closes, dollars, fixture, readme_table, records, report};

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
        assert_eq!(r["source"]["line"].to_string(), w["Line"]);
        assert_eq!(r["model"], w["Model"].as_str());
        assert_eq!(r["usage"]["input"].to_string(), w["Input"]);
        assert_eq!(r["usage"]["output"].to_string(), w["Output"]);
        assert_eq!(r["cost_usd"].as_str(), dollars(&w["Cost"]));
    }
    // The same call, streamed and not: identical usage.
    assert_eq!(got[0].1["usage"], got[2].1["usage"]);
}
