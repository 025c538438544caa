"""``gaitway validate envelope``: short SIMULATED sessions over the whole clinical envelope."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gaitway.cli.options import validate_parts
from gaitway.errors import UserError


def _envelope(args: argparse.Namespace) -> int:
    from gaitway.harnesses.envelope import EnvelopeOutcome, grid, run_grid, write_table

    profiles = [p.strip() for p in args.profiles.split(",")] if args.profiles else None
    if not 5.0 <= args.seconds <= 600.0:
        raise UserError(f"--seconds must be within 5-600, got {args.seconds}")
    match = [m.strip() for m in args.match if m.strip()]
    cases = grid(quick=args.quick, profiles=profiles, seconds=args.seconds, match=match,
                 seed=args.seed)
    t0 = time.perf_counter()
    done = [0]

    def progress(o: EnvelopeOutcome) -> None:
        done[0] += 1
        if not o.ok or not args.quiet:
            mark = "ok " if o.ok else ("BAD" if o.false_fault else "exp")
            print(f"[{done[0]}/{len(cases)}] {mark} {o.case.label}: {o.outcome}, worst cuff "
                  f"{o.worst_cuff_nm:.0f} N*m, clipped {o.clipped_torque_ticks}, "
                  f"strides {o.strides}", file=sys.stderr, flush=True)

    outcomes = run_grid(cases, workers=args.workers, progress=progress)
    path = Path(args.out) / ("envelope-quick.md" if args.quick else "envelope.md")
    opts = [*(["--quick"] if args.quick else []),
            *([f"--profiles {args.profiles}"] if args.profiles else []),
            *([f"--seconds {args.seconds:g}"] if args.seconds != 20.0 else []),
            *[f"--match '{m}'" for m in match],
            *([f"--seed {args.seed}"] if args.seed != 1 else [])]
    note = "this table: " + " ".join(opts) if opts else ""
    write_table(outcomes, path, title_note=note)
    bad = [o for o in outcomes if o.false_fault]
    expected = sum(1 for o in outcomes if not o.ok and not o.false_fault)
    print(f"{len(outcomes)} SIMULATED sessions in {time.perf_counter() - t0:.0f} s: "
          f"{len(bad)} with a false fault, a clipped command or a failed resume; {expected} "
          f"true stops the patient's strength explains; wrote {path}")
    return 1 if bad else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    vsub = validate_parts(sub)
    v = vsub.add_parser(
        "envelope", help="sessions across the clinical envelope, without a false fault",
        description="Short SIMULATED sessions (start, walk, pause, resume, end) for every "
        "profile and controller across body-weight support, guidance, belt speed and the "
        "controllers' settings; writes a table of outcome, worst cuff torque, clipped "
        "commands and strides. Exit code 1 if any session has a false fault (a stop the "
        "patient's own strength explains is reported as an expected true stop).")
    v.add_argument("--out", default="docs/validation", help="output folder")
    v.add_argument("--quick", action="store_true", help="a reduced grid (CI)")
    v.add_argument("--profiles", default="", metavar="A,B",
                   help="only these profiles (default: all, see gaitway profiles)")
    v.add_argument("--seconds", type=float, default=20.0, help="session length (default 20)")
    v.add_argument("--match", action="append", default=[], metavar="TEXT",
                   help="only the cases whose table label holds TEXT (repeat: all of them), "
                   "e.g. --match 'resist (damping 0' --match 'BWS 0 %%'")
    v.add_argument("--seed", type=int, default=1,
                   help="the virtual patient's seed in every case (default 1)")
    v.add_argument("--workers", type=int, default=None,
                   help="processes (default: one per core)")
    v.add_argument("--quiet", action="store_true", help="print only the sessions that fail")
    v.set_defaults(func=_envelope)
