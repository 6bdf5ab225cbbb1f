//! Chat templates of the model families whose tokenizer files declare
//! their turn markers: a request's messages rendered the way the family's
//! published chat template writes them, so that counting the rendering
//! counts the framing too (each marker is an added token: one token).
//!
//! Recognised from the tokenizer's added tokens. What is left out is an
//! estimate and said so in README, "Bring your own tokenizer": optional
//! preambles some templates add (Llama 3.1's knowledge-date lines), and
//! tool definitions, counted as their JSON text.

use crate::record::Message;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatTemplate {
    /// `<|im_start|>role\ncontent<|im_end|>\n` (Qwen, and other ChatML models).
    ChatMl,
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` after
    /// `<|begin_of_text|>` (Llama 3).
    Llama3,
    /// `<start_of_turn>role\ncontent<end_of_turn>\n` after `<bos>`, the
    /// assistant's role being `model` and a system prompt opening the first
    /// user turn (Gemma).
    Gemma,
    /// `<｜begin▁of▁sentence｜>system<｜User｜>content<｜Assistant｜>content<｜end▁of▁sentence｜>`
    /// (DeepSeek V3).
    DeepSeek,
}

impl ChatTemplate {
    /// The family whose markers `has` reports as added tokens.
    pub fn detect(has: impl Fn(&str) -> bool) -> Option<ChatTemplate> {
        if has("<|im_start|>") && has("<|im_end|>") {
            Some(ChatTemplate::ChatMl)
        } else if has("<|start_header_id|>") && has("<|eot_id|>") {
            Some(ChatTemplate::Llama3)
        } else if has("<start_of_turn>") && has("<end_of_turn>") {
            Some(ChatTemplate::Gemma)
        } else if has("<｜User｜>") && has("<｜Assistant｜>") {
            Some(ChatTemplate::DeepSeek)
        } else {
            None
        }
    }

    /// The prompt as the template writes it, ending where the model's
    /// reply begins.
    pub fn render(self, messages: &[Message]) -> String {
        let mut s = String::new();
        match self {
            ChatTemplate::ChatMl => {
                for m in messages {
                    s.push_str(&format!(
                        "<|im_start|>{}\n{}<|im_end|>\n",
                        m.role, m.content
                    ));
                }
                s.push_str("<|im_start|>assistant\n");
            }
            ChatTemplate::Llama3 => {
                s.push_str("<|begin_of_text|>");
                for m in messages {
                    s.push_str(&format!(
                        "<|start_header_id|>{}<|end_header_id|>\n\n{}<|eot_id|>",
                        m.role,
                        m.content.trim()
                    ));
                }
                s.push_str("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            ChatTemplate::Gemma => {
                s.push_str("<bos>");
                let mut system = String::new();
                for m in messages {
                    match m.role.as_str() {
                        "system" | "developer" => {
                            system.push_str(m.content.trim());
                            system.push_str("\n\n");
                        }
                        role => {
                            let role = if role == "assistant" { "model" } else { role };
                            s.push_str(&format!(
                                "<start_of_turn>{role}\n{}{}<end_of_turn>\n",
                                std::mem::take(&mut system),
                                m.content.trim()
                            ));
                        }
                    }
                }
                s.push_str("<start_of_turn>model\n");
            }
            ChatTemplate::DeepSeek => {
                s.push_str("<｜begin▁of▁sentence｜>");
                for m in messages.iter().filter(|m| m.role == "system") {
                    s.push_str(&m.content);
                }
                for m in messages.iter().filter(|m| m.role != "system") {
                    if m.role == "assistant" {
                        s.push_str(&format!(
                            "<｜Assistant｜>{}<｜end▁of▁sentence｜>",
                            m.content
                        ));
                    } else {
                        s.push_str(&format!("<｜User｜>{}", m.content));
                    }
                }
                s.push_str("<｜Assistant｜>");
            }
        }
        s
    }
}
