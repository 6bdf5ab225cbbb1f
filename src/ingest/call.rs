//! One API call assembled from a request line and a response line (either
//! may be missing). Every provider format extracts a [`Reply`] from its own
//! response shape and the request text from its own request shape; joining
//! them, and reading task, session, timestamp, tier and cost from bodies and
//! wrappers, is the same everywhere and lives here.

use jiff::Timestamp;
use serde_json::Value;

use super::fields::{
    envelope::{envelope, fill_from_wrappers},
    lookup::str_from,
    task::task_from,
    text::attach_text,
};
use super::{ParseOptions, Skip};
use crate::record::{AudioTokens, Format, Record, ServiceTier, Source, Text, Usage};

/// The response side of one call, as a format extracted it.
#[derive(Debug, Default)]
pub struct Reply {
    pub model: Option<String>,
    pub timestamp: Option<Timestamp>,
    /// Service tier as logged (`batch`, `flex`, `default`, …).
    pub tier: Option<String>,
    pub usage: Option<Usage>,
    pub web_search: u64,
    /// Audio tokens inside `usage`, priced apart from text by providers.
    pub audio: AudioTokens,
    pub text: String,
}

/// A request line held back until we know whether its response follows.
pub struct Held {
    pub line: Value,
    pub source: Source,
    /// Arrival order, for formats whose calls can complete out of order.
    pub seq: u64,
    /// The id a wrapper gives the call (see [`pair_key`]), to pair the
    /// response that carries the same one.
    pub key: Option<String>,
}

impl Held {
    pub fn new(line: Value, source: Source) -> Held {
        let key = pair_key(&line);
        Held {
            line,
            source,
            seq: 0,
            key,
        }
    }

    /// The request body: the line itself, or its `request` side.
    pub fn body(&self) -> &Value {
        envelope(&self.line).request_or_line()
    }
}

/// Wrapper fields that name one call on both its request and its response
/// line (gateway and proxy logs).
const PAIR_KEYS: &[&str] = &[
    "request_id",
    "requestId",
    "custom_id",
    "call_id",
    "correlation_id",
    "span_id",
    "spanId",
];

/// The id a logged line gives its call, if its wrapper has one.
pub fn pair_key(line: &Value) -> Option<String> {
    PAIR_KEYS.iter().find_map(|k| match line.get(*k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Requests waiting for their responses, oldest first. A log may write
/// several requests before their responses (reqA, reqB, respA, respB): a
/// response takes the request with its own id when the log gives ids,
/// else the oldest waiting one, so usage and money never come from the
/// wrong line.
#[derive(Default)]
pub struct Pending {
    queue: std::collections::VecDeque<Held>,
}

/// Requests held at most; past that the oldest is taken as unanswered.
const MAX_PENDING: usize = 64;

impl Pending {
    /// Hold a request; returns the oldest one when too many wait.
    pub fn hold(&mut self, h: Held) -> Option<Held> {
        self.queue.push_back(h);
        (self.queue.len() > MAX_PENDING)
            .then(|| self.queue.pop_front())
            .flatten()
    }

    /// The oldest waiting request.
    pub fn take(&mut self) -> Option<Held> {
        self.queue.pop_front()
    }

    /// The request a response line answers: the one with its id, else the
    /// oldest one without an id (a request with another id is not it).
    pub fn take_for(&mut self, response_line: &Value) -> Option<Held> {
        let i = match pair_key(response_line) {
            Some(k) => self
                .queue
                .iter()
                .position(|h| h.key.as_deref() == Some(k.as_str()))
                .or_else(|| self.queue.iter().position(|h| h.key.is_none())),
            None => self.queue.iter().position(|h| h.key.is_none()).or(
                // Ids on requests only: nothing to match them by.
                (!self.queue.is_empty()).then_some(0),
            ),
        }?;
        self.queue.remove(i)
    }

    pub fn front(&self) -> Option<&Held> {
        self.queue.front()
    }

    pub fn drain(&mut self) -> impl Iterator<Item = Held> + '_ {
        self.queue.drain(..)
    }
}

/// What differs between provider formats when a call is assembled.
pub struct Shape {
    pub format: Format,
    pub provider: &'static str,
    /// Prompt messages and tool definitions of a request body.
    pub request_text: fn(&Value, &mut Text),
    pub task_keys: &'static [&'static str],
    pub session_keys: &'static [&'static str],
}

