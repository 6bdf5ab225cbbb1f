//! Prompt and response text of a span, from every attribute and event
//! shape the instrumentations write.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::attributes::{attr, json_attr};
use super::{INDEXED_COMPLETIONS, INDEXED_PROMPTS};
use crate::ingest::fields::text::{append_json_text, append_text};
use crate::record::{Message, Text};

/// Text of a message, part or content in the shapes GenAI instrumentations
/// log: strings; `{type:"text", content}` parts; `text`/`thinking`
/// blocks; tool calls (`name`/`toolName` with `arguments`/`args`/`input`);
/// tool results (`response`/`result`/`output`); OpenAI `tool_calls` and
/// `function`; nested `parts`, `message`, `choices`. Binary parts carry no
/// countable text.
pub(crate) fn part_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => append_text(out, s),
        Value::Array(a) => {
            for x in a {
                part_text(x, out);
            }
        }
        Value::Object(m) => {
            let kind = m.get("type").and_then(Value::as_str).unwrap_or("");
            if matches!(
                kind,
                "blob"
                    | "uri"
                    | "file"
                    | "image"
                    | "image_url"
                    | "input_image"
                    | "audio"
                    | "input_audio"
            ) {
                return;
            }
            for key in ["text", "content", "thinking", "reasoning"] {
                if let Some(x) = m.get(key) {
                    part_text(x, out);
                }
            }
            let args = ["arguments", "args", "input"]
                .iter()
                .find_map(|k| m.get(*k).filter(|x| !x.is_null()));
            if let Some(args) = args {
                if let Some(name) = ["name", "toolName"]
                    .iter()
                    .find_map(|k| m.get(*k).and_then(Value::as_str))
                {
                    append_text(out, name);
                }
                append_json_text(out, args);
            }
            for key in ["response", "result", "output"] {
                if let Some(x) = m.get(key) {
                    append_json_text(out, x);
                }
            }
            for key in [
                "function",
                "tool_calls",
                "toolCalls",
                "parts",
                "message",
                "choices",
            ] {
                if let Some(x) = m.get(key) {
                    part_text(x, out);
                }
            }
        }
        _ => {}
    }
}

pub(super) fn message(role: &str, content: String) -> Message {
    Message {
        role: role.to_string(),
        name: None,
        content,
    }
}

/// Prompt messages from a decoded value: a list of `{role, parts|content}`
/// messages (also OpenInference `{message:{role, content}}`), an object
/// with `system` and `messages` or `prompt` (Vercel `ai.prompt`), a single
/// message, or a plain string.
pub(crate) fn push_messages(v: &Value, msgs: &mut Vec<Message>) {
    match v {
        Value::Array(items) => {
            for m in items {
                let m = m.get("message").filter(|x| x.is_object()).unwrap_or(m);
                let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
                let mut content = String::new();
                match m {
                    Value::Object(o) => {
                        if let Some(p) = o.get("parts") {
                            part_text(p, &mut content);
                        } else {
                            part_text(m, &mut content);
                        }
                    }
                    other => part_text(other, &mut content),
                }
                msgs.push(message(role, content));
            }
        }
        Value::Object(o) if o.contains_key("messages") || o.contains_key("prompt") => {
            if let Some(s) = o.get("system") {
                let mut content = String::new();
                part_text(s, &mut content);
                msgs.push(message("system", content));
            }
            if let Some(m) = o.get("messages") {
                push_messages(&json_attr(m), msgs);
            }
            if let Some(p) = o.get("prompt") {
                let mut content = String::new();
                part_text(&json_attr(p), &mut content);
                msgs.push(message("user", content));
            }
        }
        Value::Null => {}
        other => {
            let role = other.get("role").and_then(Value::as_str).unwrap_or("user");
            let mut content = String::new();
            part_text(other, &mut content);
            msgs.push(message(role, content));
        }
    }
}

/// OpenLLMetry / OpenInference indexed messages (`gen_ai.prompt.0.role`,
/// `gen_ai.prompt.0.content`, `….tool_calls.0.name`), in index order.
pub(super) fn indexed(
    attrs: &Map<String, Value>,
    (prefix, role_key, content_key): (&str, &str, &str),
) -> BTreeMap<u64, (Option<String>, String)> {
    let mut by_index: BTreeMap<u64, (Option<String>, String)> = BTreeMap::new();
    for (k, v) in attrs {
        let Some((idx, field)) = k.strip_prefix(prefix).and_then(|r| r.split_once('.')) else {
            continue;
        };
        let Ok(i) = idx.parse::<u64>() else {
            continue;
        };
        let entry = by_index.entry(i).or_default();
        if field == role_key {
            entry.0 = v.as_str().map(str::to_string);
        } else if field == content_key {
            part_text(&json_attr(v), &mut entry.1);
        } else if field.contains("tool_calls.")
            && (field.ends_with(".name") || field.ends_with(".arguments"))
        {
            append_json_text(&mut entry.1, v);
        }
    }
    by_index
}

/// Messages carried by `gen_ai.*.message` / `gen_ai.choice` span events.
#[derive(Default)]
pub(super) struct EventText {
    pub(super) prompt: Vec<Message>,
    pub(super) response: Option<String>,
}

pub(super) fn event_content(attrs: &Value) -> String {
    let mut s = String::new();
    for key in ["content", "gen_ai.event.content", "message", "body"] {
        if let Some(v) = attr(attrs, key) {
            part_text(&json_attr(v), &mut s);
            if !s.is_empty() {
                break;
            }
        }
    }
    s
}

