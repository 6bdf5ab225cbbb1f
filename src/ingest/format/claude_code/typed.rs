//! Claude Code lines read straight into what a usage-only run bills from
//! ([`Assistant`]), without building a `Value`: the typed reader of
//! [`super::LEAN`].
//!
//! A transcript is mostly text the run never reads; what it does read is a
//! dozen fields. Building them into a `Value` (a map and a string per
//! field, keys hashed) cost more than checking the whole line. Here every
//! value is still read and checked as a full parse checks it (skipped ones
//! through `Checked`), so a line is malformed on this path exactly when it
//! is on the full one.
//!
//! Only the usual shapes are modelled: an `assistant` line whose kept
//! fields have the types Claude Code writes, and the context lines. Anything
//! else (a repeated kept key, a count written as a string, a timestamp that
//! is not a date, an outcome field, a `result` or `system` line) gives
//! `None`, and the line is read the `Value` way, whose rules decide it. So
//! the conversions here only ever meet values the `Value` path reads the
//! same way: `tests` and the `lean_vs_full` fuzz target hold them together.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{Assistant, CONTEXT_LINE, CONTEXT_TYPES, not_billed};
use crate::ingest::fields::numbers::{MAX_TOKENS, decimal_value};
use crate::ingest::fields::task::OUTCOME_ROOTS;
use crate::ingest::fields::time::{parse_timestamp_str, plausible};
use crate::ingest::format::TypedLine;
use crate::ingest::lean::{Checked, Key, LeanLine, Scalar};
use crate::record::{ServiceTier, Usage};

/// The typed reader: `Ok(None)` for a line it does not model.
pub(super) fn read(bytes: &[u8]) -> serde_json::Result<Option<LeanLine>> {
    // One vectorised UTF-8 check of the line, so that serde reads it as a
    // `str` and need not check each string it meets (about an eighth of the
    // run's instructions when it did). A line that is not UTF-8 is
    // malformed: the `Value` path says where.
    let Ok(text) = simdutf8::basic::from_utf8(bytes) else {
        return Ok(None);
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let line = Line::deserialize(&mut de)?;
    de.end()?;
    Ok(line.0.and_then(Top::into_line))
}

/// Store a kept field; a key given twice is left to the `Value` path (whose
/// map keeps the last).
fn set<T>(slot: &mut Option<T>, value: T, odd: &mut bool) {
    *odd |= slot.is_some();
    *slot = Some(value);
}

/// A whole line: `None` when it is not an object.
struct Line<'de>(Option<Top<'de>>);

#[derive(Default)]
struct Top<'de> {
    ty: Option<Scalar<'de>>,
    message: Option<Option<Message<'de>>>,
    api_error: Option<Scalar<'de>>,
    sidechain: Option<Scalar<'de>>,
    request_id: Option<Scalar<'de>>,
    timestamp: Option<Scalar<'de>>,
    cost: Option<Scalar<'de>>,
    cwd: Option<Scalar<'de>>,
    session_id: Option<Scalar<'de>>,
    session_id_snake: Option<Scalar<'de>>,
    odd: bool,
}

#[derive(Default)]
struct Message<'de> {
    id: Option<Scalar<'de>>,
    model: Option<Scalar<'de>>,
    /// `Some(None)`: present, not an object.
    usage: Option<Option<UsageFields<'de>>>,
    odd: bool,
}

#[derive(Default)]
struct UsageFields<'de> {
    input: Option<Scalar<'de>>,
    cache_read: Option<Scalar<'de>>,
    cache_creation: Option<Scalar<'de>>,
    output: Option<Scalar<'de>>,
    /// `cache_creation`, `output_tokens_details`, `server_tool_use`: the
    /// counts read inside them (all `None` when they are not objects, as a
    /// lookup in a non-object finds nothing).
    writes: Option<Sub<'de>>,
    details: Option<Sub<'de>>,
    tools: Option<Sub<'de>>,
    tier: Option<Scalar<'de>>,
    odd: bool,
}

/// Up to two counts of a nested object.
#[derive(Default)]
struct Sub<'de> {
    a: Option<Scalar<'de>>,
    b: Option<Scalar<'de>>,
    odd: bool,
}

