//! Containers: JSONL, a JSON array (streamed element by element), a single
//! JSON document, or CSV with a header. Decided from the first bytes.
//!
//! JSONL lines of large batches are parsed in parallel (small files are
//! parsed on their reader thread); format parsers then run in
//! order on the parsed values, so output order never depends on threads.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::fields;
use super::format::{self, FormatParser, Skip};
use super::lean::{Lean, LeanLine};
use super::open::Reader;
use super::{Event, IngestOptions};
use crate::record::{Format, Record, Source};

/// Lines per parallel batch, and bytes at which a batch is cut early.
const BATCH_LINES: usize = 1024;
const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Values held while looking for the first recognizable record.
const DETECT_WINDOW: usize = 64;

pub fn read(
    mut r: Reader,
    name: Arc<str>,
    live: bool,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let mut fp = FileParser::new(name.clone(), opts);
    fp.live = live;
    // A stream that fails before its first line (a cut gzip header) is a
    // skipped input, not a fatal error: other files still count.
    let first = match skip_bom(&mut r).and_then(|()| first_significant_byte(&mut r)) {
        Ok(b) => b,
        Err(e) => {
            let mut events = Vec::new();
            fp.skip(1, read_error(&e), &mut events);
            return sink(events);
        }
    };
    if r.fill_buf()?.starts_with(super::sqlite::MAGIC) {
        let mut events = Vec::new();
        fp.skip(
            1,
            Skip::new(
                "binary data",
                "a SQLite database: name its file to read it (a database is not read from stdin or compressed)",
            ),
            &mut events,
        );
        return sink(events);
    }
    if looks_binary(&mut r)? {
        let mut events = Vec::new();
        fp.skip(
            1,
            Skip::new("binary data", "not a text log (binary data; compressed formats other than gzip/zstd are not read)"),
            &mut events,
        );
        return sink(events);
    }
    match first {
        None => Ok(()),
        Some((b'[', _)) => read_array(r, &mut fp, sink),
        Some((b'{', blank)) => read_jsonl_or_document(r, blank, &mut fp, sink),
        Some((_, blank)) => {
            if looks_like_csv_header(&mut r)? {
                read_csv(r, blank, &mut fp, sink)
            } else {
                read_jsonl(r, blank, &mut fp, sink)
            }
        }
    }
}

/// Values that do not come from a text container (the rows of a database
/// table), read as lines of `name` by `format`'s parser: each is a line in
/// the run's accounting, as a JSONL line is.
pub(super) fn read_values(
    name: Arc<str>,
    format: Format,
    values: &mut dyn Iterator<Item = (u64, Result<Value, Skip>)>,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let mut fp = FileParser::new(name, opts);
    let mut events = Vec::new();
    fp.choose(format, &mut events);
    for (line, value) in values {
        match value {
            Ok(v) => fp.push(v, line, &mut events),
            Err(skip) => fp.skip(line, skip, &mut events),
        }
        if events.len() >= BATCH_LINES {
            sink(std::mem::take(&mut events))?;
        }
    }
    fp.finish(&mut events);
    sink(events)
}

/// One accounted line of `name` that could not be read at all.
pub(super) fn skip_input(
    name: Arc<str>,
    skip: Skip,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let mut events = Vec::new();
    FileParser::new(name, opts).skip(1, skip, &mut events);
    sink(events)
}

fn skip_bom(r: &mut Reader) -> io::Result<()> {
    if r.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        r.consume(3);
    }
    Ok(())
}

/// First byte that is not whitespace, and how many whole blank lines came
/// before it (consumed, so that the next read sees the content; callers
/// number lines from there). `None` only at the end of the input: a first
/// read that is all whitespace (a file opening with many blank lines, a pipe
/// whose first chunk is blank lines) is not an empty input.
fn first_significant_byte(r: &mut Reader) -> io::Result<Option<(u8, u64)>> {
    let mut blank_lines = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(b) = buf.iter().copied().find(|b| !b.is_ascii_whitespace()) {
            return Ok(Some((b, blank_lines)));
        }
        // All whitespace: drop it, counting the lines it ends.
        let n = buf.len();
        blank_lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        r.consume(n);
    }
}

