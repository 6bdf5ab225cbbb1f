//! `records --format parquet`: the records of docs/json.md as one Parquet
//! file with typed columns, for DuckDB, Spark, pandas and the like
//! (docs/parquet.md lists the columns).
//!
//! Records stream into column buffers of at most [`ROW_GROUP_ROWS`] rows;
//! each full buffer becomes one row group on the output, so memory stays
//! bounded whatever the input size. Written with the Apache `parquet`
//! crate's column writers, without its Arrow layer: flat columns need none
//! of it, and the binary's size is a feature (README, "Size and startup").
//!
//! Money is `DECIMAL(38, 28)`: 28 is rust_decimal's largest scale, so every
//! cost tokenmaxx computes or reads below $10^10 is stored exactly (rates
//! in the imported tables have up to 18 decimals, and a cost adds six). A
//! record whose cost does not fit is an error that names it, never a
//! rounded or dropped value.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical, ZstdLevel};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int32Type,
    Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use rust_decimal::Decimal;

use super::records::record_doc;
use crate::bill::{Billed, Pricing};
use crate::price::COST_BUCKETS;
use crate::schema::records::RecordDoc;

/// Rows per row group: large enough for the engines' scans to be
/// efficient (DuckDB parallelises by row group), small enough that the
/// buffered columns stay at a few tens of megabytes.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// Scale of the money columns (see the module doc).
pub const MONEY_SCALE: u32 = 28;
const MONEY_PRECISION: i32 = 38;

/// What a column holds, as Parquet types it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (`BYTE_ARRAY`, `STRING`).
    Text,
    /// A count (`INT64`).
    Count,
    Flag,
    /// Microseconds since the epoch, UTC (`INT64`, `TIMESTAMP(MICROS, true)`).
    Timestamp,
    /// Days since the epoch (`INT32`, `DATE`).
    Date,
    /// US dollars, exact (`FIXED_LEN_BYTE_ARRAY(16)`, `DECIMAL(38, 28)`).
    Money,
}

impl Kind {
    /// The SQL type an engine reads the column as (docs/parquet.md).
    pub fn sql(self) -> &'static str {
        match self {
            Kind::Text => "VARCHAR",
            Kind::Count => "BIGINT",
            Kind::Flag => "BOOLEAN",
            Kind::Timestamp => "TIMESTAMP WITH TIME ZONE",
            Kind::Date => "DATE",
            Kind::Money => "DECIMAL(38,28)",
        }
    }
}

/// One cell, before it is typed for its column.
enum Cell<'a> {
    Null,
    Text(&'a str),
    Count(u64),
    Flag(bool),
    Micros(i64),
    Days(i32),
    Money(Decimal),
}

/// A record with its document, so that every column reads the same values
/// the JSONL line would show.
struct Row<'a> {
    billed: &'a Billed,
    doc: RecordDoc<'a>,
}

type Getter = for<'r> fn(&'r Row<'r>) -> Cell<'r>;

pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    get: Getter,
}

const fn col(name: &'static str, kind: Kind, nullable: bool, get: Getter) -> Column {
    Column {
        name,
        kind,
        nullable,
        get,
    }
}

fn text(v: Option<&str>) -> Cell<'_> {
    v.map_or(Cell::Null, Cell::Text)
}

fn count(v: Option<u64>) -> Cell<'static> {
    v.map_or(Cell::Null, Cell::Count)
}

fn money(v: Option<Decimal>) -> Cell<'static> {
    v.map_or(Cell::Null, Cell::Money)
}

fn breakdown<'r>(r: &'r Row<'r>, bucket: &str) -> Cell<'r> {
    money(
        r.doc
            .cost_breakdown
            .0
            .iter()
            .find(|(k, _)| *k == bucket)
            .map(|(_, v)| v.0),
    )
}