impl<'de> Top<'de> {
    fn into_line(self) -> Option<LeanLine> {
        if self.odd {
            return None;
        }
        let ty = self.ty.as_ref()?.as_str()?;
        if CONTEXT_TYPES.contains(&ty) {
            return Some(LeanLine::Dropped(CONTEXT_LINE));
        }
        if ty != "assistant" {
            return None;
        }
        // Not an object: the `Value` path names what it is.
        let msg = self.message??;
        if msg.odd {
            return None;
        }
        let model = msg.model.as_ref().and_then(Scalar::non_empty);
        let api_error = self.api_error == Some(Scalar::Bool(true));
        if let Some(reason) = not_billed(api_error, model.as_deref()) {
            return Some(LeanLine::Dropped(reason));
        }
        let usage = match msg.usage {
            Some(Some(u)) => Some(u.buckets()?),
            _ => None,
        };
        let timestamp = match &self.timestamp {
            None => None,
            Some(Scalar::Str(s)) if s.trim().is_empty() => None,
            // A string that is not a date is warned about by the `Value`
            // path; a number is read there too.
            Some(Scalar::Str(s)) => Some(parse_timestamp_str(s.trim())?).filter(plausible),
            Some(Scalar::U64(_) | Scalar::I64(_) | Scalar::F64(_)) => return None,
            Some(_) => None,
        };
        let session = self
            .session_id
            .as_ref()
            .and_then(Scalar::non_empty)
            .or_else(|| self.session_id_snake.as_ref().and_then(Scalar::non_empty));
        let a = Assistant {
            id: msg.id.as_ref().and_then(Scalar::non_empty),
            request_id: self.request_id.as_ref().and_then(Scalar::non_empty),
            sidechain: self.sidechain == Some(Scalar::Bool(true)),
            model,
            timestamp,
            usage,
            cost: self
                .cost
                .as_ref()
                .and_then(|c| decimal_value(&c.to_value())),
            session,
            cwd: self.cwd.as_ref().and_then(Scalar::non_empty),
            // Only runs without --task-key read lines this way, and without
            // it a Claude Code line names no task of its own.
            task: None,
            text: String::new(),
            has_content: false,
        };
        Some(LeanLine::Typed(TypedLine::ClaudeCode(Box::new(a))))
    }
}

/// A token count as the `Value` path reads it, when that cannot fail: a
/// whole number in range, or null. `Err(())`: any other value, left to the
/// `Value` path and its error message.
fn count(v: &Option<Scalar>) -> Result<Option<u64>, ()> {
    match v {
        None | Some(Scalar::Null) => Ok(None),
        Some(Scalar::U64(n)) if *n <= MAX_TOKENS => Ok(Some(*n)),
        Some(_) => Err(()),
    }
}

impl UsageFields<'_> {
    /// As `parse_usage` and `tier_of`, for the values `count` accepts.
    fn buckets(self) -> Option<(Usage, u64, ServiceTier)> {
        let none = Sub::default();
        let (w, d, t) = (
            self.writes.as_ref().unwrap_or(&none),
            self.details.as_ref().unwrap_or(&none),
            self.tools.as_ref().unwrap_or(&none),
        );
        if self.odd || w.odd || d.odd || t.odd {
            return None;
        }
        let output = count(&self.output).ok()?.unwrap_or(0);
        let usage = Usage {
            input: count(&self.input).ok()?.unwrap_or(0),
            cache_read: count(&self.cache_read).ok()?.unwrap_or(0),
            output,
            reasoning: count(&d.a).ok()?.unwrap_or(0).min(output),
            ..Usage::default()
        }
        .with_cache_writes(
            count(&self.cache_creation).ok()?.unwrap_or(0),
            count(&w.a).ok()?,
            count(&w.b).ok()?,
        );
        let web = count(&t.a).ok()?.unwrap_or(0);
        let tier = self
            .tier
            .as_ref()
            .and_then(Scalar::non_empty)
            .map_or(ServiceTier::Standard, |t| ServiceTier::from_logged(&t));
        Some((usage, web, tier))
    }
}

/// Visitor methods for a value expected to be an object: anything else is
/// read through `Checked` and gives `None`.
macro_rules! not_an_object {
    ($t:ty) => {
        fn visit_bool<E>(self, _: bool) -> Result<$t, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<$t, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<$t, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, n: f64) -> Result<$t, E> {
            Checked.visit_f64(n).map(|_| None)
        }
        fn visit_borrowed_str<E>(self, _: &'de str) -> Result<$t, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<$t, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<$t, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<$t, A::Error> {
            Checked.visit_seq(seq).map(|_| None)
        }
    };
}

