//! tokenmaxx's output in the engines people query logs with: DuckDB's sums
//! over `records --format parquet` equal `report`'s per model to the last
//! digit, and the Spark recipe (examples/spark/) gives the report of one
//! run, in both its modes.
//!
//! Needs a Python with `duckdb` and `pyspark` (and Java 17+ for Spark) in
//! TOKENMAXX_QUERY_PYTHON: `eval "$(scripts/fetch-query-engines.sh)"`, then
//! `cargo test --test query_engines`. Without it the tests say so and pass;
//! `.ci/run` sets TOKENMAXX_REQUIRE_DUCKDB=1 and TOKENMAXX_REQUIRE_SPARK=1,
//! which make a missing engine a failure.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::{assert_ok, normal_decimal, records_parquet, stdout_json, tokenmaxx};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has `module`, or None (the test is skipped) unless
/// `require` is set.
fn python_with(module: &str, require: &str) -> Option<PathBuf> {
    let python = std::env::var_os("TOKENMAXX_QUERY_PYTHON").map(PathBuf::from);
    let found = python.filter(|p| {
        Command::new(p)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        if std::env::var(require).as_deref() == Ok("1") {
            panic!(
                "{require}=1 but TOKENMAXX_QUERY_PYTHON has no `{module}`: \
                 eval \"$(scripts/fetch-query-engines.sh)\""
            );
        }
        eprintln!("query_engines: skipped (no Python with `{module}` in TOKENMAXX_QUERY_PYTHON)");
    }
    found
}

fn python(exe: &Path, args: &[&str]) -> String {
    let out = Command::new(exe).args(args).output().unwrap();
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

fn normal(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(normal_decimal(s)),
        _ => v.clone(),
    }
}

/// The usage buckets, then their total (the order of the DuckDB query).
const BUCKETS: [&str; 7] = {
    let [a, b, c, d, e, f] = common::USAGE_BUCKETS;
    [a, b, c, d, e, f, "total"]
};

/// `report --by model --format json`'s figures that a sum over records
/// gives: per model, the records, each usage bucket, the cost and the
/// logged cost.
fn report_by_model(inputs: &[PathBuf]) -> BTreeMap<String, BTreeMap<String, Value>> {
    let rep = stdout_json(
        &tokenmaxx()
            .args(["report", "--by", "model", "--format", "json", "--quiet"])
            .args(inputs)
            .output()
            .unwrap(),
    );
    rep["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let mut row: BTreeMap<String, Value> = BUCKETS
                .iter()
                .map(|b| (b.to_string(), g["usage"][b].clone()))
                .collect();
            row.insert("records".into(), g["records"].clone());
            row.insert("cost_usd".into(), normal(&g["cost_usd"]));
            row.insert("reported_cost_usd".into(), normal(&g["reported_cost_usd"]));
            (g["key"]["model"].as_str().unwrap().to_string(), row)
        })
        .collect()
}

const DUCKDB_SUMS: &str = r#"
import duckdb, json, sys
rows = duckdb.sql("""
    SELECT coalesce(model, '(none)'), count(*),
           sum(usage_input), sum(usage_cache_read), sum(usage_cache_write_5m),
           sum(usage_cache_write_1h), sum(usage_output), sum(usage_reasoning),
           sum(usage_total), sum(cost_usd)::VARCHAR, sum(reported_cost_usd)::VARCHAR
    FROM read_parquet(?) GROUP BY 1 ORDER BY 1""", params=[sys.argv[1]]).fetchall()
print(json.dumps([[None if v is None else (v if isinstance(v, str) else int(v)) for v in r]
                  for r in rows]))
"#;

#[test]
fn duckdb_sums_over_parquet_equal_the_report() {
    let Some(py) = python_with("duckdb", "TOKENMAXX_REQUIRE_DUCKDB") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.parquet");
    // The examples and every fixture: unpriced records, null models,
    // costs with many decimals, usage-export buckets.
    let inputs = [root().join("examples/logs"), root().join("tests/fixtures")];
    records_parquet(&inputs, &file);
    let rows: Vec<Vec<Value>> =
        serde_json::from_str(&python(&py, &["-c", DUCKDB_SUMS, file.to_str().unwrap()])).unwrap();
    let summed: BTreeMap<String, BTreeMap<String, Value>> = rows
        .into_iter()
        .map(|r| {
            let mut row: BTreeMap<String, Value> = BUCKETS
                .iter()
                .enumerate()
                .map(|(i, b)| (b.to_string(), r[2 + i].clone()))
                .collect();
            row.insert("records".into(), r[1].clone());
            row.insert("cost_usd".into(), normal(&r[9]));
            row.insert("reported_cost_usd".into(), normal(&r[10]));
            (r[0].as_str().unwrap().to_string(), row)
        })
        .collect();
    let want = report_by_model(&inputs);
    assert!(want.len() > 20, "{} models", want.len());
    assert!(
        want.values().any(|r| r["cost_usd"].is_null()),
        "an unpriced model"
    );
    assert_eq!(summed, want);
}

