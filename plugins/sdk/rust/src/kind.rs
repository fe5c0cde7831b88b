//! Field kinds between the contract's [`Kind`] (what plugins use) and the WIT's.

use crate::bindings::sluice::plugin::types;
pub use sluice_contract::Kind;

/// The contract's kind as the WIT's.
pub(crate) fn to_wit(kind: Kind) -> types::Kind {
    match kind {
        Kind::Text => types::Kind::Text,
        Kind::Integer => types::Kind::Integer,
        Kind::Number => types::Kind::Number,
        Kind::Boolean => types::Kind::Boolean,
        Kind::Null => types::Kind::Null,
        Kind::Bytes => types::Kind::Bytes,
    }
}

/// The WIT's kind as the contract's.
pub(crate) fn from_wit(kind: types::Kind) -> Kind {
    match kind {
        types::Kind::Text => Kind::Text,
        types::Kind::Integer => Kind::Integer,
        types::Kind::Number => Kind::Number,
        types::Kind::Boolean => Kind::Boolean,
        types::Kind::Null => Kind::Null,
        types::Kind::Bytes => Kind::Bytes,
    }
}
