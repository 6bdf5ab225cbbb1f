//! Size caps on the files a run reads whole: price tables, budgets, prompt
//! files and texts to count. Without a cap, `--pricing /dev/urandom` or
//! `count /dev/zero` grows until the machine runs out of memory; with one,
//! the run stops with the path and what to do (exit 2). Logs are streamed
//! and need none; reports (baselines, shards to merge) are parsed as they
//! are read, so a file that is not JSON fails at its first bytes.

use std::fs::File;
use std::io::{Read, Write as _};
use std::path::Path;

use anyhow::{Context, Result, bail};

const MIB: u64 = 1 << 20;

/// A price table: the largest shipped one is 2 MB.
pub const PRICE_TABLE: u64 = 64 * MIB;
/// A budget file (`tokenmaxx.toml`) or a rulings file.
pub const CONFIG: u64 = 4 * MIB;
/// One text to count (a prompt, a document).
pub const TEXT: u64 = 256 * MIB;
/// A log that is one JSON document (not JSONL, not an array, which stream).
pub const DOCUMENT: u64 = 1024 * MIB;

/// The longest log line (or JSON array element) read, in MiB, unless
/// `TOKENMAXX_MAX_LINE_MIB` says otherwise. 256 MiB is far above any real
/// request (a 1M-token prompt is ~4 MB); a line that long is held whole
/// while it is parsed, so the cap is what bounds a run's memory per line.
const DEFAULT_LINE_MIB: u64 = 256;
const LINE_ENV: &str = "TOKENMAXX_MAX_LINE_MIB";

/// The line limit in bytes (see [`DEFAULT_LINE_MIB`]). The variable was
/// checked by [`check_env`] at startup; a bad value here falls back.
pub fn max_line_bytes() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let mib = line_mib_from_env()
            .ok()
            .flatten()
            .unwrap_or(DEFAULT_LINE_MIB);
        usize::try_from(mib * MIB).unwrap_or(usize::MAX)
    })
}

fn line_mib_from_env() -> Result<Option<u64>> {
    match std::env::var(LINE_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n @ 1..=4096) => Ok(Some(n)),
            _ => bail!("{LINE_ENV}={v:?}: give a whole number of MiB from 1 to 4096"),
        },
        Err(e) => bail!("{LINE_ENV}: {e}"),
    }
}

/// Environment settings that are checked once, before any work: a typo
/// is an error (exit 2), never a silent default.
pub fn check_env() -> Result<()> {
    line_mib_from_env().map(|_| ())
}

/// Read at most `cap` bytes of `path`; a larger input is an error naming
/// `what` it should have been.
pub fn read_bytes(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    capped(file, cap, &path.display().to_string(), what)
}

/// [`read_bytes`] of UTF-8 text.
pub fn read_text(path: &Path, cap: u64, what: &str) -> Result<String> {
    let bytes = read_bytes(path, cap, what)?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// At most `cap` bytes of `r`.
pub fn capped(r: impl Read, cap: u64, name: &str, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{name}: cannot read"))?;
    if bytes.len() as u64 > cap {
        let mut msg = Vec::new();
        let _ = write!(
            msg,
            "{name}: larger than {} MiB, too large for {what}",
            cap / MIB
        );
        bail!("{}", String::from_utf8_lossy(&msg));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_larger_input_is_refused_with_its_name() {
        let r = std::io::repeat(0).take(MIB + 1);
        let e = capped(r, MIB, "/dev/zero", "a price table").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: larger than 1 MiB, too large for a price table"
        );
        let ok = capped(&b"abc"[..], MIB, "x", "y").unwrap();
        assert_eq!(ok, b"abc");
    }
}
