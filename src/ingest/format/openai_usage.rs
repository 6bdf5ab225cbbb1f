//! OpenAI organization usage/costs API pages, format `openai-usage`
//! (docs/formats.md, openai-usage).
//!
//! Lines this parser reads: a page `{object:"page", data:[bucket…]}` (a
//! document, a JSON array of pages, or JSONL of pages) and a bare bucket
//! `{object:"bucket", start_time, end_time, results:[…]}` per line. Every
//! result is one entry of the run's accounting (a page with three buckets
//! of two results is six entries); a page without any result is one entry,
//! not billed (`empty page`).
//!
//! Results:
//! - `organization.usage.completions.result`: one counts-only record,
//!   timestamp = the bucket's `start_time`, model as grouped (null when the
//!   query was not grouped by model: the record is then unpriced, `no model
//!   in the log`), `requests = num_model_requests` (at least 1), project =
//!   `project_id`, tier from `service_tier` and `batch: true` → batch.
//!   `input_tokens` includes `input_cached_tokens` and
//!   `input_cache_write_tokens`, so both are subtracted from it; output
//!   includes reasoning (not reported separately).
//! - embeddings and moderations results: `input_tokens` as input.
//! - other usage types (images, audio, vector stores, code interpreter
//!   sessions) are not token-billed: `unsupported usage type`.
//! - `organization.costs.result`: a record with zero usage, zero requests
//!   and `reported_cost_usd = amount.value` (read from its decimal text), so
//!   that the dollars OpenAI invoiced show up in the report's reported-cost
//!   total (and by project and day) beside the cost computed from usage,
//!   without adding tokens or requests. Such a record has no model and is
//!   unpriced: there is nothing to price. A non-USD amount is an error.
//!
//! A bucket aggregates many requests, so the long-context tier cannot be
//! judged from its summed input: records carry `long_context = false`.
//! A result seen again in the run (same bucket times and group keys, e.g.
//! overlapping date ranges downloaded twice) is billed once; the first copy
//! read wins.

use rust_decimal::Decimal;
use serde_json::Value;

use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    numbers::{count_field, decimal_value},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Record, ServiceTier, Source, Usage};

const PROVIDER: &str = "openai";

/// Detection signature (docs/formats.md, detection).
pub fn detect(v: &Value) -> bool {
    let is_bucket = |b: &Value| b.get("object").and_then(Value::as_str) == Some("bucket");
    match v.get("object").and_then(Value::as_str) {
        Some("page") => v
            .get("data")
            .and_then(Value::as_array)
            .is_some_and(|d| d.first().is_none_or(is_bucket)),
        Some("bucket") => v.get("results").is_some_and(Value::is_array),
        _ => false,
    }
}

/// Entries of one value that holds many (rows of a document, results of a
/// usage page), for the run's accounting: each entry is a line; entries
/// the callback pushed or dropped account for themselves, and entries that
/// failed are reported as one skipped line naming how many failed (a value
/// can only return one error). A value without entries is one line, not
/// billed (`empty page`).
#[derive(Debug, Default)]
pub(crate) struct Entries {
    count: u64,
    errors: Vec<Skip>,
}

impl Entries {
    pub(crate) fn add(&mut self, result: Result<(), Skip>) {
        self.count += 1;
        if let Err(e) = result {
            self.errors.push(e);
        }
    }

    pub(crate) fn close(self, source: Source, out: &mut Out) -> Result<(), Skip> {
        if self.count == 0 {
            out.drop_line(source, "empty page");
            return Ok(());
        }
        let failed = self.errors.len() as u64;
        // Failed entries beyond the first are folded into the one skip.
        let lines = self.count - failed.saturating_sub(1);
        out.extra_entries += lines - 1;
        let mut errors = self.errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(first) if failed == 1 => Err(first),
            Some(first) => Err(Skip::new(
                first.reason,
                format!(
                    "{} (and {} more entries of this value could not be read)",
                    first.detail,
                    failed - 1
                ),
            )),
        }
    }
}

/// A stable identity of a result within its bucket: the bucket times and
/// every group-by key (strings, booleans, nulls), not the counts.
pub(crate) fn result_identity(prefix: &str, bucket: &[&Value], result: &Value) -> String {
    let mut key = String::from(prefix);
    for b in bucket {
        key.push('|');
        key.push_str(&b.to_string());
    }
    if let Some(m) = result.as_object() {
        let mut fields: Vec<(&String, &Value)> = m
            .iter()
            .filter(|(k, x)| {
                k.as_str() != "amount"
                    && matches!(x, Value::String(_) | Value::Bool(_) | Value::Null)
            })
            .collect();
        fields.sort_by(|a, b| a.0.cmp(b.0));
        for (k, x) in fields {
            key.push('|');
            key.push_str(k);
            key.push('=');
            key.push_str(&x.to_string());
        }
    }
    key
}

