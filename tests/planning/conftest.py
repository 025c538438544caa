"""The clinic store fixtures (SQLite and PostgreSQL, as every store test runs)."""

from tests.clinic.conftest import db_url, postgres_base_url, store

__all__ = ["db_url", "postgres_base_url", "store"]
