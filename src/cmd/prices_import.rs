//! `prices import`: turn a public price data set into tokenmaxx price TOML.
//!
//! Usage: tokenmaxx prices import --from genai-prices|litellm FILE|URL
//!          [--out DIR] [--checked DATE] [--label TEXT] [--allow-http]
//!
//! Without `--out` the table goes to stdout. Everything the importer could
//! not map is summarized on stderr by reason (and listed in full in
//! `DIR/<source>-unmapped.md` with `--out`). The whole input is read and
//! converted before anything is written, so a malformed file writes nothing.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use crate::cli::Outcome;
use crate::price::import::{self, Import, Options, Source};
use crate::price::to_toml;

/// Largest data file read or fetched (LiteLLM's is about 3.5 MB).
const MAX_BYTES: u64 = crate::limits::PRICE_TABLE;
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tokenmaxx prices import --from litellm model_prices_and_context_window.json > litellm.toml
  tokenmaxx prices import --from genai-prices https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/new_data/v2/data.json --out prices/
  tokenmaxx report logs/ --pricing litellm.toml")]
pub struct ImportArgs {
    /// Which data set the input is.
    #[arg(long = "from", value_enum)]
    pub from: DataSet,
    /// The data file, or an https:// URL to fetch it from.
    #[arg(value_name = "FILE|URL")]
    pub input: String,
    /// Write DIR/<name>.toml and DIR/<name>-unmapped.md instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The file name under --out (default: the data set, genai-prices or litellm).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The `checked` date of every row (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub checked: Option<String>,
    /// The data set version named in each row's note (default: the input).
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,
    /// Allow a plain http:// URL (default: https only).
    #[arg(long)]
    pub allow_http: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DataSet {
    /// pydantic genai-prices data JSON (prices/new_data/v2/data.json).
    GenaiPrices,
    /// LiteLLM model_prices_and_context_window.json.
    Litellm,
}

pub fn run(args: ImportArgs) -> Result<Outcome> {
    let source = match args.from {
        DataSet::GenaiPrices => Source::GenaiPrices,
        DataSet::Litellm => Source::Litellm,
    };
    let checked = match &args.checked {
        Some(d) => crate::price::parse_date(d)
            .with_context(|| format!("--checked: not a date (YYYY-MM-DD): {d:?}"))?,
        None => crate::price::utc_date(jiff::Timestamp::now()),
    };
    let label = args.label.clone().unwrap_or_else(|| args.input.clone());
    if let Some(n) = &args.name
        && (n.is_empty()
            || !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            || n.starts_with('.'))
    {
        bail!("--name {n:?}: a file name of letters, digits, `-`, `_` and `.`");
    }
    let text = read_input(&args.input, args.allow_http)?;
    let opts = Options { checked, label };
    let imported = import::import(source, &text, &opts)
        .with_context(|| format!("{}: cannot import as {}", args.input, source.name()))?;

    let header = header(&args, source, &opts);
    let toml = to_toml(&header, &imported.models);
    // What we write must load: a converted table the book refuses is a bug
    // here, not something to discover at report time.
    crate::price::PriceBook::from_toml_str(&args.input, &toml)
        .context("internal error: the imported table does not load")?;
    match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(toml.as_bytes())?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create directory", dir.display()))?;
            let table = dir.join(format!("{}.toml", file_name(&args, source)));
            let list = dir.join(format!("{}-unmapped.md", file_name(&args, source)));
            crate::cmd::write_atomically(&table, toml.as_bytes())
                .with_context(|| format!("{}: cannot write", table.display()))?;
            crate::cmd::write_atomically(&list, unmapped_markdown(&imported, &opts).as_bytes())
                .with_context(|| format!("{}: cannot write", list.display()))?;
        }
    }
    eprint!("{}", summary(&imported, source, &args));
    Ok(Outcome::Ok)
}

/// The comment that opens a generated table; its `Command:` line is what
/// the regeneration test runs again.
fn header(args: &ImportArgs, source: Source, opts: &Options) -> Vec<String> {
    let mut cmd = format!(
        "tokenmaxx prices import --from {} {} --checked {}",
        source.name(),
        args.input,
        opts.checked
    );
    if let Some(l) = &args.label {
        let _ = write!(cmd, " --label {}", shell_quote(l));
    }
    if let Some(n) = &args.name {
        let _ = write!(cmd, " --name {}", shell_quote(n));
    }
    vec![
        format!(
            "Generated by `tokenmaxx prices import` from the {} data set ({}); do not edit, regenerate.",
            source.name(),
            opts.label
        ),
        "Schema, precedence and the import rules: pricing/README.md.".into(),
        format!("Command: {cmd}"),
    ]
}

fn file_name(args: &ImportArgs, source: Source) -> String {
    args.name
        .clone()
        .unwrap_or_else(|| source.name().to_string())
}

fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn read_input(input: &str, allow_http: bool) -> Result<String> {
    let lower = input.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        if lower.starts_with("http://") && !allow_http {
            bail!("{input}: refusing a plain http:// URL (use https, or --allow-http)");
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .https_only(!allow_http)
            .build()
            .into();
        let mut resp = agent
            .get(input)
            .call()
            .with_context(|| format!("{input}: cannot fetch"))?;
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_vec()
            .with_context(|| {
                format!("{input}: cannot read the response (limit {MAX_BYTES} bytes)")
            })?;
        return String::from_utf8(bytes).with_context(|| format!("{input}: not UTF-8 text"));
    }
    crate::limits::read_text(std::path::Path::new(input), MAX_BYTES, "a price data file")
}

fn summary(imported: &Import, source: Source, args: &ImportArgs) -> String {
    let names: usize = imported.models.iter().map(|m| m.names.len()).sum();
    let mut s = format!(
        "imported {} models ({names} names) from {} {} entries; {} items not mapped{}\n",
        imported.models.len(),
        imported.entries,
        source.name(),
        imported.unmapped_count(),
        match &args.out {
            Some(d) => format!(
                " (all listed in {})",
                d.join(format!("{}-unmapped.md", file_name(args, source)))
                    .display()
            ),
            None => String::new(),
        }
    );
    for (reason, items) in &imported.unmapped {
        let examples: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
        let more = if items.len() > 3 { ", …" } else { "" };
        let _ = writeln!(
            s,
            "  {:>5}  {reason}: {}{more}",
            items.len(),
            examples.join("; ")
        );
    }
    s
}

fn unmapped_markdown(imported: &Import, opts: &Options) -> String {
    let mut s = format!(
        "# Not mapped from {}\n\nEverything the importer read but could not express in a price table, by reason.\n",
        opts.label
    );
    for (reason, items) in &imported.unmapped {
        let _ = write!(s, "\n## {reason} ({})\n\n", items.len());
        for i in items {
            let _ = writeln!(s, "- {i}");
        }
    }
    s
}
