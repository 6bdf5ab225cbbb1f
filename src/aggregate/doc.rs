//! An aggregate and its JSON document (`schema::report`), both ways: written
//! by `report --format json`, read back by `merge` (shard reports combined)
//! and `check` (a saved baseline). Both directions sit in this one file so
//! that a field added to one is seen next to the other.
//!
//! The document carries everything the figures are computed from (sums as
//! integers and exact decimals, the output-per-response histogram, per-task
//! state, density counts, drift sums). Derived figures (means, percentiles,
//! ratios) are written for readers and recomputed, never read back.

use rust_decimal::Decimal;

use super::tasks::TaskStats;
use super::{Aggregate, Dimension, Distribution, Drift, MoneySummary, Stats, Tasks};
use crate::metrics::density::Density;
use crate::record::Usage;
use crate::run::{Accounting, InputId};
use crate::schema::report::*;
use crate::schema::{Dec, OrderedMap, SCHEMA_VERSION};

/// A report read back: its aggregate and its accounting.
#[derive(Clone, Debug)]
pub struct ReportState {
    pub aggregate: Aggregate,
    pub accounting: Accounting,
}

type R<T> = Result<T, String>;

fn rounded(v: Option<Decimal>, places: u32) -> Option<Dec> {
    v.map(|d| Dec::rounded(d, places))
}

// ---- writing ---------------------------------------------------------------

impl Aggregate {
    /// The report document: `tolerance_pct` flags drift, `top` lists the
    /// most expensive tasks.
    pub fn to_doc(&self, acc: &Accounting, tolerance_pct: Decimal, top: usize) -> ReportDoc {
        let groups = self
            .groups
            .iter()
            .map(|(key, s)| GroupDoc {
                stats: stats_doc(s),
                key: OrderedMap(
                    self.dims
                        .iter()
                        .zip(key)
                        .map(|(d, v)| (d.as_str().to_string(), v.clone()))
                        .collect(),
                ),
            })
            .collect();
        let totals = TotalsDoc {
            stats: stats_doc(&self.totals),
            unpriced_models: self.unpriced.keys().cloned().collect(),
            unpriced: self
                .unpriced
                .iter()
                .map(|(m, (n, reason))| UnpricedDoc {
                    model: m.clone(),
                    records: Some(*n),
                    reason: reason.clone(),
                })
                .collect(),
        };
        let drift = self
            .drift
            .iter()
            .map(|(model, d)| drift_doc(model, d, tolerance_pct))
            .collect();
        let top_tasks = self
            .totals
            .tasks
            .top(top)
            .into_iter()
            .map(|(name, t)| TopTaskDoc {
                task: name.to_string(),
                requests: t.requests,
                tokens: t.tokens,
                output_tokens: t.output,
                cost_usd: Dec(t.cost),
                outcome: t.outcome(),
            })
            .collect();
        ReportDoc {
            schema_version: SCHEMA_VERSION,
            currency: "USD".into(),
            group_by: self.dims.iter().map(|d| d.as_str().to_string()).collect(),
            groups,
            totals,
            skipped: SkippedDoc {
                lines: acc.skipped_lines(),
                by_reason: acc.skipped.clone(),
            },
            filtered_records: Some(acc.filtered),
            drift: Some(DriftDoc {
                tolerance_pct: Some(Dec(tolerance_pct)),
                models: drift,
            }),
            top_tasks,
            accounting: Some(accounting_doc(acc)),
        }
    }
}

pub fn drift_doc(model: &str, d: &Drift, tolerance_pct: Decimal) -> DriftModelDoc {
    DriftModelDoc {
        model: model.to_string(),
        prompt_records: d.prompt_records,
        reported_prompt_tokens: d.reported_prompt,
        counted_prompt_tokens: d.counted_prompt,
        prompt_ratio: rounded(d.prompt_ratio(), 4),
        response_records: d.response_records,
        reported_response_tokens: d.reported_response,
        counted_response_tokens: d.counted_response,
        response_ratio: rounded(d.response_ratio(), 4),
        exact_tokenizer: Some(d.exact),
        flagged: d.flagged(tolerance_pct),
    }
}

