//! `sluice-componentize`: turns a plugin's core wasm module into a component, and checks it.
//!
//! ```text
//! sluice-componentize <module.wasm> <component.wasm>   # encode, validate, check, write
//! sluice-componentize --allow-wasi <module.wasm> <component.wasm>   # the same, WASI allowed
//! sluice-componentize --wat <wit-dir> <module.wat> <component.wasm>  # a hand-written module
//! sluice-componentize --inspect <component.wasm>        # print a component's imports and exports
//! ```
//!
//! `plugins/build` runs it on every plugin after compiling it for `wasm32-unknown-unknown`. The
//! core module carries its WIT world in the `component-type` custom section that `wit-bindgen`
//! embeds; [`wit_component::ComponentEncoder`] reads it and wraps the module in a component
//! that exports `sluice:plugin/transform`. The result is then validated and its imports listed:
//! a sluice plugin must import nothing but the host's clock and regular expressions (no WASI,
//! no other host functions), so any other import is an error that names it. A test plugin written by hand in
//! the WebAssembly text format (`--wat`) has no such section: its world, `plugin`, is read from
//! the WIT folder and embedded first. The encoding is deterministic: the same module gives the same bytes.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::ExitCode;
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType};
use wasmparser::types::TypesRef;
use wasmparser::{Parser, Payload, Validator, WasmFeatures};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, component] if flag == "--inspect" => inspect(Path::new(component)),
        [module, component] if !module.starts_with('-') => {
            componentize(Path::new(module), Path::new(component), false)
        }
        [flag, module, component] if flag == "--allow-wasi" => {
            componentize(Path::new(module), Path::new(component), true)
        }
        [flag, wit, module, component] if flag == "--wat" => {
            componentize_wat(Path::new(wit), Path::new(module), Path::new(component))
        }
        _ => {
            eprintln!(
                "usage: sluice-componentize [--allow-wasi] <module.wasm> <component.wasm>\n       \
                 sluice-componentize --wat <wit-dir> <module.wat> <component.wasm>\n       \
                 sluice-componentize --inspect <component.wasm>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice-componentize: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Encodes `module` as a component, checks it and writes it to `out`.
fn componentize(module: &Path, out: &Path, allow_wasi: bool) -> Result<()> {
    let bytes =
        std::fs::read(module).with_context(|| format!("cannot read {}", module.display()))?;
    write_component(module, &bytes, out, allow_wasi)
}

/// Parses the text-format module `wat`, embeds the world `plugin` of the WIT in `wit`, and
/// goes on as [`componentize`] does.
fn componentize_wat(wit: &Path, wat: &Path, out: &Path) -> Result<()> {
    let mut bytes =
        wat::parse_file(wat).with_context(|| format!("cannot parse {}", wat.display()))?;
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(wit)
        .with_context(|| format!("cannot read the WIT in {}", wit.display()))?;
    let world = resolve.select_world(&[package], Some("plugin"))?;
    wit_component::embed_component_metadata(
        &mut bytes,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )?;
    write_component(wat, &bytes, out, false)
}

/// Encodes the core module `bytes` (read from `module`) as a component, checks it and writes
/// it to `out`.
fn write_component(module: &Path, bytes: &[u8], out: &Path, allow_wasi: bool) -> Result<()> {
    let component =
        encode(bytes).with_context(|| format!("cannot componentize {}", module.display()))?;
    let surface = check(&component, allow_wasi)
        .with_context(|| format!("{} is not a valid plugin", module.display()))?;
    std::fs::write(out, &component).with_context(|| format!("cannot write {}", out.display()))?;
    let imports = if surface.imports.is_empty() {
        "none".to_owned()
    } else {
        let described: Vec<String> = surface
            .imports
            .iter()
            .map(|i| {
                if i.starts_with("sluice:plugin/clock@") {
                    format!("{i} (the clock)")
                } else if i.starts_with("sluice:plugin/matching@") {
                    format!("{i} (the host's regular expressions)")
                } else if i.starts_with("wasi:") {
                    format!("{i} (WASI)")
                } else {
                    format!("{i} (types only)")
                }
            })
            .collect();
        described.join(", ")
    };
    println!(
        "{}: {} bytes, imports: {imports}, exports: {}",
        out.display(),
        component.len(),
        surface.exports.join(", ")
    );
    Ok(())
}

/// Prints a component's imports and exports.
fn inspect(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let surface = surface(&bytes)?;
    println!("{}: {} bytes", path.display(), bytes.len());
    for import in &surface.imports {
        println!("import {import}");
    }
    for export in &surface.exports {
        println!("export {export}");
    }
    Ok(())
}

/// Wraps a core module in a component, using the WIT world embedded in the module.
fn encode(module: &[u8]) -> Result<Vec<u8>> {
    wit_component::ComponentEncoder::default()
        .module(module)?
        .validate(true)
        .encode()
}

/// Validates a component and checks that it imports nothing a host would have to provide;
/// returns its surface.
///
/// Because the world's exported `transform` interface uses the records of the `types`
/// interface, the component model makes `sluice:plugin/types` an import of the world. That
/// import is an instance holding type definitions only: nothing runs through it and wasmtime
/// does not ask the embedder to supply it. It is allowed (and listed as "types only"), and so
/// are the host's `sluice:plugin/clock`, which plugins that tell the time import, and
/// `sluice:plugin/matching`, which plugins that hand their regex searches to the host do; any other
/// import carrying a function, a resource, a value, a module or a component is an error,
/// except WASI's with `--allow-wasi` (the host's WASI probe, which tests the sandbox).
fn check(component: &[u8], allow_wasi: bool) -> Result<Surface> {
    let types = Validator::new_with_features(WasmFeatures::all())
        .validate_all(component)
        .context("the component does not validate")?;
    let types = types.as_ref();
    let surface = surface(component)?;
    let mut capabilities = Vec::new();
    for import in &surface.imports {
        let item = types
            .component_item_for_import(import)
            .with_context(|| format!("import {import} has no type"))?;
        let allowed = import.starts_with("sluice:plugin/clock@")
            || import.starts_with("sluice:plugin/matching@")
            || (allow_wasi && import.starts_with("wasi:"));
        if !type_only(types, &item.ty) && !allowed {
            capabilities.push(import.as_str());
        }
    }
    if !capabilities.is_empty() {
        bail!(
            "the component imports {}; a sluice plugin must import nothing but \
             sluice:plugin/clock and sluice:plugin/matching (does it use WASI, stdio, std::time or randomness?)",
            capabilities.join(", ")
        );
    }
    if !surface
        .exports
        .iter()
        .any(|e| e.starts_with("sluice:plugin/transform@"))
    {
        bail!("the component does not export sluice:plugin/transform");
    }
    Ok(surface)
}

/// Whether an imported item holds only type definitions (no function, resource, value,
/// module or component), so that nothing has to be supplied for it at instantiation.
fn type_only(types: TypesRef<'_>, ty: &ComponentEntityType) -> bool {
    match ty {
        ComponentEntityType::Type { created, .. } => {
            !matches!(created, ComponentAnyTypeId::Resource(_))
        }
        ComponentEntityType::Instance(id) => types[*id]
            .exports
            .values()
            .all(|item| type_only(types, &item.ty)),
        _ => false,
    }
}

/// The names a component imports and exports at its top level.
#[derive(Debug, Default)]
struct Surface {
    imports: Vec<String>,
    exports: Vec<String>,
}

fn surface(component: &[u8]) -> Result<Surface> {
    let mut surface = Surface::default();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(component) {
        match payload? {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding != wasmparser::Encoding::Component {
                    bail!("this is a core module, not a component");
                }
                depth += 1;
            }
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(section) if depth == 1 => {
                for import in section {
                    surface.imports.push(import?.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(section) if depth == 1 => {
                for export in section {
                    surface.exports.push(export?.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(surface)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_a_core_module_as_a_component() {
        // The smallest core module: magic and version.
        let module = b"\0asm\x01\0\0\0";
        assert!(
            surface(module)
                .unwrap_err()
                .to_string()
                .contains("core module")
        );
    }

    #[test]
    fn a_module_without_the_world_is_not_a_plugin() {
        let module = b"\0asm\x01\0\0\0";
        let component = encode(module).unwrap();
        let e = check(&component, false).unwrap_err().to_string();
        assert!(e.contains("does not export sluice:plugin/transform"), "{e}");
    }
}
