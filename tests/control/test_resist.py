"""Resistance: its accepted range is a training load (a share of a patient's own joint
moments), and it eases off, with one event, where the patient cannot carry it."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.base import Compensation, TickContext
from gaitway.control.registry import ControllerEnv, controller_spec
from gaitway.control.resist import (
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    RAMP_STEP_SHARE,
    RANGE_FADE_RAD,
    RESTORED_AFTER_S,
    SWING_FADE_S,
    ResistanceController,
    ResistSettings,
)
from gaitway.control.settings import ControlSettings
from gaitway.errors import UserError
from gaitway.gait.reference import ReferenceGait
from gaitway.station.channels import LEG_DOFS
from gaitway.station.sim.patient import knee_extensor_max_nm
from gaitway.station.sim.profiles import PROFILES

(HL, KL), (HR, KR) = LEG_DOFS
LIMIT = -0.25  # the default soft range's hip extension end


class _Log:
    def __init__(self) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []

    def __call__(self, t: float, kind: str, source: str, **details: Any) -> None:
        assert source == "auto:resistance"
        self.events.append((t, kind, details))


def _swinging(ctrl: ResistanceController, ctx: TickContext) -> list[float]:
    """Both feet off their plates until the swing fade is complete; the last torques."""
    ctx.stance[:] = [False, False]
    for _ in range(int(SWING_FADE_S / ctx.dt) + 1):
        tau = list(ctrl.torques(ctx))
        ctx.time += ctx.dt
    return tau


def _ctrl(damping: float = MAX_RESIST_DAMPING, torque: float = MAX_RESIST_TORQUE_NM,
          sink: _Log | None = None) -> ResistanceController:
    """A controller that has come in fully (the patient has walked its first steps)."""
    ctrl = ResistanceController(
        settings=ResistSettings(damping_nm_s_rad=damping, torque_nm=torque,
                                hip_extension_limit_rad=LIMIT),
        compensation=Compensation(enabled=False), sink=sink)
    for n in range(round(1.0 / RAMP_STEP_SHARE)):
        ctrl.on_stride(n % 2, 0.0)
    assert ctrl.earned == 1.0
    return ctrl


def test_the_top_of_the_range_is_a_tenth_of_a_healthy_patients_torque() -> None:
    """5-10 % of maximal voluntary torque is what resistance studies in the Lokomat set
    (Lam et al. 2008; Klarner 2010): at the reference gait's fastest swing (3.2 km/h) the
    most damping asks at most ~10 % of the healthy virtual patient's knee torque, and the
    constant part at most 10 %. The former top (10 N*m*s/rad) asked ~50 % of it."""
    ref = ReferenceGait(speed_m_s=3.2 / 3.6, height_m=1.75)
    rates = np.array([ref.hip_knee(p)[2:] for p in np.linspace(0.0, 1.0, 1001)])
    knee_rad_s = float(np.abs(rates[:, 1]).max()) / ref.stride_time_s
    strongest = knee_extensor_max_nm(PROFILES["healthy"])[0]
    assert MAX_RESIST_DAMPING * knee_rad_s <= 0.11 * strongest
    assert 0.1 * strongest >= MAX_RESIST_TORQUE_NM


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(damping=st.floats(0.0, MAX_RESIST_DAMPING), torque=st.floats(0.0, MAX_RESIST_TORQUE_NM))
def test_every_value_in_the_range_is_accepted_everywhere(damping: float,
                                                        torque: float) -> None:
    s = ControlSettings(controller="resist", resist_damping=damping, resist_torque_nm=torque)
    resist = controller_spec("resist").settings_of(s)
    assert (resist.damping_nm_s_rad, resist.torque_nm) == (damping, torque)


def _outside(top: float) -> st.SearchStrategy[float]:
    return st.one_of(st.floats(top, 1e9, exclude_min=True),
                     st.floats(max_value=0.0, exclude_max=True),
                     st.sampled_from([math.nan, math.inf, -math.inf]))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(damping=_outside(MAX_RESIST_DAMPING), torque=_outside(MAX_RESIST_TORQUE_NM))
def test_a_value_outside_the_range_is_refused_naming_it(damping: float, torque: float) -> None:
    damping_range = f"within 0-{MAX_RESIST_DAMPING:g} N*m*s/rad, got {damping}"
    torque_range = f"within 0-{MAX_RESIST_TORQUE_NM:g} N*m, got {torque}"
    for make, says in (
            (lambda: ResistSettings(damping_nm_s_rad=damping), damping_range),
            (lambda: ControlSettings(controller="resist", resist_damping=damping),
             damping_range),
            (lambda: ResistSettings(torque_nm=torque), torque_range),
            (lambda: ControlSettings(controller="resist", resist_torque_nm=torque),
             torque_range)):
        with pytest.raises(UserError) as err:
            make()
        assert "\n" not in str(err.value)
        assert says in str(err.value)


def test_full_resistance_in_normal_gait() -> None:
    """The deepest hip extension of the reference gait (3.2 km/h) leaves all of it."""
    ctrl = _ctrl()
    ctx = TickContext(ReferenceGait(speed_m_s=0.6, height_m=1.75))
    ctx.q[HL], ctx.q[HR] = -0.13, 0.4
    ctx.qd[:] = [1.0, 2.0, -1.0, 3.0]
    tau = _swinging(ctrl, ctx)
    assert ctrl.share == 1.0
    assert tau[HR] == pytest.approx(-MAX_RESIST_DAMPING * 2.0 - MAX_RESIST_TORQUE_NM)


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(hip=st.floats(-0.6, 0.8), other=st.floats(-0.6, 0.8), v=st.floats(-6.0, 6.0))
def test_resistance_eases_off_toward_the_end_of_the_hip_range(hip: float, other: float,
                                                              v: float) -> None:
    """Its share falls linearly from all of it, RANGE_FADE_RAD inside the hip range's
    extension end, to none at the end, whichever hip is the more extended: a step that has
    not landed when the planted hip runs out of extension is one the patient cannot make
    against it. Never more than set, never pushing with the motion."""
    ctrl = _ctrl()
    ctx = TickContext(ReferenceGait(speed_m_s=0.6, height_m=1.75))
    ctx.q[HL], ctx.q[HR] = hip, other
    ctx.qd[:] = [v, v, v, v]
    tau = _swinging(ctrl, ctx)
    expected = min(1.0, max(0.0, (min(hip, other) - LIMIT) / RANGE_FADE_RAD))
    assert ctrl.share == pytest.approx(expected)
    full = MAX_RESIST_DAMPING * abs(v) + MAX_RESIST_TORQUE_NM
    for j in (HL, HR, KL, KR):
        assert abs(tau[j]) <= expected * full + 1e-9
        assert tau[j] * v <= 0.0


def test_the_fade_is_never_a_torque_step() -> None:
    """A hip moving through the band at swing speed changes the torque smoothly."""
    ctrl = _ctrl()
    ctx = TickContext(ReferenceGait(speed_m_s=0.6, height_m=1.75))
    ctx.qd[:] = [-3.0, 2.0, -5.0, 5.0]
    ctx.q[HR] = 0.3
    ctx.q[HL] = -0.10
    _swinging(ctrl, ctx)
    taus = []
    while ctx.q[HL] > LIMIT - 0.05:
        ctx.q[HL] += ctx.qd[HL] * ctx.dt
        taus.append(list(ctrl.torques(ctx)))
    steps = [abs(b[j] - a[j]) for a, b in itertools.pairwise(taus) for j in range(4)]
    full = MAX_RESIST_DAMPING * 5.0 + MAX_RESIST_TORQUE_NM
    assert max(steps) <= full * 3.0 * ctx.dt / RANGE_FADE_RAD + 1e-9
    assert taus[-1] == [0.0, 0.0, 0.0, 0.0]


def test_a_reduction_is_reported_once_and_closed_when_full_resistance_holds() -> None:
    """One event when it eases off (which hip, its angle, the share left), none while a
    patient at the edge of their strength dips in and out, and one when full resistance has
    held for RESTORED_AFTER_S."""
    log = _Log()
    ctrl = _ctrl(sink=log)
    ctx = TickContext(ReferenceGait(speed_m_s=0.6, height_m=1.75))
    ctx.q[HL], ctx.q[HR] = 0.0, 0.3
    _swinging(ctrl, ctx)
    assert log.events == []

    def hold(hip: float, seconds: float) -> None:
        ctx.q[HR] = hip
        for _ in range(round(seconds / ctx.dt)):
            ctrl.torques(ctx)
            ctx.time += ctx.dt

    for _ in range(3):  # three strides at the edge, less than RESTORED_AFTER_S apart
        hold(-0.20, 0.2)
        hold(0.0, 0.5 * RESTORED_AFTER_S)
    assert [k for _, k, _ in log.events] == ["resistance_reduced"]
    _, _, first = log.events[0]
    assert first["joint"] == "hip_right"
    assert first["angle_rad"] == pytest.approx(-0.20)
    assert first["share"] == pytest.approx(0.5)
    assert "-0.25" in first["reason"]
    hold(-0.24, 0.1)
    hold(0.0, RESTORED_AFTER_S + 0.01)
    assert [k for _, k, _ in log.events] == ["resistance_reduced", "resistance_restored"]
    _, _, closed = log.events[1]
    assert closed["least_share"] == pytest.approx(0.1)
    assert ctrl.reductions == 1
    assert ctrl.reduced_s == pytest.approx(0.7, abs=0.01)


def test_the_session_passes_the_patients_hip_range_and_log() -> None:
    log = _Log()
    s = ControlSettings(controller="resist", hip_extension_limit_rad=-0.3)
    env = ControllerEnv(s.gains, Compensation(enabled=False), 0.0, log)
    ctrl = controller_spec("resist").create(s, env)
    assert isinstance(ctrl, ResistanceController)
    ctx = TickContext(ReferenceGait(speed_m_s=0.6, height_m=1.75))
    ctx.q[HL] = -0.25
    ctrl.earned = 1.0
    ctrl.torques(ctx)
    assert ctrl.share == pytest.approx(0.5)
    assert [k for _, k, _ in log.events] == ["resistance_reduced"]


def test_resistance_comes_in_step_by_step_and_a_failed_step_halves_it() -> None:
    """None at the start and after a stand (a pause): each step that lands in time adds
    RAMP_STEP_SHARE, a step during which a hip reached the fade band halves it; the torque
    follows the share."""
    ctrl = ResistanceController(settings=ResistSettings(torque_nm=MAX_RESIST_TORQUE_NM),
                                compensation=Compensation(enabled=False))
    ctx = TickContext(ReferenceGait(speed_m_s=0.6, height_m=1.75))
    ctx.q[HL], ctx.q[HR] = 0.0, 0.3
    ctx.qd[:] = [1.0, 1.0, 1.0, 1.0]
    assert _swinging(ctrl, ctx) == [0.0, 0.0, 0.0, 0.0]
    shares = []
    for n in range(6):
        ctrl.on_stride(n % 2, 0.0)
        tau = ctrl.torques(ctx)
        shares.append(ctrl.share)
        assert tau[HL] == pytest.approx(-ctrl.share * (ctrl.damping + MAX_RESIST_TORQUE_NM))
    assert shares == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    ctx.q[HR] = LIMIT + 0.5 * RANGE_FADE_RAD  # a step that is not landing
    ctrl.torques(ctx)
    assert ctrl.share == pytest.approx(0.5)
    ctx.q[HR] = 0.3
    ctrl.on_stride(1, 0.0)
    ctrl.torques(ctx)
    assert ctrl.share == pytest.approx(0.5)
    ctrl.on_stride(0, 0.0)
    ctrl.torques(ctx)
    assert ctrl.share == pytest.approx(0.75)
    ctx.phase_rate[:] = [0.0, 0.0]  # the belt has stopped: the next start starts from none
    ctrl.torques(ctx)
    assert ctrl.share == 0.0
