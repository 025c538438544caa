"""``gaitway station run``: a station on its own computer, shown live on a console elsewhere.

The session runs here, paced at 1 kHz against wall time, with the safety supervisor and the
recording, exactly as a console station runs it (:class:`gaitway.web.live.LiveStation`); its
live frames are posted to the server by :class:`gaitway.web.publisher.FramePublisher`. The
console watches it and cannot control it: the robot is controlled here, where its safety
layer runs. The station's token comes from ``GAITWAY_STATION_TOKEN`` (never an argument:
``ps`` would show it). Ctrl-C or SIGTERM ends the session through its safe stop.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
import urllib.parse
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from gaitway.cli import hardware_cmd
from gaitway.cli.options import add_training_settings
from gaitway.cli.serve_cmd import is_loopback
from gaitway.errors import UserError

if TYPE_CHECKING:  # loaded on use: the web part is slow to import for other commands
    from gaitway.web.live import LiveStation
    from gaitway.web.publisher import PublishStats

TOKEN_ENV: Final[str] = "GAITWAY_STATION_TOKEN"
#: how often the main thread looks at the session (Ctrl-C, a fault held, the end)
WATCH_EVERY_S: Final[float] = 0.1


def register(sub: Any) -> None:
    p = sub.add_parser("station", help="run a station that a console server shows live")
    ssub = p.add_subparsers(dest="station_command", metavar="ACTION",
                            parser_class=type(p))
    ssub.required = True
    r = ssub.add_parser(
        "run", help="run a paced SIMULATED session here and publish it to a console server",
        description="Run a live session on the MuJoCo twin (SIMULATED virtual patient), paced "
        "at 1 kHz with the safety supervisor and recording here, and post its live frames to "
        "a console server (gaitway serve), which shows it read-only. The station's token is "
        f"read from {TOKEN_ENV}; the server lists it in GAITWAY_WEB_STATION_TOKENS. Ctrl-C "
        "ends the session through its safe stop.")
    r.add_argument("--server", default=None, metavar="URL",
                   help="the console server, e.g. http://clinic:8000")
    r.add_argument("--station-id", default=None, metavar="ID",
                   help="this station's id on the server (as in GAITWAY_WEB_STATION_TOKENS)")
    r.add_argument("--profile", default="hemiparetic-left-moderate",
                   help="virtual patient profile id (gaitway profiles; default "
                   "hemiparetic-left-moderate)")
    r.add_argument("--patient", default="SIM-REMOTE", help="patient pseudonym shown on the "
                   "console (default SIM-REMOTE)")
    r.add_argument("--minutes", type=float, default=30.0,
                   help="session length in minutes (default 30)")
    r.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    add_training_settings(r, guidance=80.0, speed=1.8)
    r.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for the recordings (default $GAITWAY_DATA_DIR/station-sessions)")
    r.add_argument("--overrun-bound-ms", type=float, default=None, metavar="MS",
                   help="safety: a loop overrun is 3 ticks in a row later than this (default: "
                   "the device's 5 ms); widen it only on a computer that is not real-time")
    r.set_defaults(func=run)
    hardware_cmd.register(ssub, r)  # station check, station replay, run --config


def run(args: argparse.Namespace) -> int:
    if args.config is not None:
        return hardware_cmd.run_config(args)
    if args.lsl or args.lsl_in:
        raise UserError("--lsl and --lsl-in work with --config (a CANopen station) and with "
                        "'gaitway simulate'; a console station streams through its console")
    if not args.server or not args.station_id:
        raise UserError("station run needs --server URL and --station-id ID (a station shown "
                        "on a console), or --config FILE (a CANopen station)")
    from gaitway.settings import get_settings
    from gaitway.web.live import SWITCH_INTERVAL_S, LiveStation
    from gaitway.web.publisher import FramePublisher
    from gaitway.web.setup import StationSetup

    out = args.out if args.out is not None else get_settings().data_dir / "station-sessions"
    setup = StationSetup(station_id=args.station_id, name=f"Station {args.station_id}",
                         profile=args.profile, patient=args.patient, seed=args.seed,
                         minutes=args.minutes, guidance_pct=args.guidance, bws_pct=args.bws,
                         speed_kmh=args.speed, controller=args.controller, simulated=True)
    setup.session_settings(0)  # every setting checked before anything is sent
    if not 1 <= len(args.patient) <= 64:
        raise UserError("--patient must be 1-64 characters")
    bound = args.overrun_bound_ms
    if bound is not None and not (math.isfinite(bound) and 0.0 < bound <= 1000.0):
        raise UserError(f"--overrun-bound-ms must be above 0 and at most 1000, got {bound}")
    publisher = FramePublisher(args.server, args.station_id, os.environ.get(TOKEN_ENV, ""),
                               simulated=True, patient=args.patient)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder {out}: {exc.strerror}") from None
    host = urllib.parse.urlsplit(publisher.server).hostname or ""
    if publisher.server.startswith("http://") and not is_loopback(host):
        print("Note: plain HTTP to another computer carries the station token and the live "
              "data unencrypted; serve the console behind HTTPS (https://...).",
              file=sys.stderr, flush=True)
    unreachable = publisher.check()  # a refused token ends here, before anything moves
    if unreachable:
        print(f"gaitway: warning: cannot reach {publisher.server} ({unreachable}); the session "
              "runs anyway and keeps trying", file=sys.stderr, flush=True)
    station = LiveStation(setup, recordings_dir=out,
                          overrun_bound_s=None if bound is None else bound / 1000.0)
    publisher.attach(station)
    print(f"SIMULATED station {args.station_id} ({args.profile}, seed {args.seed}, "
          f"{args.minutes:g} min): publishing to {publisher.server}; Ctrl-C stops safely",
          flush=True)
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    asked = _StopSignals()
    publisher.start()
    try:
        station.start("station:local")
        _watch(station, asked)
    finally:
        asked.restore()
        stats = publisher.close()
    return _report(station, stats)


class _StopSignals:
    """SIGINT/SIGTERM only note the request; the watcher stops the session safely."""

    def __init__(self) -> None:
        self.by = ""
        self._old = {sig: signal.signal(sig, self._on) for sig in (signal.SIGINT,
                                                                   signal.SIGTERM)}

    def _on(self, signum: int, frame: FrameType | None) -> None:
        self.by = "operator:Ctrl-C" if signum == signal.SIGINT else "operator:SIGTERM"

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _watch(station: Any, asked: _StopSignals) -> None:
    """Wait for the session's end; stop it on a signal, or once it holds a fault's safe state
    (no one can acknowledge here: the console cannot control this station)."""
    stop_by = ""
    while station.running:
        time.sleep(WATCH_EVERY_S)
        if stop_by:
            continue
        why = asked.by
        if not why:
            held = [a for a in station.alerts if a.get("safe_state_at_s") is not None]
            if held and station.status()["safety"]["holding"]:
                print(f"gaitway: fault {held[0]['text']}; safe state reached at "
                      f"{held[0]['safe_state_at_s']} s: ending the session", file=sys.stderr,
                      flush=True)
                why = "safety:fault held"
        if why:
            try:
                station.stop(why)
                stop_by = why
            except UserError:
                pass  # the loop has not taken its first tick yet: ask again next time


def _report(station: LiveStation, stats: PublishStats) -> int:
    s = station.last_summary
    ended = station.last_ended_by or "unknown"
    print(f"SIMULATED session on station {station.setup.station_id} "
          f"({station.setup.profile}, seed {station.setup.seed}): "
          f"{s.duration_s if s else 0.0:.1f} s, ended by {ended}")
    if s is not None:
        print(f"  strides: left {s.strides.left}, right {s.strides.right}")
        j = s.loop_timing
        if j is not None:
            print(f"  loop: {j.overruns} overruns, jitter p99 {j.jitter_p99_us:.0f} us")
            if j.slips:  # a busy computer: the twin's time fell behind, harmlessly
                print(f"  simulated time fell {j.behind_s:.1f} s behind wall time "
                      f"({j.slips} slips, latest tick {j.max_lag_s:.2f} s late at most)")
        for f in s.faults:
            if f.get("reaction") != "warn":
                print(f"  fault {f['kind']}: detected at {f['detected_at_s']:.3f} s, "
                      f"{f['reaction']}, safe state at {f['safe_state_at_s']} s")
    print(f"  {stats.line()}")
    if stats.error:
        print(f"  not shown on the console: {stats.error}")
    if station.recording:
        print(f"  recording: {station.recording}")
    failed = [a for a in station.alerts if a["kind"] in ("session_failed", "recording_failed")]
    for a in failed:
        print(f"gaitway: error: {a['text']}", file=sys.stderr)
    return 1 if failed or ended.startswith("session failed") else 0
