//! Calls whose request and result are separate lines, often in separate
//! files of one run: Batch API input files and output files, joined by
//! `custom_id`. Either half may come first; a result waits for its request
//! (so that prompt text can be counted) until the run ends, then is billed
//! alone from its usage.
//!
//! `custom_id`s are only unique within one batch, and people reuse ids such
//! as `request-1` in every batch, so halves are joined only within one
//! directory (a batch's input and output are downloaded side by side), and
//! repeated ids within a directory are joined first-in, first-out.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::turns::wait_for_turn;
use crate::record::{Format, Record, Source};

/// The run-wide book, shared by every file's parser.
pub type Joins = Arc<Mutex<JoinBook>>;

/// The run's book. A poisoned lock is still used: a panic elsewhere ends
/// the run anyway, and the book's maps stay consistent between calls.
///
/// Files are read in parallel, but which half waits and which repeated id
/// pairs with which depend on the order halves reach the book. So a reader
/// that holds a turn (see [`super::turns`]) first waits until every earlier input
/// has been read completely: the book then sees halves in input order
/// whatever the thread count, and only files that use it are serialized.
pub fn lock(opts: &super::ParseOptions) -> std::sync::MutexGuard<'_, JoinBook> {
    wait_for_turn();
    opts.joins.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JoinKey {
    format: Format,
    /// Directory of the file the half came from.
    scope: Arc<str>,
    id: String,
}

impl JoinKey {
    pub fn new(format: Format, source: &Source, id: &str) -> JoinKey {
        let scope = Path::new(&*source.path)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        JoinKey {
            format,
            scope: Arc::from(scope),
            id: id.to_string(),
        }
    }
}

/// What became of a request offered to the book.
#[derive(Debug)]
pub enum RequestFate {
    /// Its result had arrived first: here is the whole call.
    Joined(Box<Record>),
    /// Its result was an error or an expiry: nothing to bill.
    Failed,
    /// Held until its result comes (or the run ends).
    Held,
}

#[derive(Debug, Default)]
pub struct JoinBook {
    requests: HashMap<JoinKey, VecDeque<(u64, Record)>>,
    results: HashMap<JoinKey, VecDeque<(u64, Record)>>,
    /// Failed results whose request has not been seen yet.
    failed: HashMap<JoinKey, u64>,
    seq: u64,
}

impl JoinBook {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A request half (a record carrying prompt text and the requested
    /// model, no usage).
    pub fn offer_request(&mut self, key: JoinKey, request: Record) -> RequestFate {
        if let Some(n) = self.failed.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.failed.remove(&key);
            }
            return RequestFate::Failed;
        }
        if let Some((_, result)) = pop(&mut self.results, &key) {
            return RequestFate::Joined(Box::new(merge(request, result)));
        }
        let seq = self.next();
        self.requests
            .entry(key)
            .or_default()
            .push_back((seq, request));
        RequestFate::Held
    }

    /// A result half (usage, response text, served model). Returns the
    /// whole call when its request is known; else holds it.
    pub fn offer_result(&mut self, key: JoinKey, result: Record) -> Option<Record> {
        if let Some((_, request)) = pop(&mut self.requests, &key) {
            return Some(merge(request, result));
        }
        let seq = self.next();
        self.results
            .entry(key)
            .or_default()
            .push_back((seq, result));
        None
    }

    /// A result that billed nothing (error, expired, canceled): its request,
    /// seen or still to come, bills nothing either. Returns where the
    /// request was when it had been seen (so that its line is accounted as
    /// not billed too).
    pub fn offer_failure(&mut self, key: JoinKey) -> Option<Source> {
        match pop(&mut self.requests, &key) {
            Some((_, r)) => Some(r.source),
            None => {
                *self.failed.entry(key).or_default() += 1;
                None
            }
        }
    }

    /// End of the run: results that never met their request are billed from
    /// their usage alone; requests that never got a result become estimates
    /// from their text (as an unanswered request does everywhere else).
    /// Both in arrival order, so output does not depend on hashing.
    pub fn drain(&mut self) -> Vec<Record> {
        let mut left: Vec<(u64, Record)> = Vec::new();
        for (_, q) in self.results.drain() {
            left.extend(q);
        }
        for (_, q) in self.requests.drain() {
            left.extend(q);
        }
        self.failed.clear();
        left.sort_by_key(|(seq, _)| *seq);
        left.into_iter().map(|(_, r)| r).collect()
    }
}

