//! The HTML report in a real browser (headless Chromium): it loads with no
//! console message and no network request, the chart values read from the
//! browser's DOM equal the JSON report's, a screenshot is not blank, and a
//! hostile log's names create no element and run nothing.
//!
//! Needs `chromium` on PATH (or TOKENMAXX_CHROMIUM); `.ci/run` installs it
//! from the distribution's packages and sets TOKENMAXX_REQUIRE_BROWSER=1,
//! which makes its absence a failure. Locally: `apt-get install chromium`,
//! then `cargo test --test browser`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{attrs, stdout_json, tokenmaxx};

fn chromium() -> Option<PathBuf> {
    let exe = std::env::var_os("TOKENMAXX_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("chromium"));
    if Command::new(&exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some(exe);
    }
    if std::env::var("TOKENMAXX_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!(
            "TOKENMAXX_REQUIRE_BROWSER=1 but no chromium: install it (apt-get install chromium)"
        );
    }
    eprintln!("browser: skipped (no chromium on PATH)");
    None
}

/// What a page did in the browser: its DOM after load, the console
/// messages, and the URLs it requested (Chromium's own background requests
/// are told apart by their isolation key: a page's are keyed `file://`).
struct Loaded {
    dom: String,
    console: Vec<String>,
    requests: Vec<String>,
}

fn flags(dir: &Path) -> Vec<String> {
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", dir.join("profile").display())])
    .collect()
}

fn load(exe: &Path, page: &Path, dir: &Path) -> Loaded {
    let net = dir.join("net.json");
    let out = Command::new(exe)
        .args(flags(dir))
        .arg(format!("--log-net-log={}", net.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&net).unwrap()).unwrap();
    let mut requests = Vec::new();
    for e in log["events"].as_array().unwrap() {
        let p = &e["params"];
        if p["network_isolation_key"]
            .as_str()
            .is_some_and(|k| k.contains("file://"))
            && let Some(u) = p["url"].as_str()
            && !u.starts_with("file:")
        {
            requests.push(u.to_string());
        }
    }
    Loaded {
        dom: String::from_utf8(out.stdout).unwrap(),
        console,
        requests,
    }
}

fn report(args: &[&str], input: &Path) -> Vec<u8> {
    let out = tokenmaxx()
        .args(["report", "--quiet"])
        .args(args)
        .arg(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn the_examples_report_in_chromium() {
    let Some(exe) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/logs");
    let page = dir.path().join("report.html");
    std::fs::write(&page, report(&["--format", "html"], &logs)).unwrap();
    let l = load(&exe, &page, dir.path());
    assert!(l.console.is_empty(), "console: {:?}", l.console);
    assert!(l.requests.is_empty(), "requests: {:?}", l.requests);
    // The DOM's chart values against the JSON report.
    let json = stdout_json(
        &tokenmaxx()
            .args(["report", "--format", "json", "--quiet"])
            .arg(&logs)
            .output()
            .unwrap(),
    );
    assert_eq!(
        attrs(&l.dom, "data-value")[0],
        json["totals"]["cost_usd"].as_str().unwrap()
    );
    let want: BTreeMap<String, String> = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["model"].as_str().unwrap().to_string(),
                g["cost_usd"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let drawn: BTreeMap<String, String> = l
        .dom
        .match_indices(" data-group=\"")
        .map(|(i, _)| &l.dom[i..])
        .map(|s| {
            (
                attrs(s, "data-group")[0].clone(),
                attrs(s, "data-value")[0].clone(),
            )
        })
        .collect();
    assert_eq!(drawn, want);
    // A screenshot that is not blank.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-report.png");
    let out = Command::new(&exe)
        .args(flags(dir.path()))
        .arg("--window-size=1000,1400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let share = ink_share(&std::fs::read(&shot).unwrap());
    assert!(share > 0.01, "the screenshot is blank ({share})");
}

#[test]
fn a_hostile_log_creates_no_element_in_chromium() {
    let Some(exe) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.jsonl");
    let names = [
        "<script>console.error('pwned')</script>",
        "\"><img src=x onerror=console.error('pwned')>",
        "<svg onload=console.error('pwned')>",
        "javascript:console.error('pwned')",
    ];
    let lines: String = names
        .iter()
        .map(|n| {
            format!(
                "{}\n",
                serde_json::json!({"timestamp": "2025-06-01T10:00:00Z", "model": n, "task_id": n,
                    "input_tokens": 100, "output_tokens": 10})
            )
        })
        .collect();
    std::fs::write(&log, lines).unwrap();
    let page = dir.path().join("hostile.html");
    std::fs::write(
        &page,
        report(&["--format", "html", "--by", "model,task"], &log),
    )
    .unwrap();
    let l = load(&exe, &page, dir.path());
    assert!(l.console.is_empty(), "console: {:?}", l.console);
    assert!(l.requests.is_empty(), "requests: {:?}", l.requests);
    for element in ["<script", "<img", "<svg onload"] {
        assert!(!l.dom.contains(element), "{element} in the DOM");
    }
    assert!(
        l.dom
            .contains("&lt;script&gt;console.error('pwned')&lt;/script&gt;")
    );
}

/// Share of bytes of the PNG's pixel data (filtered scanlines, inflated)
/// that are neither 0 nor 255: near 0 for a blank page of one colour.
fn ink_share(png: &[u8]) -> f64 {
    use std::io::Read;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        if &png[at + 4..at + 8] == b"IDAT" {
            idat.extend_from_slice(&png[at + 8..at + 8 + len]);
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let inked = raw.iter().filter(|&&b| b != 0 && b != 255).count();
    inked as f64 / raw.len().max(1) as f64
}
