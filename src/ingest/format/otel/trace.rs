//! Which spans of a trace bill: model calls, and of the spans with usage
//! only the lowest, so that agent spans repeating their calls' usage are
//! not counted twice.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{MAX_TRACES, MODEL_CALL_OPS, OP_KEYS, Outcome, Parser, SpanRead};
use crate::ingest::Skip;
use crate::ingest::fields::lookup::first_str;
use crate::ingest::format::Out;
use crate::record::{Record, Source};

/// Whether the span's operation is a model call (see the module doc).
pub(super) fn is_model_call(attrs: &Value) -> bool {
    if let Some(op) = first_str(attrs, OP_KEYS)
        && MODEL_CALL_OPS.contains(&op.to_ascii_lowercase().as_str())
    {
        return true;
    }
    if let Some(kind) = first_str(attrs, &["openinference.span.kind"])
        && matches!(kind.to_ascii_uppercase().as_str(), "LLM" | "EMBEDDING")
    {
        return true;
    }
    first_str(attrs, &["ai.operationId", "operation.name"]).is_some_and(|op| {
        let op = op.split_whitespace().next().unwrap_or("");
        op.ends_with(".doGenerate") || op.ends_with(".doStream") || op.ends_with(".doEmbed")
    })
}

pub(super) fn is_error(span: &Value) -> bool {
    let Some(status) = span.get("status") else {
        return false;
    };
    let code = status.get("code").or_else(|| status.get("status_code"));
    match code {
        Some(Value::Number(n)) => n.as_u64() == Some(2),
        Some(Value::String(s)) => s.to_ascii_uppercase().ends_with("ERROR"),
        _ => false,
    }
}

/// Trace, span and parent ids (parent `None` for a root).
pub(super) fn span_ids(span: &Value) -> Option<(String, String, Option<String>)> {
    let trace = first_str(span, &["traceId", "trace_id", "context.trace_id"])?;
    let id = first_str(span, &["spanId", "span_id", "context.span_id"])?;
    let parent = first_str(
        span,
        &["parentSpanId", "parent_span_id", "parent_id", "parentId"],
    )
    .filter(|p| !p.trim_start_matches("0x").chars().all(|c| c == '0'));
    Some((trace, id, parent))
}

/// The span tree of one trace, as far as the file has shown it.
#[derive(Default)]
pub(super) struct TraceState {
    /// Every span seen, with its parent.
    parent: HashMap<String, Option<String>>,
    /// Spans with a span that has usage somewhere below them.
    marked: HashSet<String>,
    /// Spans billed with usage.
    billed: HashSet<String>,
    /// Spans with usage that are not model calls, waiting for the calls
    /// that may come under them.
    held: Vec<(String, Record)>,
    /// Whether any span of the trace names its parent. Exporters that
    /// flatten a trace (Copilot CLI's file exporter) name none: there an
    /// agent span with usage beside billed model calls is their sum.
    pub(super) linked: bool,
}

impl TraceState {
    /// Mark the ancestors of `id`. Stops at a span already marked: its
    /// ancestors were marked then, or will be when it arrives.
    pub(super) fn mark_ancestors(&mut self, id: &str) {
        let mut cur = self.parent.get(id).cloned().flatten();
        while let Some(p) = cur {
            if !self.marked.insert(p.clone()) {
                break;
            }
            cur = self.parent.get(&p).cloned().flatten();
        }
    }

    pub(super) fn ancestor_billed(&self, id: &str) -> bool {
        let mut cur = self.parent.get(id).and_then(|p| p.as_deref());
        // Bounded: a file may hold a parent cycle.
        for _ in 0..=self.parent.len() {
            let Some(p) = cur else {
                return false;
            };
            if self.billed.contains(p) {
                return true;
            }
            cur = self.parent.get(p).and_then(|q| q.as_deref());
        }
        false
    }

