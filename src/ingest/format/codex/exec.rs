//! `codex exec --json` streams: one record per `turn.completed`, billed
//! as the delta of the thread's cumulative usage.

use serde_json::Value;

use super::totals::{Step, Totals, step};
use super::{DEDUP_REASON, MAX_TURN_TEXT, PROVIDER, Parser, path_session};
use crate::ingest::Skip;
use crate::ingest::call::str_of;
use crate::ingest::fields::{
    task::task_from,
    text::attach_text,
    time::{WRAPPER_TIME_KEYS, time_of},
};
use crate::ingest::format::Out;
use crate::record::{CallId, Format, Record, Source, Text};

impl Parser {
    pub(super) fn exec(
        &mut self,
        ty: &str,
        line: &Value,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        match ty {
            "thread.started" => {
                if let Some(t) = str_of(line, "thread_id") {
                    self.thread = Some(t);
                }
                if let Some(m) = str_of(line, "model") {
                    self.exec_model = Some(m);
                }
            }
            "turn.started" => self.exec_text.clear(),
            "turn.completed" => return self.turn_completed(line, source, out),
            "turn.failed" => {
                self.exec_text.clear();
                out.drop_line(source, "request failed");
                return Ok(());
            }
            "error" => {
                out.drop_line(source, "api error");
                return Ok(());
            }
            t if t.starts_with("item.") => {
                let item = line.get("item").unwrap_or(&Value::Null);
                if t == "item.completed"
                    && item.get("type").and_then(Value::as_str) == Some("agent_message")
                    && let Some(s) = item.get("text").and_then(Value::as_str)
                    && self.exec_text.len().saturating_add(s.len()) <= MAX_TURN_TEXT
                {
                    crate::ingest::fields::text::append_text(&mut self.exec_text, s);
                }
            }
            _ => {
                out.drop_line(source, "unknown record type");
                return Ok(());
            }
        }
        out.drop_line(source, "context line");
        Ok(())
    }

    pub(super) fn turn_completed(
        &mut self,
        line: &Value,
        source: Source,
        out: &mut Out,
    ) -> Result<(), Skip> {
        let Some(u) = line.get("usage").filter(|u| u.is_object()) else {
            return Err(Skip::new(
                "no usage",
                "`turn.completed` has no `usage` object",
            ));
        };
        let total = Totals::parse(u, "usage")?;
        let session = self.thread.clone().or_else(|| path_session(&source.path));
        let key = session.clone().unwrap_or_default();
        let prev = self.exec_prev.insert(key, total);
        let inc = match step(prev, total, None) {
            Step::Bill(inc) => inc,
            Step::Repeat => {
                out.drop_line(source, "repeated token count");
                return Ok(());
            }
            Step::Empty => {
                out.drop_line(source, "context line");
                return Ok(());
            }
        };
        let mut rec = Record::new(source, Format::Codex);
        rec.provider = Some(PROVIDER.to_string());
        rec.model = str_of(line, "model").or_else(|| self.exec_model.clone());
        rec.timestamp = time_of(&[line], WRAPPER_TIME_KEYS);
        rec.usage = Some(inc.usage());
        rec.task = task_from(&self.opts, &[line], &[], &[]);
        if let Some(s) = session.as_deref() {
            rec.call_id = Some(Box::new(CallId::key(total.key(s), DEDUP_REASON)));
        }
        rec.session = session;
        let response = std::mem::take(&mut self.exec_text);
        if !response.is_empty() {
            attach_text(
                &mut rec,
                Text {
                    response,
                    has_response: true,
                    ..Text::default()
                },
            )?;
        }
        out.push(rec);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::*;

    #[test]
    fn exec_streams_bill_each_completed_turn_once() {
        let (out, skips) = parse(&[
            json!({"type": "thread.started", "thread_id": "th-1"}),
            json!({"type": "turn.started"}),
            json!({"type": "item.completed", "item": {"id": "i0", "type": "agent_message", "text": "Done."}}),
            json!({"type": "turn.completed", "usage": {"input_tokens": 1000, "cached_input_tokens": 400, "output_tokens": 30}}),
            json!({"type": "thread.started", "thread_id": "th-1"}),
            json!({"type": "turn.started"}),
            json!({"type": "turn.failed", "error": {"message": "boom"}}),
            json!({"type": "error", "message": "reconnecting"}),
            json!({"type": "turn.started"}),
            json!({"type": "turn.completed", "usage": {"input_tokens": 2500, "cached_input_tokens": 1400, "output_tokens": 50}}),
            json!({"type": "turn.completed"}),
        ]);
        assert_eq!(out.records.len(), 2);
        assert_eq!(buckets(&out.records[0]), [600, 400, 30, 0]);
        assert_eq!(buckets(&out.records[1]), [500, 1000, 20, 0]);
        assert_eq!(out.records[0].session.as_deref(), Some("th-1"));
        assert_eq!(out.records[0].model, None);
        assert_eq!(out.records[0].timestamp, None);
        assert_eq!(out.records[0].text.as_ref().unwrap().response, "Done.");
        assert_eq!(
            out.records[1].call_id.as_deref().unwrap().check,
            ["codex:th-1:2500:1400:50"]
        );
        assert!(reasons(&out).contains(&"request failed"));
        assert!(reasons(&out).contains(&"api error"));
        assert_eq!(skips.len(), 1);
        assert_eq!(skips[0].reason, "no usage");
    }
}
