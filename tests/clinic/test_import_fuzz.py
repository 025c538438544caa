"""Fuzzing the importer with damaged session directories (issue 18): truncated, flipped,
zeroed or junk-appended recordings and summaries. The import either stores a session whose
status is not "complete" unless the recording is whole, or refuses with a UserError; it never
raises anything else, never hangs, and never leaves a half-stored session."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gaitway.clinic.importer import import_session
from gaitway.clinic.models import Stride, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.recording import RECORDING_FILENAME

from .recordings import write_session_dir
from .test_import_dirs import stand_in_analysis


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("src") / "s"
    write_session_dir(folder, seconds=6.0)
    return folder


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from([RECORDING_FILENAME, "summary.json"]),
       how=st.sampled_from(["truncate", "flip", "zero", "append"]),
       at=st.floats(0.0, 1.0), size=st.integers(1, 5000))
def test_damaged_session_directory_imports_truthfully_or_is_refused(
    source: Path, tmp_path_factory: pytest.TempPathFactory, target: str, how: str,
    at: float, size: int,
) -> None:
    base = tmp_path_factory.mktemp("case")
    folder = base / "s"
    shutil.copytree(source, folder)
    path = folder / target
    raw = path.read_bytes()
    pos = int(at * (len(raw) - 1))
    if how == "truncate":
        raw = raw[:pos]
    elif how == "flip":
        b = bytearray(raw)
        b[pos] ^= 1 << (size % 8)
        raw = bytes(b)
    elif how == "zero":
        raw = raw[:pos] + bytes(min(size, len(raw) - pos)) + raw[pos + size:]
    else:
        raw = raw + np.random.default_rng(size).bytes(size)
    path.write_bytes(raw)
    store = ClinicStore(f"sqlite:///{base / 'clinic.sqlite'}")
    refused = ""
    try:
        result = import_session(store, folder, actor="fuzz", analyze=stand_in_analysis)
    except UserError as exc:
        refused = str(exc)
    with store.reader() as db:
        stored = db.scalar(select(func.count()).select_from(TrainingSession))
        strides = db.scalar(select(func.count()).select_from(Stride))
    store.close()
    if refused:
        assert "\n" not in refused
        assert (stored, strides) == (0, 0)
        return
    assert stored == 1
    if target == RECORDING_FILENAME and how == "truncate":
        assert result.status == "interrupted"  # the footer is gone
    assert result.status in ("complete", "interrupted", "failed")
