//! Per-record metrics computed from response text, kept as integer counts so that group and shard totals merge exactly.

pub mod density;
