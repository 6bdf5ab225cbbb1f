//! Per-task rollups: what one unit of work (a ticket, an eval case, an
//! agent session) cost, and the distribution of that over tasks.
//!
//! State is one small entry per task, kept exactly (integer tokens, decimal
//! money), so shard reports merge exactly: a task that spans shards is
//! summed, not averaged.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::{Distribution, add_money};
use crate::bill::{Billed, Pricing};

/// One task's sums.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskStats {
    /// API requests made for the task.
    pub requests: u64,
    pub tokens: u64,
    pub output: u64,
    /// Cost of the task's priced records.
    pub cost: Decimal,
    /// Records that could not be priced: the task's cost is then unknown.
    pub unpriced: u64,
    /// Records reporting success / failure of the task.
    pub successes: u64,
    pub failures: u64,
}

impl TaskStats {
    fn add(&mut self, b: &Billed) {
        self.requests = self.requests.saturating_add(b.record.requests);
        self.tokens = self.tokens.saturating_add(b.usage.total());
        self.output = self.output.saturating_add(b.usage.output);
        match &b.pricing {
            Pricing::Priced { cost, .. } => self.cost = add_money(self.cost, cost.total),
            Pricing::Unpriced { .. } => self.unpriced += 1,
        }
        match b.record.outcome {
            Some(true) => self.successes += 1,
            Some(false) => self.failures += 1,
            None => {}
        }
    }

    pub fn merge(&mut self, o: &TaskStats) {
        self.requests = self.requests.saturating_add(o.requests);
        self.tokens = self.tokens.saturating_add(o.tokens);
        self.output = self.output.saturating_add(o.output);
        self.cost = add_money(self.cost, o.cost);
        self.unpriced = self.unpriced.saturating_add(o.unpriced);
        self.successes = self.successes.saturating_add(o.successes);
        self.failures = self.failures.saturating_add(o.failures);
    }

    /// A task succeeded when any of its records says so (a retry that
    /// passed), failed when outcomes were logged and none was a success.
    /// Order-free, so it merges across shards.
    pub fn outcome(&self) -> Option<bool> {
        if self.successes > 0 {
            Some(true)
        } else if self.failures > 0 {
            Some(false)
        } else {
            None
        }
    }

    pub fn priced(&self) -> bool {
        self.unpriced == 0
    }
}

/// Task id → sums. Ids are shared (`Arc<str>`): a task's id is stored
/// once however many groups it appears in (see [`Tasks::intern`]). The
/// map is behind an `Arc` so that a report document can hold it without a
/// copy (docs/json.md, `tasks.state`); it is mutated only while its count
/// is one, so `make_mut` never clones it. A B-tree: reports list tasks in
/// id order without sorting, and it grows without a hash table's doubling
/// (measured, 300k tasks: 137 MB peak as a table, 163 MB with an
/// `FxHashMap`).
pub type TaskMap = std::collections::BTreeMap<Arc<str>, TaskStats>;

/// The tasks of one group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tasks {
    pub by_task: Arc<TaskMap>,
    /// Records with no task id: left out of every per-task figure.
    pub records_without_task: u64,
}

/// Exact percentile summary of decimal values (nearest rank).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoneySummary {
    pub n: u64,
    pub mean: Decimal,
    pub p50: Decimal,
    pub p90: Decimal,
    pub p95: Decimal,
    pub p99: Decimal,
    pub max: Decimal,
}

impl MoneySummary {
    pub fn of(mut values: Vec<Decimal>) -> Option<MoneySummary> {
        if values.is_empty() {
            return None;
        }
        values.sort();
        let n = values.len() as u64;
        let sum = values.iter().fold(Decimal::ZERO, |a, v| add_money(a, *v));
        let at = |p: u64| {
            let rank = (n * p).div_ceil(100).max(1);
            values[(rank - 1) as usize]
        };
        Some(MoneySummary {
            n,
            mean: sum / Decimal::from(n),
            p50: at(50),
            p90: at(90),
            p95: at(95),
            p99: at(99),
            max: values[values.len() - 1],
        })
    }

    /// Look a percentile up by name (`p50`, `p95`, `mean`, `max`).
    pub fn get(&self, name: &str) -> Option<Decimal> {
        Some(match name {
            "mean" => self.mean,
            "p50" => self.p50,
            "p90" => self.p90,
            "p95" => self.p95,
            "p99" => self.p99,
            "max" => self.max,
            _ => return None,
        })
    }
}

impl Tasks {
    /// The record's task id, shared with this map's copy when the task was
    /// seen before (the run's totals see every task, so interning there
    /// gives every group the same id).
    pub fn intern(&self, b: &Billed) -> Option<Arc<str>> {
        let t = b.record.task.as_deref().filter(|t| !t.is_empty())?;
        Some(match self.by_task.get_key_value(t) {
            Some((k, _)) => k.clone(),
            None => Arc::from(t),
        })
    }

    /// Add a record whose task id is `task` (from [`Tasks::intern`]).
    pub fn add(&mut self, b: &Billed, task: Option<&Arc<str>>) {
        match task {
            Some(t) => {
                let map = Arc::make_mut(&mut self.by_task);
                // Look up before inserting so the common case (task seen
                // before) does not touch the id's count.
                if let Some(s) = map.get_mut(&**t) {
                    s.add(b);
                } else {
                    let mut s = TaskStats::default();
                    s.add(b);
                    map.insert(t.clone(), s);
                }
            }
            None => self.records_without_task += 1,
        }
    }

