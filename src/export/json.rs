//! `report --format json`: the report document of `schema::report`
//! (docs/json.md), pretty-printed.

use std::io::Write;

use anyhow::Result;

use super::{Exporter, Report};

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let o = report.options;
        let doc = report
            .aggregate
            .to_doc(report.accounting, o.drift_tolerance, o.top);
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
