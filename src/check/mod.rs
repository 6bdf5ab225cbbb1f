//! The CI gate: a budget file's limits, scoped rules, baseline comparison
//! and static prompt budgets, evaluated into a list of checks.
//!
//! Budget file (TOML, default `tokenmaxx.toml`; paths inside are relative
//! to the file):
//!
//! ```toml
//! [limits]                           # over all records
//! total_cost_usd = "25.00"           # a metric name caps it…
//! cost_per_task_p95_usd = "0.08"
//! output_tokens_per_response_p95 = 900
//! unpriced_records = 0
//! cache_hit_rate_min = 0.5           # …`_min` floors it
//!
//! [[rule]]                           # the same limits on a subset
//! name = "support bot"
//! model = "gpt-4o*"                  # globs: `*`, `?`
//! task = "support-*"
//! cost_per_task_p95_usd = "0.05"
//!
//! [baseline]                         # a saved `report --format json`
//! path = "ci/baseline.json"
//! tolerance_pct = 5                  # allowed regression, every metric…
//! metrics = ["cost_per_task_mean_usd", "output_tokens_per_response_p95"]
//! [baseline.tolerance_pct_by_metric] # …or per metric
//! cost_per_task_mean_usd = 10
//!
//! [[prompt]]                         # static budgets for prompt files
//! files = ["prompts/**/*.md", "AGENTS.md"]
//! model = "gpt-4o"                   # or encoding = "o200k_base"
//! max_tokens = 2000                  # per file
//! max_total_tokens = 12000           # all files together
//! ```
//!
//! A check that cannot be measured fails (a rule whose globs match no
//! record, a cost limit where every record is unpriced): a gate that passes
//! on nothing would hide a broken pipeline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};
use rust_decimal::Decimal;
use toml::Value;

pub mod glob;
pub mod metrics;

use metrics::{Better, MetricDef, Unit};

use crate::aggregate::Stats;
use crate::bill::Billed;

/// One limit: cap (`min == false`) or floor of a metric.
#[derive(Clone, Debug)]
pub struct Limit {
    pub metric: &'static MetricDef,
    pub min: bool,
    pub value: Decimal,
}

impl std::fmt::Debug for MetricDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub model: Option<String>,
    pub task: Option<String>,
    pub limits: Vec<Limit>,
}

impl Rule {
    /// Whether a record belongs to the rule's subset.
    pub fn matches(&self, b: &Billed) -> bool {
        let r = &b.record;
        let ok = |pat: &Option<String>, v: Option<&str>| match pat {
            None => true,
            Some(p) => v.is_some_and(|v| glob::matches(p, v)),
        };
        ok(&self.model, r.model.as_deref()) && ok(&self.task, r.task.as_deref())
    }
}

#[derive(Clone, Debug)]
pub struct Baseline {
    pub path: PathBuf,
    pub tolerance_pct: Decimal,
    pub by_metric: BTreeMap<&'static str, Decimal>,
    pub metrics: Vec<&'static MetricDef>,
}

impl Baseline {
    pub fn tolerance(&self, m: &MetricDef) -> Decimal {
        self.by_metric
            .get(m.name)
            .copied()
            .unwrap_or(self.tolerance_pct)
    }
}

#[derive(Clone, Debug)]
pub struct PromptBudget {
    pub files: Vec<String>,
    pub model: Option<String>,
    pub encoding: Option<String>,
    /// A tokenizer file (relative to the budget file) or a built-in name.
    pub tokenizer: Option<String>,
    /// A tiktoken rank file's pattern.
    pub tokenizer_pattern: Option<String>,
    pub max_tokens: Option<u64>,
    pub max_total_tokens: Option<u64>,
}

/// `[[whatif]]`: a scenario the logs are priced under, and how much it must
/// save (or may add) against what they cost.
#[derive(Clone, Debug)]
pub struct WhatIfBudget {
    pub name: String,
    pub scenario: crate::whatif::Scenario,
    /// The what-if must cost at least this many percent less.
    pub min_savings_pct: Option<Decimal>,
    /// The what-if may cost at most this many percent more.
    pub max_increase_pct: Option<Decimal>,
}

