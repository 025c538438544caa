"""Command-line options that several commands share, written once (help texts and units)."""

from __future__ import annotations

import argparse

from gaitway.control.registry import CONTROLLERS


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
