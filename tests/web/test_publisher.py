"""`gaitway station run` and its publisher: a station in another process shows on the console.

The end-to-end test runs the station as its own process (the real twin, paced, a few seconds)
against a console server on a loopback port, and watches it through the authenticated API.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.web.conftest import PASSWORDS, make_app
from websockets.sync.client import connect

from gaitway.cli.main import main
from gaitway.web.api_stations import RemoteFrame
from gaitway.web.auth import COOKIE_NAME
from gaitway.web.background import free_port, serve
from gaitway.web.config import WebSettings
from gaitway.web.publisher import FRAME_FIELDS, FramePublisher

TOKEN = "lab-1-station-token"
_STATS = re.compile(r"frames: (\d+) published, (\d+) sent, (\d+) dropped \(queue full\), "
                    r"(\d+) not sent at the end; (\d+) posts, (\d+) failed posts")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A console server with 3 idle SIMULATED stations that takes pushes for lab-1."""
    settings = WebSettings(secret_key="remote-test", cookie_secure=False,
                           station_tokens={"lab-1": TOKEN})
    app, store, _ = make_app(tmp_path_factory.mktemp("remote"), settings=settings)
    with serve(app) as url:
        yield url
    store.close()


def _stats(out: str) -> dict[str, int]:
    m = _STATS.search(out)
    assert m is not None, out
    keys = ("published", "sent", "dropped", "unsent", "posts", "failed_posts")
    return dict(zip(keys, (int(x) for x in m.groups()), strict=True))


def _frame(t: float) -> dict[str, Any]:
    return {"seq": 1, "ts": 0.0, "t": t, "q": [1.0, 2.0, 3.0, 4.0], "ref": [1.0, 2.0, 3.0, 4.0],
            "grf": [300.0, 200.0], "state": "training", "steps": 2, "safety": "normal"}


def test_frames_carry_the_fields_the_server_takes() -> None:
    assert set(FRAME_FIELDS) == set(RemoteFrame.model_fields)


def test_a_full_queue_drops_the_oldest_frames_and_counts_them() -> None:
    pub = FramePublisher("http://127.0.0.1:9", "lab-1", TOKEN, simulated=True, queue_frames=5)
    for i in range(8):
        pub.offer(_frame(float(i)))
    assert pub.stats.published == 8
    assert pub.stats.dropped == 3
    assert [f["t"] for f in pub._take()] == [3.0, 4.0, 5.0, 6.0, 7.0]


def test_a_failed_post_is_retried_and_its_frames_still_arrive() -> None:
    """The first post meets a 503; the retry (after the backoff) carries the same frames."""
    got: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append((self.headers["Authorization"], body))
            self.send_response(503 if len(got) == 1 else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"accepted": 0}')

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    lines: list[str] = []
    pub = FramePublisher(f"http://127.0.0.1:{httpd.server_port}", "lab-1", TOKEN,
                         simulated=True, patient="SIM-9", log=lines.append)
    try:
        for i in range(10):
            pub.offer(_frame(i / 50))
        pub.start()
        deadline = time.monotonic() + 10
        while pub.stats.sent < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        stats = pub.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert (stats.sent, stats.failed_posts, stats.dropped, stats.unsent) == (10, 1, 0, 0)
    assert all(auth == f"Bearer {TOKEN}" for auth, _ in got)
    frames = [f for _, body in got[1:] for f in body["frames"]]
    assert [f["t"] for f in frames] == [i / 50 for i in range(10)]
    assert set(frames[0]) <= set(FRAME_FIELDS)  # seq, ts, safety: the server's own
    assert got[1][1]["simulated"] is True
    assert got[1][1]["patient"] == "SIM-9"
    assert len(lines) == 2  # "cannot post ..., retrying" and "posting again"
    assert "503" in lines[0]


