//! `regex`: matches each line against a regular expression; named capture groups become
//! fields, and the match can keep or drop lines.
//!
//! Configuration:
//!
//! | key | meaning |
//! |---|---|
//! | `expression` | required. A Rust `regex` on bytes (`(?P<level>\w+)`); Unicode classes work on UTF-8 text, other bytes never match them. |
//! | `source` | match the value of this field instead of the line. A line without the field does not match. By default, the line. |
//! | `mode` | `extract` (by default): add a field for each named group that took part in the match; every line passes through, matching or not. `keep`: drop the lines that do not match, extract from the others. `drop`: drop the lines that match. |
//!
//! Extract mode needs at least one named group. The expression is compiled once, when the stage
//! is created, and matched with reusable capture locations: a line costs no allocation.
//!
//! # Over-long lines
//!
//! The stage is not boundary-safe: a line longer than the host's maximum arrives in pieces.
//! The first piece decides for the whole line: every piece is kept or dropped with it, and the
//! fields extracted from it are set on the line's last piece, where sluice's plugins look for
//! the fields of a line cut into pieces (see the plugins README).

mod matcher;

use matcher::Matcher;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Output, Plugin, export_plugin,
};

/// What the stage does with a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Every line passes; matching lines get fields.
    Extract,
    /// Only matching lines pass, with fields.
    Keep,
    /// Only lines that do not match pass.
    Drop,
}

/// A regex stage.
pub struct RegexStage {
    /// The compiled expression, with the spans of the last match.
    regex: Matcher,
    /// (group index, name) of the named groups, in the expression's order.
    groups: Vec<(usize, String)>,
    /// The field to match instead of the line.
    source: Option<String>,
    mode: Mode,
    /// While the pieces of an over-long line arrive: what its first piece decided.
    long_line: Option<LongLine>,
    /// The index in its batch of the line in hand (its answer from the host, see `matcher`).
    line_index: usize,
    /// The batch's field values back to back, when the host searches them (`source`).
    values: Vec<u8>,
    value_ends: Vec<u32>,
}

/// What the first piece of an over-long line decided for the whole line.
#[derive(Debug)]
struct LongLine {
    /// Whether the first piece matched.
    matched: bool,
    /// (index in `groups`, value) of the fields to set on the last piece; the values are
    /// copies, at most a piece long.
    fields: Vec<(usize, Vec<u8>)>,
}

impl RegexStage {
    /// Matches `line` (or its source field); returns whether it matched, leaving the groups'
    /// spans in `self.regex`.
    fn matches(&mut self, line: &Line<'_>) -> bool {
        let haystack = match &self.source {
            Some(field) => match line.field(field) {
                Some(value) => value,
                None => return false,
            },
            None => line.bytes(),
        };
        self.regex.matches_at(self.line_index, haystack)
    }

    /// Has the host search the batch's haystacks, when it searches this expression.
    fn prepare(&mut self, batch: &Batch<'_>) {
        let Some(field) = &self.source else {
            self.regex.prepare(batch.data(), batch.ends());
            return;
        };
        self.values.clear();
        self.value_ends.clear();
        if self.regex.searched_by_host() {
            for line in batch.lines() {
                self.values
                    .extend_from_slice(line.field(field).unwrap_or_default());
                self.value_ends.push(self.values.len() as u32);
            }
        }
        self.regex.prepare(&self.values, &self.value_ends);
    }

    /// The haystack the last match ran on.
    fn haystack<'a>(&self, line: &Line<'a>) -> &'a [u8] {
        match &self.source {
            Some(field) => line.field(field).unwrap_or_default(),
            None => line.bytes(),
        }
    }

    /// Whether a line that matched (or not) passes.
    fn passes(&self, matched: bool) -> bool {
        match self.mode {
            Mode::Extract => true,
            Mode::Keep => matched,
            Mode::Drop => !matched,
        }
    }

    /// Whether a line that matched gets fields.
    fn extracts(&self, matched: bool) -> bool {
        matched && self.mode != Mode::Drop
    }
}

