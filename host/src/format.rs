//! How lines are written: raw (as they came, terminators included), or one JSON object or one
//! logfmt record per line carrying the line, its timestamp, where it was read from and its
//! fields (`--output`).
//!
//! ```text
//! {"line":"GET /health 200","timestamp":"2024-06-01T12:00:00Z","source":"app.log","fields":{"status":"200"}}
//! line="GET /health 200" timestamp=2024-06-01T12:00:00Z source=app.log status=200
//! ```
//!
//! The line comes first, so that an over-long line, which reaches the output in pieces, is
//! written as it arrives: the first piece opens the record, the last one (which carries the
//! fields and timestamp, by the contract's convention) closes it. Bytes that are not UTF-8 are
//! written as the text `\xNN` (as `pack` does), so every record is valid JSON; a UTF-8
//! character cut by a piece boundary is held back and written whole with the next piece.
//! `source` is left out for standard input. A field's value is written by its kind: an integer,
//! number or boolean as itself, null as `null`, text and bytes as a string (`"status":200` when
//! a stage typed it, `"status":"200"` when not).

use crate::framing::Terminator;
use crate::lines::Lines;
use sluice_contract::Kind;

/// The `--output` formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// The lines as they are, with their terminators.
    #[default]
    Raw,
    /// One JSON object per line.
    Json,
    /// One logfmt record per line.
    Logfmt,
}

impl OutputFormat {
    /// `raw`, `json` or `logfmt`.
    pub fn parse(name: &str) -> Option<OutputFormat> {
        match name {
            "raw" => Some(OutputFormat::Raw),
            "json" => Some(OutputFormat::Json),
            "logfmt" => Some(OutputFormat::Logfmt),
            _ => None,
        }
    }
}

/// Writes lines in one format, keeping the state an over-long line's pieces need.
#[derive(Debug, Default)]
pub struct Formatter {
    format: OutputFormat,
    /// True between the first and the last piece of an over-long line.
    in_line: bool,
    /// The start of a UTF-8 character cut off at the end of the previous piece.
    carry: Vec<u8>,
    /// Raw output: the last complete line written had no terminator (the input's last line
    /// lacked one). If another line follows (a stage emitted it at the end), a line break is
    /// written first, so the two do not run together.
    unterminated: bool,
    /// Raw output: the terminator of the last line written that had one, used for that break
    /// (`\r\n` in a CRLF file); else the last one read.
    last_terminator: Option<Terminator>,
    /// The terminator of the last input line that had one.
    input_terminator: Option<Terminator>,
}

impl Formatter {
    /// A formatter for `format`.
    pub fn new(format: OutputFormat) -> Formatter {
        Formatter {
            format,
            ..Formatter::default()
        }
    }

    /// The format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Notes raw bytes written without this formatter (a batch no stage changed, copied as
    /// it was read), so that a later line knows whether it needs a line break first.
    pub fn wrote_raw(&mut self, raw: &[u8]) {
        if let Some(&last) = raw.last() {
            self.unterminated = last != b'\n';
        }
        if let Some(newline) = memchr::memrchr(b'\n', raw) {
            self.last_terminator = Some(if raw[..newline].ends_with(b"\r") {
                Terminator::CrLf
            } else {
                Terminator::Lf
            });
        }
    }

    /// Notes how the input's lines end, for the break before a line written after an
    /// unterminated one when no terminated line was written yet.
    pub fn saw_input(&mut self, lines: &Lines) {
        if let Some(&term) = lines.terms.iter().rev().find(|&&t| t != Terminator::None) {
            self.input_terminator = Some(term);
        }
    }

