//! The formats a timestamp may be written in, and parsing a value with one of them.
//!
//! Named formats map to jiff's parsers: `RFC3339`/`RFC3339Nano` to its RFC 3339 (Temporal)
//! parser, the RFC 822/1123 family to its RFC 2822 parser, `ANSIC` and `RubyDate` to strftime
//! patterns. Anything else containing a `%` is a strftime pattern for `jiff::fmt::strtime`.
//! Only the `Unix*` formats (a decimal number) are parsed by sluice, in `unix.rs`.

use crate::unix::Unit;
use jiff::fmt::{rfc2822, strtime, temporal};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

static RFC3339: temporal::DateTimeParser = temporal::DateTimeParser::new();
static RFC2822: rfc2822::DateTimeParser = rfc2822::DateTimeParser::new();

/// The named formats, with what they become; listed in errors.
const NAMED: &[(&str, Named)] = &[
    ("RFC3339", Named::Rfc3339),
    ("RFC3339Nano", Named::Rfc3339),
    ("RFC1123", Named::Rfc2822),
    ("RFC1123Z", Named::Rfc2822),
    ("RFC822", Named::Rfc2822),
    ("RFC822Z", Named::Rfc2822),
    ("ANSIC", Named::Strftime("%a %b %e %H:%M:%S %Y")),
    ("RubyDate", Named::Strftime("%a %b %d %H:%M:%S %z %Y")),
    ("Unix", Named::Unix(Unit::Seconds)),
    ("UnixMs", Named::Unix(Unit::Millis)),
    ("UnixUs", Named::Unix(Unit::Micros)),
    ("UnixNs", Named::Unix(Unit::Nanos)),
];

#[derive(Clone, Copy)]
enum Named {
    Rfc3339,
    Rfc2822,
    Strftime(&'static str),
    Unix(Unit),
}

/// One way of reading a timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// RFC 3339 / ISO 8601 (`2024-06-01T12:00:00.123+02:00`); without an offset, the
    /// configured time zone applies.
    Rfc3339,
    /// RFC 2822, which covers Go's RFC 822 and RFC 1123 layouts (`Sat, 01 Jun 2024 12:00:00 GMT`).
    Rfc2822,
    /// A decimal Unix timestamp.
    Unix(Unit),
    /// A strftime pattern for `jiff::fmt::strtime`.
    Strftime(String),
}

impl Format {
    /// Reads a format as the user wrote it: a name or a strftime pattern.
    pub fn from_config(text: &str) -> Result<Format, String> {
        if let Some((_, named)) = NAMED.iter().find(|(name, _)| *name == text) {
            return Ok(match *named {
                Named::Rfc3339 => Format::Rfc3339,
                Named::Rfc2822 => Format::Rfc2822,
                Named::Strftime(pattern) => Format::Strftime(pattern.to_owned()),
                Named::Unix(unit) => Format::Unix(unit),
            });
        }
        if let Some((name, _)) = NAMED
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
        {
            return Err(format!(
                "unknown format {text:?}; did you mean {name:?}? (names are case-sensitive)"
            ));
        }
        if !text.contains('%') {
            let hint = crate::golayout::to_strftime(text)
                .map(|s| format!("; this looks like a Go layout, which sluice does not use: write the strftime pattern {s:?}"))
                .unwrap_or_default();
            return Err(format!(
                "{text:?} is neither a named format ({}) nor a strftime pattern with % \
                 directives such as \"%Y-%m-%d %H:%M:%S\"{hint}",
                names()
            ));
        }
        check_strftime(text)?;
        Ok(Format::Strftime(text.to_owned()))
    }

    /// Parses `value` into nanoseconds since the Unix epoch. `zone` applies to values without
    /// an offset; `now` (nanoseconds) supplies the year to patterns without one.
    pub fn parse(&self, value: &[u8], zone: &TimeZone, now: impl FnOnce() -> i64) -> Option<i64> {
        let ts = match self {
            Format::Unix(unit) => return unit.parse(value),
            Format::Rfc3339 => match RFC3339.parse_timestamp(value) {
                Ok(ts) => ts,
                Err(_) => {
                    let dt = RFC3339.parse_datetime(value).ok()?;
                    zone.to_ambiguous_timestamp(dt).compatible().ok()?
                }
            },
            Format::Rfc2822 => RFC2822.parse_timestamp(value).ok()?,
            Format::Strftime(pattern) => {
                let mut tm = strtime::parse(pattern, value).ok()?;
                resolve(&mut tm, zone, now)?
            }
        };
        i64::try_from(ts.as_nanosecond()).ok()
    }
}

