//! Turning stage specs into a running chain: find each plugin, load it once, grant what the
//! config asks for, create the stages, parse `match` selectors.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::IsTerminal;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};
use sluice_host::{
    BUILTINS, Chain, Match, Node, OnError, Plugin, Runtime, Selector, Settings, Stage, StageGrants,
};

use crate::spec::{NodeSpec, StageSpec, json_kind};

/// The config key through which a stage asks for environment variables. The host reads them
/// (plugins have no access to the environment) and passes (name, value) pairs as grants; the
/// key itself is not passed on.
const ENV_KEY: &str = "env";

/// The config key naming where a stage's reports go: a path or `stderr`. The host writes
/// them (plugins have no files); the key is passed to the plugin as a grant, not as config.
const REPORT_KEY: &str = "report";

/// The config key of a stage's failure policy (`fail`, `skip`, `drop`, `skip-unsafe`), for the
/// host; the key is not passed on.
const ON_ERROR_KEY: &str = "on_error";

/// How the chain's stages are made: the runtime, the settings and the failure policy of the
/// stages that do not set their own.
pub struct Making<'a> {
    pub runtime: &'a Runtime,
    pub settings: &'a Settings,
    pub on_error: OnError,
}

/// Loads the plugins and creates the chain's nodes, in order. Plugins not compiled yet are
/// compiled first, side by side; on a terminal, one line on stderr says so while it lasts.
pub fn build_chain(making: &Making<'_>, specs: &[NodeSpec]) -> Result<Chain> {
    let mut plugins = load_ahead(making.runtime, specs);
    build_nodes(making, specs, "", &mut plugins)
}

/// Reads each plugin of `specs` once, compiles those the cache does not hold yet side by side,
/// and loads them all, by the name the specs give them. A first run otherwise pauses for
/// seconds without a word (Cranelift takes about 1.5 s for `sanitize`); on a terminal, stderr
/// says what is being compiled, and the line goes once it is done. A load that failed is kept
/// as its error, for the stage that names the plugin to report ([`build_stage`]); a plugin that
/// cannot be read is left to that stage's own load.
fn load_ahead(runtime: &Runtime, specs: &[NodeSpec]) -> HashMap<String, Result<Plugin>> {
    // (the name the specs give it, its origin in messages, its bytes)
    let mut wanted: Vec<(&str, &str, Cow<'static, [u8]>)> = Vec::new();
    each_stage(specs, &mut |spec| {
        if wanted.iter().any(|&(name, _, _)| name == spec.plugin) {
            return;
        }
        let found = if spec.is_path() {
            let bytes = std::fs::read(&spec.plugin).ok().map(Cow::Owned);
            bytes.map(|bytes| (spec.plugin.as_str(), bytes))
        } else {
            sluice_host::find_builtin(&spec.plugin).map(|b| (b.name, Cow::Borrowed(b.component)))
        };
        if let Some((origin, bytes)) = found {
            wanted.push((&spec.plugin, origin, bytes));
        }
    });
    let components: Vec<(&str, &[u8])> = wanted
        .iter()
        .map(|(name, _, bytes)| (*name, bytes.as_ref()))
        .collect();
    let terminal = std::io::stderr().is_terminal();
    let mut said = false;
    runtime.compile_ahead(&components, |names| {
        if terminal {
            eprint!("sluice: compiling {} (first run only)…", names.join(", "));
            said = true;
        }
    });
    if said {
        // Back to the start of the line, and clear it.
        eprint!("\r\x1b[2K");
    }
    wanted
        .iter()
        .map(|(name, origin, bytes)| (name.to_string(), runtime.load(origin, bytes)))
        .collect()
}

/// Calls `f` on every stage of `specs`, nested ones included, in order.
fn each_stage<'a>(specs: &'a [NodeSpec], f: &mut dyn FnMut(&'a StageSpec)) {
    for spec in specs {
        match spec {
            NodeSpec::Stage(stage) => f(stage),
            NodeSpec::Match { nodes, .. } => each_stage(nodes, f),
        }
    }
}

fn build_nodes(
    making: &Making<'_>,
    specs: &[NodeSpec],
    prefix: &str,
    plugins: &mut HashMap<String, Result<Plugin>>,
) -> Result<Chain> {
    let mut nodes = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let position = format!("{prefix}{}", i + 1);
        match spec {
            NodeSpec::Stage(spec) => {
                nodes.push(Node::Stage(build_stage(making, spec, &position, plugins)?));
            }
            NodeSpec::Match {
                selector,
                nodes: nested,
            } => {
                let selector = Selector::parse(selector)
                    .map_err(|err| anyhow!("stage {position} (match): selector: {err}"))?;
                let chain = build_nodes(making, nested, &format!("{position}."), plugins)?;
                nodes.push(Node::Match(Match::new(selector, chain)));
            }
        }
    }
    Ok(Chain::new(nodes))
}

