//! `report --format json`: groups, totals, accounting, drift and top tasks.
//! Besides the figures, a report carries the state they are computed from
//! (integer sums, exact money, histograms, per-task entries), so that
//! `merge` and `check` baselines recompute every figure exactly. Derived
//! figures are written for readers and ignored when a report is read back.
//!
//! Fields marked `#[serde(default)]` may be missing from a report saved by
//! an earlier release (they were added later); such a report still reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Dec, OrderedMap};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReportDoc {
    pub schema_version: u32,
    #[serde(default = "usd")]
    pub currency: String,
    /// The `--by` dimensions, in order.
    pub group_by: Vec<String>,
    pub groups: Vec<GroupDoc>,
    pub totals: TotalsDoc,
    pub skipped: SkippedDoc,
    #[serde(default)]
    pub filtered_records: Option<u64>,
    #[serde(default)]
    pub drift: Option<DriftDoc>,
    #[serde(default)]
    pub top_tasks: Vec<TopTaskDoc>,
    /// Where every line read went; absent from reports of the first release.
    #[serde(default)]
    pub accounting: Option<AccountingDoc>,
}

fn usd() -> String {
    "USD".into()
}

/// One group: its figures, then its key (dimension → value).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupDoc {
    #[serde(flatten)]
    pub stats: StatsDoc,
    pub key: OrderedMap<String>,
}

/// The totals: a group's figures, plus what the totals leave out.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TotalsDoc {
    #[serde(flatten)]
    pub stats: StatsDoc,
    #[serde(default)]
    pub unpriced_models: Vec<String>,
    #[serde(default)]
    pub unpriced: Vec<UnpricedDoc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UnpricedDoc {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub records: Option<u64>,
    #[serde(default)]
    pub reason: String,
}

/// Figures shared by groups and totals.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatsDoc {
    pub records: u64,
    #[serde(default)]
    pub requests: Option<u64>,
    pub priced_records: u64,
    #[serde(default)]
    pub priced_requests: Option<u64>,
    #[serde(default)]
    pub priced_request_cost_usd: Option<Dec>,
    pub unpriced_records: u64,
    pub usage: UsageDoc,
    pub priced_usage: UsageDoc,
    /// Null when every record is unpriced.
    pub cost_usd: Option<Dec>,
    pub cost_breakdown: BTreeMap<String, Dec>,
    #[serde(default)]
    pub cost_per_request_usd: Option<Dec>,
    pub output_tokens_per_response: OutputPerResponseDoc,
    #[serde(default)]
    pub cache_hit_rate: Option<Dec>,
    pub reported_cost_usd: Option<Dec>,
    #[serde(default)]
    pub tasks: Option<TasksDoc>,
    #[serde(default)]
    pub density: Option<DensityDoc>,
    #[serde(default)]
    pub verbosity: Option<VerbosityDoc>,
    #[serde(default)]
    pub cache: Option<CacheDoc>,
    #[serde(default)]
    pub reported_cost_records: Option<u64>,
    pub counted_records: u64,
    pub approx_records: u64,
    pub undated_records: u64,
    pub long_context_records: u64,
}

/// Disjoint token buckets (docs/json.md, usage).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct UsageDoc {
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub output: u64,
    pub reasoning: u64,
    /// Derived (reasoning is inside output); ignored when read.
    #[serde(default)]
    pub total: u64,
}