impl Shape {
    /// Build one record. `req` is (raw line, request body); `resp` is (raw
    /// line, response body, extracted reply). The reply wins for model and
    /// timestamp; the request fills what it lacks; wrapper lines fill the
    /// rest. Refused (`no usage`) when there is neither usage nor text.
    pub fn build(
        &self,
        opts: &ParseOptions,
        source: Source,
        req: Option<(&Value, &Value)>,
        resp: Option<(&Value, &Value, Reply)>,
    ) -> Result<Record, Skip> {
        let mut rec = Record::new(source, self.format);
        rec.provider = Some(self.provider.to_string());
        let mut text = Text::default();
        let mut lines: Vec<&Value> = Vec::with_capacity(2);
        let mut bodies: Vec<&Value> = Vec::with_capacity(2);
        // The tier a response reports is the one that served the call (a
        // `priority` request may be served at `default`): wrappers must not
        // override it.
        let mut body_tier = None;
        if let Some((_, body)) = req {
            (self.request_text)(body, &mut text);
            bodies.push(body);
        }
        if let Some((line, body, reply)) = resp {
            text.has_response = true;
            text.response = reply.text;
            rec.model = reply.model;
            rec.timestamp = reply.timestamp;
            rec.usage = reply.usage;
            rec.web_search_requests = reply.web_search;
            rec.audio = reply.audio;
            if let Some(t) = reply.tier {
                rec.service_tier = ServiceTier::from_logged(&t);
                body_tier = Some(rec.service_tier);
            }
            lines.push(line);
            bodies.push(body);
        }
        if let Some((line, body)) = req {
            lines.push(line);
            if rec.model.is_none() {
                rec.model = str_of(body, "model");
            }
        }
        // Task: the request line is asked before the response line.
        let task_lines: Vec<&Value> = lines.iter().rev().copied().collect();
        rec.task = task_from(opts, &task_lines, &bodies, self.task_keys);
        rec.session = str_from(&lines, &bodies, self.session_keys);
        fill_from_wrappers(&mut rec, &lines);
        if let Some(t) = body_tier {
            rec.service_tier = t;
        }
        attach_text(&mut rec, text)?;
        Ok(rec)
    }

    /// A response on `line` (body `resp`, extracted `reply`) joined to its
    /// request: the one on the same line if the line carries one, else the
    /// request held from the line before, else none. A held request that a
    /// same-line request supersedes is emitted first, unanswered. This is
    /// the one place the request/response pairing rule lives. A `reply`
    /// that failed to parse flushes the held request and is returned.
    #[allow(clippy::too_many_arguments)]
    pub fn answer(
        &self,
        opts: &ParseOptions,
        pending: &mut Pending,
        source: Source,
        line: &Value,
        req: Option<&Value>,
        resp: &Value,
        reply: Result<Reply, Skip>,
        out: &mut Vec<Record>,
    ) -> Result<(), Skip> {
        // A response that cannot be read answers nothing: the request it
        // answered is emitted unanswered before the line is skipped.
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                if req.is_none()
                    && let Some(h) = pending.take_for(line)
                {
                    out.extend(self.unanswered(opts, &h));
                }
                return Err(e);
            }
        };
        let rec = match req {
            // A line with its own request answers none of the held ones.
            Some(req) => self.build(opts, source, Some((line, req)), Some((line, resp, reply))),
            None => match pending.take_for(line) {
                Some(h) => self.build(
                    opts,
                    h.source.clone(),
                    Some((&h.line, h.body())),
                    Some((line, resp, reply)),
                ),
                None => self.build(opts, source, None, Some((line, resp, reply))),
            },
        };
        out.push(rec?);
        Ok(())
    }

    /// Held requests whose responses never came, oldest first: text-only
    /// records (or nothing, when they have no text either).
    pub fn flush(&self, opts: &ParseOptions, pending: &mut Pending, out: &mut Vec<Record>) {
        for h in pending.drain() {
            out.extend(self.unanswered(opts, &h));
        }
    }

    /// Hold a request; one pushed out by too many waiting is emitted
    /// unanswered.
    pub fn hold(&self, opts: &ParseOptions, pending: &mut Pending, h: Held, out: &mut Vec<Record>) {
        if let Some(old) = pending.hold(h) {
            out.extend(self.unanswered(opts, &old));
        }
    }

    pub fn unanswered(&self, opts: &ParseOptions, h: &Held) -> Option<Record> {
        self.build(opts, h.source.clone(), Some((&h.line, h.body())), None)
            .ok()
    }
}

/// A non-empty string field.
pub fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