fn accounting_doc(acc: &Accounting) -> AccountingDoc {
    AccountingDoc {
        lines: acc.lines,
        records: acc.records,
        unpriced_records: Some(acc.unpriced),
        deduplicated: DeduplicatedDoc {
            records: acc.deduplicated_records(),
            by_reason: acc.deduplicated.clone(),
        },
        not_billed: NotBilledDoc {
            lines: acc.not_billed_lines(),
            by_reason: acc.not_billed.clone(),
        },
        merged: acc.merged_lines(),
        skipped: acc.skipped_lines(),
        filtered: acc.filtered,
        inputs: Some(
            acc.inputs
                .iter()
                .map(|i| InputDoc {
                    path: i.path.clone(),
                    bytes: i.bytes,
                    xxh3: format!("{:032x}", i.xxh3),
                })
                .collect(),
        ),
    }
}

pub fn usage_doc(u: &Usage) -> UsageDoc {
    UsageDoc {
        input: u.input,
        cache_read: u.cache_read,
        cache_write_5m: u.cache_write_5m,
        cache_write_1h: u.cache_write_1h,
        output: u.output,
        reasoning: u.reasoning,
        total: u.total(),
    }
}

fn distribution_doc(d: &Distribution) -> DistributionDoc {
    DistributionDoc {
        mean: rounded(d.mean(), 2),
        p50: d.percentile(50),
        p90: d.percentile(90),
        p99: d.percentile(99),
        max: d.percentile(100),
    }
}

/// Money is exact; derived ratios are rounded (docs/json.md says to what).
fn stats_doc(s: &Stats) -> StatsDoc {
    let d = &s.density;
    StatsDoc {
        records: s.records,
        requests: Some(s.requests),
        priced_records: s.priced_records,
        priced_requests: Some(s.priced_requests),
        priced_request_cost_usd: Some(Dec(s.request_cost)),
        unpriced_records: s.unpriced_records,
        usage: usage_doc(&s.usage),
        priced_usage: usage_doc(&s.priced_usage),
        cost_usd: s.known_cost().map(Dec),
        cost_breakdown: s
            .cost_breakdown
            .iter()
            .map(|(k, v)| (k.to_string(), Dec(*v)))
            .collect(),
        cost_per_request_usd: rounded(s.cost_per_request(), 8),
        output_tokens_per_response: OutputPerResponseDoc {
            summary: distribution_doc(&s.output_per_response),
            histogram: s.output_per_response.buckets().collect(),
        },
        cache_hit_rate: rounded(s.cache_hit_rate(), 4),
        reported_cost_usd: (s.reported_cost_records > 0).then_some(Dec(s.reported_cost)),
        tasks: Some(tasks_doc(&s.tasks)),
        density: Some(DensityDoc {
            responses: d.responses,
            chars: d.chars,
            raw_bytes: d.raw_bytes,
            compressed_bytes: d.compressed_bytes,
            words: d.words,
            ngrams: d.ngrams,
            repeated_ngrams: d.repeated_ngrams,
            filler_words: d.filler_words,
            lines: d.lines,
            distinct_lines: d.distinct_lines,
            visible_output_tokens: s.density_output,
            chars_per_token: d.chars_per_token(s.density_output).map(Dec),
            compressibility: d.compressibility().map(Dec),
            repeated_ngram_share: d.repeated_ngram_share().map(Dec),
            filler_share: d.filler_share().map(Dec),
            tokens_per_distinct_line: d.tokens_per_distinct_line(s.density_output).map(Dec),
        }),
        verbosity: Some(VerbosityDoc {
            output_input_ratio: rounded(s.output_input_ratio(), 4),
            reasoning_share: rounded(s.reasoning_share(), 4),
        }),
        cache: Some(CacheDoc {
            hit_rate: rounded(s.cache_hit_rate(), 4),
            savings_usd: Dec(s.cache_savings),
            write_premium_usd: Dec(s.cache_write_premium),
            net_savings_usd: Some(Dec(s.cache_savings - s.cache_write_premium)),
        }),
        reported_cost_records: Some(s.reported_cost_records),
        counted_records: s.counted_records,
        approx_records: s.approx_records,
        undated_records: s.undated_records,
        long_context_records: s.long_context_records,
    }
}

