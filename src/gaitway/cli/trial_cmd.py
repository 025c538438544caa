"""``gaitway trial``: an in-silico trial of training plans on a virtual cohort (SIMULATED).

Heavy imports (Dask, MuJoCo, statsmodels) happen in the handler so ``gaitway --help`` is quick.
"""

from __future__ import annotations

import argparse
import math
from typing import Any


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {v}")
    return v


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {v}")
    return v


def _minutes(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs a number of minutes, got {text!r}") from None
    if not (math.isfinite(v) and 0.0 < v <= 240.0):
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 240, got {text}")
    return v


def _trial(args: argparse.Namespace) -> int:
    from gaitway.files import check_output_folder
    from gaitway.trials.course import TrialDesign
    from gaitway.trials.plans import load_plans
    from gaitway.trials.runner import run_trial

    plans = load_plans([p.strip() for p in args.plans.split(",") if p.strip()])
    design = TrialDesign(seed=args.seed, cohort=args.cohort, weeks=args.weeks,
                         sessions_per_week=args.sessions_per_week, minutes=args.minutes)
    out = check_output_folder(args.out, "the --out folder")
    print(f"in-silico trial [SIMULATED]: {design.cohort} virtual patients x {len(plans)} arms "
          f"({', '.join(p.name for p in plans)}), {design.sessions} sessions of "
          f"{design.minutes:g} min each")
    run = run_trial(plans, design, out, scheduler=args.scheduler, workers=args.workers,
                    resume=args.resume, batch=args.batch)
    print(f"courses run {len(run.ran)}, already done {len(run.skipped)}")
    for name, arm in run.summary["arms"].items():
        g = arm["gait_speed_change_mps"]["mean"]
        print(f"  {name}: gait speed change {g:+.3f} m/s (mean of {arm['patients']}), "
              f"faults {arm['faults']}, safety stops {arm['safety_stops']}")
    for e in run.summary["effects"]:
        if e["difference"] is None:
            print(f"  {e['outcome']} {e['plan']} vs {e['reference']}: {e['note']}")
        else:
            print(f"  {e['outcome']} {e['plan']} vs {e['reference']}: {e['difference']:+.4f} "
                  f"(95 % CI {e['ci95_low']:+.4f} to {e['ci95_high']:+.4f})")
    print(f"wrote {run.sessions_parquet}, {run.summary_json}, {run.report_html} and "
          f"{run.report_pdf} [SIMULATED]")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("trial", help="in-silico trial: a virtual cohort under competing "
                              "training plans, on Dask (SIMULATED)")
    p.add_argument("--plans", required=True, metavar="A.toml,B.toml",
                   help="plan files, comma-separated, one arm each (see examples/plans/)")
    p.add_argument("--cohort", type=_positive_int, default=4, help="virtual patients")
    p.add_argument("--weeks", type=_positive_int, default=1)
    p.add_argument("--sessions-per-week", type=_positive_int, default=2)
    p.add_argument("--minutes", type=_minutes, default=0.5, help="length of each session")
    p.add_argument("--seed", type=_nonneg_int, default=0)
    p.add_argument("--out", required=True, help="results folder (new, or one to --resume)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="an existing Dask scheduler (default: a local cluster of processes)")
    p.add_argument("--workers", type=_positive_int, default=2,
                   help="worker processes of the local cluster")
    p.add_argument("--resume", action="store_true",
                   help="go on with the trial in --out: skip the courses already done")
    p.add_argument("--batch", type=_positive_int, default=1, metavar="N",
                   help="courses per task, stepped together in one worker process (cohort "
                   "batch: their physics in one call of MuJoCo's batch; same results as one "
                   "by one)")
    p.set_defaults(func=_trial)
