//! A stage's configuration: a JSON object with typed getters, and the error that names a key.
//!
//! Every getter takes the key and returns `Ok(None)` when the key is absent, `Ok(Some(..))`
//! when it holds the right type, and a [`ConfigError`] naming the key and saying what was
//! expected otherwise (`expected a list of strings, got a number`). Unknown keys are rejected
//! by the SDK before [`crate::Plugin::new`] runs (see [`Config::deny_unknown`]).
//!
//! The values that are more than a JSON type have a parser of their own, shared with the
//! getters: [`parse_duration`] (`"1m30s"`) and [`parse_size`] (`"8KiB"`). The `report` key,
//! which the host handles for every stage that reports, is declared once:
//! [`ConfigKey::REPORT`].

use crate::ConfigKey;
use serde_json::{Map, Value};
use std::fmt;

impl ConfigKey {
    /// The `report` key of a stage that makes a report: where it goes. The host handles the
    /// key (and removes it from the configuration; [`Config::report`] gives its value), so a
    /// plugin only lists it in [`crate::Plugin::CONFIG_KEYS`]. Its default is `stderr`.
    pub const REPORT: ConfigKey =
        ConfigKey::new("report", "string", REPORT_DOC).default("\"stderr\"");

    /// [`ConfigKey::REPORT`] for a stage that makes a report only when the key is given (as
    /// `drop` and `truncate` do): the same key, without a default.
    pub const REPORT_ON_REQUEST: ConfigKey = ConfigKey::new("report", "string", REPORT_DOC);
}

/// What the `report` key does, the same for every stage.
const REPORT_DOC: &str = "Where the report goes: a file path (replaced whole each time) or \
                          `stderr`. Handled by the host.";

/// A stage's configuration was rejected.
///
/// `key` names the configuration key at fault, when one is; `message` says what is wrong and,
/// where possible, what would be right, on one line. The host shows it prefixed with the stage's
/// position and name. [`fmt::Display`] shows `key "mode": unknown value …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The configuration key at fault, if any.
    pub key: Option<String>,
    /// What is wrong, on one line.
    pub message: String,
}