fn money_distribution_doc(m: MoneySummary) -> MoneyDistributionDoc {
    MoneyDistributionDoc {
        mean: Dec::rounded(m.mean, 8),
        p50: Dec(m.p50),
        p90: Dec(m.p90),
        p95: Dec(m.p95),
        p99: Dec(m.p99),
        max: Dec(m.max),
    }
}

fn tasks_doc(t: &Tasks) -> TasksDoc {
    TasksDoc {
        count: t.count(),
        records_without_task: t.records_without_task,
        unpriced_tasks: t.unpriced_tasks(),
        requests_per_task: distribution_doc(&t.requests_per_task()),
        tokens_per_task: distribution_doc(&t.tokens_per_task()),
        cost_per_task_usd: t.cost_per_task().map(money_distribution_doc),
        tasks_with_outcome: t.tasks_with_outcome(),
        successful_tasks: t.successful_tasks(),
        cost_per_successful_task_usd: rounded(t.cost_per_successful_task(), 8),
        state: TaskRows::Live(t.by_task.clone()),
    }
}

// ---- reading ---------------------------------------------------------------

fn usage(u: &UsageDoc) -> Usage {
    Usage {
        input: u.input,
        cache_read: u.cache_read,
        cache_write_5m: u.cache_write_5m,
        cache_write_1h: u.cache_write_1h,
        output: u.output,
        reasoning: u.reasoning,
    }
}

fn money(d: Option<Dec>) -> Decimal {
    d.map_or(Decimal::ZERO, |d| d.0)
}

/// One group's (or the totals') stats. Fields added after the first
/// release (request counts, cache economics, task state, density) may be
/// missing from a baseline saved by an earlier tokenmaxx: they read as
/// absent (zero, no tasks), and the figures they feed show as not measured.
pub fn stats_from_doc(v: &StatsDoc, at: &str) -> R<Stats> {
    let cost = money(v.cost_usd);
    let mut s = Stats {
        records: v.records,
        requests: v.requests.unwrap_or(v.records),
        priced_records: v.priced_records,
        priced_requests: v.priced_requests.unwrap_or(v.priced_records),
        request_cost: v.priced_request_cost_usd.map_or(cost, |d| d.0),
        unpriced_records: v.unpriced_records,
        usage: usage(&v.usage),
        priced_usage: usage(&v.priced_usage),
        cost,
        approx_records: v.approx_records,
        counted_records: v.counted_records,
        undated_records: v.undated_records,
        long_context_records: v.long_context_records,
        reported_cost: money(v.reported_cost_usd),
        reported_cost_records: v.reported_cost_records.unwrap_or(0),
        ..Stats::default()
    };
    for (k, x) in &v.cost_breakdown {
        let name = crate::price::COST_BUCKETS
            .iter()
            .find(|n| **n == k)
            .ok_or_else(|| format!("{at}.cost_breakdown: unknown bucket `{k}`"))?;
        s.cost_breakdown.insert(name, x.0);
    }
    for &(value, count) in &v.output_tokens_per_response.histogram {
        s.output_per_response.add_n(value, count);
    }
    if let Some(cache) = &v.cache {
        s.cache_savings = cache.savings_usd.0;
        s.cache_write_premium = cache.write_premium_usd.0;
    }
    if let Some(tasks) = &v.tasks {
        s.tasks.records_without_task = tasks.records_without_task;
        let map = std::sync::Arc::make_mut(&mut s.tasks.by_task);
        tasks.state.for_each(|row| {
            let TaskStateDoc(name, requests, tokens, output, cost, unpriced, successes, failures) =
                row;
            let t = TaskStats {
                requests: *requests,
                tokens: *tokens,
                output: *output,
                cost: cost.0,
                unpriced: *unpriced,
                successes: *successes,
                failures: *failures,
            };
            match map.get_mut(name.as_str()) {
                Some(mine) => mine.merge(&t),
                None => {
                    map.insert(std::sync::Arc::from(name.as_str()), t);
                }
            }
        });
    }
    if let Some(d) = &v.density {
        s.density = Density {
            responses: d.responses,
            chars: d.chars,
            raw_bytes: d.raw_bytes,
            compressed_bytes: d.compressed_bytes,
            words: d.words,
            ngrams: d.ngrams,
            repeated_ngrams: d.repeated_ngrams,
            filler_words: d.filler_words,
            lines: d.lines,
            distinct_lines: d.distinct_lines,
        };
        s.density_output = d.visible_output_tokens;
    }
    Ok(s)
}

