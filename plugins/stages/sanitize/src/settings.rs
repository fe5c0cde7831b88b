//! The stage's configuration: extra rules, literal secrets, granted environment values, the
//! replacement text and the default rules turned off.

use crate::rules::RULE_NAMES;
use regex::bytes::Regex;
use sluice_plugin_sdk::{Config, ConfigError, did_you_mean};

/// The default replacement.
pub(crate) const DEFAULT_REPLACEMENT: &str = "[REDACTED]";

/// What a sanitize stage was configured with, checked.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The user's extra rules, compiled, in order.
    pub rules: Vec<Regex>,
    /// Literal secrets: `literals` and the values of the granted environment variables;
    /// non-empty, without duplicates.
    pub literals: Vec<Vec<u8>>,
    /// What replaces a secret. Non-empty, and without whitespace, control bytes, quotes, `&`,
    /// `,` or `;`, so that a redacted value still reads as one value on a second pass.
    pub replacement: Vec<u8>,
    /// The default rules turned off: names from [`RULE_NAMES`], without duplicates.
    pub disable: Vec<String>,
}

impl Settings {
    pub fn new(config: &Config) -> Result<Settings, ConfigError> {
        let mut rules = Vec::new();
        for (i, pattern) in config
            .strings("rules")?
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let regex = Regex::new(pattern).map_err(|e| {
                ConfigError::new(
                    "rules",
                    format!("item {i} ({pattern:?}) is not a valid regex: {e}"),
                )
            })?;
            rules.push(regex);
        }

        let mut literals: Vec<Vec<u8>> = Vec::new();
        for (i, literal) in config
            .strings("literals")?
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            if literal.is_empty() {
                return Err(ConfigError::new("literals", format!("item {i} is empty")));
            }
            literals.push(literal.as_bytes().to_vec());
        }
        // The host removes `env` from the configuration and passes the values as grants; if it
        // is still there, it must at least be well formed.
        config.strings("env")?;
        for (_, value) in config.env() {
            if !value.is_empty() {
                literals.push(value.as_bytes().to_vec());
            }
        }
        literals.sort();
        literals.dedup();

        let replacement = config.str("replacement")?.unwrap_or(DEFAULT_REPLACEMENT);
        if replacement.is_empty() {
            return Err(ConfigError::new("replacement", "must not be empty"));
        }
        if let Some(c) = replacement
            .chars()
            .find(|&c| c.is_whitespace() || c.is_control() || "\"'&,;".contains(c))
        {
            return Err(ConfigError::new(
                "replacement",
                format!(
                    "must not contain {c:?}: a redacted value must still read as one value when \
                     it is redacted again (use something like \"[REDACTED]\" or \"***\")"
                ),
            ));
        }
        let mut disable = Vec::new();
        for (i, name) in config
            .strings("disable")?
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            if !RULE_NAMES.contains(&name) {
                return Err(ConfigError::new("disable", unknown_rule(i, name)));
            }
            if !disable.iter().any(|d| d == name) {
                disable.push(name.to_owned());
            }
        }
        Ok(Settings {
            rules,
            literals,
            replacement: replacement.as_bytes().to_vec(),
            disable,
        })
    }
}

/// The message for item `i` of `disable`, `name`, which is no default rule: the closest rule
/// name when one is close, and every name.
fn unknown_rule(i: usize, name: &str) -> String {
    let closest = did_you_mean(&name.to_ascii_lowercase(), RULE_NAMES)
        .map(|r| format!("did you mean {r:?}? "))
        .unwrap_or_default();
    format!(
        "item {i} ({name:?}) is not a default rule; {closest}the default rules are: {}",
        RULE_NAMES.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> Result<Settings, ConfigError> {
        Settings::new(&Config::parse(json).unwrap())
    }

    #[test]
    fn defaults() {
        let s = settings("{}").unwrap();
        assert!(s.rules.is_empty());
        assert!(s.literals.is_empty());
        assert_eq!(s.replacement, b"[REDACTED]");
        assert!(s.disable.is_empty());
    }

    #[test]
    fn disable_takes_rule_names_once() {
        let s = settings(r#"{"disable": ["jwt", "slack-token", "jwt"]}"#).unwrap();
        assert_eq!(s.disable, ["jwt", "slack-token"]);
    }

    #[test]
    fn disable_rejects_unknown_names_with_a_suggestion() {
        let e = settings(r#"{"disable": ["jwt", "slack-tokens"]}"#).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("disable"));
        assert_eq!(
            e.message,
            format!(
                "item 1 (\"slack-tokens\") is not a default rule; did you mean \"slack-token\"? \
                 the default rules are: {}",
                RULE_NAMES.join(", ")
            )
        );
        let e = settings(r#"{"disable": ["JWT"]}"#).unwrap_err();
        assert!(e.message.contains("did you mean \"jwt\"?"), "{}", e.message);
        let e = settings(r#"{"disable": ["nothing-like-it"]}"#).unwrap_err();
        assert!(!e.message.contains("did you mean"), "{}", e.message);
        let e = settings(r#"{"disable": "jwt"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "key \"disable\": expected a list of strings, got a string (write [\"…\"] for one item)"
        );
    }

    #[test]
    fn bad_regex_names_rules_and_the_index_on_one_line() {
        let e = settings(r#"{"rules": ["ok", "(unclosed"]}"#).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("rules"));
        assert!(
            e.message
                .starts_with("item 1 (\"(unclosed\") is not a valid regex: regex parse error:"),
            "{}",
            e.message
        );
        assert!(e.message.contains("unclosed group"), "{}", e.message);
        assert!(!e.message.contains('\n'));
    }

    #[test]
    fn wrong_types() {
        let e = settings(r#"{"rules": 3}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "key \"rules\": expected a list of strings, got a number"
        );
        let e = settings(r#"{"literals": ["a", ""]}"#).unwrap_err();
        assert_eq!(e.to_string(), "key \"literals\": item 1 is empty");
        let e = settings(r#"{"env": "DB_PASS"}"#).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("env"));
    }

    #[test]
    fn replacement_must_survive_a_second_pass() {
        assert_eq!(
            settings(r#"{"replacement": ""}"#).unwrap_err().message,
            "must not be empty"
        );
        let e = settings(r#"{"replacement": "<secret removed>"}"#).unwrap_err();
        assert!(
            e.message.starts_with("must not contain ' '"),
            "{}",
            e.message
        );
        assert_eq!(
            settings(r#"{"replacement": "***"}"#).unwrap().replacement,
            b"***"
        );
    }

    #[test]
    fn env_values_become_literals() {
        let config = Config::parse("{}").unwrap().with_env(vec![
            ("DB_PASS".into(), "hunter2".into()),
            ("EMPTY".into(), String::new()),
            ("SAME".into(), "hunter2".into()),
        ]);
        let s = Settings::new(&config).unwrap();
        assert_eq!(s.literals, [b"hunter2".to_vec()]);
    }
}