impl ConfigError {
    /// An error about `key`. Line breaks in `message` are replaced by spaces.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            key: Some(key.into()),
            message: one_line(message.into()),
        }
    }

    /// An error about the configuration as a whole, not one key.
    pub fn general(message: impl Into<String>) -> ConfigError {
        ConfigError {
            key: None,
            message: one_line(message.into()),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "key {key:?}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Flattens a message to one line: each run of line breaks (and the indentation after it)
/// becomes one space, so multi-line messages such as the `regex` crate's fit the contract.
pub(crate) fn one_line(message: String) -> String {
    if !message.contains(['\n', '\r']) {
        return message;
    }
    let mut out = String::with_capacity(message.len());
    for part in message.split(['\n', '\r']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// A stage's configuration: the JSON object the user gave (`{}` when none), plus what the host
/// granted (environment variable values listed under `env`).
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The configuration object.
    map: Map<String, Value>,
    /// (name, value) of the environment variables the host read for this stage.
    env: Vec<(String, String)>,
    /// Where the host writes this stage's reports, if the user said.
    report: Option<String>,
    /// The host's `--max-line-bytes` and `--boundary-overlap`, when it said.
    limits: Option<(u32, u32)>,
}

impl Config {
    /// Parses a configuration. `json` must be a JSON object; an empty string counts as `{}`.
    pub fn parse(json: &str) -> Result<Config, ConfigError> {
        if json.trim().is_empty() {
            return Ok(Config::default());
        }
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => Ok(Config {
                map,
                ..Config::default()
            }),
            Ok(other) => Err(ConfigError::general(format!(
                "the configuration must be a JSON object, got {}",
                kind(&other)
            ))),
            Err(e) => Err(ConfigError::general(format!(
                "the configuration is not valid JSON: {e}"
            ))),
        }
    }

    /// Attaches the environment variables the host granted.
    pub fn with_env(mut self, env: Vec<(String, String)>) -> Config {
        self.env = env;
        self
    }

    /// Attaches where the host writes reports.
    pub fn with_report(mut self, report: Option<String>) -> Config {
        self.report = report;
        self
    }

    /// Attaches the host's line cap and window overlap.
    pub fn with_limits(mut self, max_line_bytes: u32, boundary_overlap: u32) -> Config {
        self.limits = Some((max_line_bytes, boundary_overlap));
        self
    }

    /// The host's line cap (`--max-line-bytes`, 64 KiB unless the user changed it): a line
    /// whose content is longer reaches the stage in pieces, so a line whose first piece is
    /// partial is longer than this.
    pub fn max_line_bytes(&self) -> u32 {
        self.limits.map_or(64 << 10, |(cap, _)| cap)
    }

    /// The bytes a boundary-safe stage sees twice at each window cut (`--boundary-overlap`,
    /// 1 KiB unless the user changed it).
    pub fn boundary_overlap(&self) -> u32 {
        self.limits.map_or(1 << 10, |(_, overlap)| overlap)
    }

    /// Where the host writes this stage's reports (from the stage's `report` key, which the
    /// host handles and removes): a path, or `stderr`. `None` when the user did not say (the
    /// host then writes them to standard error).
    pub fn report(&self) -> Option<&str> {
        self.report.as_deref()
    }

    /// The environment variables the host read for this stage, as (name, value), in the order
    /// the host sent them. Empty unless the user listed names under the stage's `env` key (the
    /// host removes that key from the configuration and passes the values here).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The value of the granted environment variable `name`.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the configuration has no key.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The configuration's keys, in the order the user wrote them.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The raw JSON value of `key`, for types the getters do not cover.
    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// The string value of `key`.
    pub fn str(&self, key: &str) -> Result<Option<&str>, ConfigError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(expected(key, "a string", other)),
        }
    }

    /// The string value of `key`, which must be present.
    pub fn required_str(&self, key: &str) -> Result<&str, ConfigError> {
        self.str(key)?
            .ok_or_else(|| ConfigError::new(key, "is required (a string)"))
    }

    /// The value of `key` as the name of a field (such as a `source` key): a string that is not
    /// empty.
    pub fn field_name(&self, key: &str) -> Result<Option<&str>, ConfigError> {
        match self.str(key)? {
            Some("") => Err(ConfigError::new(
                key,
                "is empty; name a field, or leave the key out to use the line",
            )),
            other => Ok(other),
        }
    }

    /// Like [`Config::field_name`], for a key that must be present.
    pub fn required_field_name(&self, key: &str) -> Result<&str, ConfigError> {
        match self.required_str(key)? {
            "" => Err(ConfigError::new(key, "is empty; name a field")),
            name => Ok(name),
        }
    }

    /// The boolean value of `key`.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(expected(key, "true or false", other)),
        }
    }

    /// The value of `key` as a non-negative integer.
    pub fn u64(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) => Ok(Some(v)),
                None => Err(ConfigError::new(
                    key,
                    format!("expected a non-negative integer, got {n}"),
                )),
            },
            Some(other) => Err(expected(key, "a non-negative integer", other)),
        }
    }

    /// The value of `key` as a number (integer or not).
    pub fn f64(&self, key: &str) -> Result<Option<f64>, ConfigError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(expected(key, "a number", other)),
        }
    }

    /// The value of `key` as a duration: a string such as `"250ms"`, `"5s"`, `"1m30s"`,
    /// `"2h"` or `"1d"` (units `ns`, `us`, `ms`, `s`, `m`, `h`, `d`, combinable as in Go and
    /// Loki), or a number of seconds.
    pub fn duration(&self, key: &str) -> Result<Option<std::time::Duration>, ConfigError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(secs) if secs >= 0.0 && secs.is_finite() => {
                    Ok(Some(std::time::Duration::from_secs_f64(secs)))
                }
                _ => Err(ConfigError::new(
                    key,
                    format!("expected a duration, got {n}"),
                )),
            },
            Some(Value::String(s)) => parse_duration(s)
                .map(Some)
                .map_err(|e| ConfigError::new(key, e)),
            Some(other) => Err(expected(key, "a duration such as \"5s\"", other)),
        }
    }

    /// The value of `key` as a size in bytes: a string such as `"8KiB"` or `"1.5MB"` (see
    /// [`parse_size`]), or a non-negative integer of bytes.
    pub fn size(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        match self.map.get(key) {
            Some(Value::String(s)) => parse_size(s)
                .map(Some)
                .map_err(|e| ConfigError::new(key, e)),
            _ => self.u64(key).map_err(|mut e| {
                e.message = format!("{}, or a size such as \"8KiB\"", e.message);
                e
            }),
        }
    }

    /// The value of `key` as an object whose values are all strings, in key order.
    pub fn string_map(&self, key: &str) -> Result<Option<Vec<(&str, &str)>>, ConfigError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.as_str(), s.as_str())),
                    other => Err(ConfigError::new(
                        key,
                        format!("expected string values, but {k:?} is {}", kind(other)),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(expected(key, "an object of strings", other)),
        }
    }

    /// The value of `key` as a list of strings, also accepting a single string as a list of
    /// one.
    pub fn string_or_strings(&self, key: &str) -> Result<Option<Vec<&str>>, ConfigError> {
        match self.map.get(key) {
            Some(Value::String(s)) => Ok(Some(vec![s.as_str()])),
            _ => self.strings(key),
        }
    }

    /// The value of `key` as a list of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<&str>>, ConfigError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.as_str()),
                    other => Err(ConfigError::new(
                        key,
                        format!(
                            "expected a list of strings, but item {i} is {}",
                            kind(other)
                        ),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::String(_)) => Err(ConfigError::new(
                key,
                "expected a list of strings, got a string (write [\"…\"] for one item)",
            )),
            Some(other) => Err(expected(key, "a list of strings", other)),
        }
    }

    /// The string value of `key`, which must be one of `choices`.
    pub fn one_of(&self, key: &str, choices: &[&str]) -> Result<Option<&str>, ConfigError> {
        let Some(value) = self.str(key).map_err(|mut e| {
            e.message = format!("{}; expected one of: {}", e.message, choices.join(", "));
            e
        })?
        else {
            return Ok(None);
        };
        if choices.contains(&value) {
            Ok(Some(value))
        } else {
            Err(ConfigError::new(
                key,
                format!(
                    "unknown value {value:?}; expected one of: {}",
                    choices.join(", ")
                ),
            ))
        }
    }

    /// Rejects any key not in `known`, naming it, suggesting the closest known key and
    /// listing them all.
    ///
    /// The SDK calls this with the names in [`crate::Plugin::CONFIG_KEYS`] before
    /// [`crate::Plugin::new`], so plugins rarely need to.
    pub fn deny_unknown(&self, known: &[&str]) -> Result<(), ConfigError> {
        let Some(unknown) = self.map.keys().find(|k| !known.contains(&k.as_str())) else {
            return Ok(());
        };
        if known.is_empty() {
            return Err(ConfigError::new(
                unknown.as_str(),
                "unknown key; this plugin takes no configuration",
            ));
        }
        let suggestion = did_you_mean(unknown, known)
            .map(|k| format!("did you mean {k:?}? "))
            .unwrap_or_default();
        Err(ConfigError::new(
            unknown.as_str(),
            format!("unknown key; {suggestion}known keys: {}", known.join(", ")),
        ))
    }
}

