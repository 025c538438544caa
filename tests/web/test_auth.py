"""Logins, cookies, CSRF, rate limiting, roles and the audit log."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import PASSWORDS, login

from gaitway.clinic.models import AuditEntry
from gaitway.web.auth import COOKIE_NAME


def _audit(web, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with web[1].reader() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_health_answers_without_login(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["stations"] == 3


def test_everything_else_needs_login(client: TestClient) -> None:
    for path in ("/api/stations", "/api/me", "/api/patients", "/api/stations/sim-1",
                 "/api/me/progress"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/stations/sim-1/stop").status_code == 401


def test_login_sets_a_secure_httponly_strict_cookie(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/login", json={"username": "therapist",
                                        "password": PASSWORDS["therapist"]})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE_NAME}=" in cookie
    for flag in ("HttpOnly", "Secure", "SameSite=strict"):
        assert flag.lower() in cookie.lower(), cookie
    assert PASSWORDS["therapist"] not in cookie
    assert client.get("/api/me").json()["role"] == "therapist"
    assert len(_audit(web, "login")) == 1


def test_wrong_password_is_refused_and_audited(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/login", json={"username": "therapist", "password": "wrong-password"})
    assert r.status_code == 401
    assert client.get("/api/me").status_code == 401
    failed = _audit(web, "login.failed")
    assert [e.actor for e in failed] == ["web:therapist"]


def test_login_rate_limit_blocks_even_the_right_password(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert client.post("/api/login", json={"username": "admin",
                                               "password": "nope-nope"}).status_code == 401
    r = client.post("/api/login", json={"username": "admin", "password": PASSWORDS["admin"]})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0


def test_changes_need_the_csrf_token(client: TestClient) -> None:
    token = login(client, "therapist")
    assert client.post("/api/stations/sim-1/start").status_code == 403
    assert client.post("/api/stations/sim-1/start",
                       headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/stations/sim-1/start",
                       headers={"X-CSRF-Token": token}).status_code == 200


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    token = login(client, "therapist")
    cookie = client.cookies.get(COOKIE_NAME)
    assert client.post("/api/logout", headers={"X-CSRF-Token": token}).status_code == 204
    client.cookies.set(COOKIE_NAME, cookie or "", domain="testserver")
    assert client.get("/api/me").status_code == 401


def test_a_tampered_cookie_is_not_a_login(client: TestClient) -> None:
    login(client, "therapist")
    cookie = client.cookies.get(COOKIE_NAME) or ""
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, cookie[:-2] + "xx", domain="testserver")
    assert client.get("/api/me").status_code == 401


def test_therapist_sees_and_controls_only_assigned_stations(client: TestClient) -> None:
    token = login(client, "therapist2")
    ids = [s["id"] for s in client.get("/api/stations").json()]
    assert ids == ["sim-3"]
    h = {"X-CSRF-Token": token}
    assert client.post("/api/stations/sim-1/start", headers=h).status_code == 404
    assert client.get("/api/stations/sim-1").status_code == 404
    assert client.post("/api/stations/sim-3/start", headers=h).status_code == 200


def test_patient_sees_only_their_own_data(client: TestClient) -> None:
    token = login(client, "patient1")
    me = client.get("/api/me").json()
    ids = [s["id"] for s in client.get("/api/stations").json()]
    assert ids == ["sim-1"]
    assert client.get("/api/patients").status_code == 403
    assert client.get(f"/api/patients/{me['patient_id']}").status_code == 200
    assert client.get(f"/api/patients/{me['patient_id'] + 1}").status_code == 404
    r = client.post("/api/stations/sim-1/stop", headers={"X-CSRF-Token": token})
    assert r.status_code == 403
    assert client.get("/api/me/progress").status_code == 200


def test_every_control_command_is_audited(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    token = login(client, "therapist")
    h = {"X-CSRF-Token": token}
    client.post("/api/stations/sim-2/start", headers=h)
    client.post("/api/stations/sim-2/pause", headers=h)
    entries = _audit(web, "station.start") + _audit(web, "station.pause")
    assert {(e.actor, e.entity_id) for e in entries} == {("web:therapist", "sim-2")}


def test_streams_need_login_and_permission(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/stations/sim-1") as ws:
        ws.receive_json()
    login(client, "patient1")
    cookie = {"cookie": f"{COOKIE_NAME}={client.cookies.get(COOKIE_NAME)}"}
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
            "/ws/stations/sim-2", headers=cookie) as ws:
        ws.receive_json()
    evil = cookie | {"origin": "https://evil.example"}
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
            "/ws/stations/sim-1", headers=evil) as ws:
        ws.receive_json()
