"""Admins manage users and care teams from the console; staff add, edit and search patients
(issue 14 item 1, the parts without the planning helper)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import login

from gaitway.clinic.models import AuditEntry
from gaitway.clinic.store import ClinicStore
from gaitway.web.service import LiveService

Web = tuple[FastAPI, ClinicStore, LiveService]


def _client(web: Web) -> TestClient:
    return TestClient(web[0], base_url="https://testserver")


def _login_as(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/login", json={"username": username,
                                           "password": password}).status_code


def test_admin_adds_a_therapist_assigns_station_and_patient_then_disables(web: Web) -> None:
    with _client(web) as admin, _client(web) as tina:
        h = {"X-CSRF-Token": login(admin, "admin")}
        r = admin.post("/api/admin/users", headers=h, json={
            "username": "tina", "role": "therapist", "password": "tina-first-pass",
            "station": "Simulated station 2"})
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        assert admin.get("/api/admin/stations").json() == [
            "Simulated station 1", "Simulated station 2", "Simulated station 3"]
        p = admin.post("/api/patients", headers=h, json={
            "pseudonym": "P-NEW-1", "sex": "female", "birth_year": 1961, "height_m": 1.68,
            "diagnosis": "stroke", "affected_side": "left"})
        assert p.status_code == 201, p.text
        pid = p.json()["id"]
        assert p.json()["care_team"] == []  # an admin who adds a patient is not on its team

        assert _login_as(tina, "tina", "tina-first-pass") == 200
        assert [s["id"] for s in tina.get("/api/stations").json()] == ["sim-2"]
        assert tina.get(f"/api/patients/{pid}").status_code == 404
        r = admin.post("/api/admin/care-team", headers=h,
                       json={"patient_id": pid, "username": "tina"})
        assert r.json()["care_team"] == ["tina"]
        assert tina.get(f"/api/patients/{pid}").status_code == 200
        assert admin.get("/api/admin/users").json()[-1]["care_team_of"] == ["P-NEW-1"]

        # a new station: on it at once, off the old one
        admin.post(f"/api/admin/users/{tid}/station", headers=h,
                   json={"station": "Simulated station 3"})
        assert [s["id"] for s in tina.get("/api/stations").json()] == ["sim-3"]

        # a reset password ends the open sessions; the new one works, the old one not
        assert admin.post(f"/api/admin/users/{tid}/password", headers=h,
                          json={"password": "tina-second-pass"}).status_code == 200
        assert tina.get("/api/me").status_code == 401
        assert _login_as(tina, "tina", "tina-first-pass") == 401
        assert _login_as(tina, "tina", "tina-second-pass") == 200

        r = admin.post(f"/api/admin/users/{tid}/disable", headers=h)
        assert r.json()["active"] is False
        assert tina.get("/api/me").status_code == 401  # at once
        assert _login_as(tina, "tina", "tina-second-pass") == 401
        assert admin.post(f"/api/admin/users/{tid}/enable", headers=h).json()["active"]
    with web[1].reader() as db:
        actions = [e.action for e in db.scalars(select(AuditEntry).where(
            AuditEntry.actor == "web:admin"))]
    for action in ("user.add", "patient.add", "care_team.assign", "user.station",
                   "user.password_reset", "user.disable", "user.enable", "session.ended"):
        assert action in actions, action


def test_only_admins_manage_users_and_the_last_admin_stays(web: Web) -> None:
    with _client(web) as therapist:
        h = {"X-CSRF-Token": login(therapist, "therapist")}
        assert therapist.get("/api/admin/users").status_code == 403
        assert therapist.post("/api/admin/users", headers=h, json={
            "username": "x-user", "role": "admin", "password": "long-enough"}).status_code == 403
    with _client(web) as admin:
        h = {"X-CSRF-Token": login(admin, "admin")}
        me = next(u for u in admin.get("/api/admin/users").json() if u["username"] == "admin")
        r = admin.post(f"/api/admin/users/{me['id']}/role", headers=h, json={"role": "therapist"})
        assert r.status_code == 400
        assert "last active admin" in r.json()["detail"]
        r = admin.post(f"/api/admin/users/{me['id']}/disable", headers=h)
        assert r.status_code == 400
        r = admin.post("/api/admin/users", headers=h, json={
            "username": "pat-x", "role": "patient", "password": "long-enough"})
        assert r.status_code == 400
        assert "linked to a patient record" in r.json()["detail"]


def test_staff_add_edit_and_search_patients(web: Web) -> None:
    with _client(web) as t2:
        h = {"X-CSRF-Token": login(t2, "therapist2")}
        r = t2.post("/api/patients", headers=h, json={"diagnosis": "spinal cord injury",
                                                      "affected_side": "both"})
        assert r.status_code == 201, r.text
        new = r.json()
        assert new["pseudonym"].startswith("P")
        assert new["care_team"] == ["therapist2"]  # the therapist who adds joins the team
        r = t2.patch(f"/api/patients/{new['id']}", headers=h,
                     json={"birth_year": 1970, "height_m": 1.8})
        assert (r.json()["birth_year"], r.status_code) == (1970, 200)
        assert t2.patch(f"/api/patients/{new['id']}", headers=h,
                        json={"height_m": 3.5}).status_code == 422
        assert t2.patch(f"/api/patients/{new['id']}", headers=h,
                        json={"pseudonym": "RENAMED"}).status_code == 400
        found = t2.get("/api/patients", params={"q": "SPINAL"}).json()
        assert [p["id"] for p in found] == [new["id"]]
        assert t2.get("/api/patients", params={"q": "SIM-DEMO-1-01"}).json() == []  # not theirs
        other = t2.get("/api/patients", params={"q": "SIM-DEMO-1-03"}).json()
        assert t2.patch(f"/api/patients/{other[0]['id'] - 2}", headers=h,
                        json={"birth_year": 1950}).status_code == 404


def test_prescriptions_are_written_within_bounds_and_kept_as_history(web: Web) -> None:
    rx = {"duration_min": 30, "speed_kmh": 1.8, "guidance_pct": 70, "bws_pct": 30,
          "hip_rom_scale": 1.0, "knee_rom_scale": 0.9, "controller": "guidance"}
    with _client(web) as t2:
        h = {"X-CSRF-Token": login(t2, "therapist2")}
        pid = t2.get("/api/patients").json()[0]["id"]  # SIM-DEMO-1-03, their care team's
        first = t2.post(f"/api/patients/{pid}/prescriptions", headers=h, json=rx)
        assert first.status_code == 201, first.text
        second = t2.post(f"/api/patients/{pid}/prescriptions", headers=h,
                         json=rx | {"guidance_pct": 60, "controller": "aan"})
        assert second.status_code == 201
        history = t2.get(f"/api/patients/{pid}").json()["prescriptions"]
        assert [(x["guidance_pct"], x["active"]) for x in history] == [(70, False), (60, True)]
        for bad, status in [({"guidance_pct": 120}, 422), ({"speed_kmh": True}, 422),
                            ({"controller": "no-such"}, 400), ({"extra": 1}, 422)]:
            r = t2.post(f"/api/patients/{pid}/prescriptions", headers=h, json=rx | bad)
            assert r.status_code == status, (bad, r.text)
        assert t2.post(f"/api/patients/{pid - 2}/prescriptions", headers=h,
                       json=rx).status_code == 404  # not their care team's
        # a range of motion too small for the belt's speed, which a session would refuse at
        # its start, is refused where it is written: 422, the session's own one line
        small = rx | {"hip_rom_scale": 0.5, "knee_rom_scale": 0.5, "speed_kmh": 3.2}
        r = t2.post(f"/api/patients/{pid}/prescriptions", headers=h, json=small)
        assert r.status_code == 422, r.text
        msg = r.json()["detail"]
        assert "belt's travel" in msg
        assert "raise the hip range of motion" in msg
        assert "lower the speed to" in msg
        assert "\n" not in msg
        kmh = float(msg.split("lower the speed to ")[1].split()[0])
        ok = t2.post(f"/api/patients/{pid}/prescriptions", headers=h,
                     json=small | {"speed_kmh": kmh})  # the way out it names is accepted
        assert ok.status_code == 201, ok.text
        assert t2.post(f"/api/patients/{pid}/prescriptions", headers=h,  # below the session's
                       json=rx | {"hip_rom_scale": 0.3}).status_code == 422  # range: 0.5
    with _client(web) as patient:
        h = {"X-CSRF-Token": login(patient, "patient1")}
        own = patient.get("/api/me").json()["patient_id"]
        assert patient.post(f"/api/patients/{own}/prescriptions", headers=h,
                            json=rx).status_code == 403
