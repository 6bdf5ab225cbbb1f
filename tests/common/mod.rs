//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn tokenmaxx() -> Command {
    let mut c = Command::cargo_bin("tokenmaxx").unwrap();
    // Tests must not pick up a developer's overlay.
    c.env_remove("TOKENMAXX_PRICING");
    c.env("NO_COLOR", "1");
    c
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// One row of a README table: header → cell.
pub type Row = std::collections::BTreeMap<String, String>;

/// The first Markdown table of a fixture folder's README, one map of
/// header → cell per row: the folder's hand-computed expectations live
/// there, beside the fixtures and their derivation, and nowhere else.
pub fn readme_table(folder: &str) -> Vec<Row> {
    readme_tables(folder)
        .into_iter()
        .next()
        .expect("a table in the README")
}

/// The first table of a fixture folder's README whose header has `column`
/// (for READMEs whose expectations are not their first table).
pub fn readme_table_with(folder: &str, column: &str) -> Vec<Row> {
    readme_tables(folder)
        .into_iter()
        .find(|t| t.first().is_some_and(|r| r.contains_key(column)))
        .unwrap_or_else(|| panic!("{folder}/README.md: no table with a `{column}` column"))
}

/// Every Markdown table of a fixture folder's README, in order.
pub fn readme_tables(folder: &str) -> Vec<Vec<Row>> {
    let text = std::fs::read_to_string(fixture(folder).join("README.md")).unwrap();
    let mut tables = Vec::new();
    let mut lines = text.lines().peekable();
    while lines.peek().is_some() {
        let rows: Vec<Vec<String>> = lines
            .by_ref()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                l.trim()
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect()
            })
            .collect();
        let Some((header, body)) = rows.split_first() else {
            break;
        };
        tables.push(
            body.iter()
                .filter(|r| {
                    !r.iter()
                        .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
                })
                .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
                .collect(),
        );
    }
    tables
}

/// The cell of the first column whose header starts with `prefix`
/// (`Records` finds `Records (with usage)`), trimmed; `None` if it is
/// empty: an empty cell is not an expectation.
pub fn cell<'a>(row: &'a Row, prefix: &str) -> Option<&'a str> {
    row.iter()
        .find(|(k, _)| k.starts_with(prefix))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The `code` spans of a cell, in order: `` `a.json` + `b.csv` `` → [a.json, b.csv].
pub fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// A count and, where the cell gives them, its reasons in the cell's order:
/// `2 (1 api error, 1 proxy cache hit)`, `3 (non-llm span 2, api error 1)`,
/// `1 (api error)` (one reason: all of them), `0` or `—` (none), and `17`
/// (a total alone: `None`). Backticks around reasons are ignored.
pub fn reasons(cell: &str) -> (u64, Option<Vec<(String, u64)>>) {
    let cell = cell.trim();
    if cell.is_empty() || cell == "—" {
        return (0, Some(Vec::new()));
    }
    let (head, inner) = match cell.split_once('(') {
        Some((h, rest)) => (h.trim(), Some(rest.trim_end().trim_end_matches(')'))),
        None => (cell, None),
    };
    let total: u64 = head
        .parse()
        .unwrap_or_else(|_| panic!("a count in `{cell}`"));
    let Some(inner) = inner else {
        return (total, (total == 0).then(Vec::new));
    };
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    let by_reason: Vec<(String, u64)> = parts
        .iter()
        .map(|p| {
            let words: Vec<&str> = p.split_whitespace().collect();
            let (n, name) = if let Ok(n) = words[0].parse() {
                (n, words[1..].join(" "))
            } else if let Some(Ok(n)) = words.last().map(|w| w.parse()) {
                (n, words[..words.len() - 1].join(" "))
            } else if parts.len() == 1 {
                (total, words.join(" "))
            } else {
                panic!("a count for `{p}` in `{cell}`")
            };
            (name.replace('`', ""), n)
        })
        .collect();
    assert_eq!(
        by_reason.iter().map(|(_, n)| n).sum::<u64>(),
        total,
        "the reasons of `{cell}` add up to its count"
    );
    (total, Some(by_reason))
}

/// The first dollar amount of a cell, without the `$`: `$0.01205 (1
/// unpriced)` → `0.01205`; a cell without one (`—`, `unknown`) → `None`.
pub fn dollars(cell: &str) -> Option<&str> {
    let (_, rest) = cell.split_once('$')?;
    Some(rest.split_whitespace().next().unwrap_or(""))
}

/// The numbers in a cell, in order: `3 (3)` → [3, 3]; `(1, 2, 0)` → [1, 2, 0].
pub fn numbers(cell: &str) -> Vec<u64> {
    cell.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

/// `report --format json --quiet ARGS PATHS`, parsed; the run must succeed.
pub fn report<P: AsRef<std::ffi::OsStr>>(args: &[&str], paths: &[P]) -> serde_json::Value {
    stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--quiet"])
            .args(args)
            .args(paths)
            .output()
            .unwrap(),
    )
}