fn pop(
    map: &mut HashMap<JoinKey, VecDeque<(u64, Record)>>,
    key: &JoinKey,
) -> Option<(u64, Record)> {
    let q = map.get_mut(key)?;
    let item = q.pop_front();
    if q.is_empty() {
        map.remove(key);
    }
    item
}

/// One call from its halves: the result decides usage, served model, time
/// and tier; the request gives prompt text and fills what the result lacks.
/// The record points at the result line, where the usage was read.
fn merge(request: Record, mut result: Record) -> Record {
    if let Some(q) = request.text {
        let t = result.text.get_or_insert_with(Default::default);
        t.messages = q.messages;
        t.tools = q.tools;
        t.has_prompt = q.has_prompt;
        t.chat_framing = q.chat_framing;
    }
    result.model = result.model.or(request.model);
    result.timestamp = result.timestamp.or(request.timestamp);
    result.task = result.task.or(request.task);
    result.session = result.session.or(request.session);
    result.project = result.project.or(request.project);
    result.provider = result.provider.or(request.provider);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Text, Usage};

    fn src(path: &str, line: u64) -> Source {
        Source {
            path: Arc::from(path),
            line,
        }
    }

    fn request(path: &str, line: u64) -> Record {
        let mut r = Record::new(src(path, line), Format::OpenAiBatch);
        r.model = Some("gpt-4o-mini".into());
        r.text = Some(Text {
            has_prompt: true,
            ..Text::default()
        });
        r
    }

    fn result(path: &str, line: u64) -> Record {
        let mut r = Record::new(src(path, line), Format::OpenAiBatch);
        r.model = Some("gpt-4o-mini-2024-07-18".into());
        r.usage = Some(Usage::default());
        r
    }

    #[test]
    fn joins_in_either_order_within_a_directory() {
        let mut b = JoinBook::default();
        let k = |s: &Source| JoinKey::new(Format::OpenAiBatch, s, "t-1");
        let q = request("d/in.jsonl", 1);
        assert!(matches!(
            b.offer_request(k(&q.source), q),
            RequestFate::Held
        ));
        let r = result("d/out.jsonl", 4);
        let joined = b.offer_result(k(&r.source), r).expect("joined");
        assert_eq!(joined.source.line, 4);
        assert!(joined.text.unwrap().has_prompt);
        assert_eq!(joined.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));

        let r = result("d/out.jsonl", 5);
        assert!(b.offer_result(k(&r.source), r).is_none());
        let q = request("d/in.jsonl", 2);
        assert!(matches!(
            b.offer_request(k(&q.source), q),
            RequestFate::Joined(_)
        ));
        assert!(b.drain().is_empty());
    }

    #[test]
    fn other_directories_do_not_join_and_leftovers_drain_in_order() {
        let mut b = JoinBook::default();
        let r = result("a/out.jsonl", 1);
        let key = JoinKey::new(Format::OpenAiBatch, &r.source, "x");
        assert!(b.offer_result(key, r).is_none());
        let q = request("b/in.jsonl", 1);
        let key = JoinKey::new(Format::OpenAiBatch, &q.source, "x");
        assert!(matches!(b.offer_request(key, q), RequestFate::Held));
        let left = b.drain();
        assert_eq!(left.len(), 2);
        assert_eq!(&*left[0].source.path, "a/out.jsonl");
        assert_eq!(&*left[1].source.path, "b/in.jsonl");
    }

    #[test]
    fn a_failure_cancels_its_request_whenever_it_comes() {
        let mut b = JoinBook::default();
        let s = src("d/out.jsonl", 1);
        assert!(
            b.offer_failure(JoinKey::new(Format::OpenAiBatch, &s, "e"))
                .is_none()
        );
        let q = request("d/in.jsonl", 1);
        let key = JoinKey::new(Format::OpenAiBatch, &q.source, "e");
        assert!(matches!(
            b.offer_request(key.clone(), q),
            RequestFate::Failed
        ));
        let q = request("d/in.jsonl", 2);
        assert!(matches!(b.offer_request(key.clone(), q), RequestFate::Held));
        let held = b.offer_failure(key).expect("the held request");
        assert_eq!(held.line, 2);
        assert!(b.drain().is_empty());
    }
}
