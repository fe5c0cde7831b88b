//! The TOML pipeline file (`--config FILE`).
//!
//! ```toml
//! [[stage]]
//! plugin = "sanitize"
//! literals = ["hunter2"]
//!
//! [[stage]]
//! plugin = "regex"
//! expression = 'level=(?P<level>\w+)'
//! ```
//!
//! Each `[[stage]]` table is one stage, in order: `plugin` names a built-in or a `.wasm`
//! path (relative paths are relative to the pipeline file), every other key is the stage's
//! config, passed to the plugin as JSON.
//!
//! A `[sink]` table ships the lines to a receiver instead of standard output
//! ([`crate::sink_table`]).
//!
//! A table with `match` instead of `plugin` runs nested stages only on the lines its selector
//! picks (LogQL's syntax: `{field="value", other=~"re.*"} |= "text"`); the others pass it by
//! unchanged. Its stages are `[[stage.stages]]` tables, which may nest again:
//!
//! ```toml
//! [[stage]]
//! match = '{app="api"} |= "error"'
//!
//!   [[stage.stages]]
//!   plugin = "regex"
//!   expression = 'code=(?P<code>\d+)'
//! ```

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};

use crate::sink_table::{self, SinkTable};
use crate::spec::{NodeSpec, StageSpec, is_path};

/// What a pipeline file holds.
#[derive(Debug, Default)]
pub struct PipelineFile {
    /// Its `[[stage]]` tables, in order.
    pub stages: Vec<NodeSpec>,
    /// Its `[sink]` table, if any.
    pub sink: Option<SinkTable>,
}

/// Reads the pipeline file at `path`.
pub fn read(path: &Path) -> Result<PipelineFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the pipeline file {}", path.display()))?;
    parse(&text, path)
}

/// The word of `known` that `key` looks like a slip of (at most two edits away), if any.
pub(crate) fn near_miss<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .find(|word| strsim::levenshtein(word, key) <= 2)
        .copied()
}

/// Parses a pipeline file's text; `path` names it in messages and anchors relative plugin
/// paths.
pub fn parse(text: &str, path: &Path) -> Result<PipelineFile> {
    let shown = path.display();
    let table: toml::Table = toml::from_str(text).map_err(|err| {
        // toml's message spans several lines (it quotes the source); keep the first.
        let message = err.message();
        match err.span() {
            Some(span) => {
                let line = text[..span.start].matches('\n').count() + 1;
                anyhow!("{shown}:{line}: {message}")
            }
            None => anyhow!("{shown}: {message}"),
        }
    })?;
    if let Some(key) = table.keys().find(|key| *key != "stage" && *key != "sink") {
        let hint = match near_miss(key, &["stage", "sink"]) {
            Some("stage") => " (did you mean [[stage]]?)",
            Some(_) => " (did you mean [sink]?)",
            None => "",
        };
        bail!(
            "{shown}: unknown key `{key}`; a pipeline file holds [[stage]] tables and a [sink] \
             table{hint}"
        );
    }
    let sink = table
        .get("sink")
        .map(|sink| sink_table::parse(sink, &shown.to_string()))
        .transpose()?;
    let stages = match table.get("stage") {
        None => Vec::new(),
        Some(toml::Value::Array(stages)) => {
            let base = path.parent().unwrap_or(Path::new(""));
            nodes(stages, &shown.to_string(), "", base)?
        }
        Some(_) => bail!("{shown}: `stage` must be written as [[stage]] tables"),
    };
    Ok(PipelineFile { stages, sink })
}

/// The nodes of a `stage` (or `stages`) array; `prefix` numbers nested stages (`3.`).
fn nodes(stages: &[toml::Value], shown: &str, prefix: &str, base: &Path) -> Result<Vec<NodeSpec>> {
    stages
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let n = format!("{prefix}{}", i + 1);
            let toml::Value::Table(stage) = stage else {
                bail!("{shown}: stage {n} must be a table");
            };
            if let Some(selector) = stage.get("match") {
                let toml::Value::String(selector) = selector else {
                    bail!("{shown}: stage {n}: `match` must be a selector string such as '{{level=\"error\"}}'");
                };
                if let Some(key) = stage.keys().find(|k| *k != "match" && *k != "stages") {
                    let hint = near_miss(key, &["stages"])
                        .map(|_| "; did you mean [[stage.stages]]?")
                        .unwrap_or_default();
                    bail!("{shown}: stage {n}: unknown key `{key}` in a match stage (it takes `match` and [[stage.stages]]){hint}");
                }
                let nested = match stage.get("stages") {
                    Some(toml::Value::Array(nested)) if !nested.is_empty() => nested,
                    _ => bail!("{shown}: stage {n}: a match stage needs its stages as [[stage.stages]] tables"),
                };
                return Ok(NodeSpec::Match {
                    selector: selector.clone(),
                    nodes: nodes(nested, shown, &format!("{n}."), base)?,
                });
            }
            let plugin = match stage.get("plugin") {
                Some(toml::Value::String(plugin)) if !plugin.is_empty() => plugin,
                Some(_) => {
                    bail!("{shown}: stage {n}: `plugin` must be a built-in's name or a path")
                }
                None => {
                    let hint = stage
                        .keys()
                        .find_map(|key| near_miss(key, &["plugin", "match"]).map(|k| (key, k)))
                        .map(|(key, meant)| format!("; did you mean `{meant}` instead of `{key}`?"))
                        .unwrap_or_default();
                    bail!("{shown}: stage {n}: missing `plugin = \"NAME or PATH\"` (or `match = \"SELECTOR\"`){hint}")
                }
            };
            let plugin = if is_path(plugin) && Path::new(plugin).is_relative() {
                base.join(plugin).display().to_string()
            } else {
                plugin.clone()
            };
            let config: Map<String, Value> = stage
                .iter()
                .filter(|(key, _)| *key != "plugin")
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect();
            Ok(NodeSpec::Stage(StageSpec { plugin, config }))
        })
        .collect()
}

