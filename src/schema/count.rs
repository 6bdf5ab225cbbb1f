//! `count --format json`: tokens per file and in total.

use serde::Serialize;

#[derive(Serialize)]
pub struct CountDoc<'a> {
    pub schema_version: u32,
    /// `o200k_base`, or `approx:o200k_base` for a model without a public
    /// tokenizer.
    pub tokenizer: &'a str,
    pub exact: bool,
    pub files: Vec<FileCountDoc<'a>>,
    pub total_tokens: u64,
}

#[derive(Serialize)]
pub struct FileCountDoc<'a> {
    /// `-` for stdin.
    pub path: &'a str,
    pub bytes: u64,
    pub tokens: u64,
}