/// Binary input: control bytes (NUL included) make up more than a tenth of
/// the first block. Reported once for the file instead of once per "line"
/// of noise. A log with one damaged line (a stray NUL) is not binary: that
/// line is skipped and reported like any malformed line, and the rest is
/// read. Text in a wrong encoding (Latin-1) is not binary either: its lines
/// are reported one by one as invalid UTF-8.
fn looks_binary(r: &mut Reader) -> io::Result<bool> {
    let buf = r.fill_buf()?;
    let head = &buf[..buf.len().min(8192)];
    let control = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    Ok(control * 10 > head.len())
}

fn looks_like_csv_header(r: &mut Reader) -> io::Result<bool> {
    let buf = r.fill_buf()?;
    let line_end = memchr::memchr(b'\n', buf).unwrap_or(buf.len());
    let line = &buf[..line_end];
    let printable = line.iter().all(|&b| b >= 0x20 || b == b'\t' || b == b'\r');
    Ok(printable && (line.contains(&b',') || line.contains(&b'\t')))
}

/// Holds the detected parser for one file and turns values into events.
struct FileParser<'o> {
    name: Arc<str>,
    opts: &'o IngestOptions,
    parser: Option<Box<dyn FormatParser>>,
    /// The format `parser` reads.
    format: Option<Format>,
    pending: Vec<(Value, Source)>,
    /// The format of a bare request seen while `pending` fills: used when
    /// no response line decides the format first (see
    /// [`format::is_bare_messages_request`]).
    tentative: Option<Format>,
    /// A pipe someone may be watching: hand over what has arrived as soon
    /// as the input goes quiet instead of waiting for a full batch.
    live: bool,
    /// Parsers of the other formats met in a mixed file (a gateway log
    /// holding OpenAI, Anthropic and Gemini bodies), by first appearance.
    others: Vec<(Format, Box<dyn FormatParser>)>,
    /// The bytes of the line being fed, while it is fed: a line the file's
    /// format does not recognize is parsed whole again and detected alone.
    raw: Option<(u64, Vec<u8>)>,
}

impl<'o> FileParser<'o> {
    fn new(name: Arc<str>, opts: &'o IngestOptions) -> FileParser<'o> {
        let parser = opts.format.map(|f| format::parser_for(f, &opts.parse));
        FileParser {
            name,
            opts,
            parser,
            format: opts.format,
            pending: Vec::new(),
            tentative: None,
            live: false,
            others: Vec::new(),
            raw: None,
        }
    }

    /// The fields to keep when lines need not be parsed whole: a
    /// usage-only run over a format that says which fields it reads, with
    /// no flag pointing at arbitrary fields of the line.
    fn lean(&self) -> Option<&'static Lean> {
        let p = &self.opts.parse;
        if !p.usage_only || p.task_key.is_some() || p.outcome_key.is_some() || !p.fields.is_empty()
        {
            return None;
        }
        format::lean_fields(self.format?)
    }

    fn source(&self, line: u64) -> Source {
        format::source(&self.name, line)
    }

    fn push(&mut self, value: Value, line: u64, out: &mut Vec<Event>) {
        // Each value read is a line in the run's accounting (see Accounting).
        out.push(Event::Lines(1));
        let source = self.source(line);
        if self.parser.is_none() {
            // A saved report (a CI baseline) kept beside the logs is not a
            // log: say so instead of calling it unrecognized.
            if is_tokenmaxx_report(&value) {
                out.push(Event::Dropped {
                    source,
                    reason: "tokenmaxx report, not a log",
                });
                return;
            }
            let detected = format::detect(&value);
            let chat_or_anthropic =
                |f: &Format| matches!(f, Format::OpenAiChat | Format::AnthropicMessages);
            match detected {
                Some(f) if chat_or_anthropic(&f) && format::is_bare_messages_request(&value) => {
                    self.tentative.get_or_insert(f);
                }
                // A format with a signature of its own (Bedrock, Cohere)
                // answers the requests held before it; only a generic row
                // defers to them.
                Some(f) if self.tentative.is_none() || f != Format::Generic => {
                    self.choose(f, out);
                    self.feed(value, source, out);
                    return;
                }
                _ => {}
            }
            self.pending.push((value, source));
            if self.pending.len() > DETECT_WINDOW {
                if let Some(f) = self.tentative {
                    self.choose(f, out);
                } else {
                    let (_, s) = self.pending.remove(0);
                    out.push(unrecognized(s));
                }
            }
            return;
        }
        self.feed(value, source, out);
    }

