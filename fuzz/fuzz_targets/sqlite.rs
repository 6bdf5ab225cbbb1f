//! A database (an agent's SQLite store, src/ingest/sqlite.rs) is untrusted
//! input: any bytes, as the database and as its write-ahead log, give rows
//! or an error, never a panic or a hang. The first input byte says where
//! the rest is cut between the two files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenmaxx::ingest::sqlite::Database;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let at = rest.len() * usize::from(cut) / 255;
    let (db, wal) = rest.split_at(at);
    let wal: Option<Box<dyn tokenmaxx::ingest::sqlite::Storage>> =
        (!wal.is_empty()).then(|| Box::new(wal.to_vec()) as _);
    let Ok(db) = Database::from_storage(Box::new(db.to_vec()), wal) else {
        return;
    };
    let Ok(tables) = db.tables() else {
        return;
    };
    for t in tables {
        db.rows(&t).for_each(drop);
    }
});
