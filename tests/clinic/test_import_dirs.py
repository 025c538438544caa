"""Importing session directories written by the real recorder, and exports that need them.

The analysis step is the analytics part's job; here a small stand-in reads the recording's
known stride timing so these tests cover the store's side (the end-to-end test with the real
analytics is in test_end_to_end.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ezc3d
import numpy as np
import pyarrow.parquet as pq
import pytest

from gaitway.clinic import audit, records
from gaitway.clinic.exports import export_session
from gaitway.clinic.importer import import_session
from gaitway.clinic.models import TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.recording import open_recording

from .recordings import STANCE, STRIDE_S, write_session_dir


def stand_in_analysis(path: Path) -> dict[str, Any]:
    """Strides and events from the synthetic signals' known timing (not a gait algorithm)."""
    rec = open_recording(path)
    end = rec.end_time_s
    strides: dict[str, list[dict[str, Any]]] = {}
    events = []
    for side, offset in (("left", 0.0), ("right", STRIDE_S / 2)):
        starts = np.arange(STRIDE_S - offset if offset else 0.0, end - STRIDE_S, STRIDE_S)
        strides[side] = [{"start_s": float(a), "end_s": float(a + STRIDE_S),
                          "stride_time_s": STRIDE_S, "stance_pct": 100 * STANCE}
                         for a in starts]
        for a in starts:
            events += [{"time_s": float(a), "side": side, "kind": "heel_strike"},
                       {"time_s": float(a + STANCE * STRIDE_S), "side": side,
                        "kind": "toe_off"}]
    n = sum(len(v) for v in strides.values())
    return {"strides": strides, "events": events, "source": "simulated",
            "metrics": {"steps": {"value": n, "unit": "count"},
                        "walking_speed": {"value": 0.6, "unit": "m/s"}},
            "cycles": {}}


def test_import_complete_directory_twice(store: ClinicStore, tmp_path: Path) -> None:
    sid = write_session_dir(tmp_path / "s1", events=[(3.0, "parameter_change", "console")])
    first = import_session(store, tmp_path / "s1", actor="a", analyze=stand_in_analysis)
    again = import_session(store, tmp_path / "s1", actor="a", analyze=stand_in_analysis)
    assert (first.session_id, first.created, first.status) == (sid, True, "complete")
    assert (again.session_id, again.created) == (sid, False)
    with store.reader() as db:
        s = db.get(TrainingSession, sid)
        assert s is not None
        assert s.patient.pseudonym == "SIM-healthy"
        assert s.patient.simulated
        assert s.active_participation_nm == pytest.approx(-2.5)
        assert s.guidance_pct == 70
        assert s.duration_s == pytest.approx(12.0)
        imports = [e for e in audit.entries(db) if e.action == "session.import"]
        assert len(imports) == 1
        assert any(e.action == "session.event.parameter_change" for e in audit.entries(db))


def test_cut_off_recording_without_summary_is_interrupted(store: ClinicStore,
                                                          tmp_path: Path) -> None:
    sid = write_session_dir(tmp_path / "crash", complete=False, summary=False)
    r = import_session(store, tmp_path / "crash", actor="a", analyze=stand_in_analysis)
    assert r.session_id == sid  # the id comes from the recording's metadata
    assert r.status == "interrupted"
    assert r.strides > 10
    with store.reader() as db:
        s = db.get(TrainingSession, sid)
        assert s is not None
        assert "no footer" in (s.notes or "")
        assert "no summary.json" in (s.notes or "")
        assert (s.ended_by or "").startswith("cut off: the recording has no footer")


def test_session_stopped_by_a_fault_is_interrupted(store: ClinicStore, tmp_path: Path) -> None:
    """A clean close after a safety stop is still a session that did not run its course."""
    sid = write_session_dir(tmp_path / "fall", seconds=6.0)
    path = tmp_path / "fall" / "summary.json"
    summary = json.loads(path.read_text())
    summary["ended_by"] = "fault: fall (immediate_stop); safe state reached at 0.018 s"
    summary["safety"] = {"ended_by_fault": True, "safe_state_reached": True}
    path.write_text(json.dumps(summary))
    r = import_session(store, tmp_path / "fall", actor="a", analyze=stand_in_analysis)
    assert r.status == "interrupted"
    with store.reader() as db:
        s = db.get(TrainingSession, sid)
        assert s is not None
        assert s.ended_by is not None
        assert s.ended_by.startswith("fault: fall")
        assert "stopped by the safety supervisor" in (s.notes or "")
    ok = write_session_dir(tmp_path / "ok", seconds=6.0)
    assert import_session(store, tmp_path / "ok", actor="a",
                          analyze=stand_in_analysis).status == "complete"
    assert ok != sid


