//! tokenmaxx: token economics for LLM API logs.
//!
//! The modules mirror the pipeline:
//! ingest → tokenize → bill (with price) → run → aggregate → export.
//! Beside it: `check` (the CI gate's budgets), `metrics` (text density),
//! `cmd` (one file per subcommand) and `cli`.

// The stages, in pipeline order (a comment between each keeps rustfmt from
// sorting them).
// Logs (files, directories, stdin; every format) into records.
pub mod ingest;
// Counting tokens of text.
pub mod tokenize;
// One record's usage (reported or counted) and price.
pub mod bill;
// The price book.
pub mod price;
// Every input read and billed in parallel, handed on in input order.
pub mod run;
// Billed records grouped into the report's figures.
pub mod aggregate;
// Each record priced again under a scenario (`whatif`).
pub mod whatif;
// The report rendered (table, JSON, CSV, Markdown) and records written.
pub mod export;

pub mod check;
pub mod cli;
pub mod cmd;
pub mod fmt;
pub mod limits;
pub mod metrics;
pub mod progress;
pub mod record;
pub mod schema;
