"""Console benchmarks: live latency to the screen, server CPU per station, station page FPS.

- latency: from a frame entering the live bus (its server timestamp) to the browser drawing it
  on the overview (Chromium through Playwright, one WebSocket per station), median and 95th
  percentile with 3 and with 8 SIMULATED stations streaming; baseline: the same pipeline with
  1 station (goal: p95 <= 100 ms with 8);
- server CPU per station (process CPU time over wall time, per station) while streaming to a
  browser; baseline: the same stations with no browser connected (the web layer's share is
  the ratio);
- the station page's frame rate with 3 stations running; baseline: the browser's own
  requestAnimationFrame rate on an empty page (goal: >= 30 frames per second);
- the console's emergency stop with 8 stations streaming and the station page open: from the
  click to the server's answer and to the fault bar (the safety layer's stop, seen on the
  page); baseline: the page's own fetch of /health at the same moment (hazard H25).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from gaitway.clinic.store import ClinicStore
from gaitway.web.app import create_app
from gaitway.web.background import chromium_path, launch_browser, serve
from gaitway.web.config import WebSettings
from gaitway.web.demo import DEMO_ACCOUNTS, prepare_demo
from gaitway.web.service import LiveService

PASSWORD = {u: p for u, _, p in DEMO_ACCOUNTS}


def _site(tmp: Path, n: int) -> tuple[Any, ClinicStore]:
    store = ClinicStore(f"sqlite:///{tmp / f'bench{n}.sqlite'}")
    setups = prepare_demo(store, stations=n, minutes=30.0)
    for s in setups:
        s.therapists.add("admin")
    app = create_app(WebSettings(secret_key="bench", cookie_secure=False), store,
                     LiveService(setups, recordings_dir=tmp / f"rec{n}", processes=True),
                     start_stations=True)
    return app, store


def _login(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD["admin"])
    page.click("#submit")
    page.wait_for_url(f"{url}/")
    return page


def _wait_running(app: Any, timeout_s: float = 180.0) -> None:
    """Worker processes load in parallel; measure once every station walks."""
    stations = app.state.ctx.live.stations.values()
    end = time.monotonic() + timeout_s
    while not all(st.running and st.seq > 0 for st in stations):
        if time.monotonic() > end:
            raise RuntimeError("the stations did not start in time")
        time.sleep(0.2)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_per_station(n: int, seconds: float, app: Any = None) -> float:
    """Server process plus its station worker processes, per station (% of a core)."""
    pids = [os.getpid()] + [st._proc.pid for st in
                            (app.state.ctx.live.stations.values() if app else ())
                            if getattr(st, "_proc", None) is not None]
    c0 = sum(_cpu_s(p) for p in pids)
    w0 = time.perf_counter()
    time.sleep(seconds)
    c1 = sum(_cpu_s(p) for p in pids)
    return 100.0 * (c1 - c0) / (time.perf_counter() - w0) / n


def _stream(browser: Any, tmp: Path, n: int, seconds: float) -> dict[str, float]:
    app, store = _site(tmp, n)
    with serve(app) as url:
        _wait_running(app)
        time.sleep(2.0)
        idle_cpu = _cpu_per_station(n, min(seconds, 4.0), app)
        page = _login(browser, url)
        page.locator(".tile").nth(n - 1).wait_for()
        time.sleep(2.0)
        page.evaluate("window.gaitwayStats.latencies.length = 0;"
                      "window.gaitwayStats.received.length = 0")
        cpu = _cpu_per_station(n, seconds, app)
        lat = np.asarray(page.evaluate("window.gaitwayStats.latencies"), dtype=float)
        recv = np.asarray(page.evaluate("window.gaitwayStats.received"), dtype=float)
        page.close()
    store.close()
    if lat.size == 0:
        raise RuntimeError(f"no frames were drawn with {n} stations")
    return {"median": float(np.median(lat)), "p95": float(np.percentile(lat, 95)),
            "recv_median": float(np.median(recv)), "recv_p95": float(np.percentile(recv, 95)),
            "cpu": cpu, "idle_cpu": idle_cpu, "frames": float(lat.size)}


def _fps(browser: Any, tmp: Path, seconds: float) -> tuple[float, float]:
    blank = browser.new_page()
    blank.set_content("<html><body></body></html>")
    base = blank.evaluate(
        "(ms) => new Promise(r => { let n = 0; const t0 = performance.now();"
        " const f = () => { n++; if (performance.now() - t0 < ms) requestAnimationFrame(f);"
        " else r(n * 1000 / (performance.now() - t0)); }; requestAnimationFrame(f); })",
        seconds * 1000)
    blank.close()
    app, store = _site(tmp, 3)
    with serve(app) as url:
        _wait_running(app)
        page = _login(browser, url)
        page.goto(f"{url}/station?id=sim-1")
        page.locator("#hip").wait_for()
        time.sleep(2.0)
        f0 = page.evaluate("window.gaitwayStats.frames")
        t0 = time.perf_counter()
        time.sleep(seconds)
        fps = (page.evaluate("window.gaitwayStats.frames") - f0) / (time.perf_counter() - t0)
        page.close()
    store.close()
    return float(fps), float(base)


_ESTOP_JS = """async () => {
  const wait = (ok) => new Promise((r) => { const f = () => ok() ? r(performance.now())
                                             : setTimeout(f, 5); f(); });
  const h = [];
  for (let i = 0; i < 5; i++) { const t = performance.now(); await fetch('/health');
                                h.push(performance.now() - t); }
  h.sort((a, b) => a - b);
  const t0 = performance.now();
  document.querySelector('#estop').click();
  const $ = (x) => document.querySelector(x);
  const sent = await wait(() => $('#message').textContent === 'estop sent');
  const bar = await wait(() => !$('#faultbar').hidden
                               && /emergency_stop/.test($('#faultbar').textContent));
  return { health_ms: h[2], answered_ms: sent - t0, faultbar_ms: bar - t0 };
}"""


def _estop(browser: Any, tmp: Path, n: int) -> dict[str, float]:
    """Press the console's e-stop on a busy server (n stations streaming, the page open)."""
    app, store = _site(tmp, n)
    with serve(app) as url:
        _wait_running(app)
        page = _login(browser, url)
        page.goto(f"{url}/station?id=sim-1")
        page.wait_for_function("() => Number(document.querySelector('#steps').textContent) >= 4",
                               timeout=120_000)
        r: dict[str, float] = page.evaluate(_ESTOP_JS)
        page.close()
    store.close()
    return r


