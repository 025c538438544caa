"""Gaitway's settings: one pydantic-settings object read from ``GAITWAY_*`` environment variables.

Nothing here connects to anything: building :class:`Settings` only reads the environment, so
importing a module never opens a database (the engine is made where it is used).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "gaitway"


class Settings(BaseSettings):
    """Where Gaitway keeps its data, and which database holds the clinic store.

    ``GAITWAY_DATA_DIR`` (default ``~/.local/share/gaitway``) holds recordings and the default
    SQLite store; ``GAITWAY_DATABASE_URL`` points elsewhere, e.g.
    ``postgresql+psycopg://user:pass@host/db`` for a clinic server.
    """

    model_config = SettingsConfigDict(env_prefix="GAITWAY_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    #: Name recorded in the audit log when the CLI acts without a logged-in user.
    operator: str | None = None

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file ``clinic.sqlite`` in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'clinic.sqlite'}"


def get_settings() -> Settings:
    """Read the settings now (not cached: tests and the CLI change the environment)."""
    return Settings()