/// A string group-by value (null or empty when not grouped).
fn group(r: &Value, key: &str) -> Option<String> {
    r.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub struct Parser {
    _opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { _opts: opts }
    }

    fn bucket(&self, b: &Value, source: &Source, entries: &mut Entries, out: &mut Out) {
        if b.get("object").and_then(Value::as_str) != Some("bucket")
            && b.get("start_time").is_none()
        {
            entries.add(Ok(()));
            out.drop_line(source.clone(), "unknown record type");
            return;
        }
        let results = b
            .get("results")
            .or_else(|| b.get("result"))
            .and_then(Value::as_array);
        for r in results.into_iter().flatten() {
            entries.add(self.result(b, r, source, out));
        }
    }

    fn result(&self, b: &Value, r: &Value, source: &Source, out: &mut Out) -> Result<(), Skip> {
        enum Kind {
            Completions,
            InputOnly,
            Cost,
        }
        let object = r.get("object").and_then(Value::as_str).unwrap_or("");
        let kind = match object {
            "organization.usage.completions.result" => Kind::Completions,
            "organization.usage.embeddings.result" | "organization.usage.moderations.result" => {
                Kind::InputOnly
            }
            "organization.costs.result" => Kind::Cost,
            o if o.starts_with("organization.usage.") => {
                out.drop_line(source.clone(), "unsupported usage type");
                return Ok(());
            }
            "" if r.get("amount").is_some() => Kind::Cost,
            "" if r.get("input_tokens").is_some() || r.get("output_tokens").is_some() => {
                Kind::Completions
            }
            _ => {
                out.drop_line(source.clone(), "unknown record type");
                return Ok(());
            }
        };
        let mut rec = Record::new(source.clone(), Format::OpenAiUsage);
        rec.provider = Some(PROVIDER.to_string());
        rec.timestamp = b.get("start_time").and_then(parse_timestamp);
        rec.project = group(r, "project_id");
        rec.long_context = Some(false);
        let identity = result_identity(
            "openai-usage",
            &[
                b.get("start_time").unwrap_or(&Value::Null),
                b.get("end_time").unwrap_or(&Value::Null),
            ],
            r,
        );
        rec.call_id = Some(Box::new(CallId::key(identity, "same usage bucket")));
        match kind {
            Kind::Cost => {
                rec.reported_cost_usd = Some(cost_of(r)?);
                rec.usage = Some(Usage::default());
                rec.requests = 0;
            }
            Kind::Completions | Kind::InputOnly => {
                rec.model = group(r, "model");
                rec.requests = count_field(r, "num_model_requests")?.unwrap_or(1).max(1);
                let input = count_field(r, "input_tokens")?.unwrap_or(0);
                rec.usage = Some(if matches!(kind, Kind::Completions) {
                    Usage::from_inclusive_input(
                        input,
                        count_field(r, "input_cached_tokens")?.unwrap_or(0),
                        count_field(r, "input_cache_write_tokens")?.unwrap_or(0),
                        count_field(r, "output_tokens")?.unwrap_or(0),
                        0,
                    )
                } else {
                    Usage {
                        input,
                        ..Usage::default()
                    }
                });
                if let Some(t) = group(r, "service_tier") {
                    rec.service_tier = ServiceTier::from_logged(&t);
                }
                if r.get("batch") == Some(&Value::Bool(true)) {
                    rec.service_tier = ServiceTier::Batch;
                }
            }
        }
        out.push(rec);
        Ok(())
    }
}

