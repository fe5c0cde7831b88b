//! `logfmt`: parses `key=value` pairs out of each line (or a field) into fields, as Promtail's
//! `logfmt` stage does.
//!
//! ```text
//! ts=2024-10-10T13:55:36Z level=warn msg="retrying \"db\"" attempt=3 dry_run
//!   → fields ts, level=warn, msg=retrying "db", attempt=3, dry_run= (empty)
//! ```
//!
//! `scan.rs` splits the text into pairs without allocating (its module docs give the grammar,
//! which never fails: what is not a pair is skipped); this file decides which pairs become
//! fields (all, or those `mapping` names, renamed) and handles the pieces of over-long lines.
//! Values are bytes: a quoted value is unescaped (its escapes are JSON's: the SDK's
//! `json::unescape` keeps a backslash that starts none), anything else is copied as it is,
//! including bytes that are not UTF-8. Keys become field names, so a key that is not UTF-8 is
//! skipped.
//!
//! Kinds, where the text is unambiguous ([`kind_of`]): an unquoted `true` or `false` is a
//! boolean, an unquoted integer (`3`, `-12`, no leading zero, within 64 bits) an integer, an
//! unquoted JSON number (`0.25`, `1e3`) a number; everything else, and every quoted value, is
//! text (`attempt="3"` stays the text `3`). `typed: false` keeps every value text.

mod scan;

use scan::{Pair, Pairs};
use sluice_plugin_sdk::json::unescape;
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Field, HeldFields, Kind, Line, Output, Plugin, export_plugin,
};

/// A logfmt stage.
pub struct Logfmt {
    extractor: Extractor,
    /// The field to parse instead of the line.
    source: Option<String>,
    /// While the pieces of an over-long line arrive: the fields found in its first piece, to
    /// set on its last (at most a piece's worth of bytes).
    held: Option<HeldFields>,
}

impl Plugin for Logfmt {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "logfmt";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Parse logfmt key=value pairs into fields";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "mapping",
            "object",
            "Field name → logfmt key to extract (an empty key means the same name as the \
             field). By default, every key becomes a field of the same name.",
        ),
        ConfigKey::new(
            "source",
            "string",
            "Parse this field's value instead of the line; lines without it pass unchanged.",
        ),
        ConfigKey::new(
            "typed",
            "boolean",
            "Give unquoted numbers and true/false their kind, so that -o json and pack write \
             them as JSON numbers and booleans (default true); false keeps every value text.",
        ),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let mapping = match config.string_map("mapping")? {
            None => None,
            Some(entries) if entries.is_empty() => {
                return Err(ConfigError::new(
                    "mapping",
                    "is empty: name at least one field, such as {\"level\": \"lvl\"}, or leave \
                     it out to extract every key",
                ));
            }
            Some(entries) => {
                let mut mapping = Vec::with_capacity(entries.len());
                for (field, key) in entries {
                    if field.is_empty() {
                        return Err(ConfigError::new(
                            "mapping",
                            "has an empty field name; name the field each key goes to",
                        ));
                    }
                    let key = if key.is_empty() { field } else { key };
                    if let Some(bad) = key.bytes().find(|&b| b <= b' ' || b == b'=' || b == b'"') {
                        return Err(ConfigError::new(
                            "mapping",
                            format!(
                                "field {field:?}: key {key:?} can never match: logfmt keys hold \
                                 no whitespace, '=' or '\"' (found {:?})",
                                bad as char
                            ),
                        ));
                    }
                    mapping.push((key.as_bytes().to_vec(), field.to_owned()));
                }
                Some(mapping)
            }
        };
        let source = config.str("source")?.map(str::to_owned);
        if source.as_deref() == Some("") {
            return Err(ConfigError::new(
                "source",
                "is empty; name the field to parse, or leave it out to parse the line",
            ));
        }
        Ok(Logfmt {
            extractor: Extractor {
                mapping,
                scratch: Vec::new(),
                typed: config.bool("typed")?.unwrap_or(true),
            },
            source,
            held: None,
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        out.keep();
        if let Some(field) = &self.source {
            // A line's fields are on its last piece: so is the text to parse.
            if !line.is_partial()
                && let Some(text) = line.field(field)
            {
                self.extractor.for_each_field(text, false, |field| {
                    out.set_field_as(field.key, field.value, field.kind)
                });
            }
            return;
        }
        if line.is_partial() {
            if self.held.is_none() {
                // The first piece of an over-long line: its pairs are the line's fields.
                let mut held = HeldFields::new();
                self.extractor
                    .for_each_field(line.bytes(), true, |field| held.push(field));
                self.held = Some(held);
            }
            return;
        }
        if let Some(held) = self.held.take() {
            out.set_fields(held.iter());
            return;
        }
        self.extractor.for_each_field(line.bytes(), false, |field| {
            out.set_field_as(field.key, field.value, field.kind)
        });
    }
}

/// Which pairs become fields, under which names.
struct Extractor {
    /// (logfmt key, field name) to extract, by field name; `None` for every key under its own
    /// name.
    mapping: Option<Vec<(Vec<u8>, String)>>,
    /// Scratch for unescaped values.
    scratch: Vec<u8>,
    /// Whether unquoted values get their kind ([`kind_of`]); else all are text.
    typed: bool,
}

impl Extractor {
    /// Calls `f` with the field of each pair of `text` that becomes one, in order. When
    /// `text` is a piece cut from a longer line (`cut`), a pair running to its end may be cut
    /// too and is left out.
    fn for_each_field(&mut self, text: &[u8], cut: bool, mut f: impl FnMut(Field<'_>)) {
        for pair in Pairs::new(text) {
            if cut && pair.end == text.len() && !pair.quoted {
                break;
            }
            let kind = if self.typed {
                kind_of(&pair)
            } else {
                Kind::Text
            };
            match &self.mapping {
                None => {
                    if let Ok(key) = std::str::from_utf8(pair.key) {
                        let value = value(&pair, &mut self.scratch);
                        f(Field { key, value, kind });
                    }
                }
                Some(mapping) => {
                    for (logfmt_key, key) in mapping {
                        if logfmt_key.as_slice() == pair.key {
                            let value = value(&pair, &mut self.scratch);
                            f(Field { key, value, kind });
                        }
                    }
                }
            }
        }
    }
}

/// A pair's kind: a boolean, an integer or a number when unquoted and of that form, else text.
fn kind_of(pair: &Pair<'_>) -> Kind {
    if pair.quoted || pair.value.is_empty() {
        return Kind::Text;
    }
    match pair.value[0] {
        b't' | b'f' if Kind::Boolean.admits(pair.value) => Kind::Boolean,
        b'-' | b'0'..=b'9' if Kind::Integer.admits(pair.value) => Kind::Integer,
        b'-' | b'0'..=b'9' if Kind::Number.admits(pair.value) => Kind::Number,
        _ => Kind::Text,
    }
}

/// A pair's value: borrowed from the text unless it must be unescaped into `scratch`.
fn value<'a>(pair: &Pair<'a>, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if pair.escaped {
        scratch.clear();
        unescape(pair.value, scratch);
        scratch
    } else {
        pair.value
    }
}

export_plugin!(Logfmt);

#[cfg(test)]
mod tests;
