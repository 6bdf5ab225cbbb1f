//! A budget file (`check --budget FILE`, TOML) is user input: any bytes
//! give a budget or an error, never a panic; a budget that loads is
//! evaluated against empty statistics without one either.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tokenmaxx::aggregate::Stats;
use tokenmaxx::check::{self, Budget};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(budget) = Budget::parse(text, Path::new("fuzz/tokenmaxx.toml")) else {
        return;
    };
    let _ = budget.needs_density();
    let _ = budget.needs_logs();
    let stats = Stats::default();
    let mut out = Vec::new();
    check::limit_checks(&budget.limits, "all", &stats, &mut out);
    for r in &budget.rules {
        check::limit_checks(&r.limits, &r.name, &stats, &mut out);
    }
    if let Some(b) = &budget.baseline {
        check::baseline_checks(b, &stats, &stats, &mut out);
    }
});
