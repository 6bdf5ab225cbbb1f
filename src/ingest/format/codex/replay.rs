//! A subagent's or fork's replay of its parent's history: the lines it
//! copies were billed in the parent's rollout.

use jiff::Timestamp;
use serde_json::Value;

use super::REPLAY_GAP_MS;
use crate::ingest::fields::time::parse_timestamp;

/// The subagent replay being skipped.
#[derive(Debug)]
pub(super) struct Replay {
    /// When the child was created (its `session_meta`).
    pub(super) t0: Option<Timestamp>,
    /// Latest timestamp among the replayed lines.
    pub(super) last: Option<Timestamp>,
}

impl Replay {
    /// Whether a line with this payload and timestamp is still replayed.
    pub(super) fn holds(&mut self, payload: &Value, ts: Option<Timestamp>) -> bool {
        if let Some(t0) = self.t0
            && child_owned(payload, t0)
        {
            return false;
        }
        let bound = [self.t0, self.last].into_iter().flatten().max();
        if let (Some(ts), Some(b)) = (ts, bound)
            && ts.as_millisecond() > b.as_millisecond().saturating_add(REPLAY_GAP_MS)
        {
            return false;
        }
        if let Some(ts) = ts {
            self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
        }
        true
    }
}

/// A marker only the child's own turns carry: a turn that started after
/// the child was created (`task_started.started_at`, or a UUIDv7 `turn_id`,
/// which embeds its creation time). Replayed parent turns all started
/// before the spawn.
pub(super) fn child_owned(payload: &Value, t0: Timestamp) -> bool {
    let t0 = t0.as_millisecond();
    let started = matches!(
        payload.get("type").and_then(Value::as_str),
        Some("task_started" | "turn_started")
    ) && payload
        .get("started_at")
        .and_then(parse_timestamp)
        // `started_at` may be whole seconds: strictly later is certain.
        .is_some_and(|s| s.as_millisecond() > t0);
    started
        || payload
            .get("turn_id")
            .and_then(Value::as_str)
            .and_then(uuid7_millis)
            .is_some_and(|ms| ms > t0)
}

