//! `pack`: replaces each line with one JSON object holding the line and its fields, as Loki's
//! `pack` stage does.
//!
//! ```text
//! level=INFO msg=ok          (fields: level=INFO, host=web-1)
//! {"_entry":"level=INFO msg=ok","host":"web-1","level":"INFO"}
//! ```
//!
//! The object holds the chosen fields plus the original line under `_entry`, keys sorted by
//! byte order, written compactly. A field a stage marked as a number, a boolean or null (`json`
//! does) is written as that JSON value; any other as a string. Strings are escaped as the host's `--output json` escapes
//! them, with the SDK's [`sluice_plugin_sdk::json`] writer: valid UTF-8 passes through, control
//! characters and DEL become `\n`, `\r`, `\t` or `\u00XX`, and each byte that is not valid
//! UTF-8 is written as the four characters `\xNN` (`\\xNN` in the JSON source, as Python's
//! `backslashreplace`), so the output is always valid JSON and no byte is lost. A field named
//! `_entry` is shadowed by the line and left out.
//!
//! Configuration:
//!
//! | key | meaning |
//! |---|---|
//! | `fields` | the names of the fields to pack; a listed field that a line lacks is left out of that line's object. By default, all of the line's fields. |
//!
//! # Over-long lines
//!
//! The stage is not boundary-safe: a line longer than the host's maximum arrives in pieces,
//! which the host joins again on output with nothing in between. Buffering the pieces to pack
//! them at once would hold a whole line in memory (a 1 GiB line, whole), so each piece is
//! packed as it comes instead: the first piece becomes `{"_entry":"` and its escaped bytes,
//! a middle piece its escaped bytes, and the last piece its escaped bytes, the closing quote,
//! the fields and `}`. Joined, they form one valid object. The fields are those of the last
//! piece (sluice's plugins set the fields of a line cut into pieces on its last piece), and in
//! such an object `_entry` comes first rather than in sorted order. A character cut between
//! two pieces is carried over and written whole.

use sluice_plugin_sdk::json::{PieceEscaper, escape};
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Field, Kind, Line, LineBuf, LongLine, Output, Piece, Plugin,
    export_plugin,
};

/// The key that holds the line.
const ENTRY: &str = "_entry";

/// Fields sorted on the stack; lines with more fall back to a vector.
const INLINE_FIELDS: usize = 16;

/// A pack stage.
pub struct Pack {
    /// The fields to pack, sorted by byte order, without duplicates or `_entry`; `None` for all
    /// of each line's fields.
    fields: Option<Vec<String>>,
    /// Escapes the pieces of the over-long line being packed.
    pieces: PieceEscaper,
    /// Whether the pieces of an over-long line are arriving (an object is open).
    long_line: LongLine,
}

impl Pack {
    /// Writes a complete line as an object with sorted keys.
    fn write_object(&self, line: &Line<'_>, out: &mut LineBuf<'_>) {
        out.push(b'{');
        let mut first = true;
        let mut entry_written = false;
        self.for_each_field(line, |field| {
            if !entry_written && ENTRY < field.key {
                write_entry(line.bytes(), first, out);
                entry_written = true;
                first = false;
            }
            write_member(field, first, out);
            first = false;
        });
        if !entry_written {
            write_entry(line.bytes(), first, out);
        }
        out.push(b'}');
    }

    /// Calls `f` on the line's fields to pack, in byte order of their keys, without `_entry`.
    fn for_each_field<'a>(&'a self, line: &Line<'a>, mut f: impl FnMut(Field<'a>)) {
        match &self.fields {
            Some(names) => {
                let fields = line.fields();
                for name in names {
                    if let Some(field) = fields.find(name) {
                        f(Field { key: name, ..field });
                    }
                }
            }
            None => {
                let fields = line.fields();
                let n = fields.len();
                if n <= 1 {
                    // Nothing to sort (the common case: no field, or one from a regex).
                    fields.filter(|f| f.key != ENTRY).for_each(f);
                } else if n <= INLINE_FIELDS {
                    let mut inline = [Field {
                        key: "",
                        value: &[],
                        kind: Kind::Text,
                    }; INLINE_FIELDS];
                    for (slot, field) in inline.iter_mut().zip(fields) {
                        *slot = field;
                    }
                    let sorted = &mut inline[..n];
                    sorted.sort_unstable_by(|a, b| a.key.cmp(b.key));
                    sorted
                        .iter()
                        .filter(|f| f.key != ENTRY)
                        .for_each(|&field| f(field));
                } else {
                    let mut sorted: Vec<Field<'a>> = fields.collect();
                    sorted.sort_unstable_by(|a, b| a.key.cmp(b.key));
                    sorted.into_iter().filter(|f| f.key != ENTRY).for_each(f);
                }
            }
        }
    }
}

