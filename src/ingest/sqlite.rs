//! A read-only reader of SQLite database files: enough of the file format
//! (<https://www.sqlite.org/fileformat2.html>) to list the tables and scan
//! a table's rows, including what the write-ahead log (`<db>-wal`) holds
//! that has not been copied back into the database yet.
//!
//! Why not the SQLite library: it is about 1.8 MB of compiled C, and the
//! binary's size is a feature (README, "Size and startup"). Agents that
//! keep their usage in SQLite (OpenCode since 1.2) need only table scans.
//!
//! A database is untrusted input like any log: every page number, offset,
//! length and chain is checked, a page is never visited twice in one scan,
//! and damage ends the scan with an error naming what was wrong, never a
//! panic. Pages are read on demand, so memory is a few pages per scan
//! whatever the size of the file.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::path::Path;

/// Why a database cannot be read (or a scan had to stop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

fn corrupt(what: impl fmt::Display) -> DbError {
    DbError(format!("damaged database: {what}"))
}

type DbResult<T> = Result<T, DbError>;

/// The first 16 bytes of every SQLite 3 database.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Bytes that can be read at an offset: a file, or memory (tests, fuzzing).
pub trait Storage: Send {
    fn size(&self) -> u64;
    /// Fill `buf` from `offset`; reading past the end is an error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;
}