/// The unix-millisecond timestamp of a UUIDv7 (`None` for other ids).
pub(super) fn uuid7_millis(id: &str) -> Option<i64> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if hex.get(12..13) != Some("7") {
        return None;
    }
    i64::from_str_radix(hex.get(..12)?, 16).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::*;
    use super::*;

    #[test]
    fn a_thread_spawn_replay_is_skipped_and_the_child_counter_restarts() {
        let spawn =
            json!({"subagent": {"thread_spawn": {"parent_thread_id": "parent", "depth": 1}}});
        let (out, skips) = parse(&[
            meta("2025-10-01T12:00:00.000Z", "child", spawn),
            meta("2025-10-01T12:00:00.002Z", "parent", json!("cli")),
            ctx("2025-10-01T12:00:00.003Z", "gpt-5"),
            tc(
                "2025-10-01T12:00:00.004Z",
                usage(9000, 5000, 400, 100),
                usage(9000, 5000, 400, 100),
            ),
            tc(
                "2025-10-01T12:00:00.900Z",
                usage(20000, 15000, 900, 300),
                usage(11000, 10000, 500, 200),
            ),
            // Straddles a second tick: still the same burst.
            tc(
                "2025-10-01T12:00:01.300Z",
                usage(20000, 15000, 900, 300),
                usage(11000, 10000, 500, 200),
            ),
            json!({"timestamp": "2025-10-01T12:00:06Z", "type": "response_item",
                   "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Child says hi."}]}}),
            tc(
                "2025-10-01T12:00:06.1Z",
                usage(3000, 2000, 60, 10),
                usage(3000, 2000, 60, 10),
            ),
            tc(
                "2025-10-01T12:00:09Z",
                usage(4000, 2500, 90, 10),
                usage(1000, 500, 30, 0),
            ),
        ]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 2, "{:?}", reasons(&out));
        assert_eq!(buckets(&out.records[0]), [1000, 2000, 60, 10]);
        assert_eq!(buckets(&out.records[1]), [500, 500, 30, 0]);
        assert_eq!(out.records[0].session.as_deref(), Some("child"));
        assert_eq!(out.records[0].model.as_deref(), Some("gpt-5"));
        let text = out.records[0].text.as_ref().unwrap();
        assert_eq!(text.response, "Child says hi.");
        assert!(!text.has_prompt);
        assert_eq!(
            reasons(&out)
                .iter()
                .filter(|r| **r == "subagent replay")
                .count(),
            5
        );
    }

    /// A child whose replay keeps the parent's original timestamps and
    /// whose counter continues from the parent's total (Codex seeds a
    /// forked thread from the replayed history); its first turn is told by
    /// a UUIDv7 `turn_id` minted after the spawn.

    #[test]
    fn a_replay_with_original_timestamps_ends_at_the_childs_first_turn() {
        let t0: Timestamp = "2025-10-01T12:00:00Z".parse().unwrap();
        let ms = t0.as_millisecond() + 400;
        let h = format!("{ms:012x}");
        let turn_id = format!("{}-{}-7abc-8def-0123456789ab", &h[..8], &h[8..12]);
        assert_eq!(uuid7_millis(&turn_id), Some(ms));
        let fork = json!({"subagent": {"thread_spawn": {"parent_thread_id": "parent"}}});
        let (out, _) = parse(&[
            meta("2025-10-01T12:00:00Z", "child", fork),
            meta("2025-10-01T11:00:00Z", "parent", json!("cli")),
            json!({"timestamp": "2025-10-01T11:00:01Z", "type": "event_msg",
                   "payload": {"type": "task_started", "started_at": 1759316401}}),
            tc(
                "2025-10-01T11:05:00Z",
                usage(9000, 5000, 400, 100),
                usage(9000, 5000, 400, 100),
            ),
            tc(
                "2025-10-01T11:59:59.9Z",
                usage(20000, 15000, 900, 300),
                usage(11000, 10000, 500, 200),
            ),
            json!({"timestamp": "2025-10-01T12:00:00.400Z", "type": "turn_context",
                   "payload": {"turn_id": turn_id, "model": "gpt-5-mini", "cwd": "/w/proj"}}),
            json!({"timestamp": "2025-10-01T12:00:00.401Z", "type": "event_msg",
                   "payload": {"type": "user_message", "message": "Look at the tests"}}),
            tc(
                "2025-10-01T12:00:00.900Z",
                usage(22000, 16000, 950, 320),
                usage(2000, 1000, 50, 20),
            ),
        ]);
        assert_eq!(out.records.len(), 1);
        assert_eq!(buckets(&out.records[0]), [1000, 1000, 50, 20]);
        assert_eq!(out.records[0].model.as_deref(), Some("gpt-5-mini"));
        assert!(out.records[0].text.as_ref().unwrap().has_prompt);
    }

    #[test]
    fn a_started_at_after_the_spawn_ends_the_replay() {
        let t0: Timestamp = "2025-10-01T12:00:00.500Z".parse().unwrap();
        let started = json!({"type": "task_started", "started_at": t0.as_second() + 1});
        assert!(child_owned(&started, t0));
        let same_second = json!({"type": "task_started", "started_at": t0.as_second()});
        assert!(!child_owned(&same_second, t0));
        assert_eq!(uuid7_millis("0199f1a2-7c3e-4d10-9a44-5b6e7f801a01"), None);
    }

    /// Some builds write no replay at all: the child's own usage counts.

    #[test]
    fn a_child_without_a_replay_bills_its_own_turns() {
        let spawn = json!({"subagent": {"thread_spawn": {"parent_thread_id": "parent"}}});
        let (out, _) = parse(&[
            meta("2025-10-01T12:00:00Z", "child", spawn),
            meta("2025-10-01T12:00:00.001Z", "parent", json!("cli")),
            ctx("2025-10-01T12:00:00.010Z", "gpt-5"),
            tc(
                "2025-10-01T12:00:04Z",
                usage(3000, 2000, 60, 10),
                usage(3000, 2000, 60, 10),
            ),
        ]);
        assert_eq!(out.records.len(), 1);
        assert_eq!(buckets(&out.records[0]), [1000, 2000, 60, 10]);
    }
}
