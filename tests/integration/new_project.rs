//! `sluice new --lang LANG NAME`: the files it writes and the mistakes it refuses. That each
//! project builds and passes its own `sluice test` is checked in CI with the real toolchains
//! (`plugins/examples/check`), since building needs them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{repo_root, run};

/// Runs `sluice new` for `lang` into a fresh folder; returns the folder and stdout.
fn new_project(lang: &str, name: &str) -> (tempfile::TempDir, String) {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join(name);
    let run = run(
        &["new", "--lang", lang, name, "--dir", dir.to_str().unwrap()],
        b"",
    );
    let stdout = String::from_utf8(run.ok().to_vec()).unwrap();
    (scratch, stdout.replace(dir.to_str().unwrap(), "DIR"))
}

fn read(dir: &Path, path: &str) -> String {
    fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn python_project_lists_what_it_wrote() {
    let (_scratch, stdout) = new_project("python", "demo");
    insta::assert_snapshot!(stdout, @r"
    created DIR (10 files):
        DIR/plugin.py
        DIR/sluice_plugin.py
        DIR/transform.py
        DIR/build.sh
        DIR/README.md
        DIR/.gitignore
        DIR/tests/basic/pipeline.toml
        DIR/tests/basic/input.log
        DIR/tests/basic/output.snap
        DIR/wit/plugin.wit
    next: cd DIR && ./build.sh && sluice test
    ");
}

#[test]
fn every_language_gets_its_helper_the_contract_and_a_test_case() {
    let root = repo_root();
    let helpers: &[(&str, &[(&str, &str)])] = &[
        ("rust", &[]),
        (
            "c",
            &[
                ("sluice.h", "plugins/sdk/c/sluice.h"),
                ("sluice.c", "plugins/sdk/c/sluice.c"),
            ],
        ),
        (
            "python",
            &[
                ("sluice_plugin.py", "plugins/sdk/python/sluice_plugin.py"),
                ("transform.py", "plugins/sdk/python/transform.py"),
            ],
        ),
        ("js", &[("sluice.js", "plugins/sdk/js/sluice.js")]),
    ];
    for (lang, copies) in helpers {
        let (scratch, _) = new_project(lang, "level-filter");
        let dir = scratch.path().join("level-filter");
        for (copy, original) in *copies {
            assert_eq!(read(&dir, copy), read(&root, original), "{lang}: {copy}");
        }
        if *lang != "rust" {
            assert_eq!(read(&dir, "wit/plugin.wit"), read(&root, "wit/plugin.wit"));
        }
        let mode = fs::metadata(dir.join("build.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{lang}: build.sh is executable");
        assert!(
            read(&dir, "build.sh").contains("level-filter.wasm"),
            "{lang}"
        );
        assert!(
            read(&dir, "tests/basic/pipeline.toml")
                .contains(r#"plugin = "../../level-filter.wasm""#),
            "{lang}"
        );
        assert!(read(&dir, "tests/basic/output.snap").ends_with("> disk almost full\n"));
        assert!(
            !read(&dir, "README.md").contains("{{"),
            "{lang}: a placeholder is left"
        );
    }
}

#[test]
fn rust_project_uses_this_trees_sdk() {
    let (scratch, _) = new_project("rust", "level-filter");
    let dir = scratch.path().join("level-filter");
    let manifest = read(&dir, "Cargo.toml");
    let sdk = repo_root().join("plugins/sdk/rust").canonicalize().unwrap();
    assert!(
        manifest.contains(&format!(
            "sluice-plugin-sdk = {{ path = {:?} }}",
            sdk.display().to_string()
        )),
        "{manifest}"
    );
    assert!(manifest.contains(r#"name = "level-filter""#));
    assert!(read(&dir, "build.sh").contains("release/level_filter.wasm"));
    assert!(read(&dir, "src/lib.rs").contains(r#"const NAME: &'static str = "level-filter";"#));
}

#[test]
fn a_bad_name_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("x");
    let run = run(
        &[
            "new",
            "--lang",
            "c",
            "Level Filter",
            "--dir",
            dir.to_str().unwrap(),
        ],
        b"",
    );
    insta::assert_snapshot!(run.fails(2), @"sluice: `Level Filter` is not a plugin name: use lowercase letters, digits and `-`, starting with a letter (such as `level-filter`)");
    assert!(!dir.exists());
}

#[test]
fn a_folder_with_files_in_it_is_left_alone() {
    let scratch = tempfile::tempdir().unwrap();
    fs::write(scratch.path().join("keep.txt"), "mine").unwrap();
    let dir = scratch.path().to_str().unwrap();
    let run = run(&["new", "--lang", "js", "demo", "--dir", dir], b"");
    let message = run.fails(2).replace(dir, "DIR");
    insta::assert_snapshot!(message, @"sluice: DIR already exists and is not empty");
    assert_eq!(fs::read_dir(scratch.path()).unwrap().count(), 1);
}

#[test]
fn an_unknown_language_is_a_usage_error() {
    let run = run(&["new", "--lang", "cobol", "demo"], b"");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid value 'cobol' for '--lang <LANG>'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("[possible values: rust, c, python, js]"),
        "{}",
        run.stderr
    );
}