/// Mean and nearest-rank percentiles of an integer per record or task.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DistributionDoc {
    #[serde(default)]
    pub mean: Option<Dec>,
    #[serde(default)]
    pub p50: Option<u64>,
    #[serde(default)]
    pub p90: Option<u64>,
    #[serde(default)]
    pub p99: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputPerResponseDoc {
    #[serde(flatten)]
    pub summary: DistributionDoc,
    /// Mergeable state: `[value, count]` pairs, ascending.
    pub histogram: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TasksDoc {
    #[serde(default)]
    pub count: u64,
    pub records_without_task: u64,
    #[serde(default)]
    pub unpriced_tasks: u64,
    #[serde(default)]
    pub requests_per_task: DistributionDoc,
    #[serde(default)]
    pub tokens_per_task: DistributionDoc,
    #[serde(default)]
    pub cost_per_task_usd: Option<MoneyDistributionDoc>,
    #[serde(default)]
    pub tasks_with_outcome: u64,
    #[serde(default)]
    pub successful_tasks: u64,
    #[serde(default)]
    pub cost_per_successful_task_usd: Option<Dec>,
    /// One entry per task, the state per-task figures come from.
    pub state: TaskRows,
}

/// `tasks.state`: rows read from a report, or the live task map of a run,
/// written row by row in task order without being copied (a run with
/// millions of tasks would otherwise hold them twice while it writes).
#[derive(Clone, Debug)]
pub enum TaskRows {
    Read(Vec<TaskStateDoc>),
    Live(std::sync::Arc<crate::aggregate::tasks::TaskMap>),
}

impl TaskRows {
    /// Each row, in the order it is written.
    pub fn for_each(&self, mut f: impl FnMut(&TaskStateDoc)) {
        match self {
            TaskRows::Read(rows) => rows.iter().for_each(f),
            TaskRows::Live(map) => {
                // A B-tree: already in task order.
                for (name, s) in map.iter() {
                    f(&row(name, s));
                }
            }
        }
    }
}

fn row(name: &str, s: &crate::aggregate::tasks::TaskStats) -> TaskStateDoc {
    TaskStateDoc(
        name.to_string(),
        s.requests,
        s.tokens,
        s.output,
        Dec(s.cost),
        s.unpriced,
        s.successes,
        s.failures,
    )
}

impl Serialize for TaskRows {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeTuple};
        match self {
            TaskRows::Read(rows) => rows.serialize(ser),
            TaskRows::Live(map) => {
                let mut seq = ser.serialize_seq(Some(map.len()))?;
                for (name, s) in map.iter() {
                    // The row as TaskStateDoc writes it, from borrowed parts.
                    struct Row<'a>(&'a str, &'a crate::aggregate::tasks::TaskStats);
                    impl Serialize for Row<'_> {
                        fn serialize<S: serde::Serializer>(
                            &self,
                            ser: S,
                        ) -> Result<S::Ok, S::Error> {
                            let s = self.1;
                            let mut t = ser.serialize_tuple(8)?;
                            t.serialize_element(self.0)?;
                            t.serialize_element(&s.requests)?;
                            t.serialize_element(&s.tokens)?;
                            t.serialize_element(&s.output)?;
                            t.serialize_element(&Dec(s.cost))?;
                            t.serialize_element(&s.unpriced)?;
                            t.serialize_element(&s.successes)?;
                            t.serialize_element(&s.failures)?;
                            t.end()
                        }
                    }
                    seq.serialize_element(&Row(name, s))?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for TaskRows {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<TaskStateDoc>::deserialize(d).map(TaskRows::Read)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MoneyDistributionDoc {
    pub mean: Dec,
    pub p50: Dec,
    pub p90: Dec,
    pub p95: Dec,
    pub p99: Dec,
    pub max: Dec,
}

/// `[task, requests, tokens, output_tokens, cost_usd, unpriced_records,
/// successes, failures]`: an array, because there is one per task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskStateDoc(
    pub String,
    pub u64,
    pub u64,
    pub u64,
    pub Dec,
    pub u64,
    pub u64,
    pub u64,
);

/// Density counts (mergeable) and the ratios derived from them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DensityDoc {
    pub responses: u64,
    pub chars: u64,
    pub raw_bytes: u64,
    pub compressed_bytes: u64,
    pub words: u64,
    pub ngrams: u64,
    pub repeated_ngrams: u64,
    pub filler_words: u64,
    pub lines: u64,
    pub distinct_lines: u64,
    pub visible_output_tokens: u64,
    #[serde(default)]
    pub chars_per_token: Option<Dec>,
    #[serde(default)]
    pub compressibility: Option<Dec>,
    #[serde(default)]
    pub repeated_ngram_share: Option<Dec>,
    #[serde(default)]
    pub filler_share: Option<Dec>,
    #[serde(default)]
    pub tokens_per_distinct_line: Option<Dec>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerbosityDoc {
    pub output_input_ratio: Option<Dec>,
    pub reasoning_share: Option<Dec>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CacheDoc {
    #[serde(default)]
    pub hit_rate: Option<Dec>,
    pub savings_usd: Dec,
    pub write_premium_usd: Dec,
    #[serde(default)]
    pub net_savings_usd: Option<Dec>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SkippedDoc {
    #[serde(default)]
    pub lines: u64,
    pub by_reason: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DriftDoc {
    pub tolerance_pct: Option<Dec>,
    #[serde(default)]
    pub models: Vec<DriftModelDoc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DriftModelDoc {
    #[serde(default)]
    pub model: String,
    pub prompt_records: u64,
    pub reported_prompt_tokens: u64,
    pub counted_prompt_tokens: u64,
    #[serde(default)]
    pub prompt_ratio: Option<Dec>,
    pub response_records: u64,
    pub reported_response_tokens: u64,
    pub counted_response_tokens: u64,
    #[serde(default)]
    pub response_ratio: Option<Dec>,
    #[serde(default)]
    pub exact_tokenizer: Option<bool>,
    #[serde(default)]
    pub flagged: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TopTaskDoc {
    pub task: String,
    pub requests: u64,
    pub tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Dec,
    pub outcome: Option<bool>,
}

/// Where every line read went; the parts add up to `lines`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountingDoc {
    pub lines: u64,
    pub records: u64,
    #[serde(default)]
    pub unpriced_records: Option<u64>,
    pub deduplicated: DeduplicatedDoc,
    pub not_billed: NotBilledDoc,
    #[serde(default)]
    pub merged: u64,
    #[serde(default)]
    pub skipped: u64,
    pub filtered: u64,
    /// Every input read to its end, in input order; absent from reports of
    /// releases before 0.2 (merge then cannot check shards for overlap).
    #[serde(default)]
    pub inputs: Option<Vec<InputDoc>>,
}

/// An input: its name as the command line gave it, and its size and
/// xxh3-128 hash (32 hex digits) of its bytes as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputDoc {
    pub path: String,
    pub bytes: u64,
    pub xxh3: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeduplicatedDoc {
    #[serde(default)]
    pub records: u64,
    pub by_reason: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotBilledDoc {
    #[serde(default)]
    pub lines: u64,
    pub by_reason: BTreeMap<String, u64>,
}
