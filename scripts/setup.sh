#!/usr/bin/env bash
# Create .venv from the lock file (uv.lock). Needs only python3 (3.11+) and the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv-uv/bin/uv ]; then
  "$PY" -m venv .venv-uv
  .venv-uv/bin/pip install --quiet "uv==0.13.8"
fi
# --compile-bytecode: installed packages ship .pyc files, so a start-up never recompiles
# scipy & co. (seconds per command where PYTHONDONTWRITEBYTECODE is set, as on CI)
.venv-uv/bin/uv sync --frozen --all-extras --compile-bytecode --python "$PY" --quiet
# The session tick's modules compiled with mypyc (a dev dependency, so after the sync); nothing
# to do when the build's manifest matches the sources, a rebuild (~1-3 min) after any of them
# changed; without a working compiler a warning, and the .py modules run (gaitway.compiled).
.venv/bin/python scripts/build_compiled.py
