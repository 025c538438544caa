"""`gaitway simulate` and `gaitway profiles`: headless simulated sessions, patient registry."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from gaitway.cli.options import add_lsl_options, add_training_settings, lsl_options
from gaitway.compiled import tick_code
from gaitway.control.resist import DEFAULT_RESIST_DAMPING
from gaitway.control.settings import (
    MAX_FLOW_NM,
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    ROM_SCALE,
)
from gaitway.files import check_output_folder
from gaitway.session.settings import SessionSettings
from gaitway.station.sim.profiles import PROFILES


def register(sub: Any) -> None:
    p = sub.add_parser("simulate", help="run a headless simulated session (virtual patient)",
                       description="Run a session on the MuJoCo twin as fast as possible and "
                       "write its recording and summary.json into --out.")
    p.add_argument("--profile", required=True, help="virtual patient profile id (gaitway profiles)")
    p.add_argument("--minutes", type=float, required=True, help="session length in minutes")
    p.add_argument("--seed", type=int, default=0, help="seed: same seed, same session (default 0)")
    p.add_argument("--out", type=Path, required=True, help="folder for the recording")
    add_training_settings(p, guidance=60.0, speed=2.0)
    add_lsl_options(p)
    p.add_argument("--tunnel-width", type=float, default=5.0, metavar="DEG",
                   help="path control: tunnel half-width in degrees (default 5)")
    p.add_argument("--flow", type=float, default=0.0, metavar="NM",
                   help=f"path control: supportive flow along the path, N*m, 0-{MAX_FLOW_NM:g} "
                   "(default 0)")
    p.add_argument("--aan-min", type=float, default=30.0, metavar="PCT",
                   help="assist-as-needed: least support, %% of full guidance (default 30)")
    p.add_argument("--aan-max", type=float, default=100.0, metavar="PCT",
                   help="assist-as-needed: most support, %% of full guidance (default 100)")
    p.add_argument("--resist-damping", type=float, default=DEFAULT_RESIST_DAMPING, metavar="NMS",
                   help=f"resistance: damping, N*m*s/rad, 0-{MAX_RESIST_DAMPING:g} (default "
                   f"{DEFAULT_RESIST_DAMPING:g})")
    p.add_argument("--resist-torque", type=float, default=0.0, metavar="NM",
                   help="resistance: constant torque against motion, N*m, "
                   f"0-{MAX_RESIST_TORQUE_NM:g} (default 0)")
    p.add_argument("--rom-hip", type=float, default=1.0, metavar="SCALE",
                   help="range of motion: scale of the hip's excursion, "
                   f"{ROM_SCALE[0]:g}-{ROM_SCALE[1]:g} (default 1)")
    p.add_argument("--rom-knee", type=float, default=1.0, metavar="SCALE",
                   help="range of motion: scale of the knee's excursion, "
                   f"{ROM_SCALE[0]:g}-{ROM_SCALE[1]:g} (default 1)")
    p.add_argument("--self-paced", action="store_true",
                   help="the belt follows the patient's cadence")
    p.add_argument("--no-adapt", action="store_true",
                   help="do not respond to fatigue automatically")
    p.add_argument("--max-guidance", type=float, default=100.0, metavar="PCT",
                   help="most guidance an automatic fatigue response may set (default 100)")
    p.add_argument("--max-bws", type=float, default=50.0, metavar="PCT",
                   help="most body-weight support an automatic response may set (default 50)")
    p.add_argument("--lateral-pelvis", action="store_true", help="let the pelvis move sideways")
    p.add_argument("--no-patient-events", action="store_true",
                   help="the virtual patient never presses stop or reports pain")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--inject", action="append", default=[], metavar="FAULT@SECONDS",
                   help="inject a fault at a session time, repeatable (list: gaitway faults)")
    p.add_argument("--acknowledge", action="append", default=[], metavar="NAME@SECONDS",
                   help="acknowledge a safety stop as NAME at a session time, repeatable: once "
                   "safe and the cause gone, the session resumes from a safe start; refused "
                   "(and recorded) otherwise")
    p.add_argument("--pause", action="append", default=[], metavar="AT:SECONDS",
                   help="pause the session at AT s for SECONDS, then resume (as the console's "
                   "buttons do), repeatable")
    p.set_defaults(func=_simulate)

    q = sub.add_parser("profiles", help="list the virtual patient profiles")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=_profiles)


def settings_from_args(args: argparse.Namespace) -> SessionSettings:
    """The session's settings from the command line, validated."""
    return SessionSettings(
        profile=args.profile, minutes=args.minutes, seed=args.seed,
        guidance_pct=args.guidance, bws_pct=args.bws, speed_kmh=args.speed,
        lateral_pelvis=args.lateral_pelvis, patient_events=not args.no_patient_events,
        controller=args.controller, tunnel_width_deg=args.tunnel_width, path_flow_nm=args.flow,
        aan_min_pct=args.aan_min, aan_max_pct=args.aan_max,
        resist_damping_nms_per_rad=args.resist_damping, resist_torque_nm=args.resist_torque,
        hip_rom_scale=args.rom_hip, knee_rom_scale=args.rom_knee,
        self_paced=args.self_paced, adapt_to_fatigue=not args.no_adapt,
        max_guidance_pct=args.max_guidance, max_bws_pct=args.max_bws,
        injections=tuple(args.inject), acknowledgements=tuple(args.acknowledge),
        pauses=tuple(args.pause),
    ).validate()


