//! The binary: parse the arguments, run the command, and map what it found
//! to an exit code: 0 ok, 1 "found a problem" (a budget exceeded), 2 an
//! error. A closed stdout pipe (`| head`) is a normal end, exit 0, like
//! ripgrep.

use std::io;

use clap::Parser;
use tokenmaxx::cli::Outcome;
use tokenmaxx::cmd::{self, Cli};

// The hot path builds and drops many small values per log line (JSON
// fields, record strings) on several threads at once; mimalloc's
// thread-local free lists make that roughly half as costly as glibc's
// malloc, measured on agent transcripts (see benches/README.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cmd::run(cli) {
        Ok(Outcome::Ok) => 0,
        Ok(Outcome::Problem) => 1,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("tokenmaxx: {e:#}");
            2
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>()
                .is_some_and(|ce| match ce.kind() {
                    csv::ErrorKind::Io(io) => io.kind() == io::ErrorKind::BrokenPipe,
                    _ => false,
                })
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|se| se.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}
