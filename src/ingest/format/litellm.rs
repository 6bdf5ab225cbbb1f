//! LiteLLM proxy `LiteLLM_SpendLogs` rows, format `litellm`
//! (docs/formats.md, litellm).
//!
//! Lines this parser reads: one row per proxied call, from `/spend/logs`
//! (a JSON array), JSONL, or a CSV dump of the table (same column names;
//! the container decodes JSON cells such as `metadata` and `messages`,
//! numbers arrive as strings); also a saved paginated answer
//! `{"data":[row, …], …}` (each row one entry of the run's accounting).
//!
//! Usage comes from `metadata.usage_object` (LiteLLM's OpenAI-style usage
//! of the call), else from the `prompt_tokens`/`completion_tokens` columns
//! (no cache detail). LiteLLM converts every provider to OpenAI semantics:
//! `prompt_tokens` includes the cache reads
//! (`prompt_tokens_details.cached_tokens`, also copied to a top-level
//! `cache_read_input_tokens`), and `completion_tokens` includes
//! `completion_tokens_details.reasoning_tokens`. Whether it also includes
//! Anthropic cache **writes** depends on the LiteLLM version (checked in
//! BerriAI/litellm, `litellm/llms/anthropic/chat/transformation.py`
//! `calculate_usage`, and its issues):
//! - until April 2025 writes were added to `prompt_tokens`; PR #9838
//!   ("fix double counting cache creation input tokens", 2025-04-09) stopped
//!   that, leaving writes only in a top-level `cache_creation_input_tokens`
//!   (issue #15056, Sep 2025: `prompt_tokens` 31 beside 1253 written);
//! - later versions add them again and say so with
//!   `prompt_tokens_details.cache_creation_tokens` (issue #11364, v1.80.11:
//!   `prompt_tokens` 98805 = 66360 read + 32435 written + 10).
//!
//! So writes are taken as part of `prompt_tokens` when the details carry
//! `cache_creation_tokens` (or OpenAI's own `cache_write_tokens`); a
//! top-level count alone is inside `prompt_tokens` only for rows before
//! 2025-04-09; and never when `prompt_tokens` is smaller than reads plus
//! writes (it cannot contain them). The 1-hour part of the writes is
//! `cache_creation_token_details.ephemeral_1h_input_tokens` when logged.
//!
//! Rows that bill nothing: `status` failure (`api error`), and
//! `cache_hit: "True"` — LiteLLM answered from its own response cache
//! without calling the provider; its cost calculator sets the cost of a
//! cache hit to 0 (`cost_calculator.py` `response_cost_calculator`:
//! `if cache_hit … response_cost = 0.0`), while the row can still carry the
//! replayed response's token counts, which must not be billed again
//! (`proxy cache hit`).
//!
//! `spend` → reported cost (a float, read from its decimal text). Model
//! `model`, else `model_group`; provider `custom_llm_provider`; timestamp
//! `startTime`; session `session_id`; project `team_id`. Task: `--task-key`
//! on the row, else `metadata.spend_logs_metadata.task_id`/`task`, else the
//! `request_tags` (LiteLLM's unit of spend attribution; several tags are
//! joined with `,`), else — only when there is no session, so that the
//! session stays the task — the end user (`end_user`, then `user`). Prompt
//! text from `messages` (or `proxy_server_request`), response text from
//! `response`, when the proxy stored them. A `request_id` seen twice in a
//! run is billed once.

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::helicone::{decoded, embedded_call};
use super::openai_usage::Entries;
use super::{FormatParser, Out, ParseOptions, Skip};
use crate::ingest::fields::{
    errors::unrecognized,
    lookup::first_str,
    numbers::{count_field, decimal_value},
    task::task_of,
    text::attach_text,
    time::time_of,
};
use crate::record::{CallId, Format, Record, Source, Usage};

