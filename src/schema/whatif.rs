//! `whatif --format json` (docs/json.md, "whatif"): the scenario, what it
//! assumes, and actual against what-if cost per group and in total.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Dec;

#[derive(Serialize)]
pub struct WhatIfDoc<'a> {
    pub schema_version: u32,
    pub scenario: ScenarioDoc<'a>,
    pub assumptions: Vec<&'static str>,
    pub group_by: Vec<&'static str>,
    pub groups: Vec<WhatIfGroupDoc<'a>>,
    pub totals: WhatIfTotalsDoc<'a>,
}

#[derive(Serialize)]
pub struct ScenarioDoc<'a> {
    /// `[{pattern, model}]`, first match wins (`--as M` is `*` → M).
    pub models: Vec<ModelRuleDoc<'a>>,
    /// `standard|batch|flex|priority`, or null: each record's logged tier.
    pub tier: Option<&'static str>,
    /// `as-logged` or `none`.
    pub cache: &'static str,
    /// Prices of this instant (RFC 3339), or null: each request's own time.
    pub prices_at: Option<String>,
    /// Text recounted with each target's tokenizer (`--recount`).
    pub recount: bool,
}

#[derive(Serialize)]
pub struct ModelRuleDoc<'a> {
    pub pattern: &'a str,
    pub model: &'a str,
}

#[derive(Serialize)]
pub struct WhatIfGroupDoc<'a> {
    /// Dimension name → value, in `group_by` order.
    pub key: BTreeMap<&'static str, &'a str>,
    #[serde(flatten)]
    pub totals: WhatIfTotalsDoc<'a>,
}

#[derive(Serialize)]
pub struct WhatIfTotalsDoc<'a> {
    pub records: u64,
    /// Records priced both as logged and under the scenario: the costs
    /// below are sums over these alone.
    pub compared_records: u64,
    pub actual_cost_usd: Dec,
    pub whatif_cost_usd: Dec,
    /// what-if − actual.
    pub delta_usd: Dec,
    /// delta ÷ actual × 100, to two decimals; null when actual is 0.
    pub delta_pct: Option<Dec>,
    /// Compared records whose target model counts tokens with another
    /// tokenizer: their token counts (and so costs) are estimates.
    pub approx_token_records: u64,
    /// Records the log's own prices cannot price, by reason.
    pub actual_unpriced: &'a BTreeMap<String, u64>,
    /// Records the scenario cannot price, by reason.
    pub whatif_unpriced: &'a BTreeMap<String, u64>,
}
