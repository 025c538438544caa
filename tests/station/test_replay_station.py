from __future__ import annotations

import time

import numpy as np
import pytest

from gaitway.errors import UserError
from gaitway.station.interface import Command
from gaitway.station.replay import RecordedSamples, ReplayStation


def _samples(n: int = 200) -> RecordedSamples:
    t = np.arange(n) * 0.001 + 5.0
    values = np.column_stack([np.sin(t), np.cos(t)])
    return RecordedSamples(time_s=t, channel_names=("hip_angle_left", "knee_angle_left"),
                           values=values, body_mass_kg=70.0, simulated=True)


def test_replay_returns_the_recorded_samples_in_order_from_time_zero() -> None:
    st = ReplayStation(_samples(), speed=None)
    with st:
        first = st.last_sample
        assert first.time == 0.0
        assert first.joint_angle("hip", "left") == pytest.approx(np.sin(5.0))
        s = first
        for _ in range(199):
            s = st.step(Command(hip_torque_left=5.0))
        assert s.time == pytest.approx(0.199)
        assert s.joint_angle("knee", "left") == pytest.approx(np.cos(5.199))
        assert st.commands_ignored == 199
        assert not st.running or st.step(Command()).time == pytest.approx(0.199)
    assert "grf_z_left" in st.missing_channels
    assert st.body_mass_kg == 70.0


def test_paced_replay_keeps_the_recorded_time_at_its_speed() -> None:
    st = ReplayStation(_samples(200), speed=2.0)
    with st:
        t0 = time.perf_counter()
        for _ in range(199):
            st.step(Command())
        took = time.perf_counter() - t0
    assert took >= 0.199 / 2.0 - 0.005  # never faster than the chosen speed


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan"), 1000.0])
def test_a_bad_speed_is_refused(speed: float) -> None:
    with pytest.raises(UserError, match="--speed"):
        ReplayStation(_samples(), speed=speed)


def test_time_going_backwards_is_refused() -> None:
    s = _samples()
    with pytest.raises(UserError, match="backwards"):
        RecordedSamples(time_s=s.time_s[::-1].copy(), channel_names=s.channel_names,
                        values=s.values, body_mass_kg=70.0, simulated=True)
