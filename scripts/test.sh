#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, types, the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests bench
.venv/bin/mypy
.venv/bin/mypy bench  # the benchmarks, whose figures the notes quote, are typed too
.venv/bin/lint-imports --no-cache --no-logo
exec .venv/bin/pytest -n 2 "$@"
