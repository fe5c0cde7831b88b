#!/usr/bin/env bash
# Builds level.wasm from level.py and the Python helper (plugins/sdk/python) with componentize-py.
#   ./build.sh               the normal build: imports WASI 0.2 (the host provides it, granting
#                            nothing)
#   ./build.sh --stub-wasi   WASI imports replaced by traps: the component imports nothing
# Needs `pip install componentize-py==0.25.0` (see ../README.md, "Toolchains").
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../../.." && pwd -P)
stub=()
for arg in "$@"; do
    case "$arg" in
        --stub-wasi) stub=(--stub-wasi) ;;
        *) echo "build.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done
cd "$here"
export PYTHONDONTWRITEBYTECODE=1
# The bindings are generated into the build's own folder (for editors: `componentize-py -d
# ../../../wit -w plugin bindings gen` writes them to gen/, which is gitignored).
componentize-py -d "$root/wit" -w plugin componentize "${stub[@]}" \
    -p "$here" -p "$root/plugins/sdk/python" level -o level.wasm
echo "built $here/level.wasm ($(wc -c < level.wasm) bytes)"
