//! The price-table schema (`pricing/*.toml`) and its loading.
//!
//! The TOML is read into loose "raw" structs first (every number as a
//! `toml::Value`) so that each mistake can be reported with the file, the
//! model and the row it is in, e.g.
//! `pricing/x.toml: model `foo` row 2: `input` is not a decimal: "abc"`.
//! Loading only rejects what cannot be represented at all (bad TOML, unknown
//! fields, non-decimal prices, bad dates, missing required fields); semantic
//! problems (unordered dates, negative prices, ambiguous names, missing
//! provenance, …) are reported by [`super::PriceBook::check`].

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;

/// Encodings a table may name in `tokenizer`.
pub const KNOWN_TOKENIZERS: &[&str] = &[
    "o200k_base",
    "o200k_harmony",
    "cl100k_base",
    "p50k_base",
    "r50k_base",
];

/// One model: how it is matched, how it is tokenized, and its price history.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelEntry {
    /// Canonical id (also matched as a name).
    pub id: String,
    pub provider: String,
    /// Exact names (compared after normalization, see `pricing/README.md`).
    pub names: Vec<String>,
    /// A built-in encoding's name, or (from an overlay) the path of a
    /// tokenizer file, made absolute when the overlay was read.
    pub tokenizer: Option<String>,
    /// A tiktoken rank file's pre-tokenizer (a preset or a regex).
    pub tokenizer_pattern: Option<String>,
    /// False when `tokenizer` only approximates the model's real tokenizer.
    pub tokenizer_exact: bool,
    pub context_window: Option<u64>,
    /// Dated rows in file order; each is valid from `from` until the next
    /// later `from`.
    pub rows: Vec<PriceRow>,
    /// `embedded:pricing/openai.toml` or the overlay file's path.
    pub origin: String,
}

/// Prices in effect from a UTC date on. All prices are USD per 1M tokens,
/// except `web_search_per_1k` (USD per 1000 requests). A service tier
/// (batch, flex, priority) is priced either by a multiplier applied to every
/// bucket (`batch = "0.5"`) or by its own prices (`[model.price.batch]`),
/// where a bucket left out keeps the standard price: providers discount
/// some buckets and not others (OpenAI's and Google's batch prices halve
/// input and output while cached input keeps the standard rate).
#[derive(Clone, Debug, PartialEq)]
pub struct PriceRow {
    pub from: Date,
    pub input: Decimal,
    pub output: Decimal,
    pub cache_read: Option<Decimal>,
    pub cache_write_5m: Option<Decimal>,
    pub cache_write_1h: Option<Decimal>,
    pub web_search_per_1k: Option<Decimal>,
    /// Audio tokens inside the input and the output, where the provider
    /// prices them apart from text (USD per 1M).
    pub input_audio: Option<Decimal>,
    pub output_audio: Option<Decimal>,
    pub batch: Option<Decimal>,
    pub flex: Option<Decimal>,
    pub priority: Option<Decimal>,
    /// Own prices of the batch tier (instead of the `batch` multiplier).
    pub batch_prices: Option<TierPrices>,
    pub flex_prices: Option<TierPrices>,
    pub priority_prices: Option<TierPrices>,
    pub long_context: Option<LongContext>,
    pub source: String,
    pub checked: String,
    pub note: Option<String>,
}

/// A long-context tier: when a request's total input tokens (uncached input,
/// cache reads and cache writes together) exceed `above`, the *whole request*
/// is billed at these rates. A missing field takes the base row's field unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct LongContext {
    pub above: u64,
    pub input: Option<Decimal>,
    pub output: Option<Decimal>,
    pub cache_read: Option<Decimal>,
    pub cache_write_5m: Option<Decimal>,
    pub cache_write_1h: Option<Decimal>,
}

/// Prices of one bucket set; `None` keeps the standard price.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Buckets {
    pub input: Option<Decimal>,
    pub output: Option<Decimal>,
    pub cache_read: Option<Decimal>,
    pub cache_write_5m: Option<Decimal>,
    pub cache_write_1h: Option<Decimal>,
}

/// A service tier's own prices: for requests below the long-context
/// threshold, and (required when the row has a long-context tier) above it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TierPrices {
    pub base: Buckets,
    pub long_context: Option<Buckets>,
}

