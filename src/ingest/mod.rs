//! Reading inputs: files, directories, stdin; containers (JSONL, JSON array,
//! single JSON object, CSV); gzip/zstd by magic bytes; per-file format
//! detection. Everything downstream sees a stream of [`Event`]s in input
//! order, delivered in batches so later stages can work on a batch in
//! parallel and still emit in order.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::record::{Format, Record, Source};

pub mod call;
mod container;
mod database;
pub mod fields;
pub mod format;
pub mod join;
pub(crate) mod lean;
mod open;
mod sources;
pub mod sqlite;
pub mod turns;
pub mod walk;

pub use format::{ParseOptions, Skip};
pub use sources::AgentSource;
pub use walk::Seen;
use walk::{Walk, walk};

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
            Input::File(p) => path_name(p),
        }
    }
}

/// A path as text, losslessly: a name that is not UTF-8 keeps each byte
/// that is not text as `\xNN` (and its backslashes doubled), so two such
/// names never become one group or one shard identity, as they would with
/// U+FFFD in place of their bytes.
pub fn path_name(p: &std::path::Path) -> String {
    if let Some(s) = p.to_str() {
        return s.to_string();
    }
    #[cfg(unix)]
    {
        use std::fmt::Write as _;
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in p.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(&chunk.valid().replace('\\', "\\\\"));
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        p.display().to_string()
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
    /// A record was kept but something on its line had to be guessed (a
    /// timestamp that is not a date): said on stderr, an error under
    /// `--strict`.
    Warning {
        source: Source,
        detail: String,
    },
}

#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    pub parse: ParseOptions,
    /// `--input-format`: skip detection.
    pub format: Option<Format>,
}

/// Expand command-line paths into inputs: `-` is stdin, directories are
/// walked recursively in sorted order (hidden entries skipped), no paths
/// means stdin when it is not a terminal. Within a directory, files come
/// before subdirectories (see [`walk::Walk::Logs`]). Each file is read once
/// however often it is reached; what is left out is in `seen.notes`.
pub fn collect_inputs(paths: &[PathBuf], seen: &mut Seen) -> Result<Vec<Input>> {
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
            let mut found = Vec::new();
            walk(p, Walk::Logs, seen, &mut found)
                .with_context(|| format!("{}: cannot list directory", p.display()))?;
            out.extend(found.into_iter().map(Input::File));
        } else if !meta.is_file() || seen.first_file(p, &meta) {
            // A FIFO or device named on its own is read as a stream.
            out.push(Input::File(p.clone()));
        }
    }
    Ok(out)
}

/// [`collect_inputs`] plus the default log directories of `sources`
/// (`--source claude-code`). With sources and no paths, stdin is not read.
pub fn collect_inputs_with(
    paths: &[PathBuf],
    sources: &[AgentSource],
    seen: &mut Seen,
) -> Result<Vec<Input>> {
    let mut out = if paths.is_empty() && !sources.is_empty() {
        Vec::new()
    } else {
        collect_inputs(paths, seen)?
    };
    for &s in sources {
        let roots = sources::roots(s)?;
        for root in &roots {
            if let Ok(meta) = fs::metadata(root)
                && meta.is_file()
            {
                if seen.first_file(root, &meta) {
                    out.push(Input::File(root.clone()));
                }
                continue;
            }
            let mut found = Vec::new();
            walk(root, Walk::Logs, seen, &mut found)
                .with_context(|| format!("{}: cannot list directory", root.display()))?;
            // An archived copy of a rollout is read too: its records are
            // deduplicated by call id, so its lines are accounted for.
            out.extend(found.into_iter().map(Input::File));
        }
    }
    Ok(out)
}

/// Read one input to the end, handing batches of events to `sink` in order.
/// An `Err` from `sink` stops reading and is returned (a closed pipe,
/// `--strict`). I/O errors opening the input are returned; a file that goes
/// bad midway (truncated gzip) ends with a skip event, keeping what was read.
/// Returns the input's size and hash when it was read to its end.
pub fn read_input(
    input: &Input,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<Option<(u64, u128)>> {
    let name: Arc<str> = Arc::from(input.display_name());
    let (mut reader, fingerprint) =
        open::open(input).with_context(|| format!("{name}: cannot open"))?;
    // A database is read by its pages, not as a stream: recognised by the
    // first bytes the stream already holds, then opened by its path.
    if let Input::File(path) = input
        && io::BufRead::fill_buf(&mut reader).is_ok_and(|b| b.starts_with(sqlite::MAGIC))
    {
        drop(reader);
        return database::read(path, name, opts, sink);
    }
    container::read(reader, name, matches!(input, Input::Stdin), opts, sink)?;
    Ok(fingerprint.get().copied())
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

/// Whether a usage-only run parses `format` the lean way (only the fields
/// it bills from are built); the fuzz target `lean_vs_full` holds such
/// formats to the full parse.
pub fn has_lean_path(format: Format) -> bool {
    format::lean_fields(format).is_some()
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
