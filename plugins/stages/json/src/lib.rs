//! `json`: parses each line (or a field) as a JSON object and extracts values into fields, as
//! Promtail's `json` stage does.
//!
//! ```text
//! {"level":"info","user":{"name":"bob"},"items":[{"id":7}]}
//!   with {"expressions": {"user": "user.name", "first": "items[0].id"}}
//!   → fields user=bob first=7, the line unchanged
//! ```
//!
//! A tour:
//!
//! - `path.rs` parses the paths of `expressions` (a JMESPath subset: `a.b`, `a[0]`, `"a.b"`,
//!   plus LogQL's `["a.b"]`) and compiles them into one trie;
//! - `scan.rs` walks a line once with the SDK's JSON scanner, validating it and recording the
//!   byte span of each value a path reaches (and of every top-level member, for `all`): no
//!   tree is built, nothing is allocated per line;
//! - `value.rs` turns a span into a field value: strings unescaped, numbers and booleans as
//!   their JSON text, `null` as the empty string, objects and arrays as compact JSON text;
//! - `report.rs` counts what happened to the lines and words the report made at the end;
//! - this file holds the configuration and the per-line decisions.
//!
//! A line that is not a JSON object passes unchanged (or is dropped with `drop_malformed`);
//! it can be marked with `error_field`, and the lines that failed are counted and reported at
//! the end. The pieces of an over-long line cannot be parsed (the stage never holds a whole
//! line): they pass unchanged, and the line counts as too long to parse.

mod path;
mod report;
mod scan;
mod value;

use path::{Step, Trie};
use report::Counts;
use scan::{Failure, Found, Kind, Span, scan};
use sluice_plugin_sdk::json::unescape;
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, LongLine, Output, Piece, Plugin, Trailing, export_plugin,
};
use std::fmt::Write as _;

/// A json stage.
pub struct Json {
    /// The paths of `expressions`, as one trie.
    trie: Trie,
    /// (field name, target in the trie) for each expression, by field name.
    fields: Vec<(String, usize)>,
    /// Whether every top-level member becomes a field.
    all: bool,
    /// The field to parse instead of the line.
    source: Option<String>,
    drop_malformed: bool,
    error_field: Option<String>,
    /// What the last scan found (reused).
    found: Found,
    /// Scratch for unescaped and compacted values, unescaped keys, and the error reason.
    value_buf: Vec<u8>,
    key_buf: Vec<u8>,
    reason: String,
    /// Whether the pieces of an over-long line are arriving (one was seen, the last was not).
    long_line: LongLine,
    counts: Counts,
}

