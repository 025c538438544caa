"""Controller math on hand-made tick contexts (no twin needed)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.aan import AanSettings, AssistAsNeededController
from gaitway.control.base import GRAVITY, Compensation, ExoModel, JointGains, TickContext
from gaitway.control.guidance import GuidanceController
from gaitway.control.path import PathController
from gaitway.control.resist import (
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    SWING_FADE_S,
    ResistanceController,
    ResistSettings,
)
from gaitway.control.settings import MAX_FLOW_NM
from gaitway.control.switching import ControllerSwitch
from gaitway.errors import UserError
from gaitway.gait.reference import ReferenceGait
from gaitway.station.channels import LEG_DOFS

REF = ReferenceGait(speed_m_s=0.6, height_m=1.75)
(HL, KL), (HR, KR) = LEG_DOFS  # positions in the joint lists (the station's joint order)


def _ctx(phase: float = 0.2) -> TickContext:
    ctx = TickContext(REF)
    for side, ph in ((0, phase), (1, (phase + 0.5) % 1.0)):
        h, k, dh, dk = REF.hip_knee(ph)
        rate = REF.frequency_hz
        ctx.phase[side] = ph
        hi, ki = LEG_DOFS[side]
        ctx.q_ref[hi], ctx.q_ref[ki] = h, k
        ctx.qd_ref[hi], ctx.qd_ref[ki] = dh * rate, dk * rate
        ctx.q[hi], ctx.q[ki] = h, k
        ctx.qd[hi], ctx.qd[ki] = dh * rate, dk * rate
    return ctx


def test_guidance_full_is_a_spring_damper_around_the_reference() -> None:
    gains = JointGains()
    ctrl = GuidanceController(level=1.0, gains=gains, compensation=Compensation(enabled=False))
    ctx = _ctx()
    ctx.q[0] -= 0.01  # hip left 0.01 rad behind
    tau = ctrl.torques(ctx)
    assert tau[0] == pytest.approx(gains.hip_stiffness * 0.01)
    assert tau[1:] == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    half = GuidanceController(level=0.5, gains=gains, compensation=Compensation(enabled=False))
    assert half.torques(ctx)[0] == pytest.approx(0.5 * gains.hip_stiffness * 0.01)


def test_transparent_guidance_outputs_only_compensation() -> None:
    ctx = _ctx()
    ctx.q[0] += 0.2  # far from the reference: no restoring torque at 0 %
    comp = Compensation()
    ctrl = GuidanceController(level=0.0, compensation=comp)
    tau = list(ctrl.torques(ctx))
    assert tau == pytest.approx(list(Compensation().compute(ctx)))


def _exo_potential(m: ExoModel, qh: float, qk: float) -> float:
    """Potential energy of the exoskeleton's segments (hip joint fixed, height = -cos)."""
    thigh = -m.thigh_mass_kg * GRAVITY * m.thigh_com_m * math.cos(qh)
    knee_y = -m.thigh_length_m * math.cos(qh)
    shank = m.shank_mass_kg * GRAVITY * (knee_y - m.shank_com_m * math.cos(qh - qk))
    return thigh + shank


@pytest.mark.parametrize(("qh", "qk"), [(0.3, 0.1), (-0.2, 0.9), (0.5, 1.1)])
def test_gravity_compensation_is_the_gradient_of_potential_energy(qh: float, qk: float) -> None:
    m = ExoModel()
    comp = Compensation(m)
    ctx = TickContext(REF)
    ctx.q[HL], ctx.q[KL], ctx.q[HR], ctx.q[KR] = qh, qk, qh, qk
    ctx.qd[:] = [0.0] * 4
    tau = comp.compute(ctx)
    h = 1e-6
    dv_dh = (_exo_potential(m, qh + h, qk) - _exo_potential(m, qh - h, qk)) / (2 * h)
    dv_dk = (_exo_potential(m, qh, qk + h) - _exo_potential(m, qh, qk - h)) / (2 * h)
    # holding a segment against gravity takes the torque that balances -dV/dq
    assert tau[HL] == pytest.approx(dv_dh, rel=1e-5)
    assert tau[KL] == pytest.approx(dv_dk, rel=1e-5)
    assert tau[HR] == pytest.approx(dv_dh, rel=1e-5)
    assert tau[KR] == pytest.approx(dv_dk, rel=1e-5)


