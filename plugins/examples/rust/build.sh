#!/usr/bin/env bash
# Builds level.wasm: compiles the crate for wasm32-unknown-unknown, then makes the core
# module a component with `wasm-tools component new`.
#
# Needs: a wasm32 Rust target, either rustup's (`rustup target add wasm32-unknown-unknown`) or
# Debian's (`apt-get install rustc-web rust-web-src lld`, which builds std from source), and
# wasm-tools (`cargo install --locked wasm-tools`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

target=wasm32-unknown-unknown
if command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    cargo build --release --target "$target"
elif [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library/std ]; then
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        cargo build --release --target "$target" -Zbuild-std=std,panic_abort
else
    echo "build.sh: no wasm32 Rust target: run 'rustup target add $target'" >&2
    exit 1
fi
command -v wasm-tools >/dev/null || {
    echo "build.sh: wasm-tools is missing: run 'cargo install --locked wasm-tools'" >&2
    exit 1
}
wasm-tools component new "${CARGO_TARGET_DIR:-target}/$target/release/level.wasm" -o level.wasm
echo "built level.wasm ($(wc -c <level.wasm) bytes)"
