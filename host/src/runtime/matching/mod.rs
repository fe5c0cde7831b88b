//! The `sluice:plugin/matching` interface: regular expressions the host compiles and runs
//! natively over a batch at a time, for plugins whose own (wasm) engines lack SIMD literal
//! search.
//!
//! A tour:
//!
//! - [`search::Search`] is one expression, searched only in time bounded by the line (or not
//!   at all: the line is answered `unknown` and the plugin searches it with its own engine).
//! - [`HostPattern`] is what a plugin's `pattern` handle points at: a search, and the share of
//!   the stage's memory cap it holds ([`MemoryCap::hold`](super::memory_cap::MemoryCap)),
//!   given back when the plugin drops it.
//! - `first` answers a batch: it refuses a call whose answer would be too big or whose `ends`
//!   lie (an empty answer), and stops searching at the stage's call deadline (the rest of the
//!   lines are `unknown`), since the epoch interrupt cannot stop the host's own code.

mod search;

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker, Resource};

use super::StageState;
use super::bindings::sluice::plugin::matching;
pub use search::{Found, Search};
use sluice_contract::matching::{NONE, UNKNOWN};

/// The most lines one `first` call searches (a batch holds 1024 by default).
const MAX_LINES: usize = 64 << 10;

/// The most offsets one answer holds (16 MiB of the host's memory, then of the plugin's).
const MAX_ANSWER: usize = 4 << 20;

/// How often `first` looks at the clock: after this many lines, or this many bytes searched.
const CLOCK_EVERY_LINES: usize = 256;
const CLOCK_EVERY_BYTES: usize = 1 << 20;

/// A compiled expression, as the plugin holds it.
pub struct HostPattern(Search);

impl matching::HostPattern for StageState {
    fn compile(&mut self, expression: String) -> Result<Resource<HostPattern>, String> {
        let search = Search::new(&expression)?;
        let bytes = search.memory_bytes();
        if !self.limits.hold(bytes) {
            return Err(format!(
                "the compiled expression would take {bytes} bytes, past this stage's memory \
                 limit of {} bytes",
                self.limits.limit_bytes()
            ));
        }
        self.wasi
            .table
            .push(HostPattern(search))
            .map_err(|e| e.to_string())
            .inspect_err(|_| self.limits.release(bytes))
    }

    fn groups(&mut self, pattern: Resource<HostPattern>) -> Vec<Option<String>> {
        match self.wasi.table.get(&pattern) {
            Ok(HostPattern(search)) => search.names().to_vec(),
            Err(_) => Vec::new(),
        }
    }

    fn first(
        &mut self,
        pattern: Resource<HostPattern>,
        text: Vec<u8>,
        ends: Vec<u32>,
        groups: u32,
    ) -> Vec<u32> {
        let Ok(HostPattern(search)) = self.wasi.table.get_mut(&pattern) else {
            return Vec::new();
        };
        answer(search, &text, &ends, groups as usize, &|| {
            self.deadline.passed()
        })
    }

    fn drop(&mut self, pattern: Resource<HostPattern>) -> wasmtime::Result<()> {
        let HostPattern(search) = self.wasi.table.delete(pattern)?;
        self.limits.release(search.memory_bytes());
        Ok(())
    }
}

impl matching::Host for StageState {}

/// The answer to `first` (see the WIT): `2 * groups` offsets per line of `text`, or nothing
/// when the call is refused. Once `passed` says the deadline has passed, the lines left are
/// `unknown`.
fn answer(
    search: &mut Search,
    text: &[u8],
    ends: &[u32],
    groups: usize,
    passed: &dyn Fn() -> bool,
) -> Vec<u32> {
    let offsets = ends.len().saturating_mul(groups.saturating_mul(2));
    let ends_hold = ends.is_sorted() && ends.last().is_none_or(|&end| end as usize <= text.len());
    if groups == 0 || ends.len() > MAX_LINES || offsets > MAX_ANSWER || !ends_hold {
        return Vec::new();
    }
    let searched = groups.min(search.group_count());
    let mut out = Vec::with_capacity(offsets);
    let mut start = 0;
    let (mut lines_since_clock, mut bytes_since_clock) = (0, 0);
    let mut late = false;
    for &end in ends {
        let line = &text[start..end as usize];
        start = end as usize;
        lines_since_clock += 1;
        bytes_since_clock += line.len();
        if lines_since_clock >= CLOCK_EVERY_LINES || bytes_since_clock >= CLOCK_EVERY_BYTES {
            late = late || passed();
            (lines_since_clock, bytes_since_clock) = (0, 0);
        }
        let found = if late {
            Found::Unknown
        } else {
            search.first(line, searched)
        };
        match found {
            Found::Nothing => out.extend(std::iter::repeat_n(NONE, 2 * groups)),
            Found::Unknown => {
                out.push(UNKNOWN);
                out.extend(std::iter::repeat_n(NONE, 2 * groups - 1));
            }
            Found::Match(spans) => {
                for span in &spans {
                    match span {
                        Some((s, e)) => out.extend([*s as u32, *e as u32]),
                        None => out.extend([NONE, NONE]),
                    }
                }
                // Groups past the expression's last took no part.
                out.extend(std::iter::repeat_n(NONE, 2 * (groups - spans.len())));
            }
        }
    }
    out
}

/// Provides the matching interface to every component linked with `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<StageState>) -> Result<()> {
    matching::add_to_linker::<StageState, HasSelf<StageState>>(linker, |state| state)?;
    Ok(())
}

#[cfg(test)]
mod tests;
