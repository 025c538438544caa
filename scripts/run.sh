#!/usr/bin/env bash
# Set up (if needed) and start the clinic on the embedded defaults: the web console with three
# SIMULATED stations (virtual patients on the MuJoCo twin). Prints the URL and demo accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/gaitway serve --demo "$@"