def _simulate(args: argparse.Namespace) -> int:
    from gaitway.session.runner import run_session  # slow: load on use

    cfg = settings_from_args(args)
    lsl = lsl_options(args)
    check_output_folder(args.out, "the recording")
    console = Console(stderr=True)
    show = not args.quiet and cfg.minutes >= 0.5
    existed = Path(args.out).exists()
    try:
        if show:
            with Progress(TextColumn("simulating"), BarColumn(),
                          TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("sim", total=cfg.minutes * 60.0)
                s = run_session(cfg, args.out, lsl=lsl,
                                progress=lambda t, total: bar.update(task, completed=t))
        else:
            s = run_session(cfg, args.out, lsl=lsl)
    except BaseException:
        if not existed:  # a folder this run made and left empty must not block a rerun
            with contextlib.suppress(OSError):
                Path(args.out).rmdir()
        raise
    print(f"SIMULATED session ({s.profile}, seed {s.seed}): {s.duration_s:.1f} s, "
          f"ended by {s.ended_by}")
    print(f"  strides: left {s.strides.left}, right {s.strides.right}; "
          f"mean cadence {s.mean_cadence_steps_per_min or 0.0:.1f} steps/min")
    err = s.tracking_error_rms_deg
    part = s.active_participation_nm

    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1f}"

    print(f"  controller: {s.controller}; tracking error RMS (deg): "
          + ", ".join(f"{k} {fmt(v)}" for k, v in asdict(err).items()))
    print(f"  cuff participation (N*m per rad, + the leg moves against the robot): "
          f"left {fmt(part.left)}, right {fmt(part.right)}")
    if s.effort is not None:
        print(f"  active participation (patient's share of positive work, SIMULATED truth): "
              f"{fmt(s.effort.active_participation_pct)} %; drive {s.effort.drive}")
    print(f"  real-time factor: {s.real_time_factor}x (tick: {tick_code()})")
    print(f"  recording: {Path(args.out) / (s.recording or '')}  summary: "
          f"{Path(args.out) / 'summary.json'}")
    for f in s.faults:
        if f["reaction"] != "warn":
            print(f"  fault {f['kind']}: detected at {f['detected_at_s']:.3f} s, "
                  f"{f['reaction']}, safe state at {f['safe_state_at_s']} s")
        else:  # repeats folded: one line per run
            last = f.get("last_at_s") or f["detected_at_s"]
            print(f"  warning {f['kind']} at {f.get('joint') or '-'}: {f.get('count', 1)}x, "
                  f"{f['detected_at_s']:.1f}-{last:.1f} s (latest: {f['detail']})")
    for a in s.safety.acknowledgements:
        if a["accepted"]:
            print(f"  acknowledged by {a['by']} at {a['at_s']:.3f} s: resumed from a safe start")
        else:
            print(f"  acknowledgement by {a['by']} at {a['at_s']:.3f} s refused: {a['reason']}")
    if s.safety.ended_by_fault:
        if not s.safety.safe_state_reached:
            print("  the session ended by a fault and did NOT reach its safe state")
            return 1
        print("  the session ended by a fault; the safe state was reached and held "
              "(that stop was not acknowledged)")
    return 0


def _profiles(args: argparse.Namespace) -> int:
    rows = [p.summary() for p in PROFILES.values()]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    table = Table(title="Virtual patient profiles (simulated)")
    for col in ("id", "height_m", "mass_kg", "paretic_side", "strength_left", "strength_right",
                "stance_left", "stance_right", "foot_drop_left", "foot_drop_right",
                "participation"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[c]) if r[c] is not None else "-" for c in (
            "id", "height_m", "mass_kg", "paretic_side", "strength_left", "strength_right",
            "stance_left", "stance_right", "foot_drop_left", "foot_drop_right", "participation")))
    Console(width=200).print(table)
    return 0
