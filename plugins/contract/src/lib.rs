//! The rules of the sluice plugin contract (`wit/plugin.wit`), in one place.
//!
//! The host checks every answer a plugin gives and resolves it into the next batch; the Rust
//! guest SDK checks every batch the host sends, and its native test harness checks and
//! resolves a plugin's answers as the host would. All three use this crate, so that a plugin
//! that passes its native tests cannot be rejected by the host, and a batch the host sends
//! cannot be rejected by the SDK. It has no dependencies and builds for `wasm32-unknown-unknown`.
//! It lives in the plugins workspace (`plugins/contract/`), which the host depends on by path:
//! cargo hashes a path dependency outside its workspace by absolute path, which would make the
//! committed plugin builds depend on where the repository was cloned.
//!
//! # A tour
//!
//! - The views, [`BatchView`], [`OutputView`], [`EmittedView`] and [`FieldsView`], are the WIT
//!   records as borrowed slices. The host and the SDK keep their own types and lend their
//!   vectors; building a view costs nothing.
//! - [`check_batch`], [`check_output`] (against the input's line count), [`check_emitted`],
//!   and the parts they share, [`check_fields`] and [`check_timestamps`], say whether a record
//!   keeps the rules, and if not, return the first [`Violation`]: one variant per broken rule,
//!   with the indexes and values at fault, whose `Display` is the sentence the host prints
//!   after `malformed output: `. Terminators and sources are checked by generic functions
//!   ([`check_batch_terminators`], [`check_line_entries`]), since the host and the SDK each
//!   have their own terminator type; the views hold only what every rule can read as plain
//!   slices.
//! - [`resolve`] turns a checked answer into lines: bytes, how each line ends ([`resolve::End`],
//!   as terminators are the host's business), partial marks, fields and timestamps. It walks
//!   everything with cursors and allocates nothing per line: the host's line path runs
//!   through it.
//!
//! # Decisions where the WIT and the old copies disagreed
//!
//! Before this crate, the host, the SDK's `Batch::new` and its test harness each had a copy
//! of the rules, and they had drifted. Each difference is decided by what the WIT documents:
//!
//! - **A key set twice on one line** is allowed in every table a plugin returns, and the later
//!   value wins (the WIT: "when a plugin sets a key twice on one line, the later value wins").
//!   The harness used to reject it. The host resolves emitted lines' fields the same way
//!   ([`resolve::emitted_fields`]).
//! - **The last `value-ends` entry is `len(values)`**, required of the host and of plugins
//!   (the WIT: "its last entry is `len(values)`", among the "invariants the host guarantees and
//!   requires back"); without entries, `values` is empty. The host used to check bounds only.
//! - **`names` are distinct** in every fields table (the WIT: "the distinct keys used in this
//!   table"). The harness checked it, the host did not; every SDK interns its names. Within a
//!   table, equal keys are then equal indexes, which [`resolve`] relies on. A name no entry
//!   uses is allowed.
//! - **The ends of an `output` or `emitted`** must not decrease nor pass `len(data)`, and
//!   nothing more: the WIT does not say the last one is `len(data)`, and unused bytes after it
//!   are harmless (the host reads only the ranges). The harness used to require equality.
//! - **The ends of a `batch`** must end at `len(data)`: a batch's `data` is "the lines' bytes
//!   back to back", the host builds it so, and the SDK hands it whole to plugins (a plugin
//!   scanning it must not find bytes that belong to no line). A batch's data and line count
//!   must also fit `u32` offsets.
//! - **`removed`** is by non-decreasing output line (the WIT: "by ascending `j`", with one
//!   entry per key, so a line may lose several keys); a key the line does not have is not an
//!   error. The host and the harness agreed.
//! - **`timestamps`** hold at most one entry per line, by strictly ascending line, in a batch,
//!   an output and emitted lines alike. The three copies agreed.
//! - **A key twice on one line of a batch** is not looked for by [`check_batch`]: the host
//!   never sends one (it resolves every answer first), and looking would cost a comparison
//!   per pair of fields on every line, in the plugin's hot path.
//! - **Field order** after resolution is the host's: the inherited fields that stay, in the
//!   input's order, then the ones set, in the order set. The harness used to keep a replaced
//!   key at its inherited place.

#![warn(missing_docs)]

mod check;
mod fields;
mod kind;
pub mod matching;
pub mod resolve;
mod view;
mod violation;

pub use check::{
    check_batch, check_batch_terminators, check_emitted, check_line_entries, check_output,
    check_timestamps,
};
pub use fields::check_fields;
pub use kind::{Kind, check_kinds};
pub use view::{BatchView, EmittedView, FieldsView, OutputView};
pub use violation::{LineList, Violation};