def test_a_station_in_another_process_shows_on_the_console_read_only(
    server: str, tmp_path: Path
) -> None:
    env = {**os.environ, "GAITWAY_STATION_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "gaitway.cli.main", "station", "run", "--server", server,
           "--station-id", "lab-1", "--patient", "SIM-REMOTE-7", "--profile",
           "hemiparetic-left-moderate", "--minutes", "0.12", "--seed", "4", "--out",
           str(tmp_path / "out"), "--overrun-bound-ms", "250"]
    assert TOKEN not in " ".join(cmd)  # the token is never on the command line
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    frames: list[dict[str, Any]] = []
    try:
        with httpx.Client(base_url=server, timeout=10) as c:
            r = c.post("/api/login", json={"username": "admin", "password": PASSWORDS["admin"]})
            csrf = r.json()["csrf"]
            deadline = time.monotonic() + 60
            while "lab-1" not in [s["id"] for s in c.get("/api/stations").json()]:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the station never appeared"
                time.sleep(0.1)
            ws_url = server.replace("http://", "ws://") + "/ws/stations/lab-1"
            cookie = f"{COOKIE_NAME}={c.cookies[COOKIE_NAME]}"
            with connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
                while proc.poll() is None and time.monotonic() < deadline:
                    try:
                        frames += json.loads(ws.recv(timeout=3))
                    except TimeoutError:
                        continue
            st = c.get("/api/stations/lab-1").json()
            stop = c.post("/api/stations/lab-1/stop", headers={"X-CSRF-Token": csrf})
            change = c.post("/api/stations/lab-1/changes", headers={"X-CSRF-Token": csrf},
                            json={"kind": "guidance", "value": 70})
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert st["simulated"] is True
    assert st["patient"] == "SIM-REMOTE-7"
    assert len(frames) > 100  # 50 per second over most of a 7.2 s session
    ts = [f["t"] for f in frames]
    assert all(b > a for a, b in itertools.pairwise(ts))
    assert ts[-1] - ts[0] > 4.0
    assert all(len(f["q"]) == 4 and len(f["ref"]) == 4 for f in frames)
    states = {f["state"] for f in frames}
    assert {"warm_up", "training"} <= states, states
    assert frames[-1]["steps"] > 0
    for answer in (stop, change):
        assert answer.status_code == 400
        assert "another computer" in answer.json()["detail"]
    stats = _stats(out)
    assert stats["sent"] >= len(frames)
    assert stats["failed_posts"] == 0
    assert stats["sent"] + stats["dropped"] + stats["unsent"] == stats["published"]
    assert "ended by completed" in out
    assert len(list((tmp_path / "out").glob("*/summary.json"))) == 1


def test_with_the_server_down_the_session_completes_and_counts_failed_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GAITWAY_STATION_TOKEN", TOKEN)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    code = main(["station", "run", "--server", down, "--station-id", "lab-1", "--minutes",
                 "0.05", "--profile", "healthy", "--out", str(tmp_path), "--overrun-bound-ms",
                 "250"])
    out, err = capsys.readouterr()
    assert code == 0, err
    stats = _stats(out)
    assert stats["failed_posts"] >= 2
    assert stats["sent"] == 0
    assert stats["published"] >= 100  # 3 s at 50 Hz, all made while nobody listened
    assert stats["dropped"] + stats["unsent"] == stats["published"]
    assert "ended by completed" in out
    assert f"cannot reach {down}" in err
    assert len(list(tmp_path.glob("*/summary.json"))) == 1


def test_ctrl_c_ends_the_session_through_its_safe_stop(tmp_path: Path) -> None:
    env = {**os.environ, "GAITWAY_STATION_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gaitway.cli.main", "station", "run", "--server",
         f"http://127.0.0.1:{free_port()}", "--station-id", "lab-1", "--minutes", "5",
         "--out", str(tmp_path), "--overrun-bound-ms", "250"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        assert "publishing to" in proc.stdout.readline()
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob("*/*")) and time.monotonic() < deadline:
            time.sleep(0.1)  # the session has started once its recording is open
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "ended by stopped by operator:Ctrl-C" in out
    summary = json.loads(next(tmp_path.glob("*/summary.json")).read_text())
    assert summary["ended_by"] == "stopped by operator:Ctrl-C"
    assert summary["duration_s"] < 60


def test_a_wrong_token_is_one_clear_line_before_the_session_starts(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GAITWAY_STATION_TOKEN", "not-the-token")
    code = main(["station", "run", "--server", server, "--station-id", "lab-1", "--minutes",
                 "0.05", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert "401" in err
    assert "GAITWAY_STATION_TOKEN" in err
    assert list(tmp_path.iterdir()) == []  # nothing ran, nothing recorded


def test_a_token_refused_mid_session_is_said_once_and_posting_stops(server: str) -> None:
    lines: list[str] = []
    pub = FramePublisher(server, "lab-1", "revoked-token", simulated=True, log=lines.append)
    pub.start()
    for i in range(5):
        pub.offer(_frame(i / 50))
    deadline = time.monotonic() + 10
    while not pub.stats.error and time.monotonic() < deadline:
        time.sleep(0.05)
    pub.offer(_frame(1.0))
    stats = pub.close()
    assert len(lines) == 1
    assert "401" in lines[0]
    assert "GAITWAY_STATION_TOKEN" in lines[0]
    assert (stats.sent, stats.posts, stats.failed_posts, stats.unsent) == (0, 0, 0, 6)


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        (["--server", "http://127.0.0.1:8000", "--station-id", "lab-1"], "",
         "GAITWAY_STATION_TOKEN"),
        (["--server", "clinic:8000", "--station-id", "lab-1"], TOKEN, "--server must be"),
        (["--server", "http://127.0.0.1:8000", "--station-id", "../x"], TOKEN,
         "--station-id must be"),
        (["--server", "http://127.0.0.1:8000", "--station-id", "lab-1", "--speed", "9"], TOKEN,
         "beyond what the device"),
        (["--server", "http://127.0.0.1:8000", "--station-id", "lab-1", "--minutes", "x"],
         TOKEN, "invalid float value"),
    ],
)
def test_bad_arguments_give_one_clear_line(
    args: list[str], token: str, message: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GAITWAY_STATION_TOKEN", token)
    try:
        code = main(["station", "run", *args, "--out", str(tmp_path / "o")])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "o").exists()
