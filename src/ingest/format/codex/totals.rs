//! Codex's cumulative token totals: what a new total bills, and when a
//! total that went down starts a new counter.

use serde_json::Value;

use crate::ingest::Skip;
use crate::ingest::fields::numbers::count_value;
use crate::record::Usage;

/// One cumulative (or incremental) token count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Totals {
    input: u64,
    cached: u64,
    cache_write: u64,
    output: u64,
    reasoning: u64,
}

impl Totals {
    /// Counts of a `*_token_usage` / `usage` object; missing fields are 0.
    pub(super) fn parse(u: &Value, what: &str) -> Result<Totals, Skip> {
        let get = |key: &str| -> Result<u64, Skip> {
            match u.get(key) {
                Some(x) => Ok(count_value(x, &format!("{what}.{key}"))?.unwrap_or(0)),
                None => Ok(0),
            }
        };
        Ok(Totals {
            input: get("input_tokens")?,
            cached: get("cached_input_tokens")?,
            cache_write: get("cache_write_input_tokens")?,
            output: get("output_tokens")?,
            reasoning: get("reasoning_output_tokens")?,
        })
    }

    pub(super) fn is_zero(&self) -> bool {
        *self == Totals::default()
    }

    /// The increment from `prev`, or `None` when the counter restarted
    /// (input and output only ever grow on one counter; the other fields
    /// are optional in some builds, so their drop proves nothing).
    pub(super) fn since(&self, prev: &Totals) -> Option<Totals> {
        if self.input < prev.input || self.output < prev.output {
            return None;
        }
        Some(Totals {
            input: self.input - prev.input,
            cached: self.cached.saturating_sub(prev.cached),
            cache_write: self.cache_write.saturating_sub(prev.cache_write),
            output: self.output - prev.output,
            reasoning: self.reasoning.saturating_sub(prev.reasoning),
        })
    }

    pub(super) fn usage(&self) -> Usage {
        Usage::from_inclusive_input(
            self.input,
            self.cached,
            self.cache_write,
            self.output,
            self.reasoning,
        )
    }

    /// Call-id key: the fields both rollouts and exec streams carry.
    pub(super) fn key(&self, session: &str) -> String {
        format!(
            "codex:{session}:{}:{}:{}",
            self.input, self.cached, self.output
        )
    }

    /// Call-id key of a rollout line whatever session copies it: a file
    /// that copies another's history (a branch, fork or resume with no
    /// `session_meta` saying so) repeats its `token_count` lines byte for
    /// byte, instant and cumulative totals included.
    pub(super) fn instant_key(&self, at: jiff::Timestamp) -> String {
        format!(
            "codex-at:{at}:{}:{}:{}:{}:{}",
            self.input, self.cached, self.cache_write, self.output, self.reasoning
        )
    }
}

/// What a new cumulative total bills.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The total did not move (a re-emit).
    Repeat,
    /// A first total of zero: nothing used yet.
    Empty,
    Bill(Totals),
}

