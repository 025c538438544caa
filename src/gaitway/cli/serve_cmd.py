"""``gaitway serve``: the therapist console and patient view, with simulated stations."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import os
from pathlib import Path
from typing import Any

from gaitway.errors import UserError
from gaitway.recording import RECORDING_FILENAME


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="start the therapist console and patient view (web server)",
        description="Serve the console with simulated stations (SIMULATED virtual patients). "
        "--demo sets up a demo clinic with demo accounts; otherwise accounts come from the "
        "clinic store (create the first with --create-admin).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--demo", action="store_true",
                   help="demo clinic: 3 simulated stations, demo accounts, own demo store")
    p.add_argument("--no-history", action="store_true",
                   help="with --demo: skip simulating the demo patients' history in the "
                        "background")
    p.add_argument("--stations", type=int, default=3, help="simulated stations (default 3)")
    p.add_argument("--minutes", type=float, default=30.0,
                   help="length of each simulated session (default 30)")
    p.add_argument("--replay", metavar="RECORDING", action="append", default=[],
                   help="add a station that plays this recording (a session folder or its "
                   "recording.gwrec) through its loop, safety and the console; repeatable")
    p.add_argument("--create-admin", metavar="USERNAME",
                   help="create an admin account (asks for its password) and exit")
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer (plain HTTP stays on it)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def replay_source(path: Path) -> Path:
    """The session folder a ``--replay`` argument names (the folder or its recording)."""
    folder = path.parent if path.suffix == Path(RECORDING_FILENAME).suffix else path
    if not (folder / RECORDING_FILENAME).is_file():
        raise UserError(f"--replay {path}: no recording there; give a session folder (as "
                        f"'gaitway simulate --out' writes) or its {RECORDING_FILENAME}")
    return folder


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from gaitway.clinic import records
    from gaitway.clinic.store import open_store
    from gaitway.settings import get_settings
    from gaitway.web.app import create_app
    from gaitway.web.background import UVICORN_OPTIONS
    from gaitway.web.config import WebSettings
    from gaitway.web.demo import DEMO_ACCOUNTS, prepare_demo, setups_from_store
    from gaitway.web.heap import frozen_heap
    from gaitway.web.service import LiveService
    from gaitway.web.setup import replay_setup

    if not 1 <= args.port <= 65535:
        raise UserError(f"--port must be within 1-65535, got {args.port}")
    if not 1 <= args.stations <= 16:
        raise UserError(f"--stations must be within 1-16, got {args.stations}")
    settings = get_settings()
    if args.create_admin:
        password = os.environ.get("GAITWAY_NEW_PASSWORD") or getpass.getpass(
            f"password for {args.create_admin}: ")
        with open_store() as store, store.transaction() as db:
            records.add_user(db, actor="cli:serve", username=args.create_admin, role="admin",
                             password=password)
        print(f"admin account {args.create_admin!r} created")
        return 0
    web = WebSettings(demo=args.demo)
    if is_loopback(args.host) and "GAITWAY_WEB_COOKIE_SECURE" not in os.environ:
        web.cookie_secure = False  # browsers drop Secure cookies over plain HTTP
    if args.demo:
        url = settings.database_url or f"sqlite:///{settings.data_dir / 'demo' / 'clinic.sqlite'}"
        store = open_store(url)
        print("Setting up the demo clinic (SIMULATED patients)...", flush=True)
        setups = prepare_demo(store, stations=args.stations, minutes=args.minutes,
                              history_dir=None,
                              progress=lambda m: print(f"  {m}", flush=True))
    else:
        store = open_store()
        setups = setups_from_store(store, stations=args.stations, minutes=args.minutes)
    if args.demo and not args.no_history:
        # weeks of 10-minute sessions under approved proposals, simulated after the start in
        # a low-priority process of its own (it takes a while; records fill in as it goes)
        from gaitway.harnesses.demo_course import start_demo_course

        start_demo_course(url, [s.patient for s in setups if s.patient],
                          settings.data_dir / "demo" / "course")
        print("  the demo history (4 weeks of 10-minute sessions per patient, SIMULATED) is "
              "simulated in the background; progress below", flush=True)
    for i, given in enumerate(args.replay):  # its therapists: those of the first station
        setups.append(replay_setup(replay_source(Path(given)), f"replay-{i + 1}",
                                   therapists=setups[0].therapists if setups else None))
    recordings = settings.data_dir / ("demo" if args.demo else "") / "live-sessions"
    bound = None if web.overrun_bound_ms is None else web.overrun_bound_ms / 1000.0
    app = create_app(web, store, LiveService(setups, recordings_dir=recordings,
                                             overrun_bound_s=bound, processes=True),
                     start_stations=True)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    n_replay = len(args.replay)
    print(f"Gaitway console: http://{shown}:{args.port}/  ({len(setups) - n_replay} SIMULATED "
          f"stations{f', {n_replay} replayed' if n_replay else ''})")
    if args.demo:
        print("Demo accounts (demo only; never use these passwords elsewhere):")
        for username, role, password in DEMO_ACCOUNTS:
            print(f"  {username:<11} {password:<22} {role}")
    if not web.cookie_secure:
        print("Note: plain HTTP on a loopback address, so the session cookie is not marked "
              "Secure; serve behind HTTPS for other computers.")
    with frozen_heap():  # the startup objects stay out of the collector's walks (H25)
        uvicorn.run(app, host=args.host, port=args.port, **UVICORN_OPTIONS)
    store.close()
    return 0
