//! Counting a record's tokens from its text, for `--usage counted`, records
//! without reported usage, and `--drift`.

use crate::ingest::Skip;
use crate::record::Record;
use crate::tokenize::memo::Memoized;
use crate::tokenize::{Tokenizer, TokenizerChoice, chat};

use super::{Biller, Counted};

impl Biller {
    /// Tokens of the record's text with the model's tokenizer (or a named
    /// approximation); `None` when the record has no text.
    pub(super) fn count(&self, record: &Record) -> Result<Option<Counted>, Skip> {
        let model = record.model.as_deref().unwrap_or("");
        let choice = self
            .tokenizer
            .unwrap_or_else(|| TokenizerChoice::for_model(Some(&self.book), model));
        self.count_with(record, choice)
    }

    /// Tokens of the record's text with `choice`; `None` without text.
    pub(super) fn count_with(
        &self,
        record: &Record,
        choice: TokenizerChoice,
    ) -> Result<Option<Counted>, Skip> {
        let Some(text) = record
            .text
            .as_ref()
            .filter(|t| t.has_prompt || t.has_response)
        else {
            return Ok(None);
        };
        let tok = &Memoized {
            inner: choice.engine.tokenizer(),
            cache: &self.counts,
        };
        // OpenAI's framing belongs to OpenAI's encodings; a tokenizer file
        // frames with its own family's template (tokenize/user/template.rs).
        let framed = text.chat_framing
            && choice.exact
            && matches!(choice.engine, crate::tokenize::Engine::Builtin(_));
        let err = |e: crate::tokenize::TokenizeError| Skip::new("tokenize failed", e.to_string());
        let prompt = if text.has_prompt {
            Some(chat::prompt_tokens(tok, text, framed).map_err(err)? as u64)
        } else {
            None
        };
        let response = if text.has_response {
            Some(tok.count(&text.response).map_err(err)? as u64)
        } else {
            None
        };
        Ok(Some(Counted {
            prompt,
            response,
            tokenizer: choice.label(),
            exact: choice.exact,
        }))
    }
}