fn accounting(v: &ReportDoc, totals: &Stats) -> R<Accounting> {
    let skipped = v.skipped.by_reason.clone();
    let Some(a) = &v.accounting else {
        // A report from before the line accounting: what it knew.
        let filtered = v.filtered_records.unwrap_or(0);
        let skipped_lines = skipped.values().fold(0u64, |a, n| a.saturating_add(*n));
        return Ok(Accounting {
            lines: totals
                .records
                .saturating_add(skipped_lines)
                .saturating_add(filtered),
            records: totals.records,
            unpriced: totals.unpriced_records,
            skipped,
            filtered,
            ..Accounting::default()
        });
    };
    let inputs = a
        .inputs
        .iter()
        .flatten()
        .enumerate()
        .map(|(n, i)| {
            let xxh3 = (i.xxh3.len() == 32)
                .then(|| u128::from_str_radix(&i.xxh3, 16).ok())
                .flatten()
                .ok_or_else(|| {
                    format!(
                        "accounting.inputs[{n}].xxh3: not 32 hex digits: {:?}",
                        i.xxh3
                    )
                })?;
            Ok(InputId {
                path: i.path.clone(),
                bytes: i.bytes,
                xxh3,
            })
        })
        .collect::<R<_>>()?;
    Ok(Accounting {
        lines: a.lines,
        records: a.records,
        unpriced: a.unpriced_records.unwrap_or(0),
        skipped,
        filtered: a.filtered,
        deduplicated: a.deduplicated.by_reason.clone(),
        not_billed: a.not_billed.by_reason.clone(),
        inputs,
    })
}

