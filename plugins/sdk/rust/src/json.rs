//! JSON for plugins that read it (a line, a field) or write it (a packed line, a report, a
//! table row), without building a tree and without allocating per line.
//!
//! A tour:
//!
//! - [`write_string`] and [`escape`] write bytes as a JSON string (or its contents) with the
//!   host's escaping (`--output json`): `"` and `\` escaped, `\n` `\r` `\t` as such, every
//!   other control byte and DEL as `\u00XX`, valid UTF-8 kept, and each byte that is not UTF-8
//!   as the text `\xNN` (written `\\xNN`), so the output is always valid JSON and no byte is
//!   lost. They are table-driven and eight bytes at a time (`write.rs`), fast enough for
//!   `pack`, which escapes every line. [`PieceEscaper`] does the same for the pieces of an
//!   over-long line, carrying a character a cut splits over to the next piece.
//! - [`Scanner`] is a cursor over a JSON document for parsers that look for a few members:
//!   strings (their contents' span, still escaped), numbers, literals, whitespace, and
//!   [`Scanner::skip_value`] for the values nobody asked for. It is RFC 8259's grammar, strictly,
//!   except that bytes that are not UTF-8 are accepted inside strings; an error says where
//!   and what was expected ([`Invalid`]).
//! - [`unescape`] turns a string's contents, as the scanner found them, into its bytes.

mod scan;
mod unescape;
mod write;

pub use scan::{Invalid, MAX_DEPTH, Scanner, StringSpan};
pub use unescape::unescape;
pub use write::{PieceEscaper, escape, write_string};
