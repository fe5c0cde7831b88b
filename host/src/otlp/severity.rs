//! A line's severity for OTLP: the text of its `level` (or `severity`) field, and the number
//! the OpenTelemetry log data model gives it (its "Mapping of SeverityNumber" table: TRACE 1–4,
//! DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24; the first of each range).
//!
//! Names are matched without regard to case, with the usual spellings of syslog, log4j, Go,
//! Python and Rust loggers; a trailing digit picks within the range (`INFO2` → 10, as the
//! model writes them). A text the table does not know keeps `severity_text` and the number 0
//! (unspecified), as the model says to do.

/// The fields that hold a line's level, by priority.
pub(crate) const LEVEL_FIELDS: [&str; 2] = ["level", "severity"];

/// The severity number of `text`; 0 when unknown.
pub(crate) fn number(text: &[u8]) -> i32 {
    let text = text.trim_ascii();
    let (name, step) = match text.last() {
        Some(d @ b'1'..=b'4') if text.len() > 1 => (&text[..text.len() - 1], i32::from(d - b'1')),
        _ => (text, 0),
    };
    let base = match name.to_ascii_lowercase().as_slice() {
        b"trace" | b"trc" | b"finest" | b"verbose" => 1,
        b"debug" | b"dbg" | b"fine" | b"finer" => 5,
        b"info" | b"inf" | b"information" | b"informational" | b"notice" => 9,
        b"warn" | b"warning" | b"wrn" => 13,
        b"error" | b"err" | b"eror" | b"severe" => 17,
        b"fatal" | b"critical" | b"crit" | b"alert" | b"emerg" | b"emergency" | b"panic"
        | b"dpanic" => 21,
        _ => return 0,
    };
    base + step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_first_number_of_their_range() {
        for (text, expected) in [
            ("TRACE", 1),
            ("debug", 5),
            ("Info", 9),
            ("notice", 9),
            ("WARN", 13),
            ("warning", 13),
            ("error", 17),
            ("ERR", 17),
            ("fatal", 21),
            ("CRITICAL", 21),
            ("panic", 21),
            ("INFO2", 10),
            ("error4", 20),
            (" warn ", 13),
            ("5", 0),
            ("info5", 0),
            ("loud", 0),
            ("", 0),
        ] {
            assert_eq!(number(text.as_bytes()), expected, "{text:?}");
        }
    }
}