    /// Appends `lines` to `out`.
    pub fn write(&mut self, lines: &Lines, out: &mut Vec<u8>) {
        if self.format == OutputFormat::Raw {
            self.write_raw(lines, out);
            return;
        }
        let mut field = 0;
        let table = &lines.fields;
        for i in 0..lines.len() {
            let partial = lines.is_partial(i);
            if !self.in_line {
                out.extend_from_slice(match self.format {
                    OutputFormat::Json => b"{\"line\":\"",
                    _ => b"line=\"",
                });
            }
            let mut bytes = std::mem::take(&mut self.carry);
            bytes.extend_from_slice(lines.line(i));
            let held = if partial { incomplete_tail(&bytes) } else { 0 };
            escape(&bytes[..bytes.len() - held], out);
            self.carry = bytes[bytes.len() - held..].to_vec();
            self.in_line = partial;
            if partial {
                continue;
            }
            out.push(b'"');
            let timestamp = lines.timestamp(i).map(rfc3339);
            let source = (!lines.source.is_empty() && lines.source != "-").then_some(&lines.source);
            while field < table.len() && (table.line[field] as usize) < i {
                field += 1;
            }
            let fields_start = field;
            while field < table.len() && table.line[field] as usize == i {
                field += 1;
            }
            match self.format {
                OutputFormat::Json => {
                    if let Some(ts) = &timestamp {
                        out.extend_from_slice(b",\"timestamp\":\"");
                        out.extend_from_slice(ts.as_bytes());
                        out.push(b'"');
                    }
                    if let Some(source) = source {
                        out.extend_from_slice(b",\"source\":\"");
                        escape(source.as_bytes(), out);
                        out.push(b'"');
                    }
                    if field > fields_start {
                        out.extend_from_slice(b",\"fields\":{");
                        for e in fields_start..field {
                            if e > fields_start {
                                out.push(b',');
                            }
                            out.push(b'"');
                            escape(table.key(e).as_bytes(), out);
                            out.extend_from_slice(b"\":");
                            json_value(table.value(e), table.kind(e), out);
                        }
                        out.push(b'}');
                    }
                    out.extend_from_slice(b"}\n");
                }
                _ => {
                    if let Some(ts) = &timestamp {
                        out.extend_from_slice(b" timestamp=");
                        out.extend_from_slice(ts.as_bytes());
                    }
                    if let Some(source) = source {
                        out.extend_from_slice(b" source=");
                        logfmt_value(source.as_bytes(), out);
                    }
                    for e in fields_start..field {
                        out.push(b' ');
                        logfmt_key(table.key(e), out);
                        out.push(b'=');
                        logfmt_value(table.value(e), out);
                    }
                    out.push(b'\n');
                }
            }
        }
    }
}

impl Formatter {
    fn write_raw(&mut self, lines: &Lines, out: &mut Vec<u8>) {
        // Room for every line and terminator, so the loop's pushes never reallocate.
        out.reserve(lines.data.len() + 2 * lines.len() + 2);
        let mut start = 0;
        for (i, (&end, &term)) in lines.ends.iter().zip(&lines.terms).enumerate() {
            if self.unterminated {
                let brk = self
                    .last_terminator
                    .or(self.input_terminator)
                    .unwrap_or(Terminator::Lf);
                out.extend_from_slice(brk.bytes());
                self.unterminated = false;
            }
            out.extend_from_slice(&lines.data[start..end as usize]);
            // A `\n` pushed as a byte, not copied as a slice: one `memcpy` call a line, not two.
            match term {
                Terminator::Lf => out.push(b'\n'),
                other => out.extend_from_slice(other.bytes()),
            }
            start = end as usize;
            if term == Terminator::None {
                // A partial piece continues in the next line written; a complete line without
                // terminator was the input's last.
                self.unterminated = !lines.is_partial(i);
            } else {
                self.last_terminator = Some(term);
            }
        }
    }
}

/// A timestamp (nanoseconds since the Unix epoch) as RFC 3339 in UTC, with as many fractional
/// digits as it needs.
pub fn rfc3339(nanos: i64) -> String {
    match jiff::Timestamp::from_nanosecond(nanos.into()) {
        Ok(ts) => ts.to_string(),
        Err(_) => nanos.to_string(),
    }
}

/// The number of bytes at the end of `bytes` that start a UTF-8 character without finishing
/// it (0 to 3).
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=3.min(bytes.len()) {
        let b = bytes[bytes.len() - back];
        if b & 0xC0 != 0x80 {
            let need = match b {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => return 0,
            };
            return if need > back { back } else { 0 };
        }
    }
    0
}

/// Writes `bytes` as the inside of a JSON string: `"`, `\` and control characters escaped,
/// bytes that are not UTF-8 as the text `\xNN`.
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..=0x1F | 0x7F => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
                _ => out.push(b),
            }
        }
        for &b in chunk.invalid() {
            out.extend_from_slice(format!("\\\\x{b:02x}").as_bytes());
        }
    }
}

