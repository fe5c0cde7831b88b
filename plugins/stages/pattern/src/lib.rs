//! `pattern`: extracts fields with Loki's pattern syntax, a lighter alternative to a regex.
//!
//! ```text
//! pattern: <ip> - - [<_>] "<method> <path> <_>" <status> <_>
//! 203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api/users HTTP/1.1" 200 2326
//!   → fields ip=203.0.113.7 method=GET path=/api/users status=200
//! ```
//!
//! `pattern.rs` parses the pattern once (its module docs give the syntax and the matching rules)
//! into literals searched with memchr's `memmem`; this file applies it to each line (or a
//! field), handles the pieces of over-long lines, and counts the lines that did not match for
//! the report made at the end. Every line passes through unchanged; a match adds fields.

mod pattern;

use pattern::Pattern;
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, Output, Plugin, Trailing, export_plugin,
};

/// A pattern stage.
pub struct PatternStage {
    pattern: Pattern,
    /// The field to match instead of the line.
    source: Option<String>,
    /// The spans of the last match, one per capture name (reused).
    spans: Vec<(usize, usize)>,
    /// While the pieces of an over-long line arrive: the values its first piece captured (in
    /// name order), to set on its last piece; empty when it did not match.
    held: Option<Vec<Vec<u8>>>,
    counts: Counts,
}

/// What happened to the lines, for the report.
#[derive(Debug, Default)]
struct Counts {
    /// Lines seen (an over-long line counts once).
    lines: u64,
    unmatched: u64,
    /// Lines without the `source` field.
    no_source: u64,
}

impl Plugin for PatternStage {
    // Each line on its own; the counts for the report at the end are merged across the
    // instances the host makes (`tally`, `absorb`).
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "pattern";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Extract fields with Loki's pattern syntax: <name> captures, <_> skips";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "pattern",
            "string",
            "The pattern (required): literal text with <name> captures and <_> skips, such as \
             \"<ip> - - [<_>] \\\"<method> <path> <_>\\\" <status> <_>\".",
        ),
        ConfigKey::new(
            "source",
            "string",
            "Match this field's value instead of the line; lines without it pass unchanged.",
        ),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let text = config.required_str("pattern")?;
        let pattern = Pattern::new(text).map_err(|e| ConfigError::new("pattern", e))?;
        let source = config.str("source")?.map(str::to_owned);
        if source.as_deref() == Some("") {
            return Err(ConfigError::new(
                "source",
                "is empty; name the field to match, or leave it out to match the line",
            ));
        }
        Ok(PatternStage {
            spans: vec![(0, 0); pattern.names().len()],
            pattern,
            source,
            held: None,
            counts: Counts::default(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        out.keep();
        if let Some(field) = &self.source {
            // A line's fields are on its last piece: so is the text to match.
            if line.is_partial() {
                return;
            }
            self.counts.lines += 1;
            match line.field(field) {
                Some(text) => {
                    if self.pattern.matches(text, &mut self.spans) {
                        for (name, &(s, e)) in self.pattern.names().iter().zip(&self.spans) {
                            out.set_field(name, &text[s..e]);
                        }
                    } else {
                        self.counts.unmatched += 1;
                    }
                }
                None => self.counts.no_source += 1,
            }
            return;
        }
        if line.is_partial() {
            if self.held.is_none() {
                // The first piece of an over-long line decides; its captures are copied.
                let text = line.bytes();
                let values = if self.pattern.matches(text, &mut self.spans) {
                    self.spans
                        .iter()
                        .map(|&(s, e)| text[s..e].to_vec())
                        .collect()
                } else {
                    Vec::new()
                };
                self.held = Some(values);
            }
            return;
        }
        self.counts.lines += 1;
        if let Some(values) = self.held.take() {
            if values.is_empty() {
                self.counts.unmatched += 1;
            }
            for (name, value) in self.pattern.names().iter().zip(&values) {
                out.set_field(name, value);
            }
            return;
        }
        let text = line.bytes();
        if self.pattern.matches(text, &mut self.spans) {
            for (name, &(s, e)) in self.pattern.names().iter().zip(&self.spans) {
                out.set_field(name, &text[s..e]);
            }
        } else {
            self.counts.unmatched += 1;
        }
    }

    fn reach(&self) -> sluice_plugin_sdk::Reach {
        sluice_plugin_sdk::Reach::of(Self::STATE).tallying()
    }

    fn tally(&mut self) -> Vec<u8> {
        let Counts {
            lines,
            unmatched,
            no_source,
        } = std::mem::take(&mut self.counts);
        sluice_plugin_sdk::tally::encode(&[lines, unmatched, no_source])
    }

    fn absorb(&mut self, tally: &[u8]) -> Result<(), String> {
        let Counts {
            lines,
            unmatched,
            no_source,
        } = &mut self.counts;
        sluice_plugin_sdk::tally::add(tally, &mut [lines, unmatched, no_source])
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if let Some(report) = self.report() {
            out.report(report.into_bytes());
        }
        Ok(())
    }
}

impl PatternStage {
    /// The report for the end of the run, if any line did not match or lacked its `source`
    /// field: `pattern: 12 of 3400 lines did not match and passed unchanged`.
    fn report(&self) -> Option<String> {
        let c = &self.counts;
        let lines = if c.lines == 1 { "line" } else { "lines" };
        let mut clauses = Vec::new();
        if c.unmatched > 0 {
            clauses.push((c.unmatched, "did not match and passed unchanged".to_owned()));
        }
        if let (Some(source), true) = (&self.source, c.no_source > 0) {
            clauses.push((
                c.no_source,
                format!("had no field {source:?} and passed unchanged"),
            ));
        }
        let mut report = String::new();
        for (n, what) in clauses {
            if report.is_empty() {
                report = format!("{n} of {} {lines} {what}", c.lines);
            } else {
                report.push_str(&format!("; {n} {what}"));
            }
        }
        (!report.is_empty()).then(|| report + "\n")
    }
}

export_plugin!(PatternStage);

#[cfg(test)]
mod tests;
