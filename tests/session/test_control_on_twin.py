"""Each controller on the MuJoCo twin with virtual patients (all data here is simulated).

Sessions are short (tens of seconds of simulated walking) to keep the suite fast; the figures
they check are the issue's acceptance criteria.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import mujoco
import numpy as np
import pytest

from gaitway.control.aan import AanSettings, AssistAsNeededController
from gaitway.control.base import ExoModel
from gaitway.control.changes import ChangeKind, ChangeRequest
from gaitway.control.path import PathController
from gaitway.control.phase import phase_from_contacts, phase_rms_error, steady_stride_mask
from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.station.channels import CONTROL, DRIVEN_DOFS, TRUTH_INDEX
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

pytestmark = pytest.mark.slow
_C_L, _C_R = TRUTH_INDEX["truth_contact_left"], TRUTH_INDEX["truth_contact_right"]
_H_L, _K_L = TRUTH_INDEX["truth_hip_angle_left"], TRUTH_INDEX["truth_knee_angle_left"]


class Run:
    """A stack on the twin, with what the tests look at afterwards."""

    def __init__(
        self,
        profile_id: str,
        settings: ControlSettings,
        seconds: float,
        *,
        seed: int = 1,
        robot_free: bool = False,
        each_second: Callable[[int, VirtualPatient, ControlStack], None] | None = None,
    ) -> None:
        profile = get_profile(profile_id)
        self.patient = VirtualPatient(profile, seed=seed, events=False)
        station = SimStation(self.patient, seed=seed)
        if robot_free:
            _make_exoskeleton_vanish(station.model)
            mujoco.mj_setConst(station.model, station.data)
            # the frame's counterweight lifts the orthosis' weight, computed when the twin was
            # built: with the orthosis gone it would lift the patient instead (68.7 N extra
            # unloading of the robot-free baseline in the first session's comparison)
            station._exo_counterweight = 0.0  # no public knob for this: a test-only change
        self.stack = ControlStack(
            settings, height_m=profile.height_m, body_mass_kg=profile.mass_kg
        )
        n = round(seconds * 1000)
        self.estimate = np.zeros((n, 2))
        self.contact = np.zeros((n, 2), dtype=bool)
        self.hip_knee = np.zeros((n, 2))
        self.torque = np.zeros((n, 4))
        sample = station.start()
        for i in range(n):
            if each_second is not None and i % 1000 == 0:
                each_second(i // 1000, self.patient, self.stack)
            cmd = self.stack.step(sample)
            cv = self.stack.control_values
            self.estimate[i] = cv[CONTROL.phase_estimate_left], cv[CONTROL.phase_estimate_right]
            tr = station.truth
            self.contact[i] = tr[_C_L] > 0.5, tr[_C_R] > 0.5
            self.hip_knee[i] = tr[_H_L], tr[_K_L]
            self.torque[i] = cmd[0], cmd[1], cmd[2], cmd[3]
            sample = station.step(cmd)
        station.stop()

    def phase_error(self, side: int, from_s: float) -> float:
        k = round(from_s * 1000)
        truth = phase_from_contacts(self.contact[:, side])
        return phase_rms_error(self.estimate[k:, side], truth[k:])

    def steady_phase_error(self, side: int, from_s: float) -> float:
        """As :meth:`phase_error`, over steady strides only (see steady_stride_mask)."""
        k = round(from_s * 1000)
        truth = phase_from_contacts(self.contact[:, side])
        steady = steady_stride_mask(truth)
        steady[:k] = False
        return phase_rms_error(self.estimate[:, side], np.where(steady, truth, np.nan))

    def stride_time(self, from_s: float) -> float:
        return float(
            np.mean([r.duration_s for r in self.stack.strides if r.time_s >= from_s])
        )


def _make_exoskeleton_vanish(model: mujoco.MjModel) -> None:
    """The same patient with no robot to speak of: massless, frictionless exoskeleton."""
    for side in ("left", "right"):
        for body in (f"exo_thigh_{side}", f"exo_shank_{side}"):
            model.body_mass[model.body(body).id] = 1e-3
            model.body_inertia[model.body(body).id] = 1e-6
        for joint in (f"exo_hip_{side}", f"exo_knee_{side}"):
            dof = model.joint(joint).dofadr[0]
            model.dof_frictionloss[dof] = 0.0
            model.dof_damping[dof] = 0.0
            model.dof_armature[dof] = 1e-4


def _settings(**kw: object) -> ControlSettings:
    return ControlSettings(speed_m_s=2.0 / 3.6, adapt_to_fatigue=False, **kw)  # type: ignore[arg-type]


def test_full_guidance_holds_a_severe_hemiparetic_patient_within_3_degrees() -> None:
    run = Run("hemiparetic-left-severe", _settings(controller="guidance", guidance=1.0), 30.0)
    err = run.stack.summary(skip_s=10.0)["tracking_error_rms_deg"]
    assert all(v is not None and v <= 3.0 for v in err.values()), err
    assert run.stack.summary(skip_s=10.0)["strides"]["left"] >= 10
    # the phase estimate against the twin's true foot contact, steady walking
    for side in (0, 1):
        assert run.phase_error(side, from_s=10.0) <= 0.03


#: path control as these tests run it: with a supportive flow of 10 N*m (with the patient
#: model before its stiff-knee swing compensation, neither the moderate nor the severe patient
#: walked in the tunnel without flow; the moderate one now does)
_PATH = {"controller": "path", "path_flow_nm": 10.0}
_PHASE_CASES = [
    pytest.param("hemiparetic-left-moderate", {"controller": "guidance"}, id="moderate-guidance"),
    pytest.param("hemiparetic-left-moderate", _PATH, id="moderate-path"),
    pytest.param("hemiparetic-left-moderate", {"controller": "aan"}, id="moderate-aan"),
    pytest.param("hemiparetic-right-moderate", _PATH, id="moderate-right-path"),
    pytest.param("hemiparetic-left-severe", {"controller": "guidance"}, id="severe-guidance"),
    pytest.param("hemiparetic-left-severe", {"controller": "aan"}, id="severe-aan"),
    pytest.param("hemiparetic-left-severe", _PATH, id="severe-path"),
]


@pytest.mark.parametrize(("profile", "control"), _PHASE_CASES)
def test_phase_error_within_3_percent_in_steady_walking(
    profile: str, control: dict[str, object]
) -> None:
    """Against the twin's true foot contact, steady strides (within 15 % of the median
    stride time) after 10 s; under path control the patient sets the timing."""
    run = Run(profile, _settings(**control), 30.0, seed=1 if "right" in profile else 4)
    strides = run.stack.summary(skip_s=10.0)["strides"]
    assert min(strides.values()) >= 8, strides  # walking, not standing in the tunnel
    errors = [run.steady_phase_error(side, from_s=10.0) for side in (0, 1)]
    assert max(errors) <= 0.03, errors


def test_path_control_torque_steps_are_bounded_on_the_twin() -> None:
    """Bound: 3 N*m per 1 ms tick on every drive (the path controller's output rate limit,
    3000 N*m/s). Why that bound: it is below the steps full guidance makes on its own (up
    to 7 N*m per tick on the severe patient), yet the tunnel's 60 N*m push still builds up
    in 20 ms. The force law itself is continuous, so the limit rarely acts (measured: on
    3.3 % of ticks, when a fast swing meets the wall's damper or the push turns where two
    parts of the path are equally far); the first version stepped by up to 60 N*m a tick."""
    run = Run("hemiparetic-left-moderate", _settings(**_PATH), 30.0, seed=4)
    path = run.stack.controllers["path"]
    assert isinstance(path, PathController)
    steps = np.abs(np.diff(run.torque, axis=0))
    print(f"path control: max torque step {steps.max():.2f} N*m per tick, "
          f"limit active on {path.limited_ticks / steps.shape[0]:.1%} of ticks")
    assert steps.max() <= 3.0 + 1e-9
    assert path.limited_ticks < 0.05 * steps.shape[0]
    assert float(np.median(steps)) < 0.3
    assert run.stack.summary(skip_s=10.0)["strides"]["left"] >= 8


def test_transparent_mode_lets_a_healthy_patient_walk_as_without_the_robot() -> None:
    """Difference stated: stride time and the left hip/knee range of motion, transparent
    robot vs. a massless, frictionless exoskeleton (the same patient without the robot).

    Measured (seed 2, 35 s, from 15 s): stride time +5.2 %, hip ROM +1.3 deg, knee ROM +3.1
    deg; before issue 17 item 1 (7df344d) +6.6 %, +1.9 deg, +4.7 deg; on main c52cd8b (effort
    model of issue 19) +7.9 %, +0.0 deg, +4.3 deg; since the virtual patient's knee extensors
    answer load through a 60-ms lag and the pelvis's vertical motion is damped (issue 17 item
    1: the foot lands once instead of bouncing) +8.3 %, +0.7 deg, +6.8 deg. The bounds were
    raised with that change (stride 8 -> 9 %, knee 5 -> 8 deg): the knee's gap is in its
    extremes, where the orthosis' uncancelled inertia acts: with the robot the shank's
    momentum carries the knee to 0.8 deg at the end of every swing (3.8 deg without it), and
    the heavier swinging leg flexes it 4 deg further in swing; a knee that yields in stance,
    instead of a rigid strut, leaves more of that to show. It is the gap between the two
    runs, not either run's realism, and only inertia compensation in the robot can shrink it
    (see below).
    Why not zero: gravity and friction are cancelled exactly (the gravity torques match the
    twin's own bias forces, see the test below), but the orthosis' inertia is not: its
    segments and drive armature (0.08 kg*m^2 per joint) add about 0.85 kg*m^2 at the hip
    with the knee straight, some 45 % of the leg's own, so the swing is slower. Without
    gravity compensation the stride is only +3.7 % longer, because the orthosis' weight then
    acts as a pendulum that speeds the swing up again, hiding the inertia; that is what made
    gravity compensation look worse. Cancelling inertia from a filtered acceleration
    (ExoModel.inertia_gain) is unstable on the twin (64-108 N*m RMS at gains 0.5-0.8).
    """
    transparent = _settings(controller="guidance", guidance=0.0)
    free = _settings(
        controller="guidance",
        guidance=0.0,
        exo=ExoModel(thigh_mass_kg=0.0, shank_mass_kg=0.0, viscous_hip=0.0, viscous_knee=0.0,
                     coulomb_hip=0.0, coulomb_knee=0.0),
    )
    a = Run("healthy", free, 35.0, seed=2, robot_free=True)
    b = Run("healthy", transparent, 35.0, seed=2)
    k = 15_000

    def rom(run: Run, j: int) -> float:
        x = np.degrees(run.hip_knee[k:, j])
        return float(x.max() - x.min())

    d_stride = b.stride_time(15.0) / a.stride_time(15.0) - 1.0
    d_hip = rom(b, 0) - rom(a, 0)
    d_knee = rom(b, 1) - rom(a, 1)
    print(f"transparent vs robot-free: stride time {100 * d_stride:+.1f} %, "
          f"hip ROM {d_hip:+.1f} deg, knee ROM {d_knee:+.1f} deg")
    assert abs(d_stride) < 0.09
    assert abs(d_hip) < 4.0
    assert abs(d_knee) < 8.0
    # and the robot really is hands-off: no torque beyond its own compensation
    assert float(np.sqrt(np.mean(b.torque[k:] ** 2))) < 10.0


def test_gravity_compensation_matches_the_twins_exoskeleton() -> None:
    """Sign, masses and centres of mass of the compensated orthosis are the twin's: the
    compensation equals MuJoCo's gravity bias on the drive joints of the orthosis alone."""
    profile = get_profile("healthy")
    station = SimStation(VirtualPatient(profile, seed=1, events=False), seed=1)
    m = station.model
    for b in range(m.nbody):  # the orthosis alone: every other body (nearly) massless
        if not m.body(b).name.startswith("exo_"):
            m.body_mass[b] = 1e-9
            m.body_inertia[b] = 1e-12
    d = mujoco.MjData(m)
    stack = ControlStack(_settings(), height_m=profile.height_m, body_mass_kg=profile.mass_kg)
    ctx = stack.ctx
    dofs = [m.joint(f"exo_{j}_{s}").dofadr[0] for j, s in DRIVEN_DOFS]
    adr = [m.joint(f"exo_{j}_{s}").qposadr[0] for j, s in DRIVEN_DOFS]
    for pose in ([0.3, 0.1, -0.2, 0.9], [0.5, 1.1, 0.0, 0.4]):
        d.qpos[:] = 0.0
        d.qvel[:] = 0.0
        for a, x in zip(adr, pose, strict=True):
            d.qpos[a] = x
        mujoco.mj_forward(m, d)
        ctx.q[:] = pose
        ctx.qd[:] = [0.0] * 4
        tau = stack.compensation.compute(ctx)
        assert tau == pytest.approx([float(d.qfrc_bias[i]) for i in dofs], abs=1e-3)


def _strength_schedule(start: float, end: float, hold_s: int, ramp_s: int
                       ) -> Callable[[int, VirtualPatient, ControlStack], None]:
    """The patient's strength (a public knob of the virtual patient) held, then ramped."""

    def each_second(t: int, patient: VirtualPatient, stack: ControlStack) -> None:
        x = min(max((t - hold_s) / ramp_s, 0.0), 1.0)
        patient.day_strength = start + (end - start) * x

    return each_second


def _aan_support(stack: ControlStack) -> float:
    aan = stack.controllers["aan"]
    assert isinstance(aan, AssistAsNeededController)
    return aan.mean_support()


def _aan_run(start: float, end: float) -> tuple[float, float]:
    aan = AanSettings(min_support=0.05, deadband_rad=math.radians(1.0))
    seen: dict[int, float] = {}

    def each_second(t: int, patient: VirtualPatient, stack: ControlStack) -> None:
        _strength_schedule(start, end, 25, 25)(t, patient, stack)
        seen[t] = _aan_support(stack)

    run = Run("hemiparetic-left-moderate", _settings(controller="aan", aan=aan), 60.0,
              each_second=each_second)
    assert run.stack.summary(skip_s=40.0)["strides"]["left"] >= 5  # still walking
    return seen[25], _aan_support(run.stack)


def test_aan_lowers_support_for_a_patient_who_improves() -> None:
    weak, strong = _aan_run(0.0, 1.0)
    assert strong < weak - 0.04, (weak, strong)


def test_aan_raises_support_for_a_patient_who_tires() -> None:
    fresh, tired = _aan_run(1.0, 0.0)
    assert tired > fresh + 0.04, (fresh, tired)


def test_switching_controllers_mid_session_has_no_torque_jolt() -> None:
    def each_second(t: int, patient: VirtualPatient, stack: ControlStack) -> None:
        if t == 12:
            stack.changes.submit(
                ChangeRequest(ChangeKind.CONTROLLER, "path", "test", "switch"), stack.time
            )

    run = Run("hemiparetic-left-mild", _settings(controller="guidance"), 24.0,
              each_second=each_second)
    assert run.stack.controller_name == "path"
    (applied_s, _), = run.stack.changes.applied
    k = round(applied_s * 1000)
    blend = k + round(run.stack.reference.stride_time_s * 1000)
    steps = np.abs(np.diff(run.torque, axis=0))
    before = steps[5_000 : k - 1].max(axis=0)
    during = steps[k - 1 : blend + 1].max(axis=0)
    after = steps[blend + 1 :].max(axis=0)
    # the switch adds no step beyond what either controller does on its own
    assert (during <= 1.2 * np.maximum(before, after) + 1.0).all(), (before, during, after)
    assert sum(1 for r in run.stack.strides if r.time_s > 16.0) >= 6  # walks on with the tunnel


@pytest.mark.parametrize("controller", ["path", "resist"])
def test_low_support_controllers_let_a_mild_patient_walk(controller: str) -> None:
    settings = _settings(controller=controller, resist_damping=2.0)
    run = Run("hemiparetic-left-mild", settings, 25.0, seed=3)
    summ = run.stack.summary(skip_s=10.0)
    assert summ["strides"]["left"] >= 6, summ
    assert summ["controller"] == controller


def test_self_paced_belt_follows_the_patient() -> None:
    settings = dataclasses.replace(_settings(controller="path"), self_paced=True)
    run = Run("healthy", settings, 30.0, seed=5)
    assert run.stack.belt.speed != pytest.approx(2.0 / 3.6, abs=1e-3)
    assert 0.5 / 3.6 <= run.stack.belt.speed <= 3.2 / 3.6
