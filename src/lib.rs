//! tokenmaxx: token economics for LLM API logs.
//!
//! The modules mirror the pipeline:
//! ingest → tokenize → price → aggregate → export (report rendering),
//! with `cmd` holding one file per subcommand.

pub mod ingest;
pub mod record;
pub mod price;
pub mod tokenize;
