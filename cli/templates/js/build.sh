#!/usr/bin/env bash
# Builds {{name}}.wasm: installs componentize-js (pinned in package.json) when needed, then
# runs build.mjs. Needs Node.js 20+ and npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -d node_modules/@bytecodealliance/componentize-js ]; then
    npm install --no-audit --no-fund --loglevel=error
fi
node build.mjs