pub(super) fn span_text(attrs: &Value, events: &EventText, framed: bool) -> Text {
    let mut text = Text::default();
    let flat = attrs.as_object();
    if let Some(sys) = attr(attrs, "gen_ai.system_instructions") {
        let mut content = String::new();
        part_text(&json_attr(sys), &mut content);
        text.messages.push(message("system", content));
    }
    let mut prompt = Vec::new();
    for key in ["gen_ai.input.messages", "gen_ai.prompt"] {
        if let Some(v) = attr(attrs, key) {
            push_messages(&json_attr(v), &mut prompt);
            break;
        }
    }
    if prompt.is_empty()
        && let Some(flat) = flat
    {
        for spec in INDEXED_PROMPTS {
            let found = indexed(flat, *spec);
            if !found.is_empty() {
                for (role, content) in found.into_values() {
                    prompt.push(message(role.as_deref().unwrap_or("user"), content));
                }
                break;
            }
        }
    }
    if prompt.is_empty() {
        for key in ["llm.input_messages", "ai.prompt.messages", "ai.prompt"] {
            if let Some(v) = attr(attrs, key) {
                push_messages(&json_attr(v), &mut prompt);
                break;
            }
        }
    }
    if prompt.is_empty() {
        prompt.extend(events.prompt.iter().cloned());
    }
    text.has_prompt = !prompt.is_empty();
    text.chat_framing = framed && text.has_prompt;
    text.messages.extend(prompt);

    let mut response = String::new();
    let mut has_response = false;
    for key in ["gen_ai.output.messages", "gen_ai.completion"] {
        if let Some(v) = attr(attrs, key) {
            part_text(&json_attr(v), &mut response);
            has_response = true;
            break;
        }
    }
    if !has_response && let Some(flat) = flat {
        for spec in INDEXED_COMPLETIONS {
            let found = indexed(flat, *spec);
            if !found.is_empty() {
                for (_, content) in found.into_values() {
                    append_text(&mut response, &content);
                }
                has_response = true;
                break;
            }
        }
    }
    if !has_response && let Some(v) = attr(attrs, "llm.output_messages") {
        part_text(&json_attr(v), &mut response);
        has_response = true;
    }
    if !has_response {
        for key in [
            "ai.response.text",
            "ai.response.toolCalls",
            "ai.response.object",
        ] {
            if let Some(v) = attr(attrs, key) {
                part_text(&json_attr(v), &mut response);
                has_response = true;
            }
        }
    }
    if !has_response && let Some(r) = &events.response {
        append_text(&mut response, r);
        has_response = true;
    }
    text.response = response;
    text.has_response = has_response;

    if let Some(tools) = attr(attrs, "gen_ai.tool.definitions").map(json_attr) {
        match tools {
            Value::Array(a) => text.tools.extend(a.iter().map(Value::to_string)),
            Value::Null => {}
            other => text.tools.push(other.to_string()),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::*;
    use super::*;

    #[test]
    fn text_from_every_shape() {
        let attrs = json!({
            "gen_ai.system_instructions": "[{\"type\":\"text\",\"content\":\"Be kind.\"}]",
            "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"},{\"type\":\"blob\",\"content\":\"AAAA\"}]},{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"name\":\"f\",\"arguments\":{\"x\":1}}]}]",
            "gen_ai.output.messages": "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"yo\"}],\"finish_reason\":\"stop\"}]",
            "gen_ai.tool.definitions": "[{\"name\":\"f\"}]"
        });
        let t = span_text(&attrs, &EventText::default(), true);
        assert_eq!(t.messages.len(), 3);
        assert_eq!(t.messages[0].content, "Be kind.");
        assert_eq!(t.messages[1].content, "hi");
        assert_eq!(t.messages[2].content, "f\n{\"x\":1}");
        assert_eq!(t.response, "yo");
        assert_eq!(t.tools, vec!["{\"name\":\"f\"}".to_string()]);
        assert!(t.has_prompt && t.has_response && t.chat_framing);

        let indexed = json!({
            "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "second",
            "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "first",
            "gen_ai.completion.0.content": "answer",
            "gen_ai.completion.0.tool_calls.0.name": "lookup"
        });
        let t = span_text(&indexed, &EventText::default(), true);
        let roles: Vec<&str> = t.messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, vec!["system", "user"]);
        assert_eq!(t.messages[1].content, "second");
        assert_eq!(t.response, "answer\nlookup");

        let vercel = json!({
            "ai.prompt": "{\"system\":\"Plan.\",\"prompt\":\"Go\"}",
            "ai.response.text": "Done",
            "ai.response.toolCalls": "[{\"toolName\":\"w\",\"args\":\"{}\"}]"
        });
        let t = span_text(&vercel, &EventText::default(), true);
        assert_eq!(t.messages.len(), 2);
        assert_eq!(t.response, "Done\nw\n{}");

        let ev = EventText {
            prompt: vec![message("user", "from event".into())],
            response: Some("chosen".into()),
        };
        let t = span_text(&json!({}), &ev, false);
        assert_eq!(t.messages[0].content, "from event");
        assert_eq!(t.response, "chosen");
        assert!(!t.chat_framing);
    }

    #[test]
    fn details_event_stands_in_for_span_attributes() {
        let mut sp = chat("t", "a", "", 10, 2);
        sp["events"] = json!([{"name": "gen_ai.client.inference.operation.details",
            "attributes": [s("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"q\"}]}]")]},
            {"name": "gen_ai.choice", "attributes": [s("message", "{\"content\":\"a\"}")]}]);
        let (out, _) = run(&[doc(vec![sp])]);
        let t = out.records[0].text.as_ref().unwrap();
        assert_eq!(t.messages[0].content, "q");
        assert_eq!(t.response, "a");
    }
}
