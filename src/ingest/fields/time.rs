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
            let ts = parse_timestamp_str(s);
            if ts.is_none() {
                REJECTED.with(|r| *r.borrow_mut() = Some(s.to_string()));
            }
            ts
        }
        _ => None,
    }
}

/// [`parse_timestamp`] of a trimmed, non-empty string, without recording
/// a rejection (for readers that leave a rejected line to that function).
pub fn parse_timestamp_str(s: &str) -> Option<Timestamp> {
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

/// Whether a parsed time is a date rather than a duration or a zero:
/// from 2000 on (see [`time_of`]).
pub fn plausible(t: &Timestamp) -> bool {
    t.as_second() >= 946_684_800
}

thread_local! {
    /// The last timestamp string this thread could not read, so that the
    /// line it came from can be warned about when its record ends up
    /// undated (see [`take_rejected`]).
    static REJECTED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The last timestamp string [`parse_timestamp`] rejected on this thread
/// since the previous call, if any. Formats read timestamps in many places;
/// this lets the one place that feeds them lines tell a record that has no
/// timestamp from one whose timestamp is not a date.
pub fn take_rejected() -> Option<String> {
    REJECTED.with(|r| r.borrow_mut().take())
}

/// Why a rejected timestamp is not a date, in plain words, for a warning.
pub fn rejected_detail(s: &str) -> String {
    let shown: String = s.chars().take(60).collect();
    match s.get(..10).and_then(date_problem) {
        Some(why) => format!("timestamp {shown:?} is not a date ({why})"),
        None => format!("timestamp {shown:?} is not a date or time tokenmaxx reads"),
    }
}

/// What is wrong with a date that has the right shape, in the user's
/// terms rather than the parser's ("month 13", not "parameter 'month'").
/// `None` when the shape is not `YYYY-MM-DD` / `YYYYMMDD` or the date is
/// valid.
pub fn date_problem(s: &str) -> Option<String> {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let (y, m, d) = match s.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => (y, m, d),
        _ if s.len() == 8 && digits(s) => (&s[0..4], &s[4..6], &s[6..8]),
        _ => return None,
    };
    if !(digits(y) && digits(m) && digits(d)) {
        return Some("year, month and day must be digits".into());
    }
    let (y, m, d): (i16, i8, i8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) {
        return Some(format!("there is no month {m}"));
    }
    let days = jiff::civil::Date::new(y, m, 1).ok()?.days_in_month();
    (!(1..=days).contains(&d)).then(|| format!("{y:04}-{m:02} has {days} days"))
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
    values.iter().find_map(|v| {
        keys.iter()
            .find_map(|k| lookup(v, k).and_then(parse_timestamp).filter(plausible))
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
