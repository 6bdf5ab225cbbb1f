//! Reading inputs: files, directories, stdin; containers (JSONL, JSON array,
//! single JSON object, CSV); gzip/zstd by magic bytes; per-file format
//! detection. Everything downstream sees a stream of [`Event`]s in input
//! order, delivered in batches so later stages can work on a batch in
//! parallel and still emit in order.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::record::{Format, Record, Source};

pub mod call;
mod container;
pub mod fields;
pub mod format;
pub mod join;
pub(crate) mod lean;
mod open;
mod sources;

pub use format::{ParseOptions, Skip};
pub use sources::AgentSource;

/// One thing to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name used in `path:line:` messages and in `source.path`.
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// What reading produced, in input order.
#[derive(Debug)]
pub enum Event {
    Record(Box<Record>),
    Skip {
        source: Source,
        skip: Skip,
    },
    /// A line of the format that bills nothing on purpose (a synthetic or
    /// error message in a transcript, a failed batch request).
    Dropped {
        source: Source,
        reason: &'static str,
    },
    /// Entries read (lines, array elements, CSV rows, or calls inside one
    /// document), for the run's accounting.
    Lines(u64),
}

#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    pub parse: ParseOptions,
    /// `--input-format`: skip detection.
    pub format: Option<Format>,
}

/// Extensions picked up when walking a directory. Files named on the command
/// line are read whatever their name; detection is by content either way.
const LOG_EXTENSIONS: &[&str] = &["jsonl", "ndjson", "json", "csv", "log", "gz", "zst", "zstd"];

/// Expand command-line paths into inputs: `-` is stdin, directories are
/// walked recursively in sorted order (hidden entries skipped), no paths
/// means stdin when it is not a terminal. Within a directory, files come
/// before subdirectories (see [`walk_rank`]).
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<Input>> {
    if paths.is_empty() {
        if io::stdin().is_terminal() {
            bail!("no input: give log files or directories, or pipe records on stdin");
        }
        return Ok(vec![Input::Stdin]);
    }
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let meta = fs::metadata(p).with_context(|| format!("{}: cannot read", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out).with_context(|| format!("{}: cannot list directory", p.display()))?;
        } else {
            out.push(Input::File(p.clone()));
        }
    }
    Ok(out)
}

/// [`collect_inputs`] plus the default log directories of `sources`
/// (`--source claude-code`). With sources and no paths, stdin is not read.
pub fn collect_inputs_with(paths: &[PathBuf], sources: &[AgentSource]) -> Result<Vec<Input>> {
    let mut out = if paths.is_empty() && !sources.is_empty() {
        Vec::new()
    } else {
        collect_inputs(paths)?
    };
    for &s in sources {
        let roots = sources::roots(s)?;
        for root in &roots {
            let mut found = Vec::new();
            walk(root, &mut found)
                .with_context(|| format!("{}: cannot list directory", root.display()))?;
            out.extend(found.into_iter().filter(|i| match i {
                Input::File(p) => !sources::is_archived_copy(p, &roots),
                Input::Stdin => true,
            }));
        }
    }
    Ok(out)
}

/// Walk order within a directory: files before subdirectories, and
/// `agent-*` files after the other files, each group by name. Agent logs
/// put a session's own transcript (`<session>.jsonl`) beside the subagent
/// logs that replay its messages (`agent-<id>.jsonl`,
/// `<session>/subagents/`); reading the session first makes the run keep
/// the session's copy of a replayed call, whatever the names sort to.
fn walk_rank(e: &fs::DirEntry) -> (u8, std::ffi::OsString) {
    let name = e.file_name();
    // The entry's type comes with the directory listing; only a symlink
    // needs a stat to see what it points at.
    let is_dir = match e.file_type() {
        Ok(t) if t.is_symlink() => e.path().is_dir(),
        Ok(t) => t.is_dir(),
        Err(_) => false,
    };
    let agent = name.to_string_lossy().starts_with("agent-");
    let rank = match (is_dir, agent) {
        (false, false) => 0,
        (false, true) => 1,
        (true, _) => 2,
    };
    (rank, name)
}

fn walk(dir: &Path, out: &mut Vec<Input>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_cached_key(walk_rank);
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let ft = e.file_type()?;
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            walk(&path, out)?;
        } else if has_log_extension(&path) {
            out.push(Input::File(path));
        }
    }
    Ok(())
}

fn has_log_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LOG_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Read one input to the end, handing batches of events to `sink` in order.
/// An `Err` from `sink` stops reading and is returned (a closed pipe,
/// `--strict`). I/O errors opening the input are returned; a file that goes
/// bad midway (truncated gzip) ends with a skip event, keeping what was read.
pub fn read_input(
    input: &Input,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let name: Arc<str> = Arc::from(input.display_name());
    let reader = open::open(input).with_context(|| format!("{name}: cannot open"))?;
    container::read(reader, name, matches!(input, Input::Stdin), opts, sink)
}

/// End of the run: calls still waiting for their other half in another
/// file (a batch result whose request never came) are billed as they are.
pub fn finish_run(opts: &IngestOptions) -> Vec<Event> {
    let by_session = opts.parse.task_key.is_none();
    let left = match opts.parse.joins.lock() {
        Ok(mut book) => book.drain(),
        Err(poisoned) => poisoned.into_inner().drain(),
    };
    left.into_iter()
        .map(|r| Event::Record(Box::new(container::default_task(r, by_session))))
        .collect()
}

/// Read an in-memory input (fuzzing, embedding): the same path as
/// [`read_input`] after opening (decompression, container and format
/// detection), as a non-live input named `name`.
pub fn read_bytes(
    bytes: Vec<u8>,
    name: &str,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let name: Arc<str> = Arc::from(name);
    let reader = open::decompress(Box::new(io::Cursor::new(bytes)))
        .with_context(|| format!("{name}: cannot open"))?;
    container::read(reader, name, false, opts, sink)
}
