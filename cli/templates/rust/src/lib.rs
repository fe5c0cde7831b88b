//! `{{name}}`: a sluice plugin. It puts `prefix` in front of every line.
//!
//! Start here: `process` sees one line at a time and keeps, rewrites or drops it. The SDK
//! does the batching, the config parsing (unknown keys are rejected for you) and the
//! contract's bookkeeping; see its docs and the plugin guide (docs/plugins.md).

use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, Output, Plugin, State, export_plugin,
};

/// The stage: its configuration, parsed once.
pub struct Stage {
    prefix: Vec<u8>,
    /// True while the pieces of an over-long line are arriving (the last one was partial).
    continuing: bool,
}

impl Plugin for Stage {
    const NAME: &'static str = "{{name}}";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Put a prefix in front of every line";
    const CONFIG_KEYS: &'static [ConfigKey] =
        &[
            ConfigKey::new("prefix", "string", "What to put in front of each line.")
                .default(r#""> ""#),
        ];
    // Each line on its own (the flag above only follows an over-long line's pieces). Leave it
    // out, for one stage per input file, when the plugin keeps something between lines.
    const STATE: State = State::None;

    fn new(config: Config) -> Result<Self, ConfigError> {
        let prefix = config.str("prefix")?.unwrap_or("> ");
        Ok(Stage {
            prefix: prefix.as_bytes().to_vec(),
            continuing: false,
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        // An over-long line arrives in pieces (all but the last marked partial). The prefix
        // goes in front of the first; the others pass through unchanged.
        let continuing = std::mem::replace(&mut self.continuing, line.is_partial());
        if continuing {
            out.keep();
            return;
        }
        out.emit_with(|buf| {
            buf.extend_from_slice(&self.prefix);
            buf.extend_from_slice(line.bytes());
        });
    }
}

export_plugin!(Stage);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::{config_error, run};

    #[test]
    fn prefixes_every_line() {
        assert_eq!(
            run::<Stage>(r#"{"prefix": "| "}"#, &["a", ""]),
            ["| a", "| "]
        );
    }

    #[test]
    fn rejects_a_prefix_that_is_not_a_string() {
        assert_eq!(
            config_error::<Stage>(r#"{"prefix": 1}"#).key.as_deref(),
            Some("prefix")
        );
    }
}
