"""Fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from GAITWAY_TEST_DATABASE_URL (.ci/run sets it). Each test gets its own
schema there, so tests (and other people's tests on the same server) never see each other's rows.
Without the variable the PostgreSQL variant skips locally and FAILS when CI is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from gaitway.clinic.store import ClinicStore


def _postgres_base_url() -> str:
    url = os.environ.get("GAITWAY_TEST_DATABASE_URL")
    if not url:
        msg = "GAITWAY_TEST_DATABASE_URL is not set; run PostgreSQL as .ci/run does"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'clinic.sqlite'}"
        return
    base = _postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[ClinicStore]:
    s = ClinicStore(db_url)
    yield s
    s.close()
