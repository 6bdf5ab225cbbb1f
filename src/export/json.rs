//! `report --format json`: the report document of `schema::report`
//! (docs/json.md), pretty-printed, except that an array inside an array
//! (a histogram's `[value, count]` pair, a task's state row) is written on
//! one line: a report of a million tasks is then a million lines, not
//! eight million.

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

use super::{Exporter, Report};

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let o = report.options;
        let doc = report
            .aggregate
            .to_doc(report.accounting, o.drift_tolerance, o.top);
        write_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

/// Serialize `value` with [`RowsFormatter`].
pub fn write_pretty<W: Write, T: Serialize>(out: W, value: &T) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, RowsFormatter::default());
    value.serialize(&mut ser)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    /// A container laid out one value per line.
    Tall { array: bool, has_value: bool },
    /// A container on one line (an array in an array, and what it holds).
    Flat,
}

/// serde_json's pretty layout (two-space indent), with arrays nested in
/// arrays kept on one line.
#[derive(Default)]
pub struct RowsFormatter {
    open: Vec<Open>,
}

impl RowsFormatter {
    fn indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        let depth = self.open.len();
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn flat(&self) -> bool {
        matches!(self.open.last(), Some(Open::Flat))
    }

    fn begin<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
        array: bool,
    ) -> io::Result<()> {
        // Inside a flat container, or an array directly inside an array
        // (the parent is tall and this is one of its elements).
        let in_array = matches!(self.open.last(), Some(Open::Tall { array: true, .. }));
        let flat = self.flat() || (array && in_array);
        self.open.push(if flat {
            Open::Flat
        } else {
            Open::Tall {
                array,
                has_value: false,
            }
        });
        w.write_all(bracket)
    }

    fn end<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        if let Some(Open::Tall {
            has_value: true, ..
        }) = self.open.pop()
        {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(bracket)
    }

    fn value_start<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.flat() {
            return if first { Ok(()) } else { w.write_all(b",") };
        }
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }

    fn value_end(&mut self) {
        if let Some(Open::Tall { has_value, .. }) = self.open.last_mut() {
            *has_value = true;
        }
    }
}

impl serde_json::ser::Formatter for RowsFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, b"[", true)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.value_start(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.value_end();
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, b"{", false)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.value_start(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(if self.flat() { b":" } else { b": " })
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.value_end();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_in_arrays_are_one_line_and_the_rest_is_pretty() {
        let v = json!({
            "a": [[1, 2], [3, {"k": [4]}]],
            "b": {"c": [], "d": {}},
            "e": [{"f": [5, 6]}]
        });
        let mut out = Vec::new();
        write_pretty(&mut out, &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = r#"{
  "a": [
    [1,2],
    [3,{"k":[4]}]
  ],
  "b": {
    "c": [],
    "d": {}
  },
  "e": [
    {
      "f": [
        5,
        6
      ]
    }
  ]
}"#;
        assert_eq!(text, expected);
        // Same value back.
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