impl Storage for Vec<u8> {
    fn size(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        match start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
        {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(std::io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

struct FileStorage {
    file: File,
    len: u64,
}

impl Storage for FileStorage {
    fn size(&self) -> u64 {
        self.len
    }
    #[cfg(unix)]
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.read_exact_at(buf, offset)
    }
    #[cfg(windows)]
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            let n = self
                .file
                .seek_read(&mut buf[done..], offset + done as u64)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A table (an ordinary rowid table) and its column names, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    root: u32,
    /// The `INTEGER PRIMARY KEY` column, stored as NULL: its value is the rowid.
    rowid_alias: Option<usize>,
    /// Columns of REAL affinity: SQLite stores a whole number there as an
    /// integer and gives it back as a real.
    real: Vec<bool>,
}

/// Pages the write-ahead log holds for committed transactions: page number
/// → offset of the newest committed copy in the log.
struct Wal {
    storage: Box<dyn Storage>,
    pages: HashMap<u32, u64>,
}

pub struct Database {
    storage: Box<dyn Storage>,
    wal: Option<Wal>,
    page_size: usize,
    /// Usable bytes per page (page size less the reserved tail).
    usable: usize,
    page_count: u32,
}

/// Deepest b-tree accepted: SQLite's own trees stay below 20 levels.
const MAX_DEPTH: usize = 40;

impl Database {
    /// Open `path` and, when it exists beside it, `<path>-wal`.
    pub fn open(path: &Path) -> DbResult<Database> {
        let open = |p: &Path| -> std::io::Result<Box<dyn Storage>> {
            let file = File::open(p)?;
            let len = file.metadata()?.len();
            Ok(Box::new(FileStorage { file, len }))
        };
        let storage = open(path).map_err(|e| DbError(format!("cannot open: {e}")))?;
        let mut wal_path = path.as_os_str().to_owned();
        wal_path.push("-wal");
        let wal = match open(Path::new(&wal_path)) {
            Ok(w) => Some(w),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(DbError(format!(
                    "cannot open its write-ahead log {}: {e}",
                    Path::new(&wal_path).display()
                )));
            }
        };
        Database::from_storage(storage, wal)
    }

    /// A database in `storage`, with its write-ahead log if any.
    pub fn from_storage(
        storage: Box<dyn Storage>,
        wal: Option<Box<dyn Storage>>,
    ) -> DbResult<Database> {
        let mut header = [0u8; 100];
        let db_has_header = storage.size() >= 100;
        if db_has_header {
            storage
                .read_at(0, &mut header)
                .map_err(|e| DbError(format!("cannot read: {e}")))?;
            if &header[..16] != MAGIC {
                return Err(DbError("not a SQLite 3 database".into()));
            }
        }
        let mut page_size = if db_has_header {
            page_size_of(u16::from_be_bytes([header[16], header[17]]) as u32)?
        } else {
            0
        };
        let wal = match wal {
            Some(w) if w.size() >= 32 => read_wal(w, page_size)?,
            _ => None,
        };
        if let Some(w) = wal.as_ref().filter(|_| page_size == 0) {
            page_size = w.page_size;
        }
        if page_size == 0 {
            return Err(DbError("not a SQLite 3 database (too short)".into()));
        }
        let file_pages = u32::try_from(storage.size() / page_size as u64).unwrap_or(u32::MAX);
        let (wal, page_count) = match wal {
            Some(w) => (
                Some(Wal {
                    storage: w.storage,
                    pages: w.pages,
                }),
                w.db_pages,
            ),
            None => (None, file_pages),
        };
        let mut db = Database {
            storage,
            wal,
            page_size,
            usable: page_size,
            page_count,
        };
        // Page 1 may be newer in the log than in the file.
        let first = db.page(1)?;
        if &first[..16] != MAGIC {
            return Err(DbError("not a SQLite 3 database".into()));
        }
        let reserved = first[20] as usize;
        db.usable = page_size
            .checked_sub(reserved)
            .filter(|&u| u >= 480)
            .ok_or_else(|| corrupt("reserved space leaves too little of a page"))?;
        match u32::from_be_bytes([first[56], first[57], first[58], first[59]]) {
            0 | 1 => {}
            2 | 3 => return Err(DbError("a UTF-16 database (not read)".into())),
            n => return Err(corrupt(format!("text encoding {n}"))),
        }
        Ok(db)
    }

    /// Page `n` (from 1), the log's committed copy if it has one.
    fn page(&self, n: u32) -> DbResult<Vec<u8>> {
        if n == 0 || n > self.page_count {
            return Err(corrupt(format!(
                "page {n} out of range (the database has {})",
                self.page_count
            )));
        }
        let mut buf = vec![0u8; self.page_size];
        let read = match self
            .wal
            .as_ref()
            .and_then(|w| w.pages.get(&n).map(|&o| (w, o)))
        {
            Some((w, offset)) => w.storage.read_at(offset, &mut buf),
            None => self
                .storage
                .read_at(u64::from(n - 1) * self.page_size as u64, &mut buf),
        };
        read.map_err(|e| corrupt(format!("page {n} cannot be read ({e})")))?;
        Ok(buf)
    }

    /// The ordinary tables, from the schema table.
    pub fn tables(&self) -> DbResult<Vec<Table>> {
        let schema = Table {
            name: "sqlite_schema".into(),
            columns: ["type", "name", "tbl_name", "rootpage", "sql"]
                .map(String::from)
                .to_vec(),
            root: 1,
            rowid_alias: None,
            real: Vec::new(),
        };
        let mut out = Vec::new();
        for row in self.rows(&schema) {
            let (_, values) = row?;
            let text = |i: usize| match values.get(i) {
                Some(SqlValue::Text(s)) => Some(s.as_str()),
                _ => None,
            };
            if text(0) != Some("table") {
                continue;
            }
            let (Some(name), Some(sql), Some(SqlValue::Int(root))) =
                (text(1), text(4), values.get(3))
            else {
                continue;
            };
            // Virtual tables have root 0; WITHOUT ROWID tables are index
            // trees, which no log store we read uses.
            let Ok(root) = u32::try_from(*root) else {
                continue;
            };
            if root == 0 || sql.to_ascii_uppercase().contains("WITHOUT ROWID") {
                continue;
            }
            let (columns, rowid_alias, real) = columns_of(sql);
            out.push(Table {
                name: name.to_string(),
                columns,
                root,
                rowid_alias,
                real,
            });
        }
        Ok(out)
    }

    /// The table called `name`, if the database has one.
    pub fn table(&self, name: &str) -> DbResult<Option<Table>> {
        Ok(self.tables()?.into_iter().find(|t| t.name == name))
    }

    /// The rows of `table` in rowid order: (rowid, one value per column;
    /// columns added after a row was written read as NULL).
    pub fn rows<'d>(&'d self, table: &Table) -> Rows<'d> {
        Rows {
            db: self,
            stack: vec![Frame::Unread(table.root)],
            leaf: None,
            visited: 0,
            columns: table.columns.len(),
            rowid_alias: table.rowid_alias,
            real: table.real.clone(),
            failed: false,
        }
    }
}

