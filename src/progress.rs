//! A one-line progress display on stderr for long runs: inputs done, MB
//! read, records per second. Only when stderr is a terminal and the run is
//! not `--quiet`, and only after the run has taken a while, so that quick
//! runs, pipes, CI logs and redirected stderr never see it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::fmt::thousands;
use crate::ingest::Input;

/// A run shorter than this shows nothing.
const DELAY: Duration = Duration::from_millis(800);
/// Redraws at most this often.
const EVERY: Duration = Duration::from_millis(120);

pub struct Progress {
    enabled: bool,
    started: Instant,
    last_draw: Option<Instant>,
    /// Size of each input in bytes (0 for stdin or when unknown).
    sizes: Vec<u64>,
    total_bytes: u64,
    inputs_done: usize,
    bytes_done: u64,
    records: u64,
    drawn: bool,
}

impl Progress {
    pub fn start(inputs: &[Input], quiet: bool) -> Progress {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let sizes: Vec<u64> = if enabled {
            inputs
                .iter()
                .map(|i| match i {
                    Input::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                    Input::Stdin => 0,
                })
                .collect()
        } else {
            Vec::new()
        };
        Progress {
            enabled,
            started: Instant::now(),
            last_draw: None,
            total_bytes: sizes.iter().sum(),
            sizes,
            inputs_done: 0,
            bytes_done: 0,
            records: 0,
            drawn: false,
        }
    }

    pub fn records(&mut self, n: u64) {
        self.records += n;
        self.maybe_draw();
    }

    pub fn input_done(&mut self, index: usize) {
        self.inputs_done = index + 1;
        self.bytes_done += self.sizes.get(index).copied().unwrap_or(0);
        self.maybe_draw();
    }

    fn maybe_draw(&mut self) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.started) < DELAY
            || self
                .last_draw
                .is_some_and(|t| now.duration_since(t) < EVERY)
        {
            return;
        }
        self.last_draw = Some(now);
        let secs = now.duration_since(self.started).as_secs_f64();
        let line = format!(
            "{}/{} inputs · {:.1}/{:.1} MB · {} records ({}/s)",
            thousands(self.inputs_done as u64),
            thousands(self.sizes.len() as u64),
            self.bytes_done as f64 / 1e6,
            self.total_bytes as f64 / 1e6,
            thousands(self.records),
            thousands((self.records as f64 / secs.max(1e-9)) as u64),
        );
        // \r and erase-line: redraw in place without scrolling.
        let _ = write!(std::io::stderr().lock(), "\r\x1b[2K{line}");
        self.drawn = true;
    }

    /// Erase the line, so that the summary and warnings start clean.
    pub fn finish(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
