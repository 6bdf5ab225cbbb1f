//! `report --format html` through the real binary: a page that a hostile
//! log cannot break out of, whose figures are the JSON report's, and that
//! stays readable at 10,000 groups. (Rendering in a browser is checked by
//! the browser test; these check the page's text.)

mod common;

use std::collections::BTreeMap;

use common::{attrs, stdout_json, tokenmaxx};

fn html(args: &[&str], input: &std::path::Path) -> String {
    let out = tokenmaxx()
        .args(["report", "--format", "html", "--quiet"])
        .args(args)
        .arg(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn hostile_names_are_text_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.jsonl");
    let names = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "'; background:url(https://evil.example/x)",
    ];
    let mut lines = String::new();
    for (i, n) in names.iter().enumerate() {
        lines.push_str(
            &serde_json::json!({"timestamp": "2025-06-01T10:00:00Z", "model": n, "task_id": n,
                "input_tokens": 100 + i, "output_tokens": 10})
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&log, lines).unwrap();
    let page = html(&["--by", "model,task"], &log);
    // The page has no script of its own, so any script is a log's; and
    // every tag in it is ours: a log's `<` is always `&lt;`.
    let tags: Vec<&str> = page
        .split('<')
        .skip(1)
        .map(|t| &t[..t.find('>').unwrap()])
        .collect();
    for t in &tags {
        let name = t
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap();
        assert!(
            !["script", "img", "a", "iframe", "object", "embed", "link"].contains(&name),
            "element <{t}>"
        );
        // Attribute names only: values are quoted, and a log's quote is
        // always `&quot;`.
        let names: String = t.split('"').step_by(2).collect();
        assert!(
            !names.contains("onerror") && !names.contains("javascript:") && !names.contains("href"),
            "<{t}>"
        );
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'"
    ));
    // No request: no tag loads anything, and no style names a URL (the
    // log's `url(…)` above is text).
    let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    assert!(!style.contains("url("));
    for t in &tags {
        let names: String = t.split('"').step_by(2).collect();
        assert!(!names.contains(" src="), "<{t}>");
        if let Some(i) = t.find(" style=\"") {
            let v = &t[i + 8..];
            assert!(!v[..v.find('"').unwrap()].contains("url("), "<{t}>");
        }
    }
}

/// The summary, the per-group bars and the per-day bars carry the JSON
/// report's exact figures.
#[test]
fn figures_are_the_json_reports() {
    let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/logs");
    let page = html(&[], &logs);
    let json = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--quiet"])
            .arg(&logs)
            .output()
            .unwrap(),
    );
    let total = json["totals"]["cost_usd"].as_str().unwrap();
    assert_eq!(attrs(&page, "data-value")[0], total);
    // Bars of the groups chart: (group, value), against the JSON groups.
    let groups: BTreeMap<String, String> = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["model"].as_str().unwrap().to_string(),
                g["cost_usd"].as_str().unwrap_or("0").to_string(),
            )
        })
        .collect();
    let names = attrs(&page, "data-group");
    assert_eq!(names.len(), groups.len());
    for (i, (name, value)) in page
        .match_indices(" data-group=\"")
        .map(|(i, _)| &page[i..])
        .map(|s| {
            let name = attrs(s, "data-group")[0].clone();
            let value = attrs(s, "data-value")[0].clone();
            (name, value)
        })
        .enumerate()
    {
        let _ = i;
        let want = groups[&name].parse::<f64>().unwrap();
        assert_eq!(value.parse::<f64>().unwrap(), want, "{name}");
        assert_eq!(value, groups[&name], "{name}: exact decimal");
    }
    // Per-day stacks sum to the JSON's per-day costs.
    let by_day = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--quiet", "--by", "day"])
            .arg(&logs)
            .output()
            .unwrap(),
    );
    let mut drawn: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
    for s in page.match_indices(" data-day=\"").map(|(i, _)| &page[i..]) {
        let day = attrs(s, "data-day")[0].clone();
        let v: rust_decimal::Decimal = attrs(s, "data-value")[0].parse().unwrap();
        *drawn.entry(day).or_default() += v;
    }
    for g in by_day["groups"].as_array().unwrap() {
        let day = g["key"]["day"].as_str().unwrap();
        let want: rust_decimal::Decimal = g["cost_usd"].as_str().unwrap().parse().unwrap();
        assert_eq!(drawn[day], want, "{day}");
    }
}

/// 10,000 models: 20 bars, the table lists them all, and the page stays
/// far from the size of the data.
#[test]
fn ten_thousand_groups_are_aggregated_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("many.jsonl");
    let mut lines = String::new();
    for i in 0..10_000 {
        lines.push_str(&format!(
            "{{\"timestamp\":\"2025-06-01T10:00:00Z\",\"model\":\"gpt-4o\",\"task_id\":\"t{i}\",\"input_tokens\":{},\"output_tokens\":5}}\n",
            100 + i
        ));
    }
    std::fs::write(&log, lines).unwrap();
    let page = html(&["--by", "task"], &log);
    assert_eq!(attrs(&page, "data-group").len(), 20);
    assert!(page.contains("The 20 costliest of 10000 groups are drawn"));
    assert_eq!(
        page.matches("<tr><td>t").count(),
        10_000 + 20,
        "table rows + top tasks"
    );
}
