"""Import stores what happened: complete, interrupted or failed; a better copy replaces a worse.

Findings of issue 18 each have a test here: a power-cut tail stored "interrupted, 0 strides" and
an intact copy imported afterwards changed nothing; an analysis failure became a 0-stride
session; a session the server's shutdown ended early was stored complete; a complete recording
without summary.json imported as interrupted; a 0-sample recording imported as a session.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gaitway.clinic.import_status import is_better_copy, session_outcome
from gaitway.clinic.importer import import_session
from gaitway.clinic.models import AuditEntry, Stride, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.recording import RECORDING_FILENAME, RecordingWriter
from gaitway.station.channels import RECORDED_CHANNELS

from .recordings import write_session_dir
from .test_import_dirs import stand_in_analysis


def _zero_tail(path: Path, n: int = 65536) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - n] + bytes(n))


def test_power_cut_copy_then_intact_copy_replaces_it(store: ClinicStore, tmp_path: Path) -> None:
    sid = write_session_dir(tmp_path / "intact", seconds=20.0)
    shutil.copytree(tmp_path / "intact", tmp_path / "torn")
    (tmp_path / "torn" / "summary.json").unlink()  # the power cut came before it was written
    _zero_tail(tmp_path / "torn" / RECORDING_FILENAME)
    torn = import_session(store, tmp_path / "torn", actor="t")  # the real analytics
    assert (torn.session_id, torn.status, torn.created) == (sid, "interrupted", True)
    assert torn.strides > 10
    with store.reader() as db:
        s = db.get(TrainingSession, sid)
        assert s is not None
        assert "torn or zero-filled" in (s.notes or "")
        torn_duration = s.duration_s
    assert torn_duration < 19.5
    again = import_session(store, tmp_path / "torn", actor="t")
    assert (again.created, again.replaced) == (False, False)
    full = import_session(store, tmp_path / "intact", actor="t")
    assert (full.status, full.replaced) == ("complete", True)
    assert full.strides > torn.strides
    with store.reader() as db:
        s = db.get(TrainingSession, sid)
        assert s is not None
        assert s.duration_s == pytest.approx(20.0)
        assert s.ended_by == "completed"
        assert db.scalar(select(func.count()).select_from(TrainingSession)) == 1
        n = db.scalar(select(func.count()).where(Stride.session_id == sid))
        assert n == full.strides
        (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "session.replace"))
        assert entry.entity_id == sid
        assert "interrupted" in json.dumps(entry.details)
    # a worse copy never replaces a better one
    assert not import_session(store, tmp_path / "torn", actor="t").replaced


def test_analysis_failure_is_an_error_not_a_session(store: ClinicStore, tmp_path: Path) -> None:
    write_session_dir(tmp_path / "crash", complete=False, summary=False)

    def failing(path: Path) -> dict[str, Any]:
        raise UserError("no gait events found")

    with pytest.raises(UserError, match=r"cannot analyse .* not imported: no gait events"):
        import_session(store, tmp_path / "crash", actor="t", analyze=failing)
    with store.reader() as db:
        assert db.scalar(select(func.count()).select_from(TrainingSession)) == 0


@pytest.mark.parametrize(("ended_by", "planned_min", "status"), [
    ("server shut down", 30.0, "interrupted"),
    ("stopped by therapist", None, "interrupted"),
    ("patient stop button", None, "interrupted"),
    ("completed", 30.0, "interrupted"),  # said completed, but ran 12 s of 30 minutes
    ("completed", None, "complete"),
    ("session failed: RuntimeError: boom", None, "failed"),
])
def test_status_follows_how_the_session_ended(
    store: ClinicStore, tmp_path: Path, ended_by: str, planned_min: float | None, status: str,
) -> None:
    write_session_dir(tmp_path / "s", ended_by=ended_by, planned_minutes=planned_min)
    r = import_session(store, tmp_path / "s", actor="t", analyze=stand_in_analysis)
    assert r.status == status
    with store.reader() as db:
        s = db.get(TrainingSession, r.session_id)
        assert s is not None
        assert ended_by.split(":")[0] in (s.ended_by or "") or status == "interrupted"


def test_complete_recording_without_summary_json_uses_its_footer(
    store: ClinicStore, tmp_path: Path,
) -> None:
    write_session_dir(tmp_path / "s", summary=False)
    r = import_session(store, tmp_path / "s", actor="t", analyze=stand_in_analysis)
    assert r.status == "complete"
    with store.reader() as db:
        s = db.get(TrainingSession, r.session_id)
        assert s is not None
        assert "summary was read from the recording's footer" in (s.notes or "")


def test_recording_without_samples_is_refused(store: ClinicStore, tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "s", channels=RECORDED_CHANNELS,
                         metadata={"simulated": True}):
        pass
    with pytest.raises(UserError, match="holds no samples"):
        import_session(store, tmp_path / "s", actor="t", analyze=stand_in_analysis)


def test_outcome_rules() -> None:
    assert session_outcome({}, None, planned_s=None, duration_s=5).status == "interrupted"
    assert session_outcome({"ended_by": "completed"}, {}, planned_s=600.0,
                           duration_s=599.5).status == "complete"
    assert session_outcome({"ended_by": "completed", "safety": {"ended_by_fault": True}}, {},
                           planned_s=None, duration_s=5).status == "interrupted"
    assert is_better_copy(old_duration_s=10, old_ended_by="cut off", old_has_summary=False,
                          new_duration_s=10, new_has_footer=True, new_has_summary=False)
    assert not is_better_copy(old_duration_s=10, old_ended_by="completed",
                              old_has_summary=True, new_duration_s=9, new_has_footer=True,
                              new_has_summary=True)


def test_fhir_marks_an_interrupted_session(store: ClinicStore, tmp_path: Path) -> None:
    from gaitway.clinic import records
    from gaitway.clinic.exports import fhir_bundle

    write_session_dir(tmp_path / "s", ended_by="server shut down", planned_minutes=30.0)
    write_session_dir(tmp_path / "c")
    cut = import_session(store, tmp_path / "s", actor="t", analyze=stand_in_analysis)
    whole = import_session(store, tmp_path / "c", actor="t", analyze=stand_in_analysis)
    with store.reader() as db:
        bundle = fhir_bundle(db, records.find_session(db, cut.session_id))
        ok = fhir_bundle(db, records.find_session(db, whole.session_id))
    obs = [e["resource"] for e in bundle["entry"][1:]
           if e["resource"]["resourceType"] == "Observation"
           and e["resource"]["category"][0]["coding"][0]["code"] == "activity"]
    assert obs
    for o in obs:
        assert o["status"] == "preliminary"
        assert "INTERRUPTED (server shut down)" in o["note"][0]["text"]
        assert "INTERRUPTED" in o["text"]["div"]
    full = [e["resource"] for e in ok["entry"][1:]]
    assert all(o["status"] == "final" and "note" not in o for o in full)