/// A parsed budget file.
#[derive(Clone, Debug)]
pub struct Budget {
    pub path: PathBuf,
    pub limits: Vec<Limit>,
    pub rules: Vec<Rule>,
    pub baseline: Option<Baseline>,
    pub prompts: Vec<PromptBudget>,
    pub whatifs: Vec<WhatIfBudget>,
}

impl Budget {
    /// The directory paths in the file are relative to.
    pub fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// Whether any check needs response text measured.
    pub fn needs_density(&self) -> bool {
        let limits = self
            .limits
            .iter()
            .chain(self.rules.iter().flat_map(|r| &r.limits))
            .map(|l| l.metric.name);
        let base = self
            .baseline
            .iter()
            .flat_map(|b| b.metrics.iter().map(|m| m.name));
        limits.chain(base).any(|n| metrics::DENSITY.contains(&n))
    }

    /// Whether logs must be read (anything but prompt budgets).
    pub fn needs_logs(&self) -> bool {
        !self.limits.is_empty()
            || !self.rules.is_empty()
            || self.baseline.is_some()
            || !self.whatifs.is_empty()
    }

    pub fn load(path: &Path) -> Result<Budget> {
        let text = crate::limits::read_text(path, crate::limits::CONFIG, "a budget file")
            .with_context(|| {
                format!(
                    "{}: cannot read the budget file (create one, or name it with --budget)",
                    path.display()
                )
            })?;
        Budget::parse(&text, path).with_context(|| format!("{}", path.display()))
    }

    pub fn parse(text: &str, path: &Path) -> Result<Budget> {
        let table: toml::Table = text.parse().context("not valid TOML")?;
        let mut b = Budget {
            path: path.to_path_buf(),
            limits: Vec::new(),
            rules: Vec::new(),
            baseline: None,
            prompts: Vec::new(),
            whatifs: Vec::new(),
        };
        for (k, v) in &table {
            match k.as_str() {
                "limits" => b.limits = limits(table_of(v, "[limits]")?, "[limits]", &[])?,
                "rule" => {
                    for (i, r) in array_of(v, "[[rule]]")?.iter().enumerate() {
                        b.rules.push(rule(r, i)?);
                    }
                }
                "baseline" => b.baseline = Some(baseline(v, &b)?),
                "prompt" => {
                    for (i, p) in array_of(v, "[[prompt]]")?.iter().enumerate() {
                        b.prompts.push(prompt(p, i)?);
                    }
                }
                "whatif" => {
                    for (i, w) in array_of(v, "[[whatif]]")?.iter().enumerate() {
                        b.whatifs.push(whatif(w, i)?);
                    }
                }
                other => {
                    bail!(
                        "unknown section `{other}` (expected limits, rule, baseline, prompt, whatif)"
                    )
                }
            }
        }
        if !b.needs_logs() && b.prompts.is_empty() {
            bail!(
                "the budget file has no [limits], [[rule]], [baseline], [[prompt]] or [[whatif]]"
            );
        }
        Ok(b)
    }
}

fn table_of<'v>(v: &'v Value, what: &str) -> Result<&'v toml::Table> {
    v.as_table()
        .with_context(|| format!("{what} must be a table"))
}

fn array_of<'v>(v: &'v Value, what: &str) -> Result<&'v Vec<Value>> {
    v.as_array()
        .with_context(|| format!("{what} must be an array of tables"))
}

/// A decimal from a TOML string, integer or float (floats through their
/// shortest text, so `0.1` is exactly 0.1).
fn decimal(v: &Value, what: &str) -> Result<Decimal> {
    let d = match v {
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        Value::Integer(i) => Some(Decimal::from(*i)),
        Value::Float(f) => Decimal::from_str(&f.to_string()).ok(),
        _ => None,
    };
    match d {
        Some(d) if d >= Decimal::ZERO => Ok(d),
        Some(_) => bail!("{what}: must not be negative"),
        None => bail!("{what}: expected a number or a decimal string, got {v}"),
    }
}

fn string(v: &Value, what: &str) -> Result<String> {
    v.as_str()
        .map(str::to_string)
        .with_context(|| format!("{what}: expected a string"))
}

