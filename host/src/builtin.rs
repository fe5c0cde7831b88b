//! The built-in plugins: components built from `plugins/` by `plugins/build`, committed under
//! `plugins/dist/` and embedded here, so that sluice needs no wasm toolchain to build or run.

/// A built-in plugin: its name (what `-p NAME` selects) and its component's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub component: &'static [u8],
}

/// Every built-in plugin, in the order `--list-plugins` shows them.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "sanitize",
        component: include_bytes!("../../plugins/dist/sanitize.wasm"),
    },
    Builtin {
        name: "regex",
        component: include_bytes!("../../plugins/dist/regex.wasm"),
    },
    Builtin {
        name: "pack",
        component: include_bytes!("../../plugins/dist/pack.wasm"),
    },
];

/// The built-in plugin called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|builtin| builtin.name == name)
}