impl Plugin for RegexStage {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "regex";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Match a regex: named groups become fields; keep or drop matching lines";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "expression",
            "string",
            "The regex (required); named groups (?P<name>…) become fields.",
        ),
        ConfigKey::new(
            "source",
            "string",
            "Match this field's value instead of the line.",
        ),
        ConfigKey::new(
            "mode",
            "string",
            "extract, keep (drop lines that do not match) or drop (drop lines that match).",
        )
        .default("\"extract\""),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let expression = config.required_str("expression")?;
        let regex = Matcher::new(expression)
            .map_err(|e| ConfigError::new("expression", format!("not a valid regex: {e}")))?;
        let mode = match config.one_of("mode", &["extract", "keep", "drop"])? {
            None | Some("extract") => Mode::Extract,
            Some("keep") => Mode::Keep,
            Some(_) => Mode::Drop,
        };
        let groups: Vec<(usize, String)> = regex.named_groups();
        if mode == Mode::Extract && groups.is_empty() {
            return Err(ConfigError::new(
                "expression",
                "has no named group to extract: name one with (?P<name>…), or set \"mode\" to \
                 \"keep\" or \"drop\" to filter lines",
            ));
        }
        let mut regex = regex;
        // Only the named groups are read: the spans of the others need not be tracked.
        regex.track_groups(groups.iter().map(|&(g, _)| g).max());
        Ok(RegexStage {
            regex,
            groups,
            source: config.field_name("source")?.map(str::to_owned),
            mode,
            long_line: None,
            line_index: 0,
            values: Vec::new(),
            value_ends: Vec::new(),
        })
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        self.prepare(batch);
        for (i, line) in batch.lines().enumerate() {
            self.line_index = i;
            self.process(&line, &mut out.line(&line));
        }
        Ok(())
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        // A piece after the first of an over-long line: the first piece decided.
        if let Some(LongLine { matched, fields }) = &self.long_line {
            if self.passes(*matched) {
                out.keep();
                if !line.is_partial() {
                    for (group, value) in fields {
                        out.set_field(&self.groups[*group].1, value);
                    }
                }
            }
            if !line.is_partial() {
                self.long_line = None;
            }
            return;
        }

        let matched = self.matches(line);
        if line.is_partial() {
            // The first piece of an over-long line: remember the decision and the fields.
            let mut fields = Vec::new();
            if self.extracts(matched) {
                let haystack = self.haystack(line);
                for (k, (group, _)) in self.groups.iter().enumerate() {
                    if let Some((s, e)) = self.regex.group(*group) {
                        fields.push((k, haystack[s..e].to_vec()));
                    }
                }
            }
            if self.passes(matched) {
                out.keep();
            }
            self.long_line = Some(LongLine { matched, fields });
            return;
        }

        if !self.passes(matched) {
            return;
        }
        out.keep();
        if self.extracts(matched) {
            let haystack = self.haystack(line);
            for (group, name) in &self.groups {
                if let Some((s, e)) = self.regex.group(*group) {
                    out.set_field(name, &haystack[s..e]);
                }
            }
        }
    }
}

