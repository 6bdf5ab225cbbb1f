//! `prices check`: validation of loaded tables.

use std::collections::{BTreeMap, HashMap};

use super::resolve::name_key;
use super::table::{KNOWN_TOKENIZERS, ModelEntry, PriceRow, parse_date};

/// Every problem found, one sentence each, prefixed with the table origin
/// and model. Empty = OK.
pub fn check(models: &[ModelEntry]) -> Vec<String> {
    let mut out = Vec::new();

    // Duplicate ids (within one table, or across embedded tables).
    let mut ids: HashMap<&str, &ModelEntry> = HashMap::new();
    for m in models {
        if let Some(first) = ids.insert(&m.id, m) {
            out.push(format!(
                "{}: model `{}` is defined twice (also in {}): its rows would overlap",
                m.origin, m.id, first.origin
            ));
        }
    }

    for m in models {
        let ctx = format!("{}: model `{}`", m.origin, m.id);
        // A tokenizer file was loaded (and checked) when its overlay was read.
        if let Some(t) = &m.tokenizer
            && !KNOWN_TOKENIZERS.contains(&t.as_str())
            && !std::path::Path::new(t).is_file()
        {
            out.push(format!(
                "{ctx}: unknown tokenizer `{t}` (known: {})",
                KNOWN_TOKENIZERS.join(", ")
            ));
        }
        if m.context_window == Some(0) {
            out.push(format!("{ctx}: `context_window` is 0"));
        }
        if m.rows.is_empty() {
            out.push(format!("{ctx}: has no price rows ([[model.price]])"));
        }
        for (i, w) in m.rows.windows(2).enumerate() {
            let (a, b) = (&w[0], &w[1]);
            if b.from < a.from {
                out.push(format!(
                    "{ctx}: row {} (from {}) comes after row {} (from {}): rows must be in date order",
                    i + 2,
                    b.from,
                    i + 1,
                    a.from
                ));
            }
        }
        for (i, row) in m.rows.iter().enumerate() {
            check_row(&format!("{ctx} row {}", i + 1), row, &mut out);
        }
    }

    // Ambiguous names: one normalized name claimed by two models.
    let mut claims: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, m) in models.iter().enumerate() {
        for name in std::iter::once(&m.id).chain(&m.names) {
            let key = name_key(name);
            if key.is_empty() {
                out.push(format!(
                    "{}: model `{}`: name {name:?} is empty after normalization",
                    m.origin, m.id
                ));
                continue;
            }
            let v = claims.entry(key).or_default();
            if !v.contains(&i) {
                v.push(i);
            }
        }
    }
    for (name, owners) in claims {
        let distinct: Vec<&ModelEntry> = owners.iter().map(|&i| &models[i]).collect();
        if distinct.len() > 1 && distinct.iter().any(|m| m.id != distinct[0].id) {
            let list: Vec<String> = distinct
                .iter()
                .map(|m| format!("`{}` ({})", m.id, m.origin))
                .collect();
            out.push(format!(
                "ambiguous name `{name}`: matched by models {}",
                list.join(", ")
            ));
        }
    }
    out
}

fn check_row(ctx: &str, row: &PriceRow, out: &mut Vec<String>) {
    // Negative prices and rows of one day are refused when a table is
    // loaded (`table::parse_table`), so they cannot reach here.
    if let Some(t) = &row.long_context
        && t.above == 0
    {
        out.push(format!(
            "{ctx}: `long_context.above` is 0 (the tier would apply to every request)"
        ));
    }
    if row.source.is_empty() {
        out.push(format!("{ctx}: missing `source` (provenance URL)"));
    }
    if row.checked.is_empty() {
        out.push(format!(
            "{ctx}: missing `checked` (date the row was checked against its source)"
        ));
    } else if parse_date(&row.checked).is_none() {
        out.push(format!(
            "{ctx}: `checked` is not a date (YYYY-MM-DD): {:?}",
            row.checked
        ));
    }
}
