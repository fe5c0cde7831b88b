//! Text that comes from a plugin (its error messages, the message of a rejected config), made
//! safe to print in a one-line diagnostic that sluice stands behind.
//!
//! A plugin is untrusted, and its text reaches the user's terminal. So it is shown on one line
//! (runs of whitespace fold to one space), with every control character (C0, DEL, C1) and
//! every bidirectional-text control escaped as `\u{..}`, so that no escape sequence can move
//! the cursor, erase the `sluice: stage N (…)` label or start a forged line; and it is cut
//! after [`MAX_PLUGIN_TEXT_BYTES`] bytes with the number of bytes left out. Making it reads only
//! the bytes it shows: the cost never grows with what a plugin sends beyond that.

use std::fmt::Write;

/// At most this many bytes of a plugin's text are shown; the rest is counted.
pub const MAX_PLUGIN_TEXT_BYTES: usize = 4096;

/// `text` as a diagnostic may show it (see the module's docs).
pub(crate) fn plugin_text(text: &str) -> String {
    escaped(text, true, text.len() as u64)
}

/// A plugin's error message as a diagnostic shows it: `text` is the part fetched from a
/// message of `whole_bytes` bytes (the rest was never copied out of the plugin), shown like
/// [`plugin_text`], with what was left out counted.
pub(crate) fn plugin_message(text: &str, whole_bytes: u64) -> String {
    escaped(text, true, whole_bytes.max(text.len() as u64))
}

/// One line a plugin printed (WASI stdout or stderr, without its line break), as sluice shows
/// it after the stage's label: escaped and cut like [`plugin_text`], but its spaces and tabs
/// kept as they are (a traceback's indentation means something).
pub(crate) fn plugin_line(line: &str) -> String {
    escaped(line, false, line.len() as u64)
}

/// `text` escaped and cut; `whole_bytes` is the length of the text it is the start of.
fn escaped(text: &str, fold_whitespace: bool, whole_bytes: u64) -> String {
    let mut cut = MAX_PLUGIN_TEXT_BYTES.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let shown = &text[..cut];
    let left_out = whole_bytes - cut as u64;
    let mut out = String::with_capacity(shown.len() + 32);
    let mut space = false;
    for c in shown.chars() {
        if !fold_whitespace && (c == ' ' || c == '\t') {
            out.push(c);
            continue;
        }
        if fold_whitespace && c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c.is_control() || is_bidi_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    if left_out > 0 {
        let _ = write!(out, " … ({left_out} more bytes left out)");
    }
    out
}

/// The characters that change the direction text is shown in (Unicode's bidi controls, the
/// "Trojan Source" set): shown raw, they reorder what follows them on the line.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_folds_onto_one_line() {
        assert_eq!(plugin_text("  bad\n\tinput \r\n here  "), "bad input here");
        assert_eq!(plugin_text(""), "");
    }

    #[test]
    fn controls_and_bidi_controls_are_escaped() {
        assert_eq!(
            plugin_text("\x1b[2K\rsluice: forged\x07\0\u{7f}\u{85}x"),
            "\\u{1b}[2K sluice: forged\\u{7}\\u{0}\\u{7f} x"
        );
        assert_eq!(
            plugin_text("user \u{202e}nimda\u{202c} ok"),
            "user \\u{202e}nimda\\u{202c} ok"
        );
        assert_eq!(plugin_text("café ✓"), "café ✓");
    }

    #[test]
    fn a_printed_line_keeps_its_indentation() {
        assert_eq!(
            plugin_line("  File \"x.py\", line 3\t\x1b[31mred\r"),
            "  File \"x.py\", line 3\t\\u{1b}[31mred\\u{d}"
        );
    }

    #[test]
    fn a_message_fetched_in_part_counts_what_was_never_fetched() {
        assert_eq!(
            plugin_message("too long", 1000),
            "too long … (992 more bytes left out)"
        );
        assert_eq!(plugin_message("whole", 5), "whole");
        // A plugin that says its message is shorter than what it gave is not believed.
        assert_eq!(plugin_message("whole", 2), "whole");
    }

    #[test]
    fn long_text_is_cut_on_a_character_and_the_rest_counted() {
        let long = "é".repeat(MAX_PLUGIN_TEXT_BYTES);
        let shown = plugin_text(&long);
        let kept = MAX_PLUGIN_TEXT_BYTES / 2;
        assert_eq!(
            shown,
            format!(
                "{} … ({} more bytes left out)",
                "é".repeat(kept),
                long.len() - kept * 2
            )
        );
        let odd = format!("x{long}");
        assert!(
            plugin_text(&odd).ends_with(&format!("({} more bytes left out)", odd.len() - 4095))
        );
        assert_eq!(
            plugin_text(&"a".repeat(MAX_PLUGIN_TEXT_BYTES)),
            "a".repeat(MAX_PLUGIN_TEXT_BYTES)
        );
    }
}