const EXPECTED: &str = "a LiteLLM SpendLogs row (`request_id` + `call_type` + `spend`)";
/// Rows before this date come from LiteLLM builds that still added
/// Anthropic cache writes to `prompt_tokens` (PR #9838, 2025-04-09).
const WRITES_LEFT_PROMPT: i64 = 1_744_156_800; // 2025-04-09T00:00:00Z

/// Detection signature (docs/formats.md, litellm), also for a saved
/// paginated answer whose `data` holds such rows.
pub fn detect(v: &Value) -> bool {
    is_row(v)
        || v.get("request_id").is_none()
            && v.get("data")
                .and_then(Value::as_array)
                .is_some_and(|rows| rows.first().is_some_and(is_row))
}

fn is_row(v: &Value) -> bool {
    ["request_id", "call_type", "spend", "startTime"]
        .iter()
        .all(|k| v.get(*k).is_some())
}

pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Parser {
        Parser { opts }
    }

    fn row(&self, mut row: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        // `--task-key` may point into a stored body: asked before the
        // bodies are moved out (they can be large; the rest is read from `v`).
        let key_task = self
            .opts
            .task_key
            .is_some()
            .then(|| task_of(&row, &self.opts, &[]));
        let metadata = decoded(row.get("metadata").cloned()).unwrap_or(Value::Null);
        let mut take = |k: &str| row.get_mut(k).map(Value::take);
        let bodies = (
            take("proxy_server_request"),
            take("messages"),
            take("response"),
        );
        let v = &row;
        let failed = [v.get("status"), metadata.get("status")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|s| {
                matches!(
                    s.trim().to_ascii_lowercase().as_str(),
                    "failure" | "failed" | "error"
                )
            });
        if failed {
            out.drop_line(source, "api error");
            return Ok(());
        }
        if truthy(v.get("cache_hit")) {
            out.drop_line(source, "proxy cache hit");
            return Ok(());
        }
        let started = time_of(&[v], &["startTime", "endTime", "completionStartTime"]);
        let mut rec = Record::new(source.clone(), Format::LiteLlm);
        rec.timestamp = started;
        rec.usage = match metadata.get("usage_object").filter(|u| u.is_object()) {
            Some(u) => usage_object(u, started)?,
            None => None,
        };
        if rec.usage.is_none() {
            let prompt = count_field(v, "prompt_tokens")?;
            let completion = count_field(v, "completion_tokens")?;
            if prompt.is_some() || completion.is_some() {
                rec.usage = Some(Usage::from_inclusive_input(
                    prompt.unwrap_or(0),
                    0,
                    0,
                    completion.unwrap_or(0),
                    0,
                ));
            }
        }
        rec.model = first_str(v, &["model", "model_group"]);
        rec.provider = first_str(v, &["custom_llm_provider"])
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty());
        rec.reported_cost_usd = v.get("spend").and_then(decimal_value);
        rec.session = first_str(v, &["session_id"]);
        rec.project =
            first_str(v, &["team_id"]).or_else(|| first_str(&metadata, &["user_api_key_team_id"]));
        rec.task = if let Some(task) = key_task {
            task
        } else {
            first_str(
                &metadata,
                &["spend_logs_metadata.task_id", "spend_logs_metadata.task"],
            )
            .or_else(|| tags(v.get("request_tags")))
            .or_else(|| {
                rec.session
                    .is_none()
                    .then(|| first_str(v, &["end_user", "user"]))
                    .flatten()
            })
        };
        if let Some(id) = first_str(v, &["request_id"]) {
            rec.call_id = Some(Box::new(CallId::key(
                format!("litellm:{id}"),
                "same request id",
            )));
        }
        let text = call_text(bodies, rec.model.as_deref(), &source);
        if rec.usage.is_none() && text.usage.is_some() {
            rec.usage = text.usage;
        }
        attach_text(&mut rec, text.text.unwrap_or_default())?;
        out.push(rec);
        Ok(())
    }
}

