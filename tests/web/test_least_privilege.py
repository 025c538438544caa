"""Least privilege (issue 14 item 2): a therapist sees the patients of their care team and
the stations assigned to them; a patient only patient pages and their own data; a page a role
may not use is not offered and answers 403 with a page that says so."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import login

from gaitway.clinic import care_team, records
from gaitway.clinic.models import AuditEntry
from gaitway.clinic.store import ClinicStore
from gaitway.web.service import LiveService

Web = tuple[FastAPI, ClinicStore, LiveService]


def _ids(client: TestClient) -> dict[str, int]:
    return {p["pseudonym"]: p["id"] for p in client.get("/api/patients").json()}


def test_a_therapist_sees_only_the_patients_of_their_care_team(web: Web) -> None:
    with TestClient(web[0], base_url="https://testserver") as admin:
        login(admin, "admin")
        every = _ids(admin)
    assert len(every) == 3
    with TestClient(web[0], base_url="https://testserver") as t2:
        login(t2, "therapist2")
        mine = _ids(t2)
        assert list(mine) == ["SIM-DEMO-1-03"]  # the patient on their station
        for pseudonym, pid in every.items():
            expected = 200 if pseudonym in mine else 404
            assert t2.get(f"/api/patients/{pid}").status_code == expected, pseudonym
            assert t2.get(f"/api/patients/{pid}/progress").status_code == expected, pseudonym
        assert t2.get(f"/api/patients/{mine['SIM-DEMO-1-03']}").json()["care_team"] == [
            "therapist", "therapist2"]
        # joining a care team counts at once; leaving it too
        with web[1].transaction() as db:
            care_team.assign(db, actor="test", patient=records.find_patient(db, "SIM-DEMO-1-01"),
                             user=records.find_user(db, "therapist2"))
        assert t2.get(f"/api/patients/{every['SIM-DEMO-1-01']}").status_code == 200
        with web[1].transaction() as db:
            care_team.remove(db, actor="test", patient=records.find_patient(db, "SIM-DEMO-1-01"),
                             user=records.find_user(db, "therapist2"))
        assert t2.get(f"/api/patients/{every['SIM-DEMO-1-01']}").status_code == 404


def test_a_therapist_has_a_progress_page_per_patient(client: TestClient) -> None:
    login(client, "therapist")
    pid = _ids(client)["SIM-DEMO-1-01"]
    r = client.get(f"/api/patients/{pid}/progress")
    assert r.status_code == 200
    assert r.json()["pseudonym"] == "SIM-DEMO-1-01"
    assert isinstance(r.json()["lines"], list)
    mine = client.get("/api/me/progress")
    assert mine.status_code == 403
    assert "/progress?patient=" in mine.json()["detail"]  # says where to go instead


def test_a_patient_sees_only_their_own_data(client: TestClient) -> None:
    login(client, "patient1")
    me = client.get("/api/me").json()
    own = me["patient_id"]
    assert client.get(f"/api/patients/{own}/progress").status_code == 200
    assert client.get(f"/api/patients/{own + 1}/progress").status_code == 404
    assert "care_team" not in client.get(f"/api/patients/{own}").json()
    assert client.get("/api/controllers").status_code == 403


def test_the_navigation_offers_only_the_pages_a_role_may_use(web: Web) -> None:
    offered = {}
    for user in ("admin", "therapist", "patient1"):
        with TestClient(web[0], base_url="https://testserver") as c:
            me = login_me(c, user)
            offered[user] = [p["route"] for p in me["pages"]]
            for route in offered[user]:
                assert c.get(route).status_code == 200, (user, route)
    assert offered["admin"] == ["/", "/records", "/progress", "/admin", "/docs"]
    assert offered["therapist"] == ["/", "/records", "/progress"]
    assert offered["patient1"] == ["/patient", "/progress"]


def login_me(client: TestClient, user: str) -> dict[str, object]:
    login(client, user)
    me: dict[str, object] = client.get("/api/me").json()
    return me


def test_pages_a_role_may_not_use_answer_403_with_a_clear_page(web: Web) -> None:
    with TestClient(web[0], base_url="https://testserver") as c:
        r = c.get("/station", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login")
        login(c, "patient1")
        for route in ("/", "/station", "/records", "/docs"):
            r = c.get(route)
            assert r.status_code == 403, route
            assert "text/html" in r.headers["content-type"]
            assert "This page is not for your account" in r.text
            assert "patient1" in r.text
            assert 'href="/patient"' in r.text  # where to go instead
    with TestClient(web[0], base_url="https://testserver") as c:
        login(c, "therapist")
        r = c.get("/patient")
        assert r.status_code == 403
        assert "My training is for patients" in r.text
    with web[1].reader() as db:
        refused = {(e.actor, e.entity_id) for e in db.scalars(select(AuditEntry).where(
            AuditEntry.action == "access.refused", AuditEntry.entity == "page"))}
    assert ("web:patient1", "/records") in refused
    assert ("web:therapist", "/patient") in refused
