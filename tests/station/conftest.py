from __future__ import annotations

from collections.abc import Iterator

import pytest

from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation


@pytest.fixture
def station() -> Iterator[SimStation]:
    patient = VirtualPatient(get_profile("healthy"), seed=3, events=False)
    st = SimStation(patient, seed=3)
    yield st
    st.stop()