    pub fn merge(&mut self, o: &Tasks) {
        let map = Arc::make_mut(&mut self.by_task);
        for (t, s) in o.by_task.iter() {
            match map.get_mut(&**t) {
                Some(mine) => mine.merge(s),
                None => {
                    map.insert(t.clone(), s.clone());
                }
            }
        }
        self.records_without_task = self
            .records_without_task
            .saturating_add(o.records_without_task);
    }

    pub fn count(&self) -> u64 {
        self.by_task.len() as u64
    }

    /// Tasks with an unpriced record: their cost is unknown and they are
    /// left out of the cost distribution.
    pub fn unpriced_tasks(&self) -> u64 {
        self.by_task.values().filter(|s| !s.priced()).count() as u64
    }

    pub fn requests_per_task(&self) -> Distribution {
        let mut d = Distribution::default();
        for s in self.by_task.values() {
            d.add(s.requests);
        }
        d
    }

    pub fn tokens_per_task(&self) -> Distribution {
        let mut d = Distribution::default();
        for s in self.by_task.values() {
            d.add(s.tokens);
        }
        d
    }

    /// Cost per fully priced task.
    pub fn cost_per_task(&self) -> Option<MoneySummary> {
        MoneySummary::of(
            self.by_task
                .values()
                .filter(|s| s.priced())
                .map(|s| s.cost)
                .collect(),
        )
    }

    pub fn successful_tasks(&self) -> u64 {
        self.by_task
            .values()
            .filter(|s| s.outcome() == Some(true))
            .count() as u64
    }

    pub fn tasks_with_outcome(&self) -> u64 {
        self.by_task
            .values()
            .filter(|s| s.outcome().is_some())
            .count() as u64
    }

    /// What one success cost: everything spent on tasks with a known
    /// outcome (failed attempts included) divided by the tasks that
    /// succeeded. `None` without a priced success.
    pub fn cost_per_successful_task(&self) -> Option<Decimal> {
        let judged: Vec<&TaskStats> = self
            .by_task
            .values()
            .filter(|s| s.outcome().is_some() && s.priced())
            .collect();
        let wins = judged.iter().filter(|s| s.outcome() == Some(true)).count() as u64;
        // Summed in value order, not map order, so that the same tasks give
        // the same digits however they were gathered (shards, threads).
        let mut costs: Vec<Decimal> = judged.iter().map(|s| s.cost).collect();
        costs.sort_unstable();
        (wins > 0).then(|| {
            costs.iter().fold(Decimal::ZERO, |a, c| add_money(a, *c)) / Decimal::from(wins)
        })
    }

    /// The `n` most expensive priced tasks, most expensive first (ties by
    /// name, so the list is stable).
    pub fn top(&self, n: usize) -> Vec<(&str, &TaskStats)> {
        let mut v: Vec<(&str, &TaskStats)> = self
            .by_task
            .iter()
            .filter(|(_, s)| s.priced())
            .map(|(t, s)| (&**t, s))
            .collect();
        v.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn task(cost: &str, successes: u64, failures: u64, unpriced: u64) -> TaskStats {
        TaskStats {
            requests: 1,
            tokens: 10,
            output: 1,
            cost: d(cost),
            unpriced,
            successes,
            failures,
        }
    }

    #[test]
    fn money_percentiles_are_nearest_rank() {
        let s = MoneySummary::of(
            ["0.01", "0.02", "0.03", "0.04", "0.10"]
                .iter()
                .map(|x| d(x))
                .collect(),
        )
        .unwrap();
        assert_eq!(s.mean, d("0.04"));
        assert_eq!(s.p50, d("0.03"));
        assert_eq!(s.p90, d("0.10"));
        assert_eq!(s.max, d("0.10"));
        assert!(MoneySummary::of(vec![]).is_none());
    }

    #[test]
    fn cost_per_success_counts_failed_attempts() {
        let mut t = Tasks::default();
        Arc::make_mut(&mut t.by_task).insert("a".into(), task("0.30", 1, 2, 0));
        Arc::make_mut(&mut t.by_task).insert("b".into(), task("0.10", 0, 1, 0));
        Arc::make_mut(&mut t.by_task).insert("c".into(), task("0.50", 0, 0, 0));
        Arc::make_mut(&mut t.by_task).insert("d".into(), task("0.20", 1, 0, 1));
        // Judged and priced: a (win) and b (loss) → (0.30 + 0.10) / 1.
        assert_eq!(t.cost_per_successful_task(), Some(d("0.40")));
        assert_eq!(t.successful_tasks(), 2);
        assert_eq!(t.tasks_with_outcome(), 3);
        assert_eq!(t.unpriced_tasks(), 1);
        let top: Vec<&str> = t.top(2).into_iter().map(|(n, _)| n).collect();
        assert_eq!(top, ["c", "a"]);
        assert_eq!(t.cost_per_task().unwrap().n, 3);
    }

    #[test]
    fn merging_sums_tasks_that_span_shards() {
        let mut a = Tasks::default();
        Arc::make_mut(&mut a.by_task).insert("x".into(), task("0.10", 0, 1, 0));
        let mut b = Tasks::default();
        Arc::make_mut(&mut b.by_task).insert("x".into(), task("0.05", 1, 0, 0));
        b.records_without_task = 2;
        a.merge(&b);
        let x = &a.by_task["x"];
        assert_eq!(x.cost, d("0.15"));
        assert_eq!(x.requests, 2);
        assert_eq!(x.outcome(), Some(true));
        assert_eq!(a.records_without_task, 2);
    }
}
