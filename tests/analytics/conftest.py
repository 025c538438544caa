"""Shared fixtures for the analytics tests: real files (copied with attribution) and
SIMULATED synthetic gait with exact truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitway.analytics.gait_data import GaitData, GaitEvent
from gaitway.analytics.synthetic import SyntheticGait, generate

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
C3D = REAL / "treadmill_no_events.c3d"
GRF_CSV = REAL / "example_vertical_grf.csv"


@pytest.fixture(scope="session")
def synthetic() -> tuple[GaitData, list[GaitEvent]]:
    data, truth, _ = generate(SyntheticGait(duration_s=20.0, seed=11))
    return data, truth
