"""Sessions a server crash left behind are imported, as interrupted, when the server restarts
(issue 18: they were never imported)."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gaitway.clinic.models import AuditEntry, TrainingSession
from gaitway.clinic.recovery import import_pending, pending_sessions
from gaitway.clinic.synthetic import write_session_dir
from gaitway.recording import RECORDING_FILENAME, RecordingWriter
from gaitway.station.channels import RECORDED_CHANNELS

from .conftest import make_app


def test_restart_imports_the_sessions_a_crash_left(tmp_path: Path) -> None:
    folder = tmp_path / "live-sessions"
    crashed = write_session_dir(folder / "20261206T010000-crashed", seconds=15.0,
                                complete=False, summary=False)
    with RecordingWriter(folder / "20261206T020000-empty", channels=RECORDED_CHANNELS,
                         metadata={"simulated": True}):
        pass  # a session that died before its first tick: reported, not imported
    app, store, live = make_app(tmp_path)
    try:
        with TestClient(app, base_url="https://testserver"):
            deadline = time.monotonic() + 120.0
            while time.monotonic() < deadline:
                with store.reader() as db:
                    actions = db.scalars(select(AuditEntry.action).where(
                        AuditEntry.action.startswith("session.recover"))).all()
                if len(actions) == 2:
                    break
                time.sleep(0.2)
            assert sorted(actions) == ["session.recovered", "session.recovery_failed"]
            with store.reader() as db:
                s = db.get(TrainingSession, crashed)
                assert s is not None
                assert s.status == "interrupted"
                assert (s.ended_by or "").startswith("cut off")
                failed = db.scalars(select(AuditEntry).where(
                    AuditEntry.action == "session.recovery_failed")).one()
                assert "holds no samples" in str(failed.details)
        assert [p.name for p in pending_sessions(store, folder)] == ["20261206T020000-empty"]
        assert (folder / "20261206T020000-empty" / RECORDING_FILENAME).exists()  # kept
        again = import_pending(store, pending_sessions(store, folder), actor="t")
        assert [r.result for r in again] == [None]
    finally:
        live.shutdown()
        store.close()
