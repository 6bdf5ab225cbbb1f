//! `report --format csv`: one row per group plus a `TOTAL` row; exact
//! numbers (no thousands separators, money as exact decimals).

use std::io::Write;

use anyhow::Result;

use super::{Exporter, Report};
use crate::aggregate::Stats;

pub struct CsvExporter;

const METRICS: &[&str] = &[
    "records",
    "unpriced_records",
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "reasoning",
    "total_tokens",
    "cost_usd",
    "cost_per_request_usd",
    "output_per_response_p50",
    "output_per_response_p90",
    "cache_hit_rate",
];

impl Exporter for CsvExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let agg = report.aggregate;
        let mut w = ::csv::Writer::from_writer(out);
        let mut header: Vec<&str> = agg.dims.iter().map(|d| d.as_str()).collect();
        header.extend_from_slice(METRICS);
        w.write_record(&header)?;
        // Without --by the single group is the totals: one row.
        if !agg.dims.is_empty() {
            for (key, s) in &agg.groups {
                let mut row = key.clone();
                row.extend(cells(s));
                w.write_record(&row)?;
            }
        }
        let mut total: Vec<String> = agg.dims.iter().map(|_| "TOTAL".to_string()).collect();
        total.extend(cells(&agg.totals));
        w.write_record(&total)?;
        w.flush()?;
        Ok(())
    }
}

fn cells(s: &Stats) -> Vec<String> {
    let u = &s.usage;
    let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
    vec![
        s.records.to_string(),
        s.unpriced_records.to_string(),
        u.input.to_string(),
        u.cache_read.to_string(),
        u.cache_write_5m.to_string(),
        u.cache_write_1h.to_string(),
        u.output.to_string(),
        u.reasoning.to_string(),
        u.total().to_string(),
        s.known_cost()
            .map_or(String::new(), |c| c.normalize().to_string()),
        s.cost_per_request()
            .map_or(String::new(), |c| c.round_dp(8).normalize().to_string()),
        opt(s.output_per_response.percentile(50)),
        opt(s.output_per_response.percentile(90)),
        s.cache_hit_rate()
            .map_or(String::new(), |r| r.round_dp(4).normalize().to_string()),
    ]
}
