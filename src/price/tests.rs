//! Price-book tests: hand-computed costs on the embedded tables, name
//! matching, validation and overlays.

use std::str::FromStr;
use std::sync::OnceLock;

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::*;
use crate::record::{ServiceTier, Usage};

fn book() -> &'static PriceBook {
    static BOOK: OnceLock<PriceBook> = OnceLock::new();
    BOOK.get_or_init(|| PriceBook::embedded().expect("embedded tables load"))
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ts(s: &str) -> Option<Timestamp> {
    Some(s.parse().unwrap())
}

fn usage(input: u64, cache_read: u64, w5m: u64, w1h: u64, output: u64) -> Usage {
    Usage {
        input,
        cache_read,
        cache_write_5m: w5m,
        cache_write_1h: w1h,
        output,
        reasoning: 0,
    }
}

/// Price and assert the total is exactly the sum of the breakdown.
fn cost_of(model: &str, at: &str, u: Usage, tier: ServiceTier) -> Result<Cost, Unpriced> {
    let r = book().resolve(model, ts(at))?;
    let c = r.cost(&u, tier, 0)?;
    let sum: Decimal = c.breakdown.iter().map(|(_, v)| *v).sum();
    assert_eq!(c.total, sum, "total must equal the breakdown sum");
    Ok(c)
}

fn std_cost(model: &str, at: &str, u: Usage) -> Cost {
    cost_of(model, at, u, ServiceTier::Standard).unwrap()
}

#[test]
fn embedded_tables_pass_check() {
    let problems = book().check();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(book().models().len() >= 25);
    assert!(
        book()
            .models()
            .iter()
            .all(|m| m.origin.starts_with("embedded:pricing/"))
    );
}

#[test]
fn gpt4o_cached_request_is_exact() {
    let c = std_cost("gpt-4o", "2025-01-01T12:00:00Z", usage(156, 1024, 0, 0, 9));
    assert_eq!(c.total, d("0.00176"));
    assert_eq!(c.total.to_string(), "0.00176");
    assert_eq!(
        c.breakdown,
        vec![
            ("input", d("0.00039")),
            ("cache_read", d("0.00128")),
            ("output", d("0.00009")),
        ]
    );
    assert!(!c.long_context);
}

#[test]
fn gpt4o_alias_history_and_missing_cache_rate() {
    // 2024-06-01: 5/15 and no cached rate → cache reads at the input price.
    let c = std_cost("gpt-4o", "2024-06-01T00:00:00Z", usage(156, 1024, 0, 0, 9));
    // 156×5 + 1024×5 + 9×15 = 6035 µ$
    assert_eq!(c.total, d("0.006035"));
    assert_eq!(c.bucket("cache_read"), d("0.00512"));
    // The 2024-05-13 snapshot never got the cut; 2024-08-06 is its own model.
    let snap = std_cost(
        "gpt-4o-2024-05-13",
        "2025-01-01T00:00:00Z",
        usage(1_000_000, 0, 0, 0, 0),
    );
    assert_eq!(snap.total, d("5"));
    let r = book()
        .resolve("gpt-4o-2024-08-06", ts("2024-08-10T00:00:00Z"))
        .unwrap();
    assert_eq!(r.model.id, "gpt-4o-2024-08-06");
    assert_eq!(r.row.input, d("2.50"));
}

#[test]
fn o3_price_cut_on_2025_06_10_utc() {
    let u = usage(1000, 0, 0, 0, 1000);
    assert_eq!(std_cost("o3", "2025-06-09T23:59:59Z", u).total, d("0.05"));
    assert_eq!(std_cost("o3", "2025-06-10T00:00:00Z", u).total, d("0.01"));
    // 23:30 at UTC-2 is already 2025-06-10 in UTC.
    assert_eq!(
        std_cost("o3", "2025-06-09T23:30:00-02:00", u).total,
        d("0.01")
    );
    assert_eq!(
        std_cost("o3-2025-04-16", "2025-05-01T00:00:00Z", u).total,
        d("0.05")
    );
}

