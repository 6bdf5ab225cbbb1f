//! tokenmaxx: token economics for LLM API logs.
//!
//! The modules mirror the pipeline:
//! ingest → tokenize → price → aggregate → export (report rendering),
//! with `check` (the CI gate's budgets), `metrics` (text density) and `cmd`
//! holding one file per subcommand.

pub mod aggregate;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod export;
pub mod fmt;
pub mod ingest;
pub mod metrics;
pub mod pipeline;
pub mod price;
pub mod progress;
pub mod record;
pub mod schema;
pub mod tokenize;
