//! The offsets `matching`'s `first` answers with, besides positions in a line (see the WIT).

/// Both offsets of a group that took no part in the match, or of a line without a match.
pub const NONE: u32 = u32::MAX;

/// The first offset of a line the host did not search: the plugin must.
pub const UNKNOWN: u32 = u32::MAX - 1;
