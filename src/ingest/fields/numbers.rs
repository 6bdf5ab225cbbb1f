//! Token counts and reported costs as logs write them: numbers or numeric
//! strings, validated so that one broken or hostile line cannot poison the
//! run's totals.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::errors::type_name;
use crate::ingest::Skip;

/// Largest token count we believe. Above this a log is broken (or hostile),
/// and summing such values would overflow totals.
pub const MAX_TOKENS: u64 = 1_000_000_000_000;

/// Read a token count that may be a number or a numeric string.
/// Missing or null → `Ok(None)`; negative, fractional, absurd or
/// non-numeric → `Err` with a sentence naming the field.
pub fn count_field(v: &Value, field: &str) -> Result<Option<u64>, Skip> {
    let Some(x) = v.get(field) else {
        return Ok(None);
    };
    count_value(x, field)
}

/// Like [`count_field`] for a value already looked up.
pub fn count_value(x: &Value, field: &str) -> Result<Option<u64>, Skip> {
    let n = match x {
        Value::Null => return Ok(None),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u
            } else if n.as_i64().is_some_and(|i| i < 0) || n.as_f64().is_some_and(|f| f < 0.0) {
                return Err(Skip::new(
                    "invalid usage",
                    format!("negative token count in `{field}`"),
                ));
            } else {
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f <= MAX_TOKENS as f64 => f as u64,
                    _ => {
                        return Err(Skip::new(
                            "invalid usage",
                            format!("token count in `{field}` is not a whole number: {n}"),
                        ));
                    }
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if t.starts_with('-') {
                return Err(Skip::new(
                    "invalid usage",
                    format!("negative token count in `{field}`"),
                ));
            }
            t.parse::<u64>().map_err(|_| {
                Skip::new(
                    "invalid usage",
                    format!("token count in `{field}` is not a number: {s:?}"),
                )
            })?
        }
        other => {
            return Err(Skip::new(
                "invalid usage",
                format!(
                    "token count in `{field}` has the wrong type: {}",
                    type_name(other)
                ),
            ));
        }
    };
    if n > MAX_TOKENS {
        return Err(Skip::new(
            "invalid usage",
            format!("absurd token count in `{field}`: {n}"),
        ));
    }
    Ok(Some(n))
}

/// [`count_field`] with missing treated as 0.
pub fn count0(v: &Value, field: &str) -> Result<u64, Skip> {
    Ok(count_field(v, field)?.unwrap_or(0))
}

/// Largest cost (USD) of one request we believe a log reports. Above this
/// it is broken, and summing such values would overflow `Decimal`.
pub const MAX_REPORTED_COST_USD: u64 = 1_000_000_000;

/// A decimal from a JSON number or numeric string, without float noise:
/// numbers are read from their shortest textual form. Negative, empty,
/// non-numeric or absurd (above [`MAX_REPORTED_COST_USD`]) values give
/// `None`.
pub fn decimal_value(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().trim_start_matches('$').trim().to_string(),
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    let d = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()?;
    (!d.is_sign_negative() && d <= Decimal::from(MAX_REPORTED_COST_USD)).then_some(d)
}

/// Audio tokens an OpenAI-style usage reports in its input and output
/// details (`audio_tokens`), which its input and output counts include.
pub fn audio_tokens(
    u: Option<&Value>,
    input_details: &str,
    output_details: &str,
) -> Result<crate::record::AudioTokens, Skip> {
    let Some(u) = u.filter(|u| u.is_object()) else {
        return Ok(Default::default());
    };
    let of = |details: &str| match u.get(details) {
        Some(d) => count0(d, "audio_tokens"),
        None => Ok(0),
    };
    Ok(crate::record::AudioTokens {
        input: of(input_details)?,
        output: of(output_details)?,
    })
}

/// A cost the log carries (`cost_usd`, `costUSD`, `cost`) on any of
/// `values`, else OpenRouter's `usage.cost` (of the value, or of its
/// `response`): what the gateway charged for the call.
pub fn reported_cost(values: &[&Value]) -> Option<Decimal> {
    values
        .iter()
        .find_map(|v| {
            ["cost_usd", "costUSD", "cost"]
                .iter()
                .find_map(|k| v.get(*k).and_then(decimal_value))
        })
        .or_else(|| {
            values.iter().find_map(|v| {
                let usage_cost = |b: &Value| b.get("usage")?.get("cost").and_then(decimal_value);
                usage_cost(v).or_else(|| v.get("response").and_then(usage_cost))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_accept_numbers_and_strings() {
        let v = json!({"a": 5, "b": "7", "c": null, "d": -1, "e": "x", "f": 1.5, "g": 3.0});
        assert_eq!(count_field(&v, "a"), Ok(Some(5)));
        assert_eq!(count_field(&v, "b"), Ok(Some(7)));
        assert_eq!(count_field(&v, "c"), Ok(None));
        assert_eq!(count_field(&v, "missing"), Ok(None));
        assert!(count_field(&v, "d").is_err());
        assert!(count_field(&v, "e").is_err());
        assert!(count_field(&v, "f").is_err());
        assert_eq!(count_field(&v, "g"), Ok(Some(3)));
        assert!(count_value(&json!(1e15), "x").is_err());
    }

    #[test]
    fn decimals_without_float_noise() {
        let d = |v: Value| decimal_value(&v).map(|d| d.to_string());
        assert_eq!(d(json!(0.00176)), Some("0.00176".into()));
        assert_eq!(d(json!(0.1)), Some("0.1".into()));
        assert_eq!(d(json!(1e-7)), Some("0.0000001".into()));
        assert_eq!(d(json!(3)), Some("3".into()));
        assert_eq!(d(json!("0.027")), Some("0.027".into()));
        assert_eq!(d(json!("$1.50")), Some("1.50".into()));
        assert_eq!(d(json!("")), None);
        assert_eq!(d(json!(-0.5)), None);
        assert_eq!(d(json!("abc")), None);
    }

    /// Found by tests/fuzz_smoke.rs: two records each reporting a cost
    /// near `Decimal::MAX` overflowed the report's reported-cost sum (a
    /// panic in `Stats::add`). Costs no request can have are not believed.
    #[test]
    fn openrouter_usage_cost_is_the_reported_cost() {
        // OpenRouter's documented response: usage.cost in USD (credits).
        let body = json!({"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o",
            "usage":{"prompt_tokens":194,"completion_tokens":2,"total_tokens":196,"cost":0.000505}});
        assert_eq!(reported_cost(&[&body]), Some(Decimal::new(505, 6)));
        let wrapped = json!({"request":{}, "response": body});
        assert_eq!(reported_cost(&[&wrapped]), Some(Decimal::new(505, 6)));
        // A top-level cost wins.
        let both = json!({"cost_usd": "0.01", "usage": {"cost": 0.5}});
        assert_eq!(reported_cost(&[&both]), Some(Decimal::new(1, 2)));
    }

    #[test]
    fn absurd_reported_costs_are_ignored() {
        let d = |v: Value| decimal_value(&v);
        assert_eq!(d(json!("79228162514264337593543950335")), None);
        assert_eq!(d(json!(5e28)), None);
        assert_eq!(d(json!("$1e20")), None);
        assert_eq!(
            d(json!(MAX_REPORTED_COST_USD)).map(|d| d.to_string()),
            Some(MAX_REPORTED_COST_USD.to_string())
        );
        let line = json!({"cost_usd": "5e28", "cost": 0.25});
        assert_eq!(reported_cost(&[&line]), Some(Decimal::new(25, 2)));
    }
}
