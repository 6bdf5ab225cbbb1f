//! Agent stores kept in SQLite (docs/formats.md, "Databases"): which
//! tables hold usage, and how a row becomes the JSON document its format
//! reads. A database is recognised by its first bytes, like a gzip file,
//! and read with its write-ahead log (src/ingest/sqlite.rs).
//!
//! Each row of a usage table is one line of the run's accounting, numbered
//! by its rowid (`SELECT * FROM message WHERE rowid = N` finds it). Other
//! tables are not lines: they hold no calls.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use serde_json::Value;
use xxhash_rust::xxh3::Xxh3;

use super::container;
use super::format::Skip;
use super::sqlite::{Database, SqlValue, Table};
use super::{Event, IngestOptions};
use crate::record::Format;

/// A table that holds calls: its name, the columns it must have, and the
/// format that reads its rows.
struct UsageTable {
    table: &'static str,
    columns: &'static [&'static str],
    format: Format,
}

const USAGE_TABLES: &[UsageTable] = &[
    // OpenCode 1.2+: `message(id, session_id, time_created, time_updated,
    // data)`, `data` being the message document without its id.
    UsageTable {
        table: "message",
        columns: &["id", "session_id", "data"],
        format: Format::OpenCode,
    },
    // OpenCode 2 (`opencode-next.db`): the role moved to a `type` column.
    UsageTable {
        table: "session_message",
        columns: &["id", "session_id", "type", "data"],
        format: Format::OpenCode,
    },
];

/// Read the usage tables of the database at `path`. Returns the size and
/// xxh3 of the database and its log (a shard's identity for `merge`).
pub fn read(
    path: &Path,
    name: Arc<str>,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<Option<(u64, u128)>> {
    let unreadable = |detail: String| Skip::new("read error", detail);
    let db = match Database::open(path) {
        Ok(db) => db,
        Err(e) => {
            container::skip_input(name, unreadable(e.to_string()), opts, sink)?;
            return Ok(None);
        }
    };
    let tables = match db.tables() {
        Ok(t) => t,
        Err(e) => {
            container::skip_input(name, unreadable(e.to_string()), opts, sink)?;
            return Ok(None);
        }
    };
    let mut read_any = false;
    for known in USAGE_TABLES {
        let Some(table) = tables.iter().find(|t| {
            t.name == known.table
                && known
                    .columns
                    .iter()
                    .all(|c| t.columns.iter().any(|have| have == c))
        }) else {
            continue;
        };
        read_any = true;
        let mut rows = Rows::new(&db, table);
        container::read_values(name.clone(), known.format, &mut rows, opts, sink)?;
    }
    if !read_any {
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        let detail = format!(
            "a SQLite database with no table of calls tokenmaxx reads (it has {})",
            if names.is_empty() {
                "no tables".to_string()
            } else {
                names.join(", ")
            }
        );
        container::skip_input(name, Skip::new("unrecognized record", detail), opts, sink)?;
    }
    Ok(fingerprint(path))
}

/// The rows of a usage table as the documents their format reads.
struct Rows<'d> {
    rows: super::sqlite::Rows<'d>,
    columns: Vec<String>,
    last: u64,
}

impl<'d> Rows<'d> {
    fn new(db: &'d Database, table: &Table) -> Rows<'d> {
        Rows {
            rows: db.rows(table),
            columns: table.columns.clone(),
            last: 0,
        }
    }

    fn column<'v>(&self, values: &'v [SqlValue], name: &str) -> Option<&'v SqlValue> {
        let i = self.columns.iter().position(|c| c == name)?;
        values.get(i)
    }
}

impl Iterator for Rows<'_> {
    type Item = (u64, Result<Value, Skip>);

    fn next(&mut self) -> Option<Self::Item> {
        let (rowid, values) = match self.rows.next()? {
            Ok(row) => row,
            // The table cannot be read past this point: one accounted line
            // says why, after the last row read.
            Err(e) => {
                return Some((
                    self.last + 1,
                    Err(Skip::new(
                        "read error",
                        format!("{e}; rows after this one are not read"),
                    )),
                ));
            }
        };
        let line = u64::try_from(rowid).unwrap_or(0);
        self.last = line;
        let text = |v: Option<&SqlValue>| match v {
            Some(SqlValue::Text(s)) => Some(s.clone()),
            _ => None,
        };
        let data = self.column(&values, "data");
        let document = match data {
            Some(SqlValue::Text(s)) => serde_json::from_str::<Value>(s).map_err(|e| {
                Skip::new(
                    "malformed json",
                    format!("the row's `data` is not JSON ({e})"),
                )
            }),
            _ => Err(Skip::new("malformed json", "the row's `data` is not text")),
        };
        let document = document.and_then(|d| match d {
            Value::Object(mut m) => {
                let mut put = |key: &str, v: Option<String>| {
                    if let Some(v) = v {
                        m.entry(key.to_string()).or_insert(Value::String(v));
                    }
                };
                put("id", text(self.column(&values, "id")));
                put("sessionID", text(self.column(&values, "session_id")));
                put("role", text(self.column(&values, "type")));
                Ok(Value::Object(m))
            }
            other => Err(Skip::new(
                "malformed json",
                format!(
                    "the row's `data` is {}, not an object",
                    crate::ingest::fields::errors::describe(&other)
                ),
            )),
        });
        Some((line, document))
    }
}

/// Size and xxh3-128 of the database file followed by its log.
fn fingerprint(path: &Path) -> Option<(u64, u128)> {
    use std::io::Read;
    let mut hasher = Xxh3::new();
    let mut bytes = 0u64;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    for (i, p) in [path, Path::new(&wal)].into_iter().enumerate() {
        let mut f = match std::fs::File::open(p) {
            Ok(f) => f,
            Err(_) if i == 1 => break,
            Err(_) => return None,
        };
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = f.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
    }
    Some((bytes, hasher.digest128()))
}