/// Prompt and response text of the call from its stored bodies
/// (`proxy_server_request`, `messages`, `response`), read by the provider
/// format they are in. Only text is taken (and usage when the row has
/// none): the row's own usage is LiteLLM's reading of the call.
fn call_text(
    (server_request, messages, response): (Option<Value>, Option<Value>, Option<Value>),
    model: Option<&str>,
    source: &Source,
) -> Record {
    let request = decoded(server_request)
        .filter(|r| {
            ["messages", "input", "contents", "prompt"]
                .iter()
                .any(|k| r.get(*k).is_some())
        })
        .or_else(|| {
            let msgs = match messages? {
                Value::Array(a) if !a.is_empty() => Value::Array(a),
                Value::String(s) => match serde_json::from_str::<Value>(&s).ok()? {
                    Value::Array(a) if !a.is_empty() => Value::Array(a),
                    _ => return None,
                },
                _ => return None,
            };
            let mut req = Map::new();
            if let Some(m) = model {
                req.insert("model".to_string(), Value::String(m.to_string()));
            }
            req.insert("messages".to_string(), msgs);
            Some(Value::Object(req))
        });
    match embedded_call(request, decoded(response), source) {
        Ok(Some(r)) => r,
        _ => Record::new(source.clone(), Format::LiteLlm),
    }
}

impl FormatParser for Parser {
    fn push(&mut self, value: Value, source: Source, out: &mut Out) -> Result<(), Skip> {
        let mut value = value;
        if value.get("request_id").is_some() {
            return self.row(value, source, out);
        }
        // A saved paginated answer (`/spend/logs/ui`): `{"data":[row…], …}`.
        let Some(Value::Array(rows)) = value.get_mut("data").map(Value::take) else {
            return Err(unrecognized(&value, EXPECTED));
        };
        let mut entries = Entries::default();
        for row in rows {
            entries.add(if row.get("request_id").is_some() {
                self.row(row, source.clone(), out)
            } else {
                Err(unrecognized(&row, EXPECTED))
            });
        }
        entries.close(source, out)
    }

    fn finish(&mut self, _out: &mut Out) {}
}

