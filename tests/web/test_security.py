"""One test (or more) per security finding of issue 14: account checks on every request and
stream, audited refusals, login throttling per (address, username), admin-only API docs,
no caching of personal answers, no server paths or staff names where they do not belong,
strict origin checks, forwarded headers only when configured, strict JSON types."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as hst
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect
from tests.web.conftest import PASSWORDS, login, make_app

from gaitway.clinic import records
from gaitway.clinic.models import AuditEntry, User
from gaitway.clinic.store import ClinicStore
from gaitway.web.auth import COOKIE_NAME, LoginLimiter
from gaitway.web.background import serve
from gaitway.web.config import WebSettings
from gaitway.web.redact import HIDDEN, RepeatFilter, scrub
from gaitway.web.service import LiveService

Web = tuple[FastAPI, ClinicStore, LiveService]


def _audit(web: Web, action: str) -> list[AuditEntry]:
    with web[1].reader() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _client(web: Web, address: str = "testclient") -> TestClient:
    return TestClient(web[0], base_url="https://testserver", client=(address, 50000))


# -- sessions of a disabled or deleted account end at once ------------------------------------

def _end_account(store: ClinicStore, username: str, how: str) -> None:
    with store.transaction() as db:
        if how == "disable":
            records.disable_user(db, actor="cli:test", username=username)
        else:
            db.delete(records.find_user(db, username))


@pytest.mark.parametrize("how", ["disable", "delete"])
def test_sessions_of_a_disabled_or_deleted_account_end_at_once(web: Web, client: TestClient,
                                                               how: str) -> None:
    token = login(client, "therapist2")
    assert client.get("/api/patients").status_code == 200
    _end_account(web[1], "therapist2", how)
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/patients").status_code == 401
    r = client.post("/api/stations/sim-3/start", headers={"X-CSRF-Token": token})
    assert r.status_code == 401
    assert not web[2].stations["sim-3"].running
    ended = _audit(web, "session.ended")
    assert [e.actor for e in ended] == ["web:therapist2"]
    # the session is gone from the server, not just refused once
    assert not any(s.user.username == "therapist2"
                   for s in web[0].state.ctx.sessions._sessions.values())


def test_a_changed_role_counts_at_once(web: Web, client: TestClient) -> None:
    login(client, "therapist")
    assert client.get("/api/patients").status_code == 200
    with web[1].transaction() as db:
        user = db.scalar(select(User).where(User.username == "therapist"))
        assert user is not None
        user.role = "patient"
        user.patient_id = db.scalar(select(User.patient_id).where(
            User.username == "patient1"))
    assert client.get("/api/me").json()["role"] == "patient"
    assert client.get("/api/patients").status_code == 403


def test_a_disabled_accounts_stream_ends(web: Web, client: TestClient) -> None:
    login(client, "therapist2")
    cookie = {"cookie": f"{COOKIE_NAME}={client.cookies.get(COOKIE_NAME)}"}
    with client.websocket_connect("/ws/stations/sim-3", headers=cookie) as ws:
        _end_account(web[1], "therapist2", "disable")
        t0 = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as closed:
            _receive_until_closed(ws)
        assert closed.value.code == 4401
        assert time.monotonic() - t0 < 3.0


def _receive_until_closed(ws: Any) -> None:
    for _ in range(20):  # an idle stream sends "[]" every 2 s until it is closed
        ws.receive_json()


# -- refused attempts are audited -------------------------------------------------------------

def test_refused_attempts_are_audited(web: Web) -> None:
    with _client(web) as patient, _client(web) as therapist2:
        token = login(patient, "patient1")
        assert patient.post("/api/stations/sim-1/stop",
                            headers={"X-CSRF-Token": token}).status_code == 403
        assert patient.post("/api/stations/sim-1/changes", headers={"X-CSRF-Token": token},
                            json={"kind": "guidance", "value": 50}).status_code == 403
        assert patient.get("/api/patients").status_code == 403
        token2 = login(therapist2, "therapist2")
        assert therapist2.post("/api/stations/sim-1/start",
                               headers={"X-CSRF-Token": token2}).status_code == 404
        assert therapist2.get("/api/sessions/nope/report").status_code == 404
    refused = {(e.actor, e.entity_id, e.details["status"], e.details["method"])
               for e in _audit(web, "access.refused")}
    assert refused == {
        ("web:patient1", "/api/stations/sim-1/stop", 403, "POST"),
        ("web:patient1", "/api/stations/sim-1/changes", 403, "POST"),
        ("web:patient1", "/api/patients", 403, "GET"),
        ("web:therapist2", "/api/stations/sim-1/start", 404, "POST"),
        ("web:therapist2", "/api/sessions/nope/report", 404, "GET"),
    }


# -- login throttling per (address, username) with growing delays -----------------------------

def test_login_throttling_is_per_address_and_username(web: Web) -> None:
    wrong = {"username": "admin", "password": "wrong-password"}
    right = {"username": "admin", "password": PASSWORDS["admin"]}
    with _client(web, "10.0.0.1") as a, _client(web, "10.0.0.2") as b:
        for _ in range(5):
            assert a.post("/api/login", json=wrong).status_code == 401
        r = a.post("/api/login", json=right)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        # the same user from another computer, another user from this one: not locked out
        assert b.post("/api/login", json=right).status_code == 200
        assert a.post("/api/login", json={"username": "therapist",
                                          "password": PASSWORDS["therapist"]}).status_code == 200
    assert {e.details["client"] for e in _audit(web, "login.rate_limited")} == {"10.0.0.1"}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(free=hst.integers(1, 10), base=hst.floats(0.1, 30.0), cap=hst.floats(30.0, 3600.0),
       failures=hst.integers(1, 40))
def test_login_delays_grow_up_to_the_cap(free: int, base: float, cap: float,
                                         failures: int) -> None:
    now = [1000.0]
    lim = LoginLimiter(free_failures=free, base_delay_s=base, max_delay_s=cap,
                       clock=lambda: now[0])
    delays = [lim.failed("10.0.0.1", "Admin") for _ in range(failures)]
    assert all(d == 0.0 for d in delays[:free - 1])  # typing mistakes cost nothing
    assert all(b >= a for a, b in itertools.pairwise(delays))
    assert all(d <= cap for d in delays)
    if failures >= free:
        assert delays[free - 1] == pytest.approx(base)
    assert lim.retry_after("10.0.0.1", "admin") == pytest.approx(delays[-1])
    assert lim.retry_after("10.0.0.2", "admin") == 0.0
    now[0] += delays[-1]
    assert lim.retry_after("10.0.0.1", "admin") == 0.0
    lim.succeeded("10.0.0.1", "admin")
    assert lim.failed("10.0.0.1", "admin") == lim.delay_after(1)


def test_login_throttle_memory_is_bounded() -> None:
    lim = LoginLimiter(max_pairs=100)
    for i in range(1000):
        lim.failed(f"10.0.{i // 250}.{i % 250}", f"user{i}")
    assert len(lim._fails) <= 100


# -- API docs only for logged-in admins, with local assets -----------------------------------

def test_api_docs_and_schema_are_for_admins_only(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 401
    r = client.get("/docs", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    assert client.get("/redoc").status_code == 404
    login(client, "therapist")
    assert client.get("/openapi.json").status_code == 403
    r = client.get("/docs")
    assert r.status_code == 403
    assert "for admins" in r.text
    login(client, "admin")
    assert client.get("/openapi.json").json()["info"]["title"] == "Gaitway console API"
    page = client.get("/docs")
    assert page.status_code == 200
    assert "://" not in page.text  # nothing loaded from elsewhere
    for asset in ("/static/apidocs/swagger-ui-bundle.js", "/static/apidocs/swagger-ui.css",
                  "/static/apidocs.js"):
        a = client.get(asset)
        assert a.status_code == 200, asset
        assert len(a.content) > 100, asset


# -- Cache-Control: no-store on everything personal -------------------------------------------

def test_personal_answers_are_never_cached(web: Web, client: TestClient) -> None:
    login(client, "admin")
    pid = client.get("/api/patients").json()[0]["id"]
    personal = ["/api/me", "/api/patients", f"/api/patients/{pid}", "/api/stations",
                "/api/stations/sim-1", "/api/sessions/nope/report", "/", "/records",
                "/station", "/progress", "/docs", "/openapi.json"]
    for path in personal:
        r = client.get(path)
        assert r.headers.get("cache-control") == "no-store", path
    with _client(web) as patient:
        login(patient, "patient1")
        for path in ("/api/me/progress", "/patient", "/api/stations"):
            assert patient.get(path).headers.get("cache-control") == "no-store", path
    assert client.get("/static/style.css").headers.get("cache-control") != "no-store"


# -- nothing about the server's file system; no staff names for patients ---------------------

@pytest.mark.parametrize(("text", "hidden"), [
    ("cannot write /var/lib/gaitway/live-sessions/2026/x.h5: disk full", True),
    ("[Errno 13] Permission denied: '/tmp/pytest-1/rec'", True),
    ("C:\\data\\gaitway\\rec.h5 is locked", True),
    ("speed 2.0 km/h, torque 30 N/m, guidance 50/60 %", False),
    ("see https://example.org/a/b for help", False),
])
def test_paths_are_scrubbed_from_messages(text: str, hidden: bool) -> None:
    out = scrub(text)
    assert (HIDDEN in out) is hidden
    if hidden:
        for root in ("/tmp", "/var", "C:\\"):
            assert root not in out


def test_station_answers_hold_no_server_paths_and_no_staff_names_for_patients(
        web: Web, tmp_path: Path) -> None:
    live = web[2]
    with _client(web) as staff, _client(web) as patient:
        token = login(staff, "therapist")
        assert staff.post("/api/stations/sim-1/start",
                          headers={"X-CSRF-Token": token}).status_code == 200
        end = time.monotonic() + 60
        while live.stations["sim-1"].recording is None or not live.stations["sim-1"].frames:
            assert time.monotonic() < end, "the station did not start recording"
            time.sleep(0.2)
        assert str(tmp_path) in str(live.stations["sim-1"].recording)  # the server knows
        live.stations["sim-1"]._raise_alert(
            "recording_failed", f"cannot write {tmp_path}/live-sessions/x/samples.h5")
        login(patient, "patient1")
        answers = {"staff list": staff.get("/api/stations").text,
                   "staff detail": staff.get("/api/stations/sim-1").text,
                   "patient list": patient.get("/api/stations").text,
                   "patient detail": patient.get("/api/stations/sim-1").text}
        detail = staff.get("/api/stations/sim-1").json()
        assert detail["recording"] is True
        assert detail["therapists"] == ["therapist"]
        staff.post("/api/stations/sim-1/stop", headers={"X-CSRF-Token": token})
    for name, text in answers.items():
        assert str(tmp_path) not in text, name
        assert "live-sessions" not in text, name
        assert HIDDEN in text, name  # the alert's message is there, its path is not
    for name in ("patient list", "patient detail"):
        assert "therapist:therapist" not in answers[name], name
        assert '"therapists"' not in answers[name], name


# -- the WebSocket origin check compares scheme, host and port --------------------------------

@pytest.mark.parametrize(("origin", "ok"), [
    ("http://testserver", True),
    ("http://TESTSERVER:80", True),
    ("evil://testserver", False),
    ("https://testserver", False),
    ("http://testserver:8080", False),
    ("http://evil.example", False),
    ("http://testserver.evil.example", False),
    ("null", False),
])
def test_stream_origin_must_match_scheme_host_and_port(client: TestClient, origin: str,
                                                       ok: bool) -> None:
    login(client, "patient1")
    headers = {"cookie": f"{COOKIE_NAME}={client.cookies.get(COOKIE_NAME)}", "origin": origin}
    if ok:
        with client.websocket_connect("/ws/stations/sim-1", headers=headers) as ws:
            assert ws.receive_json() == []
    else:
        with pytest.raises(WebSocketDisconnect), client.websocket_connect(
                "/ws/stations/sim-1", headers=headers) as ws:
            ws.receive_json()


# -- X-Forwarded-For only from configured proxies ---------------------------------------------

@pytest.mark.parametrize(("trusted", "seen"), [("", "127.0.0.1"),
                                               ("127.0.0.1", "203.0.113.9")])
def test_forwarded_for_counts_only_from_configured_proxies(tmp_path: Path, trusted: str,
                                                           seen: str) -> None:
    app, store, live = make_app(tmp_path, stations=1, settings=WebSettings(
        secret_key="fwd", cookie_secure=False, forwarded_allow_ips=trusted))
    try:
        with serve(app) as url:
            r = httpx.post(f"{url}/api/login", json={"username": "admin", "password": "nope-nope"},
                           headers={"X-Forwarded-For": "203.0.113.9"}, timeout=30)
            assert r.status_code == 401
        with store.reader() as db:
            clients = [e.details["client"] for e in db.scalars(
                select(AuditEntry).where(AuditEntry.action == "login.failed"))]
        assert clients == [seen]
    finally:
        live.shutdown()
        store.close()


# -- strict types: a boolean is not a number; confirmed must be JSON true ---------------------

@pytest.mark.parametrize("body", [
    {"kind": "guidance", "value": True},
    {"kind": "bws", "value": False},
    {"kind": "rom", "value": [True, 1.0]},
    {"kind": "guidance", "value": 50, "confirmed": "yes"},
    {"kind": "guidance", "value": 50, "confirmed": "on"},
    {"kind": "guidance", "value": 50, "confirmed": 1},
    {"kind": "guidance", "value": "50"},
])
def test_settings_take_strict_json_types(client: TestClient, body: dict[str, Any]) -> None:
    token = login(client, "therapist")
    r = client.post("/api/stations/sim-1/changes", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code in (400, 422), r.text
    assert r.status_code == 422 or "needs a number" in r.text


def test_a_true_confirmation_and_a_number_pass_validation(client: TestClient) -> None:
    token = login(client, "therapist")
    r = client.post("/api/stations/sim-1/changes", headers={"X-CSRF-Token": token},
                    json={"kind": "guidance", "value": 50, "confirmed": True})
    assert r.status_code == 400, r.text  # valid; refused only because nothing runs
    assert "no running session" in r.json()["detail"]


def test_a_polled_refusal_is_audited_once_a_minute_with_its_count(web: Web) -> None:
    with _client(web) as t2:
        login(t2, "therapist2")
        for _ in range(5):  # a station page left open on a station one may not see
            assert t2.get("/api/stations/sim-1").status_code == 404
    entries = [e for e in _audit(web, "access.refused") if e.entity_id == "/api/stations/sim-1"]
    assert len(entries) == 1
    now = [0.0]
    f = RepeatFilter(window_s=60.0, clock=lambda: now[0])
    assert [f.admit("k") for _ in range(3)] == [0, None, None]
    now[0] = 61.0
    assert f.admit("k") == 2  # the next entry says how many were held back
