//! Anthropic Admin API usage and cost reports, format `anthropic-usage`
//! (docs/formats.md, anthropic-usage).
//!
//! Lines this parser reads: a report `{data:[bucket…], has_more,
//! next_page}` (a document, a JSON array of reports, or JSONL of reports)
//! and a bare bucket `{starting_at, ending_at, results:[…]}` per line, from
//! `/v1/organizations/usage_report/messages` and
//! `/v1/organizations/cost_report`. Every result is one entry of the run's
//! accounting; a report without any result is one entry, not billed
//! (`empty page`).
//!
//! Usage results → one counts-only record: `uncached_input_tokens` is the
//! uncached input (the report never includes cache in it),
//! `cache_read_input_tokens`, `cache_creation.ephemeral_5m_input_tokens` /
//! `ephemeral_1h_input_tokens` the cache buckets, `output_tokens` the output
//! (thinking included), `server_tool_use.web_search_requests` the web
//! searches. Model, `service_tier` and `workspace_id` (→ project) as
//! grouped; timestamp = the bucket's `starting_at`. `context_window`
//! decides the long-context tier (`200k-1M` → long, `0-200k` → not); when
//! the report was not grouped by it the tier is taken as not applying,
//! since a bucket's summed input says nothing about any one request.
//!
//! Requests: the report does not count requests, so a usage record stands
//! for **0** requests. One per result would make "cost per request" a cost
//! per bucket; zero leaves it undefined for these records, which is the
//! truth. (Records still count as records.)
//!
//! Cost results (`amount` + `currency`) → a record with zero usage, zero
//! requests, and `reported_cost_usd` = `amount` / 100: the amount is a
//! decimal string **in cents** (`"123.45"` = $1.2345), divided exactly in
//! decimal. The dollars Anthropic reports thus reach the report's
//! reported-cost total (by model, project, day) without adding tokens;
//! such a record prices to $0 when its model is known (it has no usage) and
//! is unpriced otherwise. Non-USD amounts and unreadable amounts are
//! errors.
//!
//! A result seen again in the run (same bucket times and group keys) is
//! billed once; the first copy read wins.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::openai_usage::{Entries, result_identity};
use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    numbers::{MAX_REPORTED_COST_USD, count_field},
    time::parse_timestamp,
};
use crate::record::{CallId, Format, Record, ServiceTier, Source, Usage};

const PROVIDER: &str = "anthropic";

/// Detection signature (docs/formats.md, detection).
pub fn detect(v: &Value) -> bool {
    let result_ok = |r: &Value| {
        r.get("uncached_input_tokens").is_some()
            || (r.get("amount").is_some() && r.get("currency").is_some())
    };
    let bucket_ok = |b: &Value| {
        b.get("starting_at").is_some()
            && b.get("results")
                .and_then(Value::as_array)
                .is_some_and(|rs| rs.first().is_none_or(result_ok))
    };
    v.get("data")
        .and_then(Value::as_array)
        .is_some_and(|d| d.first().is_some_and(bucket_ok))
        || bucket_ok(v)
}

/// Whether the long-context tier applies to a `context_window` group:
/// a range whose lower bound is at least 200k tokens.
fn long_context(window: Option<&str>) -> bool {
    let Some(w) = window else { return false };
    let lower = w
        .split('-')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (digits, scale) = if let Some(d) = lower.strip_suffix('k') {
        (d, 1_000)
    } else if let Some(d) = lower.strip_suffix('m') {
        (d, 1_000_000)
    } else {
        (lower.as_str(), 1)
    };
    digits
        .parse::<u64>()
        .is_ok_and(|n| n.saturating_mul(scale) >= 200_000)
}

