"""`gaitway faults`: the injectable faults, how each is detected and the reaction it gets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gaitway.errors import UserError
from gaitway.harnesses.fault_matrix import PROFILES, MatrixRow, matrix_markdown, run_matrix
from gaitway.safety.inject import describe_faults


def register(sub: Any) -> None:
    p = sub.add_parser("faults", help="list the injectable faults and the safety reaction to each",
                       description="Faults the safety supervisor detects, its reaction, and what "
                       "`gaitway simulate --inject FAULT@SECONDS` does to cause each one.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--matrix", type=Path, default=None, metavar="MD",
                   help="run the fault matrix (every fault on three virtual patients, about 5 "
                   "min) and write it as a markdown table, e.g. docs/safety/fault_matrix.md")
    p.set_defaults(func=_faults)


def _faults(args: argparse.Namespace) -> int:
    if args.matrix is not None:
        return _matrix(args.matrix)
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


def _matrix(out: Path) -> int:
    if not out.parent.is_dir():
        raise UserError(f"folder {out.parent} does not exist; create it or choose another path")
    console = Console(stderr=True)

    def show(r: MatrixRow) -> None:
        console.print(f"{r.profile:28s} {r.kind!s:24s} {'ok' if r.ok else 'NOT OK'}")

    rows = run_matrix(PROFILES, progress=show)
    out.write_text(matrix_markdown(rows, command=f"gaitway faults --matrix {out}"))
    bad = [r for r in rows if not r.ok]
    print(f"fault matrix (simulated): {len(rows) - len(bad)}/{len(rows)} ok; written to {out}")
    return 0 if not bad else 1