def test_analysis_failure_on_complete_session_writes_nothing(store: ClinicStore,
                                                             tmp_path: Path) -> None:
    write_session_dir(tmp_path / "s")

    def failing(_: Path) -> dict[str, Any]:
        raise UserError("no force-plate data")

    with pytest.raises(UserError, match="cannot analyse"):
        import_session(store, tmp_path / "s", actor="a", analyze=failing)
    with store.reader() as db:
        assert records.list_sessions(db) == []
        assert records.list_patients(db) == []


def test_bad_summary_json_is_a_user_error(store: ClinicStore, tmp_path: Path) -> None:
    write_session_dir(tmp_path / "s")
    (tmp_path / "s" / "summary.json").write_text("{not json")
    with pytest.raises(UserError, match=r"summary\.json"):
        import_session(store, tmp_path / "s", actor="a", analyze=stand_in_analysis)


def test_c3d_export_reads_back_with_ezc3d(store: ClinicStore, tmp_path: Path) -> None:
    sid = write_session_dir(tmp_path / "s", seconds=6.0)
    import_session(store, tmp_path / "s", actor="a", analyze=stand_in_analysis)
    with store.reader() as db:
        s = records.find_session(db, sid)
        export_session(db, s, "c3d", tmp_path / "s.c3d")
        n_events = len([e for e in s.events if e.source == "analytics"])
    c = ezc3d.c3d(str(tmp_path / "s.c3d"), extract_forceplat_data=True)
    labels = c["parameters"]["POINT"]["LABELS"]["value"]
    assert "LKneeAngles" in labels
    assert c["parameters"]["POINT"]["RATE"]["value"][0] == pytest.approx(100.0)
    rec = open_recording(tmp_path / "s")
    ts = rec.read(channels=["hip_angle_left", "grf_z_right", "cop_x_right"])
    hip = c["data"]["points"][0, labels.index("LHipAngles"), :]
    expect = np.degrees(ts["hip_angle_left"][:len(hip) * 10]).reshape(-1, 10).mean(axis=1)
    np.testing.assert_allclose(hip, expect, atol=1e-3)
    an = c["parameters"]["ANALOG"]["LABELS"]["value"]
    fz2 = c["data"]["analogs"][0, an.index("Fz2"), :]
    np.testing.assert_allclose(-fz2, ts["grf_z_right"][:len(fz2)], atol=0.01)
    # the centre of pressure comes back from the plate's moments as ezc3d computes it
    plate = c["data"]["platform"][1]
    loaded = ts["grf_z_right"][:len(fz2)] > 100
    cop_x_mm = plate["center_of_pressure"][0, :len(fz2)]
    np.testing.assert_allclose(cop_x_mm[loaded], 1000 * ts["cop_x_right"][:len(fz2)][loaded],
                               atol=0.5)
    assert c["parameters"]["EVENT"]["USED"]["value"][0] == n_events
    assert set(c["parameters"]["EVENT"]["CONTEXTS"]["value"]) == {"Left", "Right"}
    assert c["parameters"]["GAITWAY"]["SIMULATED"]["value"][0] == 1


def test_raw_parquet_and_csv_exports_stream_the_recording(store: ClinicStore,
                                                          tmp_path: Path) -> None:
    sid = write_session_dir(tmp_path / "s", seconds=5.0)
    import_session(store, tmp_path / "s", actor="a", analyze=stand_in_analysis)
    with store.reader() as db:
        s = records.find_session(db, sid)
        files = export_session(db, s, "parquet", tmp_path / "pq")
        export_session(db, s, "csv", tmp_path / "csv")
    assert {f.name for f in files} == {"strides.parquet", "raw.parquet", "metadata.json"}
    raw = pq.read_table(tmp_path / "pq" / "raw.parquet")
    assert raw.num_rows == 5000
    ts = open_recording(tmp_path / "s").read(channels=["knee_angle_left"])
    np.testing.assert_array_equal(raw.column("knee_angle_left").to_numpy(),
                                  ts["knee_angle_left"])
    meta = json.loads((tmp_path / "csv" / "metadata.json").read_text())
    assert meta["raw_units"]["grf_z_left"] == "N"
    assert meta["simulated"] is True
    header = (tmp_path / "csv" / "raw.csv").open().readline()
    assert header.startswith('"time","hip_angle_left"')
