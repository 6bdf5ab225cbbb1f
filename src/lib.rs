//! tokenmaxx: token economics for LLM API logs.
//!
//! The modules mirror the pipeline:
//! ingest → tokenize → price → aggregate → export (report rendering),
//! with `cmd` holding one file per subcommand.

pub mod ingest;
pub mod record;
pub mod price;
pub mod tokenize;
pub mod pipeline;
pub mod aggregate;
pub mod export;
pub mod cli;
pub mod cmd;
