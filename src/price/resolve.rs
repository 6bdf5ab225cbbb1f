//! Model-name normalization, matching, and the dated row lookup.

use rustc_hash::FxHashMap as HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::table::{ModelEntry, PriceRow};
use super::{Resolved, Unpriced};

/// Provider/router prefixes stripped (repeatedly) before matching.
const PREFIXES: &[&str] = &[
    "openai/",
    "anthropic/",
    "anthropic.",
    "bedrock/",
    "bedrock_converse/",
    "vertex_ai/",
    "vertex_ai_beta/",
    "gemini/",
    "google/",
    "models/",
    "azure/",
];

/// Bedrock cross-region inference profile prefixes (`us.anthropic.…`).
const BEDROCK_REGIONS: &[&str] = &[
    "us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global.",
];

/// Normalize a logged model name for matching (see `pricing/README.md`):
/// lowercase, trim, strip provider prefixes, Bedrock `-vN:M` suffixes, and
/// turn Vertex `@` into `-`.
pub fn normalize(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut s: &str = &lower;
    loop {
        let before = s.len();
        if let Some(rest) = s.strip_prefix("openrouter/") {
            // openrouter/<vendor>/<model>
            s = rest.split_once('/').map_or(rest, |(_, m)| m);
        }
        for p in PREFIXES {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest;
            }
        }
        for r in BEDROCK_REGIONS {
            if let Some(rest) = s.strip_prefix(r)
                && let Some(rest) = rest.strip_prefix("anthropic.")
            {
                s = rest;
            }
        }
        if s.len() == before {
            break;
        }
    }
    let mut out = s.trim().replace('@', "-");
    if let Some(base) = strip_bedrock_version(&out) {
        out.truncate(base);
    }
    out
}

/// Length of `s` without a trailing Bedrock version `-v<digits>:<digits>`.
fn strip_bedrock_version(s: &str) -> Option<usize> {
    let (head, tail) = s.rsplit_once("-v")?;
    let (major, minor) = tail.split_once(':')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    (digits(major) && digits(minor) && !head.is_empty()).then_some(head.len())
}

/// Strip one dated-snapshot suffix: `-YYYY-MM-DD`, `-YYYYMMDD` or `-latest`.
/// Preview suffixes (`-preview-04-17`) are deliberately kept: previews are
/// priced differently from the GA model.
pub fn strip_date_suffix(s: &str) -> Option<&str> {
    if let Some(base) = s.strip_suffix("-latest") {
        return (!base.is_empty()).then_some(base);
    }
    let b = s.as_bytes();
    let is_digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    // -YYYY-MM-DD
    if b.len() > 11 {
        let t = &b[b.len() - 11..];
        if t[0] == b'-'
            && t[5] == b'-'
            && t[8] == b'-'
            && is_digits(&t[1..5])
            && is_digits(&t[6..8])
            && is_digits(&t[9..11])
            && t[1..3] == *b"20"
        {
            return Some(&s[..s.len() - 11]);
        }
    }
    // -YYYYMMDD
    if b.len() > 9 {
        let t = &b[b.len() - 9..];
        if t[0] == b'-' && is_digits(&t[1..]) && t[1..3] == *b"20" {
            return Some(&s[..s.len() - 9]);
        }
    }
    None
}

/// A table name that says which region or cloud partition served the
/// request (a Bedrock inference profile `us.anthropic.…`, a Bedrock region
/// path `bedrock/us-gov-west-1/…`): such routes are priced apart (Bedrock's
/// geographic profiles cost about 10 % more than the global one), so the name
/// matches only itself, before normalization would strip the region. The key
/// is the lowercased name, `@` as `-`, and any leading `bedrock/` or
/// `bedrock_converse/` router prefix removed unless a region path follows.
pub fn channel_key(name: &str) -> Option<String> {
    let lower = name.trim().to_lowercase().replace('@', "-");
    let mut s: &str = &lower;
    for p in ["bedrock_converse/", "bedrock/"] {
        if let Some(rest) = s.strip_prefix(p) {
            if rest.contains('/') {
                // `bedrock/<region>/<model>`: the region is the channel.
                return Some(format!("bedrock/{rest}"));
            }
            s = rest;
        }
    }
    let (head, rest) = s.split_once('.')?;
    (BEDROCK_REGIONS.contains(&&s[..head.len() + 1]) && !rest.is_empty()).then(|| s.to_string())
}

/// The key a table name is indexed under: its channel key (marked, so it
/// never equals a normalized name) or its normalized form.
pub fn name_key(name: &str) -> String {
    channel_key(name).map_or_else(|| normalize(name), |k| format!("@{k}"))
}

/// The name index: channel names (see [`channel_key`]) and normalized names.
#[derive(Clone, Debug, Default)]
pub struct Index {
    channel: HashMap<String, usize>,
    normal: HashMap<String, usize>,
}

impl Index {
    /// Which model owns `name` as the table spells it.
    pub fn owner(&self, name: &str) -> Option<usize> {
        match channel_key(name) {
            Some(k) => self.channel.get(&k).copied(),
            None => self.normal.get(&normalize(name)).copied(),
        }
    }
}