fn page_size_of(raw: u32) -> DbResult<usize> {
    let size = if raw == 1 { 65536 } else { raw as usize };
    if (512..=65536).contains(&size) && size.is_power_of_two() {
        Ok(size)
    } else {
        Err(corrupt(format!("page size {raw}")))
    }
}

struct WalRead {
    storage: Box<dyn Storage>,
    pages: HashMap<u32, u64>,
    db_pages: u32,
    page_size: usize,
}

/// The committed frames of a write-ahead log. A log whose header does not
/// check out is one SQLite itself would ignore (a stale or half-written
/// log), so it is ignored here too; frames after the last commit, or
/// after the first frame whose salt or checksum is wrong, belong to no
/// transaction that finished.
fn read_wal(storage: Box<dyn Storage>, db_page_size: usize) -> DbResult<Option<WalRead>> {
    let mut header = [0u8; 32];
    if storage.read_at(0, &mut header).is_err() {
        return Ok(None);
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let big_endian = match be(&header[0..4]) {
        0x377f_0682 => false,
        0x377f_0683 => true,
        _ => return Ok(None),
    };
    let Ok(page_size) = page_size_of(be(&header[8..12])) else {
        return Ok(None);
    };
    if db_page_size != 0 && page_size != db_page_size {
        return Ok(None);
    }
    let salts = (be(&header[16..20]), be(&header[20..24]));
    let mut sum = wal_checksum(big_endian, &header[..24], (0, 0));
    if sum != (be(&header[24..28]), be(&header[28..32])) {
        return Ok(None);
    }
    let mut pages = HashMap::new();
    let mut pending: Vec<(u32, u64)> = Vec::new();
    let mut db_pages = 0;
    let mut frame = vec![0u8; 24 + page_size];
    let mut offset = 32u64;
    while offset + frame.len() as u64 <= storage.size() {
        if storage.read_at(offset, &mut frame).is_err() {
            break;
        }
        let page = be(&frame[0..4]);
        let commit = be(&frame[4..8]);
        if (be(&frame[8..12]), be(&frame[12..16])) != salts || page == 0 {
            break;
        }
        sum = wal_checksum(big_endian, &frame[..8], sum);
        sum = wal_checksum(big_endian, &frame[24..], sum);
        if sum != (be(&frame[16..20]), be(&frame[20..24])) {
            break;
        }
        pending.push((page, offset + 24));
        if commit != 0 {
            pages.extend(pending.drain(..));
            db_pages = commit;
        }
        offset += frame.len() as u64;
    }
    if db_pages == 0 {
        return Ok(None);
    }
    Ok(Some(WalRead {
        storage,
        pages,
        db_pages,
        page_size,
    }))
}

/// The log's running checksum over `data` (a multiple of 8 bytes), words
/// in the byte order the log's magic number names.
fn wal_checksum(big_endian: bool, data: &[u8], (mut s0, mut s1): (u32, u32)) -> (u32, u32) {
    let word = |b: &[u8]| {
        let b = [b[0], b[1], b[2], b[3]];
        if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    for pair in data.chunks_exact(8) {
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

/// Column names from a `CREATE TABLE` statement, which one (if any) is an
/// `INTEGER PRIMARY KEY` (an alias of the rowid, stored as NULL), and which
/// have REAL affinity (SQLite's rules: a declared type naming REAL, FLOA
/// or DOUB, and not INT).
fn columns_of(sql: &str) -> (Vec<String>, Option<usize>, Vec<bool>) {
    let Some(open) = sql.find('(') else {
        return (Vec::new(), None, Vec::new());
    };
    let body = &sql[open + 1..];
    let mut defs = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '[') => quote = Some(']'),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => {
                defs.push(&body[start..i]);
                break;
            }
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                defs.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    let mut columns = Vec::new();
    let mut alias = None;
    let mut real = Vec::new();
    for def in defs {
        let def = def.trim();
        let (name, rest) = match def.chars().next() {
            Some(q @ ('"' | '`' | '[')) => {
                let close = if q == '[' { ']' } else { q };
                match def[1..].find(close) {
                    Some(end) => (def[1..1 + end].to_string(), &def[end + 2..]),
                    None => continue,
                }
            }
            _ => {
                let end = def.find(|c: char| c.is_whitespace()).unwrap_or(def.len());
                let word = &def[..end];
                let upper = word.to_ascii_uppercase();
                if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"].contains(&upper.as_str())
                {
                    continue;
                }
                (word.to_string(), &def[end..])
            }
        };
        let words: Vec<String> = rest
            .split_whitespace()
            .take(3)
            .map(str::to_ascii_uppercase)
            .collect();
        if words == ["INTEGER", "PRIMARY", "KEY"] {
            alias = Some(columns.len());
        }
        let ty = words.first().map_or("", String::as_str);
        real.push(!ty.contains("INT") && ["REAL", "FLOA", "DOUB"].iter().any(|k| ty.contains(k)));
        columns.push(name);
    }
    (columns, alias, real)
}

enum Frame {
    /// A page yet to be read (the root, or a child of an interior page).
    Unread(u32),
    /// An interior page: its child pointers, and the next one to descend.
    Interior { children: Vec<u32>, next: usize },
}

/// A table scan; see [`Database::rows`].
pub struct Rows<'d> {
    db: &'d Database,
    stack: Vec<Frame>,
    /// The leaf being read, and the next cell.
    leaf: Option<(Vec<u8>, Vec<usize>, usize)>,
    visited: u32,
    columns: usize,
    rowid_alias: Option<usize>,
    real: Vec<bool>,
    failed: bool,
}

impl Iterator for Rows<'_> {
    type Item = DbResult<(i64, Vec<SqlValue>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.advance() {
            Ok(row) => row.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl Rows<'_> {
    fn advance(&mut self) -> DbResult<Option<(i64, Vec<SqlValue>)>> {
        loop {
            if let Some((page, cells, next)) = &mut self.leaf {
                if *next < cells.len() {
                    let at = cells[*next];
                    *next += 1;
                    let (rowid, payload) = self.db.leaf_cell(page, at)?;
                    let mut values = record(&payload)?;
                    values.resize(self.columns.max(values.len()), SqlValue::Null);
                    if let Some(i) = self.rowid_alias
                        && values.get(i) == Some(&SqlValue::Null)
                    {
                        values[i] = SqlValue::Int(rowid);
                    }
                    for (v, &real) in values.iter_mut().zip(&self.real) {
                        if let (SqlValue::Int(n), true) = (&*v, real) {
                            *v = SqlValue::Real(*n as f64);
                        }
                    }
                    return Ok(Some((rowid, values)));
                }
                self.leaf = None;
            }
            let Some(top) = self.stack.last_mut() else {
                return Ok(None);
            };
            let n = match top {
                Frame::Interior { children, next } => {
                    if *next == children.len() {
                        self.stack.pop();
                        continue;
                    }
                    *next += 1;
                    children[*next - 1]
                }
                Frame::Unread(n) => {
                    let n = *n;
                    self.stack.pop();
                    n
                }
            };
            // Each page of a b-tree is met once; more visits than pages
            // means the "tree" has a cycle.
            self.visited += 1;
            if self.visited > self.db.page_count || self.stack.len() > MAX_DEPTH {
                return Err(corrupt(
                    "a table's pages form a cycle or are nested too deep",
                ));
            }
            let page = self.db.page(n)?;
            let h = if n == 1 { 100 } else { 0 };
            let kind = page[h];
            let count = u16::from_be_bytes([page[h + 3], page[h + 4]]) as usize;
            let (pointers, interior) = match kind {
                0x0d => (h + 8, false),
                0x05 => (h + 12, true),
                k => {
                    return Err(corrupt(format!("page {n} is not a table page (type {k})")));
                }
            };
            let mut cells = Vec::with_capacity(count);
            for i in 0..count {
                let p = pointers + 2 * i;
                let at = page
                    .get(p..p + 2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
                    .ok_or_else(|| corrupt(format!("page {n} has more cells than fit")))?;
                if at < pointers + 2 * count || at >= self.db.usable {
                    return Err(corrupt(format!(
                        "page {n}: cell {i} points outside the page"
                    )));
                }
                cells.push(at);
            }
            if interior {
                let mut children = Vec::with_capacity(count + 1);
                for at in cells {
                    children.push(u32_at(&page, at).ok_or_else(|| corrupt("cut cell"))?);
                }
                children.push(u32_at(&page, h + 8).ok_or_else(|| corrupt("cut header"))?);
                self.stack.push(Frame::Interior { children, next: 0 });
            } else {
                self.leaf = Some((page, cells, 0));
            }
        }
    }
}

fn u32_at(page: &[u8], at: usize) -> Option<u32> {
    page.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// A varint at `at`: the value and its length (1–9 bytes).
fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..9 {
        let b = *bytes.get(at + i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(b), 9));
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

impl Database {
    /// A table leaf cell: its rowid and whole payload (overflow followed).
    fn leaf_cell(&self, page: &[u8], at: usize) -> DbResult<(i64, Vec<u8>)> {
        let cut = || corrupt("a cell runs past its page");
        let (size, a) = varint(page, at).ok_or_else(cut)?;
        let (rowid, b) = varint(page, at + a).ok_or_else(cut)?;
        let start = at + a + b;
        let u = self.usable;
        let max_row = crate::limits::max_line_bytes() as u64;
        if size > max_row {
            return Err(DbError(format!(
                "a row of {size} bytes is larger than the line limit (TOKENMAXX_MAX_LINE_MIB)"
            )));
        }
        let size = size as usize;
        let x = u - 35;
        let local = if size <= x {
            size
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + ((size - m) % (u - 4));
            if k <= x { k } else { m }
        };
        let mut payload = Vec::with_capacity(size);
        payload.extend_from_slice(page.get(start..start + local).ok_or_else(cut)?);
        if local < size {
            let mut next = u32_at(page, start + local).ok_or_else(cut)?;
            let mut hops = 0u32;
            while payload.len() < size {
                hops += 1;
                if next == 0 || hops > self.page_count {
                    return Err(corrupt("a row's overflow chain is cut or loops"));
                }
                let over = self.page(next)?;
                let take = (size - payload.len()).min(u - 4);
                payload.extend_from_slice(&over[4..4 + take]);
                next = u32_at(&over, 0).ok_or_else(cut)?;
            }
        }
        Ok((rowid as i64, payload))
    }
}

/// The values of a record (a row's payload).
fn record(payload: &[u8]) -> DbResult<Vec<SqlValue>> {
    let bad = || corrupt("a row's record header is damaged");
    let (header_len, mut at) = varint(payload, 0).ok_or_else(bad)?;
    let header_len = usize::try_from(header_len).map_err(|_| bad())?;
    if header_len > payload.len() || header_len < at {
        return Err(bad());
    }
    let mut body = header_len;
    let mut values = Vec::new();
    while at < header_len {
        let (t, n) = varint(payload, at).ok_or_else(bad)?;
        at += n;
        let int = |len: usize, body: usize| -> DbResult<i64> {
            let b = payload.get(body..body + len).ok_or_else(bad)?;
            let mut v: i64 = if b[0] & 0x80 != 0 { -1 } else { 0 };
            for &x in b {
                v = (v << 8) | i64::from(x);
            }
            Ok(v)
        };
        let (value, len) = match t {
            0 => (SqlValue::Null, 0),
            1..=6 => {
                let len = [1, 2, 3, 4, 6, 8][t as usize - 1];
                (SqlValue::Int(int(len, body)?), len)
            }
            7 => {
                let b = payload.get(body..body + 8).ok_or_else(bad)?;
                let bits = u64::from_be_bytes(b.try_into().map_err(|_| bad())?);
                (SqlValue::Real(f64::from_bits(bits)), 8)
            }
            8 => (SqlValue::Int(0), 0),
            9 => (SqlValue::Int(1), 0),
            10 | 11 => return Err(bad()),
            t => {
                let len = usize::try_from((t - 12) / 2).map_err(|_| bad())?;
                let b = body
                    .checked_add(len)
                    .and_then(|end| payload.get(body..end))
                    .ok_or_else(bad)?;
                if t % 2 == 0 {
                    (SqlValue::Blob(b.to_vec()), len)
                } else {
                    // Invalid UTF-8 in a text column is kept, as SQLite
                    // itself keeps it, with the bad bytes replaced.
                    (SqlValue::Text(String::from_utf8_lossy(b).into_owned()), len)
                }
            }
        };
        body += len;
        values.push(value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81], 0), None);
    }

    #[test]
    fn column_names_from_create_table() {
        let (c, alias, _) = columns_of(
            "CREATE TABLE `message` (\n\t`id` text PRIMARY KEY,\n\t`session_id` text NOT NULL,\n\t`data` text NOT NULL,\n\tCONSTRAINT `fk` FOREIGN KEY (`session_id`) REFERENCES `session`(`id`) ON DELETE cascade\n)",
        );
        assert_eq!(c, ["id", "session_id", "data"]);
        assert_eq!(alias, None);
        let (c, alias, _) = columns_of(
            "CREATE TABLE t(n INTEGER PRIMARY KEY, \"a b\" TEXT DEFAULT ('x,y'), [c] CHECK (c IN (1,2)), d)",
        );
        assert_eq!(c, ["n", "a b", "c", "d"]);
        assert_eq!(alias, Some(0));
    }

    #[test]
    fn records_decode_every_serial_type() {
        // header: len 8; types NULL, int8, int16, float, 0, 1, text(3), blob(2)
        let mut p = vec![9, 0, 1, 2, 7, 8, 9, 19, 16];
        p.push(0xfe); // -2
        p.extend_from_slice(&300i16.to_be_bytes());
        p.extend_from_slice(&1.5f64.to_be_bytes());
        p.extend_from_slice(b"abc");
        p.extend_from_slice(&[1, 2]);
        assert_eq!(
            record(&p).unwrap(),
            vec![
                SqlValue::Null,
                SqlValue::Int(-2),
                SqlValue::Int(300),
                SqlValue::Real(1.5),
                SqlValue::Int(0),
                SqlValue::Int(1),
                SqlValue::Text("abc".into()),
                SqlValue::Blob(vec![1, 2]),
            ]
        );
        // A text longer than the payload is damage, not a panic.
        assert!(record(&[2, 99]).is_err());
        assert!(record(&[]).is_err());
    }

    /// Each table's name and rows.
    type Dump = Vec<(String, Vec<(i64, Vec<SqlValue>)>)>;

    /// Every row of every table, read by SQLite itself.
    fn reference(path: &Path) -> Dump {
        use rusqlite::types::ValueRef;
        let c =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let names: Vec<String> = c
            .prepare("SELECT name FROM sqlite_schema WHERE type='table' ORDER BY rowid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        names
            .into_iter()
            .map(|name| {
                let mut st = c
                    .prepare(&format!("SELECT rowid, * FROM \"{name}\""))
                    .unwrap();
                let n = st.column_count();
                let rows = st
                    .query_map([], |r| {
                        let values = (1..n)
                            .map(|i| match r.get_ref(i).unwrap() {
                                ValueRef::Null => SqlValue::Null,
                                ValueRef::Integer(v) => SqlValue::Int(v),
                                ValueRef::Real(v) => SqlValue::Real(v),
                                ValueRef::Text(t) => {
                                    SqlValue::Text(String::from_utf8_lossy(t).into_owned())
                                }
                                ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
                            })
                            .collect();
                        Ok((r.get::<_, i64>(0)?, values))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                (name, rows)
            })
            .collect()
    }

    fn ours(path: &Path) -> Dump {
        let db = Database::open(path).unwrap();
        db.tables()
            .unwrap()
            .into_iter()
            .map(|t| {
                let rows = db.rows(&t).map(Result::unwrap).collect();
                (t.name, rows)
            })
            .collect()
    }

    /// Equal, or the first difference shown (a whole table is too long
    /// for an assertion message).
    fn same(a: &Dump, b: &Dump) {
        assert_eq!(a.len(), b.len(), "tables");
        for ((ta, ra), (tb, rb)) in a.iter().zip(b) {
            assert_eq!(ta, tb);
            for (x, y) in ra.iter().zip(rb) {
                if x != y {
                    let short = |r: &(i64, Vec<SqlValue>)| {
                        format!("{r:?}").chars().take(300).collect::<String>()
                    };
                    panic!("table {ta}: {} != {}", short(x), short(y));
                }
            }
            assert_eq!(ra.len(), rb.len(), "rows of {ta}");
        }
    }

    /// A deterministic pseudo-random sequence (no dependency for one test).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % below
        }
    }

    fn fill(c: &rusqlite::Connection, rows: usize, seed: u64) {
        let mut rng = Lcg(seed);
        c.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, n INTEGER, r REAL, b BLOB);
             CREATE TABLE u(\"quoted name\" TEXT, data TEXT NOT NULL);
             CREATE INDEX u_data ON u(data);",
        )
        .unwrap();
        for i in 0..rows {
            // Sizes from empty to several pages, so rows overflow.
            let len = match rng.next(10) {
                0 => rng.next(200_000),
                1..=3 => rng.next(5_000),
                _ => rng.next(100),
            } as usize;
            let s: String = (0..len)
                .map(|k| char::from(b'a' + ((k + i) % 26) as u8))
                .collect();
            let n: i64 = match rng.next(4) {
                0 => rng.next(300) as i64 - 150,
                1 => -(rng.next(1 << 40) as i64),
                2 => i64::MIN + rng.next(10) as i64,
                _ => rng.next(u64::MAX) as i64,
            };
            c.execute(
                "INSERT INTO t(s, n, r, b) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![s, n, i as f64 / 7.0, vec![i as u8; len % 3000]],
            )
            .unwrap();
            c.execute(
                "INSERT INTO u VALUES (?1, ?2)",
                rusqlite::params![format!("é{i}"), format!("{{\"i\":{i}}}")],
            )
            .unwrap();
        }
        // Holes: deleted rows and pages on the free list are not rows.
        c.execute("DELETE FROM t WHERE id % 7 = 0", []).unwrap();
        c.execute_batch(
            "ALTER TABLE u ADD COLUMN later TEXT; INSERT INTO u VALUES ('x', '{}', 'y');",
        )
        .unwrap();
    }

    /// Tables written by SQLite at several page sizes (one page, deep
    /// trees, overflow chains, deleted rows, a column added later) read
    /// back value for value.
    #[test]
    fn reads_what_sqlite_wrote() {
        for (page_size, rows, seed) in [
            (512, 400, 1),
            (4096, 2_000, 2),
            (65536, 300, 3),
            (4096, 3, 4),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.db");
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(&format!("PRAGMA page_size = {page_size}; VACUUM;"))
                .unwrap();
            fill(&c, rows, seed);
            drop(c);
            let want = reference(&path);
            assert_eq!(want[0].1.len(), rows - rows / 7);
            same(&ours(&path), &want);
        }
    }

    /// With a write-ahead log, committed transactions that are still only
    /// in the log are read, and a transaction not committed is not.
    #[test]
    fn reads_the_committed_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")
            .unwrap();
        fill(&c, 500, 5);
        let wal = dir.path().join("w.db-wal");
        assert!(
            wal.metadata().unwrap().len() > 100_000,
            "rows sit in the log"
        );
        let committed = reference(&path);
        same(&ours(&path), &committed);
        // A big transaction spills pages into the log before it commits.
        c.execute_batch("PRAGMA cache_size = 2; BEGIN;").unwrap();
        for i in 0..200 {
            c.execute(
                "INSERT INTO t(s) VALUES (?1)",
                rusqlite::params!["z".repeat(3000 + i)],
            )
            .unwrap();
        }
        assert_eq!(ours(&path), committed, "uncommitted frames are not read");
        c.execute_batch("COMMIT;").unwrap();
        assert_eq!(ours(&path), reference(&path));
        assert_ne!(ours(&path), committed);
    }

    /// Any damage to a database is an error (or fewer rows), never a panic
    /// or a hang: every byte of a small database is flipped in turn.
    #[test]
    fn damaged_databases_fail_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA page_size = 512; VACUUM; CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, r REAL);",
        )
        .unwrap();
        for i in 0..60 {
            // Every fifth row overflows its page.
            let s = "x".repeat(if i % 5 == 0 { 1500 } else { 20 });
            c.execute("INSERT INTO t(s, r) VALUES (?1, 0.5)", rusqlite::params![s])
                .unwrap();
        }
        drop(c);
        let bytes = std::fs::read(&path).unwrap();
        for i in 0..bytes.len() {
            for flip in [0xff, 0x80, 0x01] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                if let Ok(db) = Database::from_storage(Box::new(b), None)
                    && let Ok(tables) = db.tables()
                {
                    for t in tables {
                        db.rows(&t).for_each(drop);
                    }
                }
            }
        }
    }

    #[test]
    fn not_a_database() {
        let e = Database::from_storage(Box::new(b"hello".repeat(40)), None)
            .err()
            .unwrap();
        assert_eq!(e.0, "not a SQLite 3 database");
    }
}
