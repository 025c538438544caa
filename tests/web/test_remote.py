"""Stations in other processes push frames with a token; the console shows them, read-only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import login, make_app

from gaitway.web.auth import COOKIE_NAME
from gaitway.web.config import WebSettings

FRAME = {"t": 1.5, "q": [10, 5, 20, 15], "ref": [11, 4, 21, 14], "steps": 3,
         "state": "training"}


@pytest.fixture
def remote_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = WebSettings(secret_key="k", station_tokens={"lab-1": "s3cret-token"})
    app, store, live = make_app(tmp_path, settings=settings)
    with TestClient(app, base_url="https://testserver") as c:
        yield c
    live.shutdown()
    store.close()


def test_a_remote_station_pushes_frames_and_admins_watch_it(remote_client: TestClient) -> None:
    c = remote_client
    r = c.post("/api/remote/lab-1/frames", json={"simulated": False, "frames": [FRAME] * 3},
               headers={"Authorization": "Bearer s3cret-token"})
    assert r.json() == {"accepted": 3}
    token = login(c, "admin")
    st = c.get("/api/stations/lab-1").json()
    assert st["steps"] == 3
    assert st["simulated"] is False
    assert st["running"] is True
    r = c.post("/api/stations/lab-1/stop", headers={"X-CSRF-Token": token})
    assert r.status_code == 400
    assert "another computer" in r.json()["detail"]
    cookie = {"cookie": f"{COOKIE_NAME}={c.cookies.get(COOKIE_NAME)}"}
    with c.websocket_connect("/ws/stations/lab-1", headers=cookie) as ws:
        c.post("/api/remote/lab-1/frames", json={"simulated": False, "frames": [FRAME]},
               headers={"Authorization": "Bearer s3cret-token"})
        frames = ws.receive_json()
    assert frames[-1]["q"] == [10, 5, 20, 15]


def test_a_wrong_token_or_unknown_station_is_refused(remote_client: TestClient) -> None:
    for sid, tok in (("lab-1", "wrong"), ("lab-2", "s3cret-token")):
        r = remote_client.post(f"/api/remote/{sid}/frames", json={"simulated": True,
                               "frames": [FRAME]}, headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 401
    login(remote_client, "therapist")
    assert "lab-1" not in [s["id"] for s in remote_client.get("/api/stations").json()]


def test_a_therapist_assigned_to_a_remote_station_sees_it_with_its_training_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clinic registers a pushing station under its id; therapists assigned to it (users'
    station) see it, read-only, within one re-check; others still get 404."""
    from sqlalchemy import select

    from gaitway.clinic import records
    from gaitway.clinic.models import User
    from gaitway.web.live import RemoteStation

    settings = WebSettings(secret_key="k", station_tokens={"lab-1": "s3cret-token"})
    app, store, live = make_app(tmp_path, settings=settings)
    auth = {"Authorization": "Bearer s3cret-token"}
    try:
        with TestClient(app, base_url="https://testserver") as c:
            frame = FRAME | {"elapsed_s": 12.5}
            assert c.post("/api/remote/lab-1/frames", headers=auth,
                          json={"simulated": True, "frames": [frame]}).status_code == 200
            login(c, "therapist2")
            assert c.get("/api/stations/lab-1").status_code == 404
            with store.transaction() as db:
                user = db.scalar(select(User).where(User.username == "therapist2"))
                assert user is not None
                user.station_id = records.find_station(db, "lab-1").id  # registered on push
            c.post("/api/remote/lab-1/frames", headers=auth,
                   json={"simulated": True, "frames": [frame]})
            assert c.get("/api/stations/lab-1").status_code == 404  # not re-read yet
            monkeypatch.setattr(RemoteStation, "ASSIGNMENTS_EVERY_S", 0.0)
            c.post("/api/remote/lab-1/frames", headers=auth,
                   json={"simulated": True, "frames": [frame | {"t": 2.0}]})
            st = c.get("/api/stations/lab-1").json()
            assert st["elapsed_s"] == 12.5
            assert st["simulated"] is True
            token = c.get("/api/me").json()["csrf"]
            r = c.post("/api/stations/lab-1/stop", headers={"X-CSRF-Token": token})
            assert r.status_code == 400
            login(c, "therapist")
            assert "lab-1" not in [s["id"] for s in c.get("/api/stations").json()]
    finally:
        live.shutdown()
        store.close()
