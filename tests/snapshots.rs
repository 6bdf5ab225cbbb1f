//! Golden-file tests of whole reports on examples/: any change to a number,
//! a column or a note shows up as a diff. Regenerate deliberately with
//! `UPDATE_SNAPSHOTS=1 cargo test --test snapshots` and review the diff.

mod common;

use std::path::Path;

use common::tokenmaxx;

fn check(name: &str, args: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tokenmaxx()
        .args(args)
        .arg(root.join("examples/logs"))
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout)
        .unwrap()
        .replace(&root.display().to_string(), "<root>");
    let path = root.join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert!(
        got == want,
        "{name} differs from its snapshot:\n--- want\n{want}\n--- got\n{got}"
    );
}

#[test]
fn report_markdown_by_provider_and_model() {
    check(
        "report-provider-model.md",
        &["report", "--by", "provider,model", "--format", "markdown"],
    );
}

#[test]
fn report_json_by_day() {
    check(
        "report-day.json",
        &["report", "--by", "day", "--format", "json"],
    );
}

#[test]
fn report_csv_by_task() {
    check(
        "report-task.csv",
        &["report", "--by", "task", "--format", "csv"],
    );
}

#[test]
fn records_jsonl() {
    check("records.jsonl", &["records"]);
}