impl TierPrices {
    /// Standard `rates` with this tier's prices put in; buckets the tier does
    /// not price keep the standard rate.
    pub fn apply(&self, rates: &mut Rates) {
        let b = if rates.long_context {
            match &self.long_context {
                Some(b) => b,
                // Refused when the table is loaded; nothing to put in.
                None => return,
            }
        } else {
            &self.base
        };
        let set = |rate: &mut Decimal, v: Option<Decimal>| {
            if let Some(v) = v {
                *rate = v;
            }
        };
        set(&mut rates.input, b.input);
        set(&mut rates.output, b.output);
        set(&mut rates.cache_read, b.cache_read);
        set(&mut rates.cache_write_5m, b.cache_write_5m);
        set(&mut rates.cache_write_1h, b.cache_write_1h);
    }
}

/// Effective USD-per-1M-token rates for one request, after the long-context
/// tier and the missing-price fallbacks (before any service-tier multiplier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rates {
    pub input: Decimal,
    pub cache_read: Decimal,
    pub cache_write_5m: Decimal,
    pub cache_write_1h: Decimal,
    pub output: Decimal,
    /// True when the long-context tier applied.
    pub long_context: bool,
}

impl PriceRow {
    /// The rates a request with `total_input` input tokens (all input
    /// buckets together) is billed at.
    ///
    /// Fallbacks: a missing `cache_read` / `cache_write_*` bills at the input
    /// price in effect (no discount, no surcharge). When the tier applies,
    /// each missing tier field takes the base row's field, and only if the
    /// base row lacks it too does the input fallback apply (against the
    /// tier's input price).
    pub fn effective_rates(&self, total_input: u64) -> Rates {
        match &self.long_context {
            Some(t) if total_input > t.above => {
                let input = t.input.unwrap_or(self.input);
                Rates {
                    input,
                    cache_read: t.cache_read.or(self.cache_read).unwrap_or(input),
                    cache_write_5m: t.cache_write_5m.or(self.cache_write_5m).unwrap_or(input),
                    cache_write_1h: t.cache_write_1h.or(self.cache_write_1h).unwrap_or(input),
                    output: t.output.unwrap_or(self.output),
                    long_context: true,
                }
            }
            _ => Rates {
                input: self.input,
                cache_read: self.cache_read.unwrap_or(self.input),
                cache_write_5m: self.cache_write_5m.unwrap_or(self.input),
                cache_write_1h: self.cache_write_1h.unwrap_or(self.input),
                output: self.output,
                long_context: false,
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Raw TOML shape.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// Optional schema version; only 1 exists.
    schema: Option<i64>,
    #[serde(default)]
    model: Vec<RawModel>,
    /// `[model_map]`: logged name → the model it runs.
    model_map: Option<toml::Table>,
}

/// One price table read: its models and its `[model_map]`.
pub struct Table {
    pub models: Vec<ModelEntry>,
    /// Names a log uses for a model it does not name (an Azure OpenAI
    /// deployment, a gateway alias) → the model they run, e.g.
    /// `"support-bot-prod" = "gpt-4o-2024-08-06"`.
    pub model_map: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    id: Option<String>,
    provider: Option<String>,
    #[serde(default)]
    names: Vec<String>,
    tokenizer: Option<String>,
    tokenizer_pattern: Option<String>,
    tokenizer_exact: Option<bool>,
    context_window: Option<u64>,
    #[serde(default)]
    price: Vec<RawRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    from: Option<toml::Value>,
    input: Option<toml::Value>,
    output: Option<toml::Value>,
    cache_read: Option<toml::Value>,
    cache_write_5m: Option<toml::Value>,
    cache_write_1h: Option<toml::Value>,
    web_search_per_1k: Option<toml::Value>,
    input_audio: Option<toml::Value>,
    output_audio: Option<toml::Value>,
    batch: Option<toml::Value>,
    flex: Option<toml::Value>,
    priority: Option<toml::Value>,
    long_context: Option<RawTier>,
    source: Option<String>,
    checked: Option<toml::Value>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    above: Option<i64>,
    input: Option<toml::Value>,
    output: Option<toml::Value>,
    cache_read: Option<toml::Value>,
    cache_write_5m: Option<toml::Value>,
    cache_write_1h: Option<toml::Value>,
}

/// Parse one price table. `origin` prefixes every error and is stored in
/// each entry.
pub fn parse_table(origin: &str, text: &str) -> Result<Vec<ModelEntry>> {
    Ok(read_table(origin, text)?.models)
}

/// Parse one price table, `[model_map]` included, in one pass.
pub fn read_table(origin: &str, text: &str) -> Result<Table> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        // Only a table that fails is read a second time, to name the model
        // and row of an unknown field (TOML's own error gives a line).
        if let Ok(doc) = text.parse::<toml::Table>()
            && let Err(named) = unknown_fields(origin, &doc)
        {
            return named;
        }
        anyhow!(
            "{origin}: not a valid price table: {}",
            e.to_string().trim_end()
        )
    })?;
    if let Some(v) = raw.schema
        && v != 1
    {
        bail!("{origin}: unsupported `schema = {v}` (this tokenmaxx reads schema 1)");
    }
    let mut models = Vec::with_capacity(raw.model.len());
    for (i, m) in raw.model.into_iter().enumerate() {
        models.push(convert_model(origin, i + 1, m)?);
    }
    let model_map = raw
        .model_map
        .iter()
        .flatten()
        .map(|(k, v)| match v.as_str().map(str::trim) {
            Some(m) if !m.is_empty() && !k.trim().is_empty() => {
                Ok((k.trim().to_string(), m.to_string()))
            }
            _ => bail!("{origin}: model_map `{k}` must name a model as a string"),
        })
        .collect::<Result<_>>()?;
    Ok(Table { models, model_map })
}