/// Parses a duration such as `"1m30s"` or `"250ms"`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || {
        format!(
            "{text:?} is not a duration; write a number and a unit (ns, us, ms, s, m, h, d), \
             such as \"500ms\", \"5s\" or \"1m30s\""
        )
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

/// Parses a size: a number of bytes with an optional unit, `B`, `K`/`KiB` (1024), `KB` (1000),
/// `M`/`MiB`, `MB`, `G`/`GiB`, `GB`, in any case (`"8KiB"`, `"512"`, `"1.5MB"`), rounded to a
/// whole byte.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "{text:?} is not a size; write a number of bytes, optionally with a unit (B, K or \
             KiB, KB, M or MiB, MB, G or GiB, GB), such as \"8KiB\""
        )
    };
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..split].parse().map_err(|_| bad())?;
    let multiple: f64 = match text[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1e3,
        "m" | "mib" => 1024.0 * 1024.0,
        "mb" => 1e6,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "gb" => 1e9,
        _ => return Err(bad()),
    };
    Ok((number * multiple).round() as u64)
}

/// The error for a value of the wrong type.
fn expected(key: &str, what: &str, got: &Value) -> ConfigError {
    ConfigError::new(key, format!("expected {what}, got {}", kind(got)))
}

/// How a JSON value's type reads in a sentence: "a number", "a list", "null".
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The word of `known` that `word` is most likely a slip of, for a "did you mean" suggestion:
/// the closest by edit distance, when it is at most a third of that word's length (one edit
/// for short words) away.
pub fn did_you_mean<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|&(d, k)| d <= (k.len() / 3).max(1))
        .min()
        .map(|(_, k)| k)
}

