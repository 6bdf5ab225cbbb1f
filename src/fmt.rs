//! How numbers look to a person: thousands separators, money at a fixed
//! number of decimals, percentages. A leaf module: every layer that shows
//! numbers (tables, the progress line, check summaries) uses it, and it
//! uses nothing of ours. Machine outputs (JSON, CSV) keep exact values and
//! never go through here.

use rust_decimal::{Decimal, RoundingStrategy};

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Fixed decimals for display, rounded half away from zero. Exact values
/// stay in JSON/CSV.
pub fn money(d: Decimal, places: u32) -> String {
    // A cost that is not zero never shows as zero: $0.000005 keeps the
    // places it needs (up to 12), instead of rounding to "$0.0000".
    // Rounded at the place of its first significant digit.
    let mut places = places;
    while !d.is_zero()
        && places < 12
        && d.round_dp_with_strategy(places, RoundingStrategy::ToZero)
            .is_zero()
    {
        places += 1;
    }
    let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    let body = fixed(r.abs(), places);
    if r.is_sign_negative() && !r.is_zero() {
        format!("-${body}")
    } else {
        format!("${body}")
    }
}

/// `d` with exactly `places` decimals (rounded half away from zero).
/// rust_decimal's own `{:.N}` panics when the digits and the places do not
/// fit its buffer (a 28-digit figure from a crafted report), so the
/// places are padded here.
pub fn fixed(d: Decimal, places: u32) -> String {
    let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    let mut s = r.to_string();
    let have = s.split_once('.').map_or(0, |(_, f)| f.len() as u32);
    if places > 0 && have == 0 {
        s.push('.');
    }
    for _ in have..places {
        s.push('0');
    }
    s
}

/// A rate (0.1234) as a percentage with one decimal (`12.3%`).
pub fn percent(d: Decimal) -> String {
    match d.checked_mul(Decimal::from(100)) {
        Some(p) => format!("{}%", fixed(p, 1)),
        // Only a crafted report holds a ratio this large.
        None => format!("{}×100%", fixed(d, 1)),
    }
}

/// An optional count: thousands, or `-` when there is none.
pub fn opt_count(v: Option<u64>) -> String {
    v.map_or("-".into(), thousands)
}

/// `s` when `n` is not 1.
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `day` → `Day`: a dimension or field name as a column title.
pub fn title(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn money_is_fixed_and_rounded() {
        assert_eq!(money(Decimal::from_str("0.00176").unwrap(), 4), "$0.0018");
        assert_eq!(money(Decimal::from_str("12").unwrap(), 2), "$12.00");
        assert_eq!(money(Decimal::from_str("1.5").unwrap(), 4), "$1.5000");
        assert_eq!(money(Decimal::from_str("0.00005").unwrap(), 4), "$0.00005");
        assert_eq!(money(Decimal::from_str("0.00015").unwrap(), 4), "$0.0002");
        assert_eq!(money(Decimal::from_str("-0.5").unwrap(), 2), "-$0.50");
        // Never a non-zero cost shown as zero.
        assert_eq!(
            money(Decimal::from_str("0.000005").unwrap(), 4),
            "$0.000005"
        );
        assert_eq!(
            money(Decimal::from_str("0.0000049").unwrap(), 4),
            "$0.000005"
        );
        assert_eq!(money(Decimal::ZERO, 4), "$0.0000");
        // 28 digits and 4 places: rust_decimal's `{:.4}` panics here
        // (found by the merge_shard fuzz target).
        let huge = Decimal::from_str("4444444444444444444444444440.00000885").unwrap();
        assert_eq!(money(huge, 4), "$4444444444444444444444444440.0000");
        assert_eq!(fixed(Decimal::from_str("-1.5").unwrap(), 3), "-1.500");
        assert_eq!(fixed(Decimal::from(7), 0), "7");
        assert_eq!(
            percent(Decimal::MAX),
            "79228162514264337593543950335.0×100%"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn percent_has_one_decimal() {
        assert_eq!(percent(Decimal::from_str("0.12345").unwrap()), "12.3%");
        assert_eq!(percent(Decimal::ONE), "100.0%");
    }
}
