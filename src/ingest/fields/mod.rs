//! Reading the fields every format shares: token counts and costs, times,
//! paths, task ids and outcomes, message text, wrappers, and the skips that
//! refuse a line. Formats (in `ingest::format`) decide which fields a shape
//! has; the helpers here decide how one field is read.

pub mod envelope;
pub mod errors;
pub mod lookup;
pub mod numbers;
pub mod task;
pub mod text;
pub mod time;
