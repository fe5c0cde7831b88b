//! `decolorize`: strips ANSI escape sequences (colours, cursor moves, titles, hyperlinks) from
//! lines, as Loki's `decolorize` stage does. It takes no configuration.
//!
//! What counts as a sequence, and what a malformed one does, is in `strip.rs`. Text outside
//! the sequences is copied byte for byte: bytes that are not UTF-8, NUL and lone `\r` pass
//! through. A line without `ESC` (and without a C1 introducer written as UTF-8) is found with
//! one `memchr` scan and passed through without a copy.
//!
//! # Why not `vte`
//!
//! `vte` (which `strip-ansi-escapes` uses) parses for a terminal: it decodes text as UTF-8 and
//! hands it over character by character, replacing invalid bytes with U+FFFD, so non-UTF-8
//! lines would be altered; and its state is private, so a stripper cannot tell where a
//! sequence ended when it ends silently. The grammar it implements (ECMA-48, after Paul
//! Williams' state machine) fits in one small function over bytes, which is what this stage
//! uses.
//!
//! # Over-long lines
//!
//! The stage is not boundary-safe: a line longer than the host's maximum arrives in pieces.
//! The stripper's state is kept from one piece to the next (and reset at the end of each
//! complete line), so a sequence cut by a piece boundary is still removed whole, and each
//! piece's output holds the text that was in it. A piece holding only (part of) a sequence
//! becomes empty.

mod strip;

use sluice_plugin_sdk::{Line, Output, Plugin, export_plugin};
use strip::{State, first_change, strip};

/// A decolorize stage.
#[derive(Debug, Default)]
pub struct Decolorize {
    /// Where the stripper stands after the last piece (always [`State::Text`] after a complete
    /// line).
    state: State,
}

impl Plugin for Decolorize {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "decolorize";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Strip ANSI escape sequences (colours, cursor moves, titles, hyperlinks)";

    fn new(_: sluice_plugin_sdk::Config) -> Result<Self, sluice_plugin_sdk::ConfigError> {
        Ok(Decolorize::default())
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let text = line.bytes();
        let ends_line = !line.is_partial();
        let Some(at) = first_change(self.state, text, ends_line) else {
            out.keep();
            return;
        };
        let state = &mut self.state;
        out.emit_with(|buf| {
            buf.extend_from_slice(&text[..at]);
            strip(state, &text[at..], ends_line, buf);
        });
    }
}

export_plugin!(Decolorize);

#[cfg(test)]
mod tests;