/// The columns, in file order: each is the JSON field of the same path
/// with `.` written `_` (docs/parquet.md).
pub const COLUMNS: &[Column] = &[
    col("source_path", Kind::Text, false, |r| {
        Cell::Text(r.doc.source.path)
    }),
    col("source_line", Kind::Count, false, |r| {
        Cell::Count(r.doc.source.line)
    }),
    col("format", Kind::Text, false, |r| Cell::Text(r.doc.format)),
    col("provider", Kind::Text, true, |r| text(r.doc.provider)),
    col("model", Kind::Text, true, |r| text(r.doc.model)),
    col("timestamp", Kind::Timestamp, true, |r| {
        r.billed
            .record
            .timestamp
            .map_or(Cell::Null, |t| Cell::Micros(t.as_microsecond()))
    }),
    col("task", Kind::Text, true, |r| text(r.doc.task)),
    col("session", Kind::Text, true, |r| text(r.doc.session)),
    col("project", Kind::Text, true, |r| text(r.doc.project)),
    col("requests", Kind::Count, false, |r| {
        Cell::Count(r.doc.requests)
    }),
    col("service_tier", Kind::Text, false, |r| {
        Cell::Text(r.doc.service_tier)
    }),
    col("usage_input", Kind::Count, false, |r| {
        Cell::Count(r.doc.usage.input)
    }),
    col("usage_cache_read", Kind::Count, false, |r| {
        Cell::Count(r.doc.usage.cache_read)
    }),
    col("usage_cache_write_5m", Kind::Count, false, |r| {
        Cell::Count(r.doc.usage.cache_write_5m)
    }),
    col("usage_cache_write_1h", Kind::Count, false, |r| {
        Cell::Count(r.doc.usage.cache_write_1h)
    }),
    col("usage_output", Kind::Count, false, |r| {
        Cell::Count(r.doc.usage.output)
    }),
    col("usage_reasoning", Kind::Count, false, |r| {
        Cell::Count(r.doc.usage.reasoning)
    }),
    col("usage_total", Kind::Count, false, |r| {
        Cell::Count(r.doc.usage.total)
    }),
    col("usage_source", Kind::Text, false, |r| {
        Cell::Text(r.doc.usage_source)
    }),
    col("counted_prompt", Kind::Count, true, |r| {
        count(r.doc.counted.as_ref().and_then(|c| c.prompt))
    }),
    col("counted_response", Kind::Count, true, |r| {
        count(r.doc.counted.as_ref().and_then(|c| c.response))
    }),
    col("counted_tokenizer", Kind::Text, true, |r| {
        text(r.doc.counted.as_ref().map(|c| c.tokenizer))
    }),
    col("counted_exact", Kind::Flag, true, |r| {
        r.doc
            .counted
            .as_ref()
            .map_or(Cell::Null, |c| Cell::Flag(c.exact))
    }),
    col("priced", Kind::Flag, false, |r| Cell::Flag(r.doc.priced)),
    col("price_model", Kind::Text, true, |r| {
        text(r.doc.price.as_ref().map(|p| p.model))
    }),
    col("price_effective_from", Kind::Date, true, |r| {
        match &r.billed.pricing {
            Pricing::Priced { effective_from, .. } => days_since_epoch(*effective_from),
            Pricing::Unpriced { .. } => Cell::Null,
        }
    }),
    col("price_source", Kind::Text, true, |r| {
        text(r.doc.price.as_ref().map(|p| p.source))
    }),
    col("cost_usd", Kind::Money, true, |r| {
        money(r.doc.cost_usd.as_ref().map(|d| d.0))
    }),
    col("cost_breakdown_input", Kind::Money, true, |r| {
        breakdown(r, "input")
    }),
    col("cost_breakdown_cache_read", Kind::Money, true, |r| {
        breakdown(r, "cache_read")
    }),
    col("cost_breakdown_cache_write_5m", Kind::Money, true, |r| {
        breakdown(r, "cache_write_5m")
    }),
    col("cost_breakdown_cache_write_1h", Kind::Money, true, |r| {
        breakdown(r, "cache_write_1h")
    }),
    col("cost_breakdown_output", Kind::Money, true, |r| {
        breakdown(r, "output")
    }),
    col("cost_breakdown_web_search", Kind::Money, true, |r| {
        breakdown(r, "web_search")
    }),
    col("unpriced_reason", Kind::Text, true, |r| {
        text(r.doc.unpriced_reason)
    }),
    col("undated", Kind::Flag, false, |r| Cell::Flag(r.doc.undated)),
    col("long_context", Kind::Flag, false, |r| {
        Cell::Flag(r.doc.long_context)
    }),
    col("web_search_requests", Kind::Count, false, |r| {
        Cell::Count(r.doc.web_search_requests)
    }),
    col("audio_tokens", Kind::Count, false, |r| {
        Cell::Count(r.doc.audio_tokens)
    }),
    col("audio_input_tokens", Kind::Count, false, |r| {
        Cell::Count(r.doc.audio_input_tokens)
    }),
    col("audio_output_tokens", Kind::Count, false, |r| {
        Cell::Count(r.doc.audio_output_tokens)
    }),
    col("reported_cost_usd", Kind::Money, true, |r| {
        money(r.doc.reported_cost_usd.as_ref().map(|d| d.0))
    }),
];

fn days_since_epoch(d: jiff::civil::Date) -> Cell<'static> {
    let epoch = jiff::civil::date(1970, 1, 1);
    match epoch.until(d) {
        Ok(span) => Cell::Days(span.get_days()),
        Err(_) => Cell::Null,
    }
}