    /// Settle the file's format and replay the values held meanwhile.
    fn choose(&mut self, f: Format, out: &mut Vec<Event>) {
        self.parser = Some(format::parser_for(f, &self.opts.parse));
        self.format = Some(f);
        for (v, s) in std::mem::take(&mut self.pending) {
            self.feed(v, s, out);
        }
    }

    fn feed(&mut self, value: Value, source: Source, out: &mut Vec<Event>) {
        let parser = self.parser.as_mut().expect("parser chosen before feeding");
        let at = source.clone();
        let (produced, result) = push_value(parser.as_mut(), &self.opts.parse, value, source);
        self.emit(produced, out);
        if let Err(mut skip) = result {
            if skip.reason == "unrecognized record" && self.route(&at, out) {
                return;
            }
            if self.lean().is_some() {
                self.describe_unrecognized(at.line, &mut skip);
            }
            out.push(Event::Skip { source: at, skip });
        }
    }

    /// A line the file's format does not recognize, in a file that mixes
    /// formats: parse it whole again, detect it alone, and hand it to that
    /// format's parser. Per-file detection stays the fast path; this costs
    /// only the lines that do not fit. False when no format claims it.
    fn route(&mut self, source: &Source, out: &mut Vec<Event>) -> bool {
        let Some((_, raw)) = self.raw.as_ref() else {
            return false;
        };
        let Ok(value) = serde_json::from_slice::<Value>(raw) else {
            return false;
        };
        let Some(f) = format::detect(&value).filter(|f| Some(*f) != self.format) else {
            return false;
        };
        let i = match self.others.iter().position(|(g, _)| *g == f) {
            Some(i) => i,
            None => {
                self.others
                    .push((f, format::parser_for(f, &self.opts.parse)));
                self.others.len() - 1
            }
        };
        let (produced, result) = push_value(
            self.others[i].1.as_mut(),
            &self.opts.parse,
            value,
            source.clone(),
        );
        self.emit(produced, out);
        if let Err(skip) = result {
            out.push(Event::Skip {
                source: source.clone(),
                skip,
            });
        }
        true
    }

    /// One parsed line: a value, a line that failed to parse, or a blank.
    fn take(
        &mut self,
        line: u64,
        parsed: Option<Result<LeanLine, Skip>>,
        raw: Option<Vec<u8>>,
        out: &mut Vec<Event>,
    ) {
        match parsed {
            None => {}
            Some(Ok(LeanLine::Value(value))) => {
                self.raw = raw.map(|r| (line, r));
                self.push(value, line, out);
                self.raw = None;
            }
            Some(Ok(LeanLine::Typed(typed))) => {
                out.push(Event::Lines(1));
                let source = self.source(line);
                let at = source.clone();
                let parser = self
                    .parser
                    .as_mut()
                    .expect("typed lines come after detection");
                let mut produced = format::Out::default();
                let result = parser.push_typed(typed, source, &mut produced);
                self.emit(produced, out);
                if let Err(skip) = result {
                    out.push(Event::Skip { source: at, skip });
                }
            }
            Some(Ok(LeanLine::Dropped(reason))) => {
                // What the format's parser does with such a line.
                out.push(Event::Lines(1));
                out.push(Event::Dropped {
                    source: self.source(line),
                    reason,
                });
            }
            Some(Err(skip)) => self.skip(line, skip, out),
        }
    }

