#!/usr/bin/env bash
# Builds {{name}}.wasm from plugin.py and the helper (sluice_plugin.py, transform.py) with
# componentize-py, which bundles a Python interpreter into the component (about 18 MB; it
# imports WASI, which sluice provides with nothing granted).
# Needs `pip install componentize-py==0.25.0`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v componentize-py >/dev/null || {
    echo "build.sh: componentize-py is missing: pip install componentize-py==0.25.0" >&2
    exit 1
}
export PYTHONDONTWRITEBYTECODE=1
componentize-py -d wit -w plugin componentize -p . plugin -o {{name}}.wasm
echo "built {{name}}.wasm ($(wc -c <{{name}}.wasm) bytes)"
