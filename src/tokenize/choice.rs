//! Which tokenizer counts a model's text, and whether the count is exact.
//! Billing, `count` and `check`'s prompt budgets all decide it here.

use anyhow::{Context, Result, bail};

use super::user::UserTokenizer;
use super::{Encoding, Tokenizer};
use crate::price::PriceBook;

/// A built-in encoding, or a tokenizer loaded from a file.
#[derive(Clone, Copy)]
pub enum Engine {
    Builtin(Encoding),
    File(&'static UserTokenizer),
}

impl Engine {
    pub fn tokenizer(self) -> &'static dyn Tokenizer {
        match self {
            Engine::Builtin(e) => e.tokenizer(),
            Engine::File(t) => t,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Builtin(e) => e.name(),
            Engine::File(t) => t.name(),
        }
    }
}

impl PartialEq for Engine {
    fn eq(&self, other: &Engine) -> bool {
        match (self, other) {
            (Engine::Builtin(a), Engine::Builtin(b)) => a == b,
            (Engine::File(a), Engine::File(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

impl Eq for Engine {}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Encoding> for Engine {
    fn from(e: Encoding) -> Engine {
        Engine::Builtin(e)
    }
}

/// Which tokenizer a model is counted with, and whether that is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenizerChoice {
    pub engine: Engine,
    /// False when the model's real tokenizer is not public (Claude 3+,
    /// Gemini): the count is an approximation and says so.
    pub exact: bool,
}

impl TokenizerChoice {
    /// The label every output carries: `o200k_base` or `approx:o200k_base`.
    pub fn label(&self) -> String {
        if self.exact {
            self.engine.name().to_string()
        } else {
            format!("approx:{}", self.engine.name())
        }
    }

    /// The tokenizer the price book names for `model`, else
    /// [`TokenizerChoice::for_unknown_model`]. Billing counts logged calls
    /// with it, approximations included (they are labelled `approx:`).
    pub fn for_model(book: Option<&PriceBook>, model: &str) -> TokenizerChoice {
        TokenizerChoice::from_book(book, model)
            .unwrap_or_else(|| TokenizerChoice::for_unknown_model(model))
    }

    /// The tokenizer the price book's entry for `model` names, exact or
    /// not as the entry says.
    fn from_book(book: Option<&PriceBook>, model: &str) -> Option<TokenizerChoice> {
        let entry = book?.find(model)?;
        let name = entry.tokenizer.as_deref()?;
        let engine = match Encoding::from_name(name) {
            Some(e) => Engine::Builtin(e),
            // A file named by an overlay, loaded (and checked) when the
            // overlay was read.
            None => Engine::File(
                UserTokenizer::shared(
                    std::path::Path::new(name),
                    entry.tokenizer_pattern.as_deref(),
                )
                .ok()?,
            ),
        };
        Some(TokenizerChoice {
            engine,
            exact: entry.tokenizer_exact,
        })
    }

    /// Fallback when the price book does not know the model: tiktoken's own
    /// model-name map (exact for OpenAI names), else an o200k approximation.
    pub fn for_unknown_model(model: &str) -> TokenizerChoice {
        let m = model.to_ascii_lowercase();
        let m = m.rsplit('/').next().unwrap_or(&m);
        let exact = |encoding: Encoding| TokenizerChoice {
            engine: encoding.into(),
            exact: true,
        };
        if m.starts_with("gpt-oss") {
            exact(Encoding::O200kHarmony)
        } else if m.starts_with("gpt-4o")
            || m.starts_with("chatgpt-4o")
            || m.starts_with("gpt-4.1")
            || m.starts_with("gpt-4.5")
            || m.starts_with("gpt-5")
            || m.starts_with("o1")
            || m.starts_with("o3")
            || m.starts_with("o4")
            || m.starts_with("ft:gpt-4o")
        {
            exact(Encoding::O200kBase)
        } else if m.starts_with("gpt-4")
            || m.starts_with("gpt-3.5")
            || m.starts_with("gpt-35")
            || m.starts_with("text-embedding")
            || m.starts_with("ft:gpt-4")
            || m.starts_with("ft:gpt-3.5")
            || m == "davinci-002"
            || m == "babbage-002"
        {
            exact(Encoding::Cl100kBase)
        } else if m.starts_with("text-davinci") || m.starts_with("code-") {
            exact(Encoding::P50kBase)
        } else {
            TokenizerChoice {
                engine: Encoding::O200kBase.into(),
                exact: false,
            }
        }
    }
}

/// `--tokenizer NAME|FILE`: a built-in encoding by name, else a tokenizer
/// file (exit 2 when it cannot be read or is not one).
pub fn named_tokenizer(name: &str, pattern: Option<&str>) -> Result<TokenizerChoice> {
    if let Some(e) = Encoding::from_name(name) {
        if pattern.is_some() {
            bail!("--tokenizer-pattern is for tokenizer files, not the built-in `{name}`");
        }
        return Ok(TokenizerChoice {
            engine: e.into(),
            exact: true,
        });
    }
    let t = UserTokenizer::shared(std::path::Path::new(name), pattern)?;
    Ok(TokenizerChoice {
        engine: Engine::File(t),
        exact: true,
    })
}

/// The tokenizer a user named with `--encoding` or `--model` (o200k_base
/// when neither is given), for `count` and prompt budgets. `what` prefixes
/// errors: `--` for flags, or a budget file's location. A model the price
/// book does not know is an error here rather than a silent approximation,
/// unlike in billing: a budget in tokens must be counted the model's way.
pub fn tokenizer_for(
    book: Option<&PriceBook>,
    model: Option<&str>,
    encoding: Option<&str>,
    what: &str,
) -> Result<TokenizerChoice> {
    if let Some(e) = encoding {
        let encoding = Encoding::from_name(e).with_context(|| {
            let names: Vec<&str> = Encoding::ALL.iter().map(|e| e.name()).collect();
            format!(
                "{what}encoding: unknown encoding `{e}`; expected one of: {}",
                names.join(", ")
            )
        })?;
        return Ok(TokenizerChoice {
            engine: encoding.into(),
            exact: true,
        });
    }
    let Some(model) = model else {
        return Ok(TokenizerChoice {
            engine: Encoding::O200kBase.into(),
            exact: true,
        });
    };
    if let Some(choice) = TokenizerChoice::from_book(book, model) {
        return Ok(choice);
    }
    let choice = TokenizerChoice::for_unknown_model(model);
    if !choice.exact {
        bail!(
            "{what}model: unknown model `{model}`; name a model from `tokenmaxx prices`, or pick a tokenizer with {what}encoding"
        );
    }
    Ok(choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_model_fallbacks() {
        let c = TokenizerChoice::for_unknown_model("gpt-4o-2099-01-01");
        assert_eq!(c.label(), "o200k_base");
        let c = TokenizerChoice::for_unknown_model("gpt-3.5-turbo-0125");
        assert_eq!(c.label(), "cl100k_base");
        let c = TokenizerChoice::for_unknown_model("claude-9");
        assert_eq!(c.label(), "approx:o200k_base");
        let c = TokenizerChoice::for_unknown_model("openai/gpt-oss-120b");
        assert_eq!(c.label(), "o200k_harmony");
    }
}