    /// A lean parse keeps only the fields a format bills from, so a line
    /// the file's format does not recognize would be described by what is
    /// left ("an empty object"). Such lines are rare: describe them from
    /// the whole line, as a full parse does. Only the line being read, and
    /// only the file's own parser's skip: a line held while the format was
    /// detected, or one routed to another format, was read whole.
    fn describe_unrecognized(&self, line: u64, skip: &mut Skip) {
        if skip.reason == "unrecognized record"
            && let Some((raw_line, raw)) = &self.raw
            && *raw_line == line
            && let Ok(full) = serde_json::from_slice::<Value>(raw)
            && let Some((expected, _)) = skip.detail.split_once("; got ")
        {
            skip.detail = format!("{expected}; got {}", fields::errors::describe(&full));
        }
    }

    fn skip(&mut self, line: u64, skip: Skip, out: &mut Vec<Event>) {
        out.push(Event::Lines(1));
        out.push(Event::Skip {
            source: self.source(line),
            skip,
        });
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        if self.parser.is_none()
            && let Some(f) = self.tentative
        {
            self.choose(f, out);
        }
        for (_, s) in std::mem::take(&mut self.pending) {
            out.push(unrecognized(s));
        }
        if let Some(p) = self.parser.as_mut() {
            let mut produced = format::Out::default();
            p.finish(&mut produced);
            self.emit(produced, out);
        }
        for (_, mut p) in std::mem::take(&mut self.others) {
            let mut produced = format::Out::default();
            p.finish(&mut produced);
            self.emit(produced, out);
        }
    }

    fn emit(&mut self, produced: format::Out, out: &mut Vec<Event>) {
        if produced.extra_entries > 0 {
            out.push(Event::Lines(produced.extra_entries));
        }
        out.extend(
            produced
                .dropped
                .into_iter()
                .map(|(source, reason)| Event::Dropped { source, reason }),
        );
        out.extend(
            produced
                .warnings
                .into_iter()
                .map(|(source, detail)| Event::Warning { source, detail }),
        );
        let by_session = self.opts.parse.task_key.is_none();
        out.extend(
            produced
                .records
                .into_iter()
                .map(|r| Event::Record(Box::new(default_task(r, by_session)))),
        );
    }
}

/// One value through a format's parser, with the line's outcome (for
/// `check`) put on the call it completes: the last record it produced (a
/// held request flushed by it comes first).
fn push_value(
    parser: &mut dyn FormatParser,
    opts: &format::ParseOptions,
    value: Value,
    source: Source,
) -> (format::Out, Result<(), Skip>) {
    let mut produced = format::Out::default();
    let outcome = fields::task::outcome_of(&value, opts);
    fields::time::take_rejected();
    let at = source.clone();
    let result = parser.push(value, source, &mut produced);
    // A record left undated by a timestamp that is not a date is priced at
    // the latest price like any undated one, but its line is named.
    if let Some(bad) = fields::time::take_rejected()
        && produced.records.iter().any(|r| r.timestamp.is_none())
    {
        produced
            .warnings
            .push((at, fields::time::rejected_detail(&bad)));
    }
    if let Some(o) = outcome
        && let Some(r) = produced.records.last_mut()
        && r.outcome.is_none()
    {
        r.outcome = Some(o);
    }
    (produced, result)
}

/// Without an explicit task id the conversation is the task, unless
/// --task-key named a field, which then decides alone.
pub(super) fn default_task(mut r: Record, by_session: bool) -> Record {
    if by_session && r.task.is_none() {
        r.task = r.session.clone();
    }
    r
}

/// `report --format json` output (or a `check` baseline).
fn is_tokenmaxx_report(v: &Value) -> bool {
    v.get("schema_version").is_some()
        && v.get("group_by").is_some_and(Value::is_array)
        && v.get("totals").is_some_and(Value::is_object)
}

fn unrecognized(source: Source) -> Event {
    Event::Skip {
        source,
        skip: Skip::new(
            "unrecognized record",
            "not a record of any known log format (use --input-format to force one)",
        ),
    }
}

/// Why `bytes` did not parse: bad UTF-8 is named as such, since "invalid
/// code point at column 32" sends people looking in the wrong place.
fn malformed(bytes: &[u8], e: &serde_json::Error) -> Skip {
    if std::str::from_utf8(bytes).is_err() {
        Skip::new(
            "invalid utf-8",
            "line is not valid UTF-8 (is the file in another encoding?)",
        )
    } else {
        Skip::new("malformed json", format!("malformed JSON: {e}"))
    }
}

