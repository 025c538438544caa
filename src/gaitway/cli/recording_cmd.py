"""``gaitway recording info PATH``: what a recording holds, and whether it is whole."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from gaitway.recording import RecordingError, open_recording


def register(subparsers: Any) -> None:
    """Add the ``recording`` command group to the ``gaitway`` parser."""
    group = subparsers.add_parser("recording", help="inspect session recordings")
    sub = group.add_subparsers(dest="recording_command", metavar="SUBCOMMAND")
    sub.required = True
    info = sub.add_parser("info", help="summarise a recording (duration, channels, events)")
    info.add_argument("path", help="a session directory or its recording.gwrec")
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.add_argument(
        "--verify", action="store_true", help="also check every block's checksum (reads it all)"
    )
    info.set_defaults(func=_info)


def _info(args: argparse.Namespace) -> int:
    rec = open_recording(args.path)
    summary = rec.describe()
    damage = rec.verify() if args.verify else []
    if args.verify:
        summary["damaged_blocks"] = damage
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print_human(summary)
    if damage:
        raise RecordingError(f"{len(damage)} damaged block(s); the first: {damage[0]}")
    return 0


def _print_human(s: dict[str, Any]) -> None:
    console = Console(highlight=False)
    status = "complete" if s["complete"] else "CUT OFF"
    kind = "SIMULATED session" if s["simulated"] else "session"
    console.print(f"[bold]{escape(s['path'])}[/bold]: {kind}, {status}")
    console.print(
        f"  {s['duration_s']:.3f} s ({s['start_time_s']:.3f}-{s['end_time_s']:.3f} s), "
        f"{s['n_samples']} samples at {s['sampling_rate_hz']:g} Hz, "
        f"{s['size_bytes'] / 1e6:.2f} MB on disk"
    )
    for note in s["problems"]:
        console.print(f"  [yellow]problem:[/yellow] {escape(note)}")
    if s["final"]:
        final = ", ".join(f"{k}={v}" for k, v in s["final"].items())
        console.print(f"  final: {final}", markup=False)
    events = ", ".join(f"{k} x{n}" for k, n in sorted(s["events"].items())) or "none"
    console.print(f"  events: {events}", markup=False)
    console.print(f"  {len(s['channels'])} channels, {len(s['truth_channels'])} truth channels:")
    for label, channels in (("", s["channels"]), ("truth ", s["truth_channels"])):
        by_unit: dict[str, list[str]] = {}
        for name, unit in channels.items():
            by_unit.setdefault(unit, []).append(name)
        for unit, names in by_unit.items():
            console.print(f"    {label}[{unit}] " + ", ".join(names), markup=False)