/// The dollars of a costs result: `amount{value, currency}`.
fn cost_of(r: &Value) -> Result<Decimal, Skip> {
    let amount = r.get("amount").unwrap_or(&Value::Null);
    let currency = amount
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or("usd");
    if !currency.trim().eq_ignore_ascii_case("usd") {
        return Err(Skip::new(
            "unsupported currency",
            format!("cost amount is in `{currency}`; only USD amounts can be reported"),
        ));
    }
    amount.get("value").and_then(decimal_value).ok_or_else(|| {
        Skip::new(
            "invalid cost",
            format!(
                "cost result without a readable non-negative `amount.value`: {}",
                amount.get("value").unwrap_or(&Value::Null)
            ),
        )
    })
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let mut entries = Entries::default();
        match value.get("object").and_then(Value::as_str) {
            Some("bucket") => self.bucket(&value, &source, &mut entries, out),
            _ => match value.get("data").and_then(Value::as_array) {
                Some(buckets) => {
                    for b in buckets {
                        self.bucket(b, &source, &mut entries, out);
                    }
                }
                None => {
                    return Err(crate::ingest::fields::errors::unrecognized(
                        &value,
                        "an OpenAI usage/costs page (`object:\"page\"`) or bucket",
                    ));
                }
            },
        }
        entries.close(source, out)
    }

    fn finish(&mut self, _out: &mut Out) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    fn page() -> Value {
        json!({"object":"page","has_more":false,"next_page":null,"data":[
            {"object":"bucket","start_time":1754006400,"end_time":1754092800,"results":[
                {"object":"organization.usage.completions.result","input_tokens":5000,"output_tokens":900,
                 "input_cached_tokens":3000,"input_cache_write_tokens":500,"num_model_requests":12,
                 "project_id":"proj_a","user_id":null,"api_key_id":null,"model":"gpt-4.1-2025-04-14",
                 "batch":false,"service_tier":"default"},
                {"object":"organization.usage.completions.result","input_tokens":800,"output_tokens":100,
                 "input_cached_tokens":0,"num_model_requests":4,"project_id":"proj_a","model":"gpt-4.1-2025-04-14",
                 "batch":true,"service_tier":null}]},
            {"object":"bucket","start_time":1754092800,"end_time":1754179200,"results":[]},
            {"object":"bucket","start_time":1754179200,"end_time":1754265600,"results":[
                {"object":"organization.usage.completions.result","input_tokens":"70","output_tokens":"7",
                 "num_model_requests":0,"model":null,"service_tier":"flex"},
                {"object":"organization.usage.images.result","images":2,"num_model_requests":2}]}]})
    }

    #[test]
    fn detection() {
        assert!(detect(&page()));
        assert!(detect(&json!({"object":"bucket","results":[]})));
        assert_eq!(super::super::detect(&page()), Some(Format::OpenAiUsage));
    }

    #[test]
    fn completions_results() {
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[page()]);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(out.records.len(), 3);
        // 4 results: 3 records + 1 unsupported.
        assert_eq!(out.extra_entries, 3);
        assert_eq!(out.dropped[0].1, "unsupported usage type");
        let r = &out.records[0];
        let u = r.usage.unwrap();
        assert_eq!(
            (u.input, u.cache_read, u.cache_write_5m, u.output),
            (1500, 3000, 500, 900)
        );
        assert_eq!(r.requests, 12);
        assert_eq!(r.project.as_deref(), Some("proj_a"));
        assert_eq!(r.long_context, Some(false));
        assert_eq!(r.service_tier, ServiceTier::Standard);
        assert_eq!(
            r.timestamp.map(|t| t.to_string()).as_deref(),
            Some("2025-08-01T00:00:00Z")
        );
        assert_eq!(out.records[1].service_tier, ServiceTier::Batch);
        let r = &out.records[2];
        assert_eq!(r.model, None);
        assert_eq!(r.requests, 1);
        assert_eq!(r.service_tier, ServiceTier::Flex);
        assert_eq!(r.usage.unwrap().input, 70);
    }

    #[test]
    fn costs_are_reported_dollars_without_usage() {
        let costs = json!({"object":"page","data":[{"object":"bucket","start_time":1754006400,"end_time":1754092800,
            "results":[{"object":"organization.costs.result","amount":{"value":0.1234567,"currency":"usd"},
                        "line_item":null,"project_id":"proj_b"},
                       {"object":"organization.costs.result","amount":{"value":"2.50","currency":"eur"}},
                       {"object":"organization.costs.result","amount":{"value":-1,"currency":"usd"}}]}]});
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[costs]);
        assert_eq!(out.records.len(), 1);
        let r = &out.records[0];
        assert_eq!(
            r.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.1234567")
        );
        assert_eq!(r.usage, Some(Usage::default()));
        assert_eq!(r.requests, 0);
        assert_eq!(r.project.as_deref(), Some("proj_b"));
        // Two bad results are one skipped line: 3 results = 1 + 1.
        assert_eq!(skips.len(), 1);
        assert_eq!(skips[0].reason, "unsupported currency");
        assert!(skips[0].detail.contains("1 more"));
        assert_eq!(out.extra_entries, 1);
    }

    #[test]
    fn empty_page_and_bare_bucket() {
        let mut p = Parser::new(ParseOptions::default());
        let bucket = json!({"object":"bucket","start_time":1754006400,"end_time":1754092800,"results":[
            {"object":"organization.usage.embeddings.result","input_tokens":64,"num_model_requests":2,
             "model":"text-embedding-3-small"}]});
        let (out, skips) = run_parser_out(
            &mut p,
            &[json!({"object":"page","data":[],"has_more":false}), bucket],
        );
        assert!(skips.is_empty());
        assert_eq!(out.dropped.len(), 1);
        assert_eq!(out.dropped[0].1, "empty page");
        assert_eq!(out.extra_entries, 0);
        assert_eq!(out.records[0].usage.unwrap().input, 64);
        assert_eq!(out.records[0].requests, 2);
    }

    #[test]
    fn identity_ignores_counts_not_groups() {
        let b = [&json!(1), &json!(2)];
        let a = result_identity(
            "x",
            &b,
            &json!({"model":"m","input_tokens":5,"batch":false}),
        );
        let same = result_identity(
            "x",
            &b,
            &json!({"batch":false,"input_tokens":9,"model":"m"}),
        );
        let other = result_identity("x", &b, &json!({"model":"m","input_tokens":5,"batch":true}));
        assert_eq!(a, same);
        assert_ne!(a, other);
    }

    #[test]
    fn negative_counts_skip_the_result() {
        let doc = json!({"object":"page","data":[{"object":"bucket","start_time":1754006400,"results":[
            {"object":"organization.usage.completions.result","input_tokens":-5,"output_tokens":1},
            {"object":"organization.usage.completions.result","input_tokens":5,"output_tokens":1}]}]});
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[doc]);
        assert_eq!(out.records.len(), 1);
        assert_eq!(skips[0].reason, "invalid usage");
        assert_eq!(out.extra_entries, 1);
    }
}
