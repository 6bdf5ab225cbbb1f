//! The metrics a budget can limit or compare with a baseline, by name.
//! Names are the keys of a budget file's `[limits]` and `[[rule]]` tables
//! (`X` caps a metric, `X_min` floors it) and of `[baseline]` tolerances.

use rust_decimal::Decimal;

use crate::aggregate::{Distribution, MoneySummary, Stats};

/// Which direction is a regression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Usd,
    Tokens,
    Ratio,
    Count,
    /// A change in percent (`whatif` savings).
    Percent,
}

pub struct MetricDef {
    pub name: &'static str,
    pub better: Better,
    pub unit: Unit,
    /// One line for `check --list-metrics` and the README.
    pub about: &'static str,
    pub value: fn(&Stats) -> Option<Decimal>,
}

fn dist(d: Distribution, p: u32) -> Option<Decimal> {
    d.percentile(p).map(Decimal::from)
}

fn cost_task(s: &Stats, which: &str) -> Option<Decimal> {
    s.tasks
        .cost_per_task()
        .as_ref()
        .and_then(|m: &MoneySummary| m.get(which))
}

pub const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "total_cost_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "cost of all priced records",
        value: |s| s.known_cost(),
    },
    MetricDef {
        name: "cost_per_request_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "mean cost of a priced request",
        value: |s| s.cost_per_request(),
    },
    MetricDef {
        name: "cost_per_task_mean_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "mean cost of a fully priced task",
        value: |s| cost_task(s, "mean"),
    },
    MetricDef {
        name: "cost_per_task_p50_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "median cost of a task (nearest rank)",
        value: |s| cost_task(s, "p50"),
    },
    MetricDef {
        name: "cost_per_task_p90_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "90th percentile cost of a task",
        value: |s| cost_task(s, "p90"),
    },
    MetricDef {
        name: "cost_per_task_p95_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "95th percentile cost of a task",
        value: |s| cost_task(s, "p95"),
    },
    MetricDef {
        name: "cost_per_task_p99_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "99th percentile cost of a task",
        value: |s| cost_task(s, "p99"),
    },
    MetricDef {
        name: "cost_per_task_max_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "cost of the most expensive task",
        value: |s| cost_task(s, "max"),
    },
    MetricDef {
        name: "cost_per_successful_task_usd",
        better: Better::Lower,
        unit: Unit::Usd,
        about: "cost of tasks with an outcome (failures included) per successful task",
        value: |s| s.tasks.cost_per_successful_task(),
    },
    MetricDef {
        name: "tokens_per_task_mean",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "mean tokens (all buckets) of a task",
        value: |s| s.tasks.tokens_per_task().mean(),
    },
    MetricDef {
        name: "tokens_per_task_p50",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "median tokens of a task",
        value: |s| dist(s.tasks.tokens_per_task(), 50),
    },
    MetricDef {
        name: "tokens_per_task_p95",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "95th percentile tokens of a task",
        value: |s| dist(s.tasks.tokens_per_task(), 95),
    },
    MetricDef {
        name: "requests_per_task_mean",
        better: Better::Lower,
        unit: Unit::Ratio,
        about: "mean API requests per task",
        value: |s| s.tasks.requests_per_task().mean(),
    },
    MetricDef {
        name: "output_tokens_per_response_mean",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "mean output tokens of a response",
        value: |s| s.output_per_response.mean(),
    },
    MetricDef {
        name: "output_tokens_per_response_p50",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "median output tokens of a response",
        value: |s| dist(s.output_per_response.clone(), 50),
    },
    MetricDef {
        name: "output_tokens_per_response_p90",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "90th percentile output tokens of a response",
        value: |s| dist(s.output_per_response.clone(), 90),
    },
    MetricDef {
        name: "output_tokens_per_response_p95",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "95th percentile output tokens of a response",
        value: |s| dist(s.output_per_response.clone(), 95),
    },
    MetricDef {
        name: "output_tokens_per_response_p99",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "99th percentile output tokens of a response",
        value: |s| dist(s.output_per_response.clone(), 99),
    },
    MetricDef {
        name: "output_input_ratio",
        better: Better::Lower,
        unit: Unit::Ratio,
        about: "output tokens per input token (verbosity)",
        value: |s| s.output_input_ratio(),
    },
    MetricDef {
        name: "reasoning_share",
        better: Better::Lower,
        unit: Unit::Ratio,
        about: "reasoning tokens as a share of output",
        value: |s| s.reasoning_share(),
    },
    MetricDef {
        name: "cache_hit_rate",
        better: Better::Higher,
        unit: Unit::Ratio,
        about: "cache reads as a share of all input",
        value: |s| s.cache_hit_rate(),
    },
    MetricDef {
        name: "total_tokens",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "tokens in all buckets",
        value: |s| Some(Decimal::from(s.usage.total())),
    },
    MetricDef {
        name: "output_tokens",
        better: Better::Lower,
        unit: Unit::Tokens,
        about: "output tokens (reasoning included)",
        value: |s| Some(Decimal::from(s.usage.output)),
    },
    MetricDef {
        name: "unpriced_records",
        better: Better::Lower,
        unit: Unit::Count,
        about: "records that could not be priced",
        value: |s| Some(Decimal::from(s.unpriced_records)),
    },
    MetricDef {
        name: "filler_share",
        better: Better::Lower,
        unit: Unit::Ratio,
        about: "words inside stock filler phrases / all words of responses (density)",
        value: |s| s.density.filler_share(),
    },
    MetricDef {
        name: "repeated_ngram_share",
        better: Better::Lower,
        unit: Unit::Ratio,
        about: "word 3-grams repeating an earlier one in the same response / all 3-grams (density)",
        value: |s| s.density.repeated_ngram_share(),
    },
    MetricDef {
        name: "compressibility",
        better: Better::Higher,
        unit: Unit::Ratio,
        about: "zstd-compressed / raw bytes of responses; lower is more repetitive (density)",
        value: |s| s.density.compressibility(),
    },
    MetricDef {
        name: "chars_per_token",
        better: Better::Higher,
        unit: Unit::Ratio,
        about: "response characters / visible output tokens (density)",
        value: |s| s.density.chars_per_token(s.density_output),
    },
    MetricDef {
        name: "tasks",
        better: Better::Higher,
        unit: Unit::Count,
        about: "tasks seen (a floor catches an eval run that silently shrank)",
        value: |s| Some(Decimal::from(s.tasks.count())),
    },
];

