//! `timestamp`: parses a field into the line's timestamp, as Promtail's `timestamp` stage does.
//!
//! ```text
//! {"time":"2024-06-01T12:00:00.123Z","msg":"ok"}   (field time=2024-06-01T12:00:00.123Z)
//! → same line, timestamp 1717243200123000000
//! ```
//!
//! A tour:
//!
//! - `format.rs` — the formats (`RFC3339`, `RFC1123`, `Unix`, `UnixMs`, …, or a strftime
//!   pattern) and parsing a value with one; all date parsing is jiff's.
//! - `unix.rs` — the `Unix*` formats: decimal seconds (with a fraction), ms, µs or ns.
//! - `zone.rs` — the `timezone` key: UTC, a fixed offset or an IANA name, for values without
//!   an offset.
//! - `golayout.rs` — recognises a Go layout (`2006-01-02`) in `format` to suggest the strftime
//!   pattern in the config error.
//! - this file — the stage: which lines are parsed, what a failure does (`fudge`: the last
//!   timestamp plus 1 ns; `skip`), and the report of failures at the end.
//!
//! The line's bytes and fields never change: only its timestamp does. A line without the
//! field keeps what it had. Over-long lines: a line's fields belong to its last piece, so the
//! last piece is parsed and gets the timestamp; earlier pieces pass unchanged.

mod format;
mod golayout;
mod unix;
mod zone;

use format::Format;
use jiff::tz::TimeZone;
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, Output, Plugin, Trailing, clock, export_plugin,
};

/// At most this many bytes of the first value that failed are quoted in the report.
const SAMPLE_LEN: usize = 80;

/// What happens to a line whose value does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OnFailure {
    /// The last timestamp this stage set, plus 1 ns; nothing when there is none yet.
    Fudge,
    /// Nothing: the line keeps what it had.
    Skip,
}

/// A timestamp stage.
pub struct TimestampStage {
    /// The field parsed.
    source: String,
    /// `format`, then `fallback_formats`, in the order tried. Never empty.
    formats: Vec<Format>,
    /// The zone of values without an offset.
    zone: TimeZone,
    on_failure: OnFailure,
    /// The last timestamp this stage set (parsed or fudged), for `fudge`.
    last: Option<i64>,
    /// Whether the user named a report destination: then a report is made even with no failure.
    always_report: bool,
    counts: Counts,
}

/// What happened so far, for the report.
#[derive(Debug, Default)]
struct Counts {
    parsed: u64,
    failed: u64,
    fudged: u64,
    /// Lines (or last pieces) without the field.
    missing: u64,
    /// The first value that failed, cut to `SAMPLE_LEN` bytes.
    first_failure: Option<Vec<u8>>,
}

impl TimestampStage {
    fn parse(&self, value: &[u8]) -> Option<i64> {
        let mut now = None;
        self.formats.iter().find_map(|format| {
            format.parse(value, &self.zone, || *now.get_or_insert_with(clock::now))
        })
    }

    fn report(&self) -> Vec<u8> {
        let c = &self.counts;
        let mut text = format!(
            "field {:?}: {} parsed, {} failed",
            self.source, c.parsed, c.failed
        );
        if c.failed > 0 {
            let left = c.failed - c.fudged;
            text.push_str(&format!(" ({} fudged, {left} left as they were)", c.fudged));
        }
        text.push_str(&format!(", {} without the field", c.missing));
        if let Some(sample) = &c.first_failure {
            text.push_str(&format!(
                "; first failure: {:?}",
                String::from_utf8_lossy(sample)
            ));
        }
        text.push('\n');
        text.into_bytes()
    }
}

impl Plugin for TimestampStage {
    // The whole stream: `fudge` carries the last timestamp set from line to line, and the
    // report at the end counts every failure.
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "timestamp";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Parse a field into the line's timestamp";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new("source", "string", "The field to parse (required)."),
        ConfigKey::new(
            "format",
            "string",
            "How the value is written (required): RFC3339, RFC3339Nano, RFC1123, RFC1123Z, \
             RFC822, RFC822Z, ANSIC, RubyDate, Unix (seconds, may be fractional), UnixMs, \
             UnixUs, UnixNs, or a strftime pattern such as \"%Y-%m-%d %H:%M:%S%.f\".",
        ),
        ConfigKey::new(
            "fallback_formats",
            "list of strings",
            "Formats tried in order when `format` does not parse the value.",
        )
        .default("[]"),
        ConfigKey::new(
            "timezone",
            "string",
            "The zone of values without an offset: UTC, a fixed offset such as +02:00, or an \
             IANA name such as Europe/Berlin.",
        )
        .default("\"UTC\""),
        ConfigKey::new(
            "action_on_failure",
            "string",
            "When no format parses the value: fudge (the previous timestamp set plus 1 ns) or \
             skip (leave the line's timestamp as it was).",
        )
        .default("\"fudge\""),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let source = config.required_field_name("source")?.to_owned();
        let mut formats = vec![
            Format::from_config(config.required_str("format")?)
                .map_err(|e| ConfigError::new("format", e))?,
        ];
        for text in config.strings("fallback_formats")?.unwrap_or_default() {
            formats.push(
                Format::from_config(text).map_err(|e| ConfigError::new("fallback_formats", e))?,
            );
        }
        let zone = match config.str("timezone")? {
            Some(text) => zone::parse(text).map_err(|e| ConfigError::new("timezone", e))?,
            None => TimeZone::UTC,
        };
        let on_failure = match config.one_of("action_on_failure", &["fudge", "skip"])? {
            Some("skip") => OnFailure::Skip,
            _ => OnFailure::Fudge,
        };
        Ok(TimestampStage {
            source,
            formats,
            zone,
            on_failure,
            last: None,
            always_report: config.report().is_some(),
            counts: Counts::default(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        out.keep();
        if line.is_partial() {
            return;
        }
        let Some(value) = line.field(&self.source) else {
            self.counts.missing += 1;
            return;
        };
        if let Some(ts) = self.parse(value) {
            self.counts.parsed += 1;
            self.last = Some(ts);
            out.set_timestamp(ts);
            return;
        }
        self.counts.failed += 1;
        if self.counts.first_failure.is_none() {
            self.counts.first_failure = Some(value[..value.len().min(SAMPLE_LEN)].to_vec());
        }
        if let (OnFailure::Fudge, Some(last)) = (self.on_failure, self.last) {
            let ts = last.saturating_add(1);
            self.counts.fudged += 1;
            self.last = Some(ts);
            out.set_timestamp(ts);
        }
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.counts.failed > 0 || self.always_report {
            out.report(self.report());
        }
        Ok(())
    }
}

export_plugin!(TimestampStage);

#[cfg(test)]
mod tests;
