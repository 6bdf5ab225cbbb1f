//! Parsing a line into a [`Value`] that keeps only what a format's parser
//! reads, for runs that bill from reported usage alone.
//!
//! Agent transcripts are mostly text: the assistant's content, tool input
//! and tool results make up nearly all of a Claude Code line, and a
//! usage-only run reads none of it. Building that text into a `Value` (a
//! string or map allocation per field) cost more than everything else in
//! such a run together. Here unwanted fields are still parsed (a broken
//! line is still reported as malformed) but skipped without allocating.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::fields::task::OUTCOME_ROOTS;
use super::format::TypedLine;

/// Which fields a format's parser reads.
#[derive(Debug)]
pub struct Lean {
    /// Top-level keys kept besides [`OUTCOME_ROOTS`] (which every run
    /// reads); every other top-level key is skipped.
    pub top: &'static [&'static str],
    /// For some kept top-level keys, the only keys kept inside them.
    pub inner: &'static [(&'static str, &'static [&'static str])],
    /// Keys skipped at any other depth below the top level.
    pub nested_skip: &'static [&'static str],
    /// Lines whose top-level `type` is one of these bill nothing whatever
    /// else they hold (transcript context): the parser would only drop
    /// them with `context_reason`, so they are not built at all.
    pub context_types: &'static [&'static str],
    pub context_reason: &'static str,
    /// The format's typed reader, tried first: a line in the shape the
    /// format usually writes is read straight into what its parser needs
    /// (no `Value`, no map per object), every other byte still checked.
    /// `Ok(None)`: a shape it does not model (a repeated key, a count
    /// written as a string), read the `Value` way instead.
    pub typed: Option<TypedReader>,
}

/// See [`Lean::typed`].
pub type TypedReader = fn(&[u8]) -> serde_json::Result<Option<LeanLine>>;

/// A line read the lean way.
#[derive(Debug, PartialEq)]
pub enum LeanLine {
    Value(Value),
    /// A context line (see [`Lean::context_types`]), with its reason.
    Dropped(&'static str),
    /// Read by the format's typed reader (see [`Lean::typed`]).
    Typed(TypedLine),
}

/// Only the `type` of a line (when it is a string given once); every
/// other field is validated and dropped.
struct Head<'a> {
    ty: Option<Cow<'a, str>>,
}

impl<'de> de::Deserialize<'de> for Head<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Head<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head<'de>, A::Error> {
                let mut ty = None;
                let mut seen = false;
                while let Some(Key(k)) = map.next_key()? {
                    if k == "type" {
                        // A repeated or non-string type is the full path's
                        // to judge.
                        let v: Option<Key<'de>> = map.next_value::<Typed>()?.0;
                        ty = if seen { None } else { v.map(|Key(t)| t) };
                        seen = true;
                    } else {
                        map.next_value::<Checked>()?;
                    }
                }
                Ok(Head { ty })
            }
        }
        d.deserialize_map(V)
    }
}

/// A value that is kept when it is a string.
struct Typed<'de>(Option<Key<'de>>);

