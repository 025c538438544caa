"""The append-only audit log: who did what and when.

Entries are only ever added (``record``); the store refuses to flush a changed or deleted entry,
and on PostgreSQL a trigger rejects UPDATE and DELETE as well.
"""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic.jsonsafe import jsonable
from gaitway.clinic.models import AuditEntry
from gaitway.settings import get_settings


def cli_actor() -> str:
    """Who acts from the command line: ``GAITWAY_OPERATOR`` or the OS user, marked as CLI."""
    name = get_settings().operator
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return f"cli:{name}"[:64]


def record(
    db: Session, *, actor: str, action: str, entity: str, entity_id: object = None,
    **details: Any,
) -> AuditEntry:
    """Add one audit entry to the current transaction (it commits with the change it records)."""
    entry = AuditEntry(
        actor=actor[:64], action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id), details=jsonable(details),
    )
    db.add(entry)
    return entry


def entries(
    db: Session, *, entity: str | None = None, entity_id: object = None
) -> list[AuditEntry]:
    """Audit entries, oldest first, optionally for one entity."""
    q = select(AuditEntry).order_by(AuditEntry.id)
    if entity is not None:
        q = q.where(AuditEntry.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEntry.entity_id == str(entity_id))
    return list(db.scalars(q))
