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
        name: "luhn",
        component: include_bytes!("../../plugins/dist/luhn.wasm"),
    },
    Builtin {
        name: "regex",
        component: include_bytes!("../../plugins/dist/regex.wasm"),
    },
    Builtin {
        name: "replace",
        component: include_bytes!("../../plugins/dist/replace.wasm"),
    },
    Builtin {
        name: "json",
        component: include_bytes!("../../plugins/dist/json.wasm"),
    },
    Builtin {
        name: "logfmt",
        component: include_bytes!("../../plugins/dist/logfmt.wasm"),
    },
    Builtin {
        name: "pattern",
        component: include_bytes!("../../plugins/dist/pattern.wasm"),
    },
    Builtin {
        name: "cri",
        component: include_bytes!("../../plugins/dist/cri.wasm"),
    },
    Builtin {
        name: "docker",
        component: include_bytes!("../../plugins/dist/docker.wasm"),
    },
    Builtin {
        name: "timestamp",
        component: include_bytes!("../../plugins/dist/timestamp.wasm"),
    },
    Builtin {
        name: "fields",
        component: include_bytes!("../../plugins/dist/fields.wasm"),
    },
    Builtin {
        name: "template",
        component: include_bytes!("../../plugins/dist/template.wasm"),
    },
    Builtin {
        name: "output",
        component: include_bytes!("../../plugins/dist/output.wasm"),
    },
    Builtin {
        name: "prefix",
        component: include_bytes!("../../plugins/dist/prefix.wasm"),
    },
    Builtin {
        name: "decolorize",
        component: include_bytes!("../../plugins/dist/decolorize.wasm"),
    },
    Builtin {
        name: "truncate",
        component: include_bytes!("../../plugins/dist/truncate.wasm"),
    },
    Builtin {
        name: "pack",
        component: include_bytes!("../../plugins/dist/pack.wasm"),
    },
    Builtin {
        name: "drop",
        component: include_bytes!("../../plugins/dist/drop.wasm"),
    },
    Builtin {
        name: "sampling",
        component: include_bytes!("../../plugins/dist/sampling.wasm"),
    },
    Builtin {
        name: "limit",
        component: include_bytes!("../../plugins/dist/limit.wasm"),
    },
    Builtin {
        name: "multiline",
        component: include_bytes!("../../plugins/dist/multiline.wasm"),
    },
    Builtin {
        name: "grep",
        component: include_bytes!("../../plugins/dist/grep.wasm"),
    },
    Builtin {
        name: "tail",
        component: include_bytes!("../../plugins/dist/tail.wasm"),
    },
    Builtin {
        name: "outcome",
        component: include_bytes!("../../plugins/dist/outcome.wasm"),
    },
    Builtin {
        name: "aggregate",
        component: include_bytes!("../../plugins/dist/aggregate.wasm"),
    },
    Builtin {
        name: "metrics",
        component: include_bytes!("../../plugins/dist/metrics.wasm"),
    },
];

/// The built-in plugin called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|builtin| builtin.name == name)
}
