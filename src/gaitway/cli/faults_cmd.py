"""`gaitway faults`: the injectable faults, how each is detected and the reaction it gets."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from gaitway.safety.inject import describe_faults


def register(sub: Any) -> None:
    p = sub.add_parser("faults", help="list the injectable faults and the safety reaction to each",
                       description="Faults the safety supervisor detects, its reaction, and what "
                       "`gaitway simulate --inject FAULT@SECONDS` does to cause each one.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_faults)


def _faults(args: argparse.Namespace) -> int:
    rows = describe_faults()
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    table = Table(title="Injectable faults (gaitway simulate --inject FAULT@SECONDS)")
    for col in ("fault", "reaction", "detected by", "goal ms", "injection (simulated)"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["kind"], r["reaction"], r["detection"], r["detection_goal_ms"],
                      r["injection"])
    Console(width=200).print(table)
    return 0
