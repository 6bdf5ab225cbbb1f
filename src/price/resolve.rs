//! Model-name normalization, matching, and the dated row lookup.

use rustc_hash::FxHashMap as HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub use super::names::{channel_key, name_key, normalize, strip_date_suffix};
use super::table::{ModelEntry, PriceRow};
use super::{Resolved, Unpriced};

/// The name index: channel names (see [`channel_key`]) and normalized names.
#[derive(Clone, Debug, Default)]
pub struct Index {
    channel: HashMap<String, usize>,
    normal: HashMap<String, usize>,
}

impl Index {
    pub fn channel(&self, key: &str) -> Option<usize> {
        self.channel.get(key).copied()
    }

    pub fn normal(&self, key: &str) -> Option<usize> {
        self.normal.get(key).copied()
    }
}

/// Name → slot. Later entries win, so an overlay's names beat the embedded
/// tables (`check` reports the clash), and the curated tables beat the
/// imported ones indexed before them.
pub fn build_index<'a>(names: impl Iterator<Item = (usize, &'a str)>) -> Index {
    let mut index = Index::default();
    for (slot, name) in names {
        match channel_key(name) {
            Some(k) => {
                index.channel.insert(k, slot);
            }
            None => {
                let key = normalize(name);
                if !key.is_empty() {
                    index.normal.insert(key, slot);
                }
            }
        }
    }
    index
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
