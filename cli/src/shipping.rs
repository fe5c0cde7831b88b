//! `--sink`: the OTLP sink's settings from the command line, and what is said at the end about
//! what the receiver did with the records.

use sluice_host::{OtlpCounts, OtlpSettings};

use crate::args::Args;
use crate::colour;

/// The OTLP sink's settings for the receiver at `url`, from the command line.
pub(crate) fn settings(args: &Args, url: &str) -> OtlpSettings {
    let mut settings = OtlpSettings::new(url);
    settings.resource = args.resource.clone();
    settings.retry_max = args.sink_retry_max;
    settings
}

/// Warns on stderr when the receiver rejected records (`partial_success`).
pub(crate) fn report(counts: &OtlpCounts) {
    if counts.rejected > 0 {
        colour::warn(format!(
            "the receiver accepted {} record(s) and rejected {}: {}",
            counts.sent,
            counts.rejected,
            counts.rejection.as_deref().unwrap_or("no reason given")
        ));
    }
}
