//! Home-grown wrappers around provider bodies, and the metadata every
//! format reads the same way from them.

use serde_json::Value;

use super::lookup::first_str;
use super::numbers::reported_cost;
use super::time::{WRAPPER_TIME_KEYS, time_of};
use crate::record::{Record, ServiceTier};

/// A line split into the provider bodies it carries. Home-grown logs wrap a
/// call as `{"timestamp":…, "request":{…}, "response":{…}}` (or with
/// `input`/`output` objects); the wrapper's other keys are metadata.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    pub line: &'a Value,
    pub request: Option<&'a Value>,
    pub response: Option<&'a Value>,
    /// True when the line is a wrapper (bodies are in `request`/`response`).
    pub wrapped: bool,
}

impl<'a> Envelope<'a> {
    /// The request body: the wrapper's side, or the line itself.
    pub fn request_or_line(&self) -> &'a Value {
        self.request.unwrap_or(self.line)
    }
}

/// Split a line into wrapper and bodies. `request`/`response` count when
/// either is an object; `input`/`output` only when each is an object or
/// absent/null (they are plain text fields in many formats).
pub fn envelope(line: &Value) -> Envelope<'_> {
    let obj = |k: &str| line.get(k).filter(|x| x.is_object());
    let (req, resp) = (obj("request"), obj("response"));
    if req.is_some() || resp.is_some() {
        return Envelope {
            line,
            request: req,
            response: resp,
            wrapped: true,
        };
    }
    let side_ok = |k: &str| line.get(k).is_none_or(|x| x.is_object() || x.is_null());
    let (i, o) = (obj("input"), obj("output"));
    if (i.is_some() || o.is_some()) && side_ok("input") && side_ok("output") {
        return Envelope {
            line,
            request: i,
            response: o,
            wrapped: true,
        };
    }
    Envelope {
        line,
        request: None,
        response: None,
        wrapped: false,
    }
}

/// Fill what every format reads the same way from wrapper lines, leaving
/// what the bodies already set: timestamp, model, service tier, reported
/// cost, and a logged `provider` (which wins over the format's default).
pub fn fill_from_wrappers(rec: &mut Record, lines: &[&Value]) {
    if rec.timestamp.is_none() {
        rec.timestamp = time_of(lines, WRAPPER_TIME_KEYS);
    }
    if rec.model.is_none() {
        rec.model = lines.iter().find_map(|v| first_str(v, &["model"]));
    }
    if rec.service_tier == ServiceTier::Standard
        && let Some(t) = lines.iter().find_map(|v| first_str(v, &["service_tier"]))
    {
        rec.service_tier = ServiceTier::from_logged(&t);
    }
    if rec.reported_cost_usd.is_none() {
        rec.reported_cost_usd = reported_cost(lines);
    }
    if let Some(p) = lines
        .iter()
        .find_map(|v| v.get("provider").and_then(Value::as_str))
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
    {
        rec.provider = Some(p);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ingest::format::source;
    use crate::record::Format;
    use serde_json::json;

    #[test]
    fn envelopes() {
        let v = json!({"timestamp":"x","request":{"model":"m"},"response":{"id":"r"}});
        let e = envelope(&v);
        assert!(e.wrapped && e.request.is_some() && e.response.is_some());
        let v = json!({"input":{"model":"m","messages":[]},"output":{"object":"chat.completion"}});
        assert!(envelope(&v).wrapped);
        // Plain text fields are not wrappers.
        assert!(!envelope(&json!({"model":"m","input":"hi","output":"yo"})).wrapped);
        assert!(
            !envelope(&json!({"input":[{"role":"user"}],"output":{"role":"assistant"}})).wrapped
        );
    }

    #[test]
    fn wrapper_fields() {
        let line = json!({"timestamp":"2025-03-01T00:00:00Z","provider":"OpenAI","costUSD":"0.5","service_tier":"flex","model":"gpt-4o"});
        let mut rec = Record::new(source(&Arc::from("x"), 1), Format::OpenAiChat);
        fill_from_wrappers(&mut rec, &[&line]);
        assert_eq!(rec.provider.as_deref(), Some("openai"));
        assert_eq!(rec.model.as_deref(), Some("gpt-4o"));
        assert_eq!(rec.service_tier, ServiceTier::Flex);
        assert_eq!(
            rec.reported_cost_usd.map(|d| d.to_string()).as_deref(),
            Some("0.5")
        );
        assert!(rec.timestamp.is_some());
        // Durations are not dates.
        assert_eq!(time_of(&[&json!({"time": 1.5})], WRAPPER_TIME_KEYS), None);
    }
}
