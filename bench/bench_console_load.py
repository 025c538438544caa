"""The README's main command under a browser: do simulated stations stop themselves?

Starts ``./scripts/run.sh --port P`` (``gaitway serve --demo``: 3 SIMULATED stations in
worker processes, the device's 5 ms overrun bound) with its own data directory, opens the
console's overview (``/``) in a headless Chromium (Playwright, ``GAITWAY_CHROMIUM``) logged
in as ``therapist`` (with ``--station-view``, also the station view of ``sim-1``: its live
traces over the WebSocket, the heaviest page), and watches the stations for ``--minutes``:
faults raised (goal: no ``loop_overrun``), counted twice: as the alerts the console raises
and as the ``fault_detected`` entries of each station's event log; and how far each
station's simulated time fell behind wall time (the ``behind_s``/``slips``/``max_lag_s``
figures of its live frames). The machine's load average is reported beside them: on a
shared machine the figures are a harder test than on a quiet one. Prints one JSON object;
exits 1 when a loop fault was seen.

    .venv/bin/python bench/bench_console_load.py --minutes 10 [--station-view] [--json OUT]
        [--src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gaitway.web.background import chromium_path, free_port, launch_browser

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-therapist-pass"


def _start_server(data_dir: Path, port: int, src: Path | None = None
                  ) -> tuple[subprocess.Popen[str], str]:
    env = os.environ | {"GAITWAY_DATA_DIR": str(data_dir)}
    if src is not None:  # another checkout's package (e.g. main before a change), this .venv
        env["PYTHONPATH"] = str(src)
    proc = subprocess.Popen([str(ROOT / "scripts" / "run.sh"), "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    end = time.monotonic() + 600
    for line in proc.stdout:
        m = re.search(r"Gaitway console: (http://\S+/)", line)
        if m:
            return proc, m.group(1).rstrip("/")
        if time.monotonic() > end:
            break
    proc.kill()
    raise RuntimeError("the server did not start")


def _stop_server(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGINT)  # the server's own process group (start_new_session)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def watch(minutes: float, page: Any, url: str) -> dict[str, Any]:
    """Poll the stations (as the therapist) every 2 s; return the faults and lag figures."""
    faults: dict[str, set[tuple[int, str]]] = {}
    logged: set[tuple[str, float, str]] = set()  # (station, session time, fault) in the log
    fig: dict[str, dict[str, float]] = {}
    load: list[float] = []
    end = time.monotonic() + minutes * 60.0
    while time.monotonic() < end:
        r = page.request.get(f"{url}/api/stations")
        for s in r.json():
            faults.setdefault(s["id"], set()).update((a["id"], a["kind"]) for a in s["alerts"])
            f = fig.setdefault(s["id"], {"behind_s": 0.0, "slips": 0, "max_lag_s": 0.0,
                                         "elapsed_s": 0.0})
            for k in f:
                f[k] = max(f[k], float(s.get(k) or 0.0))
            d = page.request.get(f"{url}/api/stations/{s['id']}").json()
            logged.update((s["id"], e["t"], str(e["details"].get("fault")))
                          for e in d["events"] if e["kind"] == "fault_detected")
        load.append(os.getloadavg()[0])
        time.sleep(2.0)
    kinds = [k for per in faults.values() for _, k in per]
    return {
        "minutes": minutes,
        "stations": len(fig),
        "loop_faults": kinds.count("loop_overrun"),
        "faults": kinds,
        "loop_faults_in_event_log": sum(f == "loop_overrun" for _, _, f in logged),
        "faults_in_event_log": sorted(f for _, _, f in logged),
        "per_station": fig,
        "max_behind_s": max((f["behind_s"] for f in fig.values()), default=0.0),
        "max_lag_s": max((f["max_lag_s"] for f in fig.values()), default=0.0),
        "load_average_1min": {"mean": round(sum(load) / max(len(load), 1), 2),
                              "max": round(max(load, default=0.0), 2)},
        "cpus": os.cpu_count(),
    }


def run(minutes: float, src: Path | None = None, *, station_view: bool = False
        ) -> dict[str, Any]:
    if chromium_path() is None:
        raise RuntimeError("needs Chromium (GAITWAY_CHROMIUM or /usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start_server(Path(tmp), free_port(), src)
        try:
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(f"{url}/login")
                page.fill("#username", "therapist")
                page.fill("#password", PASSWORD)
                page.click("#submit")
                page.wait_for_url(f"{url}/")
                page.wait_for_selector(".tile", timeout=120_000)
                if station_view:  # a second tab: one station's live traces
                    view = context.new_page()
                    view.goto(f"{url}/station?id=sim-1")
                    view.wait_for_selector("#state:not(:empty)", timeout=120_000)
                out = watch(minutes, page, url) | {"station_view": station_view}
                browser.close()
        finally:
            _stop_server(proc)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--station-view", action="store_true",
                    help="also open the station view of sim-1 (live traces)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--src", type=Path, help="run the package from this src folder (another "
                    "checkout, e.g. main before a change: a baseline on the same machine)")
    args = ap.parse_args()
    out = run(args.minutes, args.src, station_view=args.station_view)
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if out["loop_faults"] == 0 and out["loop_faults_in_event_log"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
