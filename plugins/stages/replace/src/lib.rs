//! `replace`: replaces the matches of a regex in the line, or in a field, with a replacement
//! that can refer to capture groups.
//!
//! Configuration:
//!
//! | key | meaning |
//! |---|---|
//! | `expression` | required. A Rust `regex` on bytes: lines need not be UTF-8; Unicode classes match UTF-8 text and never other bytes. |
//! | `replace` | what each match becomes: `$1`/`${1}`, `$name`/`${name}` insert a group, `$0` the match, `$$` a `$` (see `template.rs`). By default, empty: matches are deleted. |
//! | `limit` | the most matches replaced per line (or field value); 0 means all. By default, 0. |
//! | `source` | a field to replace in instead of the line; the line passes unchanged, the field gets the new value. A line without the field passes untouched. |
//!
//! The expression is compiled once, when the stage is created, and the replacement parsed then
//! too. A line without a match costs one search and passes through without a copy (the
//! `regex` crate skips ahead with its literal prefilters where the expression has a literal);
//! a line with matches is written straight into the output, with no intermediate buffer.
//!
//! # Over-long lines
//!
//! The stage is not boundary-safe: a line longer than the host's maximum arrives in pieces,
//! and each piece is replaced on its own. A match cannot straddle a cut, and `^`, `$` and `\b`
//! see a cut as the start or end of the text. `limit` counts the matches of the whole line,
//! across its pieces.

mod replacer;
mod template;

use regex::bytes::Regex;
use replacer::Replacer;
use sluice_plugin_sdk::{Config, ConfigError, ConfigKey, Line, Output, Plugin, export_plugin};
use template::Template;

/// A replace stage.
pub struct Replace {
    replacer: Replacer,
    /// The most matches replaced per line; `None` for all.
    limit: Option<usize>,
    /// The field to replace in instead of the line.
    source: Option<String>,
    /// Matches replaced so far in the pieces of the current over-long line.
    replaced_in_line: usize,
    /// A field's new value being built (reused).
    scratch: Vec<u8>,
}

impl Replace {
    /// How many more matches may be replaced in the current line; `None` for any number.
    fn remaining(&self) -> Option<usize> {
        self.limit.map(|l| l.saturating_sub(self.replaced_in_line))
    }

    /// Replaces in the line itself.
    fn replace_line(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let text = line.bytes();
        let remaining = self.remaining();
        let first = match remaining {
            Some(0) => None,
            _ => self.replacer.find_at(text, 0),
        };
        match first {
            None => out.keep(),
            Some(first) => {
                let replacer = &mut self.replacer;
                let count = out.emit_with(|buf| replacer.write(text, first, remaining, buf));
                self.replaced_in_line += count;
            }
        }
        if !line.is_partial() {
            self.replaced_in_line = 0;
        }
    }

    /// Replaces in the value of field `source`.
    fn replace_field(&mut self, line: &Line<'_>, source: &str, out: &mut Output<'_>) {
        out.keep();
        let Some(value) = line.field(source) else {
            return;
        };
        let Some(first) = self.replacer.find_at(value, 0) else {
            return;
        };
        self.scratch.clear();
        self.replacer
            .write(value, first, self.limit, &mut self.scratch);
        out.set_field(source, &self.scratch);
    }
}

impl Plugin for Replace {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "replace";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Replace regex matches in the line or a field ($1, ${name} insert groups)";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "expression",
            "string",
            "The regex whose matches are replaced (required).",
        ),
        ConfigKey::new(
            "replace",
            "string",
            "What each match becomes: $1, ${name} insert groups, $0 the match, $$ a $.",
        )
        .default("\"\""),
        ConfigKey::new(
            "limit",
            "integer",
            "The most matches replaced per line; 0 replaces all.",
        )
        .default("0"),
        ConfigKey::new(
            "source",
            "string",
            "Replace in this field's value instead of the line.",
        ),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let expression = config.required_str("expression")?;
        let regex = Regex::new(expression)
            .map_err(|e| ConfigError::new("expression", format!("not a valid regex: {e}")))?;
        let replace = config.str("replace")?.unwrap_or("");
        let template = Template::parse(replace, regex.captures_len(), |name| {
            regex.capture_names().position(|n| n == Some(name))
        })
        .map_err(|e| ConfigError::new("replace", e))?;
        let limit = config.u64("limit")?.unwrap_or(0);
        Ok(Replace {
            replacer: Replacer::new(regex, template),
            limit: (limit > 0).then(|| usize::try_from(limit).unwrap_or(usize::MAX)),
            source: config.field_name("source")?.map(str::to_owned),
            replaced_in_line: 0,
            scratch: Vec::new(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        match self.source.take() {
            Some(source) => {
                self.replace_field(line, &source, out);
                self.source = Some(source);
            }
            None => self.replace_line(line, out),
        }
    }
}

export_plugin!(Replace);

#[cfg(test)]
mod tests;
