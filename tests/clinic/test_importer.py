"""Storing analysed sessions: one transaction, idempotent, interrupted sessions kept."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from gaitway.analytics.result import AnalysisResult, Metric
from gaitway.clinic import audit, records
from gaitway.clinic.importer import import_data, session_numbers, stride_rows
from gaitway.clinic.models import AuditEntry, SessionEvent, Stride, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import synthetic_session
from gaitway.errors import UserError
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SideValues

from .helpers import T0


def _count(store: ClinicStore, model: type) -> int:
    with store.reader() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_import_stores_session_strides_events_and_audit(store: ClinicStore) -> None:
    data = synthetic_session(seed=3, started_at=T0, minutes=2.0)
    data.events.append({"time_s": 30.0, "kind": "parameter_change", "source": "therapist",
                        "details": {"guidance_pct": 70}})
    data.events.append({"time_s": 61.0, "kind": "fault", "source": "safety",
                        "details": {"cause": "knee overcurrent"}})
    result = import_data(store, data, actor="alice")
    assert result.created
    assert result.status == "complete"
    n_strides = data.analysis.n_strides
    assert result.strides == n_strides
    with store.reader() as db:
        s = db.get(TrainingSession, result.session_id)
        assert s is not None
        assert s.simulated
        assert s.patient.pseudonym == "SIM-synthetic"
        assert s.steps == data.analysis.metric("steps")
        assert s.guidance_pct == pytest.approx(80.0)
        assert s.bws_pct == pytest.approx(40.0)
        assert s.active_participation_nm == pytest.approx(-1.5)
        assert s.active_participation_pct is None  # no session reports a percentage
        assert s.controller == "guidance"
        assert s.belt_speed_mps == pytest.approx(0.5)
        kinds = {e.kind for e in db.scalars(select(SessionEvent))}
        assert {"parameter_change", "fault", "session_start"} <= kinds
        actions = [e.action for e in audit.entries(db, entity="session")]
        assert actions == ["session.import", "session.event.parameter_change",
                           "session.event.fault", "session.event.session_stop"]
        fault = audit.entries(db, entity="session")[2]
        assert fault.details["event"] == {"cause": "knee overcurrent"}


def test_import_twice_changes_nothing(store: ClinicStore) -> None:
    data = synthetic_session(seed=4, started_at=T0)
    first = import_data(store, data, actor="a")
    counts = [_count(store, m) for m in (TrainingSession, Stride, SessionEvent, AuditEntry)]
    again = import_data(store, synthetic_session(seed=4, started_at=T0), actor="a")
    assert (again.session_id, again.created) == (first.session_id, False)
    assert [_count(store, m) for m in (TrainingSession, Stride, SessionEvent,
                                       AuditEntry)] == counts


def test_interrupted_session_is_stored_as_interrupted(store: ClinicStore) -> None:
    data = synthetic_session(seed=5, started_at=T0, minutes=0.5, status="interrupted")
    data.notes.append("cut off after 30.000 s: no footer")
    result = import_data(store, data, actor="a")
    assert result.status == "interrupted"
    assert result.strides > 0
    with store.reader() as db:
        s = db.get(TrainingSession, result.session_id)
        assert s is not None
        assert s.status == "interrupted"
        assert "no footer" in (s.notes or "")


def test_failed_import_leaves_nothing(store: ClinicStore) -> None:
    data = synthetic_session(seed=6, started_at=T0)
    with store.transaction() as db:
        records.add_patient(db, actor="a", pseudonym="REAL-1")
    with pytest.raises(UserError, match="cannot be stored"):
        import_data(store, data, actor="a", patient_ref="REAL-1")
    assert _count(store, TrainingSession) == 0
    assert _count(store, Stride) == 0
    with store.reader() as db:
        assert [e.action for e in db.scalars(select(AuditEntry))] == ["patient.add"]


def test_failure_after_strides_were_written_rolls_everything_back(
    store: ClinicStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gaitway.clinic import importer

    def broken(*_: object) -> list[dict[str, object]]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_event_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        import_data(store, synthetic_session(seed=10, started_at=T0), actor="a")
    for model in (TrainingSession, Stride, SessionEvent, AuditEntry):
        assert _count(store, model) == 0
    with store.reader() as db:
        assert records.list_patients(db) == []


def test_live_session_needs_a_patient(store: ClinicStore) -> None:
    data = synthetic_session(seed=7, started_at=T0)
    data.simulated = False
    with pytest.raises(UserError, match="--patient"):
        import_data(store, data, actor="a")
    assert _count(store, TrainingSession) == 0


def test_stride_rows_map_analysis_names_and_skip_incomplete_records() -> None:
    analysis = {"strides": {"left": [
        {"start_s": 1.0, "end_s": 2.2, "stride_time_s": 1.2, "stance_pct": 61.0,
         "rom_knee_deg": 48.0, "peak_force_pct_bw": 80.0, "cadence_steps_per_min": 100.0},
        {"end_s": 3.0},
    ], "right": []}}
    (row,) = stride_rows("sid", AnalysisResult.from_dict(analysis))
    assert row["knee_rom_deg"] == 48.0
    assert row["peak_load_pct_bw"] == 80.0
    assert row["swing_pct"] is None  # the record has none: nothing is derived or guessed
    assert row["extra"] == {"cadence_steps_per_min": 100.0}


def test_session_numbers_fall_back_to_settings() -> None:
    data = synthetic_session(seed=1, started_at=T0)
    data.analysis = dataclasses.replace(data.analysis, metrics={})
    data.settings = SessionSettings(profile="healthy", minutes=2.0, speed_kmh=2.16,
                                    guidance_pct=60.0, bws_pct=0.8)
    nums = session_numbers(data)
    assert nums["belt_speed_mps"] == pytest.approx(0.6)
    assert nums["guidance_pct"] == 60
    assert nums["bws_pct"] == pytest.approx(0.8)  # 0.8 % stays 0.8 %: no unit guessing
    assert data.summary is not None
    assert nums["steps"] == data.summary.strides.total
    assert nums["distance_m"] == pytest.approx(0.6 * data.duration_s)


def test_find_session_by_prefix(store: ClinicStore) -> None:
    r = import_data(store, synthetic_session(seed=8, started_at=T0), actor="a")
    with store.reader() as db:
        assert records.find_session(db, r.session_id[:8]).id == r.session_id
        with pytest.raises(UserError, match="sessions list"):
            records.find_session(db, "ffffffff")


def test_started_at_round_trips_as_utc(store: ClinicStore) -> None:
    when = dt.datetime(2026, 5, 1, 14, 30, tzinfo=dt.UTC)
    r = import_data(store, synthetic_session(seed=9, started_at=when), actor="a")
    with store.reader() as db:
        s = db.get(TrainingSession, r.session_id)
        assert s is not None
        got = s.started_at if s.started_at.tzinfo else s.started_at.replace(tzinfo=dt.UTC)
        assert got == when


def test_non_finite_values_are_stored_as_null(store: ClinicStore) -> None:
    data = synthetic_session(seed=11, started_at=T0)
    assert data.summary is not None
    data.summary = dataclasses.replace(data.summary, real_time_factor=float("nan"))
    data.analysis.metrics["odd"] = Metric(float("inf"), "1")
    data.events.append({"time_s": 1.0, "kind": "fault", "source": "safety",
                        "details": {"torque": float("-inf")}})
    r = import_data(store, data, actor="a")
    with store.reader() as db:
        s = db.get(TrainingSession, r.session_id)
        assert s is not None
        assert s.summary["real_time_factor"] is None
        assert s.metrics["odd"]["value"] is None
        fault = next(e for e in audit.entries(db) if e.action == "session.event.fault")
        assert fault.details["event"] == {"torque": None}


def test_station_participation_in_newton_metres_is_kept(store: ClinicStore) -> None:
    """Sessions report participation per leg in N*m; the column holds their mean."""
    data = synthetic_session(seed=4, started_at=T0)
    assert data.summary is not None
    data.summary = dataclasses.replace(data.summary,
                                       active_participation_nm=SideValues(-1.9, -1.7))
    nums = session_numbers(data)
    assert nums["active_participation_nm"] == pytest.approx(-1.8)
    assert nums["active_participation_pct"] is None
    import_data(store, data, actor="test")
    with store.reader() as db:
        s = db.get(TrainingSession, data.session_id)
        assert s is not None
        assert s.active_participation_nm == pytest.approx(-1.8)


def test_an_unknown_controller_is_refused_by_the_store(store: ClinicStore) -> None:
    data = synthetic_session(seed=12, started_at=T0)
    data.controller = "impedance"
    with pytest.raises(UserError, match=r"must be one of .*got 'impedance'"):
        import_data(store, data, actor="a")
    assert _count(store, TrainingSession) == 0
