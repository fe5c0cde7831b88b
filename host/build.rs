//! Computes the SHA-256 of each built-in component under `plugins/dist/` while sluice is built,
//! so that a run does not hash megabytes of wasm before it starts (see `src/builtin.rs`): the
//! compile cache names a component's entry by this digest.
//!
//! For each `plugins/dist/NAME.wasm` it writes `$OUT_DIR/digests/NAME.rs`, an array
//! expression of the 32 bytes, which `builtin.rs` includes next to the bytes it embeds. Cargo
//! runs this again whenever one of those files changes, so a digest is never stale; a unit test
//! (`builtin::tests`) checks each against the embedded bytes all the same.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/dist");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("digests");
    fs::create_dir_all(&out).expect("cannot create OUT_DIR/digests");
    println!("cargo:rerun-if-changed={}", dist.display());
    let entries =
        fs::read_dir(&dist).unwrap_or_else(|e| panic!("cannot read {}: {e}", dist.display()));
    for entry in entries {
        let path = entry.expect("cannot list plugins/dist").path();
        if path.extension().is_none_or(|ext| ext != "wasm") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes =
            fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let digest = Sha256::digest(&bytes);
        let literal = format!("{:?}", digest.as_slice());
        let stem = path
            .file_stem()
            .expect("a .wasm file has a stem")
            .to_string_lossy();
        let target = out.join(format!("{stem}.rs"));
        fs::write(&target, literal)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
    }
}
