"""A console app on a temporary SQLite store with demo accounts and 3 SIMULATED stations."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gaitway.clinic.store import ClinicStore
from gaitway.web.app import create_app
from gaitway.web.config import WebSettings
from gaitway.web.demo import prepare_demo
from gaitway.web.service import LiveService

PASSWORDS = {"admin": "demo-admin-pass", "therapist": "demo-therapist-pass",
             "therapist2": "demo-therapist2-pass", "patient1": "demo-patient-pass"}


#: the test machine is shared and not real-time: a loop descheduled for a few ms 3 ticks in a
#: row is not what these tests are about (test_live_safety checks the device's 5 ms bound)
TEST_OVERRUN_BOUND_S = 0.25

_TEMPLATE: dict[int, Path] = {}


def _template(stations: int) -> Path:
    """A migrated demo store made once per test run (argon2 hashing is slow on purpose)."""
    if stations not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="gaitway-web-")) / "clinic.sqlite"
        with ClinicStore(f"sqlite:///{path}") as store:
            prepare_demo(store, stations=stations, minutes=5.0)
        _TEMPLATE[stations] = path
    return _TEMPLATE[stations]


def make_app(tmp: Path, *, stations: int = 3, start: bool = False,
             settings: WebSettings | None = None) -> tuple[FastAPI, ClinicStore, LiveService]:
    db = tmp / "clinic.sqlite"
    shutil.copy(_template(stations), db)
    store = ClinicStore(f"sqlite:///{db}")
    setups = prepare_demo(store, stations=stations, minutes=5.0)
    live = LiveService(setups, recordings_dir=tmp / "live-sessions",
                       overrun_bound_s=TEST_OVERRUN_BOUND_S)
    app = create_app(settings or WebSettings(secret_key="test-secret-key"), store, live,
                     start_stations=start)
    return app, store, live


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[FastAPI, ClinicStore, LiveService]]:
    app, store, live = make_app(tmp_path)
    yield app, store, live
    live.shutdown()
    store.close()


def login(client: TestClient, username: str) -> str:
    """Log in; returns the CSRF token to send with changes."""
    r = client.post("/api/login", json={"username": username, "password": PASSWORDS[username]})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf"]
    return token


@pytest.fixture
def client(web: tuple[FastAPI, ClinicStore, LiveService]) -> Iterator[TestClient]:
    with TestClient(web[0], base_url="https://testserver") as c:
        yield c