fn count(v: &Value, what: &str) -> Result<u64> {
    v.as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .with_context(|| format!("{what}: expected a non-negative integer"))
}

fn limits(t: &toml::Table, at: &str, skip: &[&str]) -> Result<Vec<Limit>> {
    let mut out = Vec::new();
    for (k, v) in t {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let Some((metric, min)) = metrics::parse_limit_key(k) else {
            let names: Vec<&str> = metrics::METRICS.iter().map(|m| m.name).collect();
            bail!(
                "{at}: unknown metric `{k}`; metrics are: {} (append _min for a floor)",
                names.join(", ")
            );
        };
        out.push(Limit {
            metric,
            min,
            value: decimal(v, &format!("{at} {k}"))?,
        });
    }
    Ok(out)
}

fn rule(v: &Value, i: usize) -> Result<Rule> {
    let at = format!("[[rule]] #{}", i + 1);
    let t = table_of(v, &at)?;
    let name = t.get("name").map(|n| string(n, &at)).transpose()?;
    let model = t.get("model").map(|n| string(n, &at)).transpose()?;
    let task = t.get("task").map(|n| string(n, &at)).transpose()?;
    if model.is_none() && task.is_none() {
        bail!("{at}: a rule needs `model` and/or `task` (limits over everything go in [limits])");
    }
    let limits = limits(t, &at, &["name", "model", "task"])?;
    if limits.is_empty() {
        bail!("{at}: no limits");
    }
    let name = name.unwrap_or_else(|| {
        let mut parts = Vec::new();
        if let Some(m) = &model {
            parts.push(format!("model={m}"));
        }
        if let Some(t) = &task {
            parts.push(format!("task={t}"));
        }
        parts.join(" ")
    });
    Ok(Rule {
        name,
        model,
        task,
        limits,
    })
}

fn baseline(v: &Value, b: &Budget) -> Result<Baseline> {
    let at = "[baseline]";
    let t = table_of(v, at)?;
    let mut path = None;
    let mut tolerance_pct = Decimal::from(5);
    let mut by_metric = BTreeMap::new();
    let mut chosen = None;
    for (k, x) in t {
        match k.as_str() {
            "path" => path = Some(b.dir().join(string(x, "[baseline] path")?)),
            "tolerance_pct" => tolerance_pct = decimal(x, "[baseline] tolerance_pct")?,
            "tolerance_pct_by_metric" => {
                for (m, tol) in table_of(x, "[baseline.tolerance_pct_by_metric]")? {
                    let def = metrics::find(m).with_context(|| {
                        format!("[baseline.tolerance_pct_by_metric]: unknown metric `{m}`")
                    })?;
                    by_metric.insert(def.name, decimal(tol, m)?);
                }
            }
            "metrics" => {
                let list = x
                    .as_array()
                    .context("[baseline] metrics: expected a list of metric names")?;
                let mut defs = Vec::new();
                for m in list {
                    let name = string(m, "[baseline] metrics")?;
                    defs.push(
                        metrics::find(&name).with_context(|| {
                            format!("[baseline] metrics: unknown metric `{name}`")
                        })?,
                    );
                }
                chosen = Some(defs);
            }
            other => bail!(
                "[baseline]: unknown key `{other}` (expected path, tolerance_pct, tolerance_pct_by_metric, metrics)"
            ),
        }
    }
    let metrics = match chosen {
        Some(m) => m,
        None => metrics::DEFAULT_BASELINE
            .iter()
            .filter_map(|n| metrics::find(n))
            .collect(),
    };
    Ok(Baseline {
        path: path.context("[baseline]: `path` is required")?,
        tolerance_pct,
        by_metric,
        metrics,
    })
}

