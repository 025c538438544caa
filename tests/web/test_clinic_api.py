"""Records through the API: therapists read patients and history; reports need a session."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.web.conftest import login

from gaitway.clinic.records import PRESCRIPTION_DURATION_MIN
from gaitway.session.settings import SETTING_RANGES


def test_therapist_reads_patients_and_records(client: TestClient) -> None:
    login(client, "therapist")
    patients = client.get("/api/patients").json()
    assert [p["pseudonym"] for p in patients] == ["SIM-DEMO-1-01", "SIM-DEMO-1-02",
                                                  "SIM-DEMO-1-03"]
    assert all(p["simulated"] for p in patients)
    rec = client.get(f"/api/patients/{patients[0]['id']}").json()
    assert rec["sessions"] == []
    assert rec["prescriptions"] == []
    assert client.get("/api/patients/999").status_code == 404
    assert client.get("/api/sessions/no-such-session/report").status_code == 404


def test_progress_is_for_patient_accounts_only(client: TestClient) -> None:
    login(client, "therapist")
    assert client.get("/api/me/progress").status_code == 403


def test_pages_are_served_and_carry_security_headers(client: TestClient) -> None:
    login(client, "admin")
    for path in ("/", "/login", "/station", "/progress", "/records", "/docs"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "text/html" in r.headers["content-type"]
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert client.get("/openapi.json").json()["info"]["title"] == "Gaitway console API"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")


def test_the_limits_are_the_one_list_of_ranges(client: TestClient) -> None:
    """The console's inputs take their bounds from here (GET /api/limits): the session's
    ranges and a prescription's length, for staff only."""
    login(client, "patient1")
    assert client.get("/api/limits").status_code == 403
    login(client, "therapist")
    limits = client.get("/api/limits").json()
    want = {"speed_kmh": SETTING_RANGES.speed_kmh, "guidance_pct": SETTING_RANGES.guidance_pct,
            "bws_pct": SETTING_RANGES.bws_pct, "rom_scale": SETTING_RANGES.rom_scale,
            "duration_min": PRESCRIPTION_DURATION_MIN}
    assert {k: (v["low"], v["high"]) for k, v in limits.items()} == want
