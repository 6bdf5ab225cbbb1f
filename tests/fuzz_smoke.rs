//! Deterministic mutation smoke test: every fixture line under
//! tests/fixtures/ (all format folders) and examples/ is mutated in seeded ways
//! (truncation, byte flips, odd numbers, deleted/duplicated/retyped keys,
//! wrapping, deep nesting), written to a few files, and each file goes
//! through the real binary once as `report --format json` and once as
//! `records --usage counted`. The tool never panics on input: exit 0 or 2,
//! no panic message, and JSON on stdout when it succeeds.
//!
//! The in-process fuzzer (fuzz/, cargo-fuzz) explores further; shapes that
//! crashed the tool are kept in `regression_lines` for every `cargo test`.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{fixture, tokenmaxx};
use serde_json::{Map, Value, json};

/// xorshift64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Replacement values for numeric leaves, as raw JSON text (some are not
/// representable as a `Value`: `1e400` overflows f64, big integers lose
/// precision).
const ODD_NUMBERS: &[&str] = &[
    "-1",
    "-0.0",
    "1.5",
    "0.1e1",
    "1e300",
    "1e400",
    "-1e400",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "5e28",
    "1000000000000",
    "1000000000001",
    "\"12\"",
    "\"-3\"",
    "\"abc\"",
    "\" 7 \"",
    "\"\"",
    "\"1e5\"",
    "\"$5e28\"",
    "\"79228162514264337593543950335\"",
    "\"NaN\"",
    "\"inf\"",
    "null",
    "true",
    "[]",
    "{}",
];

/// Values a key is retyped to.
const ODD_VALUES: &[&str] = &[
    "null",
    "0",
    "-1",
    "\"x\"",
    "[]",
    "{}",
    "true",
    "[null]",
    "[1]",
    "{\"a\":1}",
];

const PLACEHOLDER: &str = "\u{1}odd\u{1}";

/// A fixture's records, one JSON text per line.
struct Source {
    /// File stem with its folder, e.g. `formats-openai-chat`.
    name: String,
    lines: Vec<String>,
}

/// Every fixture's non-blank lines (JSON documents and arrays are flattened
/// to one compact line per record), and the CSV files whole. Formats are
/// detected per file, so mutations of each fixture go to their own file.
fn fixture_inputs() -> (Vec<Source>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    for dir in [fixture(""), root.join("examples/logs")] {
        walk(&dir, &mut files);
    }
    files.sort();
    let (mut sources, mut csvs) = (Vec::new(), Vec::new());
    for f in files {
        // Fuzz findings (tests/fixtures/fuzz) are bytes, not text.
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let mut lines = Vec::new();
        match f.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => lines.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string),
            ),
            Some("json") => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Array(items)) => lines.extend(items.iter().map(Value::to_string)),
                Ok(v) => lines.push(v.to_string()),
                Err(_) => lines.push(text.replace('\n', " ")),
            },
            Some("csv") => csvs.push(text),
            _ => {}
        }
        if !lines.is_empty() {
            // The path below the fixture root keeps names apart
            // (`batch-openai-input`).
            let rel = f.strip_prefix(root).unwrap_or(&f).with_extension("");
            let name: String = rel
                .components()
                .filter_map(|c| c.as_os_str().to_str())
                .filter(|c| *c != "tests" && *c != "fixtures")
                .collect::<Vec<_>>()
                .join("-");
            sources.push(Source { name, lines });
        }
    }
    let n: usize = sources.iter().map(|s| s.lines.len()).sum();
    assert!(n > 100, "fixtures not found: {n} lines");
    assert!(!csvs.is_empty());
    (sources, csvs)
}