def test_friction_compensation_pushes_with_the_motion() -> None:
    comp = Compensation(ExoModel(thigh_mass_kg=0.0, shank_mass_kg=0.0))
    ctx = TickContext(REF)
    ctx.qd[HL], ctx.qd[KL], ctx.qd[HR], ctx.qd[KR] = 1.0, -1.0, 0.0, 0.5
    tau = comp.compute(ctx)
    assert tau[HL] > 0.0 > tau[KL]
    assert tau[HR] == pytest.approx(0.0)
    assert tau[KR] > 0.0


def _hold(ctrl: PathController, ctx: TickContext, ticks: int) -> list[list[float]]:
    """Run ``ticks`` ticks on a still leg; the torques of each."""
    out = []
    for _ in range(ticks):
        out.append(list(ctrl.torques(ctx)))
        ctx.time += ctx.dt
    return out


def test_path_is_free_inside_the_tunnel_and_pushes_back_outside() -> None:
    width = math.radians(5.0)
    ctrl = PathController(width_rad=width, compensation=Compensation(enabled=False))
    ctx = _ctx(0.3)
    ctx.q[HL] += 0.5 * width  # inside
    ctx.q[KR] -= 0.5 * width
    assert _hold(ctrl, ctx, 5)[-1] == pytest.approx([0.0] * 4, abs=1e-9)
    ctx.q[KL] -= 3.0 * width  # left knee now well outside (hyperextended)
    tau = _hold(ctrl, ctx, 50)[-1]
    assert tau[KL] > 10.0  # pushed back to more knee flexion
    assert [tau[HR], tau[KR]] == pytest.approx([0.0, 0.0], abs=1e-9)


def test_path_wall_is_continuous_and_its_output_rate_limited() -> None:
    """Leaving the tunnel slowly gives a push that grows from zero (no step at the wall); a
    sudden jump of the leg (a sensor glitch) moves the torque by at most the rate limit."""
    width = math.radians(5.0)
    ctrl = PathController(width_rad=width, stiffness=1440.0, max_rate_nm_s=3000.0,
                          compensation=Compensation(enabled=False))
    ctx = _ctx(0.3)
    taus = []
    for n in range(400):  # the knee drifts outwards by 0.05 deg per tick, to 20 deg off
        ctx.q[KL] = REF.hip_knee(0.3)[1] - math.radians(0.05 * n)
        taus.append(ctrl.torques(ctx)[KL])
        ctx.time += ctx.dt
    steps = [abs(b - a) for a, b in itertools.pairwise(taus)]
    assert max(steps) < 1.5  # the spring's own slope at this speed, never a step
    assert taus[-1] > 40.0
    assert ctrl.limited_ticks == 0
    ctx.q[KL] += math.radians(25.0)  # a jump back into the tunnel
    after = _hold(ctrl, ctx, 3)
    assert abs(after[0][KL] - taus[-1]) <= 3.0 + 1e-9
    assert ctrl.limited_ticks >= 1


def test_path_timing_is_the_patients() -> None:
    """Where the leg is on the path matters, not when: a leg on the path a bit ahead of the
    timed reference feels nothing."""
    ctrl = PathController(width_rad=math.radians(3.0), compensation=Compensation(enabled=False))
    ctx = _ctx(0.3)
    h, k, _, _ = REF.hip_knee(0.36)  # the leg is ahead along the path
    ctx.q[HL], ctx.q[KL] = h, k
    tau = _hold(ctrl, ctx, 3)[-1]
    assert abs(tau[HL]) < 1e-6
    assert abs(tau[KL]) < 1e-6
    assert ctrl.path_phase[0] == pytest.approx(0.36, abs=0.01)