/// `records --quiet ARGS PATHS`, one value per line; the run must succeed.
pub fn records<P: AsRef<std::ffi::OsStr>>(args: &[&str], paths: &[P]) -> Vec<serde_json::Value> {
    jsonl(
        &tokenmaxx()
            .args(["records", "--quiet"])
            .args(args)
            .args(paths)
            .output()
            .unwrap(),
    )
}

/// A report's line accounting adds up (see [`assert_accounting_closes`]).
pub fn assert_closes(report: &serde_json::Value, what: &str) {
    assert_accounting_closes(&report["accounting"], what);
}

/// The run succeeded (else fail the test with its stderr).
pub fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stdout_json(out: &std::process::Output) -> serde_json::Value {
    assert_ok(out);
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

pub fn jsonl(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert_ok(out);
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// An OpenAI Chat Completions response line (the most common log shape).
pub fn chat_line(
    model: &str,
    created: i64,
    prompt: u64,
    cached: u64,
    completion: u64,
    user: &str,
) -> String {
    format!(
        r#"{{"id":"chatcmpl-{created}{prompt}","object":"chat.completion","created":{created},"model":"{model}","user":"{user}","choices":[{{"index":0,"message":{{"role":"assistant","content":"ok"}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":{cached}}}}}}}"#,
        prompt + completion
    )
}

/// Start the binary with piped stdin/stdout (stderr piped or discarded),
/// for tests that talk to it while it runs.
pub fn spawn(args: &[&str], keep_stderr: bool) -> std::process::Child {
    use std::process::Stdio;
    std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenmaxx"))
        .args(args)
        .env_remove("TOKENMAXX_PRICING")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if keep_stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .unwrap()
}

/// The buckets of a `records`/`report` usage object, in bucket order
/// (`total` comes after them).
pub const USAGE_BUCKETS: [&str; 6] = [
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "reasoning",
];

/// Usage buckets of a `records`/`report` usage object, in bucket order.
pub fn buckets(u: &serde_json::Value) -> [u64; 6] {
    USAGE_BUCKETS.map(|k| u[k].as_u64().unwrap_or_else(|| panic!("{k} in {u}")))
}

/// A report's `accounting` adds up: lines = records + deduplicated + not
/// billed + merged + skipped + filtered.
pub fn assert_accounting_closes(a: &serde_json::Value, what: &str) {
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or_else(|| panic!("{what}: {a}"));
    let parts = n(&a["records"])
        + n(&a["deduplicated"]["records"])
        + n(&a["not_billed"]["lines"])
        + n(&a["merged"])
        + n(&a["skipped"])
        + n(&a["filtered"]);
    assert_eq!(
        n(&a["lines"]),
        parts,
        "{what}: accounting does not close: {a}"
    );
}

/// Check one record against one row of a fixture README's table, column by
/// column, for the columns the table has: `File` (the end of the source
/// path), `Line`, `Format`, `Model`, the usage buckets (`Input`, `Cache
/// read`, `Cache write` = 5-minute writes, `Output`, `Reasoning`) and `Cost`
/// (`$…`, or a cell without `$` for an unpriced record).
pub fn assert_record_matches(r: &serde_json::Value, w: &Row, what: &str) {
    let at = format!("{what}: {}", r["source"]);
    if let Some(f) = w.get("File") {
        assert!(
            r["source"]["path"].as_str().unwrap().ends_with(f.as_str()),
            "{at}: file {f}"
        );
    }
    if let Some(l) = w.get("Line") {
        assert_eq!(&r["source"]["line"].to_string(), l, "{at}: line");
    }
    if let Some(f) = w.get("Format") {
        assert_eq!(r["format"], f.as_str(), "{at}: format");
    }
    if let Some(m) = w.get("Model") {
        assert_eq!(r["model"], m.as_str(), "{at}: model");
    }
    for (column, bucket) in [
        ("Input", "input"),
        ("Cache read", "cache_read"),
        ("Cache write", "cache_write_5m"),
        ("Output", "output"),
        ("Reasoning", "reasoning"),
    ] {
        if let Some(n) = w.get(column) {
            assert_eq!(&r["usage"][bucket].to_string(), n, "{at}: {column}");
        }
    }
    if let Some(c) = w.get("Cost") {
        assert_eq!(r["cost_usd"].as_str(), dollars(c), "{at}: cost");
    }
}

/// The `name="value"` attribute values of every element carrying `name`,
/// in page order (an HTML report's `data-value`s).
pub fn attrs(page: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    page.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &page[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// `records --format parquet` of `inputs` into `file` (the run must
/// succeed).
pub fn records_parquet(inputs: &[PathBuf], file: &Path) {
    let out = tokenmaxx()
        .args(["records", "--format", "parquet", "--quiet", "-o"])
        .arg(file)
        .args(inputs)
        .output()
        .unwrap();
    assert_ok(&out);
}

/// A decimal string without trailing zeros: "0.0150", "0.015" and a
/// DECIMAL(38,28) read back from Parquet are one value.
pub fn normal_decimal(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}
