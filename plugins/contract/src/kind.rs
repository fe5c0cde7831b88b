//! [`Kind`]: what a field's value is (text, a number, a boolean, null, bytes), and the rule a
//! value of each kind keeps ([`check_kinds`]).
//!
//! A value's bytes are its text in every kind, so a stage or an output format that knows
//! nothing of kinds still reads every value; a kind says how the text is meant. The forms are
//! JSON's, so that `-o json` and `pack` can write a typed value as it is:
//!
//! | kind | the value's bytes |
//! |---|---|
//! | text | anything (the default: a table without kinds is all text) |
//! | integer | an optional `-` and decimal digits, without leading zeros, within a signed 64-bit integer |
//! | number | a JSON number (`-1.5e3`), finite |
//! | boolean | `true` or `false` |
//! | null | empty |
//! | bytes | anything; not meant as text (written as a string with `\xNN` escapes) |
//!
//! The host and the SDK each have their own type for the WIT `kind`, so [`check_kinds`] takes
//! their slice and a mapping to [`Kind`], as the terminator checks do.

use std::fmt;

use crate::{FieldsView, Violation};

/// What a field's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Text: any bytes, UTF-8 expected.
    Text,
    /// An integer within `i64`, in decimal.
    Integer,
    /// A finite number in JSON's syntax.
    Number,
    /// `true` or `false`.
    Boolean,
    /// No value: empty bytes.
    Null,
    /// Bytes that are not text.
    Bytes,
}

impl Kind {
    /// Whether `value` has this kind's form (see the module docs).
    pub fn admits(self, value: &[u8]) -> bool {
        match self {
            Kind::Text | Kind::Bytes => true,
            Kind::Integer => is_integer(value),
            Kind::Number => is_number(value),
            Kind::Boolean => value == b"true" || value == b"false",
            Kind::Null => value.is_empty(),
        }
    }

    /// The kind's name in the WIT.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
            Kind::Bytes => "bytes",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Checks the `kinds` of the fields table `fields`: empty (every value is text) or one per
/// entry, and each value of the form of its kind. `kind_of` maps the caller's kind type.
pub fn check_kinds<K: Copy>(
    kinds: &[K],
    fields: &FieldsView<'_>,
    kind_of: impl Fn(K) -> Kind,
) -> Result<(), Violation> {
    if kinds.is_empty() {
        return Ok(());
    }
    if kinds.len() != fields.len() {
        return Err(Violation::KindsLength {
            kinds: kinds.len(),
            entries: fields.len(),
        });
    }
    for (i, &kind) in kinds.iter().enumerate() {
        let kind = kind_of(kind);
        let value = fields.value(i);
        if !kind.admits(value) {
            return Err(Violation::ValueNotOfKind {
                i,
                kind,
                value: shown(value),
            });
        }
    }
    Ok(())
}

/// The start of `value` as text, for a message.
fn shown(value: &[u8]) -> String {
    const MAX: usize = 40;
    let text = String::from_utf8_lossy(&value[..value.len().min(MAX)]).into_owned();
    if value.len() > MAX {
        format!("{text}…")
    } else {
        text
    }
}

/// `-?(0|[1-9][0-9]*)` within `i64`. Checked without parsing: a value is in range when it has
/// fewer digits than `i64::MAX` (19), or as many and is not above it (bytewise, as digits of the
/// same length compare like their numbers).
fn is_integer(value: &[u8]) -> bool {
    let (digits, limit): (&[u8], &[u8]) = match value.strip_prefix(b"-") {
        Some(digits) => (digits, b"9223372036854775808"),
        None => (value, b"9223372036854775807"),
    };
    let canonical = match digits {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        _ => digits.iter().all(u8::is_ascii_digit),
    };
    canonical
        && match digits.len().cmp(&limit.len()) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => digits <= limit,
            std::cmp::Ordering::Greater => false,
        }
}