def test_path_flow_pushes_along_the_path() -> None:
    ctrl = PathController(flow_nm=5.0, compensation=Compensation(enabled=False))
    ctx = _ctx(0.8)  # swing: hip flexing (the other leg half a cycle on: walking)
    tau = _hold(ctrl, ctx, int(1.0 / ctx.dt))[-1]
    _, _, dh, dk = REF.hip_knee(ctrl.path_phase[0])
    assert tau[HL] * dh + tau[KL] * dk > 0.0
    # full strength where the path moves fast (swing); never more
    assert 0.8 * 5.0 <= math.hypot(tau[HL], tau[KL]) <= 5.0 + 1e-9


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(phase=st.floats(0.0, 1.0, exclude_max=True), flow=st.floats(1.0, MAX_FLOW_NM))
def test_path_flow_never_pushes_both_legs_along_the_path_together(phase: float,
                                                                   flow: float) -> None:
    """Legs at the same point of the path (standing: both in mid-stance) get no flow: it
    pushed both loaded knees into pre-swing at once and the patient sank (healthy, tunnel 0,
    flow 30 N*m, 0 % support, 3.2 km/h: no stride). Half a cycle apart (walking), all of it."""
    ctrl = PathController(width_rad=0.0, flow_nm=flow, compensation=Compensation(enabled=False))
    ctx = _ctx(phase)
    h, k, _, _ = REF.hip_knee(phase)
    ctx.q[HR], ctx.q[KR] = h, k  # the right leg where the left is
    ctx.qd[:] = [0.0] * 4
    tau = _hold(ctrl, ctx, int(0.5 / ctx.dt))[-1]
    assert math.hypot(tau[HL], tau[KL]) < 0.05 * flow
    assert math.hypot(tau[HR], tau[KR]) < 0.05 * flow
    walking = _ctx(phase)
    walking.qd[:] = [0.0] * 4
    ctrl = PathController(width_rad=0.0, flow_nm=flow, compensation=Compensation(enabled=False))
    tau = _hold(ctrl, walking, int(1.0 / ctx.dt))[-1]
    _, _, dh, dk = REF.hip_knee(ctrl.path_phase[0])
    assert tau[HL] * dh + tau[KL] * dk > 0.0  # along the path, in the walking direction


#: the sweep below: it starts at 0.2 s
_SWEEP_FROM_S = 0.2


def _sweep_across_the_swing_loop(flow: float, sweep_s: float, width_rad: float = 0.0
                                 ) -> tuple[list[list[float]], list[float]]:
    """A leg swept at a steady speed from beside the stance part of its path (3.2 km/h; 6 deg
    from it) to beside the swing part (9 deg from it, 17 deg from the stance part), then
    held: where path control's closest point moves from one part of the path to the other.
    The torques (hip, knee) of each tick, and the part followed."""
    ref = ReferenceGait(speed_m_s=3.2 / 3.6, height_m=1.72)
    ctrl = PathController(width_rad=width_rad, flow_nm=flow,
                          compensation=Compensation(enabled=False))
    ctx = TickContext(ref)
    ctx.stance[0] = True
    h, k, _, _ = ref.hip_knee(0.8)  # the other leg in swing, on its path
    ctx.q[HR], ctx.q[KR] = h, k
    start, end = (0.054, 0.212), (0.10, 0.45)  # hip, knee (rad)
    n0, n_sweep = int(_SWEEP_FROM_S / ctx.dt), max(1, int(sweep_s / ctx.dt))
    taus, parts = [], []
    for n in range(int(0.6 / ctx.dt)):
        x = min(1.0, max(0.0, (n - n0) / n_sweep))
        v = 1.0 / (n_sweep * ctx.dt) if 0.0 < x < 1.0 else 0.0
        for j, i in enumerate((HL, KL)):
            ctx.q[i] = start[j] + x * (end[j] - start[j])
            ctx.qd[i] = v * (end[j] - start[j])
        tau = ctrl.torques(ctx)
        taus.append([tau[HL], tau[KL]])
        parts.append(ctrl.path_phase[0])
        ctx.time += ctx.dt
    return taus, parts


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(flow=st.floats(0.0, MAX_FLOW_NM), sweep_s=st.floats(0.02, 0.3))
def test_path_turns_its_push_over_time_when_the_leg_moves_to_another_part_of_the_path(
        flow: float, sweep_s: float) -> None:
    """A leg crossing from the stance part of the path to the swing part fast (2-12 rad/s)
    crossed the blend band in a few ticks, and the push turned from (hip +15, knee -54 N*m)
    to (hip -47, knee 0) as fast as the rate limit let it: the thigh driven back while the
    knee was let go whipped the knee to 9.8 rad/s (hemiparetic-left-moderate, tunnel 0,
    flow 30 N*m, 30 % support, 3.2 km/h: a joint_velocity stop). The turn now takes at least
    0.1 s: no 25-ms window moves the push by more than 40 N*m (it moved 72-103 N*m)."""
    taus, parts = _sweep_across_the_swing_loop(flow, sweep_s)
    w = 25  # ticks of 1 ms
    worst = max(math.hypot(taus[i + w][0] - taus[i][0], taus[i + w][1] - taus[i][1])
                for i in range(len(taus) - w))
    assert worst < 40.0
    assert parts[150] < 0.45 < parts[-1]  # it did move on to the swing part


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(width_deg=st.floats(10.0, 15.0), sweep_s=st.floats(0.02, 0.3))
def test_path_lets_go_at_once_where_the_new_part_of_the_path_asks_for_no_push(
        width_deg: float, sweep_s: float) -> None:
    """The turn takes time only where the two pushes disagree: a leg that has come inside
    the tunnel of the part of the path it is now closest to (9 deg from it, 17 deg from the
    part it left) is let go as fast as the rate limit allows, not held to the part it left
    (timing every switch held a weak patient's legs back: new false faults,
    docs/validation/envelope.md)."""
    taus, parts = _sweep_across_the_swing_loop(0.0, sweep_s, width_deg * math.pi / 180.0)
    end = int(_SWEEP_FROM_S / 0.001) + max(1, int(sweep_s / 0.001)) + 2  # 1-ms ticks
    assert parts[end] > 0.45  # the new part, as soon as the leg is there
    assert taus[end + 25] == pytest.approx([0.0, 0.0], abs=1e-9)  # and let go