fn prompt(v: &Value, i: usize) -> Result<PromptBudget> {
    let at = format!("[[prompt]] #{}", i + 1);
    let t = table_of(v, &at)?;
    let mut p = PromptBudget {
        files: Vec::new(),
        model: None,
        encoding: None,
        tokenizer: None,
        tokenizer_pattern: None,
        max_tokens: None,
        max_total_tokens: None,
    };
    for (k, x) in t {
        match k.as_str() {
            "files" => {
                p.files = match x {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(a) => a
                        .iter()
                        .map(|f| string(f, &format!("{at} files")))
                        .collect::<Result<_>>()?,
                    _ => bail!("{at} files: expected a glob or a list of globs"),
                }
            }
            "model" => p.model = Some(string(x, &format!("{at} model"))?),
            "encoding" => p.encoding = Some(string(x, &format!("{at} encoding"))?),
            "tokenizer" => p.tokenizer = Some(string(x, &format!("{at} tokenizer"))?),
            "tokenizer_pattern" => {
                p.tokenizer_pattern = Some(string(x, &format!("{at} tokenizer_pattern"))?)
            }
            "max_tokens" => p.max_tokens = Some(count(x, &format!("{at} max_tokens"))?),
            "max_total_tokens" => {
                p.max_total_tokens = Some(count(x, &format!("{at} max_total_tokens"))?)
            }
            other => bail!(
                "{at}: unknown key `{other}` (expected files, model, encoding, tokenizer, tokenizer_pattern, max_tokens, max_total_tokens)"
            ),
        }
    }
    if p.files.is_empty() {
        bail!("{at}: `files` is required");
    }
    if p.max_tokens.is_none() && p.max_total_tokens.is_none() {
        bail!("{at}: set max_tokens and/or max_total_tokens");
    }
    if [
        p.model.is_some(),
        p.encoding.is_some(),
        p.tokenizer.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count()
        > 1
    {
        bail!("{at}: give one of `model`, `encoding` or `tokenizer`");
    }
    Ok(p)
}

fn whatif(v: &Value, i: usize) -> Result<WhatIfBudget> {
    use crate::whatif::{CachePolicy, ModelRule, Scenario};
    let at = format!("[[whatif]] #{}", i + 1);
    let t = table_of(v, &at)?;
    let mut w = WhatIfBudget {
        name: format!("whatif #{}", i + 1),
        scenario: Scenario::default(),
        min_savings_pct: None,
        max_increase_pct: None,
    };
    let pct = |x: &Value, key: &str| -> Result<Decimal> {
        let d = match x {
            Value::Integer(n) => Decimal::from(*n),
            Value::Float(f) => Decimal::from_str(&f.to_string())
                .map_err(|_| anyhow!("{at} {key}: not a number"))?,
            Value::String(s) => {
                Decimal::from_str(s).map_err(|_| anyhow!("{at} {key}: `{s}` is not a number"))?
            }
            _ => bail!("{at} {key}: expected a number"),
        };
        Ok(d)
    };
    for (k, x) in t {
        match k.as_str() {
            "name" => w.name = string(x, &format!("{at} name"))?,
            "as" => w
                .scenario
                .rules
                .push(ModelRule::new("*", &string(x, &format!("{at} as"))?)?),
            "map" => w
                .scenario
                .rules
                .extend(ModelRule::parse_list(&string(x, &format!("{at} map"))?)?),
            "tier" => {
                let s = string(x, &format!("{at} tier"))?;
                w.scenario.tier = Some(
                    [
                        crate::record::ServiceTier::Standard,
                        crate::record::ServiceTier::Batch,
                        crate::record::ServiceTier::Flex,
                        crate::record::ServiceTier::Priority,
                    ]
                    .into_iter()
                    .find(|t| t.as_str() == s)
                    .ok_or_else(|| {
                        anyhow!("{at} tier: `{s}` is not standard, batch, flex or priority")
                    })?,
                );
            }
            "cache" => {
                w.scenario.cache = match string(x, &format!("{at} cache"))?.as_str() {
                    "none" => CachePolicy::None,
                    "as-logged" => CachePolicy::AsLogged,
                    s => bail!("{at} cache: `{s}` is not none or as-logged"),
                }
            }
            "at" => {
                let s = string(x, &format!("{at} at"))?;
                let d: jiff::civil::Date = s
                    .parse()
                    .map_err(|_| anyhow!("{at} at: `{s}` is not a date (YYYY-MM-DD)"))?;
                w.scenario.at = Some(d.to_zoned_datetime(jiff::tz::TimeZone::UTC)?.timestamp());
            }
            "min_savings_pct" => w.min_savings_pct = Some(pct(x, k)?),
            "max_increase_pct" => w.max_increase_pct = Some(pct(x, k)?),
            other => bail!(
                "{at}: unknown key `{other}` (expected name, as, map, tier, cache, at, min_savings_pct, max_increase_pct)"
            ),
        }
    }
    if w.min_savings_pct.is_some() == w.max_increase_pct.is_some() {
        bail!("{at}: set one of min_savings_pct or max_increase_pct");
    }
    if w.scenario.is_empty() {
        bail!("{at}: give a scenario (as, map, tier, cache = \"none\" or at)");
    }
    Ok(w)
}

/// The `[[whatif]]` checks, from each scenario's totals over the logs.
pub fn whatif_checks(
    budgets: &[WhatIfBudget],
    totals: &[crate::whatif::Totals],
    out: &mut Vec<CheckResult>,
) {
    for (w, t) in budgets.iter().zip(totals) {
        let (name, limit, floor) = match (w.min_savings_pct, w.max_increase_pct) {
            (Some(min), _) => ("savings_pct", min, true),
            (None, Some(max)) => ("increase_pct", max, false),
            (None, None) => continue,
        };
        let value = t.delta_pct().map(|d| if floor { -d } else { d });
        let passed = match value {
            Some(v) if floor => v >= limit,
            Some(v) => v <= limit,
            None => false,
        };
        let mut notes = Vec::new();
        if value.is_none() {
            notes.push(
                "no record could be priced both as logged and under the scenario".to_string(),
            );
        }
        let left_out = t.actual_unpriced_count() + t.whatif_unpriced_count();
        if left_out > 0 {
            notes.push(format!(
                "{left_out} of {} records not compared (unpriced as logged or under the scenario)",
                t.records
            ));
        }
        out.push(CheckResult {
            kind: Kind::WhatIf,
            name: name.to_string(),
            scope: w.name.clone(),
            unit: Unit::Percent,
            value,
            limit: Some(limit),
            floor,
            baseline: None,
            delta_pct: None,
            passed,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            file: None,
        });
    }
}

/// What kind of check a result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Limit,
    Baseline,
    Prompt,
    WhatIf,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Limit => "limit",
            Kind::Baseline => "baseline",
            Kind::Prompt => "prompt",
            Kind::WhatIf => "whatif",
        }
    }
}

