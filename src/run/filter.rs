//! `--since`/`--until`: which records a run keeps by timestamp.

use jiff::Timestamp;

/// Date-range filter on record timestamps (`--since`, `--until`, inclusive
/// days in the report's time zone, already converted to instants).
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeFilter {
    pub since: Option<Timestamp>,
    /// Exclusive upper bound.
    pub until: Option<Timestamp>,
}

impl TimeFilter {
    pub fn is_set(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    pub(super) fn keeps(&self, ts: Option<Timestamp>) -> bool {
        if !self.is_set() {
            return true;
        }
        let Some(ts) = ts else { return false };
        self.since.is_none_or(|s| ts >= s) && self.until.is_none_or(|u| ts < u)
    }
}
