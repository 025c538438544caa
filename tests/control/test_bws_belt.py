"""Body-weight support against a springy, lagging cable model; belt ramp and self-pacing."""

from __future__ import annotations

import math

import pytest

from gaitway.control.base import GRAVITY
from gaitway.control.belt import MAX_SPEED_M_S, MIN_SPEED_M_S, BeltController
from gaitway.control.bws import BwsController
from gaitway.errors import UserError
from gaitway.gait.reference import stride_time_s

MASS = 75.0


def _cable_run(ctrl: BwsController | None, seconds: float, fraction: float = 0.3) -> list[float]:
    """Winch force lags its command (the twin's winch: tau 1/30 s); a rising pelvis slackens
    the spring cable (the twin's 15 kN/m). Pelvis bobs 3 cm at 1 Hz, like walking. Returns
    the force each tick."""
    dt, tau, k = 0.001, 1.0 / 30.0, 15000.0
    force = fraction * MASS * GRAVITY
    out = []
    for n in range(int(seconds / dt)):
        t = n * dt
        z = 0.9 + 0.015 * math.sin(2 * math.pi * 1.0 * t)
        vz = 0.015 * 2 * math.pi * math.cos(2 * math.pi * t)
        cmd = fraction * MASS * GRAVITY if ctrl is None else ctrl.update(force, z, dt)
        force += dt * ((cmd - force) / tau - k * vz)
        out.append(force)
    return out


def test_bws_holds_force_through_pelvis_motion() -> None:
    setpoint = 0.3 * MASS * GRAVITY
    closed = _cable_run(BwsController(body_mass_kg=MASS, fraction=0.3), 6.0)[3000:]
    open_loop = _cable_run(None, 6.0)[3000:]

    def rms(xs: list[float]) -> float:
        return math.sqrt(sum((x - setpoint) ** 2 for x in xs) / len(xs))

    assert rms(closed) < 0.02 * setpoint
    assert rms(closed) < 0.2 * rms(open_loop)


def test_a_slack_cable_does_not_wind_up_the_integral() -> None:
    """While the cable is slack (force near 0) the integral is held: it used to wind up by
    ki * set point per second, and the winch then yanked the harness at re-tension (a
    140 N pull for a 38 N set point, and a false harness_slack stop)."""
    setpoint = 0.05 * MASS * GRAVITY
    ctrl = BwsController(body_mass_kg=MASS, fraction=0.05)
    for _ in range(500):  # taut, at the set point
        ctrl.update(setpoint, 0.9, 0.001)
    cmds = [ctrl.update(0.0, 0.9, 0.001) for _ in range(300)]  # 300 ms slack
    assert ctrl.slack_ticks == 300
    # proportional action only: set point + kp * set point, no growth with time
    assert max(cmds) == pytest.approx(cmds[0], rel=1e-6)
    assert max(cmds) < (1.0 + ctrl.kp) * setpoint + 1.0


def test_bws_change_is_ramped() -> None:
    ctrl = BwsController(body_mass_kg=MASS, fraction=0.3, ramp_per_s=0.05)
    ctrl.set_fraction(0.4)
    fractions = []
    for _ in range(3000):
        ctrl.update(ctrl.setpoint_n, 0.9, 0.001)
        fractions.append(ctrl.fraction)
    assert fractions[999] == pytest.approx(0.35, abs=1e-6)
    assert fractions[-1] == pytest.approx(0.4)
    with pytest.raises(UserError, match="body-weight support"):
        ctrl.set_fraction(0.95)


def test_belt_accelerates_within_its_limit_and_clamps_its_range() -> None:
    belt = BeltController(speed_m_s=0.8, height_m=1.75, acceleration_m_s2=0.2)
    speeds = [belt.update(0.001) for _ in range(6000)]
    steps = [b - a for a, b in zip([0.0, *speeds], speeds, strict=False)]
    assert max(steps) <= 0.2 * 0.001 + 1e-12
    assert speeds[-1] == pytest.approx(0.8)
    with pytest.raises(UserError, match=r"0\.5-3\.2 km/h"):
        belt.set_speed(3.5 / 3.6)
    with pytest.raises(UserError, match=r"0\.5-3\.2 km/h"):
        BeltController(speed_m_s=0.1, height_m=1.75)
    assert pytest.approx(0.5 / 3.6) == MIN_SPEED_M_S
    assert pytest.approx(3.2 / 3.6) == MAX_SPEED_M_S


def test_self_paced_belt_follows_the_patients_cadence() -> None:
    belt = BeltController(speed_m_s=0.5, height_m=1.75, self_paced=True, start_from_rest=False)
    want = 0.7
    stride = stride_time_s(want, 1.75)  # the stride time of someone who walks at 0.7 m/s
    for _ in range(40_000):
        v = belt.update(0.001, stride)
    assert v == pytest.approx(want, rel=0.01)
    assert belt.speed_for_stride_time(stride) == pytest.approx(want)


def test_the_force_loop_plans_within_the_harness_limit() -> None:
    """A pelvis rising fast after a hard heel strike (0.4 m/s) at 60 % support asked the
    winch for more than the device may hold (the safety layer then stopped the session: a
    command out of range). The command stays at the limit, and the integral does not wind
    up there: once the pelvis settles the command is back at the set point at once."""
    ctrl = BwsController(body_mass_kg=MASS, fraction=0.6, max_fraction=0.9)
    top = 0.9 * MASS * GRAVITY
    dt, z = 0.001, 0.90
    cmds = []
    for _ in range(200):  # the pelvis rises 8 cm in 0.2 s while the cable slackens a little
        z += 0.4 * dt
        cmds.append(ctrl.update(0.5 * MASS * GRAVITY, z, dt))
    assert max(cmds) == pytest.approx(top)
    assert all(c <= top for c in cmds)
    set_n = ctrl.setpoint_n
    for _ in range(100):  # settled, at the set force
        settled = ctrl.update(set_n, z, dt)
    assert settled == pytest.approx(set_n, rel=0.1)
    with pytest.raises(UserError):
        BwsController(body_mass_kg=MASS, max_fraction=0.0)


def test_no_unloading_set_commands_no_force() -> None:
    """At 0 % support the winch is asked for nothing, however the pelvis moves (the rising
    pelvis' feed-forward asked for ~100 N that a slack cable never held: a false
    harness_slack stop at 0 % support); a support set later ramps in from 0."""
    ctrl = BwsController(body_mass_kg=MASS, fraction=0.0)
    z = 0.9
    for n in range(500):
        z += 0.3e-3 if (n // 100) % 2 == 0 else -0.3e-3
        assert ctrl.update(0.0, z, 0.001) == 0.0
    ctrl.set_fraction(0.2)
    cmds = [ctrl.update(0.0, z, 0.001) for _ in range(100)]
    assert 0.0 < cmds[-1] < 0.2 * MASS * GRAVITY