const FILE_KEYS: &[&str] = &["schema", "model", "model_map"];

const MODEL_KEYS: &[&str] = &[
    "id",
    "provider",
    "names",
    "tokenizer",
    "tokenizer_pattern",
    "tokenizer_exact",
    "context_window",
    "price",
];
const ROW_KEYS: &[&str] = &[
    "from",
    "input",
    "output",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "web_search_per_1k",
    "input_audio",
    "output_audio",
    "batch",
    "flex",
    "priority",
    "long_context",
    "source",
    "checked",
    "note",
];
const TIER_KEYS: &[&str] = &[
    "above",
    "input",
    "output",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
];

/// The buckets a service tier's own prices may give.
const BUCKET_KEYS: &[&str] = &[
    "input",
    "output",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
];

/// A misspelled field would otherwise be a price silently not applied: say
/// which model and row it is in, and what the fields are.
fn unknown_fields(origin: &str, doc: &toml::Table) -> Result<()> {
    fn first_unknown<'t>(t: &'t toml::Table, known: &[&str]) -> Option<&'t str> {
        t.keys().map(String::as_str).find(|k| !known.contains(k))
    }
    let refuse = |at: String, key: &str, known: &[&str]| -> Result<()> {
        bail!(
            "{origin}: {at}unknown field `{key}` (fields here: {})",
            known.join(", ")
        )
    };
    if let Some(k) = first_unknown(doc, FILE_KEYS) {
        return refuse(String::new(), k, FILE_KEYS);
    }
    let models = doc.get("model").and_then(toml::Value::as_array);
    for (i, m) in models.into_iter().flatten().enumerate() {
        let Some(m) = m.as_table() else { continue };
        let name = match m.get("id").and_then(toml::Value::as_str) {
            Some(id) => format!("model `{id}`"),
            None => format!("model #{}", i + 1),
        };
        if let Some(k) = first_unknown(m, MODEL_KEYS) {
            return refuse(format!("{name}: "), k, MODEL_KEYS);
        }
        let rows = m.get("price").and_then(toml::Value::as_array);
        for (j, r) in rows.into_iter().flatten().enumerate() {
            let Some(r) = r.as_table() else { continue };
            if let Some(k) = first_unknown(r, ROW_KEYS) {
                return refuse(format!("{name} row {}: ", j + 1), k, ROW_KEYS);
            }
            if let Some(t) = r.get("long_context").and_then(toml::Value::as_table)
                && let Some(k) = first_unknown(t, TIER_KEYS)
            {
                return refuse(format!("{name} row {} long_context: ", j + 1), k, TIER_KEYS);
            }
        }
    }
    Ok(())
}

