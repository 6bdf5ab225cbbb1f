//! The floor and the ceiling of `report` on a Claude Code tree: how fast
//! the files can be read and split into lines, and how fast every line can
//! be read and checked the way a usage-only run reads it, with nothing
//! billed, deduplicated or summed.
//!
//! ```text
//! cc_ceiling --mode read|parse [--threads N] DIR
//! ```
//!
//! Every `*.jsonl` under DIR is read whole (files are spread over N threads
//! of a local rayon pool). `read` counts lines; `parse` also passes each
//! non-blank line to the run's own line reader
//! (`tokenmaxx::ingest::format::claude_code::accepts_line`). One JSON object
//! goes to stdout: `{"mode","threads","files","bytes","lines","rejected",
//! "seconds","mb_per_s"}` (MB = 10^6 bytes; seconds include the walk).
//! `benches/bench.py` prints both beside `report` and ccusage.
//!
//! Build with `cargo bench --bench cc_ceiling --no-run`; cargo's own
//! `--bench` argument is accepted and ignored.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use rayon::prelude::*;

const USAGE: &str = "usage: cc_ceiling --mode read|parse [--threads N] DIR";

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "jsonl") {
            out.push(p);
        }
    }
    Ok(())
}

/// Bytes, lines and rejected lines of one file.
fn one(path: &Path, parse: bool) -> std::io::Result<(u64, u64, u64)> {
    let data = std::fs::read(path)?;
    let (mut lines, mut rejected) = (0, 0);
    for line in data.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        if parse && !tokenmaxx::ingest::format::claude_code::accepts_line(line) {
            rejected += 1;
        }
    }
    Ok((data.len() as u64, lines, rejected))
}

fn main() -> ExitCode {
    let (mut mode, mut threads, mut dir) = (None, 1usize, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mode" => mode = args.next(),
            "--threads" => threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(0),
            "--bench" => {}
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let parse = match mode.as_deref() {
        Some("read") => false,
        Some("parse") => true,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (Some(dir), true) = (dir, threads > 0) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let start = Instant::now();
    let result = pool.install(|| {
        let mut files = Vec::new();
        walk(&dir, &mut files)?;
        files.sort();
        let counts = files
            .par_iter()
            .map(|f| one(f, parse))
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok::<_, std::io::Error>((files.len(), counts))
    });
    let seconds = start.elapsed().as_secs_f64();
    let (files, counts) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cc_ceiling: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    let (bytes, lines, rejected) = counts
        .iter()
        .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
    println!(
        "{{\"mode\":\"{}\",\"threads\":{threads},\"files\":{files},\"bytes\":{bytes},\"lines\":{lines},\"rejected\":{rejected},\"seconds\":{seconds:.4},\"mb_per_s\":{:.1}}}",
        if parse { "parse" } else { "read" },
        bytes as f64 / 1e6 / seconds
    );
    ExitCode::SUCCESS
}
