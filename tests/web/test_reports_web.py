"""Printable reports from the console: the session and progress reports as HTML with an A4
print stylesheet and a link to the same report as a PDF download, to those who may see them."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from gaitway.clinic import records
from gaitway.clinic.importer import import_data
from gaitway.clinic.synthetic import synthetic_session
from gaitway.web.demo import demo_pseudonym

from .conftest import login


def test_session_and_progress_reports_print_and_download_as_pdf(
        web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    _, store, _ = web
    data = synthetic_session(seed=3, started_at=dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC),
                             minutes=0.5, guidance_pct=60.0, bws_pct=35.0)
    sid = import_data(store, data, actor="t", patient_ref=demo_pseudonym(0)).session_id
    with store.reader() as db:
        pid = records.find_patient(db, demo_pseudonym(0)).id
    login(client, "therapist")
    for html_url, pdf_url in ((f"/api/sessions/{sid}/report", f"/api/sessions/{sid}/report.pdf"),
                              (f"/api/patients/{pid}/report", f"/api/patients/{pid}/report.pdf")):
        r = client.get(html_url)
        assert r.status_code == 200, r.text
        assert "@media print" in r.text
        assert "@page { size: A4" in r.text
        assert f'href="{pdf_url}"' in r.text
        assert "SIMULATED" in r.text
        r = client.get(pdf_url)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF-")
        assert len(r.content) > 5_000
        assert r.headers["content-disposition"].startswith("attachment; filename=\"gaitway-")
        assert r.headers["cache-control"] == "no-store"
    login(client, "therapist2")  # not on this patient's care team
    assert client.get(f"/api/patients/{pid}/report.pdf").status_code == 404
    assert client.get(f"/api/sessions/{sid}/report.pdf").status_code == 404
    login(client, "patient1")  # their own progress report
    assert client.get(f"/api/patients/{pid}/report.pdf").status_code == 200
    assert client.get(f"/api/patients/{pid + 1}/report").status_code == 404