fn convert_model(origin: &str, n: usize, m: RawModel) -> Result<ModelEntry> {
    let id = match m.id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => bail!("{origin}: model #{n}: missing `id`"),
    };
    let ctx = format!("{origin}: model `{id}`");
    let provider = match m.provider.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => bail!("{ctx}: missing `provider`"),
    };
    let mut rows: Vec<PriceRow> = Vec::with_capacity(m.price.len());
    for (i, r) in m.price.into_iter().enumerate() {
        let row = convert_row(&format!("{ctx} row {}", i + 1), r)?;
        // Two rows from the same day leave the price of that day undecided.
        if let Some(j) = rows.iter().position(|o| o.from == row.from) {
            bail!(
                "{ctx}: rows {} and {} both start on {}: which price applies that day is undecided",
                j + 1,
                i + 1,
                row.from
            );
        }
        rows.push(row);
    }
    let tokenizer = match m.tokenizer.map(|s| s.trim().to_string()) {
        Some(t) if !KNOWN_TOKENIZERS.contains(&t.as_str()) && !origin.starts_with("embedded:") => {
            // A tokenizer file, relative to the overlay that names it;
            // loaded now so that a missing or invalid file stops the run
            // (exit 2) instead of silently counting with something else.
            let base = Path::new(origin).parent().unwrap_or(Path::new(""));
            let path = base.join(&t);
            if !path.exists() {
                bail!(
                    "{ctx}: unknown tokenizer `{t}`: not a built-in encoding ({}) and no file {}",
                    KNOWN_TOKENIZERS.join(", "),
                    path.display()
                );
            }
            crate::tokenize::user::UserTokenizer::shared(&path, m.tokenizer_pattern.as_deref())
                .with_context(|| format!("{ctx}: tokenizer `{t}`"))?;
            Some(path.to_string_lossy().into_owned())
        }
        other => other,
    };
    Ok(ModelEntry {
        id,
        provider,
        names: m.names.into_iter().map(|s| s.trim().to_string()).collect(),
        tokenizer,
        tokenizer_pattern: m.tokenizer_pattern,
        tokenizer_exact: m.tokenizer_exact.unwrap_or(true),
        context_window: m.context_window,
        rows,
        origin: origin.to_string(),
    })
}

fn convert_row(ctx: &str, r: RawRow) -> Result<PriceRow> {
    let from = match &r.from {
        Some(v) => date(ctx, "from", v)?,
        None => bail!("{ctx}: missing `from` (the UTC date the row takes effect, YYYY-MM-DD)"),
    };
    let req = |field: &str, v: &Option<toml::Value>| -> Result<Decimal> {
        match v {
            Some(v) => decimal(ctx, field, v),
            None => bail!("{ctx}: missing `{field}` (USD per 1M tokens, e.g. \"2.50\")"),
        }
    };
    let opt = |field: &str, v: &Option<toml::Value>| -> Result<Option<Decimal>> {
        v.as_ref().map(|v| decimal(ctx, field, v)).transpose()
    };
    let long_context = match r.long_context {
        None => None,
        Some(t) => Some(LongContext {
            above: match t.above {
                Some(a) if a >= 0 => a as u64,
                Some(a) => bail!("{ctx}: `long_context.above` is negative: {a}"),
                None => {
                    bail!("{ctx}: `long_context` needs `above` (the total-input-token threshold)")
                }
            },
            input: opt("long_context.input", &t.input)?,
            output: opt("long_context.output", &t.output)?,
            cache_read: opt("long_context.cache_read", &t.cache_read)?,
            cache_write_5m: opt("long_context.cache_write_5m", &t.cache_write_5m)?,
            cache_write_1h: opt("long_context.cache_write_1h", &t.cache_write_1h)?,
        }),
    };
    let checked = match &r.checked {
        None => String::new(),
        Some(toml::Value::String(s)) => s.trim().to_string(),
        Some(toml::Value::Datetime(d)) => d.to_string(),
        Some(other) => bail!(
            "{ctx}: `checked` must be a date string like \"2026-11-27\", found {}",
            other.type_str()
        ),
    };
    Ok(PriceRow {
        from,
        input: req("input", &r.input)?,
        output: req("output", &r.output)?,
        cache_read: opt("cache_read", &r.cache_read)?,
        cache_write_5m: opt("cache_write_5m", &r.cache_write_5m)?,
        cache_write_1h: opt("cache_write_1h", &r.cache_write_1h)?,
        web_search_per_1k: opt("web_search_per_1k", &r.web_search_per_1k)?,
        input_audio: opt("input_audio", &r.input_audio)?,
        output_audio: opt("output_audio", &r.output_audio)?,
        batch: multiplier(&r.batch)
            .map(|v| decimal(ctx, "batch", v))
            .transpose()?,
        flex: multiplier(&r.flex)
            .map(|v| decimal(ctx, "flex", v))
            .transpose()?,
        priority: multiplier(&r.priority)
            .map(|v| decimal(ctx, "priority", v))
            .transpose()?,
        batch_prices: tier_prices(ctx, "batch", &r.batch, long_context.is_some())?,
        flex_prices: tier_prices(ctx, "flex", &r.flex, long_context.is_some())?,
        priority_prices: tier_prices(ctx, "priority", &r.priority, long_context.is_some())?,
        long_context,
        source: r.source.map(|s| s.trim().to_string()).unwrap_or_default(),
        checked,
        note: r.note,
    })
}