pub(super) fn step(prev: Option<Totals>, total: Totals, last: Option<Totals>) -> Step {
    let Some(p) = prev else {
        return if total.is_zero() {
            Step::Empty
        } else {
            Step::Bill(total)
        };
    };
    if p == total {
        return Step::Repeat;
    }
    let inc = match total.since(&p) {
        None => total,
        // A restarted counter that already exceeds the old one: a first
        // snapshot is the only one whose last request equals the total.
        Some(_) if last == Some(total) && !p.is_zero() => total,
        Some(d) => d,
    };
    if inc.is_zero() {
        Step::Repeat
    } else {
        Step::Bill(inc)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::*;
    use super::super::*;

    #[test]
    fn a_turn_bills_only_when_the_total_advances() {
        let (out, skips) = parse(&[
            meta("2025-10-01T10:00:00Z", "s1", json!("cli")),
            ctx("2025-10-01T10:00:00.1Z", "gpt-5"),
            tc(
                "2025-10-01T10:00:05Z",
                usage(1000, 600, 50, 20),
                usage(1000, 600, 50, 20),
            ),
            tc(
                "2025-10-01T10:00:06Z",
                usage(1000, 600, 50, 20),
                usage(1000, 600, 50, 20),
            ),
            json!({"timestamp": "2025-10-01T10:00:07Z", "type": "event_msg",
                   "payload": {"type": "token_count", "info": null, "rate_limits": {}}}),
            tc(
                "2025-10-01T10:01:00Z",
                usage(2500, 1800, 90, 30),
                usage(1500, 1200, 40, 10),
            ),
        ]);
        assert!(skips.is_empty());
        assert_eq!(out.records.len(), 2);
        assert_eq!(buckets(&out.records[0]), [400, 600, 50, 20]);
        assert_eq!(buckets(&out.records[1]), [300, 1200, 40, 10]);
        assert_eq!(out.records[1].model.as_deref(), Some("gpt-5"));
        assert_eq!(out.records[1].session.as_deref(), Some("s1"));
        assert_eq!(out.records[1].project.as_deref(), Some("/w/proj"));
        assert_eq!(out.records[1].provider.as_deref(), Some("openai"));
        assert_eq!(
            reasons(&out),
            [
                "context line",
                "context line",
                "repeated token count",
                "context line"
            ]
        );
        let id = out.records[1].call_id.as_deref().unwrap();
        assert_eq!(
            id.check,
            [
                "codex:s1:2500:1800:90",
                "codex-at:2025-10-01T10:01:00Z:2500:1800:0:90:30"
            ]
        );
        assert_eq!(id.reason, DEDUP_REASON);
    }

    #[test]
    fn the_delta_of_totals_wins_over_last_token_usage() {
        let (out, _) = parse(&[
            tc(
                "2025-10-01T10:00:05Z",
                usage(1000, 0, 50, 0),
                usage(1000, 0, 50, 0),
            ),
            // `last` names one request; the total moved by two.
            tc(
                "2025-10-01T10:01:00Z",
                usage(3000, 1000, 150, 0),
                usage(1200, 500, 60, 0),
            ),
        ]);
        assert_eq!(buckets(&out.records[1]), [1000, 1000, 100, 0]);
    }

    #[test]
    fn a_total_that_goes_down_is_a_new_counter() {
        let (out, _) = parse(&[
            tc(
                "2025-10-01T10:00:05Z",
                usage(9000, 4000, 300, 0),
                usage(9000, 4000, 300, 0),
            ),
            tc(
                "2025-10-01T10:01:00Z",
                usage(2000, 1000, 80, 0),
                usage(2000, 1000, 80, 0),
            ),
            tc(
                "2025-10-01T10:02:00Z",
                usage(2600, 1500, 100, 0),
                usage(600, 500, 20, 0),
            ),
        ]);
        assert_eq!(buckets(&out.records[1]), [1000, 1000, 80, 0]);
        assert_eq!(buckets(&out.records[2]), [100, 500, 20, 0]);
        // A restarted counter already above the old one: last == total.
        assert_eq!(
            step(
                Some(Totals {
                    input: 100,
                    output: 5,
                    ..Totals::default()
                }),
                Totals {
                    input: 700,
                    output: 40,
                    ..Totals::default()
                },
                Some(Totals {
                    input: 700,
                    output: 40,
                    ..Totals::default()
                }),
            ),
            Step::Bill(Totals {
                input: 700,
                output: 40,
                ..Totals::default()
            })
        );
    }

    #[test]
    fn invalid_counts_skip_the_line_and_keep_the_baseline() {
        let (out, skips) = parse(&[
            tc(
                "2025-10-01T10:00:05Z",
                usage(1000, 0, 50, 0),
                usage(1000, 0, 50, 0),
            ),
            tc(
                "2025-10-01T10:00:06Z",
                json!({"input_tokens": -4}),
                json!({}),
            ),
            tc("2025-10-01T10:00:07Z", json!("lots"), json!({})),
            tc(
                "2025-10-01T10:01:00Z",
                usage(1600, 0, 70, 0),
                usage(600, 0, 20, 0),
            ),
        ]);
        assert_eq!(skips.len(), 2);
        assert!(skips.iter().all(|s| s.reason == "invalid usage"));
        assert_eq!(buckets(&out.records[1]), [600, 0, 20, 0]);
    }

    #[test]
    fn a_second_session_in_one_file_starts_a_new_counter() {
        let (out, _) = parse(&[
            meta("2025-10-01T10:00:00Z", "a", json!("cli")),
            tc(
                "2025-10-01T10:00:05Z",
                usage(1000, 0, 50, 0),
                usage(1000, 0, 50, 0),
            ),
            meta("2025-10-01T11:00:00Z", "b", json!("cli")),
            tc(
                "2025-10-01T11:00:05Z",
                usage(1500, 0, 60, 0),
                usage(1500, 0, 60, 0),
            ),
        ]);
        assert_eq!(buckets(&out.records[1]), [1500, 0, 60, 0]);
        assert_eq!(out.records[1].session.as_deref(), Some("b"));
    }
}