/// Name → index into the model list. Later models win, so an overlay's names
/// beat the embedded tables (`check` reports the clash), and the curated
/// tables beat the imported ones loaded before them.
pub fn build_index(models: &[ModelEntry]) -> Index {
    let mut index = Index::default();
    for (i, m) in models.iter().enumerate() {
        for name in std::iter::once(&m.id).chain(&m.names) {
            match channel_key(name) {
                Some(k) => {
                    index.channel.insert(k, i);
                }
                None => {
                    let key = normalize(name);
                    if !key.is_empty() {
                        index.normal.insert(key, i);
                    }
                }
            }
        }
    }
    index
}

pub fn find<'a>(models: &'a [ModelEntry], index: &Index, model: &str) -> Option<&'a ModelEntry> {
    if let Some(k) = channel_key(model)
        && let Some(&i) = index.channel.get(&k)
    {
        return Some(&models[i]);
    }
    let n = normalize(model);
    if n.is_empty() {
        return None;
    }
    let normal = &index.normal;
    normal
        .get(&n)
        .or_else(|| strip_date_suffix(&n).and_then(|s| normal.get(s)))
        .map(|&i| &models[i])
}

/// The UTC calendar date of a timestamp.
pub fn utc_date(at: Timestamp) -> Date {
    at.to_zoned_datetime(TimeZone::UTC).date()
}

/// The row in effect on `date` (latest `from` ≤ date; on equal dates the last
/// one in the file wins), or the latest row when `date` is None.
pub fn row_at(entry: &ModelEntry, date: Option<Date>) -> Option<&PriceRow> {
    let mut best: Option<&PriceRow> = None;
    for row in &entry.rows {
        if date.is_some_and(|d| row.from > d) {
            continue;
        }
        if best.is_none_or(|b| row.from >= b.from) {
            best = Some(row);
        }
    }
    best
}

pub fn resolve<'a>(
    entry: Option<&'a ModelEntry>,
    model: &str,
    at: Option<Timestamp>,
) -> Result<Resolved<'a>, Unpriced> {
    let Some(entry) = entry else {
        return Err(Unpriced::new(format!("unknown model `{}`", model.trim())));
    };
    let date = at.map(utc_date);
    match row_at(entry, date) {
        Some(row) => Ok(Resolved {
            model: entry,
            row,
            undated: at.is_none(),
        }),
        None => match entry.rows.iter().map(|r| r.from).min() {
            Some(first) => Err(Unpriced::new(format!(
                "no price for `{}` before {first}",
                entry.id
            ))),
            None => Err(Unpriced::new(format!("no price rows for `{}`", entry.id))),
        },
    }
}

/// Names close to `query` (by edit distance of their normalized forms),
/// closest first, at most `n`: for "did you mean" when a model is unknown.
pub fn suggest<'m>(models: &'m [ModelEntry], query: &str, n: usize) -> Vec<&'m str> {
    let q = normalize(query);
    if q.is_empty() {
        return Vec::new();
    }
    // Far enough to catch a typo or a missing suffix, near enough that
    // unrelated names are not offered.
    let limit = (q.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = models
        .iter()
        .flat_map(|m| std::iter::once(&m.id).chain(&m.names))
        .filter_map(|name| {
            let d = edit_distance(&q, &normalize(name));
            (d <= limit).then_some((d, name.as_str()))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, name)| name).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("gpt-4o", "gpt-4o"), 0);
        assert_eq!(edit_distance("gpt-4oo", "gpt-4o"), 1);
        assert_eq!(edit_distance("claude-sonet-4-5", "claude-sonnet-4-5"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn normalization_cases() {
        let cases = [
            ("  GPT-4o ", "gpt-4o"),
            ("openai/gpt-4o", "gpt-4o"),
            ("models/gemini-2.5-flash", "gemini-2.5-flash"),
            ("gemini/gemini-2.5-pro", "gemini-2.5-pro"),
            ("google/gemini-2.5-pro", "gemini-2.5-pro"),
            ("vertex_ai/gemini-2.5-pro", "gemini-2.5-pro"),
            (
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                "claude-3-5-sonnet-20240620",
            ),
            (
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "claude-sonnet-4-5-20250929",
            ),
            (
                "bedrock/eu.anthropic.claude-3-5-sonnet-20241022-v2:0",
                "claude-3-5-sonnet-20241022",
            ),
            ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet-20240620"),
            (
                "vertex_ai/claude-3-5-sonnet-v2@20241022",
                "claude-3-5-sonnet-v2-20241022",
            ),
            (
                "openrouter/anthropic/claude-3.5-sonnet",
                "claude-3.5-sonnet",
            ),
            ("anthropic/claude-sonnet-4.5", "claude-sonnet-4.5"),
            ("azure/gpt-4.1", "gpt-4.1"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "normalize({input:?})");
        }
    }

    #[test]
    fn date_suffixes() {
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(strip_date_suffix("claude-x-20250101"), Some("claude-x"));
        assert_eq!(
            strip_date_suffix("claude-3-5-haiku-latest"),
            Some("claude-3-5-haiku")
        );
        assert_eq!(strip_date_suffix("gemini-2.5-flash-preview-04-17"), None);
        assert_eq!(strip_date_suffix("gpt-4o-mini"), None);
        assert_eq!(strip_date_suffix("gemini-2.0-flash-001"), None);
        assert_eq!(strip_date_suffix("-latest"), None);
    }
}