/// Metrics that need response text measured (`--metrics density`).
pub const DENSITY: &[&str] = &[
    "filler_share",
    "repeated_ngram_share",
    "compressibility",
    "chars_per_token",
];

pub fn find(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.name == name)
}

/// Metrics compared with a baseline when the budget file names none.
pub const DEFAULT_BASELINE: &[&str] = &[
    "total_cost_usd",
    "cost_per_task_mean_usd",
    "cost_per_task_p95_usd",
    "tokens_per_task_p50",
    "output_tokens_per_response_p95",
    "output_input_ratio",
];

/// A limit key: a metric name (a cap) or a metric name plus `_min` (a floor).
pub fn parse_limit_key(key: &str) -> Option<(&'static MetricDef, bool)> {
    if let Some(m) = find(key) {
        return Some((m, false));
    }
    key.strip_suffix("_min").and_then(find).map(|m| (m, true))
}

/// Display of a value in its unit (exact values are in the JSON).
pub fn show(unit: Unit, v: Decimal) -> String {
    match unit {
        Unit::Usd => {
            let places = if v.abs() >= Decimal::ONE { 4 } else { 6 };
            crate::fmt::money(v, places)
        }
        Unit::Tokens | Unit::Count => {
            let r = v.round_dp(2).normalize();
            if r.fract().is_zero() {
                match u64::try_from(r) {
                    Ok(n) => crate::fmt::thousands(n),
                    Err(_) => r.to_string(),
                }
            } else {
                r.to_string()
            }
        }
        Unit::Ratio => v.round_dp(4).normalize().to_string(),
        Unit::Percent => format!("{}%", crate::fmt::fixed(v, 2)),
    }
}
