"""Opening the clinic store: engine, migrations, transactions.

One :class:`ClinicStore` per process and database. ``transaction()`` is the only way code
writes: everything inside commits together or not at all, so a failed import or a bad CLI
argument never leaves half a record behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gaitway.clinic import migrate
from gaitway.clinic.models import AuditEntry
from gaitway.errors import GaitwayError, UserError
from gaitway.settings import get_settings


class AuditAppendOnlyError(GaitwayError):
    """Code tried to change or delete an audit entry."""


def _guard_audit(db: Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*db.dirty, *db.deleted):
        if isinstance(obj, AuditEntry) and (obj in db.deleted or db.is_modified(obj)):
            raise AuditAppendOnlyError(
                "the audit log is append-only: entries cannot be changed or deleted"
            )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their directory made and foreign keys on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UserError(
            f"cannot read database URL {url!r}: {exc}; check GAITWAY_DATABASE_URL"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


class ClinicStore:
    """The clinic database: an engine, migrated to the newest schema, and its sessions."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if upgrade:
            try:
                migrate.upgrade(self.engine)
            except OperationalError as exc:
                self.engine.dispose()
                raise UserError(
                    f"cannot open the clinic store at {self.safe_url}: {exc.orig}; check "
                    "GAITWAY_DATABASE_URL and that the database server is running"
                ) from None
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._factory, "before_flush", _guard_audit)

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on error."""
        with self._factory() as db, db.begin():
            yield db

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed, and objects it loaded keep
        their loaded values after the block (closing does not expire them)."""
        with self._factory() as db:
            yield db

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ClinicStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str | None = None, *, upgrade: bool = True) -> ClinicStore:
    """Open (and migrate) the store at ``url``, or the one the settings name."""
    return ClinicStore(url or get_settings().resolved_database_url(), upgrade=upgrade)
