//! [`Plugin`]: a compiled component and what it says about itself.

use anyhow::{Context, Result, bail};
use wasmtime::component::Component;
use wasmtime::{Engine, Store};

use super::bindings::{self, PluginPre};
use super::store_recipe::StoreRecipe;
use super::{Runtime, StageState};
use crate::error::{Call, Failure, StageError};

/// The version of the plugin contract (`wit/plugin.wit`) this host speaks.
pub const CONTRACT_VERSION: &str = "0.7.0";

/// The interface every plugin exports (without a version).
const TRANSFORM_INTERFACE: &str = "sluice:plugin/transform@";

/// The contract's types-only interface, which every plugin imports (without a version).
const TYPES_INTERFACE: &str = "sluice:plugin/types@";

/// The host's clock interface, which grants the time.
const CLOCK_INTERFACE: &str = "sluice:plugin/clock@";

/// The host's regular expressions (`matching`), which grant nothing but the host's CPU time
/// within the call's deadline, and memory within the stage's cap.
const MATCHING_INTERFACE: &str = "sluice:plugin/matching@";

/// The WASI 0.2 packages the host provides, with nothing granted (see `wasi`).
const WASI_PACKAGES: &[&str] = &[
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:cli/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

/// True when the host provides the interface `import` (a full name with its version).
fn provided(import: &str) -> bool {
    let wasi_0_2 = WASI_PACKAGES
        .iter()
        .any(|package| import.starts_with(package))
        && import
            .split_once('@')
            .is_some_and(|(_, version)| version.starts_with("0.2."));
    import.starts_with(CLOCK_INTERFACE) || import.starts_with(MATCHING_INTERFACE) || wasi_0_2
}

/// What a plugin says about itself (the WIT `info` record), plus what it imports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginInfo {
    /// A short lowercase name, such as `sanitize`.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// One line saying what the plugin does.
    pub summary: String,
    /// The configuration keys it understands.
    pub config_keys: Vec<ConfigKeyInfo>,
    /// True when the plugin must see the whole window of an over-long line before it is cut.
    pub boundary_safe: bool,
    /// How far what the stage keeps between lines reaches (the WIT `state` enum).
    pub state: StateScope,
    /// The interfaces the component imports, other than the contract's types.
    pub imports: Vec<String>,
}

/// How far what a stage keeps between lines reaches, as its plugin declares (the WIT `state`
/// enum): it decides how many instances of the stage the host makes and which lines each sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateScope {
    /// Nothing is kept: each line is handled on its own.
    None,
    /// What is kept belongs to one source: one instance per source, finished when it ends.
    PerSource,
    /// One instance sees every line of every source.
    WholeStream,
}

impl StateScope {
    pub(crate) fn from_wit(state: bindings::State) -> StateScope {
        match state {
            bindings::State::None => StateScope::None,
            bindings::State::PerSource => StateScope::PerSource,
            bindings::State::WholeStream => StateScope::WholeStream,
        }
    }

    /// How `sluice inspect` and `--list-plugins` say it.
    pub fn describe(self) -> &'static str {
        match self {
            StateScope::None => "none (each line on its own: runs on every -j thread)",
            StateScope::PerSource => "per source (one instance per input file)",
            StateScope::WholeStream => "whole stream (one instance sees every file)",
        }
    }
}

/// How far a configured stage's state reaches, and what it can hand to another instance of
/// it (the WIT `reach` record, which the stage gives right after `create`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// How far the state reaches with this configuration.
    pub state: StateScope,
    /// True when instances merge what they counted for the end-of-run report (`tally`,
    /// `absorb`).
    pub tallies: bool,
    /// True when an instance hands what it keeps between lines to another (`carry`, `resume`).
    pub carries: bool,
}

impl Reach {
    pub(crate) fn from_wit(reach: bindings::Reach) -> Reach {
        Reach {
            state: StateScope::from_wit(reach.state),
            tallies: reach.tallies,
            carries: reach.carries,
        }
    }
}

/// One configuration key a plugin understands (the WIT `config-key` record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigKeyInfo {
    /// The key.
    pub name: String,
    /// Its JSON type, in words.
    pub kind: String,
    /// Its default value as JSON, if it has one.
    pub default: Option<String>,
    /// What it does.
    pub doc: String,
}

/// A compiled plugin, ready to be instantiated as any number of stages.
pub struct Plugin {
    /// How the user named it (a built-in's name or a path); used in every message.
    pub(super) origin: String,
    pub(super) pre: PluginPre<StageState>,
    pub(super) info: PluginInfo,
}

impl Plugin {
    /// How the user named the plugin: a built-in's name or the path of its `.wasm` file.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// What the plugin said about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }
}

