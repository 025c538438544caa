from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gaitway.station.canopen.config import StationConfig, load_config
from gaitway.station.canopen.emulator import EmulatedDrives, emulated_config
from gaitway.station.canopen.mechanics import LegPendulums
from gaitway.station.canopen.station import CanopenStation

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "exo4_canopen.toml"


@pytest.fixture
def exo_config() -> StationConfig:
    return emulated_config(load_config(EXAMPLE))


@pytest.fixture
def rig(exo_config: StationConfig) -> Iterator[EmulatedDrives]:
    with EmulatedDrives(exo_config, LegPendulums()) as r:
        yield r


@pytest.fixture
def can_station(exo_config: StationConfig, rig: EmulatedDrives) -> Iterator[CanopenStation]:
    st = CanopenStation(exo_config, bus_factory=rig.controller)
    yield st
    st.stop()
