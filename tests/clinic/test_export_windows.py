"""Exports stream a recording in windows: every sample exactly once, for every format.

The raw CSV/Parquet tables are written window by window; a sample on a window boundary once
appeared in both windows (75,001 rows for 75 s). Here the window length is drawn by hypothesis
(so boundaries fall on, between and beside samples) and each format is compared with the
recording sample by sample. C3D holds whole 100 Hz point frames: its analog channels hold the
recording's samples up to the last whole frame, none twice.
"""

from __future__ import annotations

from pathlib import Path

import ezc3d
import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaitway.clinic import exports, records
from gaitway.clinic.importer import import_session
from gaitway.clinic.store import ClinicStore
from gaitway.recording import open_recording

from .recordings import write_session_dir

SECONDS = 3.2


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClinicStore, str, np.ndarray]:
    base = tmp_path_factory.mktemp("windows")
    sid = write_session_dir(base / "s", seconds=SECONDS)
    store = ClinicStore(f"sqlite:///{base / 'clinic.sqlite'}")
    import_session(store, base / "s", actor="test")
    time = open_recording(base / "s").read(["time"]).time
    return store, sid, time


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(window_s=st.one_of(st.sampled_from([0.05, 0.5, 1.0, 1.6, 3.2, 60.0]),
                          st.floats(0.05, 4.0)),
       fmt=st.sampled_from(["csv", "parquet"]))
def test_raw_tables_hold_every_sample_once(
    stored: tuple[ClinicStore, str, np.ndarray], tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch, window_s: float, fmt: str,
) -> None:
    store, sid, time = stored
    monkeypatch.setattr(exports, "_WINDOW_S", window_s)
    out = tmp_path_factory.mktemp("out") / fmt
    with store.reader() as db:
        exports.export_session(db, records.find_session(db, sid), fmt, out)
    table = (pacsv.read_csv(out / "raw.csv") if fmt == "csv"
             else pq.read_table(out / "raw.parquet"))
    got = table.column("time").to_numpy()
    assert got.size == time.size
    np.testing.assert_array_equal(got, time)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(window_s=st.floats(0.01, 5.0))
def test_recording_windows_partition_the_samples(
    stored: tuple[ClinicStore, str, np.ndarray], window_s: float,
) -> None:
    store, sid, time = stored
    with store.reader() as db:
        path = records.find_session(db, sid).recording_path
    rec = open_recording(path)
    parts = [w.time for w in rec.windows(window_s, ["time"])]
    np.testing.assert_array_equal(np.concatenate(parts), time)
    assert all(p.size for p in parts)


def test_c3d_analogs_hold_each_sample_once(
    stored: tuple[ClinicStore, str, np.ndarray], tmp_path: Path,
) -> None:
    store, sid, time = stored
    with store.reader() as db:
        s = records.find_session(db, sid)
        exports.export_session(db, s, "c3d", tmp_path / "s.c3d")
        grf = open_recording(s.recording_path).read(["grf_z_left"])["grf_z_left"]
    c3d = ezc3d.c3d(str(tmp_path / "s.c3d"))
    analog = c3d["data"]["analogs"][0, 2, :]  # Fz1: minus the left belt's vertical force
    whole = (time.size // 10) * 10
    assert analog.size == whole
    np.testing.assert_allclose(-analog, grf[:whole], atol=1e-9)