fn build_stage(
    making: &Making<'_>,
    spec: &StageSpec,
    position: &str,
    plugins: &mut HashMap<String, Result<Plugin>>,
) -> Result<Stage> {
    let plugin = plugins
        .entry(spec.plugin.clone())
        .or_insert_with(|| load(making.runtime, spec))
        .as_ref()
        .map_err(|err| anyhow!("stage {position} ({}): {err:#}", spec.plugin))?;
    let mut config = spec.config.clone();
    let env = take_env_grants(&mut config).map_err(|err| {
        anyhow!(
            "stage {position} ({}): config key `{ENV_KEY}`: {err}",
            spec.plugin
        )
    })?;
    let report = take_report(&mut config).map_err(|err| {
        anyhow!(
            "stage {position} ({}): config key `{REPORT_KEY}`: {err}",
            spec.plugin
        )
    })?;
    let on_error = take_on_error(&mut config)
        .map_err(|err| {
            anyhow!(
                "stage {position} ({}): config key `{ON_ERROR_KEY}`: {err}",
                spec.plugin
            )
        })?
        .unwrap_or(making.on_error);
    let config = Value::Object(config).to_string();
    let grants = StageGrants { env, report };
    let mut stage = Stage::new(
        making.runtime,
        plugin,
        position,
        &config,
        grants,
        making.settings,
    )?;
    if stage.info().boundary_safe && on_error.refuses_boundary_safe() {
        bail!(
            "stage {position} ({}): on_error `skip` would pass the batches it fails on \
             unredacted: it is boundary-safe (a redactor); give it `\"on_error\": \"drop\"`, \
             or `\"on_error\": \"skip-unsafe\"` to accept that",
            spec.plugin
        );
    }
    stage.set_on_error(on_error);
    Ok(stage)
}

/// Removes the `on_error` key from a stage's config: its failure policy, if it sets one.
fn take_on_error(config: &mut Map<String, Value>) -> Result<Option<OnError>, String> {
    match config.remove(ON_ERROR_KEY) {
        None => Ok(None),
        Some(Value::String(policy)) => policy.parse().map(Some),
        Some(other) => Err(format!(
            "expected one of {}, got {}",
            OnError::NAMES.join(", "),
            json_kind(&other)
        )),
    }
}

/// Finds and compiles the plugin a spec names.
pub fn load(runtime: &Runtime, spec: &StageSpec) -> Result<Plugin> {
    if spec.is_path() {
        let bytes = std::fs::read(&spec.plugin).context("cannot read the plugin file")?;
        return runtime.load(&spec.plugin, &bytes);
    }
    match sluice_host::find_builtin(&spec.plugin) {
        Some(builtin) => runtime.load(builtin.name, builtin.component),
        None => bail!("{}", unknown_plugin_message(&spec.plugin)),
    }
}

/// Removes the `report` key from a stage's config: where its reports go.
fn take_report(config: &mut Map<String, Value>) -> Result<Option<String>, String> {
    match config.remove(REPORT_KEY) {
        None => Ok(None),
        Some(Value::String(target)) if !target.is_empty() => Ok(Some(target)),
        Some(other) => Err(format!(
            "expected a file path or \"stderr\", got {}",
            json_kind(&other)
        )),
    }
}

fn unknown_plugin_message(name: &str) -> String {
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
    let mut message = format!(
        "unknown plugin `{name}`: not a built-in (`sluice --list-plugins` lists them) nor a \
         path to a .wasm file"
    );
    if let Some(close) = names.iter().find(|n| strsim::levenshtein(n, name) <= 2) {
        message.push_str(&format!("; did you mean `{close}`?"));
    }
    message
}

/// Removes the `env` key from a stage's config and reads the variables it names.
fn take_env_grants(config: &mut Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    let Some(names) = config.remove(ENV_KEY) else {
        return Ok(Vec::new());
    };
    let Value::Array(names) = names else {
        return Err(format!(
            "expected a list of environment variable names, got {}",
            json_kind(&names)
        ));
    };
    let mut grants = Vec::with_capacity(names.len());
    for name in names {
        let Value::String(name) = name else {
            return Err(format!(
                "expected a list of environment variable names, found {} in it",
                json_kind(&name)
            ));
        };
        match std::env::var(&name) {
            Ok(value) => grants.push((name, value)),
            Err(std::env::VarError::NotPresent) => {
                return Err(format!("environment variable `{name}` is not set"));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!("environment variable `{name}` is not valid UTF-8"));
            }
        }
    }
    Ok(grants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_for_a_typo() {
        assert!(unknown_plugin_message("sanitise").ends_with("did you mean `sanitize`?"));
        assert!(!unknown_plugin_message("frobnicate").contains("did you mean"));
    }

    #[test]
    fn env_key_must_be_a_list_of_names() {
        let mut config: Map<String, Value> = serde_json::from_str(r#"{"env": "X"}"#).unwrap();
        assert_eq!(
            take_env_grants(&mut config).unwrap_err(),
            "expected a list of environment variable names, got a string"
        );
    }

    #[test]
    fn env_key_is_removed_and_read() {
        let mut config: Map<String, Value> =
            serde_json::from_str(r#"{"env": ["PATH"], "replacement": "x"}"#).unwrap();
        let grants = take_env_grants(&mut config).unwrap();
        assert!(!config.contains_key("env"));
        assert_eq!(grants[0].0, "PATH");
    }

    #[test]
    fn unset_env_variable() {
        let mut config: Map<String, Value> =
            serde_json::from_str(r#"{"env": ["SLUICE_TEST_SURELY_UNSET"]}"#).unwrap();
        assert_eq!(
            take_env_grants(&mut config).unwrap_err(),
            "environment variable `SLUICE_TEST_SURELY_UNSET` is not set"
        );
    }
}
