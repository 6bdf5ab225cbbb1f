//! Reading inputs: files, directories, stdin; containers (JSONL, JSON array,
//! single JSON object, CSV); compression; per-file format detection.

pub mod format;
