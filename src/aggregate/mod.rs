//! Grouping billed records and keeping the sums and distributions a report
//! needs. All state is exact (integer token sums, decimal money, a histogram
//! of output tokens) and mergeable, so shard reports can be combined later.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use rust_decimal::Decimal;

use crate::bill::{Billed, Pricing, UsageSource};
use crate::metrics::density::Density;
use crate::record::Usage;

pub mod doc;
pub mod tasks;

pub use doc::ReportState;
pub use tasks::{MoneySummary, TaskStats, Tasks};

/// A `--by` dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Model,
    Provider,
    Day,
    Week,
    Month,
    Task,
    Session,
    /// Project or workspace (agent transcripts' working directory, an
    /// org export's project id).
    Project,
    File,
    /// The detected log format (`claude-code`, `openai-batch`, …).
    Format,
}

impl Dimension {
    pub const ALL: [Dimension; 10] = [
        Dimension::Model,
        Dimension::Provider,
        Dimension::Day,
        Dimension::Week,
        Dimension::Month,
        Dimension::Task,
        Dimension::Session,
        Dimension::Project,
        Dimension::File,
        Dimension::Format,
    ];

    pub fn from_name(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Model => "model",
            Dimension::Provider => "provider",
            Dimension::Day => "day",
            Dimension::Week => "week",
            Dimension::Month => "month",
            Dimension::Task => "task",
            Dimension::Session => "session",
            Dimension::Project => "project",
            Dimension::File => "file",
            Dimension::Format => "format",
        }
    }

    /// The group value of a record. Missing values get a visible placeholder
    /// rather than disappearing from the report.
    pub(crate) fn value(self, b: &Billed, tz: &TimeZone) -> String {
        let r = &b.record;
        let or_none = |v: Option<&str>| v.filter(|s| !s.is_empty()).unwrap_or(NONE).to_string();
        let date = || {
            r.timestamp
                .map(|ts| ts.to_zoned_datetime(tz.clone()).date())
        };
        match self {
            Dimension::Model => or_none(r.model.as_deref()),
            Dimension::Provider => or_none(b.provider()),
            Dimension::Task => or_none(r.task.as_deref()),
            Dimension::Session => or_none(r.session.as_deref()),
            Dimension::Project => or_none(r.project.as_deref()),
            Dimension::File => r.source.path.to_string(),
            Dimension::Format => r.format.as_str().to_string(),
            Dimension::Day => date().map_or(NONE.into(), |d| d.to_string()),
            Dimension::Month => {
                date().map_or(NONE.into(), |d| format!("{:04}-{:02}", d.year(), d.month()))
            }
            Dimension::Week => date().map_or(NONE.into(), |d| {
                let w = d.iso_week_date();
                format!("{:04}-W{:02}", w.year(), w.week())
            }),
        }
    }
}

/// Placeholder for a record without a value in a dimension.
pub const NONE: &str = "(none)";

/// Exact distribution of a per-record integer: a histogram, so it is
/// compact when values repeat and merges by adding counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    counts: BTreeMap<u64, u64>,
    n: u64,
    sum: u128,
}

impl Distribution {
    pub fn add(&mut self, v: u64) {
        self.add_n(v, 1);
    }

    /// `count` observations of `v` (a histogram bucket read back).
    pub fn add_n(&mut self, v: u64, count: u64) {
        if count == 0 {
            return;
        }
        let c = self.counts.entry(v).or_default();
        *c = c.saturating_add(count);
        self.n = self.n.saturating_add(count);
        self.sum = self
            .sum
            .saturating_add((v as u128).saturating_mul(count as u128));
    }

    pub fn merge(&mut self, other: &Distribution) {
        for (v, c) in &other.counts {
            *self.counts.entry(*v).or_default() += c;
        }
        self.n += other.n;
        self.sum += other.sum;
    }

    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Mean as an exact decimal (rounded to 2 places for display by callers).
    pub fn mean(&self) -> Option<Decimal> {
        if self.n == 0 {
            return None;
        }
        // The sum of u64 values can exceed u64; Decimal holds 96 bits, and
        // beyond that (never seen in practice) the mean saturates.
        let sum = Decimal::try_from_i128_with_scale(self.sum as i128, 0).unwrap_or(Decimal::MAX);
        Some(sum / Decimal::from(self.n))
    }

    /// Nearest-rank percentile: the smallest value with at least `p`% of
    /// observations at or below it. Exact, no interpolation.
    pub fn percentile(&self, p: u32) -> Option<u64> {
        if self.n == 0 {
            return None;
        }
        let rank = ((self.n as u128 * p as u128).div_ceil(100)).max(1) as u64;
        let mut seen = 0;
        for (v, c) in &self.counts {
            seen += c;
            if seen >= rank {
                return Some(*v);
            }
        }
        self.counts.keys().next_back().copied()
    }

