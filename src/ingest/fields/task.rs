//! What a line says about its task: the task id the report groups by, and
//! whether the task succeeded (`check`'s cost per solved task).

use serde_json::Value;

use super::lookup::{first_str, lookup};
use crate::ingest::ParseOptions;

/// Fields eval harnesses and agent logs use for a task's outcome. `status`
/// and `result` are left out on purpose: API bodies use them for the call
/// (`status: "completed"` on every Responses API response).
const OUTCOME_KEYS: &[&str] = &[
    "outcome",
    "success",
    "passed",
    "task_success",
    "metadata.outcome",
    "metadata.success",
    "metadata.passed",
];

/// The top-level keys `OUTCOME_KEYS` live under. A line without any of
/// them has no outcome; a reader that skips fields must keep them.
pub const OUTCOME_ROOTS: &[&str] = &["outcome", "success", "passed", "task_success", "metadata"];

fn has_outcome_key(line: &Value) -> bool {
    line.as_object()
        .is_some_and(|m| m.keys().any(|k| OUTCOME_ROOTS.contains(&k.as_str())))
}

/// Whether a raw line reports success (`true`) or failure (`false`) of its
/// task: `--outcome-key` if given, else the common field names. Booleans,
/// 1/0, and words like `success`/`passed`/`resolved` vs
/// `failure`/`failed`/`error` are understood; anything else is no outcome.
pub fn outcome_of(line: &Value, opts: &ParseOptions) -> Option<bool> {
    let v = match &opts.outcome_key {
        Some(k) => lookup(line, k)?,
        // Asked of every line: most have none of the keys, which one look
        // at the line's own keys shows more cheaply than a lookup per key.
        None if !has_outcome_key(line) => return None,
        None => OUTCOME_KEYS.iter().find_map(|k| lookup(line, k))?,
    };
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "success" | "succeeded" | "successful" | "pass" | "passed"
            | "ok" | "resolved" | "solved" | "correct" => Some(true),
            "false" | "0" | "no" | "fail" | "failed" | "failure" | "error" | "errored"
            | "unresolved" | "unsolved" | "incorrect" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The task id of a raw line: `--task-key` if given, else the explicit
/// fields formats use for it.
pub fn task_of(line: &Value, opts: &ParseOptions, defaults: &[&str]) -> Option<String> {
    match &opts.task_key {
        Some(key) => lookup(line, key).and_then(|x| match x {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }),
        None => first_str(line, defaults),
    }
}

/// The task id: with `--task-key`, the key on the raw lines first, then on
/// the bodies; otherwise the format's default fields in their order of
/// precedence (explicit task ids before user ids), each looked up on the
/// bodies and then on the wrapper lines — so a wrapper's `task_id` beats a
/// body's `user`.
pub fn task_from(
    opts: &ParseOptions,
    lines: &[&Value],
    bodies: &[&Value],
    defaults: &[&str],
) -> Option<String> {
    if opts.task_key.is_some() {
        lines
            .iter()
            .chain(bodies)
            .find_map(|v| task_of(v, opts, defaults))
    } else {
        defaults.iter().find_map(|key| {
            bodies
                .iter()
                .chain(lines)
                .find_map(|v| first_str(v, std::slice::from_ref(key)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn explicit_task_id_on_a_wrapper_beats_a_body_user() {
        let line = json!({"task_id": "T-9", "request": {"user": "u-1"}});
        let body = json!({"user": "u-1"});
        let opts = ParseOptions::default();
        let keys = ["metadata.task_id", "task_id", "user"];
        assert_eq!(
            task_from(&opts, &[&line], &[&body], &keys).as_deref(),
            Some("T-9")
        );
        let line = json!({"request": {"user": "u-1"}});
        assert_eq!(
            task_from(&opts, &[&line], &[&body], &keys).as_deref(),
            Some("u-1")
        );
    }

    #[test]
    fn outcome_roots_cover_every_outcome_key() {
        for key in OUTCOME_KEYS {
            let root = key.split('.').next().unwrap();
            assert!(OUTCOME_ROOTS.contains(&root), "{key}");
        }
    }

    #[test]
    fn outcomes_from_common_fields_and_words() {
        let d = ParseOptions::default();
        assert_eq!(outcome_of(&json!({"success": true}), &d), Some(true));
        assert_eq!(outcome_of(&json!({"passed": 0}), &d), Some(false));
        assert_eq!(outcome_of(&json!({"outcome": "Resolved"}), &d), Some(true));
        assert_eq!(
            outcome_of(&json!({"metadata": {"outcome": "failed"}}), &d),
            Some(false)
        );
        assert_eq!(outcome_of(&json!({"outcome": "maybe"}), &d), None);
        // `status` is the call's, not the task's.
        assert_eq!(outcome_of(&json!({"status": "completed"}), &d), None);
        let k = ParseOptions {
            outcome_key: Some("/eval/score_ok".into()),
            ..ParseOptions::default()
        };
        assert_eq!(
            outcome_of(&json!({"eval": {"score_ok": "yes"}, "success": false}), &k),
            Some(true)
        );
    }
}