/// Paths (as pointer segments) to every scalar leaf matching `pred`, and to
/// every object key.
fn leaves(v: &Value, pred: &dyn Fn(&Value) -> bool) -> Vec<Vec<String>> {
    fn walk(
        v: &Value,
        at: &mut Vec<String>,
        pred: &dyn Fn(&Value) -> bool,
        out: &mut Vec<Vec<String>>,
    ) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    at.push(k.clone());
                    if pred(x) {
                        out.push(at.clone());
                    }
                    walk(x, at, pred, out);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    at.push(i.to_string());
                    if pred(x) {
                        out.push(at.clone());
                    }
                    walk(x, at, pred, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), pred, &mut out);
    out
}

fn get_mut<'v>(v: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |cur, seg| match cur {
        Value::Object(m) => m.get_mut(seg),
        Value::Array(a) => a.get_mut(seg.parse::<usize>().ok()?),
        _ => None,
    })
}

/// `v` with the value at `path` replaced by raw JSON text `raw`.
fn replaced(v: &Value, path: &[String], raw: &str) -> String {
    let mut w = v.clone();
    if let Some(slot) = get_mut(&mut w, path) {
        *slot = Value::String(PLACEHOLDER.to_string());
    }
    w.to_string()
        .replace(&Value::String(PLACEHOLDER.to_string()).to_string(), raw)
}

fn is_numberish(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::String(s) => s.trim().trim_start_matches('$').parse::<f64>().is_ok(),
        _ => false,
    }
}

/// Numeric leaves, in turn, set to odd numbers.
fn number_mutations(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        let Ok(v) = serde_json::from_str::<Value>(l) else {
            continue;
        };
        // A third of the odd numbers per leaf, rotating, keeps the files
        // small; every value still reaches every kind of field somewhere.
        for (i, path) in leaves(&v, &is_numberish).iter().enumerate() {
            for raw in ODD_NUMBERS.iter().skip(i % 3).step_by(3) {
                out.push(replaced(&v, path, raw));
            }
        }
    }
    out
}

/// Every key deleted in turn, and retyped once; the top-level keys
/// duplicated with an odd value first (serde_json keeps the last).
fn key_mutations(lines: &[String], rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        let Ok(v) = serde_json::from_str::<Value>(l) else {
            continue;
        };
        for path in leaves(&v, &|_| true) {
            let (parent, last) = path.split_at(path.len() - 1);
            let mut w = v.clone();
            match get_mut(&mut w, parent) {
                Some(Value::Object(m)) => {
                    m.remove(&last[0]);
                }
                Some(Value::Array(a)) => {
                    a.remove(last[0].parse::<usize>().unwrap());
                }
                _ => {}
            }
            out.push(w.to_string());
            out.push(replaced(&v, &path, ODD_VALUES[rng.below(ODD_VALUES.len())]));
        }
        if let Value::Object(m) = &v {
            for k in m.keys() {
                let odd = ODD_VALUES[rng.below(ODD_VALUES.len())];
                let key = Value::String(k.clone());
                // Duplicate first (the real value wins) and last (the odd one wins).
                out.push(format!("{{{key}:{odd},{}", &l.trim_start()[1..]));
                let body = l.trim_end();
                if body.ends_with('}') && body.len() > 2 {
                    out.push(format!("{},{key}:{odd}}}", &body[..body.len() - 1]));
                }
            }
        }
    }
    out
}

/// Truncation at every 29th byte, and byte flips.
fn byte_mutations(lines: &[String], rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        let b = l.as_bytes();
        for cut in (1..b.len()).step_by(29) {
            out.extend_from_slice(&b[..cut]);
            out.push(b'\n');
        }
        for _ in 0..4 {
            let mut m = b.to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
            // Keep it one line; flips into b'\n' just split it, also fine.
            out.extend_from_slice(&m);
            out.push(b'\n');
        }
    }
    out
}

