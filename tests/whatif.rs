//! `whatif` through the real binary on tests/fixtures/whatif/calls.jsonl,
//! whose every figure is computed by hand in that folder's README.

mod common;

use common::{fixture, stdout_json, tokenmaxx};

fn whatif(args: &[&str]) -> serde_json::Value {
    stdout_json(
        &tokenmaxx()
            .args(["whatif", "--format", "json", "--quiet"])
            .arg(fixture("whatif/calls.jsonl"))
            .args(args)
            .output()
            .unwrap(),
    )
}

/// (actual, what-if, delta, delta %) of the totals.
fn totals(doc: &serde_json::Value) -> [&str; 4] {
    let t = &doc["totals"];
    [
        t["actual_cost_usd"].as_str().unwrap(),
        t["whatif_cost_usd"].as_str().unwrap(),
        t["delta_usd"].as_str().unwrap(),
        t["delta_pct"].as_str().unwrap(),
    ]
}

#[test]
fn another_model_for_every_record() {
    let doc = whatif(&["--as", "gpt-4o-mini", "--by", "model"]);
    assert_eq!(totals(&doc), ["12.46", "0.57", "-11.89", "-95.43"]);
    let t = &doc["totals"];
    assert_eq!(t["records"], 4);
    assert_eq!(t["compared_records"], 3);
    // Claude's tokens counted by another tokenizer than OpenAI's.
    assert_eq!(t["approx_token_records"], 1);
    // The unknown model is counted apart with its reason, never as $0.
    assert_eq!(t["actual_unpriced"]["unknown model `acme-llm-1`"], 1);
    let claude = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"]["model"] == "claude-sonnet-4-5")
        .unwrap();
    assert_eq!(claude["whatif_cost_usd"], "0.015");
    assert_eq!(doc["scenario"]["models"][0]["pattern"], "*");
    assert!(!doc["assumptions"].as_array().unwrap().is_empty());
}

#[test]
fn a_map_changes_only_the_models_it_matches() {
    let doc = whatif(&["--map", "gpt-4o=gpt-4o-mini"]);
    assert_eq!(totals(&doc), ["12.46", "0.765", "-11.695", "-93.86"]);
    assert_eq!(doc["totals"]["approx_token_records"], 0);
}

#[test]
fn batch_tier() {
    let doc = whatif(&["--tier", "batch"]);
    assert_eq!(totals(&doc), ["12.46", "6.855", "-5.605", "-44.98"]);
    assert_eq!(doc["scenario"]["tier"], "batch");
}

#[test]
fn no_prompt_caching() {
    let doc = whatif(&["--cache", "none"]);
    assert_eq!(totals(&doc), ["12.46", "13.965", "1.505", "12.08"]);
}

/// Prices of one date for every request: a model that had no price then is
/// not compared, and says why.
#[test]
fn prices_of_another_date() {
    let doc = whatif(&["--at", "2025-01-01"]);
    assert_eq!(totals(&doc), ["12.25", "9.25", "-3", "-24.49"]);
    let t = &doc["totals"];
    assert_eq!(t["compared_records"], 2);
    let why = t["whatif_unpriced"].as_object().unwrap();
    assert_eq!(why.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 1);
    assert!(
        why.keys().next().unwrap().contains("claude-sonnet-4-5"),
        "{why:?}"
    );
}

/// The table says the scenario, the assumptions and what was left out;
/// Markdown and CSV carry the same figures.
#[test]
fn table_markdown_and_csv() {
    let run = |format: &str| {
        let out = tokenmaxx()
            .args([
                "whatif",
                "--quiet",
                "--as",
                "gpt-4o-mini",
                "--format",
                format,
            ])
            .arg(fixture("whatif/calls.jsonl"))
            .env("COLUMNS", "200")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run("table");
    assert!(
        table.contains("$12.4600") && table.contains("$0.5700"),
        "{table}"
    );
    assert!(table.contains("-95.43%"), "{table}");
    assert!(
        table.contains("Scenario: every model as gpt-4o-mini."),
        "{table}"
    );
    assert!(
        table.contains("Not compared, the log's own price unknown (1)"),
        "{table}"
    );
    let md = run("markdown");
    assert!(md.contains("| **TOTAL** |"), "{md}");
    assert!(md.contains("- Assumed: Output length"), "{md}");
    let csv = run("csv");
    assert!(
        csv.contains("gpt-4o,2,2,12.25,0.555,-11.695,-95.47,0,0,0"),
        "{csv}"
    );
}

#[test]
fn bad_scenarios_are_errors() {
    let out = tokenmaxx()
        .args(["whatif", "--as", "gpt-4o-minii"])
        .arg(fixture("whatif/calls.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown model `gpt-4o-minii`") && err.contains("gpt-4o-mini"),
        "{err}"
    );
    let out = tokenmaxx()
        .arg("whatif")
        .arg(fixture("whatif/calls.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give a scenario"));
    let out = tokenmaxx()
        .args(["whatif", "--map", "gpt-4o"])
        .arg(fixture("whatif/calls.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every command of the README's "What if" section runs on the bundled
/// examples and prints a comparison.
#[test]
fn readme_examples_run() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## What if\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a What if section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let mut ran = 0;
    for line in block.lines().filter(|l| l.starts_with("tokenmaxx ")) {
        let command = line.split("  #").next().unwrap().trim();
        let words = shell_words(command.strip_prefix("tokenmaxx ").unwrap());
        let out = tokenmaxx()
            .args(&words)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("COLUMNS", "200")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Scenario: "),
            "{command}"
        );
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} examples");
}

/// Words of a command line with single quotes (all the README uses).
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// `check` gates on a what-if: moving everything to gpt-4o-mini saves
/// 95.43 % (at least 90 asked: passes); the Batch API saves 44.98 % (50
/// asked: fails, exit 1). Figures from the fixture README.
#[test]
fn check_gates_on_a_whatif() {
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("budget.toml");
    std::fs::write(
        &budget,
        "[[whatif]]\nname = \"all on gpt-4o-mini\"\nas = \"gpt-4o-mini\"\nmin_savings_pct = 90\n\n\
         [[whatif]]\nname = \"batch\"\ntier = \"batch\"\nmin_savings_pct = 50\n",
    )
    .unwrap();
    let out = tokenmaxx()
        .args(["check", "--format", "json", "--budget"])
        .arg(&budget)
        .arg(fixture("whatif/calls.jsonl"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = doc["checks"].as_array().unwrap();
    let find = |scope: &str| checks.iter().find(|c| c["scope"] == scope).unwrap();
    let mini = find("all on gpt-4o-mini");
    assert_eq!(
        (
            &mini["kind"],
            &mini["name"],
            &mini["value"],
            &mini["passed"]
        ),
        (
            &"whatif".into(),
            &"savings_pct".into(),
            &"95.43".into(),
            &true.into()
        )
    );
    let batch = find("batch");
    assert_eq!(
        (&batch["value"], &batch["passed"]),
        (&"44.98".into(), &false.into())
    );
    assert!(
        batch["note"]
            .as_str()
            .unwrap()
            .contains("1 of 4 records not compared")
    );
    // A budget scenario that names nothing to change is an error.
    std::fs::write(&budget, "[[whatif]]\nmin_savings_pct = 10\n").unwrap();
    let out = tokenmaxx()
        .args(["check", "--budget"])
        .arg(&budget)
        .arg(fixture("whatif/calls.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give a scenario"));
}
