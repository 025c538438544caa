"""``gaitway validate response``: the virtual patients' response to the robot against the
published directions (SIMULATED), written to docs/validation/response.md."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from gaitway.cli.options import validate_parts
from gaitway.errors import UserError


def register(subparsers: Any) -> None:
    vsub = validate_parts(subparsers)
    v = vsub.add_parser("response", help="virtual patients' effort under guidance, BWS, "
                        "speed and controller against published studies (simulated)")
    v.add_argument("--out", default="docs/validation", help="output folder")
    v.add_argument("--quick", action="store_true",
                   help="small cohort, short sessions (CI); directions only")
    v.add_argument("--seed", type=int, default=1, help="cohort seed (default 1)")
    v.add_argument("--patients", type=int, default=None,
                   help="virtual patients per group (with --minutes; default: the full plan's)")
    v.add_argument("--minutes", type=float, default=None,
                   help="length of each session (the slacking one 4 times as long unless "
                   "--slack-minutes)")
    v.add_argument("--slack-minutes", type=float, default=None,
                   help="length of the fixed-guidance session in which slacking is measured "
                   "(with --minutes or --patients; at least 2)")
    v.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    v.set_defaults(func=_run)


def _command(args: argparse.Namespace) -> str:
    """The command line that regenerates the table."""
    parts = ["gaitway validate response", f"--out {args.out}", f"--seed {args.seed}"]
    if args.quick:
        parts.append("--quick")
    if args.patients is not None:
        parts.append(f"--patients {args.patients}")
    if args.minutes is not None:
        parts.append(f"--minutes {args.minutes:g}")
    if args.slack_minutes is not None:
        parts.append(f"--slack-minutes {args.slack_minutes:g}")
    return " ".join(parts)


def _load() -> str:
    """The machine's load average at the end (run times on a shared machine vary)."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return ""
    return f", {os.cpu_count()} cores, load average {one:.1f} (1 min) / {five:.1f} (5 min)"


def _run(args: argparse.Namespace) -> int:
    from gaitway.harnesses import response

    if args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    plan = response.QUICK if args.quick else response.FULL
    if args.patients is not None or args.minutes is not None or args.slack_minutes is not None:
        plan = response.plan_for(args.minutes if args.minutes is not None else plan.minutes,
                                 args.patients if args.patients is not None
                                 else plan.per_group, args.slack_minutes)
    t0 = time.perf_counter()
    done = [0]

    def progress(what: str) -> None:
        done[0] += 1
        print(f"  [{done[0]}] {what}", file=sys.stderr, flush=True)

    rows = response.run(plan, seed=args.seed, workers=args.workers, progress=progress)
    wall = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    (out / "response.md").write_text(
        response.markdown(rows, plan, seed=args.seed, command=_command(args), wall_s=wall,
                          machine=_load()))
    data = response.to_json(rows, plan, seed=args.seed)
    (out / "response.json").write_text(
        json.dumps(data, indent=2, default=lambda x: None if isinstance(x, float)
                   and not math.isfinite(x) else x) + "\n")
    n_ok = sum(r.reproduced for r in rows)
    for r in rows:
        mark = "ok " if r.reproduced else "NO "
        print(f"{mark} {r.group:11s} {r.study.key:24s} b-a {r.mean:+.4g} "
              f"[{r.ci_low:+.3g}, {r.ci_high:+.3g}] n={r.n}")
    print(f"SIMULATED: {n_ok} of {len(rows)} published directions reproduced "
          f"({wall / 60:.1f} min); table in {out / 'response.md'}")
    return 0 if n_ok == len(rows) else 1