/// Lines wrapped in arrays, envelopes, and nested deep (just under and far
/// beyond serde_json's recursion limit of 128).
fn wrap_mutations(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        out.push(format!("[{l}]"));
        out.push(format!("[[{l}]]"));
        out.push(format!("[{l},{l}]"));
        out.push(format!("{{\"request\":{l},\"response\":{l}}}"));
        out.push(format!("{{\"input\":{l},\"output\":[{l}]}}"));
        out.push(format!("{}{l}{}", "[".repeat(126), "]".repeat(126)));
        out.push(format!(
            "{}{l}{}",
            "{\"content\":".repeat(120),
            "}".repeat(120)
        ));
    }
    out
}

/// Nesting far beyond serde_json's recursion limit (128), alone and inside
/// otherwise valid records.
fn deep_lines() -> Vec<String> {
    let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    vec![
        // A record first: the file is JSONL, not an array.
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#.to_string(),
        "[".repeat(10_000),
        deep("[", "]", 10_000),
        deep("{\"a\":", "}", 10_000),
        format!(
            "{{\"model\":\"gpt-4o\",\"messages\":[{{\"role\":\"user\",\"content\":{}}}]}}",
            deep("[", "]", 10_000)
        ),
        format!(
            "{{\"model\":\"gpt-4o\",\"messages\":[{{\"role\":\"user\",\"content\":{}\"hi\"{}}}]}}",
            "[".repeat(125),
            "]".repeat(125)
        ),
        format!(
            "{{\"model\":\"gpt-4o\",\"input_tokens\":1,\"metadata\":{}}}",
            deep("{\"task_id\":", "}", 10_000).replacen('}', "1}", 1)
        ),
    ]
}

/// Shapes that crashed the tool once, kept verbatim.
fn regression_lines() -> Vec<String> {
    vec![
        // Reported costs near `Decimal::MAX` overflowed the report's sum.
        r#"{"model":"gpt-4o","input_tokens":1,"output_tokens":1,"cost_usd":"79228162514264337593543950335"}"#.to_string(),
        r#"{"model":"gpt-4o","input_tokens":1,"output_tokens":1,"cost_usd":5e28}"#.to_string(),
        r#"{"model":"gpt-4o","input_tokens":1,"output_tokens":1,"cost_usd":"$5e28"}"#.to_string(),
    ]
}

/// CSV files: cells replaced by odd values, rows cut or quoted oddly, the
/// file truncated, bytes flipped.
fn csv_mutations(csvs: &[String], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for text in csvs {
        let mut rows: Vec<&str> = text.lines().collect();
        let header = rows.remove(0);
        let mut body = format!("{header}\n");
        for r in &rows {
            let cells: Vec<&str> = r.split(',').collect();
            for i in 0..cells.len() {
                for raw in [
                    "-1",
                    "1e400",
                    "99999999999999999999999999999",
                    "5e28",
                    "x",
                    "",
                    "[",
                    "{\"a\":[[[[",
                ] {
                    let mut c = cells.clone();
                    c[i] = raw;
                    body.push_str(&c.join(","));
                    body.push('\n');
                }
            }
            body.push_str(&format!("{r},extra,cells\n"));
        }
        files.push(body.into_bytes());
        // Rows cut short or with a stray quote (which swallows the rest of
        // the file into one field, so these get their own file).
        let mut ragged = format!("{header}\n").into_bytes();
        for r in &rows {
            ragged.extend_from_slice(&r.as_bytes()[..r.len() / 2]);
            ragged.push(b'\n');
        }
        for r in &rows {
            ragged.extend_from_slice(format!("\"{r}\n").as_bytes());
        }
        files.push(ragged);
        let b = text.as_bytes();
        for cut in [b.len() / 3, b.len() / 2, b.len() - 1] {
            files.push(b[..cut].to_vec());
        }
        let mut flipped = b.to_vec();
        for _ in 0..8 {
            let i = rng.below(flipped.len());
            flipped[i] ^= 1 << rng.below(8);
        }
        files.push(flipped);
    }
    files
}

fn join_lines(lines: &[String]) -> Vec<u8> {
    let mut s = lines.join("\n");
    s.push('\n');
    s.into_bytes()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b).unwrap();
    gz.finish().unwrap()
}

