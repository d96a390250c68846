//! A small JSON writer (RFC 8259) for the three documents docroot writes:
//! the info page, directory listings and error pages. They need objects
//! with fixed keys, arrays, strings, unsigned numbers and `null`; nothing
//! is ever parsed. It replaced `serde_json`, which cost the component
//! 22.9 KiB for this (BENCHMARKS.md, "What each crate costs"); the tests
//! still parse every document with `serde_json`.
//!
//! Output is pretty, two spaces an indent, keys in the order given.

#![forbid(unsafe_code)]

use std::fmt::Write as _;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// A non-negative integer.
    Number(u64),
    /// A non-negative decimal: `units` of `10^-places` (`Decimal(1234, 6)`
    /// is `0.001234`).
    Decimal(u64, u32),
    /// A string (any Rust string: every character is written or escaped).
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, its keys in this order.
    Object(Vec<(&'static str, Value)>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(n)
    }
}

impl From<u16> for Value {
    fn from(n: u16) -> Value {
        Value::Number(n.into())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl Value {
    /// The document as text, pretty-printed.
    pub fn to_pretty(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write(&mut out, 0);
        out
    }

    /// The document on one line, without spaces: a JSON Lines record.
    pub fn to_line(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write_line(&mut out);
        out
    }

    fn write_line(&self, out: &mut String) {
        match self {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_line(out);
                }
                out.push(']');
            }
            Value::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, key);
                    out.push(':');
                    value.write_line(out);
                }
                out.push('}');
            }
            scalar => scalar.write(out, 0),
        }
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Decimal(units, places) => {
                let scale = 10u64.pow((*places).min(19));
                let _ = write!(out, "{}", units / scale);
                if *places > 0 {
                    let _ = write!(out, ".{:0width$}", units % scale, width = *places as usize);
                }
            }
            Value::String(s) => write_string(out, s),
            Value::Array(items) if items.is_empty() => out.push_str("[]"),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    separate(out, i, depth + 1);
                    item.write(out, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            Value::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Value::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    separate(out, i, depth + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

/// Before the `i`th member of a container: a comma after the first, then
/// a new line indented to `depth`.
fn separate(out: &mut String, i: usize, depth: usize) {
    if i > 0 {
        out.push(',');
    }
    newline(out, depth);
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A string in quotes, escaped as RFC 8259 §7 requires: `"`, `\` and the
/// control characters U+0000 to U+001F; everything else is written as is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(v: &Value) -> serde_json::Value {
        serde_json::from_str(&v.to_pretty()).expect("valid JSON")
    }

    #[test]
    fn a_line_is_one_line_and_decimals_are_numbers() {
        let doc = Value::Object(vec![
            ("a", "x\ny\r\u{2028}".into()),
            ("d", Value::Decimal(1_234, 6)),
            ("s", Value::Decimal(12_000_001, 6)),
            ("w", Value::Decimal(7, 0)),
            ("l", Value::Array(vec![Value::Null, 1u64.into()])),
        ]);
        let line = doc.to_line();
        assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["a"], "x\ny\r\u{2028}");
        assert_eq!(v["d"].as_f64(), Some(0.001234));
        assert_eq!(v["s"].as_f64(), Some(12.000001));
        assert_eq!(v["w"], 7);
        assert_eq!(v["l"], serde_json::json!([null, 1]));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&doc.to_pretty()).unwrap(),
            v
        );
    }

    #[test]
    fn documents_parse_back_to_what_was_written() {
        let doc = Value::Object(vec![
            ("status", 404u16.into()),
            ("path", "/a\"b\\c\u{1}\u{1f}\u{7f}日本\u{2028}".into()),
            ("none", None::<u64>.into()),
            ("big", u64::MAX.into()),
            ("empty", Value::Array(vec![])),
            ("nothing", Value::Object(vec![])),
            (
                "list",
                Value::Array(vec![
                    Value::Object(vec![("name", "x".into()), ("size", Some(3u64).into())]),
                    Value::Null,
                ]),
            ),
        ]);
        assert_eq!(
            parsed(&doc),
            serde_json::json!({
                "status": 404,
                "path": "/a\"b\\c\u{1}\u{1f}\u{7f}日本\u{2028}",
                "none": null,
                "big": u64::MAX,
                "empty": [],
                "nothing": {},
                "list": [{ "name": "x", "size": 3 }, null],
            })
        );
    }

    #[test]
    fn output_is_indented_in_the_order_given() {
        let doc = Value::Object(vec![
            ("b", Value::Array(vec![1u64.into(), 2u64.into()])),
            ("a", "x\ny".into()),
        ]);
        assert_eq!(
            doc.to_pretty(),
            "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": \"x\\ny\"\n}"
        );
    }

    #[test]
    fn control_characters_are_escaped_never_written_raw() {
        let text = Value::from("\u{0}\u{8}\u{c}\t\r\n\u{1b}").to_pretty();
        assert_eq!(text, "\"\\u0000\\b\\f\\t\\r\\n\\u001b\"");
        assert!(!text.chars().any(|c| u32::from(c) < 0x20));
    }

    proptest! {
        #[test]
        fn any_string_round_trips(s in any::<String>()) {
            let back: String = serde_json::from_str(&Value::from(s.as_str()).to_pretty()).unwrap();
            prop_assert_eq!(back, s);
        }
    }
}