/// TOML to JSON; a date or time becomes its RFC 3339 text.
fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<StageSpec>> {
        super::parse(text, Path::new("conf/pipeline.toml")).map(|file| {
            file.stages
                .into_iter()
                .map(|node| match node {
                    NodeSpec::Stage(stage) => stage,
                    NodeSpec::Match { .. } => panic!("a match node"),
                })
                .collect()
        })
    }

    #[test]
    fn match_stages_nest() {
        let nodes = super::parse(
            r#"
            [[stage]]
            plugin = "sanitize"

            [[stage]]
            match = '{app="api"}'

              [[stage.stages]]
              plugin = "regex"
              expression = 'x'

              [[stage.stages]]
              match = '|= "y"'
                [[stage.stages.stages]]
                plugin = "pack"
            "#,
            Path::new("p.toml"),
        )
        .unwrap()
        .stages;
        assert_eq!(nodes.len(), 2);
        let NodeSpec::Match { selector, nodes } = &nodes[1] else {
            panic!("not a match: {:?}", nodes[1]);
        };
        assert_eq!(selector, r#"{app="api"}"#);
        assert!(matches!(&nodes[0], NodeSpec::Stage(s) if s.plugin == "regex"));
        assert!(matches!(&nodes[1], NodeSpec::Match { nodes, .. } if nodes.len() == 1));
    }

    #[test]
    fn match_needs_stages() {
        let err =
            super::parse("[[stage]]\nmatch = '{a=\"b\"}'\n", Path::new("p.toml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("stage 1: a match stage needs its stages"),
            "{err}"
        );
        let err = super::parse(
            "[[stage]]\nmatch = '{a=\"b\"}'\nplugin = \"x\"\n[[stage.stages]]\nplugin = \"y\"\n",
            Path::new("p.toml"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown key `plugin` in a match stage"),
            "{err}"
        );
    }

    #[test]
    fn stages_in_order_with_config() {
        let stages = parse(
            r#"
            [[stage]]
            plugin = "sanitize"
            literals = ["hunter2"]

            [[stage]]
            plugin = "regex"
            expression = 'level=(?P<level>\w+)'
            mode = "keep"
            "#,
        )
        .unwrap();
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0].plugin, "sanitize");
        assert_eq!(stages[0].config["literals"], serde_json::json!(["hunter2"]));
        assert_eq!(stages[1].config["expression"], r"level=(?P<level>\w+)");
        assert!(!stages[1].config.contains_key("plugin"));
    }

    #[test]
    fn relative_plugin_paths_are_relative_to_the_file() {
        let stages = parse("[[stage]]\nplugin = \"plugins/my.wasm\"\n").unwrap();
        assert_eq!(stages[0].plugin, "conf/plugins/my.wasm");
    }

    #[test]
    fn empty_file_has_no_stages() {
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn missing_plugin_key() {
        let err = parse("[[stage]]\nexpression = 'x'\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "conf/pipeline.toml: stage 1: missing `plugin = \"NAME or PATH\"` (or `match = \"SELECTOR\"`)"
        );
    }

    #[test]
    fn unknown_top_level_key() {
        let err = parse("stages = 1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "conf/pipeline.toml: unknown key `stages`; a pipeline file holds [[stage]] tables \
             and a [sink] table (did you mean [[stage]]?)"
        );
        let err = parse("[sinks]\n").unwrap_err();
        assert!(err.to_string().ends_with("(did you mean [sink]?)"), "{err}");
        let err = parse("[sink]\n").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("missing `kind = \"otlp\"` (the one kind of sink)"),
            "{err}"
        );
    }

    #[test]
    fn a_slip_of_plugin_or_match_is_named() {
        let err = parse("[[stage]]\nplugn = 'pack'\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "conf/pipeline.toml: stage 1: missing `plugin = \"NAME or PATH\"` (or `match = \
             \"SELECTOR\"`); did you mean `plugin` instead of `plugn`?"
        );
        let err = parse("[[stage]]\nmatch = '{a=\"b\"}'\n[[stage.stage]]\nplugin = 'pack'\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("; did you mean [[stage.stages]]?"),
            "{err}"
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let err = parse("[[stage]]\nplugin = \n").unwrap_err();
        assert!(
            err.to_string().starts_with("conf/pipeline.toml:2: "),
            "{err}"
        );
    }
}