/// A service tier given as a multiplier (`batch = "0.5"`), not a table.
fn multiplier(v: &Option<toml::Value>) -> Option<&toml::Value> {
    v.as_ref().filter(|v| !v.is_table())
}

/// A service tier given as its own prices (`[model.price.batch]`).
fn tier_prices(
    ctx: &str,
    tier: &str,
    v: &Option<toml::Value>,
    row_has_long_context: bool,
) -> Result<Option<TierPrices>> {
    let Some(t) = v.as_ref().and_then(toml::Value::as_table) else {
        return Ok(None);
    };
    // These tables are read key by key (the typed parse keeps them as TOML
    // values), so a misspelled bucket is refused here.
    let refuse_unknown = |t: &toml::Table, at: &str, extra: &[&str]| -> Result<()> {
        match t
            .keys()
            .find(|k| !BUCKET_KEYS.contains(&k.as_str()) && !extra.contains(&k.as_str()))
        {
            None => Ok(()),
            Some(k) => {
                let mut known = BUCKET_KEYS.to_vec();
                known.extend_from_slice(extra);
                bail!(
                    "{ctx} {at}: unknown field `{k}` (fields here: {})",
                    known.join(", ")
                )
            }
        }
    };
    refuse_unknown(t, tier, &["long_context"])?;
    if let Some(lc) = t.get("long_context").and_then(toml::Value::as_table) {
        refuse_unknown(lc, &format!("{tier}.long_context"), &[])?;
    }
    let buckets = |t: &toml::Table, at: &str| -> Result<Buckets> {
        let get = |k: &str| {
            t.get(k)
                .map(|v| decimal(ctx, &format!("{at}.{k}"), v))
                .transpose()
        };
        Ok(Buckets {
            input: get("input")?,
            output: get("output")?,
            cache_read: get("cache_read")?,
            cache_write_5m: get("cache_write_5m")?,
            cache_write_1h: get("cache_write_1h")?,
        })
    };
    let long_context = match t.get("long_context") {
        None => None,
        Some(toml::Value::Table(lc)) => Some(buckets(lc, &format!("{tier}.long_context"))?),
        Some(other) => bail!(
            "{ctx}: `{tier}.long_context` must be a table of prices, found {}",
            other.type_str()
        ),
    };
    if row_has_long_context && long_context.is_none() {
        // Below-threshold tier prices must not price a long request.
        bail!(
            "{ctx}: the row has a long-context tier, so `[model.price.{tier}]` needs \
             `[model.price.{tier}.long_context]` prices too"
        );
    }
    Ok(Some(TierPrices {
        base: buckets(t, tier)?,
        long_context,
    }))
}

