#!/usr/bin/env bash
# Set up (if needed) and run Gaitway's main job on the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/gaitway simulate --profile hemiparetic-left-moderate --minutes 2 --seed 1 --out "runs/demo-$(date +%Y%m%d-%H%M%S)" "$@"