/// The named formats, for messages.
pub fn names() -> String {
    NAMED
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rejects directives that jiff can format but not parse, which would make every value fail.
fn check_strftime(pattern: &str) -> Result<(), String> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        // Skip flags, width and colons to reach the directive.
        let mut j = i + 1;
        while j < bytes.len()
            && matches!(
                bytes[j],
                b'_' | b'-' | b'0'..=b'9' | b'^' | b'#' | b':' | b'.'
            )
        {
            j += 1;
        }
        let Some(&directive) = bytes.get(j) else {
            return Err(format!("{pattern:?} ends with an incomplete % directive"));
        };
        match directive {
            b'Z' => {
                return Err(format!(
                    "{pattern:?} uses %Z: time zone abbreviations cannot be parsed (they are \
                     ambiguous); use %z (+0200), %:z (+02:00) or %Q (Europe/Berlin), or leave \
                     the zone out and set \"timezone\""
                ));
            }
            b'c' | b'r' | b'X' | b'x' | b'q' => {
                return Err(format!(
                    "{pattern:?} uses %{}, which can only format, not parse",
                    directive as char
                ));
            }
            _ => {}
        }
        i = j + 1;
    }
    // Let jiff reject unknown directives now rather than on every line.
    let sample = Timestamp::UNIX_EPOCH.to_zoned(TimeZone::UTC);
    strtime::format(pattern, &sample)
        .map(drop)
        .map_err(|e| format!("{pattern:?} is not a valid strftime pattern: {e}"))
}

/// Turns what a strftime pattern parsed into an instant.
fn resolve(
    tm: &mut strtime::BrokenDownTime,
    zone: &TimeZone,
    now: impl FnOnce() -> i64,
) -> Option<Timestamp> {
    if tm.timestamp().is_some() || tm.offset().is_some() {
        return tm.to_timestamp().ok();
    }
    if tm.iana_time_zone().is_some() {
        return tm.to_zoned().ok().map(|z| z.timestamp());
    }
    if tm.year().is_none() && tm.month().is_some() {
        return resolve_without_year(tm, zone, now());
    }
    let dt = tm.to_datetime().ok()?;
    zone.to_ambiguous_timestamp(dt).compatible().ok()
}

/// A value without a year (syslog's `Jun  1 12:00:00`) is taken to be from the current year,
/// or from the previous one when that would put it more than a day in the future (a December
/// line read in January).
fn resolve_without_year(
    tm: &mut strtime::BrokenDownTime,
    zone: &TimeZone,
    now: i64,
) -> Option<Timestamp> {
    let now = Timestamp::from_nanosecond(now as i128).ok()?;
    let year = now.to_zoned(zone.clone()).year();
    let at = |tm: &mut strtime::BrokenDownTime, year: i16| {
        tm.set_year(Some(year)).ok()?;
        let dt = tm.to_datetime().ok()?;
        zone.to_ambiguous_timestamp(dt).compatible().ok()
    };
    match at(tm, year) {
        Some(ts) if ts <= now + SignedDuration::from_hours(24) => Some(ts),
        this_year => at(tm, year - 1).or(this_year),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strftime_patterns_are_checked() {
        assert!(Format::from_config("%Y-%m-%d %H:%M:%S%.f").is_ok());
        assert!(Format::from_config("%d/%b/%Y:%H:%M:%S %z").is_ok());
        assert!(Format::from_config("%Y %Z").unwrap_err().contains("%Z"));
        assert!(
            Format::from_config("%c")
                .unwrap_err()
                .contains("only format")
        );
        assert!(
            Format::from_config("%Y-%")
                .unwrap_err()
                .contains("incomplete")
        );
        assert!(
            Format::from_config("%Y %J")
                .unwrap_err()
                .contains("not a valid")
        );
        assert!(
            Format::from_config("rfc3339")
                .unwrap_err()
                .contains("\"RFC3339\"")
        );
    }
}
