"""``gaitway station check|run --config|replay``: CANopen stations and recordings replayed.

``check`` runs the commissioning checks on the configured bus (or on emulated drives started
here with ``--emulate``) and prints them as a table; no drive is enabled unless ``--move``
asks for the direction test. ``run --config FILE --emulate`` runs a session over CANopen:
emulated CiA 402 drives move the MuJoCo twin with its virtual patient (SIMULATED), with the
same summary.json as ``gaitway simulate`` plus ``"transport": "canopen"``. ``replay`` plays a
recording back through the Station interface and reruns its session on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gaitway.cli.options import add_lsl_options, lsl_options
from gaitway.errors import UserError
from gaitway.safety.station_limits import device_limits
from gaitway.session.replay import run_replay
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.session.stations import emulated_canopen, unpaced_timing
from gaitway.session.summary import SessionSummary
from gaitway.settings import get_settings
from gaitway.station.canopen.config import JOINT_NAMES, load_config
from gaitway.station.canopen.emulator import emulated_station
from gaitway.station.canopen.station import CanopenStation, StartupCheck
from gaitway.station.channels import Side
from gaitway.station.interface import Command, StationError

#: the direction test: torque per joint (N*m) and how long it is held (ticks)
MOVE_TORQUE_NM = 3.0
MOVE_TICKS = 200


def register(ssub: Any, run_parser: argparse.ArgumentParser) -> None:
    """Add ``check`` and ``replay`` to ``gaitway station``, and ``--config``/``--emulate``
    to its ``run``."""
    c = ssub.add_parser(
        "check", help="commissioning checks of a CANopen station (prints a table)",
        description="Bring the configured CAN buses up, reset and configure every drive, and "
        "check: every node answers, CiA 402 drive with cyclic synchronous torque, drive data "
        "match the config, PDOs answer each SYNC, no drive fault, STO released, brakes hold, "
        "joints inside their end stops, bus load. No drive is enabled (except with --move). "
        "Exit code 0 when every check passed, 1 otherwise.")
    c.add_argument("--config", type=Path, required=True, metavar="FILE",
                   help="device config (TOML), e.g. examples/exo4_canopen.toml")
    c.add_argument("--emulate", action="store_true",
                   help="check against emulated drives started here (virtual CAN buses)")
    c.add_argument("--move", action="store_true",
                   help=f"then enable the drives and push each joint with {MOVE_TORQUE_NM:g} "
                   "N*m of flexion to check its direction (no patient in the device!)")
    c.set_defaults(func=check)
    run_parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                            help="run over the CANopen station this device config describes "
                            "(instead of --server)")
    run_parser.add_argument("--emulate", action="store_true",
                            help="with --config: emulated drives moving the twin with its "
                            "virtual patient, as fast as it goes (SIMULATED)")
    add_lsl_options(run_parser)  # with --config
    r = ssub.add_parser(
        "replay", help="replay a recording through the Station interface",
        description="Play a recording back as a station (at --speed x real time, or 'max') "
        "and rerun its session on it: the safety supervisor judges every replayed Sample and "
        "the controller answers it (its commands go nowhere). Writes a new recording and "
        "summary.json (\"transport\": \"replay\") into --out.")
    r.add_argument("recording", type=Path, metavar="RECORDING",
                   help="a session folder or its recording.gwrec")
    r.add_argument("--speed", default="1", metavar="X",
                   help="replay speed: 1 = real time (default), 2 = twice as fast, max = as "
                   "fast as possible")
    r.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for the replayed session (default $GAITWAY_DATA_DIR/replays/..)")
    r.set_defaults(func=replay)


def _speed(text: str) -> float | None:
    if text.strip().lower() == "max":
        return None
    try:
        v = float(text)
    except ValueError:
        raise UserError(f"--speed wants a number or 'max', got {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise UserError(f"--speed must be above 0, got {text!r}")
    return v


def _table(checks: list[StartupCheck], title: str) -> Table:
    t = Table(title=title)
    for col in ("check", "joint", "result", "detail"):
        t.add_column(col)
    for ch in checks:
        t.add_row(ch.name, ch.joint or "-", "[green]ok[/]" if ch.passed else "[red]FAILED[/]",
                  ch.detail)
    return t


def check(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    checks: list[StartupCheck] = []
    try:
        device_limits(cfg.limits())
        checks.append(StartupCheck("limits agree with the drives", "", True,
                                   "torque limits within what the currents give, below the "
                                   "over-current fault"))
    except UserError as exc:
        checks.append(StartupCheck("limits agree with the drives", "", False, str(exc)))
    # emulated drives answer as this host schedules their threads, and the checks step the
    # station as fast as it goes: their deadlines are widened as a headless session's
    station = (emulated_station(unpaced_timing(cfg))[0] if args.emulate
               else CanopenStation(cfg))
    try:
        checks.extend(station.commission())
        if args.move and all(ch.passed for ch in checks):
            checks.extend(_directions(station))
    finally:
        station.stop()
    label = " (emulated drives)" if args.emulate else ""
    Console(width=160).print(_table(checks, f"Commissioning checks: {cfg.name}{label}"))
    failed = [ch for ch in checks if not ch.passed]
    print(f"{len(checks) - len(failed)} of {len(checks)} checks passed"
          + (f"; first failure: {failed[0].name} {failed[0].joint}".rstrip() if failed else ""))
    return 1 if failed else 0


def _directions(station: CanopenStation) -> list[StartupCheck]:
    """Push each joint in flexion alone and see it move that way (the direction sign)."""
    out = []
    try:
        station.enable()
    except StationError as exc:
        return [StartupCheck("drives enable", "", False, str(exc))]
    out.append(StartupCheck("drives enable", "", True, "every drive reached operation "
                            "enabled"))
    for k, joint in enumerate(JOINT_NAMES):
        j, side_name = joint.split("_")
        side: Side = "left" if side_name == "left" else "right"
        before = station.step(Command()).joint_angle(j, side)
        torques = [0.0] * 4
        torques[k] = MOVE_TORQUE_NM
        s = station.last_sample
        for _ in range(MOVE_TICKS):
            s = station.step(Command(*torques))
        moved = s.joint_angle(j, side) - before
        tq = s.drive_torque(j, side)
        ok = moved > 0.0 and tq > 0.0
        out.append(StartupCheck("direction", joint, ok,
                                f"+{MOVE_TORQUE_NM:g} N*m: torque reads {tq:+.2f} N*m, joint moved "
                                f"{moved:+.4f} rad" + ("" if ok else ": flip 'direction'")))
        for _ in range(MOVE_TICKS):
            station.step(Command())
    return out


def run_config(args: argparse.Namespace) -> int:
    """``gaitway station run --config FILE [--emulate]``."""
    cfg = load_config(args.config)
    device_limits(cfg.limits())
    if not args.emulate:
        raise UserError("a session on real drives also needs the harness, belt, force plates "
                        "and stop buttons, which have no driver yet: run with --emulate, or "
                        "check the real bus with 'gaitway station check --config FILE'")
    out = args.out if args.out is not None else (
        get_settings().data_dir / "station-sessions"
        / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-canopen")
    config = SessionSettings(profile=args.profile, minutes=args.minutes, seed=args.seed,
                             guidance_pct=args.guidance, bws_pct=args.bws,
                             speed_kmh=args.speed, controller=args.controller).validate()
    s = run_session(config, out, station_choice=emulated_canopen(cfg), lsl=lsl_options(args))
    _print_summary(s, f"SIMULATED session over CANopen ({cfg.name}, emulated drives, "
                   f"{s.profile}, seed {s.seed})", out)
    return _exit(s)


def replay(args: argparse.Namespace) -> int:
    speed = _speed(args.speed)
    src = Path(args.recording)
    folder = src.parent if src.suffix == ".gwrec" else src
    out = args.out if args.out is not None else (
        get_settings().data_dir / "replays"
        / f"{folder.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}")
    s = run_replay(folder, out, speed=speed)
    pace = "as fast as possible" if speed is None else f"{speed:g}x"
    _print_summary(s, f"Replay of {folder} ({pace})", out)
    return _exit(s)


def _print_summary(s: SessionSummary, title: str, out: Path) -> None:
    print(f"{title}: {s.duration_s:.1f} s, ended by {s.ended_by}")
    print(f"  transport: {s.transport}; strides: left {s.strides.left}, "
          f"right {s.strides.right}; real-time factor {s.real_time_factor}x")
    err = asdict(s.tracking_error_rms_deg)
    print("  tracking error RMS (deg): " + ", ".join(
        f"{k} {'n/a' if v is None else f'{v:.1f}'}" for k, v in err.items()))
    for f in s.faults:
        if f["reaction"] != "warn":
            print(f"  fault {f['kind']}: detected at {f['detected_at_s']:.3f} s, "
                  f"{f['reaction']}, safe state at {f['safe_state_at_s']} s")
    print(f"  recording: {out / (s.recording or '')}  summary: {out / 'summary.json'}")


def _exit(s: SessionSummary) -> int:
    return 1 if s.safety.ended_by_fault and not s.safety.safe_state_reached else 0
