//! `grep`: keeps the lines that match a regex, with lines of context around them, printed as
//! GNU grep prints them (`-A`, `-B`, `-C`, `-v`, `-m`, and the `--` between groups).
//!
//! ```text
//! grep={"expression": "ERROR", "context": 1}      GNU: grep -C 1 ERROR
//! ```
//!
//! The output is GNU grep's, line for line, on the same input: the selected lines (those that
//! match, or with `invert` those that do not), `before` lines before each and `after` lines
//! after it, each line once even where contexts overlap, and `separator` between two groups
//! that do not touch (only when a context key is given, as GNU grep prints `--` only with
//! `-A`, `-B` or `-C`, even `-C 0`). With `max_count`, selection stops after that many lines,
//! but the context after the last one is still printed, matching or not, as GNU grep does.
//!
//! # A tour
//!
//! - [`Grep`] (here) decides each line at its first piece: selected, after-context, pending
//!   (a candidate for the before-context of a later match) or dropped. Whether each line of a
//!   batch matches is asked once per batch of the SDK's `matching::Pattern`: the host searches
//!   the batch natively, with SIMD literal scans wasm lacks, and the plugin's own `regex`
//!   searches what the host leaves to it (the same matches either way).
//! - `before.rs` holds the pending lines. Those of the current batch are only indexes: when a
//!   match comes they are passed through with `keep`, no copy. Those still pending when a batch
//!   ends are copied (at most `before` lines and `max_bytes` bytes) and go out later with
//!   `emit_held`, with their fields, timestamps and terminators restored.
//!
//! # Over-long lines
//!
//! A line longer than the host's maximum arrives in pieces. It counts as one line; its first
//! piece decides whether it is selected, and every piece follows that decision. A pending
//! over-long line held past its batch is held whole, up to `max_bytes`, and goes out as one
//! line with the fields of its last piece; a longer one is let go (it is not printed as
//! context, and a separator marks the gap as for any lines not printed).

mod before;
#[cfg(test)]
mod gnu_tests;
#[cfg(test)]
mod tests;

use before::Before;
use sluice_plugin_sdk::matching::Pattern;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, LongLine, Plugin, Terminator,
    export_plugin,
};

/// By default, the most bytes of before-context held from earlier batches.
const DEFAULT_MAX_BYTES: u64 = 1 << 20;

/// What became of a line (decided at its first piece).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Printed, as a selected line or as after-context.
    Printed,
    /// Not printed yet: it may become before-context.
    Pending,
    /// Never printed.
    Dropped,
}

/// A grep stage.
pub struct Grep {
    /// The expression, searched by the host a batch at a time (see `matching`).
    pattern: Pattern,
    /// Whether each line of the batch in hand matches.
    matched: Vec<bool>,
    /// Select the lines that do *not* match.
    invert: bool,
    /// Lines of context after a selected line.
    after: usize,
    /// Stop selecting after this many lines.
    max_count: Option<u64>,
    /// Printed between groups that do not touch; `None` when disabled or without context.
    separator: Option<Vec<u8>>,
    /// The pending lines: candidates for before-context.
    before: Before,
    /// The number (from 0) of the next line to start; pieces count as one line.
    next_line: u64,
    /// The number of the last line printed.
    last_printed: Option<u64>,
    /// How many lines were selected.
    selected: u64,
    /// How many more lines to print as after-context.
    after_left: usize,
    /// The fate of the over-long line whose pieces are arriving, if any.
    long_line: LongLine<Fate>,
}

impl Grep {
    /// Whether `max_count` lines were selected: only after-context is printed from now on.
    fn done(&self) -> bool {
        self.max_count.is_some_and(|max| self.selected >= max)
    }