def test_resistance_opposes_the_swinging_legs_motion() -> None:
    no_comp = Compensation(enabled=False)
    ctrl = ResistanceController(settings=ResistSettings(damping_nm_s_rad=1.5, torque_nm=2.0),
                                compensation=no_comp)
    for n in range(4):  # the first steps bring it in
        ctrl.on_stride(n % 2, 0.0)
    ctx = TickContext(REF)
    ctx.stance[:] = [False, False]  # both feet off their plates
    ctx.qd[:] = [1.0, -2.0, 0.0, 0.05]
    for _ in range(int(SWING_FADE_S / ctx.dt) + 1):
        tau = ctrl.torques(ctx)
    assert tau[0] == pytest.approx(-3.5)
    assert tau[1] == pytest.approx(5.0)
    assert tau[2] == pytest.approx(0.0)
    assert tau[3] == pytest.approx(-0.075 - 1.0)


def test_resistance_leaves_the_planted_leg_to_the_belt_and_fades_in_swing() -> None:
    """Lokomat-style: resistance in swing only (in stance the belt moves the leg, and a
    torque against that bent the loaded knee); a toe-off fades it in, never a torque step."""
    ctrl = ResistanceController(settings=ResistSettings(damping_nm_s_rad=MAX_RESIST_DAMPING,
                                                        torque_nm=MAX_RESIST_TORQUE_NM),
                                compensation=Compensation(enabled=False))
    for n in range(4):  # the first steps bring it in
        ctrl.on_stride(n % 2, 0.0)
    ctx = TickContext(REF)
    ctx.qd[HL], ctx.qd[KL], ctx.qd[HR], ctx.qd[KR] = -1.0, 0.5, 2.0, 3.0
    ctx.stance[:] = [True, False]  # the left foot on its plate, the right in swing
    taus = [list(ctrl.torques(ctx)) for _ in range(int(SWING_FADE_S / ctx.dt) + 5)]
    left, right = (HL, KL), (HR, KR)
    assert all(t[j] == 0.0 for t in taus for j in left)
    assert taus[-1][HR] == pytest.approx(-MAX_RESIST_DAMPING * 2.0 - MAX_RESIST_TORQUE_NM)
    steps = [abs(b[j] - a[j]) for a, b in itertools.pairwise(taus) for j in right]
    assert max(steps) <= ((MAX_RESIST_DAMPING * 3.0 + MAX_RESIST_TORQUE_NM) * ctx.dt
                          / SWING_FADE_S + 1e-9)
    ctx.stance[:] = [True, True]  # heel strike: fades out
    for _ in range(int(SWING_FADE_S / ctx.dt) + 1):
        tau = ctrl.torques(ctx)
    assert tau == [0.0, 0.0, 0.0, 0.0]