#[test]
fn sonnet45_long_context_is_a_whole_request_cliff() {
    let at = "2025-10-01T00:00:00Z";
    // 150k + 60k = 210k > 200k → every bucket at tier prices.
    let c = std_cost("claude-sonnet-4-5", at, usage(150_000, 60_000, 0, 0, 1000));
    assert!(c.long_context);
    assert_eq!(c.bucket("input"), d("0.9"));
    assert_eq!(c.bucket("cache_read"), d("0.036"));
    assert_eq!(c.bucket("output"), d("0.0225"));
    assert_eq!(c.total, d("0.9585"));
    // 199,999 total input stays at base prices.
    let c = std_cost("claude-sonnet-4-5", at, usage(139_999, 60_000, 0, 0, 1000));
    assert!(!c.long_context);
    assert_eq!(c.total, d("0.452997"));
    // Exactly 200,000 is not "above".
    let c = std_cost("claude-sonnet-4-5", at, usage(140_000, 60_000, 0, 0, 0));
    assert!(!c.long_context);
    // Cache writes count towards the threshold.
    let c = std_cost("claude-sonnet-4-5", at, usage(100_000, 0, 100_001, 0, 0));
    assert!(c.long_context);
    assert_eq!(c.bucket("cache_write_5m"), d("0.7500075"));
}

#[test]
fn anthropic_cache_writes() {
    let at = "2025-10-01T00:00:00Z";
    let c = std_cost("claude-sonnet-4-5", at, usage(0, 0, 100_000, 100_000, 0));
    assert!(!c.long_context);
    assert_eq!(c.bucket("cache_write_5m"), d("0.375")); // 1.25 × 3.00
    assert_eq!(c.bucket("cache_write_1h"), d("0.6")); // 2 × 3.00
    assert_eq!(c.breakdown.len(), 2);
    // Haiku 4.5: 1h write = 2 × 1.00.
    let c = std_cost("claude-haiku-4-5", at, usage(0, 0, 0, 100_000, 0));
    assert_eq!(c.total, d("0.2"));
}

#[test]
fn openai_cache_writes_bill_at_input_price() {
    let c = std_cost(
        "gpt-4.1",
        "2025-05-01T00:00:00Z",
        usage(0, 0, 1_000_000, 0, 0),
    );
    assert_eq!(c.total, d("2"));
}

#[test]
fn service_tiers() {
    let at = "2025-09-01T00:00:00Z";
    let u = usage(1_000_000, 0, 0, 0, 1_000_000);
    let batch = cost_of("gpt-4o", at, u, ServiceTier::Batch).unwrap();
    assert_eq!(batch.total, d("6.25")); // 1.25 + 5.00
    assert_eq!(batch.bucket("input"), d("1.25"));
    let flex = cost_of("gpt-5", at, u, ServiceTier::Flex).unwrap();
    assert_eq!(flex.total, d("5.625")); // 0.625 + 5.00
    let prio = cost_of("gpt-5", at, u, ServiceTier::Priority).unwrap();
    assert_eq!(prio.total, d("22.5")); // 2.50 + 20.00
    let e = cost_of("o1", at, u, ServiceTier::Flex).unwrap_err();
    assert_eq!(e.reason, "no flex price for `o1`");
    let e = cost_of("gpt-5-nano", at, u, ServiceTier::Priority).unwrap_err();
    assert_eq!(e.reason, "no priority price for `gpt-5-nano`");
    // Batch applies to cache buckets and to a long-context tier too.
    let c = cost_of(
        "claude-sonnet-4-5",
        "2025-10-01T00:00:00Z",
        usage(250_000, 0, 0, 0, 0),
        ServiceTier::Batch,
    )
    .unwrap();
    assert_eq!(c.total, d("0.75")); // 250k × 6.00 × 0.5
}

