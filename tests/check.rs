//! `tokenmaxx check`: every exit path, values worked out by hand in
//! tests/fixtures/check/README.md.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{fixture, tokenmaxx};
use serde_json::Value;

fn check_dir() -> PathBuf {
    fixture("check")
}

/// Run `check` inside the fixture folder (budget paths are relative).
fn run(args: &[&str]) -> std::process::Output {
    tokenmaxx()
        .current_dir(check_dir())
        .env_remove("GITHUB_ACTIONS")
        .arg("check")
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn check_named<'v>(rep: &'v Value, name: &str, scope: &str) -> &'v Value {
    rep["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name && c["scope"].as_str().unwrap().starts_with(scope))
        .unwrap_or_else(|| panic!("no check {name} ({scope}) in {rep:#}"))
}

#[test]
fn passing_budget_exits_0_with_the_hand_computed_values() {
    let out = run(&["runs", "--budget", "pass.toml", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep = json_of(&out);
    assert_eq!(rep["schema_version"], 1);
    assert_eq!(rep["passed"], true);
    assert_eq!(rep["checks"].as_array().unwrap().len(), 6);
    assert_eq!(check_named(&rep, "total_cost_usd", "all")["value"], "0.005");
    assert_eq!(
        check_named(&rep, "cost_per_task_p95_usd", "all")["value"],
        "0.0035"
    );
    assert_eq!(
        check_named(&rep, "output_tokens_per_response_p95", "all")["value"],
        "400"
    );
    let hit = check_named(&rep, "cache_hit_rate_min", "all");
    assert_eq!(hit["value"], "0.11764706");
    assert_eq!(hit["floor"], true);
    assert_eq!(
        check_named(&rep, "cost_per_task_p95_usd", "mini")["value"],
        "0.00084"
    );
    // Checks come in the budget file's order.
    let names: Vec<&str> = rep["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "total_cost_usd");
    assert_eq!(names[4], "cache_hit_rate_min");
}

#[test]
fn failing_limits_exit_1_and_an_empty_rule_fails() {
    let out = run(&["runs", "--budget", "fail.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let rep = json_of(&out);
    assert_eq!(rep["passed"], false);
    let p95 = check_named(&rep, "cost_per_task_p95_usd", "all");
    assert_eq!(
        (p95["value"].as_str(), p95["passed"].as_bool()),
        (Some("0.0035"), Some(false))
    );
    let ratio = check_named(&rep, "output_input_ratio", "all");
    assert_eq!(ratio["value"], "0.1");
    assert_eq!(ratio["passed"], false);
    assert_eq!(check_named(&rep, "total_cost_usd", "all")["passed"], true);
    let empty = check_named(&rep, "total_cost_usd", "task=case-9*");
    assert_eq!(empty["passed"], false);
    assert_eq!(empty["value"], Value::Null);
    assert_eq!(empty["note"], "no records in scope");
}

#[test]
fn baseline_regressions_beyond_tolerance_fail() {
    let dir = std::env::temp_dir().join(format!("tokenmaxx-check-base-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(
        check_dir().join("baseline.toml"),
        dir.join("tokenmaxx.toml"),
    )
    .unwrap();
    // Write the baseline from the earlier run (exit 0, file created).
    let out = tokenmaxx()
        .current_dir(&dir)
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "--update-baseline"])
        .arg(check_dir().join("runs-before"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("baseline.json").is_file());
    // Compare the new run with it.
    let out = tokenmaxx()
        .current_dir(&dir)
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "--format", "json"])
        .arg(check_dir().join("runs"))
        .output()
        .unwrap();
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rep = json_of(&out);
    let total = check_named(&rep, "total_cost_usd", "all");
    assert_eq!(total["baseline"], "0.00494");
    assert_eq!(total["delta_pct"], "1.21");
    assert_eq!(total["passed"], true);
    let p95 = check_named(&rep, "cost_per_task_p95_usd", "all");
    assert_eq!(
        (p95["delta_pct"].as_str(), p95["passed"].as_bool()),
        (Some("0"), Some(true))
    );
    let out95 = check_named(&rep, "output_tokens_per_response_p95", "all");
    assert_eq!(out95["baseline"], "300");
    assert_eq!(out95["delta_pct"], "33.33");
    assert_eq!(out95["passed"], false);
    // Tolerance per metric: 1% for cost per success.
    let win = check_named(&rep, "cost_per_successful_task_usd", "all (±1%)");
    assert_eq!(win["value"], "0.00166667");
    assert_eq!(win["passed"], false);
}

#[test]
fn prompt_budgets_need_no_logs() {
    let out = run(&["--budget", "prompts.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let rep = json_of(&out);
    let short = check_named(&rep, "prompt_tokens", "prompts/short.md");
    assert_eq!(short["value"], "2");
    assert_eq!(short["passed"], true);
    let long = check_named(&rep, "prompt_tokens", "prompts/long.md");
    assert_eq!(long["passed"], false);
    // The same count `tokenmaxx count` gives.
    let count = tokenmaxx()
        .current_dir(check_dir())
        .args([
            "count",
            "prompts/long.md",
            "--encoding",
            "o200k_base",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let c: Value = serde_json::from_slice(&count.stdout).unwrap();
    assert_eq!(long["value"], c["total_tokens"].to_string());
}

#[test]
fn usage_and_input_errors_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["runs", "--budget", "missing.toml"], "missing.toml"),
        (&["runs", "--budget", "runs/eval.jsonl"], "not valid TOML"),
        (
            &["runs", "--budget", "pass.toml", "--baseline", "b.json"],
            "no [baseline]",
        ),
        (&["runs", "--budget", "baseline.toml"], "baseline.json"),
        (
            &["runs", "--budget", "pass.toml", "--format", "yaml"],
            "yaml",
        ),
        (&["nope/", "--budget", "pass.toml"], "nope"),
    ];
    for (args, says) in cases {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let dir = std::env::temp_dir().join(format!("tokenmaxx-check-bad-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    fs::write(&bad, "[limits]\ncost_per_taks_p95_usd = 1\n").unwrap();
    let out = run(&["runs", "--budget", bad.to_str().unwrap()]);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown metric `cost_per_taks_p95_usd`")
    );
}

#[test]
fn markdown_is_a_pr_comment() {
    let out = run(&["runs", "--budget", "fail.toml", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "### ❌ tokenmaxx check: 3 of 4 checks failed");
    assert!(lines[2].starts_with("| Check | Scope | Value | Limit |"));
    assert!(lines[3].starts_with("| :--- |"));
    // Every row has the header's number of cells.
    let cols = lines[2].matches(" | ").count();
    for row in &lines[4..8] {
        assert_eq!(row.matches(" | ").count(), cols, "{row}");
    }
    assert!(md.contains("❌ **FAIL**") && md.contains("✅ PASS"));
}

#[test]
fn github_actions_gets_a_job_summary_and_annotations() {
    let dir = std::env::temp_dir().join(format!("tokenmaxx-check-gh-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let summary = dir.join("summary.md");
    fs::write(&summary, "earlier step\n").unwrap();
    let out = tokenmaxx()
        .current_dir(check_dir())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", "runs", "--budget", "fail.toml", "--format", "json"])
        .output()
        .unwrap();
    let written = fs::read_to_string(&summary).unwrap();
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(1));
    // stdout stays JSON.
    json_of(&out);
    assert!(written.starts_with("earlier step\n### ❌ tokenmaxx check"));
    let err = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 3, "{err}");
    assert!(errors[0].contains("cost_per_task_p95_usd (all)"));

    // Prompt failures point at the file.
    let out = tokenmaxx()
        .current_dir(check_dir())
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["check", "--budget", "prompts.toml"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("::error file=prompts/long.md,title=tokenmaxx check::")
    );
}

#[test]
fn list_metrics_names_every_metric() {
    let out = run(&["--list-metrics"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for m in [
        "total_cost_usd",
        "cost_per_task_p95_usd",
        "output_input_ratio",
        "cache_hit_rate",
    ] {
        assert!(text.contains(m), "{m}");
    }
}

#[test]
fn the_ci_example_passes_against_its_baseline() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tokenmaxx()
        .current_dir(root)
        .env_remove("GITHUB_ACTIONS")
        .args([
            "check",
            "examples/ci/eval-runs",
            "--budget",
            "examples/ci/tokenmaxx.toml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rep = json_of(&out);
    let kinds: Vec<&str> = rep["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    for k in ["limit", "baseline", "prompt"] {
        assert!(kinds.contains(&k), "{k}");
    }
}

#[test]
fn a_baseline_saved_by_an_earlier_release_still_reads() {
    // report-v0.1.json predates task state, cache economics and the line
    // accounting: its totals compare, the figures it lacks are "not in the
    // baseline" rather than an unreadable file.
    let dir = std::env::temp_dir().join(format!("tokenmaxx-check-old-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::copy(check_dir().join("report-v0.1.json"), dir.join("old.json")).unwrap();
    fs::write(
        dir.join("tokenmaxx.toml"),
        "[baseline]\npath = \"old.json\"\ntolerance_pct = 1000\nmetrics = [\"total_cost_usd\", \"cost_per_task_mean_usd\"]\n",
    )
    .unwrap();
    let out = tokenmaxx()
        .current_dir(&dir)
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "--format", "json"])
        .arg(check_dir().join("runs"))
        .output()
        .unwrap();
    fs::remove_dir_all(&dir).unwrap();
    // A metric the old baseline lacks cannot be compared: that check fails
    // (a gate must not pass on nothing), and says how to fix it.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep = json_of(&out);
    let total = check_named(&rep, "total_cost_usd", "all");
    assert_eq!(total["baseline"], "0.12241744");
    assert_eq!(total["passed"], true);
    let task = check_named(&rep, "cost_per_task_mean_usd", "all");
    assert_eq!(task["baseline"], Value::Null);
    assert_eq!(task["passed"], false);
    assert_eq!(
        task["note"],
        "not in the baseline (save a new one with --update-baseline)"
    );
}

/// A budget under which no check runs (an empty metric list, a baseline
/// section with nothing to compare) fails: a gate that passes on nothing
/// would hide a broken pipeline. Writing a new baseline is not a failure.
#[test]
fn a_budget_that_runs_no_check_fails() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        check_dir().join("report-v0.1.json"),
        dir.path().join("old.json"),
    )
    .unwrap();
    fs::write(
        dir.path().join("tokenmaxx.toml"),
        "[baseline]\npath = \"old.json\"\nmetrics = []\n",
    )
    .unwrap();
    let out = tokenmaxx()
        .current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .arg("check")
        .arg(check_dir().join("runs"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no checks ran"), "{text}");
    let out = tokenmaxx()
        .current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "--update-baseline"])
        .arg(check_dir().join("runs"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// Baselines are written whole: several `check --update-baseline` at once
/// (parallel CI jobs sharing a workspace) leave one complete report, never
/// a mix of two, and no temporary files.
#[test]
fn concurrent_baseline_updates_leave_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        check_dir().join("baseline.toml"),
        dir.path().join("tokenmaxx.toml"),
    )
    .unwrap();
    for _ in 0..3 {
        let children: Vec<_> = (0..6)
            .map(|i| {
                let runs = if i % 2 == 0 { "runs" } else { "runs-before" };
                std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenmaxx"))
                    .current_dir(dir.path())
                    .env_remove("GITHUB_ACTIONS")
                    .env_remove("TOKENMAXX_PRICING")
                    .args(["check", "--update-baseline"])
                    .arg(check_dir().join(runs))
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let text = fs::read_to_string(dir.path().join("baseline.json")).unwrap();
        let v: Value = serde_json::from_str(&text).expect("a whole report");
        assert_eq!(v["schema_version"], 1);
    }
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["baseline.json", "tokenmaxx.toml"]);
}

/// The shipped GitHub Actions example must fail the job when the budget
/// fails. Its "Check token budget" step is run as GitHub runs it (`bash -e`,
/// and with the step's own `shell: bash` flags), on a failing budget: the
/// exit status must be 1, and the Markdown summary must still be written
/// for the PR-comment step.
#[test]
fn the_ci_example_step_fails_the_job_on_a_failing_budget() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let workflow = fs::read_to_string(root.join("examples/ci/github-workflow.yml")).unwrap();
    let script = step_script(&workflow, "Check token budget");
    assert!(
        workflow.contains("        shell: bash\n"),
        "the step must run with `shell: bash` (pipefail)"
    );
    let dir = tempfile::tempdir().unwrap();
    // The step's paths, made to point at a failing budget.
    fs::create_dir_all(dir.path().join("examples/ci")).unwrap();
    fs::copy(
        check_dir().join("fail.toml"),
        dir.path().join("examples/ci/tokenmaxx.toml"),
    )
    .unwrap();
    let runs = dir.path().join("eval-runs");
    fs::create_dir_all(&runs).unwrap();
    for e in fs::read_dir(check_dir().join("runs")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, runs.join(p.file_name().unwrap())).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("tokenmaxx");
    let bin_dir = bin.parent().unwrap();
    for shell_flags in [
        &["-e"][..],
        &["--noprofile", "--norc", "-eo", "pipefail"][..],
    ] {
        let _ = fs::remove_file(dir.path().join("token-budget.md"));
        let out = std::process::Command::new("bash")
            .args(shell_flags)
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .env(
                "PATH",
                format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
            )
            .env_remove("GITHUB_ACTIONS")
            .env_remove("TOKENMAXX_PRICING")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{shell_flags:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let md = fs::read_to_string(dir.path().join("token-budget.md")).unwrap();
        assert!(md.contains("FAIL") || md.contains("fail"), "{md}");
    }
}

/// The `run: |` block of the workflow step named `name`.
fn step_script(workflow: &str, name: &str) -> String {
    let mut lines = workflow
        .lines()
        .skip_while(|l| !l.contains(&format!("- name: {name}")));
    let mut script = String::new();
    let mut indent = None;
    for l in lines.by_ref() {
        if let Some(n) = indent {
            if !l.trim().is_empty() && l.len() - l.trim_start().len() < n {
                break;
            }
            script.push_str(l.get(n..).unwrap_or(""));
            script.push('\n');
        } else if l.trim_start() == "run: |" {
            indent = Some(l.len() - l.trim_start().len() + 2);
        }
    }
    assert!(!script.is_empty(), "no `run: |` block in step `{name}`");
    script
}

/// Prompt globs use the globset syntax: `{md,txt}` alternatives, `[abc]`
/// classes and `\` escapes, as the README says.
#[test]
fn prompt_globs_take_alternatives_and_classes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("prompts");
    fs::create_dir_all(&p).unwrap();
    for (name, text) in [
        ("a.md", "hello there"),
        ("b.txt", "plain text"),
        ("c.rs", "fn main() {}"),
    ] {
        fs::write(p.join(name), text).unwrap();
    }
    let scopes = |pattern: &str| {
        fs::write(
            dir.path().join("tokenmaxx.toml"),
            format!(
                "[[prompt]]\nfiles = [{pattern:?}]\nencoding = \"o200k_base\"\nmax_tokens = 400\n"
            ),
        )
        .unwrap();
        let out = tokenmaxx()
            .current_dir(dir.path())
            .args(["check", "--format", "json"])
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{pattern}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["scope"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        scopes("prompts/*.{md,txt}"),
        ["prompts/a.md", "prompts/b.txt"]
    );
    assert_eq!(scopes("prompts/[bc].*"), ["prompts/b.txt", "prompts/c.rs"]);
}
