//! The `timezone` key: the zone that values without an offset are read in.

use jiff::fmt::strtime;
use jiff::tz::TimeZone;

/// Reads `UTC`, a fixed offset (`+02:00`, `-0530`, `+09`) or an IANA name (`Europe/Berlin`).
pub fn parse(text: &str) -> Result<TimeZone, String> {
    if text.eq_ignore_ascii_case("UTC") || text == "Z" {
        return Ok(TimeZone::UTC);
    }
    if text.starts_with(['+', '-']) {
        return ["%:z", "%z", "%:::z"]
            .iter()
            .find_map(|pattern| {
                strtime::parse(pattern, text)
                    .ok()
                    .and_then(|tm| tm.offset())
            })
            .map(TimeZone::fixed)
            .ok_or_else(|| {
                format!("{text:?} is not an offset; write it as +02:00, -05:30 or +0200")
            });
    }
    TimeZone::get(text).map_err(|_| {
        format!(
            "unknown time zone {text:?}; write UTC, a fixed offset such as +02:00, or an IANA \
             name such as Europe/Berlin"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::parse;
    use jiff::tz::{Offset, TimeZone};

    #[test]
    fn utc_offsets_and_names() {
        assert_eq!(parse("UTC").unwrap(), TimeZone::UTC);
        assert_eq!(parse("utc").unwrap(), TimeZone::UTC);
        let fixed = |h| TimeZone::fixed(Offset::constant(h));
        assert_eq!(parse("+02:00").unwrap(), fixed(2));
        assert_eq!(parse("-0500").unwrap(), fixed(-5));
        assert_eq!(parse("+09").unwrap(), fixed(9));
        assert_eq!(
            parse("+05:30").unwrap(),
            TimeZone::fixed(Offset::from_seconds(5 * 3600 + 1800).unwrap())
        );
        assert!(parse("+2:00").unwrap_err().contains("not an offset"));
        assert!(parse("+26:00").is_err());
        assert!(
            parse("Mars/Olympus")
                .unwrap_err()
                .contains("unknown time zone")
        );
        assert_eq!(
            parse("Europe/Berlin").unwrap().iana_name(),
            Some("Europe/Berlin")
        );
    }
}