/// OpenAI's Batch price table lists input and output at half price and no
/// cached-input rate, so cached input keeps the standard cached rate for
/// models before GPT-5; Google's Batch tab says the same of context caching.
/// Anthropic (cache discounts stack with batch) and GPT-5 (a published
/// batch cached rate of half) keep the plain multiplier.
#[test]
fn batch_keeps_the_standard_cached_rate_where_providers_say_so() {
    let at = "2025-11-01T00:00:00Z";
    let c = cost_of(
        "gpt-4o-mini",
        at,
        usage(1_000_000, 1_000_000, 0, 0, 1_000_000),
        ServiceTier::Batch,
    )
    .unwrap();
    assert_eq!(c.bucket("input"), d("0.075")); // 0.15 / 2
    assert_eq!(c.bucket("cache_read"), d("0.075")); // standard cached rate
    assert_eq!(c.bucket("output"), d("0.30")); // 0.60 / 2
    assert_eq!(c.total, d("0.45"));
    // Above Gemini 2.5 Pro's 200k threshold: the tier's batch prices, and
    // the tier's standard cached rate.
    let c = cost_of(
        "gemini-2.5-pro",
        at,
        usage(150_000, 100_000, 0, 0, 10_000),
        ServiceTier::Batch,
    )
    .unwrap();
    assert!(c.long_context);
    assert_eq!(c.bucket("input"), d("0.1875")); // 150k × 1.25
    assert_eq!(c.bucket("cache_read"), d("0.025")); // 100k × 0.25
    assert_eq!(c.bucket("output"), d("0.075")); // 10k × 7.50
    assert_eq!(c.total, d("0.2875"));
    let c = cost_of(
        "gemini-2.5-pro",
        at,
        usage(100_000, 50_000, 0, 0, 10_000),
        ServiceTier::Batch,
    )
    .unwrap();
    assert_eq!(c.total, d("0.11875")); // 100k × 0.625 + 50k × 0.125 + 10k × 5.00
    // GPT-5 publishes a batch cached rate of half the standard one.
    let c = cost_of(
        "gpt-5",
        at,
        usage(0, 1_000_000, 0, 0, 0),
        ServiceTier::Batch,
    )
    .unwrap();
    assert_eq!(c.total, d("0.0625"));
    // Anthropic: cache reads are discounted by batch too (below its 200k
    // long-context threshold).
    let c = cost_of(
        "claude-sonnet-4-5",
        at,
        usage(0, 100_000, 0, 0, 0),
        ServiceTier::Batch,
    )
    .unwrap();
    assert_eq!(c.total, d("0.015")); // 100k × 0.30 × 0.5
}

#[test]
fn web_search_requests() {
    let r = book()
        .resolve("claude-sonnet-4-5-20250929", ts("2025-10-01T00:00:00Z"))
        .unwrap();
    let c = r
        .cost(&usage(10, 0, 0, 0, 0), ServiceTier::Standard, 3)
        .unwrap();
    assert_eq!(c.bucket("web_search"), d("0.03"));
    assert_eq!(c.breakdown.last().unwrap().0, "web_search");
    assert_eq!(c.total, d("0.03003"));
    // Anthropic bills the web search tool at $10 per 1,000 searches on
    // every model that offers it, not only Sonnet 4.5.
    for (model, at) in [
        ("claude-opus-4-5", "2025-12-01T00:00:00Z"),
        ("claude-haiku-4-5-20251001", "2025-12-01T00:00:00Z"),
        ("claude-sonnet-4", "2025-09-01T00:00:00Z"),
        ("claude-3-7-sonnet-20250219", "2025-06-01T00:00:00Z"),
        ("claude-3-5-haiku", "2025-06-01T00:00:00Z"),
    ] {
        let r = book().resolve(model, ts(at)).unwrap();
        let c = r
            .cost(&Usage::default(), ServiceTier::Standard, 2)
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        assert_eq!(c.total, d("0.02"), "{model}"); // 2 × $10 / 1000
    }
    // A model with no web-search price leaves the record unpriced.
    let r = book()
        .resolve("gpt-4o-mini", ts("2025-12-01T00:00:00Z"))
        .unwrap();
    let e = r
        .cost(&Usage::default(), ServiceTier::Standard, 1)
        .unwrap_err();
    assert_eq!(e.reason, "no web search price for `gpt-4o-mini`");
}

/// gpt-5-mini's priority tier is 1.8x (0.45 / 0.045 / 3.60 per 1M), not
/// gpt-5's 2x; its flex tier and gpt-5-nano's are half price.
#[test]
fn gpt5_mini_and_nano_flex_and_priority() {
    let at = "2025-10-01T00:00:00Z";
    let u = usage(1_000_000, 1_000_000, 0, 0, 1_000_000);
    let p = cost_of("gpt-5-mini", at, u, ServiceTier::Priority).unwrap();
    assert_eq!(p.total, d("4.095")); // 0.45 + 0.045 + 3.60
    let f = cost_of("gpt-5-mini", at, u, ServiceTier::Flex).unwrap();
    assert_eq!(f.total, d("1.1375")); // 0.125 + 0.0125 + 1.00
    let f = cost_of("gpt-5-nano", at, u, ServiceTier::Flex).unwrap();
    assert_eq!(f.total, d("0.2275")); // 0.025 + 0.0025 + 0.20
    let e = cost_of("gpt-5-nano", at, u, ServiceTier::Priority).unwrap_err();
    assert_eq!(e.reason, "no priority price for `gpt-5-nano`");
}

