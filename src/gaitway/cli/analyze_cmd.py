"""``gaitway analyze PATH`` and ``gaitway validate analytics``."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from gaitway.cli.options import validate_parts
from gaitway.errors import UserError
from gaitway.files import os_error_line, write_atomic


def _mass(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"body mass must be a number in kg, got {text!r}"
        ) from None
    if not math.isfinite(v) or not 10 <= v <= 400:
        raise argparse.ArgumentTypeError(f"body mass {text} kg is implausible (10-400 kg)")
    return v


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a session time in seconds, got {text!r}") from None
    if not math.isfinite(v) or not 0.0 <= v <= 7 * 24 * 3600.0:
        raise argparse.ArgumentTypeError(f"{text} s is not a session time (0 s to a week)")
    return v


def _summary(result: dict[str, Any]) -> str:
    m = result["metrics"]
    lines = [f"{result['origin']} ({result['source']})"]
    for note in result.get("notes", []):
        lines.append(f"  note: {note}")
    n_ev = len(result["events"])
    n_st = {s: len(v) for s, v in result["strides"].items()}
    lines.append(f"  events: {n_ev}; valid strides: {n_st}")
    cmp = result.get("detected_vs_file_events")
    if cmp:
        lines.append(f"  the file's own events are used; the detector found "
                     f"{len(cmp['detected_events'])}; agreement with the file's:")
        for a in cmp["agreement"]:
            err = ("" if a["mean_error_ms"] is None else
                   f", mean {a['mean_error_ms']:+.1f} ms, max {a['max_abs_error_ms']:.1f} ms")
            lines.append(f"    {a['kind']} {a['side']}: {a['within_tolerance']}/"
                         f"{a['n_reference']} within {a['tolerance_ms']:g} ms{err}")
    flags = {k: sum(1 for v in result["strides"].values() for s in v if s.get(k))
             for k in ("foot_crossing", "partial_crossing", "events_from_kinematics")}
    if any(flags.values()):
        lines.append("  flagged strides: " + ", ".join(f"{k} {n}" for k, n in flags.items() if n))
    for key in (
        "cadence",
        "walking_speed",
        "steps",
        "distance",
        "stance_pct_left_mean",
        "stance_pct_right_mean",
        "symmetry_index_step_time_s",
        "symmetry_index_step_length_m",
    ):
        if key in m:
            lines.append(f"  {key}: {m[key]['value']:g} {m[key]['unit']}")
    return "\n".join(lines)


def _analyze(args: argparse.Namespace) -> int:
    from gaitway.analytics.analyze import analyze_data, load_path

    if args.start_s is not None and args.end_s is not None and args.start_s >= args.end_s:
        raise UserError(f"--from {args.start_s:g} s must come before --to {args.end_s:g} s")
    for out in (args.json, args.html):
        if out:
            _check_target(Path(out))
    data, truth = load_path(args.path, start_s=args.start_s, end_s=args.end_s)
    result = analyze_data(data, body_mass_kg=args.body_mass, truth=truth)
    if args.json:
        _write(Path(args.json), json.dumps(result, indent=1, allow_nan=False))
    if args.html:
        from gaitway.analytics.report_html import render_html

        _write(Path(args.html), render_html(result, data))
    print(_summary(result))
    return 0


def _check_target(path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a file name to write")


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(os_error_line(exc, f"create the folder {path.parent}")) from None
    write_atomic(path, text)


def _validate(args: argparse.Namespace) -> int:
    from gaitway.harnesses.analytics_validation import run_validation

    out = run_validation(Path(args.out), minutes=args.minutes, real_dir=args.real_dir)
    print(f"wrote {out}")
    return 0


def _minutes(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"minutes must be a number, got {text!r}") from None
    if not math.isfinite(v) or not 0.05 <= v <= 60:
        raise argparse.ArgumentTypeError(f"{text} min is outside 0.05-60 minutes")
    return v


def _guidance_levels(text: str) -> list[float]:
    try:
        levels = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(f"--guidance takes percentages separated by commas, got {text!r}") from None
    if not levels or any(not (math.isfinite(g) and 0 <= g <= 100) for g in levels):
        raise UserError(f"--guidance levels must be 0-100 %, got {text!r}")
    return levels


def _report(args: argparse.Namespace) -> int:
    from gaitway.harnesses.validation_report import write_report

    profiles = ([p.strip() for p in args.profiles.split(",") if p.strip()]
                if args.profiles else None)
    page = write_report(Path(args.out), minutes=args.minutes, profiles=profiles,
                        guidance=_guidance_levels(args.guidance), real_dir=args.real_dir)
    print(f"wrote {page}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "analyze",
        help="gait analytics of a recording, C3D or CSV file",
        description="Events, strides, clinical metrics and EMG of a Gaitway recording, a C3D "
        "file (force plates, markers, model angles) or a CSV file with documented columns.",
    )
    p.add_argument("path", help="Gaitway recording (.gwrec or folder), .c3d or .csv")
    p.add_argument("--json", metavar="OUT", help="write the full result as JSON")
    p.add_argument("--html", metavar="OUT", help="write an HTML report with the main plots")
    p.add_argument("--from", dest="start_s", metavar="S", type=_seconds, default=None,
                   help="analyse from this session time on (s), e.g. past a damaged block")
    p.add_argument("--to", dest="end_s", metavar="S", type=_seconds, default=None,
                   help="analyse up to this session time (s)")
    p.add_argument(
        "--body-mass",
        metavar="KG",
        type=_mass,
        default=None,
        help="body mass in kg (overrides the file's)",
    )
    p.set_defaults(func=_analyze)

    vsub = validate_parts(sub)
    rep = vsub.add_parser(
        "report", help="regenerate docs/validation/report.md: every accuracy figure of the "
        "analytics against its reference (real annotated files, twin truth), with plots")
    rep.add_argument("--out", default="docs/validation", help="output folder")
    rep.add_argument("--minutes", type=_minutes, default=1.0,
                     help="simulated minutes per twin run (default 1)")
    rep.add_argument("--profiles", default=None,
                     help="comma-separated twin profiles (default: all; see gaitway profiles)")
    rep.add_argument("--guidance", default="0,100",
                     help="comma-separated guidance levels in %% for the twin runs (default 0,100)")
    rep.add_argument("--real-dir", default="tests/data/real", help="folder of real recordings")
    rep.set_defaults(func=_report)
    v = vsub.add_parser("analytics", help="validate gait analytics, write docs/validation")
    v.add_argument("--out", default="docs/validation", help="output folder")
    v.add_argument("--minutes", type=float, default=1.0, help="simulated minutes per profile")
    v.add_argument("--real-dir", default="tests/data/real", help="folder of real recordings")
    v.set_defaults(func=_validate)