impl<'de> Deserialize<'de> for Line<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Top<'de>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            not_an_object!(Option<Top<'de>>);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut t = Top::default();
                while let Some(Key(k)) = map.next_key()? {
                    let odd = &mut t.odd;
                    match k.as_ref() {
                        "type" => set(&mut t.ty, map.next_value()?, odd),
                        "message" => {
                            let m = map.next_value::<Object<Message<'de>>>()?.0;
                            set(&mut t.message, m, odd)
                        }
                        "isApiErrorMessage" => set(&mut t.api_error, map.next_value()?, odd),
                        "isSidechain" => set(&mut t.sidechain, map.next_value()?, odd),
                        "requestId" => set(&mut t.request_id, map.next_value()?, odd),
                        "timestamp" => set(&mut t.timestamp, map.next_value()?, odd),
                        "costUSD" => set(&mut t.cost, map.next_value()?, odd),
                        "cwd" => set(&mut t.cwd, map.next_value()?, odd),
                        "sessionId" => set(&mut t.session_id, map.next_value()?, odd),
                        "session_id" => set(&mut t.session_id_snake, map.next_value()?, odd),
                        k => {
                            // An outcome is put on the line's record by the
                            // `Value` path.
                            *odd |= OUTCOME_ROOTS.contains(&k);
                            map.next_value::<Checked>()?;
                        }
                    }
                }
                Ok(Some(t))
            }
        }
        d.deserialize_any(V).map(Line)
    }
}

/// An object read field by field (`None`: not an object).
struct Object<T>(Option<T>);

/// How the fields of one kind of object are read.
trait Fields<'de>: Default {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

impl<'de, T: Fields<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Fields<'de>> Visitor<'de> for V<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            not_an_object!(Option<T>);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
                let mut t = T::default();
                while let Some(Key(k)) = map.next_key()? {
                    t.field(&k, &mut map)?;
                }
                Ok(Some(t))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData)).map(Object)
    }
}

impl<'de> Fields<'de> for Message<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        let odd = &mut self.odd;
        match key {
            "id" => set(&mut self.id, map.next_value()?, odd),
            "model" => set(&mut self.model, map.next_value()?, odd),
            "usage" => {
                let u = map.next_value::<Object<UsageFields<'de>>>()?.0;
                set(&mut self.usage, u, odd)
            }
            _ => {
                map.next_value::<Checked>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Fields<'de> for UsageFields<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        let odd = &mut self.odd;
        let sub = |map: &mut A, a, b| {
            map.next_value_seed(SubSeed { a, b })
                .map(Option::unwrap_or_default)
        };
        match key {
            "input_tokens" => set(&mut self.input, map.next_value()?, odd),
            "cache_read_input_tokens" => set(&mut self.cache_read, map.next_value()?, odd),
            "cache_creation_input_tokens" => set(&mut self.cache_creation, map.next_value()?, odd),
            "output_tokens" => set(&mut self.output, map.next_value()?, odd),
            "cache_creation" => set(
                &mut self.writes,
                sub(
                    map,
                    "ephemeral_5m_input_tokens",
                    "ephemeral_1h_input_tokens",
                )?,
                odd,
            ),
            "output_tokens_details" => {
                set(&mut self.details, sub(map, "thinking_tokens", "")?, odd)
            }
            "server_tool_use" => set(&mut self.tools, sub(map, "web_search_requests", "")?, odd),
            "service_tier" => set(&mut self.tier, map.next_value()?, odd),
            _ => {
                map.next_value::<Checked>()?;
            }
        }
        Ok(())
    }
}

/// Reads a [`Sub`] with the two keys given (`""`: only one).
struct SubSeed {
    a: &'static str,
    b: &'static str,
}

impl<'de> DeserializeSeed<'de> for SubSeed {
    type Value = Option<Sub<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SubSeed {
    type Value = Option<Sub<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    not_an_object!(Option<Sub<'de>>);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut s = Sub::default();
        while let Some(Key(k)) = map.next_key()? {
            if k == self.a {
                set(&mut s.a, map.next_value()?, &mut s.odd);
            } else if !self.b.is_empty() && k == self.b {
                set(&mut s.b, map.next_value()?, &mut s.odd);
            } else {
                map.next_value::<Checked>()?;
            }
        }
        Ok(Some(s))
    }
}
