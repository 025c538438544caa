"""Sessions a crash left behind: found on restart and imported for what they are.

The console imports each session when it ends; a server crash (or kill, or power loss) ends
sessions without that step. On start the server lists the session directories under its
recordings folder whose session the store does not hold, and imports them: a recording cut
off by the crash is stored ``interrupted`` with what it recorded (see
:mod:`gaitway.clinic.import_status`). A directory that cannot be imported is reported with
its one-line reason and left in place; nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gaitway.clinic.importer import RECORDING_NAME, ImportResult, import_session
from gaitway.clinic.models import TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.errors import GaitwayError
from gaitway.recording import RecordingError, open_recording


@dataclass(frozen=True)
class Recovered:
    """One left-behind session directory and what became of it."""

    directory: Path
    result: ImportResult | None
    #: why it could not be imported ('' when it was)
    error: str = ""


def pending_sessions(store: ClinicStore, recordings_dir: Path) -> list[Path]:
    """Session directories under ``recordings_dir`` whose session the store does not hold."""
    if not recordings_dir.is_dir():
        return []
    out = []
    with store.reader() as db:
        for folder in sorted(p for p in recordings_dir.iterdir() if p.is_dir()):
            if not (folder / RECORDING_NAME).is_file():
                continue
            try:
                sid = open_recording(folder / RECORDING_NAME).metadata.get("session_id")
            except RecordingError:
                sid = None  # unreadable: the import attempt says why
            if sid is None or db.get(TrainingSession, str(sid)) is None:
                out.append(folder)
    return out


def import_pending(store: ClinicStore, folders: list[Path], *, actor: str,
                   on_result: Callable[[Recovered], None] | None = None) -> list[Recovered]:
    """Import each folder (as :func:`pending_sessions` lists them); never raises for one."""
    done = []
    for folder in folders:
        try:
            r = Recovered(folder, import_session(store, folder, actor=actor))
        except (GaitwayError, OSError) as exc:
            r = Recovered(folder, None, str(exc))
        done.append(r)
        if on_result is not None:
            on_result(r)
    return done
