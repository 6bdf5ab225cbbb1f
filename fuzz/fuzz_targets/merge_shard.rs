//! A shard report for `merge` (or a `check` baseline) is a JSON file that
//! may come from anywhere: any bytes give a report state or an error, never
//! a panic; a state that loads merges with itself (sums saturate or fail,
//! never wrap) and renders in every format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenmaxx::aggregate::ReportState;
use tokenmaxx::export::{self, Report, ReportFormat, ReportOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok((mut state, _doc)) = ReportState::from_value(v) else {
        return;
    };
    let copy = ReportState {
        aggregate: state.aggregate.clone(),
        accounting: state.accounting.clone(),
    };
    let _ = state.merge(&copy);
    let options = ReportOptions {
        metrics: vec![export::Metric::All],
        top: 3,
        ..ReportOptions::default()
    };
    let report = Report {
        aggregate: &state.aggregate,
        accounting: &state.accounting,
        options: &options,
    };
    for f in [
        ReportFormat::Json,
        ReportFormat::Table,
        ReportFormat::Csv,
        ReportFormat::Markdown,
    ] {
        let _ = export::exporter(f).write(&report, &mut Vec::new());
    }
});