/// A logfmt key: characters that would break the record become `_`.
fn logfmt_key(key: &str, out: &mut Vec<u8>) {
    if key.is_empty() {
        out.push(b'_');
    }
    for c in key.chars() {
        if c == '=' || c == '"' || c.is_whitespace() || c.is_control() {
            out.push(b'_');
        } else {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

/// A logfmt value: bare when it can be, else quoted with JSON's escapes.
fn logfmt_value(value: &[u8], out: &mut Vec<u8>) {
    let bare = !value.is_empty()
        && value
            .iter()
            .all(|&b| b > b' ' && b != b'"' && b != b'=' && b != b'\\' && b < 0x7F);
    if bare {
        out.extend_from_slice(value);
    } else {
        out.push(b'"');
        escape(value, out);
        out.push(b'"');
    }
}

/// A field's value as JSON: numbers, booleans and null as themselves (the contract checked
/// their form, which is JSON's), text and bytes as a string.
fn json_value(value: &[u8], kind: Kind, out: &mut Vec<u8>) {
    match kind {
        Kind::Integer | Kind::Number | Kind::Boolean => out.extend_from_slice(value),
        Kind::Null => out.extend_from_slice(b"null"),
        Kind::Text | Kind::Bytes => {
            out.push(b'"');
            escape(value, out);
            out.push(b'"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::Terminator;

    fn sample() -> Lines {
        let mut lines = Lines::default();
        lines.push(b"GET \"/\" ok", Terminator::CrLf, false);
        lines.push(b"caf\xc3\xa9 \xff", Terminator::Lf, false);
        let status = lines.fields.intern("status");
        let user = lines.fields.intern("user name");
        lines.fields.push(0, status, b"200");
        lines.fields.push(0, user, b"bob smith");
        lines.timestamps = vec![(1, 1_717_243_200_500_000_000)];
        lines.set_source("app.log");
        lines
    }

    fn written(format: OutputFormat, lines: &[Lines]) -> String {
        let mut formatter = Formatter::new(format);
        let mut out = Vec::new();
        for batch in lines {
            formatter.write(batch, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_records() {
        let out = written(OutputFormat::Json, &[sample()]);
        assert_eq!(
            out,
            "{\"line\":\"GET \\\"/\\\" ok\",\"source\":\"app.log\",\"fields\":{\"status\":\"200\",\"user name\":\"bob smith\"}}\n\
             {\"line\":\"café \\\\xff\",\"timestamp\":\"2024-06-01T12:00:00.5Z\",\"source\":\"app.log\"}\n"
        );
        for record in out.lines() {
            serde_json::from_str::<serde_json::Value>(record).unwrap();
        }
    }

    #[test]
    fn logfmt_records() {
        assert_eq!(
            written(OutputFormat::Logfmt, &[sample()]),
            "line=\"GET \\\"/\\\" ok\" source=app.log status=200 user_name=\"bob smith\"\n\
             line=\"café \\\\xff\" timestamp=2024-06-01T12:00:00.5Z source=app.log\n"
        );
    }

    #[test]
    fn pieces_make_one_record_and_characters_are_not_cut() {
        // "é" is cut between the two pieces.
        let mut first = Lines::default();
        first.push(b"caf\xc3", Terminator::None, true);
        let mut last = Lines::default();
        last.push(b"\xa9!", Terminator::Lf, false);
        let key = last.fields.intern("k");
        last.fields.push(0, key, b"v");
        assert_eq!(
            written(OutputFormat::Json, &[first, last]),
            "{\"line\":\"café!\",\"fields\":{\"k\":\"v\"}}\n"
        );
    }

    #[test]
    fn raw_is_the_bytes() {
        let mut out = Vec::new();
        Formatter::new(OutputFormat::Raw).write(&sample(), &mut out);
        assert_eq!(out, b"GET \"/\" ok\r\ncaf\xc3\xa9 \xff\n");
    }

    #[test]
    fn a_line_after_an_unterminated_last_line_starts_a_new_line() {
        let mut formatter = Formatter::new(OutputFormat::Raw);
        let mut out = Vec::new();
        formatter.wrote_raw(b"a\r\nlast");
        let mut trailing = Lines::default();
        trailing.push(b"summary", Terminator::Lf, false);
        formatter.write(&trailing, &mut out);
        assert_eq!(out, b"\r\nsummary\n");

        // Pieces of an over-long line are joined with nothing between them.
        let mut formatter = Formatter::new(OutputFormat::Raw);
        let mut out = Vec::new();
        let mut lines = Lines::default();
        lines.push(b"piece", Terminator::None, true);
        lines.push(b"end", Terminator::None, false);
        formatter.write(&lines, &mut out);
        formatter.write(&trailing, &mut out);
        assert_eq!(out, b"pieceend\nsummary\n");
    }

    #[test]
    fn incomplete_tails() {
        assert_eq!(incomplete_tail(b"abc"), 0);
        assert_eq!(incomplete_tail(b"ab\xc3"), 1);
        assert_eq!(incomplete_tail(b"a\xe2\x82"), 2);
        assert_eq!(incomplete_tail(b"a\xe2\x82\xac"), 0);
        assert_eq!(incomplete_tail(b"\xff"), 0);
    }
}
