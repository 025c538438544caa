"""The emergency belt brake: the twin honours it at its braking deceleration, through the
Station interface, and the supervisor's immediate stop engages it."""

from __future__ import annotations

import pytest

from gaitway.safety.limits import DeviceLimits
from gaitway.station.interface import Command
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import DEVICE, SimStation


def _walking_station() -> SimStation:
    st = SimStation(VirtualPatient(get_profile("healthy"), seed=1, events=False), seed=1)
    st.start()
    for _ in range(1300):  # belt ramps to 0.6 m/s at 0.5 m/s^2
        st.step(Command(harness_force=220.0, belt_speed=0.6))
    return st


def test_brake_stops_the_belt_at_its_deceleration_and_holds_it() -> None:
    st = _walking_station()
    v0 = st.last_sample["belt_speed_left"]
    assert v0 == pytest.approx(0.6, abs=0.01)
    st.engage_belt_brake()
    assert st.belt_brake_engaged
    speeds = [st.step(Command(harness_force=220.0, belt_speed=0.6))["belt_speed_left"]
              for _ in range(600)]
    decel = DEVICE.belt_brake_decel
    assert speeds[99] == pytest.approx(v0 - 0.1 * decel, abs=0.01)  # 0.1 s in
    stop_tick = next(i for i, v in enumerate(speeds) if abs(v) < 0.01)
    assert (stop_tick + 1) * 0.001 == pytest.approx(v0 / decel, abs=0.02)
    assert max(abs(v) for v in speeds[stop_tick:]) < 0.01  # held, whatever the command
    st.release_belt_brake()
    after = [st.step(Command(harness_force=220.0, belt_speed=0.6))["belt_speed_left"]
             for _ in range(200)]
    assert after[-1] == pytest.approx(0.2 * DEVICE.belt_max_accel, abs=0.01)  # normal ramp
    st.stop()


def test_supervisor_and_twin_agree_on_the_braking_deceleration() -> None:
    assert DeviceLimits().belt_brake_decel == DEVICE.belt_brake_decel
    assert DEVICE.belt_max_accel < DEVICE.belt_brake_decel <= 3.0
