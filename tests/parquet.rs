//! `records --format parquet`: read back with the Apache `parquet` crate's
//! own reader, every cell of every record equals the JSONL record's field
//! of the same path (docs/parquet.md), typed; large inputs become several
//! row groups; `-o` leaves nothing behind on failure; a closed pipe is a
//! quiet end.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::Value;

use common::{assert_ok, chat_line, normal_decimal, records_parquet, tokenmaxx};

const JAN_1_2025: i64 = 1735689600;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A JSONL record flattened the way docs/parquet.md names the columns:
/// a nested field's path joined with `_`.
fn flatten(record: &Value) -> BTreeMap<String, Value> {
    let mut flat = BTreeMap::new();
    for (k, v) in record.as_object().unwrap() {
        match v {
            Value::Object(inner) => {
                for (ik, iv) in inner {
                    flat.insert(format!("{k}_{ik}"), iv.clone());
                }
            }
            _ => {
                flat.insert(k.clone(), v.clone());
            }
        }
    }
    flat
}

fn decimal_string(d: &parquet::data_type::Decimal) -> String {
    let bytes: [u8; 16] = d.data().try_into().expect("16-byte decimal");
    let v = i128::from_be_bytes(bytes);
    let scale = d.scale() as usize;
    let digits = format!("{:0>width$}", v.unsigned_abs(), width = scale + 1);
    let (int, frac) = digits.split_at(digits.len() - scale);
    let sign = if v < 0 { "-" } else { "" };
    normal_decimal(&format!("{sign}{int}.{frac}"))
}

/// One Parquet cell as the JSON value the JSONL record has for it.
fn as_json(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Long(n) => Value::from(*n),
        Field::Str(s) => Value::String(s.clone()),
        Field::Decimal(d) => Value::String(decimal_string(d)),
        Field::TimestampMicros(us) => {
            let t = jiff::Timestamp::from_microsecond(*us).unwrap();
            Value::String(t.to_string())
        }
        Field::Date(days) => {
            let d = jiff::civil::date(1970, 1, 1)
                .checked_add(jiff::Span::new().days(i64::from(*days)))
                .unwrap();
            Value::String(d.to_string())
        }
        other => panic!("a column type docs/parquet.md does not list: {other:?}"),
    }
}

/// The JSONL value as the Parquet reader would give it back: decimals
/// without trailing zeros, timestamps in UTC to the microsecond (the
/// engines' precision; docs/parquet.md).
fn comparable(name: &str, v: &Value) -> Value {
    match v {
        Value::String(s) if name == "timestamp" => {
            let t = s.parse::<jiff::Timestamp>().unwrap();
            let us = jiff::Timestamp::from_microsecond(t.as_microsecond()).unwrap();
            Value::String(us.to_string())
        }
        Value::String(s) if name.contains("cost") => Value::String(normal_decimal(s)),
        _ => v.clone(),
    }
}

fn rows(file: &Path) -> Vec<BTreeMap<String, Value>> {
    let reader = SerializedFileReader::new(std::fs::File::open(file).unwrap()).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(name, field)| (name.clone(), as_json(field)))
                .collect()
        })
        .collect()
}