/// Run files through `report` and `records --usage counted` (one process
/// each); describe what went wrong, if anything.
fn check(paths: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    let runs: [&[&str]; 2] = [
        &["report", "--format", "json", "--quiet"],
        &["records", "--usage", "counted", "--quiet"],
    ];
    for args in runs {
        let out = tokenmaxx()
            .args(args)
            .args(paths)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let name = format!("{} {}", args.join(" "), names.join(" "));
        let code = out.status.code();
        if !matches!(code, Some(0 | 2)) {
            problems.push(format!("{name}: exit {code:?}: {}", tail(&stderr)));
            continue;
        }
        if stderr.contains("panicked") {
            problems.push(format!("{name}: panicked: {}", tail(&stderr)));
            continue;
        }
        if code == Some(0) {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let ok = if args[0] == "report" {
                serde_json::from_str::<Value>(&stdout).is_ok()
            } else {
                stdout
                    .lines()
                    .all(|l| serde_json::from_str::<Value>(l).is_ok())
            };
            if !ok {
                problems.push(format!("{name}: stdout is not JSON"));
            }
        }
    }
    problems
}

fn tail(s: &str) -> String {
    s.lines().take(6).collect::<Vec<_>>().join(" | ")
}

#[test]
fn mutated_fixtures_never_crash() {
    let (sources, csvs) = fixture_inputs();
    let mut rng = Rng(0x5eed_f022_c0ff_ee01);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let all_lines: Vec<String> = sources.iter().flat_map(|s| s.lines.clone()).collect();

    // One process per command per mutation family; one file per fixture in
    // each family, so every fixture's format is detected as it would be.
    let mut groups: Vec<Vec<PathBuf>> = vec![Vec::new(); 5];
    for s in &sources {
        let numbers = join_lines(&number_mutations(&s.lines));
        groups[0].push(write(&format!("{}.numbers.jsonl", s.name), &numbers));
        groups[1].push(write(
            &format!("{}.keys.jsonl", s.name),
            &join_lines(&key_mutations(&s.lines, &mut rng)),
        ));
        groups[2].push(write(
            &format!("{}.bytes.jsonl", s.name),
            &byte_mutations(&s.lines, &mut rng),
        ));
        groups[3].push(write(
            &format!("{}.wrapped.jsonl", s.name),
            &join_lines(&wrap_mutations(&s.lines)),
        ));
        let array: Vec<Value> = s
            .lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        groups[4].push(write(
            &format!("{}.array.json", s.name),
            serde_json::to_string_pretty(&Value::Array(array))
                .unwrap()
                .as_bytes(),
        ));
    }
    // Each CSV variant needs its own file (the header decides the container).
    groups.push(
        csv_mutations(&csvs, &mut rng)
            .iter()
            .enumerate()
            .map(|(i, body)| write(&format!("variant-{i}.csv"), body))
            .collect(),
    );
    let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    groups.push(vec![
        write("regressions.jsonl", &join_lines(&regression_lines())),
        write("deep.jsonl", &join_lines(&deep_lines())),
        write("deep-array.json", "[".repeat(10_000).as_bytes()),
        write("deep-array-closed.json", deep("[", "]", 10_000).as_bytes()),
        write(
            "deep-doc.json",
            format!("{}\n{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)).as_bytes(),
        ),
        write("cut.jsonl.gz", &{
            let gz = gzip(&join_lines(&all_lines));
            gz[..gz.len() / 2].to_vec()
        }),
        // The single-object document path, with an odd top level.
        write(
            "doc.json",
            serde_json::to_string_pretty(&json!({"request": Map::new(), "response": [1, null]}))
                .unwrap()
                .as_bytes(),
        ),
    ]);

    // Groups are independent: run them side by side.
    let problems: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = groups.iter().map(|g| s.spawn(|| check(g))).collect();
        runs.into_iter().flat_map(|r| r.join().unwrap()).collect()
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
