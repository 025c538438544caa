"""Summaries written before the summary schema was versioned (version 1) still import.

Version 1 had two writers, with different keys: the headless runner (``gaitway simulate``) and
the console (``web/live_record``). The dicts below are what each wrote (Gaitway e5ef283), with
the values of one session; a format no session ever wrote is refused with one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gaitway.clinic.importer import import_session
from gaitway.clinic.models import TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.session.summary import SCHEMA_VERSION, SessionSummary

from .recordings import write_session_dir
from .test_import_dirs import stand_in_analysis

_SAFETY_V1 = {"faults": [], "injected": {},
              "safety": {"ended_by_fault": False, "safe_state_reached": None,
                         "acknowledgements": [], "resumed": 0, "missed_ticks": 0,
                         "loop_overruns": 0, "warnings": 3, "limited_ticks": 12}}


def runner_v1(sid: str) -> dict[str, Any]:
    """What ``gaitway simulate`` wrote (session/runner.py before the schema)."""
    return {
        "session_id": sid, "simulated": True, "profile": "healthy", "seed": 3,
        "duration_s": 12.0, "real_time_factor": 6.1, "wall_time_s": 1.97,
        "strides": {"left": 9, "right": 9}, "mean_cadence_steps_per_min": 98.2,
        "controller": "guidance",
        "tracking_error_rms_deg": {"hip_left": 1.2, "knee_left": 1.9, "hip_right": 1.1,
                                   "knee_right": 2.0},
        "active_participation": {"left": -2.1, "right": -1.9},
        "active_participation_unit": "N*m (mean cuff torque against the intended motion; "
                                     "positive: the patient leads)",
        "robot_work_per_stride_j": {"hip_left": 3.1, "knee_left": 2.2, "hip_right": 3.0,
                                    "knee_right": 2.4},
        "phase_error_rms_pct": {"left": 1.4, "right": 1.5, "overall": 1.45},
        "phase_error_strides": {"steady": {"left": 6, "right": 6},
                                "scored": {"left": 7, "right": 7}},
        "phase_error_note": "gait-phase estimate vs. the twin's true foot contact (simulated)",
        "metrics_from_s": 2.2, "fatigue_detections": 0, "automatic_changes": 0,
        "settings": {"profile": "healthy", "minutes": 0.2, "seed": 3, "out_dir": "/tmp/x",
                     "guidance_pct": 0.8, "bws_pct": 30.0, "speed_kmh": 2.16,
                     "controller": "guidance", "lateral_pelvis": False, "patient_events": True,
                     "warmup_s": 8.0, "session_index": 0, "initial_fatigue": 0.0,
                     "tunnel_width_deg": 5.0, "path_flow_nm": 0.0, "aan_min_pct": 30.0,
                     "aan_max_pct": 100.0, "resist_damping": 5.0, "resist_torque_nm": 0.0,
                     "self_paced": False, "adapt_to_fatigue": True, "max_guidance_pct": 100.0,
                     "max_bws_pct": 50.0, "extra": {}},
        "ended_by": "completed", "recording": "recording.gwrec", "patient_fatigue_end": 0.01,
        **_SAFETY_V1,
    }


def console_v1(sid: str) -> dict[str, Any]:
    """What a console session wrote (web/live.py + web/live_record.py before the schema)."""
    return {
        "session_id": sid, "simulated": True, "label": "SIMULATED live console session",
        "profile": "healthy", "patient": "SIM-LIVE-01", "station": "Simulated station 1",
        "seed": 100, "started_at": "2026-12-05T10:00:00+00:00", "duration_s": 12.0,
        "paused_s": 1.5, "training_clock_s": 10.5, "wall_time_s": 12.1,
        "strides": {"left": 8, "right": 8}, "controller": "aan",
        "tracking_error_rms_deg": {"hip_left": 2.2, "knee_left": 2.9, "hip_right": None,
                                   "knee_right": None},
        "active_participation": {"left": -1.0, "right": None},
        "active_participation_unit": "N*m (mean cuff torque against the intended motion; "
                                     "positive: the patient leads)",
        "metrics_from_s": 2.2,
        "settings": {"profile": "healthy", "minutes": 0.2, "seed": 100, "guidance_pct": 80.0,
                     "bws_pct": 30.0, "speed_kmh": 1.8, "controller": "aan",
                     "source": "web console (live, paced)", "patient": "SIM-LIVE-01",
                     "station": "Simulated station 1"},
        "ended_by": "completed",
        "jitter": {"ticks": 12000, "overruns": 2, "period_median_us": 1000.0,
                   "jitter_median_us": 12.0, "jitter_p99_us": 300.0, "jitter_max_us": 2100.0},
        **_SAFETY_V1,
    }


def _dir_with(tmp_path: Path, name: str, summary: dict[str, Any]) -> Path:
    d = tmp_path / name
    sid = write_session_dir(d, seconds=6.0)
    (d / "summary.json").write_text(json.dumps(summary | {"session_id": sid}))
    return d


def test_a_runner_summary_of_version_1_imports(store: ClinicStore, tmp_path: Path) -> None:
    d = _dir_with(tmp_path, "runner", runner_v1("x"))
    s = SessionSummary.read(d)
    assert s is not None
    assert s.schema_version == SCHEMA_VERSION
    assert s.active_participation_nm.mean() == pytest.approx(-2.0)
    assert s.settings.resist_damping_nms_per_rad == 5.0
    assert s.settings.guidance_pct == 0.8  # as set: 0.8 %, not turned into 80 %
    assert s.phase_error is not None
    assert s.phase_error.overall_rms_pct == 1.45
    assert "upgraded from summary schema version 1" in s.upgrade_notes
    r = import_session(store, d, actor="a", analyze=stand_in_analysis)
    assert r.status == "complete"
    with store.reader() as db:
        row = db.get(TrainingSession, r.session_id)
        assert row is not None
        assert row.controller == "guidance"
        assert row.active_participation_nm == pytest.approx(-2.0)
        assert row.bws_pct == pytest.approx(30.0)
        assert row.settings["resist_damping_nms_per_rad"] == 5.0
        assert row.summary["schema_version"] == SCHEMA_VERSION
        assert "schema version 1" in (row.notes or "")


def test_a_console_summary_of_version_1_imports(store: ClinicStore, tmp_path: Path) -> None:
    d = _dir_with(tmp_path, "console", console_v1("x"))
    s = SessionSummary.read(d)
    assert s is not None
    assert (s.patient, s.station, s.paused_s) == ("SIM-LIVE-01", "Simulated station 1", 1.5)
    assert s.loop_timing is not None
    assert s.loop_timing.overruns == 2
    assert s.active_participation_nm.mean() == pytest.approx(-1.0)
    assert s.robot_work_per_stride_j is None  # the console did not report it
    r = import_session(store, d, actor="a", analyze=stand_in_analysis)
    with store.reader() as db:
        row = db.get(TrainingSession, r.session_id)
        assert row is not None
        assert (row.controller, row.status) == ("aan", "complete")
        assert row.guidance_pct == pytest.approx(80.0)


@pytest.mark.parametrize(("change", "message"), [
    ({"active_participation": 0.25}, r"has no unit in N\*m"),
    ({"controller": "impedance"}, "must be one of .*got 'impedance'"),
    ({"schema_version": 99}, "schema version 99"),
    ({"what_is_this": 1}, "unknown field"),
])
def test_a_summary_gaitway_never_wrote_is_refused_in_one_line(
        store: ClinicStore, tmp_path: Path, change: dict[str, Any], message: str) -> None:
    d = _dir_with(tmp_path, "odd", runner_v1("x") | change)
    with pytest.raises(UserError, match=message) as err:
        import_session(store, d, actor="a", analyze=stand_in_analysis)
    assert "\n" not in str(err.value)
    with store.reader() as db:
        assert db.query(TrainingSession).count() == 0
