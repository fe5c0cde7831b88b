//! `sluice new --lang LANG NAME`: a plugin project that builds and whose tests pass.
//!
//! Every project gets the same shape, whatever the language:
//!
//! ```text
//! NAME/
//!   <source>               the plugin: puts `prefix` in front of every line
//!   build.sh               builds NAME.wasm (the toolchain steps CI runs, see docs/plugins.md)
//!   README.md              how to build, test and run it
//!   tests/basic/           a `sluice test` case: pipeline.toml, input.log, output.snap
//!   .gitignore
//! ```
//!
//! plus what the language needs to reach the contract: the WIT file (`wit/plugin.wit`) for C,
//! Python and JavaScript, and the thin helper (`sluice.h`/`sluice.c`, `sluice_plugin.py`,
//! `sluice.js`) that makes a plugin a function or a class. The files are embedded in the
//! binary, so the project matches this sluice's contract exactly. A Rust project depends on the
//! SDK crate: by path when this sluice was built from a source tree that is still there, else
//! from the repository.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The languages `sluice new` can start a plugin in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    C,
    Python,
    Js,
}

/// One file of a project: where it goes, its text (with `{{…}}` placeholders), and whether it
/// is a script.
struct Template {
    path: &'static str,
    text: &'static str,
    executable: bool,
}

const fn file(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        executable: false,
    }
}

const fn script(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        executable: true,
    }
}

/// What every project has.
const COMMON: &[Template] = &[
    file(".gitignore", include_str!("../templates/common/gitignore")),
    file(
        "tests/basic/pipeline.toml",
        include_str!("../templates/common/pipeline.toml"),
    ),
    file(
        "tests/basic/input.log",
        include_str!("../templates/common/input.log"),
    ),
    file(
        "tests/basic/output.snap",
        include_str!("../templates/common/output.snap"),
    ),
];

/// The contract, for the languages that generate bindings from it.
const WIT: Template = file("wit/plugin.wit", include_str!("../../wit/plugin.wit"));

const RUST: &[Template] = &[
    file("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
    file("src/lib.rs", include_str!("../templates/rust/src/lib.rs")),
    script("build.sh", include_str!("../templates/rust/build.sh")),
    file("README.md", include_str!("../templates/rust/README.md")),
];

const C: &[Template] = &[
    file("plugin.c", include_str!("../templates/c/plugin.c")),
    file("sluice.h", include_str!("../../plugins/sdk/c/sluice.h")),
    file("sluice.c", include_str!("../../plugins/sdk/c/sluice.c")),
    script("build.sh", include_str!("../templates/c/build.sh")),
    file("README.md", include_str!("../templates/c/README.md")),
];

const PYTHON: &[Template] = &[
    file("plugin.py", include_str!("../templates/python/plugin.py")),
    file(
        "sluice_plugin.py",
        include_str!("../../plugins/sdk/python/sluice_plugin.py"),
    ),
    file(
        "transform.py",
        include_str!("../../plugins/sdk/python/transform.py"),
    ),
    script("build.sh", include_str!("../templates/python/build.sh")),
    file("README.md", include_str!("../templates/python/README.md")),
];

const JS: &[Template] = &[
    file("plugin.js", include_str!("../templates/js/plugin.js")),
    file("sluice.js", include_str!("../../plugins/sdk/js/sluice.js")),
    file("build.mjs", include_str!("../templates/js/build.mjs")),
    file("package.json", include_str!("../templates/js/package.json")),
    script("build.sh", include_str!("../templates/js/build.sh")),
    file("README.md", include_str!("../templates/js/README.md")),
];

impl Lang {
    fn templates(self) -> Vec<&'static Template> {
        let own: &[Template] = match self {
            Lang::Rust => RUST,
            Lang::C => C,
            Lang::Python => PYTHON,
            Lang::Js => JS,
        };
        let mut all: Vec<&Template> = own.iter().chain(COMMON).collect();
        if self != Lang::Rust {
            all.push(&WIT);
        }
        all
    }
}

/// Writes a new `lang` project for the plugin `name` into `dir` (which must not exist, or be
/// empty); returns the files written.
pub fn create(dir: &Path, name: &str, lang: Lang) -> Result<Vec<PathBuf>> {
    check_name(name)?;
    if dir.exists() {
        let mut entries = fs::read_dir(dir)
            .with_context(|| format!("{} exists and is not a readable folder", dir.display()))?;
        if entries.next().is_some() {
            bail!("{} already exists and is not empty", dir.display());
        }
    }
    let values = [
        ("{{name}}", name.to_owned()),
        ("{{name_snake}}", name.replace('-', "_")),
        ("{{sdk_dependency}}", sdk_dependency()),
    ];
    let mut written = Vec::new();
    for template in lang.templates() {
        let path = dir.join(template.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut text = template.text.to_owned();
        for (placeholder, value) in &values {
            text = text.replace(placeholder, value);
        }
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        if template.executable {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot make {} executable", path.display()))?;
        }
        written.push(path);
    }
    Ok(written)
}

/// A plugin name is its file name, its `NAME` and (for Rust) its crate name: lowercase ASCII
/// letters, digits and `-`, starting with a letter.
fn check_name(name: &str) -> Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid {
        bail!(
            "`{name}` is not a plugin name: use lowercase letters, digits and `-`, starting \
             with a letter (such as `level-filter`)"
        );
    }
    Ok(())
}

/// The Rust SDK: this source tree's when it is still there, else the repository's.
fn sdk_dependency() -> String {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/rust");
    match tree.canonicalize() {
        Ok(path) if path.join("Cargo.toml").is_file() => {
            format!("{{ path = {:?} }}", path.display().to_string())
        }
        _ => r#"{ git = "https://github.com/sluice-logs/sluice" }"#.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["level", "level-filter", "a1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Level", "1level", "level_", "level-", "lev el", "-x"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_language_gets_a_test_case_and_a_build_script() {
        for lang in [Lang::Rust, Lang::C, Lang::Python, Lang::Js] {
            let paths: Vec<&str> = lang.templates().iter().map(|t| t.path).collect();
            for needed in ["build.sh", "README.md", "tests/basic/output.snap"] {
                assert!(paths.contains(&needed), "{lang:?} lacks {needed}");
            }
        }
    }
}