fn records(args: &[&str], out: &Path) -> std::process::Output {
    tokenmaxx()
        .args(["records", "--format", "parquet", "-o"])
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_cell_equals_the_jsonl_record() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.parquet");
    let inputs = [root().join("examples/logs"), root().join("tests/fixtures")];
    records_parquet(&inputs, &file);
    let jsonl = tokenmaxx()
        .args(["records", "--quiet"])
        .args(&inputs)
        .output()
        .unwrap();
    let want: Vec<Value> = String::from_utf8(jsonl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got = rows(&file);
    assert!(want.len() > 200, "{} records", want.len());
    assert_eq!(got.len(), want.len());
    let mut seen_cost = 0;
    for (i, (row, record)) in got.iter().zip(&want).enumerate() {
        let flat = flatten(record);
        for (name, cell) in row {
            let expected = match flat.get(name) {
                Some(v) => comparable(name, v),
                // Absent from the JSON: a breakdown bucket the record has
                // no cost in, or a nested object that is null.
                None => {
                    let parent = ["counted", "price", "cost_breakdown"]
                        .iter()
                        .find(|p| name.starts_with(&format!("{p}_")))
                        .unwrap_or_else(|| panic!("column {name} is in no JSON field"));
                    assert!(
                        record[*parent].is_null() || *parent == "cost_breakdown",
                        "record {i}: {name}"
                    );
                    Value::Null
                }
            };
            assert_eq!(
                cell, &expected,
                "record {i} ({}), column {name}",
                record["source"]
            );
        }
        // And no JSON field is missing from the file.
        for (name, v) in &flat {
            if !row.contains_key(name) {
                // A nested object that is null flattens to its parent name.
                assert!(
                    v.is_null() && ["counted", "price"].contains(&name.as_str()),
                    "record {i}: JSON field {name} has no column"
                );
            }
        }
        if !record["cost_usd"].is_null() {
            seen_cost += 1;
        }
    }
    assert!(seen_cost > 100);
}

/// The columns the file declares, with their types, are docs/parquet.md's
/// table, in order.
#[test]
fn the_schema_is_the_documented_one() {
    let doc = std::fs::read_to_string(root().join("docs/parquet.md")).unwrap();
    let documented: Vec<(String, String)> = doc
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (
                cells[0].trim_matches('`').to_string(),
                cells[1].trim_matches('`').to_string(),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.parquet");
    let out = records(&[root().join("examples/logs").to_str().unwrap()], &file);
    assert_ok(&out);
    let reader = SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let declared: Vec<(String, String)> = schema
        .columns()
        .iter()
        .map(|c| {
            use parquet::basic::{LogicalType, TimeUnit, Type};
            let logical = c.logical_type_ref();
            let sql = match c.physical_type() {
                Type::BYTE_ARRAY if logical == Some(&LogicalType::String) => "VARCHAR".into(),
                Type::BOOLEAN => "BOOLEAN".into(),
                Type::INT64 if logical.is_none() => "BIGINT".into(),
                Type::INT64 if logical == Some(&LogicalType::timestamp(true, TimeUnit::MICROS)) => {
                    "TIMESTAMP WITH TIME ZONE".into()
                }
                Type::INT32 if logical == Some(&LogicalType::Date) => "DATE".into(),
                Type::FIXED_LEN_BYTE_ARRAY => match logical {
                    Some(LogicalType::Decimal(d)) => {
                        format!("DECIMAL({},{})", d.precision, d.scale)
                    }
                    other => panic!("{}: {other:?}", c.name()),
                },
                other => panic!("{}: {other:?} {logical:?}", c.name()),
            };
            (c.name().to_string(), sql)
        })
        .collect();
    assert_eq!(declared, documented);
}

fn many_records(n: i64) -> String {
    let mut body = String::new();
    for i in 0..n {
        let model = if i % 3 == 0 { "gpt-4o" } else { "gpt-4o-mini" };
        body.push_str(&chat_line(
            model,
            JAN_1_2025 + i,
            1000 + i as u64 % 7,
            0,
            9,
            "t",
        ));
        body.push('\n');
    }
    body
}

/// Records stream out in row groups of 65,536 rows, so memory holds one
/// group and not the file.
#[test]
fn large_inputs_become_several_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("calls.jsonl");
    std::fs::write(&input, many_records(150_000)).unwrap();
    let file = dir.path().join("r.parquet");
    let out = records(&["--quiet", input.to_str().unwrap()], &file);
    assert_ok(&out);
    let reader = SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    let groups: Vec<i64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows())
        .collect();
    assert_eq!(groups, [65_536, 65_536, 18_928]);
}

#[test]
fn a_failed_run_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("calls.jsonl");
    let mut body = many_records(3);
    body.push_str("{broken\n");
    std::fs::write(&input, body).unwrap();
    let file = dir.path().join("r.parquet");
    let out = records(&["--strict", input.to_str().unwrap()], &file);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("calls.jsonl:4"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["calls.jsonl"]);
}

/// `records --format parquet | head -c 64` ends quietly, like JSONL does.
#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = common::spawn(&["records", "--format", "parquet"], true);
    let mut stdin = child.stdin.take().unwrap();
    let body = many_records(150_000);
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(body.as_bytes());
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first[..4], b"PAR1");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

/// A pipe gets the same bytes as `-o FILE`, whatever the thread count.
#[test]
fn stdout_and_file_are_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.parquet");
    let logs = root().join("examples/logs");
    let fixtures = root().join("tests/fixtures");
    let paths = [logs.to_str().unwrap(), fixtures.to_str().unwrap()];
    let out = records(&["--quiet", "--threads", "1", paths[0], paths[1]], &file);
    assert_ok(&out);
    let piped = tokenmaxx()
        .args([
            "records",
            "--format",
            "parquet",
            "--quiet",
            "--threads",
            "2",
        ])
        .args(paths)
        .output()
        .unwrap();
    assert_ok(&piped);
    assert_eq!(piped.stdout, std::fs::read(&file).unwrap());
}

/// `-o FILE` works for every records format and writes what stdout gets.
#[test]
fn dash_o_writes_jsonl_and_csv_too() {
    let dir = tempfile::tempdir().unwrap();
    let logs = root().join("examples/logs");
    for format in ["jsonl", "csv"] {
        let file = dir.path().join(format!("r.{format}"));
        let out = tokenmaxx()
            .args(["records", "--quiet", "--format", format, "-o"])
            .arg(&file)
            .arg(&logs)
            .output()
            .unwrap();
        assert_ok(&out);
        assert!(out.stdout.is_empty());
        let piped = tokenmaxx()
            .args(["records", "--quiet", "--format", format])
            .arg(&logs)
            .output()
            .unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), piped.stdout, "{format}");
    }
}