/// `DECIMAL(38, 28)` as Parquet stores it: the unscaled value, 16 bytes
/// big-endian two's complement. None when it does not fit 38 digits.
pub fn money_bytes(d: Decimal) -> Option<[u8; 16]> {
    let shift = MONEY_SCALE.checked_sub(d.scale())?;
    let unscaled = d.mantissa().checked_mul(10i128.checked_pow(shift)?)?;
    (unscaled.unsigned_abs() < 10u128.pow(MONEY_PRECISION as u32)).then(|| unscaled.to_be_bytes())
}

fn schema() -> Result<Type> {
    let fields = COLUMNS
        .iter()
        .map(|c| {
            let (physical, logical) = match c.kind {
                Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                Kind::Count => (Physical::INT64, None),
                Kind::Flag => (Physical::BOOLEAN, None),
                Kind::Timestamp => (
                    Physical::INT64,
                    Some(LogicalType::timestamp(true, TimeUnit::MICROS)),
                ),
                Kind::Date => (Physical::INT32, Some(LogicalType::Date)),
                Kind::Money => (
                    Physical::FIXED_LEN_BYTE_ARRAY,
                    Some(LogicalType::decimal(MONEY_SCALE as i32, MONEY_PRECISION)),
                ),
            };
            let mut b = Type::primitive_type_builder(c.name, physical)
                .with_repetition(if c.nullable {
                    Repetition::OPTIONAL
                } else {
                    Repetition::REQUIRED
                })
                .with_logical_type(logical);
            if c.kind == Kind::Money {
                b = b
                    .with_length(16)
                    .with_precision(MONEY_PRECISION)
                    .with_scale(MONEY_SCALE as i32);
            }
            Ok(Arc::new(b.build()?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Type::group_type_builder("record")
        .with_fields(fields)
        .build()?)
}

/// One column's values of the row group being filled.
/// A column's values for the row group being buffered. Text and money are
/// kept as one byte buffer per column (not an allocation per cell) and cut
/// into the crate's values only while their column is written, so a row
/// group costs little more than its bytes.
enum Values {
    /// The texts end to end, and where each ends.
    Text {
        bytes: Vec<u8>,
        ends: Vec<usize>,
    },
    I64(Vec<i64>),
    I32(Vec<i32>),
    Flag(Vec<bool>),
    /// 16 bytes per value ([`money_bytes`]).
    Money(Vec<u8>),
}

/// The values of a buffer, cut out of one shared allocation.
fn slices(bytes: &mut Vec<u8>, ends: impl Iterator<Item = usize>) -> Vec<ByteArray> {
    let all = Bytes::from(std::mem::take(bytes));
    let mut start = 0;
    ends.map(|end| {
        let value = ByteArray::from(all.slice(start..end));
        start = end;
        value
    })
    .collect()
}

struct Buffer {
    values: Values,
    /// Definition levels (1 present, 0 null) of a nullable column.
    defined: Vec<i16>,
}

/// Writes records as they stream; [`ParquetWriter::finish`] writes the
/// last row group and the footer.
pub struct ParquetWriter<W: Write + Send> {
    file: SerializedFileWriter<W>,
    buffers: Vec<Buffer>,
    rows: usize,
}

impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(out: W) -> Result<Self> {
        let props = WriterProperties::builder()
            .set_created_by(format!("tokenmaxx {}", env!("CARGO_PKG_VERSION")))
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let file = SerializedFileWriter::new(out, Arc::new(schema()?), Arc::new(props))?;
        let buffers = COLUMNS
            .iter()
            .map(|c| Buffer {
                values: match c.kind {
                    Kind::Text => Values::Text {
                        bytes: Vec::new(),
                        ends: Vec::new(),
                    },
                    Kind::Count | Kind::Timestamp => Values::I64(Vec::new()),
                    Kind::Date => Values::I32(Vec::new()),
                    Kind::Flag => Values::Flag(Vec::new()),
                    Kind::Money => Values::Money(Vec::new()),
                },
                defined: Vec::new(),
            })
            .collect();
        Ok(ParquetWriter {
            file,
            buffers,
            rows: 0,
        })
    }

    pub fn write(&mut self, billed: &Billed) -> Result<()> {
        let row = Row {
            billed,
            doc: record_doc(billed),
        };
        let at = || format!("{}:{}", row.doc.source.path, row.doc.source.line);
        if let Some((bucket, _)) = row
            .doc
            .cost_breakdown
            .0
            .iter()
            .find(|(k, _)| !COST_BUCKETS.contains(k))
        {
            bail!(
                "{}: cost bucket `{bucket}` has no Parquet column (a bug: please report it)",
                at()
            );
        }
        // Check every cell before pushing any, so that a refused record
        // leaves no column longer than the others.
        let cells: Vec<Cell> = COLUMNS.iter().map(|c| (c.get)(&row)).collect();
        for (c, cell) in COLUMNS.iter().zip(&cells) {
            match cell {
                Cell::Count(n) if i64::try_from(*n).is_err() => bail!(
                    "{}: {} = {n} does not fit a Parquet INT64 (write --format jsonl instead)",
                    at(),
                    c.name
                ),
                Cell::Money(d) if money_bytes(*d).is_none() => bail!(
                    "{}: {} = {d} does not fit DECIMAL(38,28) (write --format jsonl instead)",
                    at(),
                    c.name
                ),
                _ => {}
            }
        }
        for ((c, cell), buf) in COLUMNS.iter().zip(cells).zip(&mut self.buffers) {
            if c.nullable {
                buf.defined.push(i16::from(!matches!(cell, Cell::Null)));
            }
            match (cell, &mut buf.values) {
                (Cell::Null, _) => {}
                (Cell::Text(s), Values::Text { bytes, ends }) => {
                    bytes.extend_from_slice(s.as_bytes());
                    ends.push(bytes.len());
                }
                (Cell::Count(n), Values::I64(v)) => v.push(n as i64),
                (Cell::Micros(t), Values::I64(v)) => v.push(t),
                (Cell::Days(d), Values::I32(v)) => v.push(d),
                (Cell::Flag(b), Values::Flag(v)) => v.push(b),
                (Cell::Money(d), Values::Money(v)) => {
                    v.extend_from_slice(&money_bytes(d).expect("checked above"))
                }
                _ => bail!("column {} got a value of another type (a bug)", c.name),
            }
        }
        self.rows += 1;
        if self.rows == ROW_GROUP_ROWS {
            self.flush_row_group()?;
        }
        Ok(())
    }

    fn flush_row_group(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.file.next_row_group()?;
        let mut buffers = self.buffers.iter_mut();
        while let Some(mut column) = group.next_column()? {
            let buf = buffers
                .next()
                .context("more Parquet columns than buffers")?;
            let defined = (!buf.defined.is_empty()).then_some(buf.defined.as_slice());
            match &mut buf.values {
                Values::Text { bytes, ends } => {
                    let values = slices(bytes, ends.drain(..));
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, defined, None)?;
                }
                Values::I64(v) => {
                    column.typed::<Int64Type>().write_batch(v, defined, None)?;
                    v.clear();
                }
                Values::I32(v) => {
                    column.typed::<Int32Type>().write_batch(v, defined, None)?;
                    v.clear();
                }
                Values::Flag(v) => {
                    column.typed::<BoolType>().write_batch(v, defined, None)?;
                    v.clear();
                }
                Values::Money(v) => {
                    let values: Vec<FixedLenByteArray> =
                        slices(v, (16..).step_by(16).take(v.len() / 16))
                            .into_iter()
                            .map(FixedLenByteArray::from)
                            .collect();
                    column
                        .typed::<FixedLenByteArrayType>()
                        .write_batch(&values, defined, None)?;
                }
            }
            buf.defined.clear();
            column.close()?;
        }
        group.close()?;
        self.rows = 0;
        Ok(())
    }

    /// Write the last row group and the footer; returns the sink.
    pub fn finish(mut self) -> Result<W> {
        self.flush_row_group()?;
        Ok(self.file.into_inner()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn unscaled(d: &str) -> Option<i128> {
        money_bytes(Decimal::from_str(d).unwrap()).map(i128::from_be_bytes)
    }

    #[test]
    fn money_is_the_unscaled_value_at_scale_28() {
        assert_eq!(unscaled("1"), Some(10i128.pow(28)));
        assert_eq!(unscaled("-0.5"), Some(-5 * 10i128.pow(27)));
        assert_eq!(unscaled("0.0000000000000000000000000001"), Some(1));
        assert_eq!(
            unscaled("9999999999.9999999999"),
            Some(99_999_999_999_999_999_999 * 10i128.pow(18))
        );
        // Ten billion dollars needs 39 digits at scale 28.
        assert_eq!(unscaled("10000000000"), None);
        assert_eq!(unscaled("-10000000000"), None);
    }

    #[test]
    fn every_column_name_is_unique_and_flat() {
        let mut names: Vec<_> = COLUMNS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(COLUMNS.iter().all(|c| {
            c.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }));
        for bucket in COST_BUCKETS {
            let name = format!("cost_breakdown_{bucket}");
            assert!(COLUMNS.iter().any(|c| c.name == name), "{name}");
        }
    }
}
