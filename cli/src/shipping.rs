//! Shipping: the sink's settings from the command line and the pipeline file's `[sink]` table
//! (the command line wins, key by key), and what is said at the end about what the receiver
//! did with the records.

use sluice_host::{OtlpCounts, OtlpSettings};

use crate::args::Args;
use crate::colour;
use crate::sink_table::SinkTable;

/// Where the lines are shipped, and whether standard output is written too.
#[derive(Debug)]
pub(crate) struct Shipping {
    pub(crate) settings: OtlpSettings,
    pub(crate) tee: bool,
}

/// The shipping asked for by `args` and the pipeline file's `table`; `None` without a sink.
/// A `--tee` or `--sink-*` option without a sink is a mistake.
pub(crate) fn plan(args: &Args, table: Option<&SinkTable>) -> Result<Option<Shipping>, String> {
    let url = args.sink.as_deref().or(table.map(|t| t.url.as_str()));
    let Some(url) = url else {
        let given = [
            (args.tee, "--tee"),
            (!args.resource.is_empty(), "--resource"),
            (args.sink_retry_max.is_some(), "--sink-retry-max"),
            (args.sink_drain_max.is_some(), "--sink-drain-max"),
        ];
        return match given.iter().find(|(given, _)| *given) {
            Some((_, option)) => Err(format!(
                "{option} needs a sink: give --sink otlp=URL, or a [sink] table in the --config \
                 file"
            )),
            None => Ok(None),
        };
    };
    let mut settings = OtlpSettings::new(url);
    let mut resource = table.map_or_else(Vec::new, |t| t.resource.clone());
    for (key, value) in &args.resource {
        match resource.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1.clone_from(value),
            None => resource.push((key.clone(), value.clone())),
        }
    }
    settings.resource = resource;
    if let Some(retry_max) = args.sink_retry_max.or(table.and_then(|t| t.retry_max)) {
        settings.retry_max = retry_max;
    }
    if let Some(drain_max) = args.sink_drain_max.or(table.and_then(|t| t.drain_max)) {
        settings.drain_max = drain_max;
    }
    let tee = args.tee || table.and_then(|t| t.tee).unwrap_or(false);
    Ok(Some(Shipping { settings, tee }))
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
