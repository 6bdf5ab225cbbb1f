//! The directory walker: recursive, sorted, hidden entries skipped, so a
//! run reads the same files in the same order on every machine. Log runs
//! and `count` differ only in which files they keep and how entries sort.
//!
//! Each real directory is walked once and each file read once (by device
//! and inode), whatever the symlinks and repeated paths: a symlink loop or
//! a file reached twice must not count its records twice. Only regular
//! files are taken from a walk: a FIFO in a log folder would block the run
//! forever. What is left out is said in `Seen::notes`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::path_name;

/// Which files a walk keeps, and in what order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// Log files (by extension; detection is by content either way), in
    /// log order: files before subdirectories, `agent-*` files last.
    Logs,
    /// Every file, entries by name (`count`: prompts and docs have any
    /// extension).
    EveryFile,
}

/// Extensions picked up when walking a directory for logs. Files named on
/// the command line are read whatever their name.
/// `db`: agents that keep their calls in SQLite (OpenCode).
const LOG_EXTENSIONS: &[&str] = &[
    "jsonl", "ndjson", "json", "csv", "log", "gz", "zst", "zstd", "db",
];

/// What one collection of inputs has already taken, and what it left out.
#[derive(Debug, Default)]
pub struct Seen {
    dirs: HashMap<FileId, PathBuf>,
    files: HashMap<FileId, PathBuf>,
    /// One sentence per input left out (for a warning).
    pub notes: Vec<String>,
}

/// (device, inode): the file itself, however it is reached.
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &fs::Metadata) -> Option<FileId> {
    None
}

impl Seen {
    /// True the first time a regular file is met; a repeat is noted.
    pub fn first_file(&mut self, path: &Path, meta: &fs::Metadata) -> bool {
        let Some(id) = file_id(meta) else {
            return true;
        };
        match self.files.get(&id) {
            Some(first) => {
                self.notes.push(format!(
                    "{}: the same file as {} (read once)",
                    path.display(),
                    first.display()
                ));
                false
            }
            None => {
                self.files.insert(id, path.to_path_buf());
                true
            }
        }
    }

    fn first_dir(&mut self, dir: &Path) -> io::Result<bool> {
        let Some(id) = file_id(&fs::metadata(dir)?) else {
            return Ok(true);
        };
        match self.dirs.get(&id) {
            Some(first) => {
                self.notes.push(format!(
                    "{}: the same directory as {} (a symlink loop or a repeated path; walked once)",
                    dir.display(),
                    first.display()
                ));
                Ok(false)
            }
            None => {
                self.dirs.insert(id, dir.to_path_buf());
                Ok(true)
            }
        }
    }
}

/// Append the files under `dir` to `out`, each once (see the module doc).
pub fn walk(dir: &Path, how: Walk, seen: &mut Seen, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if !seen.first_dir(dir)? {
        return Ok(());
    }
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    match how {
        Walk::Logs => entries.sort_by_cached_key(rank),
        Walk::EveryFile => entries.sort_by_key(|e| e.file_name()),
    }
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let dir = match is_dir(&e) {
            Ok(d) => d,
            Err(err) => {
                seen.notes.push(format!(
                    "{}: cannot read ({err}), skipped",
                    path_name(&path)
                ));
                continue;
            }
        };
        if dir {
            // One unreadable folder costs its own files, named as itself,
            // not the whole walk under the name of the folder given.
            if let Err(err) = walk(&path, how, seen, out) {
                seen.notes.push(format!(
                    "{}: cannot list directory ({err}), skipped",
                    path_name(&path)
                ));
            }
        } else if how == Walk::EveryFile || has_log_extension(&path) {
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => {
                    if seen.first_file(&path, &meta) {
                        out.push(path);
                    }
                }
                Ok(_) => seen.notes.push(format!(
                    "{}: not a regular file (a FIFO, socket or device), skipped; name it alone to read it as a stream",
                    path_name(&path)
                )),
                Err(err) => seen
                    .notes
                    .push(format!("{}: cannot read ({err}), skipped", path_name(&path))),
            }
        }
    }
    Ok(())
}

/// A directory, or a symlink to one. The entry's type comes with the
/// directory listing; only a symlink needs a stat to see what it points at.
fn is_dir(e: &fs::DirEntry) -> io::Result<bool> {
    let ft = e.file_type()?;
    Ok(ft.is_dir() || (ft.is_symlink() && e.path().is_dir()))
}

/// Log order within a directory: files before subdirectories, and
/// `agent-*` files after the other files, each group by name. Agent logs
/// put a session's own transcript (`<session>.jsonl`) beside the subagent
/// logs that replay its messages (`agent-<id>.jsonl`,
/// `<session>/subagents/`); reading the session first makes the run keep
/// the session's copy of a replayed call, whatever the names sort to.
fn rank(e: &fs::DirEntry) -> (u8, std::ffi::OsString) {
    let name = e.file_name();
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

fn has_log_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LOG_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}