def run(quick: bool = False) -> list[dict[str, object]]:
    if chromium_path() is None:
        raise RuntimeError("bench_web needs Chromium (GAITWAY_CHROMIUM or /usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    seconds = 5.0 if quick else 15.0
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            one = _stream(browser, Path(tmp), 1, seconds)
            for n in (3, 8):
                r = _stream(browser, Path(tmp), n, seconds)
                for key, goal in (("median", ""), ("p95", "<= 100 ms with 8 stations")):
                    rows.append({"name": f"web latency bus->drawn {key}, {n} stations",
                                 "value": round(r[key], 1), "unit": "ms",
                                 "baseline": round(one[key], 1),
                                 "ratio": round(r[key] / one[key], 2), "goal": goal})
                rows.append({"name": f"web latency bus->received p95, {n} stations",
                             "value": round(r["recv_p95"], 1), "unit": "ms",
                             "baseline": round(one["recv_p95"], 1),
                             "ratio": round(r["recv_p95"] / one["recv_p95"], 2),
                             "goal": "share of the drawn latency before the browser draws"})
                rows.append({"name": f"server CPU per station, {n} stations streaming",
                             "value": round(r["cpu"], 1), "unit": "% of a core",
                             "baseline": round(r["idle_cpu"], 1),
                             "ratio": round(r["cpu"] / r["idle_cpu"], 2),
                             "goal": "baseline: same stations, no browser"})
            es = _estop(browser, Path(tmp), 8)
            for key, what in (("answered_ms", "click -> server's answer"),
                              ("faultbar_ms", "click -> fault bar on the page")):
                rows.append({"name": f"console e-stop {what}, 8 stations",
                             "value": round(es[key], 1), "unit": "ms",
                             "baseline": round(es["health_ms"], 1),
                             "ratio": round(es[key] / es["health_ms"], 1),
                             "goal": "baseline: the page's fetch of /health (H25)"})
            fps, base = _fps(browser, Path(tmp), seconds)
            rows.append({"name": "station page frame rate, 3 stations", "value": round(fps, 1),
                         "unit": "frames/s", "baseline": round(base, 1),
                         "ratio": round(fps / base, 2), "goal": ">= 30 frames/s"})
        finally:
            browser.close()
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
