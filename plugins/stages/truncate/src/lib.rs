//! `truncate`: cuts the line and/or fields to a byte limit, on a UTF-8 character boundary, as
//! Loki's (Alloy's) `truncate` stage does.
//!
//! Configuration:
//!
//! | key | meaning |
//! |---|---|
//! | `limit` | required. The most bytes a line or value may have (`256`, `"8KiB"`), suffix included. |
//! | `suffix` | appended where a value was cut; counts toward `limit`. By default, `…` (3 bytes). |
//! | `line` | whether the line is truncated. By default, true unless `fields` is set. |
//! | `fields` | fields whose values are truncated. By default, none. |
//! | `truncated_field` | a field set on lines where something was cut: the names of what was cut, comma-separated, the line as `_line`. By default, none. |
//! | `report` | where the counts of cut lines and values go at end of stream (host-handled). By default, no report. |
//!
//! A value longer than `limit` keeps its first `limit - len(suffix)` bytes, backed off to the
//! start of a UTF-8 character that would be split, then the suffix; a value of `limit` bytes
//! or fewer is left alone. Bytes that are not valid UTF-8 are cut at the byte (see `cut.rs`).
//!
//! # Over-long lines
//!
//! The stage is not boundary-safe: a line longer than the host's maximum arrives in pieces, and
//! the limit applies to the whole line. Pieces before the cut pass unchanged; the piece where
//! the cut falls ends in the suffix; later pieces become empty (an empty partial piece adds
//! nothing to the line). The few bytes around the cut are held until it is known whether the
//! line is longer than the limit (see [`cut::Pieces`]). Fields, and so `truncated_field`, belong
//! to the last piece.

mod cut;

use cut::{Pieces, Zone, cut_point};
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, LineBuf, Output, Plugin, Trailing, export_plugin,
};

/// How the line is named in `truncated_field` values and the report.
const LINE: &str = "_line";

/// A truncate stage.
pub struct Truncate {
    zone: Zone,
    suffix: Vec<u8>,
    /// Whether the line is truncated.
    line: bool,
    /// The fields truncated, with the number of values cut so far.
    fields: Vec<(String, u64)>,
    /// The field that names what was cut.
    truncated_field: Option<String>,
    /// Whether the user asked for a report.
    report: bool,
    /// Lines cut so far.
    lines_cut: u64,
    /// The state of the over-long line arriving in pieces.
    pieces: Pieces,
    /// A truncated field value being built (reused).
    scratch: Vec<u8>,
    /// The `truncated_field` value being built (reused).
    marker: Vec<u8>,
}

impl Truncate {
    /// Writes `value` cut to the limit, with the suffix.
    fn write_cut(&self, value: &[u8], out: &mut impl Extend<u8>) {
        let keep = cut_point(value, self.zone.keep);
        out.extend(value[..keep].iter().copied());
        out.extend(self.suffix.iter().copied());
    }

    /// Truncates the line's fields on its output line; `line_cut` says whether the line itself
    /// was cut, for `truncated_field`.
    fn cut_fields(&mut self, line: &Line<'_>, line_cut: bool, out: &mut Output<'_>) {
        self.marker.clear();
        if line_cut {
            self.marker.extend_from_slice(LINE.as_bytes());
        }
        for i in 0..self.fields.len() {
            let Some(value) = line.field(&self.fields[i].0) else {
                continue;
            };
            if value.len() <= self.zone.limit {
                continue;
            }
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            self.write_cut(value, &mut scratch);
            let (name, count) = &mut self.fields[i];
            out.set_field(name, &scratch);
            *count += 1;
            if !self.marker.is_empty() {
                self.marker.push(b',');
            }
            self.marker.extend_from_slice(name.as_bytes());
            self.scratch = scratch;
        }
        if let Some(marker) = &self.truncated_field
            && !self.marker.is_empty()
        {
            out.set_field(marker, &self.marker);
        }
    }

