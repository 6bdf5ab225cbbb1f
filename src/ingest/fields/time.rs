//! Timestamps in the shapes logs write them, and where wrappers keep them.

use jiff::Timestamp;
use serde_json::Value;

use super::lookup::lookup;

/// Parse a timestamp as logs write it: RFC 3339 / ISO 8601 strings (with or
/// without offset; no offset means UTC), or unix time in seconds,
/// milliseconds or nanoseconds (numbers or numeric strings).
pub fn parse_timestamp(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Number(n) => unix_to_ts(n.as_f64()?),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            if let Ok(ts) = s.parse::<Timestamp>() {
                return Some(ts);
            }
            if let Ok(f) = s.parse::<f64>() {
                return unix_to_ts(f);
            }
            // "2025-01-01T10:00:00" or "2025-01-01 10:00:00" without offset: UTC.
            if let Ok(dt) = s.replace(' ', "T").parse::<jiff::civil::DateTime>() {
                return dt
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .ok()
                    .map(|z| z.timestamp());
            }
            if let Ok(d) = s.parse::<jiff::civil::Date>() {
                return d
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .ok()
                    .map(|z| z.timestamp());
            }
            None
        }
        _ => None,
    }
}

fn unix_to_ts(f: f64) -> Option<Timestamp> {
    if !f.is_finite() || f <= 0.0 {
        return None;
    }
    // Magnitude tells the unit: seconds until year 5138, then ms, then ns.
    let secs = if f < 1e11 {
        f
    } else if f < 1e14 {
        f / 1e3
    } else if f < 1e17 {
        f / 1e6
    } else {
        f / 1e9
    };
    let whole = secs.trunc() as i64;
    let nanos = ((secs - secs.trunc()) * 1e9).round() as i32;
    Timestamp::new(whole, nanos.clamp(0, 999_999_999)).ok()
}

/// Keys a wrapper (or a log line) uses for when the call happened.
pub const WRAPPER_TIME_KEYS: &[&str] = &[
    "timestamp",
    "created_at",
    "time",
    "ts",
    "start_time",
    "startTime",
    "datetime",
    "request_time",
];

/// First plausible timestamp among `keys` of `values` (in order). Values
/// before 2000 are ignored: they are durations or zeros, not dates.
pub fn time_of(values: &[&Value], keys: &[&str]) -> Option<Timestamp> {
    let floor = Timestamp::from_second(946_684_800).ok()?;
    values.iter().find_map(|v| {
        keys.iter().find_map(|k| {
            lookup(v, k)
                .and_then(parse_timestamp)
                .filter(|t| *t >= floor)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_in_every_shape() {
        let want: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(parse_timestamp(&json!(1735689600)), Some(want));
        assert_eq!(parse_timestamp(&json!(1735689600000u64)), Some(want));
        assert_eq!(parse_timestamp(&json!("1735689600000000000")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01T00:00:00Z")), Some(want));
        assert_eq!(
            parse_timestamp(&json!("2025-01-01T01:00:00+01:00")),
            Some(want)
        );
        assert_eq!(parse_timestamp(&json!("2025-01-01 00:00:00")), Some(want));
        assert_eq!(parse_timestamp(&json!("2025-01-01")), Some(want));
        assert_eq!(parse_timestamp(&json!("yesterday")), None);
        assert_eq!(parse_timestamp(&json!(-5)), None);
    }
}
