//! The plugins workspace (`plugins/`) is built for wasm and kept out of the host's workspace,
//! but its crates (the guest SDK and every plugin) have native unit tests. This test runs them,
//! so that `cargo test` at the root is the whole suite.

use std::process::Command;

use crate::util::repo_root;

#[test]
fn plugin_crates_native_unit_tests_pass() {
    let root = repo_root();
    let output = Command::new(env!("CARGO"))
        .args([
            "test",
            "--release",
            "--quiet",
            "--workspace",
            "--manifest-path",
        ])
        .arg(root.join("plugins/Cargo.toml"))
        // Its own target directory: never the one the outer `cargo test` holds.
        .env("CARGO_TARGET_DIR", root.join("plugins/target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cannot run cargo");
    assert!(
        output.status.success(),
        "`cargo test` in plugins/ failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
