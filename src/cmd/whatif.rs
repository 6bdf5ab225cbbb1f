//! Price the same logs under a scenario and compare: another model, a
//! service tier, no prompt caching, or the prices of another date.
//!
//! Usage: tokenmaxx whatif [PATH…] [--as MODEL | --map 'PATTERN=MODEL,…']
//!        [--tier standard|batch|flex|priority] [--cache as-logged|none]
//!        [--at DATE|today] [--by DIM[,DIM…]] [--format table|json|csv|markdown]
//!        [input flags as for report]

use std::io::{self, BufWriter, Write};

use anyhow::{Result, bail};
use clap::Args;

use crate::aggregate::Dimension;
use crate::bill::Measures;
use crate::cli::{InputArgs, Outcome};
use crate::export::ReportFormat;
use crate::export::whatif::{WhatIfReport, write};
use crate::record::ServiceTier;
use crate::whatif::{CachePolicy, ModelRule, Scenario, WhatIf};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx whatif logs/ --as claude-sonnet-4-5
  tokenmaxx whatif logs/ --map 'claude-opus-*=claude-sonnet-4-5,gpt-4o=gpt-4o-mini' --by model
  tokenmaxx whatif logs/ --tier batch --format markdown
  tokenmaxx whatif logs/ --cache none          what prompt caching saved
  tokenmaxx whatif logs/ --at today --by month  the same calls at today's prices")]
pub struct WhatIfArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Re-price every record as this model.
    #[arg(long = "as", value_name = "MODEL", conflicts_with = "map")]
    pub as_model: Option<String>,
    /// Re-price records whose model matches PATTERN (a glob, case-insensitive)
    /// as MODEL; the first matching rule wins, other models stay.
    #[arg(long, value_name = "PATTERN=MODEL,…")]
    pub map: Vec<String>,
    /// Bill every record at this service tier instead of the logged one.
    #[arg(long, value_enum, value_name = "TIER")]
    pub tier: Option<ServiceTier>,
    /// `none`: bill every cache read and write as plain input.
    #[arg(long, value_enum, default_value_t = CachePolicy::AsLogged)]
    pub cache: CachePolicy,
    /// Prices in effect on this date (UTC; `today` for today's) instead of
    /// on each request's day.
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// Where a record has text, count it with the target model's tokenizer
    /// instead of carrying the logged token counts over.
    #[arg(long)]
    pub recount: bool,
    /// Group by these dimensions (comma-separated, in order).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "model")]
    pub by: Vec<Dimension>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

fn scenario(args: &WhatIfArgs) -> Result<Scenario> {
    let mut rules = Vec::new();
    if let Some(m) = &args.as_model {
        rules.push(ModelRule::new("*", m)?);
    }
    for spec in &args.map {
        rules.extend(ModelRule::parse_list(spec)?);
    }
    let at = match args.at.as_deref() {
        None => None,
        Some("today") => Some(jiff::Timestamp::now()),
        Some(s) => {
            let date = super::parse_date(s).map_err(|_| {
                anyhow::anyhow!("--at: `{s}` is not a date (YYYY-MM-DD, or `today`)")
            })?;
            Some(date.to_zoned_datetime(jiff::tz::TimeZone::UTC)?.timestamp())
        }
    };
    let s = Scenario {
        rules,
        tier: args.tier,
        cache: args.cache,
        at,
        recount: args.recount,
    };
    if s.is_empty() {
        bail!("whatif: give a scenario (--as, --map, --tier, --cache none or --at)");
    }
    Ok(s)
}

pub fn run(args: WhatIfArgs) -> Result<Outcome> {
    let scenario = scenario(&args)?;
    let mut logs = super::LogRun::from_args(&args.input, Measures::default())?;
    if scenario.recount {
        let s = scenario.clone();
        logs = logs.with_recount(Box::new(move |m| s.target(m).to_string()));
    }
    // Every target must be a model the book knows (or a name it resolves):
    // a typo would otherwise turn every record into "unpriced".
    for rule in &scenario.rules {
        if logs.biller.book.find(&rule.model).is_none() {
            let close = logs.biller.book.suggest(&rule.model, 3);
            bail!(
                "unknown model `{}`{}",
                rule.model,
                if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(", "))
                }
            );
        }
    }
    let mut result = WhatIf::new(args.by.clone(), logs.tz.clone());
    logs.run(&mut |b| {
        if let Some(b) = b {
            let r = scenario.reprice(&b, &logs.biller.book);
            result.add(&b, &r);
        }
        Ok(())
    })?;
    let mut out = BufWriter::new(io::stdout().lock());
    write(
        args.format,
        &WhatIfReport {
            scenario: &scenario,
            result: &result,
        },
        &mut out,
    )?;
    out.flush()?;
    Ok(Outcome::Ok)
}