#[test]
fn unknown_undated_and_too_early() {
    let e = book()
        .resolve("foo", ts("2025-01-01T00:00:00Z"))
        .unwrap_err();
    assert_eq!(e.reason, "unknown model `foo`");
    let r = book().resolve("o3", None).unwrap();
    assert!(r.undated);
    assert_eq!(r.row.from, jiff::civil::date(2025, 6, 10));
    let r = book().resolve("o3", ts("2025-05-01T00:00:00Z")).unwrap();
    assert!(!r.undated);
    let e = book()
        .resolve("gpt-5", ts("2025-08-06T23:59:59Z"))
        .unwrap_err();
    assert_eq!(e.reason, "no price for `gpt-5` before 2025-08-07");
}

#[test]
fn dated_changes_in_anthropic_and_google_tables() {
    let u = usage(1_000_000, 0, 0, 0, 0);
    assert_eq!(
        std_cost("claude-3-5-haiku-20241022", "2024-11-20T00:00:00Z", u).total,
        d("1")
    );
    assert_eq!(
        std_cost("claude-3-5-haiku-20241022", "2025-01-10T00:00:00Z", u).total,
        d("0.8")
    );
    let cr = usage(0, 1_000_000, 0, 0, 0);
    assert_eq!(
        std_cost("gemini-2.5-flash", "2025-07-01T00:00:00Z", cr).total,
        d("0.075")
    );
    assert_eq!(
        std_cost("gemini-2.5-flash", "2025-11-01T00:00:00Z", cr).total,
        d("0.03")
    );
    // Gemini 2.5 Pro >200k: 250k input at 2.50, 1k output at 15.00.
    let c = std_cost(
        "models/gemini-2.5-pro",
        "2025-11-01T00:00:00Z",
        usage(200_000, 50_000, 0, 0, 1000),
    );
    assert!(c.long_context);
    assert_eq!(c.bucket("input"), d("0.5"));
    assert_eq!(c.bucket("cache_read"), d("0.0125")); // 50k × 0.25
    assert_eq!(c.bucket("output"), d("0.015"));
}

#[test]
fn name_matching() {
    // The curated tables alone: the imported ones price many of the names
    // below, which would hide what the matching rules do.
    let curated = PriceBook::curated().unwrap();
    let id = |name: &str| curated.find(name).map(|m| m.id.as_str());
    let cases = [
        (
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            Some("claude-3-5-sonnet"),
        ),
        (
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            Some("claude-3-5-sonnet"),
        ),
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            Some("claude-sonnet-4-5"),
        ),
        (
            "global.anthropic.claude-haiku-4-5-20251001-v1:0",
            Some("claude-haiku-4-5"),
        ),
        ("claude-3-5-sonnet@20240620", Some("claude-3-5-sonnet")),
        ("claude-3-5-sonnet-v2@20241022", Some("claude-3-5-sonnet")),
        ("claude-sonnet-4@20250514", Some("claude-sonnet-4")),
        ("claude-4-sonnet-20250514", Some("claude-sonnet-4")),
        ("claude-3-5-haiku-latest", Some("claude-3-5-haiku")),
        ("anthropic/claude-sonnet-4.5", Some("claude-sonnet-4-5")),
        (
            "openrouter/anthropic/claude-3.7-sonnet",
            Some("claude-3-7-sonnet"),
        ),
        ("claude-opus-4-1-20250805", Some("claude-opus-4-1")),
        ("claude-opus-4-20250514", Some("claude-opus-4")),
        ("openai/gpt-4o", Some("gpt-4o")),
        ("GPT-4o", Some("gpt-4o")),
        ("gpt-4o-mini", Some("gpt-4o-mini")),
        ("gpt-4o-mini-2024-07-18", Some("gpt-4o-mini")),
        ("gpt-4o-2024-05-13", Some("gpt-4o-2024-05-13")),
        ("gpt-4o-2025-03-03", Some("gpt-4o")), // unknown snapshot → stripped alias
        ("gpt-4.1-2025-04-14", Some("gpt-4.1")),
        ("azure/gpt-4.1-mini", Some("gpt-4.1-mini")),
        ("o3-mini", Some("o3-mini")),
        ("o3-mini-2025-01-31", Some("o3-mini")),
        ("gpt-5-2025-08-07", Some("gpt-5")),
        ("models/gemini-2.5-flash", Some("gemini-2.5-flash")),
        ("gemini/gemini-2.5-pro", Some("gemini-2.5-pro")),
        // Never loose prefixes.
        ("gpt-4o-mini-search-preview", None),
        ("gpt-4o-audio-preview-2024-12-17", None),
        ("o3-pro", None),
        ("o1-preview", None),
        ("gemini-2.5-flash-lite", None),
        ("gemini-2.5-flash-preview-04-17", None),
        ("claude-3-5-sonnet-20240620-extra", None),
        ("", None),
        ("   ", None),
    ];
    for (name, want) in cases {
        assert_eq!(id(name), want, "find({name:?})");
    }
}

