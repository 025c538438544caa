"""Command-line options that several commands share, written once (help texts and units)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gaitway.control.registry import CONTROLLERS

if TYPE_CHECKING:
    from gaitway.session.lsl_bridge import LslOptions


def validate_parts(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """The sub-commands of ``gaitway validate`` (envelope, report, response, prediction: each
    registered by its own module, so the first to register makes the ``validate`` parser and
    the others join it)."""
    vparser = sub.choices.get("validate")
    if vparser is None:
        vparser = sub.add_parser("validate", help="regenerate validation figures")
    vsub = next((a for a in vparser._actions if isinstance(a, argparse._SubParsersAction)),
                None)
    if vsub is None:
        vsub = vparser.add_subparsers(dest="what", metavar="PART")
        vsub.required = True
    return vsub


def add_training_settings(p: argparse.ArgumentParser, *, guidance: float, speed: float,
                          bws: float = 30.0) -> None:
    """--guidance, --bws, --speed and --controller, with this command's defaults (the units
    at the edge: %, % of body weight, km/h)."""
    p.add_argument("--guidance", type=float, default=guidance, metavar="PCT",
                   help=f"guidance force 0-100 %% (default {guidance:g})")
    p.add_argument("--bws", type=float, default=bws, metavar="PCT",
                   help=f"body-weight support, %% of body weight (default {bws:g})")
    p.add_argument("--speed", type=float, default=speed, metavar="KMH",
                   help=f"belt speed 0.5-3.2 km/h (default {speed:g})")
    p.add_argument("--controller", choices=tuple(CONTROLLERS), default="guidance",
                   help="; ".join(f"{c.name}: {c.description}" for c in CONTROLLERS.values())
                   .replace("%", "%%") + " (default guidance)")


def add_lsl_options(p: argparse.ArgumentParser) -> None:
    """--lsl, --lsl-rate and --lsl-in: the session on the Lab Streaming Layer (paced at real
    time when any is given: LSL streams are on the wall clock)."""
    p.add_argument("--lsl", action="store_true",
                   help="stream the live channels (with units) and the events (markers) over "
                   "the Lab Streaming Layer; the session then runs at real time")
    p.add_argument("--lsl-rate", type=float, default=100.0, metavar="HZ",
                   help="rate of the LSL channel stream, at most 100 Hz (default 100)")
    p.add_argument("--lsl-in", action="append", default=[], metavar="TYPE[:NAME]",
                   help="read an external device's LSL stream (EMG amplifier, force plates) "
                   "whose channel labels name Gaitway channels (emg_tibialis_anterior_left, "
                   "grf_z_right, ...) into the session's samples; repeatable; the session "
                   "then runs at real time")


def lsl_options(args: argparse.Namespace) -> LslOptions | None:
    """The LSL options the command line asked for (None: no LSL)."""
    if not (args.lsl or args.lsl_in):
        return None
    from gaitway.session.lsl_bridge import LslOptions, parse_inlet  # slow (liblsl): on use

    return LslOptions(outlet=args.lsl, rate_hz=args.lsl_rate,
                      inputs=tuple(parse_inlet(t) for t in args.lsl_in))