/// `true`, `"True"`, `"true"`, `1`.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// `request_tags` as one task key: a JSON array (or a Postgres array text
/// `{a,b}` from a raw dump) of tags joined with `,`.
fn tags(v: Option<&Value>) -> Option<String> {
    let list: Vec<String> = match v? {
        Value::Array(a) => a
            .iter()
            .filter_map(|t| match t {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Value::String(s) => {
            let t = s.trim();
            let inner = t
                .strip_prefix('{')
                .and_then(|x| x.strip_suffix('}'))
                .unwrap_or(t);
            inner
                .split(',')
                .map(|x| x.trim().trim_matches('"').to_string())
                .collect()
        }
        _ => return None,
    };
    let list: Vec<String> = list.into_iter().filter(|t| !t.is_empty()).collect();
    (!list.is_empty()).then(|| list.join(","))
}

/// LiteLLM's OpenAI-style usage object (see the module doc for the cache
/// write rule).
fn usage_object(u: &Value, started: Option<Timestamp>) -> Result<Option<Usage>, Skip> {
    let prompt = count_field(u, "prompt_tokens")?;
    let completion = count_field(u, "completion_tokens")?;
    if prompt.is_none() && completion.is_none() {
        return Ok(None);
    }
    let (prompt, output) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    let null = Value::Null;
    let pd = u.get("prompt_tokens_details").unwrap_or(&null);
    let cd = u.get("completion_tokens_details").unwrap_or(&null);
    let read = count_field(pd, "cached_tokens")?
        .unwrap_or(0)
        .max(count_field(u, "cache_read_input_tokens")?.unwrap_or(0));
    let detailed_writes = match count_field(pd, "cache_creation_tokens")? {
        Some(n) => Some(n),
        None => count_field(pd, "cache_write_tokens")?,
    };
    let top_writes = match count_field(u, "cache_creation_input_tokens")? {
        Some(n) => Some(n),
        None => count_field(u, "cache_creation_tokens")?,
    };
    let writes = detailed_writes.or(top_writes).unwrap_or(0);
    let ttl = pd
        .get("cache_creation_token_details")
        .or_else(|| u.get("cache_creation_token_details"))
        .unwrap_or(&null);
    let write_1h = count_field(ttl, "ephemeral_1h_input_tokens")?
        .unwrap_or(0)
        .min(writes);
    let old_build = started.is_some_and(|t| t.as_second() < WRITES_LEFT_PROMPT);
    let writes_inside = writes > 0
        && prompt >= read.saturating_add(writes)
        && (detailed_writes.is_some() || old_build);
    let input = if writes_inside {
        prompt - read - writes
    } else {
        prompt.saturating_sub(read)
    };
    let reasoning = count_field(cd, "reasoning_tokens")?.unwrap_or(0);
    Ok(Some(Usage {
        input,
        cache_read: read,
        cache_write_5m: writes - write_1h,
        cache_write_1h: write_1h,
        output,
        reasoning: reasoning.min(output),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::run_parser_out;
    use serde_json::json;

    fn buckets(u: Usage) -> [u64; 6] {
        u.buckets()
    }

    fn row() -> Value {
        json!({"request_id":"chatcmpl-a1","call_type":"acompletion","api_key":"hashed","spend":0.00176,
               "total_tokens":1189,"prompt_tokens":1180,"completion_tokens":9,
               "startTime":"2025-11-02T09:14:03.120Z","endTime":"2025-11-02T09:14:04.900Z",
               "model":"gpt-4o-2024-08-06","model_group":"gpt-4o","custom_llm_provider":"openai",
               "user":"u-1","end_user":"","team_id":"team-a","session_id":"conv-1","status":"success",
               "cache_hit":"False","request_tags":["support"],
               "metadata":{"usage_object":{"prompt_tokens":1180,"completion_tokens":9,"total_tokens":1189,
                           "prompt_tokens_details":{"cached_tokens":1024}}},
               "messages":[{"role":"user","content":"Weather?"}],
               "response":{"object":"chat.completion","choices":[{"message":{"role":"assistant","content":"Sunny."}}]}})
    }

    #[test]
    fn detection() {
        assert!(detect(&row()));
        assert_eq!(super::super::detect(&row()), Some(Format::LiteLlm));
        let page = json!({"data":[row()],"total":1,"page":1,"page_size":50,"total_pages":1});
        assert_eq!(super::super::detect(&page), Some(Format::LiteLlm));
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[page]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.extra_entries, 0);
    }

    #[test]
    fn usage_object_cost_and_text() {
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[row()]);
        assert!(skips.is_empty(), "{skips:?}");
        let r = &out.records[0];
        assert_eq!(buckets(r.usage.unwrap()), [156, 1024, 0, 0, 9, 0]);
        assert_eq!(
            r.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.00176")
        );
        assert_eq!(r.model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(r.provider.as_deref(), Some("openai"));
        assert_eq!(r.session.as_deref(), Some("conv-1"));
        assert_eq!(r.task.as_deref(), Some("support"));
        assert_eq!(r.project.as_deref(), Some("team-a"));
        let t = r.text.as_ref().unwrap();
        assert_eq!(t.messages[0].content, "Weather?");
        assert_eq!(t.response, "Sunny.");
    }

    #[test]
    fn anthropic_cache_writes_by_version() {
        let u = |v: Value, ts: &str| {
            usage_object(&v, Some(ts.parse().unwrap()))
                .unwrap()
                .map(buckets)
                .unwrap()
        };
        // New builds: writes inside prompt_tokens, said by the details.
        let new = json!({"prompt_tokens":98805,"completion_tokens":5120,
            "prompt_tokens_details":{"cached_tokens":66360,"cache_creation_tokens":32435},
            "cache_read_input_tokens":66360,"cache_creation_input_tokens":32435,
            "completion_tokens_details":{"reasoning_tokens":1710}});
        assert_eq!(
            u(new, "2026-01-10T00:00:00Z"),
            [10, 66360, 32435, 0, 5120, 1710]
        );
        // Mid-2025 builds: writes outside.
        let mid = json!({"prompt_tokens":31,"completion_tokens":467,
            "prompt_tokens_details":{"cached_tokens":0},"cache_creation_input_tokens":1253});
        assert_eq!(
            u(mid.clone(), "2025-09-30T00:00:00Z"),
            [31, 0, 1253, 0, 467, 0]
        );
        // Even on an old date, 31 cannot contain 1253.
        assert_eq!(u(mid, "2025-01-01T00:00:00Z"), [31, 0, 1253, 0, 467, 0]);
        // Old builds: top-level writes inside.
        let old = json!({"prompt_tokens":2050,"completion_tokens":10,
            "prompt_tokens_details":{"cached_tokens":0},"cache_creation_input_tokens":2000});
        assert_eq!(
            u(old.clone(), "2025-02-01T00:00:00Z"),
            [50, 0, 2000, 0, 10, 0]
        );
        assert_eq!(u(old, "2025-06-01T00:00:00Z"), [2050, 0, 2000, 0, 10, 0]);
        // 1h writes split out.
        let ttl = json!({"prompt_tokens":1100,"completion_tokens":1,
            "prompt_tokens_details":{"cached_tokens":0,"cache_creation_tokens":1000,
                "cache_creation_token_details":{"ephemeral_5m_input_tokens":400,"ephemeral_1h_input_tokens":600}}});
        assert_eq!(u(ttl, "2026-01-10T00:00:00Z"), [100, 0, 400, 600, 1, 0]);
    }

    #[test]
    fn failures_and_cache_hits_bill_nothing() {
        let mut failed = row();
        failed["status"] = json!("failure");
        let mut hit = row();
        hit["cache_hit"] = json!("True");
        hit["spend"] = json!(0.0);
        let mut old_failed = row();
        old_failed["status"] = Value::Null;
        old_failed["metadata"]["status"] = json!("failure");
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[failed, hit, old_failed, row()]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 1);
        let reasons: Vec<_> = out.dropped.iter().map(|(_, r)| *r).collect();
        assert_eq!(reasons, ["api error", "proxy cache hit", "api error"]);
    }

    #[test]
    fn csv_row_strings_and_fallback_columns() {
        let row = json!({"request_id":"r2","call_type":"acompletion","spend":"0.0021","prompt_tokens":"300",
            "completion_tokens":"20","startTime":"2025-11-02 09:14:03.120+00","model":"",
            "model_group":"claude-haiku-4-5","custom_llm_provider":"anthropic","cache_hit":"False",
            "status":"success","session_id":"","end_user":"cust-9","request_tags":"{alpha,beta}",
            "metadata":"","messages":"{}","response":"{}"});
        let mut p = Parser::new(ParseOptions::default());
        let (out, skips) = run_parser_out(&mut p, &[row]);
        assert!(skips.is_empty(), "{skips:?}");
        let r = &out.records[0];
        assert_eq!(buckets(r.usage.unwrap()), [300, 0, 0, 0, 20, 0]);
        assert_eq!(r.model.as_deref(), Some("claude-haiku-4-5"));
        assert_eq!(r.task.as_deref(), Some("alpha,beta"));
        assert_eq!(
            r.timestamp.map(|t| t.to_string()).as_deref(),
            Some("2025-11-02T09:14:03.12Z")
        );
        assert!(r.text.is_none());
    }

    #[test]
    fn user_is_the_task_only_without_session_or_tags() {
        let mut a = row();
        a["request_tags"] = json!([]);
        let mut b = a.clone();
        b["session_id"] = Value::Null;
        let mut p = Parser::new(ParseOptions::default());
        let (out, _) = run_parser_out(&mut p, &[a, b]);
        assert_eq!(out.records[0].task, None);
        assert_eq!(out.records[1].task.as_deref(), Some("u-1"));
    }
}
