//! Host bindings generated from `wit/plugin.wit` (world `plugin`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    with: {
        "sluice:plugin/matching.pattern": super::matching::HostPattern,
    },
});

pub use sluice::plugin::types::{
    Batch, Emitted, Failed, Fields, Grants, Info, Kind, Reach, State, Terminator, Wake,
};