/// Writes `"_entry":"<line>"`, preceded by a comma unless it is the first member.
fn write_entry(line: &[u8], first: bool, out: &mut LineBuf<'_>) {
    if !first {
        out.push(b',');
    }
    out.extend_from_slice(b"\"_entry\":\"");
    escape(line, out);
    out.push(b'"');
}

/// Writes `"key":value`, preceded by a comma unless it is the first member: a number,
/// boolean or null as itself (its form is JSON's, checked by the host), anything else as a
/// string.
fn write_member(field: Field<'_>, first: bool, out: &mut LineBuf<'_>) {
    if !first {
        out.push(b',');
    }
    out.push(b'"');
    escape(field.key.as_bytes(), out);
    out.extend_from_slice(b"\":");
    match field.kind {
        Kind::Integer | Kind::Number | Kind::Boolean => out.extend_from_slice(field.value),
        Kind::Null => out.extend_from_slice(b"null"),
        Kind::Text | Kind::Bytes => {
            out.push(b'"');
            escape(field.value, out);
            out.push(b'"');
        }
    }
}

impl Plugin for Pack {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "pack";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Replace each line with a JSON object of its fields and the line under _entry";
    const CONFIG_KEYS: &'static [ConfigKey] = &[ConfigKey::new(
        "fields",
        "list of strings",
        "The fields to pack; by default all of each line's fields.",
    )];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let fields = config.strings("fields")?.map(|names| {
            let mut names: Vec<String> = names
                .into_iter()
                .filter(|&n| n != ENTRY)
                .map(str::to_owned)
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        });
        Ok(Pack {
            fields,
            pieces: PieceEscaper::default(),
            long_line: LongLine::new(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        match self.long_line.next(line) {
            Piece::Whole => out.emit_with(|buf| self.write_object(line, buf)),
            piece @ (Piece::First | Piece::Middle) => {
                let pieces = &mut self.pieces;
                out.emit_with(|buf| {
                    if piece == Piece::First {
                        buf.extend_from_slice(b"{\"_entry\":\"");
                    }
                    pieces.piece(line.bytes(), false, buf);
                });
            }
            Piece::Last => {
                let mut pieces = std::mem::take(&mut self.pieces);
                let this = &*self;
                out.emit_with(|buf| {
                    pieces.piece(line.bytes(), true, buf);
                    buf.push(b'"');
                    this.for_each_field(line, |field| write_member(field, false, buf));
                    buf.push(b'}');
                });
                self.pieces = pieces;
            }
        }
    }
}

export_plugin!(Pack);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use sluice_plugin_sdk::testing::{Harness, Input, config_error};

    fn pack(config: &str, inputs: Vec<Input>) -> Vec<String> {
        let mut stage = Harness::<Pack>::new(config).unwrap();
        stage
            .process(inputs)
            .unwrap()
            .into_iter()
            .map(|l| String::from_utf8(l.bytes).expect("pack writes UTF-8"))
            .collect()
    }

    #[test]
    fn packs_line_and_fields_with_sorted_keys() {
        let out = pack(
            "{}",
            vec![
                Input::new("level=INFO msg=ok")
                    .field("level", "INFO")
                    .field("host", "web-1")
                    .field("Zone", "eu"),
            ],
        );
        assert_eq!(
            out,
            [r#"{"Zone":"eu","_entry":"level=INFO msg=ok","host":"web-1","level":"INFO"}"#]
        );
    }

    #[test]
    fn a_line_without_fields() {
        assert_eq!(pack("{}", vec![Input::new("")]), [r#"{"_entry":""}"#]);
    }

    #[test]
    fn chosen_fields_only_and_missing_ones_absent() {
        let out = pack(
            r#"{"fields": ["status", "level", "absent", "level", "_entry"]}"#,
            vec![
                Input::new("x")
                    .field("level", "WARN")
                    .field("status", "500")
                    .field("extra", "no"),
                Input::new("y"),
            ],
        );
        assert_eq!(
            out,
            [
                r#"{"_entry":"x","level":"WARN","status":"500"}"#,
                r#"{"_entry":"y"}"#
            ]
        );
    }

    #[test]
    fn entry_field_is_shadowed_by_the_line() {
        let out = pack(
            "{}",
            vec![
                Input::new("the line")
                    .field("_entry", "old")
                    .field("a", "1"),
            ],
        );
        assert_eq!(out, [r#"{"_entry":"the line","a":"1"}"#]);
    }

    #[test]
    fn realistic_lines_round_trip_through_json() {
        let lines: Vec<&[u8]> = vec![
            br#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api?q=a\b HTTP/1.1" 200 2326"#,
            br#"{"ts":"2024-10-10T13:55:36Z","level":"INFO","msg":"user \"bob\" logged in"}"#,
            b"ts=2024-10-10T13:55:38Z level=warn msg=\"retrying\"\tattempt=3",
            b"\tat com.example.Main.main(Main.java:12)",
            b"nul\x00 bell\x07 esc\x1b[31mred\x1b[0m",
            "unicode: café ☕ 😀".as_bytes(),
        ];
        let out = pack(
            "{}",
            lines
                .iter()
                .map(|l| Input::new(l).field("host", "h"))
                .collect(),
        );
        for (line, packed) in lines.iter().zip(&out) {
            let value: Value = serde_json::from_str(packed).unwrap();
            assert_eq!(
                value["_entry"],
                Value::String(String::from_utf8(line.to_vec()).unwrap())
            );
            assert_eq!(value["host"], json!("h"));
        }
    }

    #[test]
    fn invalid_utf8_is_kept_as_backslash_x() {
        let out = pack("{}", vec![Input::new(b"a\xff\xfeb").field("k", b"\xc3")]);
        assert_eq!(out, [r#"{"_entry":"a\\xff\\xfeb","k":"\\xc3"}"#]);
        let value: Value = serde_json::from_str(&out[0]).unwrap();
        assert_eq!(value["_entry"], json!(r"a\xff\xfeb"));
    }

    /// The escaping is the host's (`--output json`): no `\b` or `\f`, DEL escaped.
    #[test]
    fn control_characters_are_escaped_as_the_host_does() {
        let out = pack(
            "{}",
            vec![Input::new(b"\x08\x0c\x7f\t\x1b").field("k", "\r\n")],
        );
        assert_eq!(
            out,
            [r#"{"_entry":"\u0008\u000c\u007f\t\u001b","k":"\r\n"}"#]
        );
    }

    #[test]
    fn many_fields_are_sorted_too() {
        let mut input = Input::new("l");
        for i in (0..40).rev() {
            input = input.field(&format!("f{i:02}"), format!("{i}"));
        }
        let out = pack("{}", vec![input]);
        let value: serde_json::Map<String, Value> = serde_json::from_str(&out[0]).unwrap();
        assert_eq!(value.len(), 41);
        let keys: Vec<&str> = out[0]
            .match_indices("\"f")
            .map(|(i, _)| &out[0][i + 1..i + 4])
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn pieces_of_an_over_long_line_form_one_object() {
        let mut line = "start é€😀 \"quoted\" ".as_bytes().to_vec();
        line.extend_from_slice(b"\xff end\xe2\x82\xac tail");
        for cut1 in 1..line.len() {
            for cut2 in cut1..line.len() {
                let mut stage = Harness::<Pack>::new("{}").unwrap();
                let out = stage
                    .process([
                        Input::new(&line[..cut1]).partial(),
                        Input::new(&line[cut1..cut2]).partial(),
                        Input::new(&line[cut2..]).field("level", "INFO"),
                        Input::new("next").field("a", "b"),
                    ])
                    .unwrap();
                assert_eq!(out.len(), 4, "one output line per piece");
                let joined: Vec<u8> = out[..3].iter().flat_map(|l| l.bytes.clone()).collect();
                let value: Value = serde_json::from_slice(&joined).unwrap_or_else(|e| {
                    panic!(
                        "cuts {cut1} {cut2}: {e}: {}",
                        String::from_utf8_lossy(&joined)
                    )
                });
                assert_eq!(
                    value["_entry"],
                    json!("start é€😀 \"quoted\" \\xff end€ tail")
                );
                assert_eq!(value["level"], json!("INFO"));
                assert_eq!(out[3].text(), r#"{"_entry":"next","a":"b"}"#);
            }
        }
    }

    #[test]
    fn fields_must_be_a_list_of_strings() {
        let e = config_error::<Pack>(r#"{"fields": "level"}"#);
        assert_eq!(e.key.as_deref(), Some("fields"));
        assert!(
            e.message
                .starts_with("expected a list of strings, got a string")
        );
    }
}
