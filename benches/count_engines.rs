//! Token-counting throughput of one engine on one file.
//!
//! ```text
//! count_engines --engine tokenmaxx|bpe-openai|tiktoken-rs
//!               --encoding o200k_base|cl100k_base
//!               [--threads N] [--passes K] FILE
//! ```
//!
//! The file is cut into chunks (at blank lines, at most ~64 KiB each) so the
//! work spreads over N threads (a local rayon pool); every chunk is counted
//! once per pass. One JSON object per pass goes to stdout:
//! `{"engine","encoding","threads","pass","bytes","tokens","seconds","mb_per_s","errors"}`
//! (MB = 10^6 bytes). Engines are loaded before the first pass, so pass 1
//! measures cold per-thread caches, not vocabulary loading. `errors` counts
//! chunks the engine failed on (tiktoken-rs panics on very long whitespace
//! runs); their tokens are not in `tokens`.
//!
//! Build with `cargo bench --bench count_engines --no-run`; cargo's own
//! `--bench` argument is accepted and ignored.

use std::process::ExitCode;
use std::time::Instant;

use rayon::prelude::*;
use tokenmaxx::tokenize::Encoding;

const CHUNK: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Tokenmaxx,
    BpeOpenAi,
    TiktokenRs,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Tokenmaxx => "tokenmaxx",
            Engine::BpeOpenAi => "bpe-openai",
            Engine::TiktokenRs => "tiktoken-rs",
        }
    }
}

struct Args {
    engine: Engine,
    encoding: Encoding,
    threads: usize,
    passes: usize,
    file: String,
}

const USAGE: &str = "usage: count_engines --engine tokenmaxx|bpe-openai|tiktoken-rs \
                     --encoding o200k_base|cl100k_base [--threads N] [--passes K] FILE";

fn parse_args() -> Result<Args, String> {
    let mut engine = None;
    let mut encoding = None;
    let mut threads = 1;
    let mut passes = 5;
    let mut file = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match a.as_str() {
            "--bench" => {}
            "--engine" => {
                engine = Some(match value("--engine")?.as_str() {
                    "tokenmaxx" => Engine::Tokenmaxx,
                    "bpe-openai" => Engine::BpeOpenAi,
                    "tiktoken-rs" => Engine::TiktokenRs,
                    other => return Err(format!("unknown engine {other}")),
                })
            }
            "--encoding" => {
                encoding = Some(match value("--encoding")?.as_str() {
                    "o200k_base" => Encoding::O200kBase,
                    "cl100k_base" => Encoding::Cl100kBase,
                    other => return Err(format!("unsupported encoding {other}")),
                })
            }
            "--threads" => {
                threads = value("--threads")?
                    .parse()
                    .map_err(|e| format!("--threads: {e}"))?;
                if threads == 0 {
                    return Err("--threads must be at least 1".into());
                }
            }
            "--passes" => {
                passes = value("--passes")?
                    .parse()
                    .map_err(|e| format!("--passes: {e}"))?
            }
            "-h" | "--help" => return Err(USAGE.into()),
            f if f.starts_with("--") => return Err(format!("unknown option {f}")),
            f => {
                if file.replace(f.to_string()).is_some() {
                    return Err("only one FILE".into());
                }
            }
        }
    }
    Ok(Args {
        engine: engine.ok_or("--engine is required")?,
        encoding: encoding.ok_or("--encoding is required")?,
        threads,
        passes,
        file: file.ok_or("FILE is required")?,
    })
}

/// Chunks of at most ~`CHUNK` bytes, cut after a blank line where there is
/// one, else at a character boundary.
fn chunks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.len() <= CHUNK {
            out.push(rest);
            break;
        }
        let window = &rest.as_bytes()[..CHUNK];
        let cut = match memchr::memmem::rfind(window, b"\n\n") {
            Some(p) if p > 0 => p + 2,
            _ => {
                let mut c = CHUNK;
                while !rest.is_char_boundary(c) {
                    c -= 1;
                }
                c
            }
        };
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

/// Token count of one chunk, or None if the engine failed on it.
fn count(engine: Engine, encoding: Encoding, text: &str) -> Option<usize> {
    match engine {
        Engine::Tokenmaxx => encoding.tokenizer().count(text).ok(),
        Engine::BpeOpenAi => Some(match encoding {
            Encoding::Cl100kBase => bpe_openai::cl100k_base().count(text),
            _ => bpe_openai::o200k_base().count(text),
        }),
        Engine::TiktokenRs => std::panic::catch_unwind(|| {
            let bpe = match encoding {
                Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
                _ => tiktoken_rs::o200k_base_singleton(),
            };
            bpe.encode_ordinary(text).len()
        })
        .ok(),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("count_engines: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("count_engines: {}: {e}", args.file);
            return ExitCode::from(2);
        }
    };
    let chunks = chunks(&text);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .expect("thread pool");
    if args.engine == Engine::TiktokenRs {
        // Its panics are counted as errors, not printed per chunk.
        std::panic::set_hook(Box::new(|_| {}));
    }
    // Load the vocabulary outside the timed passes.
    let t0 = Instant::now();
    let _ = count(args.engine, args.encoding, "");
    eprintln!(
        "count_engines: {} {} loaded in {:.3}s; {} chunks",
        args.engine.name(),
        args.encoding.name(),
        t0.elapsed().as_secs_f64(),
        chunks.len()
    );
    for pass in 1..=args.passes {
        let start = Instant::now();
        let (tokens, errors) = pool.install(|| {
            chunks
                .par_iter()
                .map(|c| match count(args.engine, args.encoding, c) {
                    Some(n) => (n, 0usize),
                    None => (0, 1),
                })
                .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        });
        let seconds = start.elapsed().as_secs_f64();
        let line = serde_json::json!({
            "engine": args.engine.name(),
            "encoding": args.encoding.name(),
            "threads": args.threads,
            "pass": pass,
            "bytes": text.len(),
            "tokens": tokens,
            "seconds": seconds,
            "mb_per_s": text.len() as f64 / 1e6 / seconds,
            "errors": errors,
        });
        println!("{line}");
    }
    ExitCode::SUCCESS
}