    /// Held spans are settled: billed unless a span below them has usage.
    pub(super) fn settle(&mut self, out: &mut Out) {
        for (id, rec) in std::mem::take(&mut self.held) {
            if self.marked.contains(&id) || (!self.linked && !self.billed.is_empty()) {
                out.drop_line(rec.source, "aggregate span");
            } else if self.ancestor_billed(&id) {
                out.drop_line(rec.source, "nested span");
            } else {
                self.billed.insert(id);
                out.push(rec);
            }
        }
    }
}

impl Parser {
    pub(super) fn trace(&mut self, id: &str, out: &mut Out) -> &mut TraceState {
        if !self.traces.contains_key(id) {
            while self.order.len() >= MAX_TRACES {
                if let Some(old) = self.order.pop_front()
                    && let Some(mut st) = self.traces.remove(&old)
                {
                    st.settle(out);
                }
            }
            self.order.push_back(id.to_string());
        }
        self.traces.entry(id.to_string()).or_default()
    }

    /// Settle one document's spans against the trace trees.
    pub(super) fn settle_document(
        &mut self,
        reads: Vec<SpanRead>,
        source: &Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        // Link every span first, so the order of spans inside a document
        // does not matter.
        for r in &reads {
            if let Some((trace, id, parent)) = &r.ids {
                let st = self.trace(trace, out);
                st.linked |= parent.is_some();
                st.parent.insert(id.clone(), parent.clone());
            }
        }
        for r in &reads {
            if let Some((trace, id, _)) = &r.ids
                && let Some(st) = self.traces.get_mut(trace)
                && (r.has_usage || st.marked.contains(id))
            {
                st.mark_ancestors(id);
            }
        }
        let mut first_skip = None;
        for r in reads {
            match r.outcome {
                Outcome::Drop(reason) => out.drop_line(source.clone(), reason),
                Outcome::Skip(skip) => {
                    if first_skip.is_none() {
                        first_skip = Some(skip);
                    } else {
                        out.drop_line(source.clone(), skip.reason);
                    }
                }
                Outcome::Call { record, model_call } => {
                    let Some((trace, id, _)) = r.ids else {
                        out.push(*record);
                        continue;
                    };
                    let Some(st) = self.traces.get_mut(&trace) else {
                        out.push(*record);
                        continue;
                    };
                    if st.marked.contains(&id) {
                        out.drop_line(record.source, "aggregate span");
                    } else if !model_call {
                        st.held.push((id, *record));
                    } else if record.usage.is_some() && st.ancestor_billed(&id) {
                        out.drop_line(record.source, "nested span");
                    } else {
                        if record.usage.is_some() {
                            st.billed.insert(id);
                        }
                        out.push(*record);
                    }
                }
            }
        }
        first_skip.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::*;
    use super::super::*;

    #[test]
    fn agent_usage_is_not_counted_over_its_calls() {
        // Parent listed before its children, with a tool span in between.
        let d = doc(vec![
            agent("t", "ag", "", 500, 50),
            chat("t", "c1", "ag", 200, 20),
            span(
                "t",
                "tool",
                "ag",
                vec![s("gen_ai.operation.name", "execute_tool")],
            ),
            chat("t", "c2", "tool", 300, 30),
        ]);
        let (out, skips) = run(&[d]);
        assert!(skips.is_empty());
        assert_eq!(inputs(&out), vec![200, 300]);
        assert_eq!(out.extra_entries, 3);
        let mut r = reasons(&out);
        r.sort_unstable();
        assert_eq!(r, vec!["aggregate span", "non-llm span"]);
    }

    #[test]
    fn agent_without_calls_under_it_bills_at_the_end() {
        let (out, _) = run(&[doc(vec![agent("t", "ag", "", 500, 50)])]);
        assert_eq!(inputs(&out), vec![500]);
    }

    #[test]
    fn agent_and_calls_in_separate_documents_either_order() {
        for lines in [
            vec![
                doc(vec![agent("t", "ag", "", 500, 50)]),
                doc(vec![chat("t", "c1", "ag", 500, 50)]),
            ],
            vec![
                doc(vec![chat("t", "c1", "ag", 500, 50)]),
                doc(vec![agent("t", "ag", "", 500, 50)]),
            ],
        ] {
            let (out, _) = run(&lines);
            assert_eq!(inputs(&out), vec![500]);
            assert_eq!(reasons(&out), vec!["aggregate span"]);
        }
    }

    #[test]
    fn grandchild_usage_marks_every_ancestor() {
        // Child first, then the tool span between, then the agent.
        let lines = vec![
            doc(vec![chat("t", "c", "tool", 10, 1)]),
            doc(vec![span("t", "tool", "ag", vec![])]),
            doc(vec![agent("t", "ag", "", 10, 1)]),
        ];
        let (out, _) = run(&lines);
        assert_eq!(inputs(&out), vec![10]);
        assert_eq!(reasons(&out), vec!["non-llm span", "aggregate span"]);
    }

    #[test]
    fn wrapped_model_call_counts_once_in_any_order() {
        // A framework chat span around the SDK chat span, same usage.
        let parent_first = vec![
            doc(vec![chat("t", "p", "", 90, 9)]),
            doc(vec![chat("t", "c", "p", 90, 9)]),
        ];
        let (out, _) = run(&parent_first);
        assert_eq!(inputs(&out), vec![90]);
        assert_eq!(reasons(&out), vec!["nested span"]);
        let child_first = vec![
            doc(vec![chat("t", "c", "p", 90, 9)]),
            doc(vec![chat("t", "p", "", 90, 9)]),
        ];
        let (out, _) = run(&child_first);
        assert_eq!(inputs(&out), vec![90]);
        assert_eq!(reasons(&out), vec!["aggregate span"]);
    }

    #[test]
    fn parent_cycles_terminate() {
        let d = doc(vec![chat("t", "a", "b", 1, 1), chat("t", "b", "a", 1, 1)]);
        let (out, _) = run(&[d]);
        assert_eq!(out.records.len() + out.dropped.len(), 2);
    }

    #[test]
    fn held_spans_settle_when_their_trace_is_evicted() {
        let lines: Vec<Value> = (0..=MAX_TRACES)
            .map(|n| doc(vec![agent(&format!("t{n}"), "ag", "", 1, 1)]))
            .collect();
        let mut p = Parser::new(ParseOptions::default());
        let path: std::sync::Arc<str> = std::sync::Arc::from("t");
        let mut out = Out::default();
        for (n, l) in lines.into_iter().enumerate() {
            p.push(
                l,
                crate::ingest::format::source(&path, n as u64 + 1),
                &mut out,
            )
            .unwrap();
        }
        assert_eq!(out.records.len(), 1, "the oldest trace was settled");
        p.finish(&mut out);
        assert_eq!(out.records.len(), MAX_TRACES + 1);
    }

    #[test]
    fn non_llm_and_error_spans_bill_nothing() {
        let d = doc(vec![
            span("t", "h", "", vec![s("http.request.method", "GET")]),
            span("t", "e", "", vec![s("gen_ai.operation.name", "chat")]),
        ]);
        let mut d = d;
        if let Some(sp) = d.pointer_mut("/resourceSpans/0/scopeSpans/0/spans/1") {
            sp["status"] = json!({"code": 2});
        }
        let (out, skips) = run(&[d]);
        assert!(out.records.is_empty() && skips.is_empty());
        assert_eq!(reasons(&out), vec!["non-llm span", "api error"]);
        assert_eq!(out.extra_entries, 1);
    }

    #[test]
    fn several_broken_spans_are_each_accounted() {
        let bad = |id: &str| {
            span(
                "t",
                id,
                "",
                vec![
                    s("gen_ai.operation.name", "chat"),
                    i("gen_ai.usage.input_tokens", json!("-1")),
                ],
            )
        };
        let (out, skips) = run(&[doc(vec![bad("a"), bad("b"), chat("t", "c", "", 3, 1)])]);
        assert_eq!(skips.len(), 1);
        assert_eq!(skips[0].reason, "invalid usage");
        assert_eq!(reasons(&out), vec!["invalid usage"]);
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.extra_entries, 2);
    }
}