/// A report document from JSON, its version checked first (a report from a
/// newer release is named as such rather than as malformed).
pub fn read_doc(v: serde_json::Value) -> R<ReportDoc> {
    match v.get("schema_version").map(|x| x.as_u64()) {
        None => return Err("report: missing `schema_version`".into()),
        Some(None) => return Err("report: `schema_version` is not a non-negative integer".into()),
        Some(Some(n)) if n != u64::from(SCHEMA_VERSION) => {
            return Err(format!(
                "schema_version {n}, this tokenmaxx reads {SCHEMA_VERSION}"
            ));
        }
        Some(Some(_)) => {}
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

impl ReportState {
    /// Read a whole report. Checks the schema version, the dimensions and
    /// that every group has a value for each.
    pub fn from_doc(v: &ReportDoc) -> R<ReportState> {
        if v.schema_version != SCHEMA_VERSION {
            return Err(format!(
                "schema_version {}, this tokenmaxx reads {SCHEMA_VERSION}",
                v.schema_version
            ));
        }
        let dims: Vec<Dimension> = v
            .group_by
            .iter()
            .map(|d| {
                Dimension::from_name(d).ok_or_else(|| format!("report: unknown dimension \"{d}\""))
            })
            .collect::<R<_>>()?;
        // Merged reports never re-derive day keys, so the zone is unused.
        let mut agg = Aggregate::new(dims.clone(), jiff::tz::TimeZone::UTC);
        for (i, g) in v.groups.iter().enumerate() {
            let at = format!("groups[{i}]");
            let key: Vec<String> = dims
                .iter()
                .map(|d| {
                    g.key
                        .get(d.as_str())
                        .cloned()
                        .ok_or_else(|| format!("{at}.key: missing `{}`", d.as_str()))
                })
                .collect::<R<_>>()?;
            let s = stats_from_doc(&g.stats, &at)?;
            agg.groups.entry(key).or_default().merge(&s);
        }
        agg.totals = stats_from_doc(&v.totals.stats, "totals")?;
        for u in &v.totals.unpriced {
            agg.unpriced
                .insert(u.model.clone(), (u.records.unwrap_or(0), u.reason.clone()));
        }
        for m in v.drift.iter().flat_map(|d| &d.models) {
            let d = Drift {
                prompt_records: m.prompt_records,
                reported_prompt: m.reported_prompt_tokens,
                counted_prompt: m.counted_prompt_tokens,
                response_records: m.response_records,
                reported_response: m.reported_response_tokens,
                counted_response: m.counted_response_tokens,
                exact: m.exact_tokenizer == Some(true),
            };
            agg.drift.entry(m.model.clone()).or_default().merge(&d);
        }
        let accounting = accounting(v, &agg.totals)?;
        Ok(ReportState {
            aggregate: agg,
            accounting,
        })
    }

    /// Read a report from a parsed JSON value.
    pub fn from_value(v: serde_json::Value) -> R<(ReportState, ReportDoc)> {
        let doc = read_doc(v)?;
        Ok((ReportState::from_doc(&doc)?, doc))
    }

    /// Add another shard's report: every sum exact, distributions merged
    /// from their state. Both must group by the same dimensions.
    pub fn merge(&mut self, o: &ReportState) -> R<()> {
        if self.aggregate.dims != o.aggregate.dims {
            return Err(format!(
                "reports group by different dimensions ({} vs {})",
                dims_str(&self.aggregate.dims),
                dims_str(&o.aggregate.dims)
            ));
        }
        let a = &mut self.aggregate;
        for (k, s) in &o.aggregate.groups {
            a.groups.entry(k.clone()).or_default().merge(s);
        }
        a.totals.merge(&o.aggregate.totals);
        for (m, (n, reason)) in &o.aggregate.unpriced {
            let e = a.unpriced.entry(m.clone()).or_insert((0, reason.clone()));
            e.0 = e.0.saturating_add(*n);
        }
        for (m, d) in &o.aggregate.drift {
            a.drift.entry(m.clone()).or_default().merge(d);
        }
        self.accounting.merge(&o.accounting);
        self.overflow()
    }

    /// An error naming the first figure whose sum overflowed (see
    /// [`Stats::overflowed`]).
    pub fn overflow(&self) -> R<()> {
        let a = &self.aggregate;
        let found = a
            .totals
            .overflowed()
            .map(|f| format!("totals.{f}"))
            .or_else(|| {
                a.groups.iter().find_map(|(k, s)| {
                    s.overflowed()
                        .map(|f| format!("{f} of group {}", k.join(",")))
                })
            })
            .or_else(|| {
                self.accounting
                    .overflowed()
                    .map(|f| format!("accounting.{f}"))
            });
        match found {
            Some(f) => Err(format!(
                "{f} is too large to add: the reports are corrupt or were edited"
            )),
            None => Ok(()),
        }
    }
}

fn dims_str(d: &[Dimension]) -> String {
    if d.is_empty() {
        return "nothing".into();
    }
    d.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(",")
}
