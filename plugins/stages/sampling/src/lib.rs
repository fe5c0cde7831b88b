//! `sampling`: keeps a fraction of the lines, deterministically, as Loki's `sampling` stage
//! does (but reproducibly: the same input and configuration always keep the same lines).
//!
//! Configuration:
//!
//! | key | meaning |
//! |---|---|
//! | `rate` | required. The fraction of lines kept, from 0 (none) to 1 (all). |
//! | `seed` | a non-negative integer that picks which lines are kept. By default, 0. |
//! | `by` | what the decision depends on: `position` (by default: a seeded pseudo-random draw per line, so the same input in the same order keeps the same lines), `line` (a seeded hash of the line's bytes: equal lines are kept or dropped together, wherever and in whichever run they appear) or `field` (a seeded hash of the `source` field's value: all the lines of one trace or request are kept or dropped together). |
//! | `source` | the field hashed when `by` is `field`. Lines without it are kept. |
//!
//! # How lines are picked
//!
//! Each line gets a 64-bit number ([`Draw`]): the next output of a SplitMix64 generator seeded
//! with `seed` (`by: position`), or a seeded hash of its bytes ([`hash`]). The line is kept when
//! the number is below `rate × 2⁶⁴`. Both are fixed functions of the input and the seed, the
//! same natively and in wasm, so two sluice instances given the same `seed` and `by: line` or
//! `by: field` make the same decisions without talking to each other.
//!
//! # Over-long lines
//!
//! The stage is not boundary-safe: a line longer than the host's maximum arrives in pieces. The
//! first piece decides for the whole line (one draw, or the hash of the first piece's bytes),
//! and every piece is kept or dropped with it. With `by: field` the first piece usually has no
//! fields (a line's fields belong to its last piece), so such a line is kept.

mod draw;

pub use draw::{Draw, hash};
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, LongLine, Output, Plugin, export_plugin,
};

/// A sampling stage.
pub struct Sampling {
    draw: Draw,
    /// A line is kept when its number is below this (`rate × 2⁶⁴`; `2⁶⁴` keeps every line).
    threshold: u128,
    /// While the pieces of an over-long line arrive: whether its first piece was kept.
    long_line: LongLine<bool>,
}

impl Sampling {
    /// Whether `line` is kept (for the first piece of an over-long line: the whole line).
    fn decide(&mut self, line: &Line<'_>) -> bool {
        match self.draw.number(line) {
            Some(n) => u128::from(n) < self.threshold,
            None => true,
        }
    }
}

impl Plugin for Sampling {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "sampling";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Keep a fraction of the lines, deterministically (by position, line or field hash)";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "rate",
            "number",
            "The fraction of lines kept, from 0 (none) to 1 (all) (required).",
        ),
        ConfigKey::new(
            "seed",
            "integer",
            "Picks which lines are kept; the same seed and input keep the same lines.",
        )
        .default("0"),
        ConfigKey::new(
            "by",
            "string",
            "position (a seeded draw per line), line (a hash of the line's bytes: equal lines \
             share a fate) or field (a hash of the `source` field's value).",
        )
        .default("\"position\""),
        ConfigKey::new(
            "source",
            "string",
            "The field hashed when `by` is field; lines without it are kept.",
        ),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let rate = config
            .f64("rate")?
            .ok_or_else(|| ConfigError::new("rate", "is required (a number from 0 to 1)"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(ConfigError::new(
                "rate",
                format!("must be from 0 to 1 (0.1 keeps 10% of the lines), got {rate}"),
            ));
        }
        let seed = config.u64("seed")?.unwrap_or(0);
        let source = config.str("source")?;
        let by = config.one_of("by", &["position", "line", "field"])?;
        let draw = match (by, source) {
            (None | Some("field"), Some(field)) => Draw::field(seed, field),
            (Some("field"), None) => {
                return Err(ConfigError::new(
                    "source",
                    "is required when \"by\" is \"field\": name the field to hash",
                ));
            }
            (Some(other), Some(_)) => {
                return Err(ConfigError::new(
                    "source",
                    format!(
                        "only applies when \"by\" is \"field\", but it is {other:?}; remove \
                         \"source\" or set \"by\" to \"field\""
                    ),
                ));
            }
            (Some("line"), None) => Draw::line(seed),
            _ => Draw::position(seed),
        };
        // `rate × 2⁶⁴`, exact at both ends: 0 keeps nothing, 1 keeps everything.
        let threshold = (rate * 18_446_744_073_709_551_616.0) as u128;
        Ok(Sampling {
            draw,
            threshold,
            long_line: LongLine::new(),
        })
    }

    fn reach(&self) -> sluice_plugin_sdk::Reach {
        // A draw by position counts the lines of the whole stream; a hash depends on the line
        // alone.
        let state = match self.draw {
            Draw::Position { .. } => Self::STATE,
            _ => sluice_plugin_sdk::State::None,
        };
        sluice_plugin_sdk::Reach::of(state)
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let keep = match self.long_line.decision() {
            Some(keep) => keep,
            None => self.decide(line),
        };
        self.long_line.advance(line, keep);
        if keep {
            out.keep();
        }
    }
}

export_plugin!(Sampling);

#[cfg(test)]
mod tests;