// ---- JSONL -------------------------------------------------------------

enum Line {
    Bytes(Vec<u8>),
    TooLong(usize),
}

/// Read one line (without its newline). Lines over the line limit
/// ([`crate::limits::max_line_bytes`]) are
/// drained and reported by length so memory stays bounded.
fn read_line(r: &mut dyn BufRead) -> io::Result<Option<Line>> {
    let max = crate::limits::max_line_bytes();
    // Most lines lie whole in the reader's buffer: copy them once, into an
    // allocation of their size.
    let whole = loop {
        match r.fill_buf() {
            Ok(chunk) => {
                break memchr::memchr(b'\n', chunk).filter(|&i| i <= max).map(|i| {
                    let end = if i > 0 && chunk[i - 1] == b'\r' {
                        i - 1
                    } else {
                        i
                    };
                    (chunk[..end].to_vec(), i + 1)
                });
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if let Some((line, used)) = whole {
        r.consume(used);
        return Ok(Some(Line::Bytes(line)));
    }
    let mut buf = Vec::new();
    let mut len = 0usize;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        len += take;
        if len <= max {
            buf.extend_from_slice(&chunk[..take]);
        } else if !buf.is_empty() {
            buf = Vec::new();
        }
        r.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if len > max {
        return Ok(Some(Line::TooLong(len)));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(Line::Bytes(buf)))
}

fn read_jsonl(
    mut r: Reader,
    lines_before: u64,
    fp: &mut FileParser<'_>,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let mut line_no = lines_before;
    loop {
        let mut batch: Vec<(u64, Line)> = Vec::with_capacity(BATCH_LINES);
        let mut bytes = 0;
        let mut io_error = None;
        let mut eof = false;
        while batch.len() < BATCH_LINES && bytes < BATCH_BYTES {
            if fp.live && !batch.is_empty() && r.buffer().is_empty() {
                break;
            }
            match read_line(&mut r) {
                Ok(Some(l)) => {
                    line_no += 1;
                    if let Line::Bytes(b) = &l {
                        bytes += b.len();
                    }
                    batch.push((line_no, l));
                }
                Ok(None) => {
                    eof = true;
                    break;
                }
                Err(e) => {
                    io_error = Some(e);
                    break;
                }
            }
        }
        let mut events = parse_batch(batch, fp);
        if let Some(e) = &io_error {
            fp.skip(line_no + 1, read_error(e), &mut events);
        }
        if eof || io_error.is_some() {
            fp.finish(&mut events);
            return sink(events);
        }
        sink(events)?;
    }
}

fn read_error(e: &io::Error) -> Skip {
    Skip::new("read error", format!("input ends early: {e}"))
}

/// Batches smaller than this are parsed on the reader's own thread: with
/// inputs read in parallel, handing a small file's lines to the pool only
/// adds hand-over cost.
const PARALLEL_PARSE_BYTES: usize = 512 * 1024;

/// Parse lines (in parallel for large batches), then run the (stateful)
/// format parser in order.
fn parse_batch(batch: Vec<(u64, Line)>, fp: &mut FileParser<'_>) -> Vec<Event> {
    let mut events = Vec::with_capacity(batch.len() * 2);
    let mut lines = batch.into_iter();
    // Until the format is known, detection needs whole values.
    while fp.parser.is_none() {
        let Some((n, line)) = lines.next() else {
            return events;
        };
        let (parsed, raw) = parse_line(line, None);
        fp.take(n, parsed, raw, &mut events);
    }
    let lean = fp.lean();
    let rest: Vec<(u64, Line)> = lines.collect();
    let bytes: usize = rest
        .iter()
        .map(|(_, l)| match l {
            Line::Bytes(b) => b.len(),
            Line::TooLong(_) => 0,
        })
        .sum();
    let parse = |(n, line): (u64, Line)| (n, parse_line(line, lean));
    type Parsed = (u64, (Option<Result<LeanLine, Skip>>, Option<Vec<u8>>));
    let parsed: Vec<Parsed> = if bytes < PARALLEL_PARSE_BYTES {
        rest.into_iter().map(parse).collect()
    } else {
        rest.into_par_iter().map(parse).collect()
    };
    for (n, (v, raw)) in parsed {
        fp.take(n, v, raw, &mut events);
    }
    events
}

/// One line parsed (lean when the run allows), with its bytes kept for
/// [`FileParser::route`].
fn parse_line(
    line: Line,
    lean: Option<&'static Lean>,
) -> (Option<Result<LeanLine, Skip>>, Option<Vec<u8>>) {
    match line {
        Line::TooLong(len) => (
            Some(Err(Skip::new(
                "line too long",
                format!(
                    "line of {len} bytes exceeds the {}-byte limit",
                    crate::limits::max_line_bytes()
                ),
            ))),
            None,
        ),
        Line::Bytes(b) if b.iter().all(u8::is_ascii_whitespace) => (None, None),
        Line::Bytes(b) => {
            let parsed = match lean {
                // A line the lean parse rejects is described by the full
                // parse, so both paths name the same position: serde
                // places some errors a column apart when it skips a value
                // instead of building it. Malformed lines are rare.
                Some(l) => l
                    .read(&b)
                    .map_err(|e| serde_json::from_slice::<Value>(&b).err().unwrap_or(e)),
                None => serde_json::from_slice::<Value>(&b).map(LeanLine::Value),
            }
            .map_err(|e| malformed(&b, &e));
            (Some(parsed), Some(b))
        }
    }
}

/// `{` first: JSONL if the first line is a complete value, else one JSON
/// document (pretty-printed object). A document that fails to parse is
/// retried as JSONL so one bad first line cannot hide a whole file.
fn read_jsonl_or_document(
    mut r: Reader,
    blank_lines: u64,
    fp: &mut FileParser<'_>,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let mut leading_blank = blank_lines;
    let first = loop {
        let line = match read_line(&mut r) {
            Ok(l) => l,
            Err(e) => {
                let mut events = Vec::new();
                fp.skip(leading_blank + 1, read_error(&e), &mut events);
                fp.finish(&mut events);
                return sink(events);
            }
        };
        match line {
            None => return Ok(()),
            Some(Line::Bytes(b)) if b.iter().all(u8::is_ascii_whitespace) => leading_blank += 1,
            Some(l) => break l,
        }
    };
    let first = match first {
        Line::TooLong(len) => {
            let mut events = Vec::new();
            fp.skip(
                leading_blank + 1,
                Skip::new(
                    "line too long",
                    format!("line of {len} bytes exceeds the limit"),
                ),
                &mut events,
            );
            sink(events)?;
            return read_jsonl(r, leading_blank + 1, fp, sink);
        }
        Line::Bytes(b) => b,
    };
    if let Ok(v) = serde_json::from_slice::<Value>(&first) {
        let mut events = Vec::new();
        fp.push(v, leading_blank + 1, &mut events);
        sink(events)?;
        return read_jsonl(r, leading_blank + 1, fp, sink);
    }
    // JSONL whose first line is malformed: the next line is a whole object
    // (a pretty-printed document's second line never is). Streamed on, so
    // one bad first line never makes the whole input be held in memory.
    let mut doc = first;
    doc.push(b'\n');
    let mut blank_after = 0u64;
    loop {
        match read_line(&mut r) {
            Ok(Some(Line::Bytes(b))) if b.iter().all(u8::is_ascii_whitespace) => {
                blank_after += 1;
                doc.extend_from_slice(&b);
                doc.push(b'\n');
            }
            Ok(Some(Line::Bytes(b))) => {
                if let Ok(v @ Value::Object(_)) = serde_json::from_slice::<Value>(&b) {
                    let mut events = Vec::new();
                    let first_line = leading_blank + 1;
                    let e = serde_json::from_slice::<Value>(&doc).unwrap_err();
                    fp.skip(first_line, malformed(&doc, &e), &mut events);
                    fp.push(v, first_line + blank_after + 1, &mut events);
                    sink(events)?;
                    return read_jsonl(r, first_line + blank_after + 1, fp, sink);
                }
                doc.extend_from_slice(&b);
                doc.push(b'\n');
                break;
            }
            Ok(Some(Line::TooLong(_))) | Ok(None) | Err(_) => break,
        }
    }
    // A multi-line document: read it whole (documents are single exports;
    // JSONL and arrays are the streaming paths), up to a cap.
    let mut events = Vec::new();
    let mut cut = None;
    if let Err(e) = (&mut r).take(crate::limits::DOCUMENT).read_to_end(&mut doc) {
        // Keep what was read: a document that parses was whole; one that
        // does not is the read error, not malformed JSON.
        cut = Some(read_error(&e));
    }
    match serde_json::from_slice::<Value>(&doc) {
        Ok(v) => {
            fp.push(v, leading_blank + 1, &mut events);
            fp.finish(&mut events);
            sink(events)
        }
        Err(e) => {
            let lines = doc.split(|&b| b == b'\n').count();
            if lines > 1
                && doc
                    .split(|&b| b == b'\n')
                    .skip(1)
                    .any(|l| serde_json::from_slice::<Value>(l).is_ok())
            {
                read_jsonl(
                    io::BufReader::new(Box::new(io::Cursor::new(doc))),
                    leading_blank,
                    fp,
                    sink,
                )
            } else {
                // serde counts the newline we appended; never point past
                // the last real line.
                let real_lines = doc.trim_ascii_end().split(|&b| b == b'\n').count() as u64;
                let line = leading_blank + (e.line() as u64).clamp(1, real_lines.max(1));
                let skip = cut.take().unwrap_or_else(|| malformed(&doc, &e));
                fp.skip(line, skip, &mut events);
                fp.finish(&mut events);
                sink(events)
            }
        }
    }
}

// ---- JSON array ----------------------------------------------------------

/// Stream `[ {...}, {...} ]` element by element: exports can be large and
/// must not be held whole. Positions are 1-based element indexes.
fn read_array(
    r: Reader,
    fp: &mut FileParser<'_>,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    struct Seed<'a, 'o> {
        fp: &'a mut FileParser<'o>,
        sink: &'a mut dyn FnMut(Vec<Event>) -> Result<()>,
        index: u64,
        sink_error: Option<anyhow::Error>,
        /// Bytes read since the current element began (see [`ElementCap`]).
        element: std::rc::Rc<std::cell::Cell<usize>>,
    }
    impl<'de> Visitor<'de> for &mut Seed<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut events = Vec::new();
            loop {
                let v = match seq.next_element::<Value>() {
                    Ok(Some(v)) => v,
                    Ok(None) => break,
                    Err(e) => {
                        // The elements read before a cut or a stray comma are
                        // records: hand them on before the error is reported.
                        if let Err(se) = (self.sink)(std::mem::take(&mut events)) {
                            self.sink_error = Some(se);
                        }
                        return Err(e);
                    }
                };
                self.index += 1;
                self.element.set(0);
                self.fp.push(v, self.index, &mut events);
                if events.len() >= BATCH_LINES
                    && let Err(e) = (self.sink)(std::mem::take(&mut events))
                {
                    self.sink_error = Some(e);
                    return Err(de::Error::custom("stopped"));
                }
            }
            if let Err(e) = (self.sink)(events) {
                self.sink_error = Some(e);
                return Err(de::Error::custom("stopped"));
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for &mut Seed<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    let mut seed = Seed {
        fp,
        sink,
        index: 0,
        sink_error: None,
        element: Default::default(),
    };
    let mut de = serde_json::Deserializer::from_reader(ElementCap {
        inner: r,
        read: seed.element.clone(),
        limit: crate::limits::max_line_bytes(),
    });
    let result = (&mut seed).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = seed.sink_error.take() {
        return Err(e);
    }
    let mut events = Vec::new();
    if let Err(e) = result {
        let at = seed.index + 1;
        // A stream cut short (a truncated gzip) is a read error, not JSON
        // someone wrote wrong.
        let skip = if e.is_io() && ElementCap::exceeded(&seed.element) {
            Skip::new(
                "line too long",
                format!(
                    "array element exceeds the {}-byte line limit; the rest of the array is not read",
                    crate::limits::max_line_bytes()
                ),
            )
        } else if e.is_io() {
            Skip::new("read error", format!("input ends early: {e}"))
        } else {
            Skip::new(
                "malformed json",
                format!("malformed JSON array after element {}: {e}", seed.index),
            )
        };
        seed.fp.skip(at, skip, &mut events);
    }
    seed.fp.finish(&mut events);
    (seed.sink)(events)
}

/// The line limit for array elements: a reader that fails once an element
/// has taken more than the line limit, so that one element (a gzip bomb
/// that expands to gigabytes inside one string) is never held whole. The
/// count is reset as each element is handed on.
struct ElementCap {
    inner: Reader,
    read: std::rc::Rc<std::cell::Cell<usize>>,
    limit: usize,
}

impl ElementCap {
    fn exceeded(read: &std::cell::Cell<usize>) -> bool {
        read.get() > crate::limits::max_line_bytes()
    }
}

impl Read for ElementCap {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Serde reads a byte at a time: a plain cell, not an atomic.
        let total = self.read.get() + n;
        self.read.set(total);
        if total > self.limit {
            return Err(io::Error::other("array element too long"));
        }
        Ok(n)
    }
}

// ---- CSV -----------------------------------------------------------------

/// CSV with a header row: each row becomes an object of strings, which the
/// formats read like JSON (numbers as strings are accepted everywhere).
fn read_csv(
    r: Reader,
    lines_before: u64,
    fp: &mut FileParser<'_>,
    sink: &mut dyn FnMut(Vec<Event>) -> Result<()>,
) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(r);
    let headers: Vec<String> = match rdr.byte_headers() {
        Ok(h) => h
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect(),
        Err(e) => {
            let mut events = Vec::new();
            fp.skip(
                lines_before + 1,
                Skip::new("malformed csv", format!("unreadable CSV header: {e}")),
                &mut events,
            );
            return sink(events);
        }
    };
    let mut events = Vec::new();
    let mut row = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines_before + row.position().map_or(0, |p| p.line());
                match row_to_value(&headers, &row) {
                    Ok(v) => fp.push(v, line, &mut events),
                    Err(skip) => fp.skip(line, skip, &mut events),
                }
            }
            Err(e) => {
                let line = lines_before + e.position().map_or(0, |p| p.line());
                let fatal = e.is_io_error();
                fp.skip(
                    line,
                    Skip::new("malformed csv", format!("malformed CSV row: {e}")),
                    &mut events,
                );
                if fatal {
                    break;
                }
            }
        }
        if events.len() >= BATCH_LINES {
            sink(std::mem::take(&mut events))?;
        }
    }
    fp.finish(&mut events);
    sink(events)
}

fn row_to_value(headers: &[String], row: &csv::ByteRecord) -> Result<Value, Skip> {
    // A missing cell would read as an absent field (zero tokens), an extra
    // one would be dropped unseen: either way the row is not what its
    // header says, so it is skipped rather than billed.
    if row.len() != headers.len() {
        return Err(Skip::new(
            "malformed csv",
            format!(
                "CSV row has {} cells, the header {}",
                row.len(),
                headers.len()
            ),
        ));
    }
    let mut m = Map::new();
    for (h, f) in headers.iter().zip(row.iter()) {
        let s = std::str::from_utf8(f)
            .map_err(|_| Skip::new("invalid utf-8", "CSV row is not valid UTF-8"))?;
        // Cells holding JSON (messages arrays, metadata) are decoded so
        // formats can read them; everything else stays a string.
        let t = s.trim_start();
        let v = if (t.starts_with('{') || t.starts_with('['))
            && let Ok(v) = serde_json::from_str::<Value>(s)
        {
            v
        } else {
            Value::String(s.to_string())
        };
        m.insert(h.clone(), v);
    }
    Ok(Value::Object(m))
}
