"""API fuzzing with schemathesis against the OpenAPI schema: no request may cause a server
error, whether logged out, as a patient, or as a therapist with a valid CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from tests.web.conftest import make_app

from gaitway.web.auth import COOKIE_NAME, CSRF_HEADER, WebUser
from gaitway.web.config import WebSettings

pytestmark = pytest.mark.timeout(300)
_STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def web_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app, store, live = make_app(Path(tmp_path_factory.mktemp("fuzz")),
                                settings=WebSettings(secret_key="fuzz", cookie_secure=False))
    _STATE["app"] = app
    with store.reader() as db:
        from sqlalchemy import select

        from gaitway.clinic.models import User

        _STATE["users"] = {u.username: WebUser(u.id, u.username, u.role, u.patient_id,
                                               u.station_id)
                           for u in db.scalars(select(User))}
    admin, _ = app.state.ctx.sessions.create(_STATE["users"]["admin"])  # the schema is admins'
    yield schemathesis.openapi.from_asgi("/openapi.json", app, cookies={COOKIE_NAME: admin})
    live.shutdown()
    store.close()


def test_no_server_errors(web_schema: Any) -> None:
    """Every operation in the schema, with generated valid and invalid data, three ways."""
    labels = []
    for result in web_schema.get_all_operations():
        op = result.ok()
        labels.append(op.label)

        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            _call_three_ways(case)

        run()
    assert any("changes" in label for label in labels), labels


def _call_three_ways(case: Any) -> None:
    for who in ("anonymous", "patient1", "therapist"):
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        if who != "anonymous":  # a fresh session per call: fuzzing logout cannot end the next
            cookie, sess = _STATE["app"].state.ctx.sessions.create(_STATE["users"][who])
            cookies[COOKIE_NAME] = cookie
            headers[CSRF_HEADER] = sess.csrf
        response = case.call(headers=headers, cookies=cookies)
        assert response.status_code < 500, (who, case.method, case.formatted_path,
                                             response.text[:300])
