"""Alembic environment for the clinic store.

The URL comes from the Alembic config when Gaitway's own code runs a migration (see
``gaitway.clinic.migrate``), else from the settings (``GAITWAY_DATABASE_URL``), so plain
``alembic`` runs and the CLI agree on where the store is.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from gaitway.clinic.models import Base
from gaitway.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