/// One evaluated check.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub kind: Kind,
    pub name: String,
    pub scope: String,
    pub unit: Unit,
    pub value: Option<Decimal>,
    /// The cap (or floor, when `floor`).
    pub limit: Option<Decimal>,
    pub floor: bool,
    pub baseline: Option<Decimal>,
    pub delta_pct: Option<Decimal>,
    pub passed: bool,
    /// Why a check could not be measured, or what else to know.
    pub note: Option<String>,
    /// The file a prompt check is about (for annotations).
    pub file: Option<String>,
}

/// Evaluate limits on one scope's stats.
pub fn limit_checks(limits: &[Limit], scope: &str, s: &Stats, out: &mut Vec<CheckResult>) {
    for l in limits {
        // An empty scope measures nothing, even where a sum would be 0.
        let value = (s.records > 0).then(|| (l.metric.value)(s)).flatten();
        let (passed, note) = match value {
            None => (false, Some(unmeasurable(l.metric, s))),
            Some(v) if l.min => (v >= l.value, None),
            Some(v) => (v <= l.value, None),
        };
        out.push(CheckResult {
            kind: Kind::Limit,
            name: if l.min {
                format!("{}_min", l.metric.name)
            } else {
                l.metric.name.to_string()
            },
            scope: scope.to_string(),
            unit: l.metric.unit,
            value,
            limit: Some(l.value),
            floor: l.min,
            baseline: None,
            delta_pct: None,
            passed,
            note,
            file: None,
        });
    }
}

fn unmeasurable(m: &MetricDef, s: &Stats) -> String {
    if s.records == 0 {
        "no records in scope".into()
    } else if m.unit == Unit::Usd && s.priced_records == 0 {
        "no priced records".into()
    } else if m.name.contains("task") && s.tasks.count() == 0 {
        "no task ids (use --task-key)".into()
    } else if m.name.contains("successful") {
        "no task outcomes (use --outcome-key)".into()
    } else {
        "not measurable on this input".into()
    }
}