def _run_aan_strides(ctrl: AssistAsNeededController, errors: list[float]) -> list[float]:
    """One stride per error value: the leg lags the reference by that error all stride."""
    ctx = _ctx()
    means = []
    for e in errors:
        for n in range(200):
            ph = n / 200.0
            ctx.phase[0], ctx.phase[1] = ph, (ph + 0.5) % 1.0
            for i in range(4):
                ctx.q[i] = ctx.q_ref[i] - e
            ctrl.torques(ctx)
        ctrl.on_stride(0, 0.0)
        ctrl.on_stride(1, 0.0)
        means.append(ctrl.mean_support())
    return means


def test_aan_lowers_support_for_a_patient_who_improves() -> None:
    ctrl = AssistAsNeededController(compensation=Compensation(enabled=False))
    errors = [math.radians(8.0) * (1.0 - i / 30) for i in range(30)] + [0.0] * 10
    support = _run_aan_strides(ctrl, errors)
    assert support[-1] < support[0] - 0.3
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(support[15:]))


def test_aan_raises_support_for_a_patient_who_tires() -> None:
    ctrl = AssistAsNeededController(compensation=Compensation(enabled=False))
    errors = [math.radians(1.0)] * 10 + [math.radians(1.0 + 0.4 * i) for i in range(25)]
    support = _run_aan_strides(ctrl, errors)
    assert support[9] < 0.6  # decayed while not needed
    assert support[-1] > support[9] + 0.3


def test_aan_respects_therapist_bounds_and_deadband() -> None:
    st = AanSettings(min_support=0.2, max_support=0.7, initial_support=0.5, forgetting=0.9)
    ctrl = AssistAsNeededController(settings=st, compensation=Compensation(enabled=False))
    below = _run_aan_strides(ctrl, [0.5 * st.deadband_rad])
    assert below[0] == pytest.approx(0.45)  # only forgetting acts inside the deadband
    high = _run_aan_strides(ctrl, [math.radians(30.0)] * 5)
    assert max(high) == pytest.approx(0.7)
    low = _run_aan_strides(ctrl, [0.0] * 50)
    assert min(low) == pytest.approx(0.2)
    with pytest.raises(UserError, match="support bounds"):
        AanSettings(min_support=0.8, max_support=0.3)


def test_switch_blends_over_a_stride_without_a_torque_jump() -> None:
    guide = GuidanceController(level=1.0, compensation=Compensation(enabled=False))
    resist = ResistanceController(
        settings=ResistSettings(damping_nm_s_rad=MAX_RESIST_DAMPING,
                                torque_nm=MAX_RESIST_TORQUE_NM),
        compensation=Compensation(enabled=False))
    for n in range(4):  # the first steps bring it in
        resist.on_stride(n % 2, 0.0)
    sw = ControllerSwitch(guide)
    ctx = _ctx()
    ctx.q[0] -= 0.05  # guidance and resistance disagree by tens of N*m
    ctx.qd[0] = 1.0
    ctx.stance[:] = [False, False]  # in swing, where resistance acts
    for _ in range(int(SWING_FADE_S / ctx.dt) + 1):
        resist.torques(ctx)
    before = sw.torques(ctx)[0]
    instant_gap = abs(resist.torques(ctx)[0] - before)
    sw.request(resist)
    sw.start_blend(1.0)
    taus = [sw.torques(ctx)[0] for _ in range(1100)]
    steps = [abs(b - a) for a, b in zip([before, *taus], taus, strict=False)]
    assert instant_gap > 20.0
    assert max(steps) < instant_gap * 0.003
    assert taus[-1] == pytest.approx(resist.torques(ctx)[0])
    assert not sw.blending
    assert sw.name == "resist"
