//! Turning a scanned value into a field value: strings unescaped (with the SDK's
//! [`unescape`]), numbers and booleans as their JSON text, `null` as the empty string, objects
//! and arrays as compact JSON text; and the kind each value is ([`field_kind`]), so that
//! `-o json` and `pack` write numbers, booleans and null as themselves.

use crate::scan::{Kind, Span};
use sluice_plugin_sdk::Kind as FieldKind;
use sluice_plugin_sdk::json::unescape;

/// The field value of `span` in `doc`: borrowed from the document when it can be, else written
/// into `scratch`.
pub(crate) fn field_value<'a>(doc: &'a [u8], span: Span, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let raw = span.of(doc);
    match span.kind {
        Kind::String { escaped: false } | Kind::Literal => raw,
        Kind::Null => b"",
        Kind::String { escaped: true } => {
            scratch.clear();
            unescape(raw, scratch);
            scratch
        }
        Kind::Container => {
            scratch.clear();
            compact(raw, scratch);
            scratch
        }
    }
}

/// What the value of `span` is, for the host: a JSON number is an integer when it is one
/// within `i64` (else a number, when finite), `true`/`false` a boolean, `null` null; strings,
/// and objects and arrays (written as JSON text), are text.
pub(crate) fn field_kind(doc: &[u8], span: Span) -> FieldKind {
    match span.kind {
        Kind::Null => FieldKind::Null,
        Kind::Literal => {
            let raw = span.of(doc);
            [FieldKind::Boolean, FieldKind::Integer, FieldKind::Number]
                .into_iter()
                .find(|kind| kind.admits(raw))
                .unwrap_or(FieldKind::Text)
        }
        Kind::String { .. } | Kind::Container => FieldKind::Text,
    }
}

/// Appends a scanned object or array to `out` without the whitespace between tokens; strings
/// are copied as written (still escaped).
pub(crate) fn compact(raw: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if in_string {
            out.push(b);
            match b {
                b'\\' => {
                    if let Some(&next) = raw.get(i + 1) {
                        out.push(next);
                    }
                    i += 1;
                }
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'"' => {
                    in_string = true;
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_containers() {
        let mut out = Vec::new();
        compact(br#"{ "a b" : [ 1 , "x\" y" ,{ } ] ,"c":"\\" }"#, &mut out);
        assert_eq!(out, br#"{"a b":[1,"x\" y",{}],"c":"\\"}"#);
    }
}
