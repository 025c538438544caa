"""``gaitway compare``: two controllers on the same virtual cohort, side by side."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gaitway.control.registry import CONTROLLER_NAMES
from gaitway.errors import UserError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare",
        help="run one virtual cohort under two controllers and compare them (simulated)",
    )
    p.add_argument("--cohort", type=int, required=True, help="number of virtual patients")
    p.add_argument("--seed", type=int, required=True, help="cohort seed (same seed, same cohort)")
    p.add_argument(
        "--controllers",
        required=True,
        help=f"two of {','.join(CONTROLLER_NAMES)}, comma-separated, e.g. guidance,aan",
    )
    p.add_argument("--minutes", type=float, default=2.0, help="session length (default 2)")
    p.add_argument("--speed", type=float, default=2.0, help="belt speed, km/h (default 2.0)")
    p.add_argument(
        "--guidance", type=float, default=100.0, help="guidance for 'guidance', %% (default 100)"
    )
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="also write the result here")
    p.set_defaults(func=_run)


def _controllers(text: str) -> tuple[str, str]:
    parts = tuple(x.strip() for x in text.split(",") if x.strip())
    if len(parts) != 2:
        raise UserError(f"--controllers needs exactly two names, e.g. guidance,aan; got {text!r}")
    return parts[0], parts[1]


def _fmt(mean: float, ci: list[float]) -> str:
    if not math.isfinite(mean):
        return "n/a"
    if not all(math.isfinite(c) for c in ci):
        return f"{mean:.2f}"
    return f"{mean:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"


def _run(args: argparse.Namespace) -> int:
    from gaitway.control.belt import check_speed
    from gaitway.session.compare import compare

    pair = _controllers(args.controllers)
    speed = check_speed(args.speed / 3.6)
    if not 0.0 <= args.guidance <= 100.0:
        raise UserError(f"--guidance must be within 0-100 %, got {args.guidance}")
    out_path = Path(args.json_out) if args.json_out else None
    if out_path is not None and not out_path.parent.exists():
        raise UserError(f"cannot write {out_path}: folder {out_path.parent} does not exist")
    result = compare(
        cohort=args.cohort,
        seed=args.seed,
        controllers=pair,
        minutes=args.minutes,
        speed_m_s=speed,
        guidance=args.guidance / 100.0,
        workers=args.workers,
    )
    a, b = pair
    table = Table(
        "metric",
        f"{a} mean [95% CI]",
        f"{b} mean [95% CI]",
        f"{b} - {a} [95% CI]",
        title=f"SIMULATED virtual cohort: {args.cohort} patients, seed {args.seed}, "
        f"{args.minutes:g} min each",
    )
    for row in result["table"]:
        table.add_row(
            f"{row['label']} ({row['unit']})",
            _fmt(row[a]["mean"], row[a]["ci95"]),
            _fmt(row[b]["mean"], row[b]["ci95"]),
            _fmt(row["difference"]["mean"], row["difference"]["ci95"]),
        )
    Console(highlight=False).print(table)
    if out_path is not None:
        out_path.write_text(json.dumps(_json_safe(result), indent=2, allow_nan=False))
    return 0


def _json_safe(x: Any) -> Any:
    """NaN (no data) becomes null, so the file is strict JSON."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x
