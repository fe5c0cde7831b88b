#!/usr/bin/env bash
# Builds level.wasm: installs the pinned componentize-js (npm install, which follows
# package-lock.json) when needed, then runs
# build.mjs (arguments are passed on: --pure for a component without WASI imports).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$here"
if [ ! -d node_modules/@bytecodealliance/componentize-js ]; then
    # Not `npm ci`: npm 11 rejects this lock file as out of sync, because it lists other
    # platforms' optional binaries (jco-node-fs-win32-…) without versions.
    npm install --no-audit --no-fund --loglevel=error
fi
node build.mjs "$@"
