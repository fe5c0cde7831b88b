//! The configured parts of the prefix and how each is written.

use jiff::Timestamp;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use sluice_plugin_sdk::{Config, ConfigError, LineBuf};
use std::fmt::Write;

/// The default `time_format`: RFC 3339 in UTC with milliseconds.
pub const DEFAULT_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// One part of the prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The line's timestamp, or now.
    Time,
    /// The time since the first line.
    Elapsed,
    /// The batch's source.
    Source,
}

/// What to write before each line.
#[derive(Debug)]
pub struct Parts {
    /// In the order written; never empty.
    list: Vec<Part>,
    /// A strftime pattern that formats without error (checked when built).
    time_format: String,
    /// Written after each part. Holds no line break.
    separator: String,
}

impl Parts {
    /// Reads `parts`, `time_format` and `separator`.
    pub fn from_config(config: &Config) -> Result<Parts, ConfigError> {
        let list = match config.strings("parts")? {
            None => vec![Part::Time],
            Some(names) => names
                .into_iter()
                .map(|name| match name {
                    "time" => Ok(Part::Time),
                    "elapsed" => Ok(Part::Elapsed),
                    "source" => Ok(Part::Source),
                    other => Err(ConfigError::new(
                        "parts",
                        format!("unknown part {other:?}; expected time, elapsed or source"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        if list.is_empty() {
            return Err(ConfigError::new(
                "parts",
                "is empty; list at least one of time, elapsed, source",
            ));
        }
        let time_format = match config.str("time_format")? {
            Some(_) if !list.contains(&Part::Time) => {
                return Err(ConfigError::new(
                    "time_format",
                    "is set but \"parts\" has no \"time\" to format; add \"time\" to parts",
                ));
            }
            Some(pattern) => {
                check_time_format(pattern).map_err(|e| ConfigError::new("time_format", e))?;
                pattern.to_owned()
            }
            None => DEFAULT_TIME_FORMAT.to_owned(),
        };
        let separator = config.str("separator")?.unwrap_or(" ").to_owned();
        if separator.contains(['\n', '\r']) {
            return Err(ConfigError::new(
                "separator",
                "holds a line break, which would split every line in two",
            ));
        }
        Ok(Parts {
            list,
            time_format,
            separator,
        })
    }

    /// Whether `part` is written.
    pub fn has(&self, part: Part) -> bool {
        self.list.contains(&part)
    }

    /// Writes the prefix: `time` (nanoseconds since the epoch) and `elapsed` (nanoseconds)
    /// are given when the parts need them.
    pub fn write(
        &self,
        buf: &mut LineBuf<'_>,
        time: Option<i64>,
        elapsed: Option<u64>,
        source: &str,
    ) {
        for part in &self.list {
            match part {
                Part::Time => {
                    if let Some(time) = time {
                        write_time(buf, time, &self.time_format);
                    }
                }
                Part::Elapsed => {
                    let elapsed = elapsed.unwrap_or(0);
                    let seconds = elapsed / 1_000_000_000;
                    let millis = elapsed / 1_000_000 % 1000;
                    let _ = write!(buf, "[{seconds:>5}.{millis:03}s]");
                }
                Part::Source => {
                    if source.is_empty() {
                        continue;
                    }
                    buf.extend_from_slice(source.as_bytes());
                }
            }
            buf.extend_from_slice(self.separator.as_bytes());
        }
    }
}

/// Writes `time` in UTC with `pattern`.
fn write_time(buf: &mut LineBuf<'_>, time: i64, pattern: &str) {
    // Every i64 of nanoseconds (years 1677 to 2262) is within jiff's range.
    if let Ok(ts) = Timestamp::from_nanosecond(i128::from(time)) {
        let _ = write!(buf, "{}", ts.to_zoned(TimeZone::UTC).strftime(pattern));
    }
}

/// Checks that `pattern` formats, and without a line break.
fn check_time_format(pattern: &str) -> Result<(), String> {
    let sample = Timestamp::UNIX_EPOCH.to_zoned(TimeZone::UTC);
    let text = strtime::format(pattern, &sample)
        .map_err(|e| format!("{pattern:?} is not a valid strftime pattern: {e}"))?;
    if text.contains(['\n', '\r']) {
        return Err(format!(
            "{pattern:?} writes a line break (%n or a literal one), which would split every \
             line in two"
        ));
    }
    Ok(())
}