// --- check() on small bad tables -----------------------------------------

const GOOD_ROW: &str = "source = \"https://example.com\"\nchecked = \"2026-11-27\"\n";

fn model(id: &str, names: &str, rows: &str) -> String {
    format!("[[model]]\nid = \"{id}\"\nprovider = \"p\"\nnames = [{names}]\n{rows}")
}

fn row(from: &str, extra: &str) -> String {
    format!("[[model.price]]\nfrom = \"{from}\"\ninput = \"1\"\noutput = \"2\"\n{extra}")
}

fn problems(text: &str) -> Vec<String> {
    PriceBook::from_toml_str("bad.toml", text).unwrap().check()
}

fn assert_one(text: &str, needle: &str) {
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].contains(needle), "{:?} lacks {needle:?}", p[0]);
}

#[test]
fn check_accepts_a_good_table() {
    let text = model(
        "a",
        "\"a\"",
        &(row("2024-01-01", GOOD_ROW) + &row("2024-02-01", GOOD_ROW)),
    );
    assert!(problems(&text).is_empty());
}

#[test]
fn check_finds_each_problem_kind() {
    let two = |a: &str, b: &str| model("a", "", &(row(a, GOOD_ROW) + &row(b, GOOD_ROW)));
    assert_one(&two("2024-02-01", "2024-01-01"), "must be in date order");
    assert_one(
        &model("a", "", &row("2024-01-01", "checked = \"2026-11-27\"\n")),
        "missing `source`",
    );
    assert_one(
        &model("a", "", &row("2024-01-01", "source = \"s\"\n")),
        "missing `checked`",
    );
    assert_one(
        &model(
            "a",
            "",
            &row("2024-01-01", "source = \"s\"\nchecked = \"soon\"\n"),
        ),
        "`checked` is not a date",
    );
    assert_one(
        &format!(
            "{}{}",
            model("a", "\"shared\"", &row("2024-01-01", GOOD_ROW)),
            model("b", "\"Shared\"", &row("2024-01-01", GOOD_ROW))
        ),
        "ambiguous name `shared`: matched by models `a` (bad.toml), `b` (bad.toml)",
    );
    assert_one(
        &format!(
            "{}{}",
            model("a", "", &row("2024-01-01", GOOD_ROW)),
            model("b", "\"openai/a\"", &row("2024-01-01", GOOD_ROW))
        ),
        "ambiguous name `a`",
    );
    // Neither a built-in encoding nor a file: the overlay does not load.
    let e = PriceBook::from_toml_str(
        "bad.toml",
        &model(
            "a",
            "",
            &format!("tokenizer = \"gpt2\"\n{}", row("2024-01-01", GOOD_ROW)),
        ),
    )
    .err()
    .unwrap();
    assert!(
        format!("{e:#}").contains("unknown tokenizer `gpt2`: not a built-in encoding"),
        "{e:#}"
    );
    assert_one(
        &model(
            "a",
            "",
            &row(
                "2024-01-01",
                &format!("{GOOD_ROW}[model.price.long_context]\nabove = 0\ninput = \"2\"\n"),
            ),
        ),
        "`long_context.above` is 0",
    );
    assert_one(
        &format!(
            "{}{}",
            model("a", "", &row("2024-01-01", GOOD_ROW)),
            model("a", "", &row("2025-01-01", GOOD_ROW))
        ),
        "model `a` is defined twice",
    );
    assert_one(&model("a", "", ""), "has no price rows");
}

