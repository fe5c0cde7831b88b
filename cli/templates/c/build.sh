#!/usr/bin/env bash
# Builds {{name}}.wasm from plugin.c and the helper (sluice.h, sluice.c):
#   1. wit-bindgen generates the C bindings of wit/plugin.wit into gen/;
#   2. clang compiles everything for wasm32-wasi as a reactor (a library, no main);
#   3. wasm-tools wraps the core module in a component.
# Needs clang 19 with wasi-libc (Debian: clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32),
# wit-bindgen (`cargo install --locked wit-bindgen-cli`) and wasm-tools (`cargo install --locked
# wasm-tools`). Set CC to use another clang.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for tool in "${CC:-clang-19}" wit-bindgen wasm-tools; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (see README.md)" >&2; exit 1; }
done
rm -rf gen
log=$(wit-bindgen c wit --world plugin --out-dir gen 2>&1) || { echo "$log" >&2; exit 1; }
"${CC:-clang-19}" --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra \
    -Wl,--strip-debug -Igen -I. \
    -o {{name}}.core.wasm plugin.c sluice.c gen/*.c gen/*_component_type.o
wasm-tools component new {{name}}.core.wasm -o {{name}}.wasm
rm {{name}}.core.wasm
echo "built {{name}}.wasm ($(wc -c <{{name}}.wasm) bytes)"