    /// (value, count) pairs, ascending: the mergeable state.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().map(|(v, c)| (*v, *c))
    }
}

/// Sums for one group (or the totals).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub records: u64,
    /// API requests: one per record, except usage-export buckets, which
    /// stand for many.
    pub requests: u64,
    pub priced_records: u64,
    /// Requests of priced records (the denominator of cost per request).
    pub priced_requests: u64,
    /// Cost of the priced records that say how many requests they were
    /// (a usage-export bucket without a request count is left out of cost
    /// per request, numerator and denominator alike).
    pub request_cost: Decimal,
    pub unpriced_records: u64,
    /// Usage of all records, priced or not.
    pub usage: Usage,
    /// Usage of priced records only (the tokens the cost is for).
    pub priced_usage: Usage,
    pub cost: Decimal,
    pub cost_breakdown: BTreeMap<&'static str, Decimal>,
    /// Records whose usage was counted with an approximate tokenizer.
    pub approx_records: u64,
    pub counted_records: u64,
    /// Priced without a timestamp (latest price row used).
    pub undated_records: u64,
    pub long_context_records: u64,
    pub reported_cost: Decimal,
    pub reported_cost_records: u64,
    pub output_per_response: Distribution,
    /// Money prompt caching saved on reads, and what cache writes cost
    /// beyond the uncached input price (priced records only).
    pub cache_savings: Decimal,
    pub cache_write_premium: Decimal,
    pub tasks: Tasks,
    /// Response text measurements, and the visible output tokens (output −
    /// reasoning) of the same records, for per-token ratios.
    pub density: Density,
    pub density_output: u64,
}

impl Stats {
    /// Add a record; `task` is its interned task id (see
    /// [`tasks::Tasks::intern`]).
    pub fn add(&mut self, b: &Billed, task: Option<&std::sync::Arc<str>>) {
        self.records += 1;
        self.requests = self.requests.saturating_add(b.record.requests);
        self.usage.add(&b.usage);
        // A bucket's output is many responses' sum, not one response.
        if b.record.requests == 1 {
            self.output_per_response.add(b.usage.output);
        }
        if b.usage_source == UsageSource::Counted {
            self.counted_records += 1;
            if b.counted.as_ref().is_some_and(|c| !c.exact) {
                self.approx_records += 1;
            }
        }
        if let Some(rc) = b.record.reported_cost_usd {
            self.reported_cost = add_money(self.reported_cost, rc);
            self.reported_cost_records += 1;
        }
        match &b.pricing {
            Pricing::Priced { cost, undated, .. } => {
                self.priced_records += 1;
                self.priced_requests = self.priced_requests.saturating_add(b.record.requests);
                if b.record.requests > 0 {
                    self.request_cost = add_money(self.request_cost, cost.total);
                }
                self.priced_usage.add(&b.usage);
                self.cost = add_money(self.cost, cost.total);
                for (k, v) in &cost.breakdown {
                    let e = self.cost_breakdown.entry(k).or_default();
                    *e = add_money(*e, *v);
                }
                self.undated_records += u64::from(*undated);
                self.long_context_records += u64::from(cost.long_context);
                self.cache_savings = add_money(self.cache_savings, cost.cache_savings);
                self.cache_write_premium =
                    add_money(self.cache_write_premium, cost.cache_write_premium);
            }
            Pricing::Unpriced { .. } => self.unpriced_records += 1,
        }
        self.tasks.add(b, task);
        if let Some(d) = &b.density {
            self.density.add(d);
            self.density_output = self
                .density_output
                .saturating_add(b.usage.output.saturating_sub(b.usage.reasoning));
        }
    }

    pub fn merge(&mut self, o: &Stats) {
        self.records = self.records.saturating_add(o.records);
        self.requests = self.requests.saturating_add(o.requests);
        self.priced_records = self.priced_records.saturating_add(o.priced_records);
        self.priced_requests = self.priced_requests.saturating_add(o.priced_requests);
        self.request_cost = add_money(self.request_cost, o.request_cost);
        self.unpriced_records = self.unpriced_records.saturating_add(o.unpriced_records);
        self.usage.add(&o.usage);
        self.priced_usage.add(&o.priced_usage);
        self.cost = add_money(self.cost, o.cost);
        for (k, v) in &o.cost_breakdown {
            let e = self.cost_breakdown.entry(k).or_default();
            *e = add_money(*e, *v);
        }
        self.approx_records = self.approx_records.saturating_add(o.approx_records);
        self.counted_records = self.counted_records.saturating_add(o.counted_records);
        self.undated_records = self.undated_records.saturating_add(o.undated_records);
        self.long_context_records = self
            .long_context_records
            .saturating_add(o.long_context_records);
        self.reported_cost = add_money(self.reported_cost, o.reported_cost);
        self.reported_cost_records = self
            .reported_cost_records
            .saturating_add(o.reported_cost_records);
        self.output_per_response.merge(&o.output_per_response);
        self.cache_savings = add_money(self.cache_savings, o.cache_savings);
        self.cache_write_premium = add_money(self.cache_write_premium, o.cache_write_premium);
        self.tasks.merge(&o.tasks);
        self.density.add(&o.density);
        self.density_output = self.density_output.saturating_add(o.density_output);
    }