/// The Levenshtein distance between two short strings, for "did you mean" suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_not_empty() {
        let config = Config::parse(r#"{"a": "", "b": "user"}"#).unwrap();
        assert!(
            config
                .field_name("a")
                .unwrap_err()
                .message
                .contains("is empty")
        );
        assert_eq!(config.field_name("b").unwrap(), Some("user"));
        assert_eq!(config.field_name("c").unwrap(), None);
        assert!(config.required_field_name("a").is_err());
        assert!(config.required_field_name("c").is_err());
    }

    #[test]
    fn durations() {
        let ms = |s: &str| parse_duration(s).map(|d| d.as_millis());
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms("1.5s"), Ok(1500));
        assert_eq!(ms("2h"), Ok(7_200_000));
        assert!(ms("5").unwrap_err().contains("not a duration"));
        assert!(ms("s").is_err());
        assert!(ms("5 parsecs").is_err());
        let config = Config::parse(r#"{"a": "1d", "b": 2, "c": true}"#).unwrap();
        assert_eq!(config.duration("a").unwrap().unwrap().as_secs(), 86_400);
        assert_eq!(config.duration("b").unwrap().unwrap().as_secs(), 2);
        assert!(
            config
                .duration("c")
                .unwrap_err()
                .message
                .contains("duration")
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("8KiB"), Ok(8192));
        assert_eq!(parse_size("8k"), Ok(8192));
        assert_eq!(parse_size("8KB"), Ok(8000));
        assert_eq!(parse_size("1.5 MiB"), Ok(1_572_864));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("10b"), Ok(10));
        assert!(parse_size("KiB").unwrap_err().contains("not a size"));
        assert!(parse_size("8 parsecs").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("-1").is_err());
    }

    #[test]
    fn size_getter_takes_a_string_or_an_integer() {
        let c =
            Config::parse(r#"{"a": "8KiB", "b": 300, "c": -1, "d": "lots", "e": [1]}"#).unwrap();
        assert_eq!(c.size("a").unwrap(), Some(8192));
        assert_eq!(c.size("b").unwrap(), Some(300));
        assert_eq!(c.size("absent").unwrap(), None);
        assert_eq!(
            c.size("c").unwrap_err().message,
            "expected a non-negative integer, got -1, or a size such as \"8KiB\""
        );
        let e = c.size("d").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("d"));
        assert!(e.message.starts_with("\"lots\" is not a size"));
        assert_eq!(
            c.size("e").unwrap_err().message,
            "expected a non-negative integer, got a list, or a size such as \"8KiB\""
        );
    }

    #[test]
    fn the_report_key_reads_the_same_everywhere() {
        assert_eq!(ConfigKey::REPORT.name, "report");
        assert_eq!(ConfigKey::REPORT.default, Some("\"stderr\""));
        assert_eq!(ConfigKey::REPORT_ON_REQUEST.default, None);
        assert_eq!(ConfigKey::REPORT.doc, ConfigKey::REPORT_ON_REQUEST.doc);
    }

    #[test]
    fn empty_string_is_an_empty_object() {
        assert!(Config::parse("").unwrap().is_empty());
        assert!(Config::parse("{}").unwrap().is_empty());
    }

    #[test]
    fn non_object_is_rejected() {
        let e = Config::parse("[1]").unwrap_err();
        assert_eq!(e.key, None);
        assert_eq!(
            e.message,
            "the configuration must be a JSON object, got a list"
        );
        let e = Config::parse("{oops").unwrap_err();
        assert!(e.message.starts_with("the configuration is not valid JSON"));
    }

    #[test]
    fn typed_getters() {
        let c = Config::parse(
            r#"{"s": "x", "b": true, "n": 3, "l": ["a", "b"], "neg": -1, "bad": ["a", 2]}"#,
        )
        .unwrap();
        assert_eq!(c.str("s").unwrap(), Some("x"));
        assert_eq!(c.str("missing").unwrap(), None);
        assert_eq!(c.bool("b").unwrap(), Some(true));
        assert_eq!(c.u64("n").unwrap(), Some(3));
        assert_eq!(c.strings("l").unwrap(), Some(vec!["a", "b"]));
        assert_eq!(
            c.u64("neg").unwrap_err().message,
            "expected a non-negative integer, got -1"
        );
        let e = c.strings("n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("n"));
        assert_eq!(e.message, "expected a list of strings, got a number");
        assert_eq!(
            e.to_string(),
            "key \"n\": expected a list of strings, got a number"
        );
        assert_eq!(
            c.strings("bad").unwrap_err().message,
            "expected a list of strings, but item 1 is a number"
        );
        assert!(c.strings("s").unwrap_err().message.contains("for one item"));
        assert_eq!(
            c.bool("s").unwrap_err().message,
            "expected true or false, got a string"
        );
        assert_eq!(
            c.required_str("zz").unwrap_err().message,
            "is required (a string)"
        );
    }

    #[test]
    fn one_of_lists_the_choices() {
        let c = Config::parse(r#"{"mode": "sideways", "n": 1}"#).unwrap();
        let e = c.one_of("mode", &["extract", "keep", "drop"]).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("mode"));
        assert_eq!(
            e.message,
            "unknown value \"sideways\"; expected one of: extract, keep, drop"
        );
        assert!(
            c.one_of("n", &["a"])
                .unwrap_err()
                .message
                .contains("expected one of: a")
        );
        assert_eq!(c.one_of("absent", &["a"]).unwrap(), None);
    }

    #[test]
    fn deny_unknown_suggests_and_lists() {
        let c = Config::parse(r#"{"rulez": []}"#).unwrap();
        let e = c.deny_unknown(&["rules", "literals"]).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("rulez"));
        assert_eq!(
            e.message,
            "unknown key; did you mean \"rules\"? known keys: rules, literals"
        );
        let e = c.deny_unknown(&[]).unwrap_err();
        assert_eq!(e.message, "unknown key; this plugin takes no configuration");
        let c = Config::parse(r#"{"zzzzzz": 1}"#).unwrap();
        let e = c.deny_unknown(&["rules"]).unwrap_err();
        assert_eq!(e.message, "unknown key; known keys: rules");
        assert!(c.deny_unknown(&["zzzzzz"]).is_ok());
    }

    #[test]
    fn env_grants() {
        let c = Config::parse("{}")
            .unwrap()
            .with_env(vec![("DB_PASS".into(), "hunter2".into())]);
        assert_eq!(c.env_var("DB_PASS"), Some("hunter2"));
        assert_eq!(c.env_var("OTHER"), None);
        assert_eq!(c.env().len(), 1);
    }

    #[test]
    fn messages_are_one_line() {
        let e = ConfigError::new(
            "rules",
            "regex parse error:\n    (\n    ^\nerror: unclosed group",
        );
        assert_eq!(e.message, "regex parse error: ( ^ error: unclosed group");
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("rulez", "rules"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