/// JSON's number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, finite as an `f64`. Only a
/// value with an exponent or over 308 whole digits can overflow, so only those are parsed.
fn is_number(value: &[u8]) -> bool {
    let mut rest = value.strip_prefix(b"-").unwrap_or(value);
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let whole = digits(rest);
    if whole == 0 || (whole > 1 && rest[0] == b'0') {
        return false;
    }
    rest = &rest[whole..];
    if let Some(after) = rest.strip_prefix(b".") {
        let fraction = digits(after);
        if fraction == 0 {
            return false;
        }
        rest = &after[fraction..];
    }
    let mut exponent = false;
    if let Some(after) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let after = after
            .strip_prefix(b"+")
            .or_else(|| after.strip_prefix(b"-"))
            .unwrap_or(after);
        let exponent_digits = digits(after);
        if exponent_digits == 0 {
            return false;
        }
        rest = &after[exponent_digits..];
        exponent = true;
    }
    if !rest.is_empty() {
        return false;
    }
    if !exponent && whole <= 308 {
        return true;
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse::<f64>().ok())
        .is_some_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_admits_its_form_and_nothing_else() {
        let cases: &[(Kind, &[&str], &[&str])] = &[
            (
                Kind::Integer,
                &[
                    "0",
                    "-0",
                    "42",
                    "-9223372036854775808",
                    "9223372036854775807",
                ],
                &[
                    "",
                    "-",
                    "+1",
                    "01",
                    "1.0",
                    "1e3",
                    " 1",
                    "9223372036854775808",
                    "0x10",
                ],
            ),
            (
                Kind::Number,
                &["0", "-1.5", "1e3", "2.5E-7", "1656", "0.0"],
                &[
                    "", ".5", "1.", "01", "+1", "1e", "NaN", "inf", "1e999", "1_000",
                ],
            ),
            (Kind::Boolean, &["true", "false"], &["True", "1", "", "yes"]),
            (Kind::Null, &[""], &["null", " ", "0"]),
            (Kind::Text, &["", "anything", "\u{0}"], &[]),
        ];
        for (kind, good, bad) in cases {
            for value in *good {
                assert!(kind.admits(value.as_bytes()), "{kind} {value:?}");
            }
            for value in *bad {
                assert!(!kind.admits(value.as_bytes()), "{kind} {value:?}");
            }
        }
        assert!(Kind::Bytes.admits(&[0xff, 0xfe]));
        // The edges of `i64` and of a finite `f64`, checked without parsing.
        for (value, integer) in [
            ("-9223372036854775809", false),
            ("9999999999999999999", false),
            ("1000000000000000000", true),
            ("-1000000000000000000", true),
        ] {
            assert_eq!(Kind::Integer.admits(value.as_bytes()), integer, "{value}");
        }
        let digits = |n: usize| format!("1{}", "0".repeat(n - 1));
        assert!(Kind::Number.admits(digits(308).as_bytes()));
        assert!(
            Kind::Number.admits(digits(309).as_bytes()),
            "1e308 is finite"
        );
        assert!(!Kind::Number.admits(digits(310).as_bytes()), "1e309 is not");
        assert!(Kind::Number.admits(format!("{}.5", digits(300)).as_bytes()));
    }

    fn table<'a>(values: &'a [u8], ends: &'a [u32], lines: &'a [u32]) -> FieldsView<'a> {
        FieldsView {
            names: &[],
            line: lines,
            name: lines,
            values,
            value_ends: ends,
        }
    }

    #[test]
    fn kinds_are_none_or_one_per_entry_and_each_value_keeps_its_form() {
        let fields = table(b"42true", &[2, 6], &[0, 0]);
        assert_eq!(check_kinds::<Kind>(&[], &fields, |k| k), Ok(()));
        assert_eq!(
            check_kinds(&[Kind::Integer, Kind::Boolean], &fields, |k| k),
            Ok(())
        );
        assert_eq!(
            check_kinds(&[Kind::Integer], &fields, |k| k),
            Err(Violation::KindsLength {
                kinds: 1,
                entries: 2
            })
        );
        let lie = check_kinds(&[Kind::Integer, Kind::Number], &fields, |k| k).unwrap_err();
        assert_eq!(
            lie.to_string(),
            "fields: kinds[1] says number, but the value is \"true\""
        );
    }
}