    /// The first figure (by its JSON name) that reached the largest value
    /// its type holds. Sums saturate there instead of wrapping or
    /// panicking; real logs never come near (2^64 tokens), so a figure
    /// there means an addition overflowed, and `merge` refuses to print it
    /// (see docs/json.md).
    pub fn overflowed(&self) -> Option<&'static str> {
        let counts = [
            ("records", self.records),
            ("requests", self.requests),
            ("priced_records", self.priced_records),
            ("priced_requests", self.priced_requests),
            ("unpriced_records", self.unpriced_records),
            ("usage.input", self.usage.input),
            ("usage.cache_read", self.usage.cache_read),
            ("usage.cache_write_5m", self.usage.cache_write_5m),
            ("usage.cache_write_1h", self.usage.cache_write_1h),
            ("usage.output", self.usage.output),
            ("usage.reasoning", self.usage.reasoning),
            ("priced_usage.input", self.priced_usage.input),
            ("priced_usage.cache_read", self.priced_usage.cache_read),
            (
                "priced_usage.cache_write_5m",
                self.priced_usage.cache_write_5m,
            ),
            (
                "priced_usage.cache_write_1h",
                self.priced_usage.cache_write_1h,
            ),
            ("priced_usage.output", self.priced_usage.output),
            ("priced_usage.reasoning", self.priced_usage.reasoning),
            ("approx_records", self.approx_records),
            ("counted_records", self.counted_records),
            ("undated_records", self.undated_records),
            ("long_context_records", self.long_context_records),
            ("reported_cost_records", self.reported_cost_records),
        ];
        let money = [
            ("cost_usd", self.cost),
            ("priced_request_cost_usd", self.request_cost),
            ("reported_cost_usd", self.reported_cost),
            ("cache.savings_usd", self.cache_savings),
            ("cache.write_premium_usd", self.cache_write_premium),
        ];
        counts
            .iter()
            .find(|(_, v)| *v == u64::MAX)
            .map(|(k, _)| *k)
            .or_else(|| {
                money
                    .iter()
                    .find(|(_, v)| *v == Decimal::MAX)
                    .map(|(k, _)| *k)
            })
            .or_else(|| {
                self.cost_breakdown
                    .values()
                    .any(|v| *v == Decimal::MAX)
                    .then_some("cost_breakdown")
            })
    }

    /// Output tokens per input token (all input buckets).
    pub fn output_input_ratio(&self) -> Option<Decimal> {
        let input = self.usage.total_input();
        (input > 0).then(|| Decimal::from(self.usage.output) / Decimal::from(input))
    }

    /// The part of output spent on reasoning.
    pub fn reasoning_share(&self) -> Option<Decimal> {
        (self.usage.output > 0)
            .then(|| Decimal::from(self.usage.reasoning) / Decimal::from(self.usage.output))
    }

    /// The cost to show: `None` when there are records but none could be
    /// priced (an unknown cost is not $0); an empty group costs exactly 0.
    pub fn known_cost(&self) -> Option<Decimal> {
        (self.priced_records > 0 || self.records == 0).then_some(self.cost)
    }

    /// Mean cost of a priced request.
    pub fn cost_per_request(&self) -> Option<Decimal> {
        (self.priced_requests > 0).then(|| self.request_cost / Decimal::from(self.priced_requests))
    }

    /// Cache reads as a share of everything read: cache_read / total input.
    pub fn cache_hit_rate(&self) -> Option<Decimal> {
        let total = self.usage.total_input();
        (total > 0).then(|| Decimal::from(self.usage.cache_read) / Decimal::from(total))
    }
}

/// Exact sum that saturates instead of panicking. Per-record costs are
/// bounded (token counts and reported costs are capped when parsed, cost
/// products are checked), so saturation only shows on absurd overlays.
pub(crate) fn add_money(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::MAX)
}

