#!/usr/bin/env bash
# Builds level.wasm: installs the pinned componentize-js (npm ci) when needed, then runs
# build.mjs (arguments are passed on: --pure for a component without WASI imports).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$here"
if [ ! -d node_modules/@bytecodealliance/componentize-js ]; then
    npm ci --no-audit --no-fund
fi
node build.mjs "$@"