/// Compare metrics with a baseline's stats: a regression beyond the
/// tolerance fails (up for lower-is-better metrics, down for the others).
pub fn baseline_checks(b: &Baseline, now: &Stats, base: &Stats, out: &mut Vec<CheckResult>) {
    for m in &b.metrics {
        let tol = b.tolerance(m);
        let value = (m.value)(now);
        let was = (m.value)(base);
        let delta_pct = match (value, was) {
            (Some(v), Some(w)) if !w.is_zero() => {
                Some(((v - w) / w * Decimal::from(100)).round_dp(2))
            }
            _ => None,
        };
        let worse = |d: Decimal| match m.better {
            Better::Lower => d > tol,
            Better::Higher => d < -tol,
        };
        let (passed, note) = match (value, was) {
            (None, _) => (false, Some(unmeasurable(m, now))),
            // Nothing to compare with is not a pass: a gate must not pass
            // on nothing (an old baseline lacks figures added since).
            (Some(_), None) => (
                false,
                Some("not in the baseline (save a new one with --update-baseline)".into()),
            ),
            (Some(v), Some(w)) if w.is_zero() => match m.better {
                Better::Lower => (v.is_zero(), Some("baseline is 0".into())),
                Better::Higher => (true, None),
            },
            (Some(_), Some(_)) => (!delta_pct.is_some_and(worse), None),
        };
        out.push(CheckResult {
            kind: Kind::Baseline,
            name: m.name.to_string(),
            scope: format!("all (±{}%)", tol.normalize()),
            unit: m.unit,
            value,
            limit: None,
            floor: false,
            baseline: was,
            delta_pct,
            passed,
            note,
            file: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Budget> {
        Budget::parse(s, Path::new("ci/tokenmaxx.toml"))
    }

    #[test]
    fn full_budget_file() {
        let b = parse(
            r#"
[limits]
total_cost_usd = "25.00"
output_tokens_per_response_p95 = 900
cache_hit_rate_min = 0.5

[[rule]]
model = "gpt-4o*"
cost_per_task_p95_usd = "0.05"

[baseline]
path = "baseline.json"
tolerance_pct = 5
metrics = ["cost_per_task_mean_usd"]
[baseline.tolerance_pct_by_metric]
cost_per_task_mean_usd = 10

[[prompt]]
files = ["prompts/**/*.md"]
model = "gpt-4o"
max_tokens = 2000
"#,
        )
        .unwrap();
        assert_eq!(b.limits.len(), 3);
        let floor = b.limits.iter().find(|l| l.min).unwrap();
        assert_eq!(floor.metric.name, "cache_hit_rate");
        assert_eq!(floor.value, Decimal::from_str("0.5").unwrap());
        assert_eq!(b.rules[0].name, "model=gpt-4o*");
        let base = b.baseline.as_ref().unwrap();
        assert_eq!(base.path, Path::new("ci/baseline.json"));
        assert_eq!(base.tolerance(base.metrics[0]), Decimal::from(10));
        assert_eq!(b.prompts[0].max_tokens, Some(2000));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |s: &str| format!("{:#}", parse(s).unwrap_err());
        assert!(err("[limits]\ntotal_cost = 1").contains("unknown metric `total_cost`"));
        assert!(err("[limits]\ntotal_cost_usd = -1").contains("negative"));
        assert!(err("[limits]\ntotal_cost_usd = \"lots\"").contains("expected a number"));
        assert!(err("[[rule]]\ntotal_cost_usd = 1").contains("needs `model`"));
        assert!(err("[baseline]\ntolerance_pct = 5").contains("`path` is required"));
        assert!(err("[[prompt]]\nfiles = \"a.md\"").contains("max_tokens"));
        assert!(err("[limitz]\nx = 1").contains("unknown section `limitz`"));
        assert!(err("").contains("has no"));
        assert!(err("[limits\n").contains("not valid TOML"));
    }
}
