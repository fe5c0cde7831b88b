//! `luhn`: redacts card numbers (13 to 19 digits, possibly in groups separated by spaces or
//! dashes, that pass the Luhn check), as Loki's `luhn` stage does. Boundary-safe.
//!
//! Configuration:
//!
//! | key | meaning |
//! |---|---|
//! | `replacement` | what replaces a card number; must hold no digit. By default, `**REDACTED**`. |
//! | `min_length` | the fewest digits a card number has, from 12 to 19. By default, 13. |
//! | `source` | a field to redact instead of the line; the line passes unchanged. |
//!
//! What counts as a card number, and how numbers cut by the windows of an over-long line are
//! handled, is in `scan.rs`. A line without a card number passes through without a copy; one
//! with card numbers is written with each replaced. Bytes that are not UTF-8, NUL and `\r`
//! pass through: only ASCII digits, spaces, dashes, letters and `_` matter.
//!
//! # Boundary safety
//!
//! Given the windows of an over-long line, the stage returns one line per window and leaves
//! undecided any number that the next window could still change; such a number is at most
//! 38 bytes long, so with `--boundary-overlap` of at least [`scan::MIN_OVERLAP`] bytes (1 KiB
//! by default) it is found whole in the next window. The replacement holds no digit, so
//! redacting its own output changes nothing.

mod scan;

use scan::{Context, MAX_DIGITS, Scanner};
pub use scan::{MIN_OVERLAP, luhn};
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, LongLine, Output, Plugin, Sink, export_plugin,
};

/// The default replacement, Loki's.
const REPLACEMENT: &str = "**REDACTED**";

/// A luhn stage.
pub struct Luhn {
    scanner: Scanner,
    replacement: Vec<u8>,
    /// The field redacted instead of the line.
    source: Option<String>,
    /// Whether the last line seen was a partial window, so the next one continues it.
    long_line: LongLine,
    /// The card numbers of the current text (reused).
    spans: Vec<(usize, usize)>,
    /// A field's redacted value (reused).
    scratch: Vec<u8>,
}

impl Luhn {
    /// Writes `text` with the spans found replaced.
    fn write(spans: &[(usize, usize)], replacement: &[u8], text: &[u8], out: &mut impl Sink) {
        let mut at = 0;
        for &(start, end) in spans {
            out.put(&text[at..start]);
            out.put(replacement);
            at = end;
        }
        out.put(&text[at..]);
    }

    fn redact_field(&mut self, line: &Line<'_>, source: &str, out: &mut Output<'_>) {
        out.keep();
        let Some(value) = line.field(source) else {
            return;
        };
        self.spans.clear();
        let whole = Context {
            continues: false,
            ends: true,
        };
        self.scanner.find(value, whole, &mut self.spans);
        if self.spans.is_empty() {
            return;
        }
        self.scratch.clear();
        Luhn::write(&self.spans, &self.replacement, value, &mut self.scratch);
        out.set_field(source, &self.scratch);
    }
}

impl Plugin for Luhn {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "luhn";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Redact card numbers: 13-19 digits, grouped by spaces or dashes, passing the Luhn check";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "replacement",
            "string",
            "What replaces a card number; must hold no digit.",
        )
        .default("\"**REDACTED**\""),
        ConfigKey::new(
            "min_length",
            "integer",
            "The fewest digits a card number has (12 to 19).",
        )
        .default("13"),
        ConfigKey::new(
            "source",
            "string",
            "Redact this field's value instead of the line.",
        ),
    ];
    const BOUNDARY_SAFE: bool = true;

    fn new(config: Config) -> Result<Self, ConfigError> {
        let replacement = config.str("replacement")?.unwrap_or(REPLACEMENT);
        if replacement.bytes().any(|b| b.is_ascii_digit()) {
            return Err(ConfigError::new(
                "replacement",
                format!(
                    "{replacement:?} holds a digit, which could be taken for part of a card \
                     number when the stage sees its own output; use one without digits, such \
                     as \"{REPLACEMENT}\""
                ),
            ));
        }
        let min_length = config.u64("min_length")?.unwrap_or(13);
        if !(12..=MAX_DIGITS as u64).contains(&min_length) {
            return Err(ConfigError::new(
                "min_length",
                format!(
                    "must be from 12 to 19 (card numbers have 12 to 19 digits), got {min_length}"
                ),
            ));
        }
        Ok(Luhn {
            scanner: Scanner::new(min_length as usize),
            replacement: replacement.as_bytes().to_vec(),
            source: config.field_name("source")?.map(str::to_owned),
            long_line: LongLine::new(),
            spans: Vec::new(),
            scratch: Vec::new(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        if let Some(source) = self.source.take() {
            self.redact_field(line, &source, out);
            self.source = Some(source);
            return;
        }
        let piece = self.long_line.next(line);
        let context = Context {
            continues: !piece.starts(),
            ends: piece.ends(),
        };
        let text = line.bytes();
        self.spans.clear();
        self.scanner.find(text, context, &mut self.spans);
        if self.spans.is_empty() {
            out.keep();
        } else {
            let (spans, replacement) = (&self.spans, &self.replacement);
            out.emit_with(|buf| Luhn::write(spans, replacement, text, buf));
        }
    }
}

export_plugin!(Luhn);

#[cfg(test)]
mod tests;
