//! Turning stage specs into a running chain: find each plugin, load it once, grant what the
//! config asks for, create the stages.

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};
use sluice_host::builtin::{self, BUILTINS};
use sluice_host::chain::Chain;
use sluice_host::runtime::{Plugin, Runtime, Stage};

use crate::spec::{StageSpec, json_kind};

/// The config key through which a stage asks for environment variables. The host reads them
/// (plugins have no access to the environment) and passes (name, value) pairs as grants; the
/// key itself is not passed on.
const ENV_KEY: &str = "env";

/// Loads the plugins and creates one stage per spec, in order.
pub fn build_chain(runtime: &Runtime, specs: &[StageSpec]) -> Result<Chain> {
    let mut plugins: HashMap<&str, Plugin> = HashMap::new();
    let mut stages = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let position = i + 1;
        if !plugins.contains_key(spec.plugin.as_str()) {
            let plugin = load(runtime, spec)
                .map_err(|err| anyhow!("stage {position} ({}): {err:#}", spec.plugin))?;
            plugins.insert(&spec.plugin, plugin);
        }
        let plugin = &plugins[spec.plugin.as_str()];
        let mut config = spec.config.clone();
        let env = take_env_grants(&mut config).map_err(|err| {
            anyhow!(
                "stage {position} ({}): config key `{ENV_KEY}`: {err}",
                spec.plugin
            )
        })?;
        let config = Value::Object(config).to_string();
        stages.push(Stage::new(runtime, plugin, position, &config, env)?);
    }
    Ok(Chain::new(stages))
}

/// Finds and compiles the plugin a spec names.
fn load(runtime: &Runtime, spec: &StageSpec) -> Result<Plugin> {
    if spec.is_path() {
        let bytes = std::fs::read(&spec.plugin).context("cannot read the plugin file")?;
        return runtime.load(&spec.plugin, &bytes);
    }
    match builtin::find(&spec.plugin) {
        Some(builtin) => runtime.load(builtin.name, builtin.component),
        None => bail!("{}", unknown_plugin_message(&spec.plugin)),
    }
}

fn unknown_plugin_message(name: &str) -> String {
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
    let mut message = format!(
        "unknown plugin `{name}`: not a built-in ({}) nor a path to a .wasm file",
        names.join(", ")
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
