//! docs/json.md lists every field of every JSON document, and nothing else.
//! The binary is run on fixtures that exercise every field (unpriced and
//! priced records, counted text, drift, density, tasks with outcomes, a
//! baseline), every field path it writes is collected, and the two lists
//! are compared both ways.

mod common;

use std::collections::BTreeSet;

use common::{fixture, tokenmaxx};
use serde_json::Value;

/// Documented field paths per `<!-- contract: NAME -->` table of docs/json.md.
fn documented(name: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md"))
        .expect("docs/json.md");
    let marker = format!("<!-- contract: {name} -->");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("docs/json.md has no `{marker}`"));
    let mut fields = BTreeSet::new();
    for line in doc[start + marker.len()..].lines().skip(1) {
        if !line.starts_with('|') {
            if !fields.is_empty() {
                break;
            }
            continue;
        }
        let cell = line
            .trim_start_matches('|')
            .split('|')
            .next()
            .unwrap()
            .trim();
        if let Some(path) = cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            fields.insert(path.to_string());
        }
    }
    assert!(!fields.is_empty(), "no fields under `{marker}`");
    fields
}

/// Every path in `v`: objects add `.key`, arrays `[]`; a scalar, null,
/// empty object or array of non-objects ends a path.
fn paths(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                paths(x, &p, out);
            }
        }
        Value::Array(items) => {
            let p = format!("{at}[]");
            out.insert(p.clone());
            for x in items.iter().filter(|x| x.is_object()) {
                paths(x, &p, out);
            }
        }
        _ => {
            out.insert(at.to_string());
        }
    }
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
}

/// Both ways: every written path is documented (a null or empty parent of
/// documented fields counts as documented, as does anything under a
/// documented `x.*`), and every documented path is written somewhere.
fn assert_contract(name: &str, written: &BTreeSet<String>) {
    let doc = documented(name);
    let maps: Vec<&str> = doc.iter().filter_map(|d| d.strip_suffix(".*")).collect();
    let undocumented: Vec<&String> = written
        .iter()
        .filter(|p| {
            !doc.contains(*p)
                && !maps.iter().any(|m| under(p, m))
                && !doc.iter().any(|d| under(d, p))
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "{name}: written but not in docs/json.md: {undocumented:?}"
    );
    let stale: Vec<&String> = doc
        .iter()
        .filter(|d| match d.strip_suffix(".*") {
            Some(m) => !written.iter().any(|p| under(p, m)),
            None => !written.contains(*d),
        })
        .collect();
    assert!(
        stale.is_empty(),
        "{name}: in docs/json.md but never written (or the fixtures no longer reach it): {stale:?}"
    );
}

fn run_json(args: &[&str]) -> Vec<Value> {
    let out = tokenmaxx()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|v| v.expect("JSON"))
        .collect()
}

fn written(docs: &[Value]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in docs {
        paths(d, "", &mut out);
    }
    out
}

#[test]
fn report_fields_are_documented() {
    let docs = run_json(&[
        "report",
        "examples/logs",
        "tests/fixtures/metrics",
        "tests/fixtures/check/runs",
        // A record with no model: the unpriced fields.
        "tests/fixtures/usage-exports/anthropic-usage.json",
        "--format",
        "json",
        "--by",
        "model",
        "--metrics",
        "all",
        "--top",
        "3",
        "--drift",
    ]);
    // The totals have a group's fields, plus what they leave out.
    let normalized: BTreeSet<String> = written(&docs)
        .into_iter()
        .map(|p| match p.strip_prefix("totals.") {
            Some(rest) if !rest.starts_with("unpriced_models") && !under(rest, "unpriced") => {
                format!("groups[].{rest}")
            }
            _ => p,
        })
        .collect();
    assert_contract("report", &normalized);
}

#[test]
fn records_fields_are_documented() {
    let mut docs = run_json(&["records", "examples/logs"]);
    docs.extend(run_json(&[
        "records",
        "examples/logs",
        "--usage",
        "counted",
    ]));
    assert_contract("records", &written(&docs));
}

#[test]
fn check_fields_are_documented() {
    let docs = run_json(&[
        "check",
        "examples/ci/eval-runs",
        "--budget",
        "examples/ci/tokenmaxx.toml",
        "--format",
        "json",
    ]);
    assert_contract("check", &written(&docs));
}

#[test]
fn whatif_fields_are_documented() {
    let calls = fixture("whatif/calls.jsonl");
    let calls = calls.to_str().unwrap();
    let docs = [
        run_json(&["whatif", calls, "--as", "gpt-4o-mini", "--format", "json"]),
        run_json(&[
            "whatif",
            calls,
            "--at",
            "2025-01-01",
            "--tier",
            "batch",
            "--format",
            "json",
        ]),
    ]
    .concat();
    assert_contract("whatif", &written(&docs));
}

#[test]
fn count_fields_are_documented() {
    let prompts = fixture("check/prompts");
    let docs = run_json(&["count", prompts.to_str().unwrap(), "--format", "json"]);
    assert_contract("count", &written(&docs));
}

#[test]
fn prices_fields_are_documented() {
    assert_contract(
        "prices",
        &written(&run_json(&["prices", "--format", "json"])),
    );
    let mut docs = run_json(&["prices", "claude-sonnet-4-5", "--format", "json"]);
    docs.extend(run_json(&[
        "prices",
        "gpt-4o",
        "--at",
        "2001-01-01",
        "--format",
        "json",
    ]));
    assert_contract("prices-model", &written(&docs));
}

#[test]
fn prices_diff_fields_are_documented() {
    // An overlay whose o3 disagrees with the curated one, and a ruling on
    // one field: every field is written.
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.toml");
    std::fs::write(
        &table,
        "[[model]]\nid = \"x\"\nprovider = \"openai\"\nnames = [\"o3\"]\n[[model.price]]\nfrom = \"2025-07-01\"\n\
         input = \"3\"\noutput = \"8\"\nsource = \"s\"\nchecked = \"2026-12-03\"\n",
    )
    .unwrap();
    let rulings = dir.path().join("r.toml");
    std::fs::write(
        &rulings,
        "[[ruling]]\nmodel = \"x\"\nfield = \"input\"\nkeep = \"x\"\nwhy = \"w\"\n",
    )
    .unwrap();
    let out = tokenmaxx()
        .args(["prices", "diff"])
        .arg(&table)
        .args(["curated", "--format", "json", "--rulings"])
        .arg(&rulings)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_contract("prices-diff", &written(&[v]));
}

/// The comparison itself must be able to fail.
#[test]
fn an_undocumented_or_stale_field_is_caught() {
    let mut w = written(&run_json(&["count", "README.md", "--format", "json"]));
    w.insert("brand_new_field".into());
    let r = std::panic::catch_unwind(|| assert_contract("count", &w));
    assert!(r.is_err(), "an undocumented field passed");
    let mut w = written(&run_json(&["count", "README.md", "--format", "json"]));
    w.remove("total_tokens");
    let r = std::panic::catch_unwind(|| assert_contract("count", &w));
    assert!(r.is_err(), "a stale documented field passed");
}
