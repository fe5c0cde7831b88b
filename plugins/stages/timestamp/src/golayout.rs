//! Go reference layouts (`2006-01-02T15:04:05Z07:00`), recognised only to suggest the strftime
//! pattern a Promtail user meant.
//!
//! sluice parses custom formats with strftime patterns only: Go's parser has rules that
//! strftime cannot express exactly (`Z07:00` accepts `Z` or an offset, fractional seconds are
//! accepted after `05` even when the layout has none, `MST` takes any abbreviation), so a
//! silent translation would parse differently. A translation that is close is still the best
//! hint for a config error.

/// Go layout tokens and their strftime equivalents, longest first where one is a prefix of
/// another. `None`: no strftime equivalent, so no suggestion.
const TOKENS: &[(&str, Option<&str>)] = &[
    ("January", Some("%B")),
    ("Jan", Some("%b")),
    ("Monday", Some("%A")),
    ("Mon", Some("%a")),
    ("MST", None),
    ("2006", Some("%Y")),
    ("002", Some("%j")),
    ("01", Some("%m")),
    ("02", Some("%d")),
    ("03", Some("%I")),
    ("04", Some("%M")),
    ("05", Some("%S")),
    ("06", Some("%y")),
    ("15", Some("%H")),
    ("1", Some("%-m")),
    ("2", Some("%-d")),
    ("3", Some("%-I")),
    ("4", Some("%-M")),
    ("5", Some("%-S")),
    ("_2", Some("%e")),
    ("PM", Some("%p")),
    ("pm", Some("%P")),
    ("Z07:00:00", Some("%::z")),
    ("Z070000", None),
    ("Z07:00", Some("%:z")),
    ("Z0700", Some("%z")),
    ("Z07", Some("%:::z")),
    ("-07:00:00", Some("%::z")),
    ("-070000", None),
    ("-07:00", Some("%:z")),
    ("-0700", Some("%z")),
    ("-07", Some("%:::z")),
    ("%", Some("%%")),
];

/// The strftime pattern closest to Go layout `layout`, or `None` when it does not look like
/// one (no year token) or uses something strftime cannot parse.
pub fn to_strftime(layout: &str) -> Option<String> {
    if !layout.contains("2006") && !layout.contains("06") {
        return None;
    }
    let mut out = String::with_capacity(layout.len() * 2);
    let mut rest = layout;
    while let Some(c) = rest.chars().next() {
        // Fractional seconds: `.000`, `,999999999`, right after the seconds.
        if (c == '.' || c == ',') && out.ends_with("%S") {
            let digits = rest[1..]
                .find(|d| d != '0' && d != '9')
                .unwrap_or(rest.len() - 1);
            if digits > 0 {
                out.push_str("%.f");
                rest = &rest[1 + digits..];
                continue;
            }
        }
        if let Some((token, strftime)) = TOKENS.iter().find(|(t, _)| rest.starts_with(t)) {
            out.push_str((*strftime)?);
            rest = &rest[token.len()..];
            continue;
        }
        if c.is_ascii_digit() {
            return None;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::to_strftime;

    #[test]
    fn common_layouts() {
        let t = |l| to_strftime(l);
        assert_eq!(
            t("2006-01-02 15:04:05").as_deref(),
            Some("%Y-%m-%d %H:%M:%S")
        );
        assert_eq!(
            t("2006-01-02T15:04:05.000Z07:00").as_deref(),
            Some("%Y-%m-%dT%H:%M:%S%.f%:z")
        );
        assert_eq!(
            t("02/Jan/2006:15:04:05 -0700").as_deref(),
            Some("%d/%b/%Y:%H:%M:%S %z")
        );
        assert_eq!(
            t("Jan _2 15:04:05").as_deref(),
            None,
            "no year: not a layout"
        );
        assert_eq!(
            t("Mon Jan _2 15:04:05 MST 2006"),
            None,
            "MST has no strftime parse"
        );
        assert_eq!(t("2006-01-02 7"), None, "a stray digit");
        assert_eq!(t("yyyy-MM-dd"), None);
    }
}