impl Plugin for Json {
    // Each line on its own; the counts for the report at the end are merged across the
    // instances the host makes (`tally`, `absorb`).
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "json";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Parse JSON lines: top-level keys or JMESPath-style paths become fields";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "expressions",
            "object",
            "Field name → path into the line's object, such as \"user.name\", \"items[0].id\" or \
             \"[\\\"key.with.dots\\\"]\" (a JMESPath subset); an empty path means the top-level \
             key named like the field.",
        ),
        ConfigKey::new(
            "all",
            "bool",
            "Make every top-level key a field. By default, true when `expressions` is not \
             given, else false.",
        ),
        ConfigKey::new(
            "source",
            "string",
            "Parse this field's value instead of the line; lines without it pass unchanged.",
        ),
        ConfigKey::new(
            "drop_malformed",
            "bool",
            "Drop the lines that are not a JSON object instead of passing them unchanged.",
        )
        .default("false"),
        ConfigKey::new(
            "error_field",
            "string",
            "Set this field, on lines that could not be parsed, to a short reason (like \
             Loki's __error__).",
        ),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let expressions = config.string_map("expressions")?;
        let mut paths: Vec<Vec<Step>> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        if let Some(expressions) = &expressions {
            if expressions.is_empty() {
                return Err(ConfigError::new(
                    "expressions",
                    "is empty: give at least one field, such as {\"user\": \"user.name\"}, or \
                     leave it out to extract every top-level key",
                ));
            }
            for &(name, path) in expressions {
                if name.is_empty() {
                    return Err(ConfigError::new(
                        "expressions",
                        "has an empty field name; name the field each path goes to",
                    ));
                }
                let steps = if path.is_empty() {
                    vec![Step::Key(name.as_bytes().to_vec())]
                } else {
                    path::parse(path).map_err(|e| {
                        ConfigError::new("expressions", format!("field {name:?}: {e}"))
                    })?
                };
                paths.push(steps);
                names.push(name.to_owned());
            }
        }
        let (trie, order) = Trie::build(&paths);
        let all = config.bool("all")?.unwrap_or(expressions.is_none());
        let drop_malformed = config.bool("drop_malformed")?.unwrap_or(false);
        let error_field = config.str("error_field")?.map(str::to_owned);
        if error_field.as_deref() == Some("") {
            return Err(ConfigError::new(
                "error_field",
                "is empty; name the field that gets the reason, such as \"__error__\"",
            ));
        }
        if drop_malformed && error_field.is_some() {
            return Err(ConfigError::new(
                "error_field",
                "has no effect with \"drop_malformed\": lines that fail are dropped; remove one \
                 of the two",
            ));
        }
        let source = config.str("source")?.map(str::to_owned);
        if source.as_deref() == Some("") {
            return Err(ConfigError::new(
                "source",
                "is empty; name the field to parse, or leave it out to parse the line",
            ));
        }
        Ok(Json {
            trie,
            fields: names.into_iter().zip(order).collect(),
            all,
            source,
            drop_malformed,
            error_field,
            found: Found::default(),
            value_buf: Vec::new(),
            key_buf: Vec::new(),
            reason: String::new(),
            long_line: LongLine::new(),
            counts: Counts::default(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        // The pieces of an over-long line before its last: its fields (and `source`) are on
        // the last piece, and a piece alone is not a document.
        let piece = self.long_line.next(line);
        if !piece.ends() {
            out.keep();
            return;
        }
        let long = piece == Piece::Last;
        self.counts.lines += 1;
        let doc = match &self.source {
            Some(field) => match line.field(field) {
                Some(value) => value,
                None => {
                    self.counts.no_source += 1;
                    out.keep();
                    return;
                }
            },
            None if long => {
                self.counts.too_long += 1;
                out.keep();
                if let Some(f) = &self.error_field {
                    out.set_field(f, b"line too long to parse");
                }
                return;
            }
            None => line.bytes(),
        };
        match scan(doc, &self.trie, self.all, &mut self.found) {
            Ok(()) => {
                out.keep();
                self.set_fields(doc, out);
            }
            Err(failure) => {
                match failure {
                    Failure::Invalid { .. } => self.counts.invalid += 1,
                    Failure::NotObject => self.counts.not_object += 1,
                }
                // The earlier pieces of an over-long line already went out: keep it whole.
                if self.drop_malformed && !long {
                    return;
                }
                out.keep();
                if let Some(f) = &self.error_field {
                    self.reason.clear();
                    match failure {
                        Failure::Invalid { at, expected } => {
                            let _ = write!(
                                self.reason,
                                "invalid JSON at byte {at}: expected {expected}"
                            );
                        }
                        Failure::NotObject => self.reason.push_str("not a JSON object"),
                    }
                    out.set_field(f, self.reason.as_bytes());
                }
            }
        }
    }

    fn reach(&self) -> sluice_plugin_sdk::Reach {
        sluice_plugin_sdk::Reach::of(Self::STATE).tallying()
    }

    fn tally(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.counts).tally()
    }

    fn absorb(&mut self, tally: &[u8]) -> Result<(), String> {
        self.counts.absorb(tally)
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if let Some(report) = self
            .counts
            .report(self.source.as_deref(), self.drop_malformed)
        {
            out.report(report.into_bytes());
        }
        Ok(())
    }
}

impl Json {
    /// Sets the fields the last scan of `doc` found: every top-level member with `all`, then the
    /// expressions (which win over a member of the same name).
    fn set_fields(&mut self, doc: &[u8], out: &mut Output<'_>) {
        if self.all {
            for member in &self.found.members {
                let name = key_text(doc, member.key, &mut self.key_buf);
                let kind = value::field_kind(doc, member.value);
                let value = value::field_value(doc, member.value, &mut self.value_buf);
                if !name.is_empty() {
                    out.set_field_as(&name, value, kind);
                }
            }
        }
        for (name, target) in &self.fields {
            if let Some(span) = self.found.targets[*target] {
                let kind = value::field_kind(doc, span);
                out.set_field_as(
                    name,
                    value::field_value(doc, span, &mut self.value_buf),
                    kind,
                );
            }
        }
    }
}

/// The text of a member's key: borrowed from `doc` when it holds no escape and is UTF-8, else
/// unescaped into `buf`; bytes that are not UTF-8 become U+FFFD (field names are text).
fn key_text<'a>(doc: &'a [u8], key: Span, buf: &'a mut Vec<u8>) -> std::borrow::Cow<'a, str> {
    let bytes: &[u8] = match key.kind {
        Kind::String { escaped: true } => {
            buf.clear();
            unescape(key.of(doc), buf);
            buf
        }
        _ => key.of(doc),
    };
    String::from_utf8_lossy(bytes)
}

export_plugin!(Json);

#[cfg(test)]
mod tests;
