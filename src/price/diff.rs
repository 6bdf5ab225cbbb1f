//! `prices diff`: where two price books disagree, field by field and date
//! by date (pricing/README.md, "Disagreements and rulings").
//!
//! Every model of book A is looked up in book B by each of its names. For a
//! pair found, the prices are compared on every date either book starts a
//! row, from the first date both price the model: the effective rate of each
//! bucket (a missing cache price is the input price, as billed), standard
//! and long-context, and each service tier both books price. A long-context
//! tier one book has and the other lacks is a disagreement; a price only one
//! book has (web search, audio, a tier) is coverage, not a disagreement.

use std::collections::BTreeSet;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::PriceBook;
use super::resolve::row_at;
use super::table::{ModelEntry, PriceRow, Rates};
use crate::record::ServiceTier;

/// One field on which the books disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The name by which A's model was found in B.
    pub name: String,
    pub a_model: String,
    pub b_model: String,
    pub date: Date,
    /// `input`, `long_context.output`, `batch.cache_read`, `long_context`, …
    pub field: String,
    /// The values, as text ("none" for an absent tier).
    pub a: String,
    pub b: String,
    pub a_source: String,
    pub b_source: String,
}

/// All disagreements of A against B, in A's model order, then date, then
/// field.
pub fn diff(a: &[ModelEntry], b: &PriceBook) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for ma in a {
        for name in names(ma) {
            let Some(mb) = b.find(name) else { continue };
            if !seen.insert((ma.id.clone(), mb.id.clone())) {
                continue;
            }
            pair(name, ma, mb, &mut out);
        }
    }
    out
}

/// The names a log would use: an imported model's id is not one.
fn names(m: &ModelEntry) -> impl Iterator<Item = &String> {
    let id = (!m.id.contains(':')).then_some(&m.id);
    id.into_iter().chain(&m.names)
}

fn pair(name: &str, ma: &ModelEntry, mb: &ModelEntry, out: &mut Vec<Disagreement>) {
    let (Some(fa), Some(fb)) = (first(ma), first(mb)) else {
        return;
    };
    let start = fa.max(fb);
    let dates: BTreeSet<Date> = ma
        .rows
        .iter()
        .chain(&mb.rows)
        .map(|r| r.from.max(start))
        .collect();
    for date in dates {
        let (Some(ra), Some(rb)) = (row_at(ma, Some(date)), row_at(mb, Some(date))) else {
            continue;
        };
        let mut push = |field: String, a: String, b: String| {
            out.push(Disagreement {
                name: name.to_string(),
                a_model: ma.id.clone(),
                b_model: mb.id.clone(),
                date,
                field,
                a,
                b,
                a_source: ra.source.clone(),
                b_source: rb.source.clone(),
            });
        };
        compare_rows(ra, rb, &mut push);
    }
}

fn first(m: &ModelEntry) -> Option<Date> {
    m.rows.iter().map(|r| r.from).min()
}

fn compare_rows(a: &PriceRow, b: &PriceRow, push: &mut impl FnMut(String, String, String)) {
    match (&a.long_context, &b.long_context) {
        (Some(x), Some(y)) if x.above != y.above => {
            push(
                "long_context.above".into(),
                x.above.to_string(),
                y.above.to_string(),
            );
        }
        (Some(x), None) => push(
            "long_context".into(),
            format!("above {}", x.above),
            "none".into(),
        ),
        (None, Some(y)) => push(
            "long_context".into(),
            "none".into(),
            format!("above {}", y.above),
        ),
        _ => {}
    }
    let both_long = a.long_context.is_some() && b.long_context.is_some();
    for tier in [
        ServiceTier::Standard,
        ServiceTier::Batch,
        ServiceTier::Flex,
        ServiceTier::Priority,
    ] {
        for long in [false, true] {
            if long && !both_long {
                continue;
            }
            let at = if long { u64::MAX } else { 0 };
            let (Some(x), Some(y)) = (a.tier_rates(tier, at), b.tier_rates(tier, at)) else {
                continue;
            };
            let prefix = match (tier, long) {
                (ServiceTier::Standard, false) => String::new(),
                (ServiceTier::Standard, true) => "long_context.".into(),
                (t, false) => format!("{}.", t.as_str()),
                (t, true) => format!("{}.long_context.", t.as_str()),
            };
            for ((field, va), (_, vb)) in buckets(x).into_iter().zip(buckets(y)) {
                // A cache price neither book sets is the input price on both
                // sides: already reported as `input`.
                if va != vb && (priced(a, field) || priced(b, field)) {
                    push(format!("{prefix}{field}"), text(va), text(vb));
                }
            }
        }
    }
    for (field, x, y) in [
        (
            "web_search_per_1k",
            a.web_search_per_1k,
            b.web_search_per_1k,
        ),
        ("input_audio", a.input_audio, b.input_audio),
        ("output_audio", a.output_audio, b.output_audio),
    ] {
        if let (Some(x), Some(y)) = (x, y)
            && x != y
        {
            push(field.into(), text(x), text(y));
        }
    }
}

/// Whether a row sets `field` itself (input and output always do).
fn priced(r: &PriceRow, field: &str) -> bool {
    match field {
        "cache_read" => r.cache_read.is_some(),
        "cache_write_5m" => r.cache_write_5m.is_some(),
        "cache_write_1h" => r.cache_write_1h.is_some(),
        _ => true,
    }
}

fn buckets((r, mult): (Rates, Decimal)) -> [(&'static str, Decimal); 5] {
    [
        ("input", r.input * mult),
        ("cache_read", r.cache_read * mult),
        ("cache_write_5m", r.cache_write_5m * mult),
        ("cache_write_1h", r.cache_write_1h * mult),
        ("output", r.output * mult),
    ]
}

fn text(d: Decimal) -> String {
    super::write::price_text(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = r#"
[[model]]
id = "m"
provider = "p"
names = ["m", "m-2025-01-01"]
[[model.price]]
from = "2025-01-01"
input = "1.00"
output = "4.00"
batch = "0.5"
source = "a"
checked = "2026-01-01"
"#;

    #[test]
    fn equal_books_agree_and_each_field_is_compared() {
        let a = PriceBook::from_toml_str("a", A).unwrap();
        assert!(diff(a.models(), &a).is_empty());

        // B: same model, the input raised from a later date, batch given as
        // own prices that leave the output at the standard rate.
        let b = PriceBook::from_toml_str(
            "b",
            &format!(
                "{}[[model.price]]\nfrom = \"2025-06-01\"\ninput = \"2.00\"\noutput = \"4.00\"\n\
                 source = \"b\"\nchecked = \"2026-01-01\"\n[model.price.batch]\ninput = \"1.00\"\n",
                A.replace("source = \"a\"", "source = \"b\"")
            ),
        )
        .unwrap();
        let d = diff(a.models(), &b);
        let got: Vec<(String, String, String, String)> = d
            .iter()
            .map(|d| {
                (
                    d.date.to_string(),
                    d.field.clone(),
                    d.a.clone(),
                    d.b.clone(),
                )
            })
            .collect();
        let want = [
            ("2025-06-01", "input", "1.00", "2.00"),
            ("2025-06-01", "batch.input", "0.50", "1.00"),
            ("2025-06-01", "batch.output", "2.00", "4.00"),
        ]
        .map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into()));
        assert_eq!(got, want);
        assert_eq!(d[0].b_source, "b");
    }
}
