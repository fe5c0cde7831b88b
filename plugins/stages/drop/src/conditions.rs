//! The conditions a line must meet to be dropped, parsed once from the configuration and
//! tested per line, cheapest first.

use crate::bounds::Bounds;
use regex::bytes::Regex;
use sluice_plugin_sdk::{Config, ConfigError, Line};

/// Every configured condition; a line is dropped when all hold.
#[derive(Debug)]
pub(crate) struct Conditions {
    /// The line must be longer than this many bytes.
    longer_than: Option<u64>,
    /// The host's line cap: a line that arrives in pieces is longer than this.
    max_line_bytes: u64,
    /// The line's timestamp must be before now minus this many nanoseconds.
    older_than: Option<i64>,
    /// The fields tested instead of the line (non-empty when present).
    sources: Option<Vec<String>>,
    /// Joins the values of several sources.
    separator: Vec<u8>,
    /// The exact value the (joined) sources must have.
    value: Option<Vec<u8>>,
    /// The regex the line, or the (joined) sources, must match.
    expression: Option<Regex>,
    /// The bounds the one source's value must lie within, as a quantity.
    bounds: Option<Bounds>,
    /// The joined values of several sources, for the current line (reused).
    joined: Vec<u8>,
}

impl Conditions {
    pub(crate) fn new(config: &Config) -> Result<Conditions, ConfigError> {
        let expression =
            match config.str("expression")? {
                Some(e) => Some(Regex::new(e).map_err(|e| {
                    ConfigError::new("expression", format!("not a valid regex: {e}"))
                })?),
                None => None,
            };
        let sources = config.string_or_strings("source")?;
        if sources.as_ref().is_some_and(Vec::is_empty) {
            return Err(ConfigError::new(
                "source",
                "is an empty list; name at least one field",
            ));
        }
        let value = config.str("value")?;
        if value.is_some() && sources.is_none() {
            return Err(ConfigError::new(
                "value",
                "needs \"source\": name the field whose value is compared",
            ));
        }
        if value.is_some() && expression.is_some() {
            return Err(ConfigError::new(
                "value",
                "cannot be combined with \"expression\": use one or the other (or two drop \
                 stages)",
            ));
        }
        let separator = config.str("separator")?;
        if separator.is_some() && sources.as_ref().is_none_or(|s| s.len() < 2) {
            return Err(ConfigError::new(
                "separator",
                "only joins a list of several sources; remove it or list them in \"source\"",
            ));
        }
        let bounds = Bounds::from_config(config, sources.as_ref().map_or(0, Vec::len))?;
        let longer_than = config.size("longer_than")?;
        let older_than = config
            .duration("older_than")?
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let conditions = Conditions {
            longer_than,
            max_line_bytes: config.max_line_bytes().into(),
            older_than,
            sources: sources.map(|s| s.into_iter().map(str::to_owned).collect()),
            separator: separator.unwrap_or(";").as_bytes().to_vec(),
            value: value.map(|v| v.as_bytes().to_vec()),
            expression,
            bounds,
            joined: Vec::new(),
        };
        if conditions.longer_than.is_none()
            && conditions.older_than.is_none()
            && conditions.sources.is_none()
            && conditions.expression.is_none()
        {
            return Err(ConfigError::general(
                "no condition given: set at least one of \"expression\", \"source\", \
                 \"longer_than\", \"older_than\", \"greater_than\" or \"less_than\" (a drop stage \
                 without one would drop nothing)",
            ));
        }
        Ok(conditions)
    }

    /// Whether the line's age is tested, so the caller must read the clock.
    pub(crate) fn needs_clock(&self) -> bool {
        self.older_than.is_some()
    }

    /// Whether every condition holds for `line`, given the time `now` (nanoseconds since the
    /// Unix epoch; only read for `older_than`).
    pub(crate) fn hold(&mut self, line: &Line<'_>, now: i64) -> bool {
        if let Some(limit) = self.longer_than {
            // The first piece of an over-long line is shorter than the line, which is longer
            // than the host's cap: that much is known before the line's end arrives.
            let known_length = if line.is_partial() {
                (line.len() as u64).max(self.max_line_bytes + 1)
            } else {
                line.len() as u64
            };
            if known_length <= limit {
                return false;
            }
        }
        if let Some(age) = self.older_than {
            match line.timestamp() {
                Some(ts) if ts < now.saturating_sub(age) => {}
                _ => return false,
            }
        }
        let subject = match &self.sources {
            None => line.bytes(),
            Some(sources) => match joined(line, sources, &self.separator, &mut self.joined) {
                Some(subject) => subject,
                None => return false,
            },
        };
        if let Some(value) = &self.value
            && subject != &value[..]
        {
            return false;
        }
        if let Some(regex) = &self.expression
            && !regex.is_match(subject)
        {
            return false;
        }
        if let Some(bounds) = &self.bounds
            && !bounds.hold(subject)
        {
            return false;
        }
        true
    }
}

/// The value of the one source, or the values of several joined with `separator` into
/// `scratch`; `None` when the line lacks one of them.
fn joined<'a>(
    line: &Line<'a>,
    sources: &[String],
    separator: &[u8],
    scratch: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    if let [only] = sources {
        return line.field(only);
    }
    scratch.clear();
    for (i, source) in sources.iter().enumerate() {
        if i > 0 {
            scratch.extend_from_slice(separator);
        }
        scratch.extend_from_slice(line.field(source)?);
    }
    Some(scratch)
}
