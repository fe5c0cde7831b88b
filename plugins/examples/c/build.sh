#!/usr/bin/env bash
# Builds level.wasm from level.c and the C helper (plugins/sdk/c).
# Needs clang-19 with wasi-libc, wit-bindgen and wasm-tools (see ../README.md, "Toolchains").
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../../.." && pwd -P)
sdk=$root/plugins/sdk/c
gen=$here/gen
cd "$here"
rm -rf "$gen"
wit-bindgen c "$root/wit" --world plugin --out-dir "$gen" >/dev/null
"${CC:-clang-19}" --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra \
    -Wl,--strip-debug -I"$gen" -I"$sdk" \
    -o level.core.wasm level.c "$sdk/sluice.c" "$gen"/*.c "$gen"/*_component_type.o
wasm-tools component new level.core.wasm -o level.wasm
rm level.core.wasm
echo "built $here/level.wasm ($(wc -c < level.wasm) bytes)"
