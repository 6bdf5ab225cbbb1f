//! The text of the current turn, bounded, until a billed record takes it.

use super::MAX_TURN_TEXT;
use crate::record::{Message, Text};

/// The current turn's text, collected until a billed record takes it.
#[derive(Debug, Default)]
pub(super) struct TurnText {
    /// `response_item` messages that are not the assistant's (role, text).
    prompt_items: Vec<(String, String)>,
    /// `event_msg.user_message` texts (fallback).
    prompt_events: Vec<String>,
    response_items: String,
    response_events: String,
    prompt_bytes: usize,
    response_bytes: usize,
}

impl TurnText {
    pub(super) fn add_prompt(&mut self, role: Option<&str>, text: String) {
        if text.is_empty() || self.prompt_bytes.saturating_add(text.len()) > MAX_TURN_TEXT {
            return;
        }
        self.prompt_bytes += text.len();
        match role {
            Some(r) => self.prompt_items.push((r.to_string(), text)),
            None => self.prompt_events.push(text),
        }
    }

    pub(super) fn add_response(&mut self, from_item: bool, text: &str) {
        if text.is_empty() || self.response_bytes.saturating_add(text.len()) > MAX_TURN_TEXT {
            return;
        }
        self.response_bytes += text.len();
        let buf = if from_item {
            &mut self.response_items
        } else {
            &mut self.response_events
        };
        crate::ingest::fields::text::append_text(buf, text);
    }

    /// The turn's `Text`, preferring the items over their event echoes
    /// (newer builds log every message both ways).
    pub(super) fn into_text(self) -> Option<Text> {
        let messages: Vec<Message> = if self.prompt_items.is_empty() {
            self.prompt_events
                .into_iter()
                .map(|content| Message {
                    role: "user".to_string(),
                    name: None,
                    content,
                })
                .collect()
        } else {
            self.prompt_items
                .into_iter()
                .map(|(role, content)| Message {
                    role,
                    name: None,
                    content,
                })
                .collect()
        };
        let response = if self.response_items.is_empty() {
            self.response_events
        } else {
            self.response_items
        };
        if messages.is_empty() && response.is_empty() {
            return None;
        }
        Some(Text {
            has_prompt: !messages.is_empty(),
            has_response: !response.is_empty(),
            messages,
            response,
            ..Text::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::*;

    #[test]
    fn turn_text_is_bounded_to_the_current_turn() {
        let (out, _) = parse(&[
            json!({"timestamp": "2025-10-01T10:00:00Z", "type": "response_item",
                   "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "first ask"}]}}),
            json!({"timestamp": "2025-10-01T10:00:00Z", "type": "event_msg",
                   "payload": {"type": "user_message", "message": "first ask"}}),
            json!({"timestamp": "2025-10-01T10:00:03Z", "type": "event_msg",
                   "payload": {"type": "agent_message", "message": "first answer"}}),
            tc(
                "2025-10-01T10:00:05Z",
                usage(100, 0, 5, 0),
                usage(100, 0, 5, 0),
            ),
            json!({"timestamp": "2025-10-01T10:01:00Z", "type": "event_msg",
                   "payload": {"type": "user_message", "message": "second ask"}}),
            tc(
                "2025-10-01T10:01:05Z",
                usage(300, 0, 9, 0),
                usage(200, 0, 4, 0),
            ),
            tc(
                "2025-10-01T10:02:05Z",
                usage(500, 0, 12, 0),
                usage(200, 0, 3, 0),
            ),
        ]);
        let t0 = out.records[0].text.as_ref().unwrap();
        assert_eq!(t0.messages.len(), 1, "the user_message echo is not added");
        assert_eq!(t0.messages[0].content, "first ask");
        assert_eq!(t0.response, "first answer");
        let t1 = out.records[1].text.as_ref().unwrap();
        assert_eq!(t1.messages[0].content, "second ask");
        assert!(!t1.has_response);
        assert!(out.records[2].text.is_none());
    }
}
