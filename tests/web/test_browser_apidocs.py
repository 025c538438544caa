"""The API docs' "Try it out" in Chromium: Swagger UI (served by the server itself, admins
only) sends the session's CSRF token with a change, so a logged-in admin's request from the
docs passes as the console's own do; the same request without the token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import login_page, make_app

from gaitway.clinic import records
from gaitway.clinic.store import ClinicStore
from gaitway.web.background import serve
from gaitway.web.config import WebSettings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, ClinicStore]]:
    app, store, live = make_app(tmp_path, settings=WebSettings(secret_key="apidocs-test",
                                                                cookie_secure=False))
    try:
        with serve(app) as url:
            yield url, store
    finally:
        live.shutdown()
        store.close()


def test_try_it_out_sends_the_csrf_token(browser: Any, site: tuple[str, ClinicStore]) -> None:
    from playwright.sync_api import expect

    url, store = site
    page = login_page(browser, url, "admin", viewport=(1280, 900))
    page.goto(f"{url}/docs")
    op = page.locator("#operations-clinic-add_patient_api_patients_post")
    op.locator(".opblock-summary").click()
    op.get_by_role("button", name="Try it out").click()
    op.locator("textarea.body-param__text").fill('{"pseudonym": "P-DOCS-1"}')
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/patients")
                             ) as sent:
        op.get_by_role("button", name="Execute").click()
    token = sent.value.headers.get("x-csrf-token")
    assert token, sent.value.headers
    expect(op.locator(".live-responses-table tbody .response-col_status").first).to_have_text("201")
    with store.reader() as db:
        assert records.find_patient(db, "P-DOCS-1").pseudonym == "P-DOCS-1"
    # the token is the session's: the same request without it is refused
    r = page.request.post(f"{url}/api/patients", data={"pseudonym": "P-DOCS-2"})
    assert r.status == 403
    assert page.request.post(f"{url}/api/patients", data={"pseudonym": "P-DOCS-2"},
                             headers={"X-CSRF-Token": token}).status == 201
    page.close()
