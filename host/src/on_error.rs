//! [`OnError`]: what a failing stage does to the stream (`--on-plugin-error`, a stage's
//! `on_error` key), after Envoy's fail-closed and fail-open filters.
//!
//! - `fail` (the default) stops the run, as any failure always did: nothing a stage would have
//!   done is silently skipped.
//! - `skip` passes the batch the stage failed on to the stages after it as the stage got it
//!   (fail-open), and `drop` drops that batch's lines (fail-closed).
//!
//! Either way the stage is then started afresh from its configuration, since a trapped
//! instance cannot be called again: what it held (an open block, counts) is lost. The failure
//! is said on stderr with the stage and where in the input it happened, counted, and summed up
//! at the end; the run's exit status says failures happened. A failure in a timed wake-up or at
//! the end drops what the call would have emitted.
//!
//! `skip` on a boundary-safe stage (a redactor) would pass its failed batches on unredacted: a
//! leak. So it must be asked for by name on that stage (`skip-unsafe`); the caller refuses a
//! plain `skip` there ([`OnError::refuses_boundary_safe`]).

use std::fmt;
use std::str::FromStr;

/// What a stage's failure does to the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Stop the run (the default).
    #[default]
    Fail,
    /// Pass the failed batch on unchanged and start the stage afresh.
    Skip,
    /// Drop the failed batch's lines and start the stage afresh.
    Drop,
    /// `skip`, accepted for a boundary-safe stage whose skipped batches then go on unredacted.
    SkipUnsafe,
}

impl OnError {
    /// The words the command line and the pipeline file take.
    pub const NAMES: [&'static str; 4] = ["fail", "skip", "drop", "skip-unsafe"];

    /// True when a boundary-safe stage may not have this policy: `skip` would pass its failed
    /// batches on unredacted without the user having said so for that stage.
    pub fn refuses_boundary_safe(self) -> bool {
        self == OnError::Skip
    }

    /// True when a failure stops the run.
    pub fn stops(self) -> bool {
        self == OnError::Fail
    }

    /// True when a failed batch's lines go on unchanged.
    pub fn skips(self) -> bool {
        matches!(self, OnError::Skip | OnError::SkipUnsafe)
    }
}

impl FromStr for OnError {
    type Err = String;

    fn from_str(text: &str) -> Result<OnError, String> {
        match text {
            "fail" => Ok(OnError::Fail),
            "skip" => Ok(OnError::Skip),
            "drop" => Ok(OnError::Drop),
            "skip-unsafe" => Ok(OnError::SkipUnsafe),
            other => Err(format!(
                "unknown policy {other:?}; expected one of: {}",
                OnError::NAMES.join(", ")
            )),
        }
    }
}

impl fmt::Display for OnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnError::Fail => "fail",
            OnError::Skip => "skip",
            OnError::Drop => "drop",
            OnError::SkipUnsafe => "skip-unsafe",
        })
    }
}

/// What one stage's failures cost, for the summary at the end of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// `stage N (origin)`.
    pub label: String,
    /// How many calls failed.
    pub count: u64,
    /// How many lines of failed batches were passed on unchanged or dropped.
    pub lines: u64,
    /// The stage's policy.
    pub on_error: OnError,
}

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = if self.on_error.skips() {
            "passed on unchanged"
        } else {
            "dropped"
        };
        write!(
            f,
            "{} failed {} time{}; {} line{} of the batches it failed on {done}",
            self.label,
            self.count,
            if self.count == 1 { "" } else { "s" },
            self.lines,
            if self.lines == 1 { "" } else { "s" },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_a_typo_lists_them() {
        for name in OnError::NAMES {
            assert_eq!(name.parse::<OnError>().unwrap().to_string(), name);
        }
        assert_eq!(
            "sikp".parse::<OnError>().unwrap_err(),
            "unknown policy \"sikp\"; expected one of: fail, skip, drop, skip-unsafe"
        );
        assert!(OnError::Skip.refuses_boundary_safe());
        assert!(!OnError::SkipUnsafe.refuses_boundary_safe() && OnError::SkipUnsafe.skips());
    }

    #[test]
    fn the_summary_counts_failures_and_lines() {
        let failures = Failures {
            label: "stage 2 (probe)".into(),
            count: 2,
            lines: 1,
            on_error: OnError::Drop,
        };
        assert_eq!(
            failures.to_string(),
            "stage 2 (probe) failed 2 times; 1 line of the batches it failed on dropped"
        );
    }
}