impl Runtime {
    /// Compiles (or loads from the cache) the component in `bytes` and asks it to describe
    /// itself. `origin` is how the user named it; errors do not repeat it, the caller puts it
    /// in front.
    pub fn load(&self, origin: &str, bytes: &[u8]) -> Result<Plugin> {
        if !bytes.starts_with(b"\0asm") {
            bail!("not a WebAssembly file (it does not start with `\\0asm`)");
        }
        if is_core_module(bytes) {
            bail!(
                "a core wasm module, not a component; make it a component with \
                 `wasm-tools component new`"
            );
        }
        let component = self
            .cache
            .load(&self.engine, bytes)
            .context("not a valid wasm component")?;

        if let Some(version) = exported_contract(&component, &self.engine)
            && version != CONTRACT_VERSION
        {
            bail!(
                "it was built for the plugin contract sluice:plugin@{version}, and this sluice \
                 speaks sluice:plugin@{CONTRACT_VERSION}: rebuild it against this sluice's \
                 wit/plugin.wit (a current SDK, or `sluice new` for a fresh project)"
            );
        }

        // `use types.{…}` in the WIT makes a component import the types-only interface
        // `sluice:plugin/types`; it carries no functions, so it grants nothing. The host
        // provides the clock, matching and WASI 0.2 (see `provided`); anything else is refused
        // here, by name, rather than by the linker's less telling message.
        let imports: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .filter(|name| !name.starts_with(TYPES_INTERFACE))
            .collect();
        let refused: Vec<&String> = imports.iter().filter(|name| !provided(name)).collect();
        if !refused.is_empty() {
            let names: Vec<String> = refused.iter().map(|name| format!("`{name}`")).collect();
            let hint = if refused.iter().any(|name| name.starts_with("wasi:http/")) {
                " (componentize-js adds `wasi:http` unless built with `disableFeatures: \
                 ['http', 'fetch-event']`)"
            } else {
                ""
            };
            bail!(
                "it imports {}; sluice provides plugins only `sluice:plugin/clock`, \
                 `sluice:plugin/matching` and WASI 0.2's io, clocks, random, cli, filesystem \
                 and sockets, with nothing granted{hint}",
                names.join(", ")
            );
        }

        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(PluginPre::new)
            .map_err(anyhow::Error::from)
            .context(format!(
                "not a sluice plugin: it must export \
                     `{TRANSFORM_INTERFACE}{CONTRACT_VERSION}` (see wit/plugin.wit)"
            ))?;

        let mut store = self.new_store(origin, &[]);
        let instance = pre
            .instantiate(&mut store)
            .map_err(anyhow::Error::from)
            .context("failed to start")?;
        let described = instance.sluice_plugin_transform().call_describe(&mut store);
        let info = match described {
            Ok(info) => info,
            // A growth refused at the cap is said as such, naming what grew.
            Err(err) => match store.data_mut().limits.take_hit() {
                Some(grew) => {
                    let limit_bytes = store.data().limits.limit_bytes();
                    let failure = Failure::MemoryCap { limit_bytes, grew };
                    let error = StageError::new(origin, Call::Describe, failure);
                    bail!("{}", error.what());
                }
                None => return Err(anyhow::Error::from(err).context("failed in `describe`")),
            },
        };
        store.data_mut().wasi.settled = true;
        Ok(Plugin {
            origin: origin.to_owned(),
            pre,
            info: PluginInfo::new(info, imports),
        })
    }

    /// A store for the stage `label`, with this runtime's limits, WASI granting the
    /// environment variables `env`, and a deadline set for the first call.
    pub(super) fn new_store(&self, label: &str, env: &[(String, String)]) -> Store<StageState> {
        self.store_recipe().store(label, env)
    }

    /// What it takes to make stores like [`Runtime::new_store`]'s without the runtime.
    pub(super) fn store_recipe(&self) -> StoreRecipe {
        StoreRecipe {
            engine: self.engine.clone(),
            memory_limit: self.options.memory_limit,
            clock: self.clock,
            empty_root: self.empty_root.clone(),
            deadline_ticks: self.deadline_ticks(),
            call_timeout: self.options.call_timeout,
        }
    }
}

impl PluginInfo {
    fn new(info: bindings::Info, imports: Vec<String>) -> PluginInfo {
        PluginInfo {
            name: info.name,
            version: info.version,
            summary: info.summary,
            config_keys: info
                .config_keys
                .into_iter()
                .map(|key| ConfigKeyInfo {
                    name: key.name,
                    kind: key.kind,
                    default: key.default,
                    doc: key.doc,
                })
                .collect(),
            boundary_safe: info.boundary_safe,
            state: StateScope::from_wit(info.state),
            imports,
        }
    }
}

/// The version of the contract a component exports `transform` from, if it exports it at all.
fn exported_contract(component: &Component, engine: &Engine) -> Option<String> {
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| Some(name.strip_prefix(TRANSFORM_INTERFACE)?.to_owned()))
}

/// A core module starts with the preamble `\0asm` version 1; a component with layer 1.
fn is_core_module(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[4..8] == [1, 0, 0, 0]
}

#[cfg(test)]
mod tests {
    use super::provided;

    #[test]
    fn provides_the_clock_matching_and_wasi_0_2_only() {
        for import in [
            "sluice:plugin/clock@0.7.0",
            "sluice:plugin/matching@0.7.0",
            "wasi:cli/environment@0.2.4",
            "wasi:io/streams@0.2.12",
            "wasi:sockets/tcp@0.2.0",
        ] {
            assert!(provided(import), "{import}");
        }
        for import in [
            "wasi:http/types@0.2.4",
            "wasi:cli/environment@0.3.0",
            "wasi:cli/environment",
            "wasi:keyvalue/store@0.2.0",
            "acme:secrets/vault@1.0.0",
        ] {
            assert!(!provided(import), "{import}");
        }
    }
}
