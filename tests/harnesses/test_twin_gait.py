"""The virtual patients' own gait on the twin (SIMULATED): no foot bounce, and the hemiparetic
signs kept. Short sessions (24 s, the first 10 s of warm-up left out of the cycles)."""

from __future__ import annotations

import pytest

from gaitway.harnesses.twin_gait import TwinGait, measure


@pytest.fixture(scope="module")
def healthy() -> TwinGait:
    return measure("healthy", 0.0, 0.4)


@pytest.fixture(scope="module")
def hemiparetic() -> TwinGait:
    return measure("hemiparetic-left-moderate", 0.0, 0.4)


@pytest.mark.slow
def test_healthy_foot_lands_once_per_step(healthy: TwinGait) -> None:
    """The analysis finds every true contact: a foot that bounced (contact, ~80 ms in the air,
    contact) made two true heel strikes per step and a recall near 0.5."""
    assert healthy.event_recall >= 0.98
    for leg in healthy.legs:
        assert leg.strides >= 5
        assert leg.stance_pct is not None
        assert 58.0 <= leg.stance_pct <= 72.0


@pytest.mark.slow
def test_hemiparetic_keeps_its_asymmetries(hemiparetic: TwinGait) -> None:
    assert hemiparetic.event_recall >= 0.98
    paretic, sound = hemiparetic.legs  # left paretic
    assert paretic.stance_pct is not None
    assert sound.stance_pct is not None
    assert paretic.stance_pct < sound.stance_pct - 3.0  # shorter paretic stance
    assert paretic.knee_swing_peak_deg is not None
    assert sound.knee_swing_peak_deg is not None
    assert paretic.knee_swing_peak_deg < sound.knee_swing_peak_deg - 5.0  # stiff paretic knee
