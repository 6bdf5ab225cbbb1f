//! `check --format json`: every check with its value, limit, baseline and
//! verdict, and the notes printed under the table.

use serde::Serialize;

use super::Dec;

#[derive(Serialize)]
pub struct CheckReportDoc<'a> {
    pub schema_version: u32,
    /// Every check passed.
    pub passed: bool,
    pub checks: Vec<CheckDoc<'a>>,
    pub notes: &'a [String],
}

#[derive(Serialize)]
pub struct CheckDoc<'a> {
    pub name: &'a str,
    /// `limit`, `baseline` or `prompt`.
    pub kind: &'a str,
    pub scope: &'a str,
    pub value: Option<Dec>,
    pub limit: Option<Dec>,
    /// The limit is a floor (`NAME_min`).
    pub floor: bool,
    pub baseline: Option<Dec>,
    pub delta_pct: Option<Dec>,
    pub passed: bool,
    pub note: Option<&'a str>,
}