#[test]
fn tier_fields_fall_back_to_base_row() {
    let text = model(
        "t",
        "",
        &row(
            "2024-01-01",
            &format!(
                "cache_read = \"0.1\"\n{GOOD_ROW}[model.price.long_context]\nabove = 100\ninput = \"2\"\n"
            ),
        ),
    );
    let b = PriceBook::from_toml_str("t.toml", &text).unwrap();
    let r = b.resolve("t", ts("2024-06-01T00:00:00Z")).unwrap();
    let rates = r.row.effective_rates(101);
    assert!(rates.long_context);
    assert_eq!(rates.input, d("2"));
    assert_eq!(rates.output, d("2")); // base output ×1
    assert_eq!(rates.cache_read, d("0.1")); // base cache_read ×1
    assert_eq!(rates.cache_write_5m, d("2")); // neither has it → tier input
    let base = r.row.effective_rates(100);
    assert!(!base.long_context);
    assert_eq!(base.cache_write_1h, d("1"));
}

// --- overlays ----------------------------------------------------------------

#[test]
fn overlays_replace_and_add() {
    let dir = std::env::temp_dir().join(format!("tokenmaxx-price-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("a.toml");
    let second = dir.join("b.toml");
    // Replace o3 with a single enterprise row; add a private model.
    std::fs::write(
        &first,
        format!(
            "{}{}",
            model("o3", "\"o3\"", &row("2025-01-01", GOOD_ROW)),
            model(
                "private-1",
                "\"corp/private-1\"",
                &row("2025-01-01", GOOD_ROW)
            )
        ),
    )
    .unwrap();
    // A later file overrides the earlier overlay.
    std::fs::write(
        &second,
        model(
            "private-1",
            "",
            &row("2025-01-01", &format!("batch = \"0.25\"\n{GOOD_ROW}")),
        ),
    )
    .unwrap();
    let b = PriceBook::load(&[first.clone(), second.clone()]).unwrap();
    assert!(b.models().iter().any(|m| m.id == "private-1"));
    assert_eq!(b.models().iter().filter(|m| m.id == "o3").count(), 1);
    let r = b.resolve("o3", ts("2025-07-01T00:00:00Z")).unwrap();
    assert_eq!(r.model.rows.len(), 1);
    assert_eq!(r.row.input, d("1"));
    assert_eq!(r.model.origin, first.display().to_string());
    let r = b.resolve("private-1", ts("2025-07-01T00:00:00Z")).unwrap();
    assert_eq!(r.row.batch, Some(d("0.25")));
    assert!(b.find("corp/private-1").is_none()); // replaced entry lost that name
    assert!(b.find("o3-mini").is_some_and(|m| m.id == "o3-mini"));
    assert!(b.check().is_empty(), "{:#?}", b.check());

    // Errors name the file, the model, the row and the field.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        model("foo", "", &row("2025-01-01", "cache_read = \"abc\"\n")),
    )
    .unwrap();
    let e = PriceBook::load(std::slice::from_ref(&bad))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}: model `foo` row 1: `cache_read` is not a decimal: \"abc\"",
            bad.display()
        )
    );
    let missing = dir.join("missing.toml");
    let e = PriceBook::load(std::slice::from_ref(&missing)).unwrap_err();
    assert!(
        format!("{e:#}").starts_with(&format!("{}: cannot read pricing file", missing.display())),
        "{e:#}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn overlay_names_beat_embedded_names() {
    let b = book()
        .clone()
        .with_overlay_str(
            "deal.toml",
            &model("gpt-4o-deal", "\"gpt-4o\"", &row("2024-01-01", GOOD_ROW)),
        )
        .unwrap();
    assert_eq!(b.find("gpt-4o").unwrap().id, "gpt-4o-deal");
    // …and check reports the clash.
    assert!(
        b.check()
            .iter()
            .any(|p| p.contains("ambiguous name `gpt-4o`"))
    );
}
