//! Lines as OTLP `LogRecord`s, by the mapping documented in `docs/shipping.md`:
//!
//! | sluice | LogRecord |
//! |---|---|
//! | the line's bytes | `body`: a string, or `bytes` when they are not UTF-8 |
//! | its fields | `attributes`, typed by their kind: integer → `int_value`, number → `double_value`, boolean → `bool_value`, null → an empty value, text → `string_value` (`bytes_value` when not UTF-8), bytes → `bytes_value` |
//! | its timestamp | `time_unix_nano` (0, unknown, when it has none or one before 1970) |
//! | when sluice received it | `observed_time_unix_nano` |
//! | the file it was read from | `log.file.path` (as named) and `log.file.name` attributes; none for standard input |
//! | its `level` or `severity` field | `severity_text`, and `severity_number` by the data model's table ([`severity`](super::severity)) |
//!
//! The terminator is not part of the record. A line longer than `--max-line-bytes` reaches the
//! sink in pieces: they are joined into one record, up to [`MAX_BODY_BYTES`]; a longer line is
//! sent as several records of at most that many bytes, in order, each with the attribute
//! `sluice.line.part` (0, 1, …), the last one with the line's fields.

use super::proto::opentelemetry::proto::common::v1::{AnyValue, KeyValue, any_value};
use super::proto::opentelemetry::proto::logs::v1::LogRecord;
use super::severity;
use crate::lines::Lines;
use sluice_contract::Kind;

/// The most bytes of a line one record's body holds.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// Builds records from lines, holding the pieces of a line cut into pieces until its last.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// The bytes of the pieces of the current over-long line so far (less than
    /// [`MAX_BODY_BYTES`]), and how many records of it went out already.
    pieces: Vec<u8>,
    parts_sent: i64,
}

impl Records {
    /// Appends a record for each complete line of `lines` to `out` (and one per
    /// [`MAX_BODY_BYTES`] of a long line's pieces), observed at `observed` (ns since 1970).
    pub(crate) fn push(&mut self, lines: &Lines, observed: u64, out: &mut Vec<LogRecord>) {
        let fields = lines.fields();
        // The batch's lines share one source: its attributes are made once, cloned per record.
        let file = file_attributes(lines.source());
        let mut entry = 0;
        for i in 0..lines.len() {
            let bytes = lines.line(i);
            if lines.is_partial(i) {
                self.push_piece(bytes, &file, observed, out);
                continue;
            }
            let mut record = LogRecord {
                observed_time_unix_nano: observed,
                time_unix_nano: lines
                    .timestamp(i)
                    .map_or(0, |ns| u64::try_from(ns).unwrap_or(0)),
                ..LogRecord::default()
            };
            record.attributes.extend_from_slice(&file);
            while entry < fields.len() && fields.line_of(entry) < i {
                entry += 1;
            }
            while entry < fields.len() && fields.line_of(entry) == i {
                let (key, value, kind) =
                    (fields.key(entry), fields.value(entry), fields.kind(entry));
                if record.severity_text.is_empty() && severity::LEVEL_FIELDS.contains(&key) {
                    record.severity_text = String::from_utf8_lossy(value).into_owned();
                    record.severity_number = severity::number(value);
                }
                record.attributes.push(KeyValue {
                    key: key.to_owned(),
                    value: Some(typed(value, kind)),
                });
                entry += 1;
            }
            if self.pieces.is_empty() && self.parts_sent == 0 {
                record.body = Some(text_or_bytes(bytes));
            } else {
                // The last piece of an over-long line: the record holds the pieces not sent
                // yet; only a line sent as several records numbers its parts.
                self.pieces.extend_from_slice(bytes);
                record.body = Some(text_or_bytes(&self.pieces));
                if self.parts_sent > 0 {
                    record.attributes.push(part(self.parts_sent));
                }
                self.pieces.clear();
                self.parts_sent = 0;
            }
            out.push(record);
        }
    }

    /// Adds a piece of an over-long line, sending a record of it each [`MAX_BODY_BYTES`].
    fn push_piece(
        &mut self,
        mut bytes: &[u8],
        file: &[KeyValue],
        observed: u64,
        out: &mut Vec<LogRecord>,
    ) {
        while self.pieces.len() + bytes.len() >= MAX_BODY_BYTES {
            let take = MAX_BODY_BYTES - self.pieces.len();
            self.pieces.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            let mut record = LogRecord {
                observed_time_unix_nano: observed,
                body: Some(text_or_bytes(&self.pieces)),
                ..LogRecord::default()
            };
            record.attributes.extend_from_slice(file);
            record.attributes.push(part(self.parts_sent));
            out.push(record);
            self.pieces.clear();
            self.parts_sent += 1;
        }
        self.pieces.extend_from_slice(bytes);
    }
}

/// `log.file.path` and `log.file.name` for lines read from `source` (none for stdin or for
/// lines a stage made).
fn file_attributes(source: &str) -> Vec<KeyValue> {
    if source.is_empty() || source == "-" {
        return Vec::new();
    }
    let name = std::path::Path::new(source)
        .file_name()
        .map_or(source.into(), |name| name.to_string_lossy());
    vec![
        string("log.file.path", source),
        string("log.file.name", &name),
    ]
}

fn part(k: i64) -> KeyValue {
    KeyValue {
        key: "sluice.line.part".into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(k)),
        }),
    }
}

/// A string attribute.
pub(crate) fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
    }
}

/// A field's value as an OTLP value of its kind (the contract checked the kind's form; a
/// value that would not parse anyway goes as text).
fn typed(value: &[u8], kind: Kind) -> AnyValue {
    let text = std::str::from_utf8(value).ok();
    let typed = match kind {
        Kind::Integer => text
            .and_then(|text| text.parse().ok())
            .map(any_value::Value::IntValue),
        Kind::Number => text
            .and_then(|text| text.parse().ok())
            .map(any_value::Value::DoubleValue),
        Kind::Boolean => Some(any_value::Value::BoolValue(value == b"true")),
        Kind::Null => return AnyValue { value: None },
        Kind::Bytes => Some(any_value::Value::BytesValue(value.to_vec())),
        Kind::Text => None,
    };
    match typed {
        Some(typed) => AnyValue { value: Some(typed) },
        None => text_or_bytes(value),
    }
}

/// Bytes as a string value when they are UTF-8, else as a bytes value.
fn text_or_bytes(bytes: &[u8]) -> AnyValue {
    let value = match std::str::from_utf8(bytes) {
        Ok(text) => any_value::Value::StringValue(text.to_owned()),
        Err(_) => any_value::Value::BytesValue(bytes.to_vec()),
    };
    AnyValue { value: Some(value) }
}
