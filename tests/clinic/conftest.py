"""Fixtures: every store test runs on SQLite and on PostgreSQL, on every machine.

PostgreSQL comes from GAITWAY_TEST_DATABASE_URL when it is set (.ci/run sets it to Debian's
PostgreSQL), otherwise from an embedded server started for the test run: pgserver (PyPI, a
PostgreSQL 16 build inside the wheel), one per test process in a temporary folder, stopped at
exit. It needs no system package; run as root, pgserver runs the server as a system user
``pgserver`` that it creates, since PostgreSQL refuses to run as root. Each test gets its own
schema, so tests (and other people's tests on the same server) never see each other's rows.
A PostgreSQL that cannot be had fails the tests: no store test is ever skipped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from gaitway.clinic.store import ClinicStore


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """GAITWAY_TEST_DATABASE_URL, else an embedded PostgreSQL (pgserver) for this process."""
    url = os.environ.get("GAITWAY_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR on a bare machine
        warnings.simplefilter("ignore")
        import pgserver
    folder = Path(tempfile.mkdtemp(prefix="gaitway-pg-"))
    try:
        server = pgserver.get_server(folder, cleanup_mode="delete")
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"cannot start the embedded PostgreSQL (pgserver) in {folder}: {exc}; set "
                    "GAITWAY_TEST_DATABASE_URL to a PostgreSQL server instead")
    uri = server.get_uri()
    yield uri.replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'clinic.sqlite'}"
        return
    base: str = request.getfixturevalue("postgres_base_url")
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
