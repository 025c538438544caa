"""Fuzzing the C3D and CSV readers with damaged files (issue 18): random truncation, flipped
bytes, zeroed runs and appended junk. Each read either works or raises one UserError line; no
other exception, no warning turned traceback, no hang. Seeded and bounded for CI."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaitway.analytics.analyze import load_path
from gaitway.errors import UserError

from .conftest import C3D, GRF_CSV

_DAMAGE = {"how": st.sampled_from(["truncate", "flip", "zero", "append"]),
           "at": st.floats(0.0, 1.0), "size": st.integers(1, 9000)}


def _damage(raw: bytes, how: str, at: float, size: int) -> bytes:
    pos = int(at * (len(raw) - 1))
    if how == "truncate":
        return raw[:pos]
    if how == "flip":
        b = bytearray(raw)
        b[pos] ^= 1 << (size % 8)
        return bytes(b)
    if how == "zero":
        return raw[:pos] + bytes(min(size, len(raw) - pos)) + raw[pos + size:]
    return raw + np.random.default_rng(size).bytes(size)


def _read(path: Path) -> str:
    """'' when the file was read, else the one-line error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            load_path(path)
        except UserError as exc:
            return str(exc)
    return ""


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**_DAMAGE)
def test_damaged_c3d_reads_or_is_one_clear_error(
    tmp_path_factory: pytest.TempPathFactory, how: str, at: float, size: int,
) -> None:
    path = tmp_path_factory.mktemp("c3d") / "damaged.c3d"
    path.write_bytes(_damage(C3D.read_bytes(), how, at, size))
    assert "\n" not in _read(path)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**_DAMAGE)
def test_damaged_csv_reads_or_is_one_clear_error(
    tmp_path_factory: pytest.TempPathFactory, how: str, at: float, size: int,
) -> None:
    path = tmp_path_factory.mktemp("csv") / "damaged.csv"
    path.write_bytes(_damage(GRF_CSV.read_bytes(), how, at, size))
    assert "\n" not in _read(path)
