//! Diagnostics: the exit codes, the one-line `sluice: …` messages, and the hints that name
//! the options a user can change. The host reports what happened in typed errors and knows
//! no option names; this is where its errors become words for the command line.

use std::fmt;

use sluice_host::{Failure, SettingsError, StageError};

use crate::colour::ERROR;

/// The exit codes, as documented in `--help` and the README.
pub mod exit {
    pub const OK: u8 = 0;
    pub const PLUGIN_FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const IO: u8 = 3;
}

/// Prints one diagnostic line and returns `code`. Messages from wasmtime or a plugin can span
/// several lines; they are folded so that every diagnostic is one line.
pub fn fail(code: u8, message: impl fmt::Display) -> u8 {
    let message = message.to_string();
    let folded: Vec<&str> = message.split_whitespace().collect();
    anstream::eprintln!("{ERROR}sluice:{ERROR:#} {}", folded.join(" "));
    code
}

/// What the user can change about a failure, worded with the option's name; empty for most.
pub fn hint(failure: &Failure) -> &'static str {
    match failure {
        Failure::Deadline {
            blocked_in: None, ..
        } => " (an endless loop? if the plugin is just slow, raise --plugin-timeout)",
        Failure::Deadline { .. } => " (if the plugin must wait that long, raise --plugin-timeout)",
        Failure::MemoryCap { .. } => " (raise --plugin-memory)",
        _ => "",
    }
}

/// A stage error with its hint.
pub fn stage_error(err: &StageError) -> String {
    format!("{err}{}", hint(&err.failure))
}

/// An error with its causes, and the hint of the stage error among them, if any.
pub fn error(err: &anyhow::Error) -> String {
    let hint = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<StageError>())
        .map_or("", |stage| hint(&stage.failure));
    format!("{err:#}{hint}")
}

/// The exit code for a stage's failure: failing while the pipeline is set up (a config
/// rejected, a trap in `create`) is a usage error, since nothing was processed; failing on
/// the stream is a plugin failure.
pub fn exit_code(err: &StageError) -> u8 {
    if err.call.is_setup() {
        exit::USAGE
    } else {
        exit::PLUGIN_FAILED
    }
}

/// Settings that do not fit together, worded with the options that set them.
pub fn settings_error(err: SettingsError) -> String {
    match err {
        SettingsError::LineCapZero => "--max-line-bytes must be at least 1".into(),
        SettingsError::LineCapTooLarge { max_line_bytes } => format!(
            "--max-line-bytes ({max_line_bytes}) must be at most {}",
            sluice_host::MAX_LINE_BYTES
        ),
        SettingsError::OverlapNotSmaller {
            boundary_overlap,
            max_line_bytes,
        } => format!(
            "--boundary-overlap ({boundary_overlap}) must be smaller than --max-line-bytes \
             ({max_line_bytes})"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_host::Call;
    use std::time::Duration;

    #[test]
    fn limits_get_the_option_to_raise() {
        let err = StageError::new(
            "stage 1 (probe)",
            Call::Process,
            Failure::Deadline {
                timeout: Duration::from_millis(300),
                blocked_in: None,
            },
        )
        .at("line 1 of <stdin>");
        assert_eq!(
            stage_error(&err),
            "stage 1 (probe), at line 1 of <stdin>: `process` did not finish within 300ms and \
             was stopped (an endless loop? if the plugin is just slow, raise --plugin-timeout)"
        );
        let wrapped = anyhow::Error::new(StageError::new(
            "stage 1 (probe)",
            Call::Create,
            Failure::MemoryCap {
                limit_bytes: 32 << 20,
                grew: sluice_host::Grew::Memory,
            },
        ));
        assert!(error(&wrapped).ends_with("32 MiB (raise --plugin-memory)"));
        assert_eq!(exit_code(&wrapped.downcast::<StageError>().unwrap()), 2);
    }

    #[test]
    fn settings_errors_name_the_options() {
        let err = SettingsError::OverlapNotSmaller {
            boundary_overlap: 8,
            max_line_bytes: 8,
        };
        assert_eq!(
            settings_error(err),
            "--boundary-overlap (8) must be smaller than --max-line-bytes (8)"
        );
        assert!(settings_error(SettingsError::LineCapZero).contains("at least 1"));
    }
}
