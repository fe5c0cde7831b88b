//! `identity`: passes every line through unchanged, by the cheapest path the contract has.
//!
//! Not a built-in: the host's tests and benchmarks use it to measure what a stage costs when
//! the plugin itself does nothing. Each batch's answer is `source = [0, 1, .., n - 1]` and
//! nothing else, so the host copies no byte back.

use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, Line, Output, Plugin, export_plugin,
};

/// The identity stage. It takes no configuration.
pub struct Identity;

impl Plugin for Identity {
    const NAME: &'static str = "identity";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Pass every line through unchanged (for tests and benchmarks)";

    fn new(_config: Config) -> Result<Self, ConfigError> {
        Ok(Identity)
    }

    fn process(&mut self, _line: &Line<'_>, out: &mut Output<'_>) {
        out.keep();
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        out.keep_all(batch);
        Ok(())
    }
}

export_plugin!(Identity);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::{Harness, Input, config_error};

    #[test]
    fn keeps_every_line_without_rewriting() {
        let mut h = Harness::<Identity>::new("{}").unwrap();
        let out = h
            .process([
                Input::new("a"),
                Input::new(""),
                Input::new(b"\xff\x00bin").field("k", "v"),
                Input::new("piece").partial(),
            ])
            .unwrap();
        assert_eq!(out.len(), 4);
        assert!(out.iter().all(|l| !l.rewritten));
        assert_eq!(out[2].bytes, b"\xff\x00bin");
        assert_eq!(out[2].field_str("k"), Some("v"));
        assert!(h.process(Vec::<Input>::new()).unwrap().is_empty());
        assert!(h.finish().unwrap().is_empty());
    }

    #[test]
    fn takes_no_configuration() {
        let e = config_error::<Identity>(r#"{"x": 1}"#);
        assert_eq!(e.message, "unknown key; this plugin takes no configuration");
    }
}
