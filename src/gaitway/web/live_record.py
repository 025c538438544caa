"""Console sessions into the clinic store: the importer a station host calls when a session's
recording is finished (off the loop thread; a worker-process station hands the directory to
the server, which owns the database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gaitway.clinic.importer import import_session
from gaitway.clinic.store import ClinicStore

#: imports a finished session directory; returns the stored session's id
Importer = Callable[[Path, str], str]


def store_importer(store: ClinicStore) -> Importer:
    """An importer into ``store`` for sessions of the pseudonymised patient."""

    def run(directory: Path, patient: str) -> str:
        return import_session(store, directory, actor="web:live-session",
                              patient_ref=patient).session_id

    return run