fn spark(py: &Path, shard_by: &str, args: &[&str]) -> String {
    let script = root().join("examples/spark/tokenmaxx_spark.py");
    let bin = assert_cmd::cargo::cargo_bin("tokenmaxx");
    let mut all = vec![script.to_str().unwrap(), args[0], args[1]];
    all.extend(["--tokenmaxx", bin.to_str().unwrap(), "--shard-by", shard_by]);
    all.extend(&args[2..]);
    python(py, &all)
}

/// The merged report of Spark's shards is the report of one run: every
/// figure, and the accounting of every line (inputs listed with their
/// sizes and hashes). Each file alone on the examples; each project with
/// its subagent logs on the Claude Code tree.
#[test]
fn spark_report_mode_equals_one_report() {
    let Some(py) = python_with("pyspark", "TOKENMAXX_REQUIRE_SPARK") else {
        return;
    };
    for (dataset, shard_by, files) in [
        ("examples/logs", "file", 10),
        ("tests/fixtures/claude-code/projects", "top", 6),
    ] {
        let dir = root().join(dataset);
        let mut merged: Value = serde_json::from_str(&spark(
            &py,
            shard_by,
            &["report", dir.to_str().unwrap(), "--", "--by", "model"],
        ))
        .unwrap();
        let mut single = stdout_json(
            &tokenmaxx()
                .args(["report", "--by", "model", "--format", "json", "--quiet"])
                .arg(&dir)
                .output()
                .unwrap(),
        );
        // The shards name their inputs by absolute path.
        for rep in [&mut merged, &mut single] {
            for input in rep["accounting"]["inputs"].as_array_mut().unwrap() {
                let path = input["path"].as_str().unwrap();
                let below = path.rsplit_once(&format!("{dataset}/")).unwrap().1;
                input["path"] = Value::String(below.to_string());
            }
        }
        let inputs = single["accounting"]["inputs"].as_array().unwrap();
        assert_eq!(inputs.len(), files, "{dataset}");
        assert_eq!(merged, single, "{dataset}");
    }
}

/// Spark SQL over the part files the recipe writes sums to `report`.
#[test]
fn spark_records_mode_sums_to_the_report() {
    let Some(py) = python_with("pyspark", "TOKENMAXX_REQUIRE_SPARK") else {
        return;
    };
    let logs = root().join("examples/logs");
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("records");
    let sql = "SELECT coalesce(model, '(none)') AS model, count(*) AS records, \
               sum(usage_input) AS input, sum(usage_cache_read) AS cache_read, \
               sum(usage_cache_write_5m) AS cache_write_5m, \
               sum(usage_cache_write_1h) AS cache_write_1h, sum(usage_output) AS output, \
               sum(usage_reasoning) AS reasoning, sum(usage_total) AS total, \
               CAST(sum(cost_usd) AS STRING) AS cost_usd, \
               CAST(sum(reported_cost_usd) AS STRING) AS reported_cost_usd \
               FROM records GROUP BY 1";
    let printed = spark(
        &py,
        "file",
        &[
            "records",
            logs.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--sql",
            sql,
        ],
    );
    let summed: BTreeMap<String, BTreeMap<String, Value>> = printed
        .lines()
        .map(|l| {
            let mut row: BTreeMap<String, Value> = serde_json::from_str(l).unwrap();
            let model = row.remove("model").unwrap().as_str().unwrap().to_string();
            for v in row.values_mut() {
                *v = normal(v);
            }
            (model, row)
        })
        .collect();
    let parts = std::fs::read_dir(&out_dir).unwrap().count();
    assert_eq!(parts, 10, "one part file per shard");
    assert_eq!(summed, report_by_model(&[logs]));
}