/// A price: a decimal string (`"2.50"`), a TOML integer, or a TOML float
/// read through its shortest text (`2.5` is exactly 2.5, `0.1` exactly 0.1,
/// never the nearest binary fraction). Negative prices are refused: a
/// table that says a token earns money is a typo, and would under-bill.
fn decimal(ctx: &str, field: &str, v: &toml::Value) -> Result<Decimal> {
    let d = match v {
        toml::Value::String(s) => Decimal::from_str_exact(s.trim())
            .map_err(|_| anyhow!("{ctx}: `{field}` is not a decimal: {s:?}"))?,
        toml::Value::Integer(i) => Decimal::from(*i),
        toml::Value::Float(f) if f.is_finite() => Decimal::from_str_exact(&f.to_string())
            .map_err(|_| anyhow!("{ctx}: `{field}` = {f} has more digits than a price can hold"))?,
        toml::Value::Float(f) => bail!("{ctx}: `{field}` is not a number: {f}"),
        other => bail!(
            "{ctx}: `{field}` must be a number or a decimal string like \"2.50\", found {}",
            other.type_str()
        ),
    };
    if d.is_sign_negative() && !d.is_zero() {
        bail!("{ctx}: `{field}` is negative ({d}): a price cannot be below zero");
    }
    Ok(d)
}