    /// Decides line `i` of the batch, numbered `number`, at its (first) piece.
    fn decide(&mut self, lines: &[Line<'_>], i: usize, number: u64, out: &mut BatchOutput) -> Fate {
        let line = &lines[i];
        if !self.done() && self.matched[i] != self.invert {
            self.print_group_start(lines, i, number, out);
            out.keep(line);
            self.last_printed = Some(number);
            self.selected += 1;
            self.after_left = self.after;
            if self.done() {
                self.before.clear();
            }
            return Fate::Printed;
        }
        if self.after_left > 0 {
            self.after_left -= 1;
            out.keep(line);
            self.last_printed = Some(number);
            return Fate::Printed;
        }
        if !self.done() && self.before.push(i) {
            return Fate::Pending;
        }
        Fate::Dropped
    }

    /// Before selected line `i` (numbered `number`): the separator when the group does not
    /// touch the previous one, then the before-context.
    fn print_group_start(
        &mut self,
        lines: &[Line<'_>],
        i: usize,
        number: u64,
        out: &mut BatchOutput,
    ) {
        let first = number - self.before.len() as u64;
        let at = self.before.first_here().unwrap_or(i);
        if let Some(separator) = &self.separator
            && self.last_printed.is_some_and(|last| last + 1 < first)
        {
            // GNU grep ends its separator in `\n` whatever the lines around it end in.
            out.line(&lines[at]).emit_held(separator, Terminator::Lf);
        }
        self.before.print(lines, at, i, out);
    }
}

impl Plugin for Grep {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::PerSource;
    const NAME: &'static str = "grep";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Keep the lines matching a regex, with context before and after, as GNU grep -A/-B/-C";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "expression",
            "string",
            "The regex (required); a line is selected when it matches somewhere.",
        ),
        ConfigKey::new(
            "before",
            "integer",
            "Lines of context to print before each selected line (grep -B).",
        )
        .default("0"),
        ConfigKey::new(
            "after",
            "integer",
            "Lines of context to print after each selected line (grep -A).",
        )
        .default("0"),
        ConfigKey::new(
            "context",
            "integer",
            "Sets both before and after, unless they are given (grep -C).",
        )
        .default("0"),
        ConfigKey::new(
            "invert",
            "bool",
            "Select the lines that do not match (grep -v).",
        )
        .default("false"),
        ConfigKey::new(
            "max_count",
            "integer",
            "Stop selecting after this many lines; the context after the last one is still \
             printed (grep -m). By default, no limit.",
        ),
        ConfigKey::new(
            "separator",
            "string",
            "Printed between groups of lines that do not touch, when a context key is given; \
             null or \"\" prints none (grep --group-separator).",
        )
        .default("\"--\""),
        ConfigKey::new(
            "max_bytes",
            "integer",
            "The most bytes of before-context held from earlier batches; older lines are let go \
             first.",
        )
        .default("1048576"),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let expression = config.required_str("expression")?;
        let pattern = Pattern::new(expression)
            .map_err(|e| ConfigError::new("expression", format!("not a valid regex: {e}")))?;
        let count = |key: &str| -> Result<Option<usize>, ConfigError> {
            Ok(config
                .u64(key)?
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)))
        };
        let context = count("context")?;
        let before = count("before")?.or(context).unwrap_or(0);
        let after = count("after")?.or(context).unwrap_or(0);
        let with_context = ["before", "after", "context"]
            .iter()
            .any(|key| config.contains(key));
        let separator = if config.raw("separator").is_some_and(|v| v.is_null()) {
            None
        } else {
            let text = config.str("separator").map_err(|mut e| {
                e.message.push_str(", or null for no separator");
                e
            })?;
            Some(text.unwrap_or("--").as_bytes().to_vec()).filter(|s| !s.is_empty())
        };
        let max_bytes = match config.u64("max_bytes")?.unwrap_or(DEFAULT_MAX_BYTES) {
            0 => return Err(ConfigError::new("max_bytes", "must be at least 1")),
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        Ok(Grep {
            pattern,
            matched: Vec::new(),
            invert: config.bool("invert")?.unwrap_or(false),
            after,
            max_count: config.u64("max_count")?,
            separator: separator.filter(|_| with_context),
            before: Before::new(before, max_bytes),
            next_line: 0,
            last_printed: None,
            selected: 0,
            after_left: 0,
            long_line: LongLine::new(),
        })
    }

    fn reach(&self) -> sluice_plugin_sdk::Reach {
        // Without context, separator or `max_count`, each line is decided on its own.
        let alone = self.before.holds_nothing()
            && self.after == 0
            && self.separator.is_none()
            && self.max_count.is_none();
        let state = if alone {
            sluice_plugin_sdk::State::None
        } else {
            Self::STATE
        };
        sluice_plugin_sdk::Reach::of(state)
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        if self.done() && self.after_left == 0 && !self.long_line.continues() {
            return Ok(()); // nothing more will ever be printed
        }
        let lines: Vec<Line<'_>> = batch.lines().collect();
        self.matched = self.pattern.matches_in(batch);
        for (i, line) in lines.iter().enumerate() {
            let fate = match self.long_line.decision() {
                // A later piece of an over-long line follows its first piece.
                Some(fate) => {
                    match fate {
                        Fate::Printed => out.keep(line),
                        Fate::Pending => self.before.piece(line),
                        Fate::Dropped => {}
                    }
                    fate
                }
                None => {
                    let number = self.next_line;
                    self.next_line += 1;
                    self.decide(&lines, i, number, out)
                }
            };
            self.long_line.advance(line, fate);
        }
        self.before.carry(&lines);
        Ok(())
    }
}

export_plugin!(Grep);