fn group(r: &Value, key: &str) -> Option<String> {
    r.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Dollars from a cost result's `amount` (a decimal in cents).
fn dollars(r: &Value) -> Result<Decimal, Skip> {
    let currency = r.get("currency").and_then(Value::as_str).unwrap_or("USD");
    if !currency.trim().eq_ignore_ascii_case("usd") {
        return Err(Skip::new(
            "unsupported currency",
            format!("cost amount is in `{currency}`; only USD amounts can be reported"),
        ));
    }
    let raw = r.get("amount").unwrap_or(&Value::Null);
    let text = match raw {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let cents = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
        .filter(|c| !c.is_sign_negative());
    let usd = cents.and_then(|c| c.checked_div(Decimal::ONE_HUNDRED));
    usd.filter(|d| *d <= Decimal::from(MAX_REPORTED_COST_USD))
        .map(|d| d.normalize())
        .ok_or_else(|| {
            Skip::new(
                "invalid cost",
                format!("cost result without a readable non-negative `amount` in cents: {raw}"),
            )
        })
}

pub struct Parser {
    _opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { _opts: opts }
    }

    fn bucket(&self, b: &Value, source: &Source, entries: &mut Entries, out: &mut Out) {
        let Some(results) = b.get("results").and_then(Value::as_array) else {
            entries.add(Ok(()));
            out.drop_line(source.clone(), "unknown record type");
            return;
        };
        for r in results {
            entries.add(self.result(b, r, source, out));
        }
    }

    fn result(&self, b: &Value, r: &Value, source: &Source, out: &mut Out) -> Result<(), Skip> {
        let is_cost = r.get("amount").is_some();
        let is_usage = [
            "uncached_input_tokens",
            "cache_read_input_tokens",
            "cache_creation",
            "output_tokens",
        ]
        .iter()
        .any(|k| r.get(*k).is_some());
        if !is_cost && !is_usage {
            out.drop_line(source.clone(), "unknown record type");
            return Ok(());
        }
        let mut rec = Record::new(source.clone(), Format::AnthropicUsage);
        rec.provider = Some(PROVIDER.to_string());
        rec.timestamp = b.get("starting_at").and_then(parse_timestamp);
        rec.model = group(r, "model");
        rec.project = group(r, "workspace_id");
        if let Some(t) = group(r, "service_tier") {
            rec.service_tier = ServiceTier::from_logged(&t);
        }
        rec.requests = 0;
        let identity = result_identity(
            "anthropic-usage",
            &[
                b.get("starting_at").unwrap_or(&Value::Null),
                b.get("ending_at").unwrap_or(&Value::Null),
            ],
            r,
        );
        rec.call_id = Some(Box::new(CallId::key(identity, "same usage bucket")));
        if is_cost {
            rec.reported_cost_usd = Some(dollars(r)?);
            rec.usage = Some(Usage::default());
            // No tokens: no tier to apply, whatever the group says.
            rec.long_context = Some(false);
        } else {
            let cc = r.get("cache_creation").unwrap_or(&Value::Null);
            let st = r.get("server_tool_use").unwrap_or(&Value::Null);
            let output = count_field(r, "output_tokens")?.unwrap_or(0);
            rec.usage = Some(Usage {
                input: count_field(r, "uncached_input_tokens")?.unwrap_or(0),
                cache_read: count_field(r, "cache_read_input_tokens")?.unwrap_or(0),
                cache_write_5m: count_field(cc, "ephemeral_5m_input_tokens")?.unwrap_or(0),
                cache_write_1h: count_field(cc, "ephemeral_1h_input_tokens")?.unwrap_or(0),
                output,
                reasoning: 0,
            });
            rec.web_search_requests = count_field(st, "web_search_requests")?.unwrap_or(0);
            rec.long_context = Some(long_context(
                r.get("context_window").and_then(Value::as_str),
            ));
        }
        out.push(rec);
        Ok(())
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let mut entries = Entries::default();
        if value.get("starting_at").is_some() {
            self.bucket(&value, &source, &mut entries, out);
        } else if let Some(buckets) = value.get("data").and_then(Value::as_array) {
            for b in buckets {
                self.bucket(b, &source, &mut entries, out);
            }
        } else {
            return Err(crate::ingest::fields::errors::unrecognized(
                &value,
                "an Anthropic usage or cost report (`data[]` of buckets with `starting_at`)",
            ));
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

    fn usage_report() -> Value {
        json!({"has_more":false,"next_page":null,"data":[
            {"starting_at":"2025-09-01T00:00:00Z","ending_at":"2025-09-02T00:00:00Z","results":[
                {"uncached_input_tokens":1200,"cache_read_input_tokens":8000,
                 "cache_creation":{"ephemeral_5m_input_tokens":300,"ephemeral_1h_input_tokens":700},
                 "output_tokens":450,"server_tool_use":{"web_search_requests":3},
                 "model":"claude-sonnet-4-5-20250929","workspace_id":"wrkspc_x","api_key_id":null,
                 "service_tier":"standard","context_window":"0-200k"},
                {"uncached_input_tokens":250000,"cache_read_input_tokens":0,
                 "cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},
                 "output_tokens":100,"model":"claude-sonnet-4-5-20250929","workspace_id":null,
                 "service_tier":"batch","context_window":"200k-1M"}]},
            {"starting_at":"2025-09-02T00:00:00Z","ending_at":"2025-09-03T00:00:00Z","results":[
                {"uncached_input_tokens":"10","output_tokens":"5","model":null}]}]})
    }

    #[test]
    fn detection() {
        assert!(detect(&usage_report()));
        assert_eq!(
            super::super::detect(&usage_report()),
            Some(Format::AnthropicUsage)
        );
        assert!(detect(
            &json!({"data":[{"starting_at":"x","results":[{"amount":"1","currency":"USD"}]}]})
        ));
    }

    #[test]
    fn usage_results() {
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[usage_report()]);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(out.records.len(), 3);
        assert_eq!(out.extra_entries, 2);
        let r = &out.records[0];
        let u = r.usage.unwrap();
        assert_eq!(
            (
                u.input,
                u.cache_read,
                u.cache_write_5m,
                u.cache_write_1h,
                u.output
            ),
            (1200, 8000, 300, 700, 450)
        );
        assert_eq!(r.web_search_requests, 3);
        assert_eq!(r.requests, 0);
        assert_eq!(r.long_context, Some(false));
        assert_eq!(r.project.as_deref(), Some("wrkspc_x"));
        let r = &out.records[1];
        assert_eq!(r.long_context, Some(true));
        assert_eq!(r.service_tier, ServiceTier::Batch);
        assert_eq!(r.project, None);
        let r = &out.records[2];
        assert_eq!(r.model, None);
        assert_eq!(r.long_context, Some(false));
        assert_eq!(r.usage.unwrap().input, 10);
    }

    #[test]
    fn cost_amounts_are_cents() {
        let doc = json!({"data":[{"starting_at":"2025-09-01T00:00:00Z","ending_at":"2025-09-02T00:00:00Z","results":[
            {"amount":"123.45","currency":"USD","cost_type":"tokens","token_type":"uncached_input_tokens",
             "model":"claude-sonnet-4-5-20250929","service_tier":"standard","context_window":"200k-1M"},
            {"amount":"0.001","currency":"USD","cost_type":"web_search","model":null},
            {"amount":"7","currency":"EUR"}]}]});
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[doc]);
        let d = |i: usize| out.records[i].reported_cost_usd.map(|d| d.to_string());
        assert_eq!(d(0).as_deref(), Some("1.2345"));
        assert_eq!(d(1).as_deref(), Some("0.00001"));
        assert_eq!(out.records[0].usage, Some(Usage::default()));
        assert_eq!(out.records[0].requests, 0);
        assert_eq!(out.records[0].long_context, Some(false));
        assert_eq!(skips[0].reason, "unsupported currency");
        assert_eq!(out.extra_entries, 2);
    }

    #[test]
    fn context_windows() {
        assert!(long_context(Some("200k-1M")));
        assert!(long_context(Some("1M-2M")));
        assert!(!long_context(Some("0-200k")));
        assert!(!long_context(None));
        assert!(!long_context(Some("weird")));
    }

    #[test]
    fn bare_bucket_and_empty_report() {
        let bucket = json!({"starting_at":"2025-09-01T00:00:00Z","ending_at":"2025-09-02T00:00:00Z",
            "results":[{"uncached_input_tokens":1,"output_tokens":2,"model":"claude-haiku-4-5"}]});
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[bucket, json!({"data":[],"has_more":false})]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.dropped[0].1, "empty page");
        assert_eq!(out.extra_entries, 0);
    }
}