export_plugin!(RegexStage);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::{Harness, Input, config_error};

    const NGINX: &str = r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api/v1/users?id=42 HTTP/1.1" 200 2326 "-" "curl/8.5.0""#;

    fn stage(config: &str) -> Harness<RegexStage> {
        Harness::new(config).unwrap()
    }

    #[test]
    fn extracts_named_groups_from_nginx_lines() {
        let mut s = stage(
            r#"{"expression": "^(?P<ip>\\S+) \\S+ \\S+ \\[[^\\]]+\\] \"(?P<method>[A-Z]+) (?P<path>\\S+)[^\"]*\" (?P<status>\\d{3})"}"#,
        );
        let out = s.process([NGINX, "garbage line"]).unwrap();
        assert_eq!(out.len(), 2);
        assert!(!out[0].rewritten);
        assert_eq!(out[0].field_str("ip"), Some("203.0.113.7"));
        assert_eq!(out[0].field_str("method"), Some("GET"));
        assert_eq!(out[0].field_str("path"), Some("/api/v1/users?id=42"));
        assert_eq!(out[0].field_str("status"), Some("200"));
        assert!(
            out[1].fields.is_empty(),
            "a line that does not match passes without fields"
        );
    }

    #[test]
    fn only_groups_that_took_part_become_fields() {
        let mut s = stage(r#"{"expression": "level=(?P<level>\\w+)|lvl:(?P<lvl>\\w+)"}"#);
        let out = s.process(["ts=1 level=warn msg=x", "lvl:debug"]).unwrap();
        assert_eq!(out[0].fields, [("level".to_string(), b"warn".to_vec())]);
        assert_eq!(out[1].fields, [("lvl".to_string(), b"debug".to_vec())]);
    }

    #[test]
    fn keep_mode_filters_and_extracts() {
        let mut s = stage(r#"{"expression": "level=(?P<level>error|warn)", "mode": "keep"}"#);
        let out = s
            .process(["level=info a", "level=error b", "level=warn c", ""])
            .unwrap();
        let texts: Vec<_> = out.iter().map(|l| l.text()).collect();
        assert_eq!(texts, ["level=error b", "level=warn c"]);
        assert_eq!(out[0].field_str("level"), Some("error"));
    }

    #[test]
    fn keep_mode_without_groups_is_a_filter() {
        let mut s = stage(r#"{"expression": "Exception|^\\s+at ", "mode": "keep"}"#);
        let out = s
            .process([
                "INFO starting",
                "java.lang.IllegalStateException: boom",
                "\tat com.example.Main.main(Main.java:12)",
                "INFO done",
            ])
            .unwrap();
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|l| l.fields.is_empty()));
    }

    #[test]
    fn drop_mode_drops_matches() {
        let mut s = stage(r#"{"expression": "GET /health", "mode": "drop"}"#);
        let out = s.process(["GET /health 200", "GET /users 200"]).unwrap();
        let texts: Vec<_> = out.iter().map(|l| l.text()).collect();
        assert_eq!(texts, ["GET /users 200"]);
    }

    #[test]
    fn source_field_instead_of_the_line() {
        let mut s = stage(
            r#"{"expression": "^(?P<family>[a-z]+)/(?P<version>[0-9.]+)", "source": "agent", "mode": "keep"}"#,
        );
        let out = s
            .process([
                Input::new("a").field("agent", "curl/8.5.0"),
                Input::new("b"),
                Input::new("c").field("agent", "Mozilla/5.0"),
            ])
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text(), "a");
        assert_eq!(out[0].field_str("family"), Some("curl"));
        assert_eq!(out[0].field_str("version"), Some("8.5.0"));
        assert_eq!(out[0].field_str("agent"), Some("curl/8.5.0"));
    }

    #[test]
    fn json_and_logfmt_lines() {
        let mut s = stage(r#"{"expression": "\"level\":\"(?P<level>[A-Z]+)\""}"#);
        let out = s
            .process([r#"{"ts":"2024-10-10T13:55:36Z","level":"INFO","msg":"ok"}"#])
            .unwrap();
        assert_eq!(out[0].field_str("level"), Some("INFO"));
        let mut s = stage(r#"{"expression": "duration=(?P<ms>\\d+)ms"}"#);
        let out = s.process(["level=info duration=12ms path=/"]).unwrap();
        assert_eq!(out[0].field_str("ms"), Some("12"));
    }

    #[test]
    fn invalid_utf8_and_nul() {
        let mut s = stage(r#"{"expression": "(?-u:user=(?P<user>[^ ]+))"}"#);
        let out = s
            .process([Input::new(b"\x00 user=\xff\xfeb ok \x80")])
            .unwrap();
        assert_eq!(out[0].field("user"), Some(&b"\xff\xfeb"[..]));
        assert_eq!(out[0].bytes, b"\x00 user=\xff\xfeb ok \x80");
        // Unicode classes skip bytes that are not UTF-8.
        let mut s = stage(r#"{"expression": "(?P<word>\\w+)"}"#);
        let out = s.process([Input::new(b"\xff\xfe caf\xc3\xa9")]).unwrap();
        assert_eq!(out[0].field_str("word"), Some("café"));
    }

    #[test]
    fn over_long_lines_are_decided_by_their_first_piece() {
        let mut s = stage(r#"{"expression": "^(?P<level>[A-Z]+) ", "mode": "keep"}"#);
        let out = s
            .process([
                Input::new("WARN first piece").partial(),
                Input::new("middle").partial(),
            ])
            .unwrap();
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|l| l.fields.is_empty()));
        let out = s
            .process([Input::new("last piece"), Input::new("dropped line")])
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text(), "last piece");
        assert_eq!(out[0].field_str("level"), Some("WARN"));
        // A line whose first piece does not match is dropped whole.
        let out = s
            .process([
                Input::new("no level").partial(),
                Input::new("ERROR later").partial(),
                Input::new("end"),
                Input::new("INFO next"),
            ])
            .unwrap();
        let texts: Vec<_> = out.iter().map(|l| l.text()).collect();
        assert_eq!(texts, ["INFO next"]);
    }

    #[test]
    fn config_errors() {
        let e = config_error::<RegexStage>("{}");
        assert_eq!(e.key.as_deref(), Some("expression"));
        assert_eq!(e.message, "is required (a string)");
        let e = config_error::<RegexStage>(r#"{"expression": "abc"}"#);
        assert_eq!(e.key.as_deref(), Some("expression"));
        assert!(e.message.contains("(?P<name>…)"), "{}", e.message);
        let e = config_error::<RegexStage>(r#"{"expression": "(?P<x>a", "mode": "keep"}"#);
        assert_eq!(e.key.as_deref(), Some("expression"));
        assert!(
            e.message
                .starts_with("not a valid regex: regex parse error:")
        );
        assert!(!e.message.contains('\n'));
        let e = config_error::<RegexStage>(r#"{"expression": "(?P<x>a)", "mode": "sideways"}"#);
        assert_eq!(e.key.as_deref(), Some("mode"));
        assert_eq!(
            e.message,
            "unknown value \"sideways\"; expected one of: extract, keep, drop"
        );
        let e = config_error::<RegexStage>(r#"{"expression": "(?P<x>a)", "source": 1}"#);
        assert_eq!(e.key.as_deref(), Some("source"));
    }
}