impl<'de> de::Deserialize<'de> for Typed<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Typed<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Typed<'de>, E> {
                Ok(Typed(Some(Key(Cow::Borrowed(s)))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Typed<'de>, E> {
                Ok(Typed(Some(Key(Cow::Owned(s.to_owned())))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Typed<'de>, E> {
                Ok(Typed(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Typed<'de>, E> {
                Ok(Typed(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Typed<'de>, E> {
                Ok(Typed(None))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Typed<'de>, E> {
                Checked.visit_f64(n).map(|_| Typed(None))
            }
            fn visit_unit<E>(self) -> Result<Typed<'de>, E> {
                Ok(Typed(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Typed<'de>, A::Error> {
                Checked.visit_seq(seq).map(|_| Typed(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Typed<'de>, A::Error> {
                Checked.visit_map(map).map(|_| Typed(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Lean {
    /// Parse one JSON line: through the format's typed reader when it
    /// models the line; else a context line is only checked to be valid
    /// JSON, and any other keeps only the fields named.
    pub fn read(&'static self, bytes: &[u8]) -> serde_json::Result<LeanLine> {
        if let Some(typed) = self.typed {
            // It checks the line's UTF-8 itself, and every value it reads
            // as the full parse does (see `Checked`).
            if let Some(line) = typed(bytes)? {
                return Ok(line);
            }
        }
        // See `parse`: only the full parse checks every byte.
        if std::str::from_utf8(bytes).is_err() {
            return serde_json::from_slice::<Value>(bytes).map(LeanLine::Value);
        }
        // Most context lines are a user's message or a tool's output, with
        // no usage in them: look at their type alone. A line that merely
        // mentions usage, or whose head does not parse, takes the full
        // path, which also reports any error exactly as it would be
        // reported otherwise.
        if !self.context_types.is_empty()
            && memchr::memmem::find(bytes, b"usage").is_none()
            && let Ok(Head { ty: Some(t) }) = serde_json::from_slice::<Head>(bytes)
            && self.context_types.contains(&t.as_ref())
        {
            return Ok(LeanLine::Dropped(self.context_reason));
        }
        self.parse_utf8(bytes).map(LeanLine::Value)
    }

    /// Parse one JSON line, keeping only the fields named.
    pub fn parse(&'static self, bytes: &[u8]) -> serde_json::Result<Value> {
        // serde checks UTF-8 only in the strings it builds; the ones this
        // parse skips would pass unchecked, and a line the full parse
        // rejects would be read. Found by fuzzing the two against each
        // other. A bad line takes the full parse, which names the error.
        if std::str::from_utf8(bytes).is_err() {
            return serde_json::from_slice::<Value>(bytes);
        }
        self.parse_utf8(bytes)
    }

    /// [`Lean::parse`] of a line known to be UTF-8.
    fn parse_utf8(&'static self, bytes: &[u8]) -> serde_json::Result<Value> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let v = Seed {
            lean: self,
            keep: Some(self.top),
            top: true,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }
}

#[derive(Clone, Copy)]
struct Seed {
    lean: &'static Lean,
    /// The keys kept in a map at this level; `None`: all but `nested_skip`.
    keep: Option<&'static [&'static str]>,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = Seed {
            keep: None,
            top: false,
            ..self
        };
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(Key(k)) = map.next_key()? {
            let keep = match self.keep {
                Some(keys) => {
                    keys.contains(&k.as_ref()) || (self.top && OUTCOME_ROOTS.contains(&k.as_ref()))
                }
                None => !self.lean.nested_skip.contains(&k.as_ref()),
            };
            if keep {
                let inner = Seed {
                    keep: if self.top {
                        self.lean
                            .inner
                            .iter()
                            .find(|(name, _)| *name == k)
                            .map(|(_, keys)| *keys)
                    } else {
                        None
                    },
                    top: false,
                    ..self
                };
                let v = map.next_value_seed(inner)?;
                out.insert(k.into_owned(), v);
            } else {
                map.next_value::<Checked>()?;
            }
        }
        Ok(Value::Object(out))
    }
}

/// A value read and dropped. Not `IgnoredAny`: serde_json skips an ignored
/// value without checking its `\u` escapes or a number's range, which the
/// full parse rejects (a lone surrogate `"\ud800"`, `1e400`), so a
/// usage-only run billed lines every other run reports as malformed.
/// Reading it as a value checks them; strings without escapes are
/// borrowed, not copied.
pub(crate) struct Checked;

impl<'de> de::Deserialize<'de> for Checked {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Checked, E> {
        if n.is_finite() {
            Ok(Checked)
        } else {
            Err(E::custom("number out of range"))
        }
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Key>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

/// A map key, borrowed from the input when it has no escapes, so that
/// skipped keys cost no allocation.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A kept field as a typed reader sees it: a scalar it can use, or a
/// container it does not look into (read through [`Checked`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
    Compound,
}

impl Scalar<'_> {
    /// The value a full parse would hold for a scalar (`Null` for a
    /// container, which readers treat as "not this type" anyway).
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Scalar::Null | Scalar::Compound => Value::Null,
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::U64(n) => Value::Number((*n).into()),
            Scalar::I64(n) => Value::Number((*n).into()),
            Scalar::F64(n) => Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Scalar::Str(s) => Value::String(s.to_string()),
        }
    }

    /// As `Value::as_str`.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s.as_ref()),
            _ => None,
        }
    }

    /// As `str_of`: a non-empty string, owned.
    pub(crate) fn non_empty(&self) -> Option<String> {
        self.as_str().filter(|s| !s.is_empty()).map(str::to_string)
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::I64(n))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::U64(n))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar<'de>, E> {
                Checked.visit_f64(n).map(|_| Scalar::F64(n))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(s)))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
                Checked.visit_seq(seq).map(|_| Scalar::Compound)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
                Checked.visit_map(map).map(|_| Scalar::Compound)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    static LEAN: Lean = Lean {
        top: &["type", "message", "n", "meta"],
        inner: &[("meta", &["id", "usage"])],
        nested_skip: &["content"],
        context_types: &["user"],
        context_reason: "context line",
        typed: None,
    };

    #[test]
    fn context_lines_are_dropped_unbuilt_unless_they_mention_usage() {
        let user = br#"{"message":{"content":"hi"},"type":"user"}"#;
        assert_eq!(LEAN.read(user).unwrap(), LeanLine::Dropped("context line"));
        let with_usage = br#"{"type":"user","message":{"usage":{"a":1}}}"#;
        assert_eq!(
            LEAN.read(with_usage).unwrap(),
            LeanLine::Value(json!({"type":"user","message":{"usage":{"a":1}}}))
        );
        let other = br#"{"type":"assistant"}"#;
        assert_eq!(
            LEAN.read(other).unwrap(),
            LeanLine::Value(json!({"type":"assistant"}))
        );
        // Broken or odd lines are left to the full path and its errors.
        assert!(LEAN.read(br#"{"type":"user","x":}"#).is_err());
        assert!(LEAN.read(br#"{"type":"user","type":"user"}"#).is_ok());
        assert_eq!(
            LEAN.read(br#"{"type":7}"#).unwrap(),
            LeanLine::Value(json!({"type":7}))
        );
    }

    #[test]
    fn keeps_named_fields_and_drops_the_rest() {
        let line = br#"{"type":"assistant","big":{"a":[1,2,"x"]},"message":{"id":"m","content":[{"text":"long"}],"usage":{"input_tokens":3}},"n":-1.5}"#;
        let v = LEAN.parse(line).unwrap();
        assert_eq!(
            v,
            json!({"type":"assistant","message":{"id":"m","usage":{"input_tokens":3}},"n":-1.5})
        );
    }

    #[test]
    fn inner_keys_limit_one_level() {
        let line =
            br#"{"meta":{"id":"x","role":"r","usage":{"a":1,"content":2,"b":[{"content":3}]}}}"#;
        let v = LEAN.parse(line).unwrap();
        assert_eq!(v, json!({"meta":{"id":"x","usage":{"a":1,"b":[{}]}}}));
    }

    #[test]
    fn kept_values_match_a_full_parse() {
        let line = r#"{"type":"a\"b\u00e9","n":[18446744073709551615,-9223372036854775808,0.1,null,true],"message":{"k\u0073":"v"}}"#;
        let full: Value = serde_json::from_str(line).unwrap();
        assert_eq!(LEAN.parse(line.as_bytes()).unwrap(), full);
    }

    #[test]
    fn skipped_fields_are_still_validated() {
        for bad in [
            &br#"{"type":"a","big":{"x":}}"#[..],
            br#"{"type":"a","message":{"content":"\q"}}"#,
            br#"{"type":"a"} trailing"#,
            b"\xff",
            // Not UTF-8 inside a skipped key or string.
            b"{\"type\":\"a\",\"big\":{\"k\xff\":1}}",
            b"{\"type\":\"a\",\"big\":\"\xfe\"}",
        ] {
            assert!(LEAN.parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    /// Inputs the fuzzer found where the two paths differed (see
    /// tests/fixtures/fuzz/README.md), read forced to every format with a
    /// lean path and detected: every event the same.
    #[test]
    fn fuzz_findings_read_the_same_on_both_paths() {
        use crate::ingest::{Event, IngestOptions, ParseOptions, finish_run, read_bytes};
        use crate::record::Format;
        fn events(bytes: &[u8], format: Option<Format>, usage_only: bool) -> Vec<String> {
            let opts = IngestOptions {
                parse: ParseOptions {
                    usage_only,
                    ..Default::default()
                },
                format,
            };
            let mut out = Vec::new();
            let mut sink = |evs: Vec<Event>| -> anyhow::Result<()> {
                for e in evs {
                    out.push(match e {
                        Event::Record(mut r) => {
                            r.text = None;
                            format!("{r:?}")
                        }
                        other => format!("{other:?}"),
                    });
                }
                Ok(())
            };
            let _ = read_bytes(bytes.to_vec(), "f", &opts, &mut sink);
            let _ = sink(finish_run(&opts));
            out
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "md") {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            for format in [None, Some(Format::ClaudeCode)] {
                assert_eq!(
                    events(&bytes, format, false),
                    events(&bytes, format, true),
                    "{} {format:?}",
                    p.display()
                );
            }
        }
    }

    /// A usage-only run must bill exactly what a full parse bills: the same
    /// records (text aside), drops, skips and line counts, on every Claude
    /// Code fixture and on damaged copies of them.
    #[test]
    fn lean_claude_code_reads_the_same_as_a_full_parse() {
        use crate::ingest::{Event, IngestOptions, ParseOptions, read_bytes};

        fn events(bytes: &[u8], usage_only: bool) -> Vec<String> {
            let opts = IngestOptions {
                parse: ParseOptions {
                    usage_only,
                    ..Default::default()
                },
                format: None,
            };
            let mut out = Vec::new();
            read_bytes(bytes.to_vec(), "f.jsonl", &opts, &mut |evs| {
                for e in evs {
                    out.push(match e {
                        Event::Record(mut r) => {
                            r.text = None;
                            format!("{r:?}")
                        }
                        // Details too: the user reads the same message
                        // whichever path parsed the line.
                        Event::Skip { source, skip } => {
                            format!("skip {} {} {}", source.line, skip.reason, skip.detail)
                        }
                        Event::Dropped { source, reason } => {
                            format!("drop {} {reason}", source.line)
                        }
                        Event::Lines(n) => format!("lines {n}"),
                        Event::Warning { source, detail } => {
                            format!("warn {} {detail}", source.line)
                        }
                    });
                }
                Ok(())
            })
            .unwrap();
            out
        }

        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "jsonl") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() >= 6, "{files:?}");
        let mut compared = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let cut = |l: &str| l[..l.len() * 2 / 3].to_string();
            let variants = [
                text.clone(),
                text.replace("\"usage\"", "\"usag\""),
                text.replace("\"type\":\"user\"", "\"type\":\"assistant\""),
                text.replace("\"type\":\"assistant\"", "\"type\":\"user\""),
                text.replace("\"content\"", "\"content\":1,\"x\""),
                // A control character inside a string the lean parse skips
                // (serde places that error a column apart when skipping).
                text.replace("\"text\":\"", "\"text\":\"\u{1}"),
                // Shapes Claude Code's typed reader leaves to the `Value`
                // path, and ones it reads itself: both must agree.
                text.replace("\"output_tokens\":", "\"output_tokens\":\"7\",\"x\":"),
                text.replace("\"input_tokens\":", "\"input_tokens\":1.0,\"x\":"),
                text.replace("\"input_tokens\":", "\"input_tokens\":-3,\"x\":"),
                text.replace("\"input_tokens\":", "\"input_tokens\":null,\"x\":"),
                text.replace("\"input_tokens\":", "\"input_tokens\":1000000000001,\"x\":"),
                text.replace("\"input_tokens\":", "\"input_tokens\":5,\"input_tokens\":"),
                text.replace("\"usage\":{", "\"usage\":{\"service_tier\":\"priority\","),
                text.replace("\"usage\":{", "\"usage\":{\"cache_creation\":[1],"),
                text.replace(
                    "\"usage\":{",
                    "\"usage\":{\"server_tool_use\":{\"web_search_requests\":2},",
                ),
                text.replace(
                    "\"usage\":{",
                    "\"usage\":{\"output_tokens_details\":{\"thinking_tokens\":9},",
                ),
                text.replace("\"usage\":{", "\"usage\":null,\"x\":{"),
                text.replace("\"message\":{", "\"message\":7,\"x\":{"),
                text.replace("\"message\":{", "\"message\":{\"model\":\"<synthetic>\","),
                text.replace("\"message\":{", "\"message\":{\"id\":\"\","),
                text.replace("\"requestId\":", "\"isSidechain\":true,\"requestId\":"),
                text.replace(
                    "\"requestId\":",
                    "\"isApiErrorMessage\":\"true\",\"requestId\":",
                ),
                text.replace("\"requestId\":", "\"costUSD\":\"$0.25\",\"requestId\":"),
                text.replace("\"requestId\":", "\"costUSD\":1.5e-3,\"requestId\":"),
                text.replace("\"requestId\":", "\"success\":true,\"requestId\":"),
                text.replace(
                    "\"requestId\":",
                    "\"sessionId\":\"\",\"session_id\":\"s\",\"requestId\":",
                ),
                text.replace("\"timestamp\":\"", "\"timestamp\":\"not a date"),
                text.replace("\"timestamp\":\"", "\"timestamp\":\" "),
                text.replace("\"timestamp\":", "\"timestamp\":1735689600,\"x\":"),
                text.replace("\"timestamp\":", "\"timestamp\":\"1999-01-01\",\"x\":"),
                text.replace(
                    "\"type\":\"assistant\"",
                    "\"type\":\"assistant\",\"type\":\"user\"",
                ),
                text.replace("\"cwd\":", "\"cwd\":7,\"x\":"),
                // Rows of one call on both sides of a sidechain: not merged.
                text.lines()
                    .enumerate()
                    .map(|(i, l)| {
                        if i % 2 == 1 {
                            l.replace("\"requestId\":", "\"isSidechain\":true,\"requestId\":")
                        } else {
                            l.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                text.lines()
                    .enumerate()
                    .map(|(i, l)| {
                        if i % 3 == 1 && l.is_ascii() {
                            cut(l)
                        } else {
                            l.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ];
            // Not UTF-8 in a string the lean parse skips (message text),
            // on context lines and billed lines alike.
            let not_utf8 = text
                .split("\"text\":\"")
                .map(str::as_bytes)
                .collect::<Vec<_>>()
                .join(&b"\"text\":\"\xff"[..]);
            for v in variants.iter().map(|v| v.as_bytes()).chain([&not_utf8[..]]) {
                let full = events(v, false);
                let lean = events(v, true);
                assert_eq!(full, lean, "{}", f.display());
                compared += full.len();
            }
        }
        assert!(compared > 100);
    }
}

#[cfg(test)]
mod acceptance {
    use super::*;

    static ALL: Lean = Lean {
        top: &["type", "message"],
        inner: &[("message", &["usage"])],
        nested_skip: &["content"],
        context_types: &["user"],
        context_reason: "context line",
        typed: None,
    };

    /// The lean parse must accept exactly the lines the full parse
    /// accepts, wherever the fault sits: in a kept field, a skipped one, or
    /// a context line's body.
    #[test]
    fn rejects_what_the_full_parse_rejects() {
        let faults: &[&[u8]] = &[
            br#""\ud800""#,
            br#""\udc00x""#,
            br#""\ud800\u0041""#,
            br#""\uZZZZ""#,
            br#""\x""#,
            b"\"a\tb\"",
            b"\"a\x01b\"",
            b"\"\xff\"",
            b"\"\xed\xa0\x80\"",
            b"\"\xc0\xaf\"",
            br#"1e400"#,
            br#"-1e400"#,
            br#"01"#,
            br#"1."#,
            br#"1e"#,
            br#"-"#,
            br#"+1"#,
            br#".5"#,
            br#"NaN"#,
            br#"Infinity"#,
            br#"tru"#,
            br#"nul"#,
            br#"[1,]"#,
            br#"{"a":1,}"#,
            br#"{"a" 1}"#,
            br#"{1:1}"#,
            br#"[1 2]"#,
            b"\"a\"\x00",
            br#"123456789012345678901234567890"#,
            br#"-123456789012345678901234567890"#,
            br#"1e-400"#,
            br#"0.000000000000000000000000000000000000001e-400"#,
            br#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
        ];
        let mut wrong = Vec::new();
        for fault in faults {
            for tmpl in [
                &b"{\"type\":\"user\",\"x\":@}"[..],
                b"{\"type\":\"assistant\",\"message\":{\"content\":[@]}}",
                b"{\"type\":\"assistant\",\"message\":{\"usage\":{\"n\":@}}}",
                b"{\"type\":\"assistant\",\"message\":{\"usage\":{\"output_tokens\":@}}}",
                b"{\"type\":\"assistant\",\"message\":{\"usage\":{\"cache_creation\":{\"x\":@}}}}",
                b"{\"type\":\"assistant\",\"message\":{\"id\":@},\"timestamp\":1}",
                b"{\"type\":@}",
                b"{\"type\":\"user\",\"usage\":@}",
                b"{\"type\":\"a\",\"k\":1} @",
            ] {
                let at = tmpl.iter().position(|&b| b == b'@').unwrap();
                let line = [&tmpl[..at], fault, &tmpl[at + 1..]].concat();
                let full = serde_json::from_slice::<Value>(&line).is_ok();
                // The generic lean parse, and Claude Code's typed reader.
                for lean in [&ALL, &crate::ingest::format::claude_code::LEAN] {
                    if lean.read(&line).is_ok() != full {
                        wrong.push(String::from_utf8_lossy(&line).into_owned());
                    }
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "lean and full parse disagree on:\n{}",
            wrong.join("\n")
        );
    }
}
