//! Price tables written back as TOML, in the schema `table.rs` reads
//! (pricing/README.md). Used by `prices import`, whose output is embedded
//! (pricing/generated/) and must come out byte for byte the same every time:
//! fields in a fixed order, prices as decimal strings, nothing from a clock.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::table::{Buckets, ModelEntry, PriceRow, TierPrices};

/// `models` as one price table, after `header` (comment lines, each
/// written with a leading `# `).
pub fn to_toml(header: &[String], models: &[ModelEntry]) -> String {
    let mut out = String::new();
    for line in header {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
    out.push_str("schema = 1\n");
    for m in models {
        model(&mut out, m);
    }
    out
}

fn model(out: &mut String, m: &ModelEntry) {
    out.push_str("\n[[model]]\n");
    kv(out, "id", &string(&m.id));
    kv(out, "provider", &string(&m.provider));
    if !m.names.is_empty() {
        let names: Vec<String> = m.names.iter().map(|n| string(n)).collect();
        kv(out, "names", &format!("[{}]", names.join(", ")));
    }
    if let Some(t) = &m.tokenizer {
        kv(out, "tokenizer", &string(t));
        if let Some(p) = &m.tokenizer_pattern {
            kv(out, "tokenizer_pattern", &string(p));
        }
        if !m.tokenizer_exact {
            kv(out, "tokenizer_exact", "false");
        }
    }
    if let Some(c) = m.context_window {
        kv(out, "context_window", &c.to_string());
    }
    for r in &m.rows {
        row(out, r);
    }
}

fn row(out: &mut String, r: &PriceRow) {
    out.push_str("[[model.price]]\n");
    kv(out, "from", &string(&r.from.to_string()));
    price(out, "input", Some(r.input));
    price(out, "cache_read", r.cache_read);
    price(out, "cache_write_5m", r.cache_write_5m);
    price(out, "cache_write_1h", r.cache_write_1h);
    price(out, "output", Some(r.output));
    price(out, "web_search_per_1k", r.web_search_per_1k);
    price(out, "input_audio", r.input_audio);
    price(out, "output_audio", r.output_audio);
    price(out, "batch", r.batch);
    price(out, "flex", r.flex);
    price(out, "priority", r.priority);
    kv(out, "source", &string(&r.source));
    kv(out, "checked", &string(&r.checked));
    if let Some(n) = &r.note {
        kv(out, "note", &string(n));
    }
    if let Some(t) = &r.long_context {
        out.push_str("[model.price.long_context]\n");
        kv(out, "above", &t.above.to_string());
        price(out, "input", t.input);
        price(out, "cache_read", t.cache_read);
        price(out, "cache_write_5m", t.cache_write_5m);
        price(out, "cache_write_1h", t.cache_write_1h);
        price(out, "output", t.output);
    }
    for (name, tier) in [
        ("batch", &r.batch_prices),
        ("flex", &r.flex_prices),
        ("priority", &r.priority_prices),
    ] {
        if let Some(t) = tier {
            tier_prices(out, name, t);
        }
    }
}

fn tier_prices(out: &mut String, name: &str, t: &TierPrices) {
    let _ = writeln!(out, "[model.price.{name}]");
    buckets(out, &t.base);
    if let Some(lc) = &t.long_context {
        let _ = writeln!(out, "[model.price.{name}.long_context]");
        buckets(out, lc);
    }
}

fn buckets(out: &mut String, b: &Buckets) {
    price(out, "input", b.input);
    price(out, "cache_read", b.cache_read);
    price(out, "cache_write_5m", b.cache_write_5m);
    price(out, "cache_write_1h", b.cache_write_1h);
    price(out, "output", b.output);
}

fn kv(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

fn price(out: &mut String, key: &str, v: Option<Decimal>) {
    if let Some(v) = v {
        kv(out, key, &string(&price_text(v)));
    }
}

/// A price as the shipped tables write it: no trailing zeros beyond the
/// cents ("2.50", "0.075", "10.00").
pub fn price_text(v: Decimal) -> String {
    let mut v = v.normalize();
    if v.scale() < 2 {
        v.rescale(2);
    }
    v.to_string()
}

/// A TOML basic string on one line, escaped.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::table::parse_table;

    #[test]
    fn prices_keep_cents_and_drop_noise() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(price_text(d("2.5")), "2.50");
        assert_eq!(price_text(d("2.500000")), "2.50");
        assert_eq!(price_text(d("0.075")), "0.075");
        assert_eq!(price_text(d("10")), "10.00");
        assert_eq!(price_text(d("0.0000125")), "0.0000125");
    }

    #[test]
    fn a_written_table_reads_back_the_same() {
        let text = "schema = 1\n\n[[model]]\nid = \"m\"\nprovider = \"p\"\nnames = [\"m\", \"m-\\\"q\\\"\"]\n\
            context_window = 1000\n[[model.price]]\nfrom = \"2025-01-01\"\ninput = \"1.25\"\ncache_read = \"0.125\"\n\
            output = \"10.00\"\nsource = \"https://example.com\"\nchecked = \"2026-12-03\"\nnote = \"a\\nb\"\n\
            [model.price.long_context]\nabove = 200000\ninput = \"2.50\"\noutput = \"15.00\"\n\
            [model.price.batch]\ninput = \"0.625\"\noutput = \"5.00\"\n[model.price.batch.long_context]\ninput = \"1.25\"\n";
        let models = parse_table("t", text).unwrap();
        let written = to_toml(&[], &models);
        assert_eq!(written, text);
        assert_eq!(parse_table("t", &written).unwrap(), models);
    }
}