    /// Outputs a piece of an over-long line, or the last piece; returns whether the line was
    /// cut (by this piece or an earlier one).
    fn piece(&mut self, line: &Line<'_>, out: &mut Output<'_>) -> bool {
        let bytes = line.bytes();
        let last = !line.is_partial();
        if self.pieces.unchanged(self.zone, bytes) {
            self.pieces.skip(bytes.len());
            out.keep();
        } else {
            let (pieces, zone, suffix) = (&mut self.pieces, self.zone, &self.suffix[..]);
            let cut_here =
                out.emit_with(|buf: &mut LineBuf<'_>| pieces.write(zone, suffix, bytes, last, buf));
            self.lines_cut += u64::from(cut_here);
        }
        let cut = self.pieces.was_cut();
        if last {
            self.pieces.reset();
        }
        cut
    }

    /// The report: counts of what was cut, as Prometheus samples.
    fn report_text(&self) -> String {
        let mut text = String::new();
        if self.line {
            text += &format!("truncated_total{{source=\"{LINE}\"}} {}\n", self.lines_cut);
        }
        for (name, count) in &self.fields {
            let name = name.replace('\\', "\\\\").replace('"', "\\\"");
            text += &format!("truncated_total{{source=\"{name}\"}} {count}\n");
        }
        text
    }
}

impl Plugin for Truncate {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "truncate";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Cut the line and/or fields to a byte limit, on a UTF-8 character boundary";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "limit",
            "integer or size",
            "The most bytes a line or value may have, suffix included (required; \"8KiB\" works).",
        ),
        ConfigKey::new(
            "suffix",
            "string",
            "Appended where a value was cut; counts toward the limit.",
        )
        .default("\"…\""),
        ConfigKey::new(
            "line",
            "bool",
            "Whether the line is truncated. By default, true unless `fields` is set.",
        ),
        ConfigKey::new(
            "fields",
            "list of strings",
            "Fields whose values are truncated.",
        )
        .default("[]"),
        ConfigKey::new(
            "truncated_field",
            "string",
            "A field set on lines where something was cut, naming what (`_line` for the line).",
        ),
        ConfigKey::REPORT_ON_REQUEST,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let limit = config
            .size("limit")?
            .ok_or_else(|| ConfigError::new("limit", "is required (a number of bytes)"))?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if limit == 0 {
            return Err(ConfigError::new("limit", "must be at least 1 byte"));
        }
        let suffix = config.str("suffix")?.unwrap_or("…").as_bytes().to_vec();
        if suffix.len() > limit {
            return Err(ConfigError::new(
                "suffix",
                format!(
                    "is {} bytes, longer than the limit of {limit}: shorten it or raise \"limit\"",
                    suffix.len()
                ),
            ));
        }
        let fields: Vec<(String, u64)> = config
            .strings("fields")?
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.to_owned(), 0))
            .collect();
        let line = config.bool("line")?.unwrap_or(fields.is_empty());
        if !line && fields.is_empty() {
            return Err(ConfigError::new(
                "line",
                "is false and no \"fields\" are listed: nothing would be truncated",
            ));
        }
        let truncated_field = config.str("truncated_field")?.map(str::to_owned);
        if let Some(marker) = &truncated_field
            && fields.iter().any(|(f, _)| f == marker)
        {
            return Err(ConfigError::new(
                "truncated_field",
                format!("{marker:?} is also listed in \"fields\"; pick another name"),
            ));
        }
        let report = config.report().is_some() || config.str("report")?.is_some();
        Ok(Truncate {
            zone: Zone {
                limit,
                keep: limit - suffix.len(),
            },
            suffix,
            line,
            fields,
            truncated_field,
            report,
            lines_cut: 0,
            pieces: Pieces::default(),
            scratch: Vec::new(),
            marker: Vec::new(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let bytes = line.bytes();
        let line_cut = if !self.line {
            out.keep();
            false
        } else if line.is_partial() || self.pieces.in_line() {
            self.piece(line, out)
        } else if bytes.len() <= self.zone.limit {
            out.keep();
            false
        } else {
            out.emit_with(|buf| self.write_cut(bytes, buf));
            self.lines_cut += 1;
            true
        };
        // A line's fields belong to its last piece.
        if !line.is_partial() || !line.fields().is_empty() {
            self.cut_fields(line, line_cut && !line.is_partial(), out);
        }
    }

    fn reach(&self) -> sluice_plugin_sdk::Reach {
        sluice_plugin_sdk::Reach::of(Self::STATE).tallying()
    }

    fn tally(&mut self) -> Vec<u8> {
        let counts = std::iter::once(&mut self.lines_cut)
            .chain(self.fields.iter_mut().map(|(_, count)| count))
            .map(std::mem::take);
        sluice_plugin_sdk::tally::encode(&counts.collect::<Vec<_>>())
    }

    fn absorb(&mut self, tally: &[u8]) -> Result<(), String> {
        let mut counts: Vec<&mut u64> = std::iter::once(&mut self.lines_cut)
            .chain(self.fields.iter_mut().map(|(_, count)| count))
            .collect();
        sluice_plugin_sdk::tally::add(tally, &mut counts)
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.report {
            out.report(self.report_text().into_bytes());
        }
        Ok(())
    }
}

export_plugin!(Truncate);

#[cfg(test)]
mod tests;
