"""``gaitway reanalyze``: re-run the analytics over every recording in the clinic store on Dask
and store the results under a new analysis version beside the old; print what moved.

Heavy imports (Dask, the analytics) happen in the handler so ``gaitway --help`` is quick.
"""

from __future__ import annotations

import argparse
from typing import Any

from gaitway.cli.clinic_cmd import _actor, _date, _positive_int, _store


def _reanalyze(args: argparse.Namespace) -> int:
    from gaitway.clinic.analysis_versions import move_line
    from gaitway.trials.reanalysis import reanalyse

    with _store() as store:
        run = reanalyse(store, actor=_actor(), since=args.since, scheduler=args.scheduler,
                        workers=args.workers)
    if run.version is None:
        print("no recordings to re-analyse" + (f" since {args.since}" if args.since else "")
              + "; no analysis version made")
        return 0
    base = (f"version {run.baseline_version}" if run.baseline_version is not None
            else "the analysis made at import")
    print(f"analysis version {run.version} (algorithm {run.algorithm}) on {run.where}: "
          f"{run.sessions} sessions re-analysed, {run.failed} could not be")
    print(f"against each session's newest earlier result (newest finished version: {base}):")
    if not run.moves:
        print("  no metric moved")
    for m in run.moves:
        print(f"  {move_line(m)}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "reanalyze", help="re-run the analytics over every stored recording on Dask; the new "
        "results are a new analysis version beside the old")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="an existing Dask scheduler whose workers see the recordings at the "
                   "stored paths (default: a local cluster of processes)")
    p.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                   help="only sessions started on or after this date")
    p.add_argument("--workers", type=_positive_int, default=2,
                   help="worker processes of the local cluster")
    p.set_defaults(func=_reanalyze)