fn date(ctx: &str, field: &str, v: &toml::Value) -> Result<Date> {
    let s = match v {
        toml::Value::String(s) => s.trim().to_string(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        other => bail!(
            "{ctx}: `{field}` must be a UTC date like \"2025-06-10\", found {}",
            other.type_str()
        ),
    };
    parse_date(&s).ok_or_else(|| anyhow!("{ctx}: `{field}` is not a date (YYYY-MM-DD): {s:?}"))
}

/// Strict `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Date::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_table("x.toml", text).unwrap_err().to_string()
    }

    const HEAD: &str = "[[model]]\nid = \"foo\"\nprovider = \"p\"\n";

    #[test]
    fn errors_name_file_model_row_and_field() {
        let text = format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = \"1\"\noutput = \"2\"\nsource = \"s\"\nchecked = \"2026-01-01\"\n\
             [[model.price]]\nfrom = \"2024-02-01\"\ninput = \"abc\"\noutput = \"2\"\n"
        );
        assert_eq!(
            err(&text),
            "x.toml: model `foo` row 2: `input` is not a decimal: \"abc\""
        );
    }

    #[test]
    fn unknown_fields_and_bad_dates_are_refused() {
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = \"1\"\noutput = \"2\"\ncache_reed = \"1\"\n"
        ));
        assert!(
            e.starts_with(
                "x.toml: model `foo` row 1: unknown field `cache_reed` (fields here: from, input,"
            ),
            "{e}"
        );
        let e = err(&format!("{HEAD}colour = \"red\"\n"));
        assert!(
            e.starts_with("x.toml: model `foo`: unknown field `colour`"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = \"1\"\noutput = \"2\"\n[model.price.long_context]\nabove = 1\nimput = \"2\"\n"
        ));
        assert!(
            e.starts_with("x.toml: model `foo` row 1 long_context: unknown field `imput`"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-13-01\"\ninput = \"1\"\noutput = \"2\"\n"
        ));
        assert!(e.contains("`from` is not a date"), "{e}");
        let e = err(&format!(
            "{HEAD}[[model.price]]\ninput = \"1\"\noutput = \"2\"\n"
        ));
        assert!(e.contains("row 1: missing `from`"), "{e}");
        let e = err("[[model]]\nprovider = \"p\"\n");
        assert_eq!(e, "x.toml: model #1: missing `id`");
    }

    /// Overlays are written by people: `input = 2.0` must mean exactly 2,
    /// and `0.1` exactly 0.1, not the binary fraction nearest to it.
    #[test]
    fn plain_numbers_are_exact_prices() {
        let text = format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = 2.0\noutput = 0.1\ncache_read = 2.5e-6\n"
        );
        let m = parse_table("x.toml", &text).unwrap();
        let r = &m[0].rows[0];
        assert_eq!(r.input, Decimal::from(2));
        assert_eq!(r.output.to_string(), "0.1");
        assert_eq!(r.cache_read.unwrap().to_string(), "0.0000025");
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = nan\noutput = 1\n"
        ));
        assert!(e.contains("`input` is not a number"), "{e}");
    }

    /// A negative price or two rows from one day would misprice silently:
    /// refused when the table is loaded, with file, model, row and field.
    #[test]
    fn negative_prices_and_rows_of_one_day_are_refused() {
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = -1.0\noutput = 1\n"
        ));
        assert_eq!(
            e,
            "x.toml: model `foo` row 1: `input` is negative (-1): a price cannot be below zero"
        );
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = 1\noutput = 1\n[model.price.long_context]\nabove = 5\ncache_read = \"-0.5\"\n"
        ));
        assert!(
            e.contains("row 1: `long_context.cache_read` is negative (-0.5)"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = 1\noutput = 1\n\
             [[model.price]]\nfrom = \"2024-06-01\"\ninput = 2\noutput = 2\n\
             [[model.price]]\nfrom = 2024-01-01\ninput = 3\noutput = 3\n"
        ));
        assert_eq!(
            e,
            "x.toml: model `foo`: rows 1 and 3 both start on 2024-01-01: which price applies that day is undecided"
        );
    }

    /// A service tier priced bucket by bucket: what it leaves out keeps the
    /// standard price; above a long-context threshold it must say its
    /// prices too, or a long request would get the short-request discount.
    #[test]
    fn service_tier_prices_tables() {
        let text = format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = 2\noutput = 8\ncache_read = \"0.5\"\n[model.price.batch]\ninput = 1\noutput = 4\n"
        );
        let m = parse_table("x.toml", &text).unwrap();
        let r = &m[0].rows[0];
        assert_eq!(r.batch, None);
        let t = r.batch_prices.as_ref().unwrap();
        let mut rates = r.effective_rates(10);
        t.apply(&mut rates);
        assert_eq!(rates.input, Decimal::from(1));
        assert_eq!(rates.output, Decimal::from(4));
        assert_eq!(rates.cache_read.to_string(), "0.5");
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = 2\noutput = 8\n[model.price.long_context]\nabove = 10\ninput = 4\n[model.price.batch]\ninput = 1\n"
        ));
        assert!(
            e.contains("row 1: the row has a long-context tier, so `[model.price.batch]` needs"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = 2\noutput = 8\n[model.price.flex]\nimput = 1\n"
        ));
        assert!(
            e.starts_with("x.toml: model `foo` row 1 flex: unknown field `imput`"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}[[model.price]]\nfrom = \"2024-01-01\"\ninput = 2\noutput = 8\n[model.price.priority]\noutput = -3\n"
        ));
        assert!(e.contains("`priority.output` is negative"), "{e}");
    }

    /// The field lists that name an unknown field must be the fields the
    /// typed parse accepts: a table using every listed field parses.
    #[test]
    fn the_named_field_lists_match_the_accepted_fields() {
        let line = |k: &str| match k {
            "id" | "provider" | "tokenizer" | "source" | "checked" | "note" => {
                format!("{k} = \"o200k_base\"\n")
            }
            "names" => format!("{k} = [\"x\"]\n"),
            "tokenizer_exact" => format!("{k} = true\n"),
            "context_window" | "above" => format!("{k} = 10\n"),
            "from" => format!("{k} = \"2024-01-01\"\n"),
            _ => format!("{k} = \"1\"\n"),
        };
        let mut text = String::from("schema = 1\n[[model]]\n");
        for k in MODEL_KEYS.iter().filter(|k| **k != "price") {
            text.push_str(&line(k));
        }
        text.push_str("[[model.price]]\n");
        for k in ROW_KEYS.iter().filter(|k| **k != "long_context") {
            text.push_str(&line(k));
        }
        text.push_str("[model.price.long_context]\n");
        for k in TIER_KEYS {
            text.push_str(&line(k));
        }
        assert!(FILE_KEYS.contains(&"schema") && FILE_KEYS.contains(&"model"));
        parse_table("x.toml", &text).unwrap();
    }

    #[test]
    fn toml_dates_and_integers_are_accepted() {
        let text = format!(
            "{HEAD}[[model.price]]\nfrom = 2024-01-01\ninput = 5\noutput = \"15.00\"\nchecked = 2026-11-27\nsource = \"s\"\n"
        );
        let m = parse_table("x.toml", &text).unwrap();
        assert_eq!(m[0].rows[0].from, jiff::civil::date(2024, 1, 1));
        assert_eq!(m[0].rows[0].input, Decimal::from(5));
        assert_eq!(m[0].rows[0].checked, "2026-11-27");
        assert!(m[0].tokenizer_exact);
    }
}
