//! Counting a whole request the way OpenAI bills chat models: message
//! framing and tool definitions included (OpenAI cookbook,
//! "How to count tokens with tiktoken": 3 tokens per message, 1 per name,
//! 3 to prime the reply; `num_tokens_for_tools` for function schemas).
//! For models whose framing is not public (Claude, Gemini) only the text is
//! counted, and the result is an approximation anyway.

use serde_json::Value;

use super::{TokenizeError, Tokenizer};
use crate::record::Text;

const TOKENS_PER_MESSAGE: usize = 3;
const TOKENS_PER_NAME: usize = 1;
const REPLY_PRIMING: usize = 3;
// Cookbook constants for gpt-4o-family tool schemas.
const FUNC_INIT: i64 = 7;
const PROP_INIT: i64 = 3;
const PROP_KEY: i64 = 3;
const ENUM_INIT: i64 = -3;
const ENUM_ITEM: i64 = 3;
const FUNC_END: i64 = 12;

/// Tokens of the prompt side of a request.
/// `framed` selects OpenAI chat framing; otherwise texts are summed.
pub fn prompt_tokens(
    tok: &dyn Tokenizer,
    text: &Text,
    framed: bool,
) -> Result<usize, TokenizeError> {
    let mut n = 0;
    // A tokenizer file of a family with a known template: the prompt as
    // the template writes it, markers included.
    if !framed
        && text.chat_framing
        && let Some(rendered) = tok.render_chat(&text.messages)
    {
        n += tok.count(&rendered)?;
        for def in &text.tools {
            n += tok.count(def)?;
        }
        return Ok(n);
    }
    for m in &text.messages {
        n += tok.count(&m.content)?;
        if framed {
            n += TOKENS_PER_MESSAGE + tok.count(&m.role)?;
            if let Some(name) = &m.name {
                n += TOKENS_PER_NAME + tok.count(name)?;
            }
        }
    }
    if framed && !text.messages.is_empty() {
        n += REPLY_PRIMING;
    }
    if !text.tools.is_empty() {
        n += if framed {
            tool_tokens(tok, &text.tools)?
        } else {
            let mut t = 0;
            for def in &text.tools {
                t += tok.count(def)?;
            }
            t
        };
    }
    Ok(n)
}

/// The cookbook's `num_tokens_for_tools`, on tool definitions in either the
/// Chat Completions shape (`{type, function: {…}}`) or the flat Responses
/// shape (`{type, name, description, parameters}`). A definition that is not
/// valid JSON is counted as text.
fn tool_tokens(tok: &dyn Tokenizer, defs: &[String]) -> Result<usize, TokenizeError> {
    let mut n: i64 = 0;
    for def in defs {
        let Ok(v) = serde_json::from_str::<Value>(def) else {
            n += tok.count(def)? as i64;
            continue;
        };
        let f = v.get("function").unwrap_or(&v);
        let name = f.get("name").and_then(Value::as_str).unwrap_or("");
        let desc = f.get("description").and_then(Value::as_str).unwrap_or("");
        let desc = desc.strip_suffix('.').unwrap_or(desc);
        n += FUNC_INIT + tok.count(&format!("{name}:{desc}"))? as i64;
        let props = f
            .get("parameters")
            .and_then(|p| p.get("properties"))
            .and_then(Value::as_object);
        if let Some(props) = props.filter(|p| !p.is_empty()) {
            n += PROP_INIT;
            for (key, prop) in props {
                n += PROP_KEY;
                let ty = prop.get("type").and_then(Value::as_str).unwrap_or("");
                let pdesc = prop
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let pdesc = pdesc.strip_suffix('.').unwrap_or(pdesc);
                if let Some(items) = prop.get("enum").and_then(Value::as_array) {
                    n += ENUM_INIT;
                    for item in items {
                        n += ENUM_ITEM;
                        let s = match item {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        n += tok.count(&s)? as i64;
                    }
                }
                n += tok.count(&format!("{key}:{ty}:{pdesc}"))? as i64;
            }
        }
    }
    n += FUNC_END;
    Ok(n.max(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Message;
    use crate::tokenize::Encoding;

    fn msg(role: &str, content: &str, name: Option<&str>) -> Message {
        Message {
            role: role.into(),
            name: name.map(Into::into),
            content: content.into(),
        }
    }

    /// The cookbook's worked example: these 7 messages are 129 prompt tokens
    /// for gpt-4o-2024-08-06 / gpt-4o-mini (o200k_base), as the notebook
    /// prints and the API confirmed.
    #[test]
    fn cookbook_example_messages() {
        let text = Text {
            messages: vec![
                msg(
                    "system",
                    "You are a helpful, pattern-following assistant that translates corporate jargon into plain English.",
                    None,
                ),
                msg(
                    "system",
                    "New synergies will help drive top-line growth.",
                    Some("example_user"),
                ),
                msg(
                    "system",
                    "Things working well together will increase revenue.",
                    Some("example_assistant"),
                ),
                msg(
                    "system",
                    "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
                    Some("example_user"),
                ),
                msg(
                    "system",
                    "Let's talk later when we're less busy about how to do better.",
                    Some("example_assistant"),
                ),
                msg(
                    "user",
                    "This late pivot means we don't have time to boil the ocean for the client deliverable.",
                    None,
                ),
            ],
            has_prompt: true,
            ..Text::default()
        };
        let tok = Encoding::O200kBase.tokenizer();
        assert_eq!(prompt_tokens(tok, &text, true).unwrap(), 124);
        let tok = Encoding::Cl100kBase.tokenizer();
        assert_eq!(prompt_tokens(tok, &text, true).unwrap(), 129);
    }

    /// Cookbook tool example: the weather function plus one user message is
    /// 101 prompt tokens on gpt-4o/gpt-4o-mini.
    #[test]
    fn cookbook_tool_example() {
        let tool = r#"{"type":"function","function":{"name":"get_current_weather","description":"Get the current weather in a given location","parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},"unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}},"required":["location"]}}}"#;
        let text = Text {
            messages: vec![
                msg(
                    "system",
                    "You are a helpful assistant that can answer to questions about the weather.",
                    None,
                ),
                msg("user", "What's the weather like in San Francisco?", None),
            ],
            tools: vec![tool.to_string()],
            has_prompt: true,
            ..Text::default()
        };
        let tok = Encoding::O200kBase.tokenizer();
        assert_eq!(prompt_tokens(tok, &text, true).unwrap(), 101);
    }
}
