//! Host bindings generated from `wit/plugin.wit` (world `plugin`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
});

pub use sluice::plugin::types::{
    Batch, Emitted, Failed, Fields, Grants, Info, Kind, Reach, State, Terminator, Wake,
};
