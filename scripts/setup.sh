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