/// Counted versus reported tokens of one model (`--drift`), over records
/// that have both. The response side compares with visible output
/// (output − reasoning): hidden reasoning has no text to count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    pub prompt_records: u64,
    pub reported_prompt: u64,
    pub counted_prompt: u64,
    pub response_records: u64,
    pub reported_response: u64,
    pub counted_response: u64,
    /// Whether the counts came from the model's own tokenizer.
    pub exact: bool,
}

impl Drift {
    fn add(&mut self, b: &Billed) {
        let Some(c) = b
            .counted
            .as_ref()
            .filter(|_| b.usage_source == UsageSource::Reported)
        else {
            return;
        };
        self.exact = c.exact;
        if let Some(p) = c.prompt {
            self.prompt_records += 1;
            self.reported_prompt = self.reported_prompt.saturating_add(b.usage.total_input());
            self.counted_prompt = self.counted_prompt.saturating_add(p);
        }
        if let Some(r) = c.response {
            self.response_records += 1;
            self.reported_response = self
                .reported_response
                .saturating_add(b.usage.output.saturating_sub(b.usage.reasoning));
            self.counted_response = self.counted_response.saturating_add(r);
        }
    }

    pub fn merge(&mut self, o: &Drift) {
        self.prompt_records += o.prompt_records;
        self.reported_prompt = self.reported_prompt.saturating_add(o.reported_prompt);
        self.counted_prompt = self.counted_prompt.saturating_add(o.counted_prompt);
        self.response_records += o.response_records;
        self.reported_response = self.reported_response.saturating_add(o.reported_response);
        self.counted_response = self.counted_response.saturating_add(o.counted_response);
        self.exact |= o.exact;
    }

    /// counted / reported, for the prompt and response sides.
    pub fn prompt_ratio(&self) -> Option<Decimal> {
        ratio(self.counted_prompt, self.reported_prompt)
    }

    pub fn response_ratio(&self) -> Option<Decimal> {
        ratio(self.counted_response, self.reported_response)
    }

    /// True when a side's ratio is further than `tolerance_pct` from 1.
    pub fn flagged(&self, tolerance_pct: Decimal) -> bool {
        let off = |r: Option<Decimal>| {
            r.is_some_and(|r| (r - Decimal::ONE).abs() * Decimal::from(100) > tolerance_pct)
        };
        off(self.prompt_ratio()) || off(self.response_ratio())
    }
}

fn ratio(a: u64, b: u64) -> Option<Decimal> {
    (b > 0).then(|| Decimal::from(a) / Decimal::from(b))
}

/// Records grouped by the chosen dimensions, plus totals.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub dims: Vec<Dimension>,
    tz: TimeZone,
    pub groups: BTreeMap<Vec<String>, Stats>,
    pub totals: Stats,
    /// Unpriced records by logged model name, with the reason first seen.
    pub unpriced: BTreeMap<String, (u64, String)>,
    /// Counted vs reported tokens by logged model (`--drift`).
    pub drift: BTreeMap<String, Drift>,
}

impl Aggregate {
    pub fn new(dims: Vec<Dimension>, tz: TimeZone) -> Aggregate {
        Aggregate {
            dims,
            tz,
            groups: BTreeMap::new(),
            totals: Stats::default(),
            unpriced: BTreeMap::new(),
            drift: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, b: &Billed) {
        let key: Vec<String> = self.dims.iter().map(|d| d.value(b, &self.tz)).collect();
        let task = self.totals.tasks.intern(b);
        self.groups.entry(key).or_default().add(b, task.as_ref());
        self.totals.add(b, task.as_ref());
        if let Pricing::Unpriced { reason } = &b.pricing {
            let name = b
                .record
                .model
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| NONE.to_string());
            let e = self.unpriced.entry(name).or_insert((0, reason.clone()));
            e.0 += 1;
        }
        if b.counted.is_some() && b.usage_source == UsageSource::Reported {
            let name = b.record.model.as_deref().unwrap_or(NONE);
            match self.drift.get_mut(name) {
                Some(d) => d.add(b),
                None => {
                    let mut d = Drift::default();
                    d.add(b);
                    self.drift.insert(name.to_string(), d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut d = Distribution::default();
        for v in [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] {
            d.add(v);
        }
        assert_eq!(d.percentile(50), Some(50));
        assert_eq!(d.percentile(90), Some(90));
        assert_eq!(d.percentile(99), Some(100));
        assert_eq!(d.percentile(0), Some(10));
        assert_eq!(d.mean(), Some(Decimal::from(55)));
        let mut e = Distribution::default();
        e.add(5);
        e.merge(&d);
        assert_eq!(e.len(), 11);
        assert_eq!(e.percentile(50), Some(50));
        assert_eq!(Distribution::default().percentile(50), None);
    }
}
