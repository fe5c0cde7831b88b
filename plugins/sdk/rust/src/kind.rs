//! Field kinds between the contract's [`Kind`] (what plugins use) and the WIT's, as `From`
//! conversions both ways (public, for code that drives the bindings natively, such as the
//! benchmark's native rows).

use crate::bindings::sluice::plugin::types;
pub use sluice_contract::Kind;

impl From<Kind> for types::Kind {
    fn from(kind: Kind) -> types::Kind {
        match kind {
            Kind::Text => types::Kind::Text,
            Kind::Integer => types::Kind::Integer,
            Kind::Number => types::Kind::Number,
            Kind::Boolean => types::Kind::Boolean,
            Kind::Null => types::Kind::Null,
            Kind::Bytes => types::Kind::Bytes,
        }
    }
}

impl From<types::Kind> for Kind {
    fn from(kind: types::Kind) -> Kind {
        match kind {
            types::Kind::Text => Kind::Text,
            types::Kind::Integer => Kind::Integer,
            types::Kind::Number => Kind::Number,
            types::Kind::Boolean => Kind::Boolean,
            types::Kind::Null => Kind::Null,
            types::Kind::Bytes => Kind::Bytes,
        }
    }
}
