//! Stage specifications: what `-p SPEC` and the `[[stage]]` tables of a pipeline file say.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde_json::{Map, Value};

/// One node of a chain as the user wrote it: a stage, or a `match` with nested nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeSpec {
    /// A plugin stage.
    Stage(StageSpec),
    /// Nodes that run only on the lines `selector` picks.
    Match {
        /// The selector, in LogQL's syntax (see `sluice_host::selector`).
        selector: String,
        /// The nested nodes.
        nodes: Vec<NodeSpec>,
    },
}

/// One stage as the user wrote it, before its plugin is loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct StageSpec {
    /// A built-in plugin's name, or a path to a `.wasm` component.
    pub plugin: String,
    /// The stage's config, a JSON object.
    pub config: Map<String, Value>,
}

impl StageSpec {
    /// Parses `-p SPEC`: `NAME`, `PATH`, `NAME=JSON` or `PATH=JSON`.
    ///
    /// The spec is split at the first `=`, unless the whole spec names an existing file (a path
    /// may contain `=`).
    pub fn parse(spec: &str) -> Result<StageSpec> {
        let (plugin, config) = match spec.split_once('=') {
            Some(_) if Path::new(spec).is_file() => (spec, None),
            Some((plugin, config)) => (plugin, Some(config)),
            None => (spec, None),
        };
        if plugin.is_empty() {
            bail!("-p `{spec}`: no plugin named before `=`");
        }
        let config = match config {
            None => Map::new(),
            Some(text) => {
                parse_config_object(text).map_err(|why| anyhow!("-p {plugin}: config {why}"))?
            }
        };
        Ok(StageSpec {
            plugin: plugin.to_owned(),
            config,
        })
    }

    /// True when `plugin` is a path rather than a built-in's name.
    pub fn is_path(&self) -> bool {
        is_path(&self.plugin)
    }
}

/// A plugin reference is a path when it has a separator or ends in `.wasm`.
pub fn is_path(plugin: &str) -> bool {
    plugin.contains('/') || plugin.contains(std::path::MAIN_SEPARATOR) || plugin.ends_with(".wasm")
}

fn parse_config_object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!(
            "must be a JSON object like {{\"key\": \"value\"}}, got {}",
            json_kind(&other)
        )),
        Err(err) => Err(format!("is not valid JSON: {err}")),
    }
}

/// "a string", "a list", ... for messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_only() {
        let spec = StageSpec::parse("sanitize").unwrap();
        assert_eq!(spec.plugin, "sanitize");
        assert!(spec.config.is_empty());
        assert!(!spec.is_path());
    }

    #[test]
    fn name_with_config() {
        let spec = StageSpec::parse(r#"regex={"expression":"a=(?P<a>\\w+)"}"#).unwrap();
        assert_eq!(spec.plugin, "regex");
        assert_eq!(spec.config["expression"], r"a=(?P<a>\w+)");
    }

    #[test]
    fn path_with_config() {
        let spec = StageSpec::parse(r#"./my.wasm={"x":1}"#).unwrap();
        assert_eq!(spec.plugin, "./my.wasm");
        assert!(spec.is_path());
    }

    #[test]
    fn config_that_is_not_json() {
        let err = StageSpec::parse("regex={expression: x}").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("-p regex: config is not valid JSON"),
            "{err}"
        );
    }

    #[test]
    fn config_that_is_not_an_object() {
        let err = StageSpec::parse("regex=[1]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "-p regex: config must be a JSON object like {\"key\": \"value\"}, got a list"
        );
    }

    #[test]
    fn empty_name() {
        assert!(StageSpec::parse("={}").is_err());
    }
}
