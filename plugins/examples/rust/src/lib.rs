//! `level`: finds a line's log level, normalises it into a field, and drops the lines below a
//! minimum. The same plugin is written in C, Python and JavaScript beside this folder; all four
//! behave identically (see ../README.md).
//!
//! The level is the first word of the line (a word is a maximal run of ASCII letters) whose
//! lowercase form is a level name:
//!
//! ```text
//! trace, debug, dbg                                                    -> DEBUG
//! info, information, notice                                            -> INFO
//! warn, warning                                                        -> WARN
//! error, err, fatal, critical, crit, panic, alert, emerg, emergency    -> ERROR
//! ```
//!
//! Only words lying entirely within the first 128 bytes of the line are looked at, so a long
//! line costs no more than a short one.

use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, Output, Plugin, State, export_plugin,
};

const SEARCHED_BYTES: usize = 128;
const LEVELS: [&str; 4] = ["DEBUG", "INFO", "WARN", "ERROR"];
const MIN_CHOICES: [&str; 4] = ["debug", "info", "warn", "error"];

/// The level (an index into [`LEVELS`]) of a lowercase word, if it is a level name.
fn word_level(lower: &[u8]) -> Option<usize> {
    Some(match lower {
        b"trace" | b"debug" | b"dbg" => 0,
        b"info" | b"information" | b"notice" => 1,
        b"warn" | b"warning" => 2,
        b"error" | b"err" | b"fatal" | b"critical" | b"crit" | b"panic" | b"alert" | b"emerg"
        | b"emergency" => 3,
        _ => return None,
    })
}

/// The level of a line: its first level word lying within the first [`SEARCHED_BYTES`].
fn line_level(line: &[u8]) -> Option<usize> {
    let limit = line.len().min(SEARCHED_BYTES);
    let mut word = [0u8; 11];
    let mut i = 0;
    while i < limit {
        if !line[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < limit && line[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i == limit && limit < line.len() && line[limit].is_ascii_alphabetic() {
            return None; // the word runs past the searched bytes
        }
        let len = i - start;
        if (3..=word.len()).contains(&len) {
            for (lower, byte) in word.iter_mut().zip(&line[start..i]) {
                *lower = byte.to_ascii_lowercase();
            }
            if let Some(level) = word_level(&word[..len]) {
                return Some(level);
            }
        }
    }
    None
}

/// What was decided for a line, kept while its pieces arrive.
#[derive(Clone, Copy)]
enum Decision {
    Drop,
    Keep(Option<usize>),
}

/// The stage: its configuration, and the decision for an over-long line being cut.
pub struct Level {
    field: String,
    min: usize,
    keep_unknown: bool,
    /// Set while the pieces of an over-long line arrive: the decision made on its first piece.
    continuing: Option<Decision>,
}

impl Plugin for Level {
    const NAME: &'static str = "level";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Find each line's log level, set it as a normalised field, drop lines below a minimum";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "field",
            "string",
            "The field set to the line's level: DEBUG, INFO, WARN or ERROR.",
        )
        .default(r#""level""#),
        ConfigKey::new(
            "min",
            "string",
            "Lines whose level is below this one are dropped: debug, info, warn or error (any case).",
        )
        .default(r#""debug""#),
        ConfigKey::new(
            "keep_unknown",
            "bool",
            "Whether lines without a recognisable level are kept.",
        )
        .default("true"),
    ];
    const STATE: State = State::None; // each line on its own

    fn new(config: Config) -> Result<Self, ConfigError> {
        let field = match config.str("field")? {
            None => "level",
            Some("") => return Err(ConfigError::new("field", "is empty; name a field")),
            Some(field) if field.contains('\0') => {
                return Err(ConfigError::new("field", "must not contain NUL"));
            }
            Some(field) => field,
        };
        let min = match config.str("min")? {
            None => 0,
            Some(value) => MIN_CHOICES
                .iter()
                .position(|choice| choice.eq_ignore_ascii_case(value))
                .ok_or_else(|| {
                    ConfigError::new(
                        "min",
                        format!(
                            "unknown value {value:?}; expected one of: {}",
                            MIN_CHOICES.join(", ")
                        ),
                    )
                })?,
        };
        Ok(Level {
            field: field.to_owned(),
            min,
            keep_unknown: config.bool("keep_unknown")?.unwrap_or(true),
            continuing: None,
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        // An over-long line is judged on its first piece; the decision holds for every piece,
        // and the field goes on the last one (the contract's conventions).
        let decision = match self.continuing {
            Some(decision) => decision,
            None => self.decide(line.bytes()),
        };
        self.continuing = line.is_partial().then_some(decision);
        if let Decision::Keep(level) = decision {
            out.keep();
            if let (Some(level), false) = (level, line.is_partial()) {
                out.set_field(&self.field, LEVELS[level].as_bytes());
            }
        }
    }
}

impl Level {
    fn decide(&self, line: &[u8]) -> Decision {
        match line_level(line) {
            None if self.keep_unknown => Decision::Keep(None),
            None => Decision::Drop,
            Some(level) if level < self.min => Decision::Drop,
            Some(level) => Decision::Keep(Some(level)),
        }
    }
}

export_plugin!(Level);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::{Harness, Input, config_error};

    #[test]
    fn finds_the_first_whole_level_word() {
        assert_eq!(line_level(b"2024-06-01 WARN disk"), Some(2));
        assert_eq!(line_level(b"level=error msg=x"), Some(3));
        assert_eq!(line_level(b"errors=0 warnings=3 info"), Some(1));
        assert_eq!(line_level(b"no level here"), None);
        let mut long = vec![b'x'; 126];
        long.extend_from_slice(b" error");
        assert_eq!(line_level(&long), None, "past the searched bytes");
    }

    #[test]
    fn drops_below_min_and_sets_the_field() {
        let mut stage = Harness::<Level>::new(r#"{"min":"INFO"}"#).unwrap();
        let out = stage
            .process([
                Input::new("DEBUG a"),
                Input::new("warn b"),
                Input::new("plain"),
            ])
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].field_str("level"), Some("WARN"));
        assert_eq!(out[1].field_str("level"), None);
    }

    #[test]
    fn config_errors_name_the_key() {
        assert_eq!(
            config_error::<Level>(r#"{"min":"loud"}"#).key.as_deref(),
            Some("min")
        );
        assert_eq!(
            config_error::<Level>(r#"{"field":""}"#).key.as_deref(),
            Some("field")
        );
    }
}
