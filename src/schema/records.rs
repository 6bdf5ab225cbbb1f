//! `records`: one object per billed record, written as JSONL. Borrowed
//! fields: a record is serialized straight from the billed record, with no
//! intermediate copies, because this runs once per log line.

use serde::Serialize;

use super::report::UsageDoc;
use super::{Dec, OrderedMap};

#[derive(Serialize)]
pub struct RecordDoc<'a> {
    pub source: SourceDoc<'a>,
    pub format: &'a str,
    pub provider: Option<&'a str>,
    pub model: Option<&'a str>,
    pub timestamp: Option<String>,
    pub task: Option<&'a str>,
    pub session: Option<&'a str>,
    pub project: Option<&'a str>,
    pub requests: u64,
    pub service_tier: &'a str,
    pub usage: UsageDoc,
    pub usage_source: &'a str,
    pub counted: Option<CountedDoc<'a>>,
    pub priced: bool,
    pub price: Option<PriceRefDoc<'a>>,
    pub cost_usd: Option<Dec>,
    pub cost_breakdown: OrderedMap<Dec, &'a str>,
    pub unpriced_reason: Option<&'a str>,
    pub undated: bool,
    pub long_context: bool,
    pub web_search_requests: u64,
    /// Audio tokens inside `usage` (input and output).
    pub audio_tokens: u64,
    /// Of those, inside the input.
    pub audio_input_tokens: u64,
    /// Of those, inside the output.
    pub audio_output_tokens: u64,
    pub reported_cost_usd: Option<Dec>,
}

/// Where the record was read: the file (`-` for stdin) and line (element
/// index in a JSON array).
#[derive(Serialize)]
pub struct SourceDoc<'a> {
    pub path: &'a str,
    pub line: u64,
}

/// Tokens counted from the record's text.
#[derive(Serialize)]
pub struct CountedDoc<'a> {
    pub prompt: Option<u64>,
    pub response: Option<u64>,
    pub tokenizer: &'a str,
    pub exact: bool,
}

/// The price row that priced the record.
#[derive(Serialize)]
pub struct PriceRefDoc<'a> {
    pub model: &'a str,
    pub effective_from: String,
    pub source: &'a str,
}
