"""The clinical envelope: sessions anywhere in the settings a therapist may choose start,
walk, pause, resume and end without a false fault and without a clipped drive command."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, Phase, assume, example, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from gaitway.cli.main import main
from gaitway.control.registry import CONTROLLER_NAMES
from gaitway.control.settings import (
    MAX_FLOW_NM,
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    MAX_TUNNEL_WIDTH_DEG,
    ROM_SCALE,
)
from gaitway.errors import UserError
from gaitway.gait.reference import JointRom, RomSettings, min_hip_scale
from gaitway.harnesses.envelope import (
    BWS_PCT,
    GUIDANCE_PCT,
    KNEE_MOMENT_TO_WALK_NM_PER_KG,
    SPEED_KMH,
    EnvelopeCase,
    EnvelopeOutcome,
    expected_stop,
    grid,
    run_case,
    write_table,
)
from gaitway.session.builder import SessionCore
from gaitway.session.pauses import parse_pause
from gaitway.session.settings import (
    TWIN_BODY_CORNERS,
    TWIN_HEIGHT_M,
    TWIN_MASS_KG,
    SessionSettings,
    lightest_body_kg,
)
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.patient import knee_extensor_max_nm
from gaitway.station.sim.profiles import PROFILES

#: where the virtual patients can carry themselves: docs/validation/envelope-quick.md shows
#: the edges outside it (0 % BWS for the impaired profiles, 0.5 km/h unassisted, a halved or
#: 1.5x range at 3.2 km/h), whose stops are the virtual patient's, not the station's.
#: Support: Lokomat protocols for stroke start at 40-50 % BWS and come down to 20 % after
#: four weeks (NeuroRehabilitation 2013;33(1):67-76, table 1)
TRAINABLE_BWS_PCT = (30.0, 60.0)
TRAINABLE_SPEED_KMH = (1.0, 3.2)
TRAINABLE_ROM = (0.8, 1.2)


@st.composite
def cases(draw: st.DrawFn, *, bws: tuple[float, float] = BWS_PCT,
          speed: tuple[float, float] = SPEED_KMH,
          rom: tuple[float, float] = ROM_SCALE) -> EnvelopeCase:
    """A short session in the envelope, with a pause in its walking, in a patient's own body
    anywhere in the height and mass a session's twin takes. A hip range too small for the
    belt's speed, which the station refuses, is raised to the least it accepts."""
    aan_min = draw(st.floats(0.0, 100.0))
    profile = draw(st.sampled_from(sorted(PROFILES)))
    controller = draw(st.sampled_from(CONTROLLER_NAMES))
    bws_pct = draw(st.floats(*bws))
    guidance_pct = draw(st.floats(*GUIDANCE_PCT))
    speed_kmh = draw(st.floats(*speed))
    values = {
        "self_paced": draw(st.booleans()),
        "tunnel_width_deg": draw(st.floats(0.0, MAX_TUNNEL_WIDTH_DEG)),
        "path_flow_nm": draw(st.floats(0.0, MAX_FLOW_NM)),
        "aan_min_pct": aan_min,
        "aan_max_pct": draw(st.floats(aan_min, 100.0)),
        "resist_damping_nms_per_rad": draw(st.floats(0.0, MAX_RESIST_DAMPING)),
        "resist_torque_nm": draw(st.floats(0.0, MAX_RESIST_TORQUE_NM)),
        "hip_rom_scale": draw(st.floats(*rom)),
        "knee_rom_scale": draw(st.floats(*rom)),
        "seconds": 12.0,
        "pause_at_s": draw(st.floats(4.0, 7.0)),
        "pause_for_s": draw(st.floats(0.5, 2.0)),
        "seed": draw(st.integers(0, 10_000)),
        "height_m": (height := draw(st.floats(*TWIN_HEIGHT_M))),
        "body_mass_kg": draw(st.floats(lightest_body_kg(height), TWIN_MASS_KG[1])),
    }
    rom = RomSettings(hip=JointRom(scale=values["hip_rom_scale"]),
                      knee=JointRom(scale=values["knee_rom_scale"]))
    least = min_hip_scale(speed_kmh / 3.6, values["height_m"], rom)
    if least is not None and least > values["hip_rom_scale"]:
        values["hip_rom_scale"] = least
    return EnvelopeCase.of(profile, controller=controller, bws_pct=bws_pct,
                           guidance_pct=guidance_pct, speed_kmh=speed_kmh, **values)


#: fixed examples, no shrinking (a shrink of a 12-s session ran past 5 minutes)
_BOUNDED = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.too_slow])


@_BOUNDED
@given(case=cases(bws=TRAINABLE_BWS_PCT, speed=TRAINABLE_SPEED_KMH, rom=TRAINABLE_ROM))
# the former counterexample, pinned (issue 12 item 4: the paretic knee buckled in stance under
# the timing-free tunnel and the pelvis sank into the harness). It walks since the virtual
# patient's drive carries the swing moments along the path (issue 19, station/sim/motor.py)
@example(case=EnvelopeCase.of("hemiparetic-left-severe", controller="path", bws_pct=35.0,
                              speed_kmh=2.2, seed=0, seconds=12.0, pause_at_s=5.0,
                              pause_for_s=1.0))
# drawn once by this property (issue 12 item 4): no stride, then a stop; its pause was not
# kept. It walks on main from b3172e5 on (11 strides, cuff 75 N*m; pauses at 4-7 s for
# 0.5-2 s all walk)
@example(case=EnvelopeCase.of("hemiparetic-left-severe", controller="path",
                              tunnel_width_deg=0.33, path_flow_nm=17.0, bws_pct=42.0,
                              speed_kmh=2.25, self_paced=True, seed=30, seconds=12.0))
def test_no_false_fault_where_the_patient_can_walk(case: EnvelopeCase) -> None:
    out = run_case(case)
    assert out.outcome == "ok", f"{case.label} (seed {case.settings.seed}): {out.outcome}"
    assert out.clipped_torque_ticks == 0, f"{case.label}: {out.clipped_torque_ticks} clipped"
    assert out.resumed, f"{case.label}: paused but did not resume"
    assert out.strides >= 6, f"{case.label}: only {out.strides} strides"
    assert out.worst_cuff_nm < 100.0


#: resumes from a pause at 7 % guidance that ended in a joint_range stop 1.7 s later (the
#: loaded non-paretic leg, asked to swing, was carried into 23 deg of hip extension); the
#: first was drawn by the property in a full CI run. Fixed at the cause (issue 12 item 4): a
#: resume restarts as a session starts, at full guidance handed back to the set level
#: (ControlStack.resume_at_full_guidance), and the virtual patient picks its restart phase
#: against normal walking, as the robot does (without it the moderate case, now carried at
#: full guidance, fought the robot a quarter stride apart: interaction_force)
_RESTARTS = (
    EnvelopeCase.of("hemiparetic-right-severe", controller="guidance",
                    guidance_pct=7.327849, bws_pct=35.3417, speed_kmh=2.0,
                    hip_rom_scale=0.9, knee_rom_scale=0.80215, seed=194, seconds=12.0,
                    pause_at_s=6.92576, pause_for_s=1.10818),
    EnvelopeCase.of("hemiparetic-right-moderate", controller="guidance",
                    guidance_pct=7.327849, bws_pct=35.3417, speed_kmh=2.0, seed=1,
                    seconds=12.0, pause_at_s=6.92576, pause_for_s=1.1),
    EnvelopeCase.of("hemiparetic-right-severe", controller="guidance",
                    guidance_pct=7.327849, bws_pct=35.3417, speed_kmh=2.0, seed=53,
                    seconds=12.0, pause_at_s=5.6, pause_for_s=1.5),
    # the pause caught the paretic foot off its plate and the robot held it there, then
    # carried it from mid-air (joint_range 1.8 s after the resume); a stop now sets such a
    # foot down (ControlStack.stand_here)
    EnvelopeCase.of("hemiparetic-left-severe", controller="guidance",
                    guidance_pct=7.327849, bws_pct=35.3417, speed_kmh=2.0, seed=53,
                    seconds=12.0, pause_at_s=6.2, pause_for_s=1.5),
)


@pytest.mark.parametrize("case", _RESTARTS,
                         ids=["severe-rom-0.8", "moderate", "severe-early-pause",
                              "left-severe-foot-in-the-air"])
def test_a_resume_from_mid_stride_at_low_guidance_walks_on(case: EnvelopeCase) -> None:
    out = run_case(case)
    assert out.outcome == "ok", f"{case.label}: {out.outcome} at {out.fault_at_s} s"
    assert out.resumed
    assert out.strides >= 10, f"{case.label}: only {out.strides} strides"


def test_a_resume_steps_off_with_the_unloaded_leg() -> None:
    """Self-paced assist-as-needed, severe left hemiparesis, 30 % support: the pause left the
    patient standing with 65 % of the weight on the right foot and the left foot 7 deg ahead.
    The restart fitted the posture alone (left heel strike): the gait's fade-in lifted the
    left foot forward while the loaded right leg had to swing 0.15 s later; it swung late,
    landed under the hip with the knee flexed 41 deg and was carried 25 deg behind its
    reference (interaction_force, 102 N*m at the right hip, 2 s after the resume; seeds 1-3).
    A restart now keeps the loaded leg in stance (ControlStack, RESTART_LOAD_SHARE)."""
    case = EnvelopeCase.of("hemiparetic-left-severe", controller="aan", bws_pct=30.0,
                           self_paced=True, seconds=12.0)
    out = run_case(case)
    assert out.outcome == "ok", f"{case.label}: {out.outcome} at {out.fault_at_s} s"
    assert out.resumed
    assert out.clipped_torque_ticks == 0
    assert out.strides >= 10, f"{case.label}: only {out.strides} strides"
    assert out.worst_cuff_nm < 95.0


def _resume_phase_gap(case: EnvelopeCase, after_s: float) -> tuple[float, str]:
    """How far apart (cycles, wrapped to -0.5..0.5) the robot's reference and the virtual
    patient's own gait phase are ``after_s`` after the case's resume (each left leg's phase;
    the robot sets the cadence under guidance), and how the session ended."""
    pause = parse_pause(case.settings.pauses[0])
    at = pause.resume_at_s + after_s
    core = SessionCore(case.settings.validate())
    stack, patient = core.stack, core.patient
    gap: list[float] = []

    def look(sample: Sample, control: list[float], command: Command) -> None:
        if not gap and sample.time >= at:
            gap.append((stack.reference_phase - patient.phase_of(0) + 0.5) % 1.0 - 0.5)

    summary = core.run(on_tick=look)
    assert gap, f"{case.label}: ended at {summary.duration_s} s, before {at} s"
    return gap[0], summary.ended_by


#: the tall light corner's three interaction_force stops (eighth and ninth rounds, seed 1):
#: 101-104 N*m at a hip 1.1 s after the resume, the robot and the patient half a cycle or a
#: third of one apart
_TALL_LIGHT_RESUMES: Final = (
    EnvelopeCase.of("hemiparetic-left-moderate", controller="guidance", guidance_pct=0.0,
                    bws_pct=30.0, speed_kmh=3.2, height_m=2.0, body_mass_kg=64.0,
                    seconds=12.0),
    EnvelopeCase.of("hemiparetic-left-severe", controller="guidance", guidance_pct=0.0,
                    bws_pct=30.0, speed_kmh=3.2, height_m=2.0, body_mass_kg=64.0,
                    seconds=12.0),
    EnvelopeCase.of("hemiparetic-right-mild", controller="guidance", guidance_pct=100.0,
                    bws_pct=30.0, speed_kmh=2.0, height_m=2.0, body_mass_kg=64.0,
                    seconds=12.0),
    # the same at seed 3: a refit 0.2 s after the belt starts, while the robot's gait still
    # faded in, chose the other leg leading again (interaction_force at 8.4 s)
    EnvelopeCase.of("hemiparetic-right-mild", controller="guidance", guidance_pct=100.0,
                    bws_pct=30.0, speed_kmh=2.0, height_m=2.0, body_mass_kg=64.0,
                    seconds=12.0, seed=3),
)


@st.composite
def guided_resumes(draw: st.DrawFn) -> EnvelopeCase:
    """A guided session paused and resumed, anywhere in the guidance, support, speed and
    body a user may set."""
    height = draw(st.floats(*TWIN_HEIGHT_M))
    return EnvelopeCase.of(
        draw(st.sampled_from(sorted(PROFILES))), controller="guidance",
        guidance_pct=draw(st.floats(*GUIDANCE_PCT)), bws_pct=draw(st.floats(*TRAINABLE_BWS_PCT)),
        speed_kmh=draw(st.floats(*TRAINABLE_SPEED_KMH)), height_m=height,
        body_mass_kg=draw(st.floats(lightest_body_kg(height), TWIN_MASS_KG[1])),
        seed=draw(st.integers(0, 10_000)), seconds=12.0, pause_at_s=draw(st.floats(4.0, 6.5)),
        pause_for_s=draw(st.floats(0.5, 2.0)))


@_BOUNDED
@given(case=guided_resumes())
@example(case=_TALL_LIGHT_RESUMES[0])
@example(case=_TALL_LIGHT_RESUMES[1])
@example(case=_TALL_LIGHT_RESUMES[2])
@example(case=_TALL_LIGHT_RESUMES[3])
def test_after_a_resume_the_patient_walks_in_the_robots_phase(case: EnvelopeCase) -> None:
    """The robot fits its restart phase to the posture on its encoders, the virtual patient
    to the anatomical angles; near standing the posture fits either leg leading, and the two
    walked on up to half a cycle apart, the robot (at full guidance after the resume)
    fighting the patient past the cuff limit. The patient now takes up the robot's lead as
    the legs move (station/sim/patient.py, _FOLLOW_AFTER_S): within 0.8 s of the resume the
    two are no further apart than in steady walking (0.09 cycles at most in the body rows)."""
    gap, ended_by = _resume_phase_gap(case, 0.8)
    assert abs(gap) < 0.15, f"{case.label} (seed {case.settings.seed}): {gap:+.2f} cycles"
    assert ended_by == "completed", f"{case.label} (seed {case.settings.seed}): {ended_by}"


#: a robot that barely helps, at the slowest belt and no support, leaves the virtual patient's
#: own gait: the clock held a leg that had landed short in stance until the belt dragged its
#: hip to the end of its range (joint_range after one stride, at 6.5 s, seed 1); swing now
#: starts once the hip is extended and the other foot has the weight (station/sim/patient.py)
_NEAR_TRANSPARENT = {
    "resist": {"resist_damping_nms_per_rad": 0.0, "resist_torque_nm": 0.0},
    "guidance": {"guidance_pct": 0.0},
    "path": {"tunnel_width_deg": 30.0, "path_flow_nm": 0.0},
}


def test_the_unaided_patient_walks_at_the_slowest_belt_speed() -> None:
    case = EnvelopeCase.of("healthy", controller="resist", bws_pct=0.0, speed_kmh=0.5,
                           seconds=12.0, pause_for_s=0.0, **_NEAR_TRANSPARENT["resist"])
    out = run_case(case)
    assert out.outcome == "ok", f"{case.label}: {out.outcome} at {out.fault_at_s} s"
    assert out.clipped_torque_ticks == 0
    assert out.strides >= 3, f"{case.label}: only {out.strides} strides"


#: weak knees under a near-transparent robot at the fast belts: (profile, support %, km/h)
_WEAK_KNEES_FAST: Final = (("hemiparetic-left-severe", 30.0, 3.2),
                           ("hemiparetic-right-severe", 30.0, 3.2),
                           ("sci-incomplete", 0.0, 2.0))


@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow])
@given(row=st.sampled_from(_WEAK_KNEES_FAST), controller=st.sampled_from(("path", "resist")),
       seed=st.integers(1, 10_000))
def test_weak_knees_carry_the_patient_under_a_near_transparent_robot(
        row: tuple[str, float, float], controller: str, seed: int) -> None:
    """The severe hemipareses at 30 % support and 3.2 km/h and the incomplete spinal cord
    injury at 0 % and 2 km/h, with the robot near-transparent, stopped with joint_range (0 of
    24 at seeds 1-3): the stance knee yielded with its extensors at a bound flat over the
    angle, the crouch let the swinging foot scuff and the belt dragged the stance hip to its
    range's end. Their knees give 0.60 N*m/kg of the weight carried, more than people's knee
    moment at these speeds, and extensors stronger flexed (Sarabon et al. 2021) hold it."""
    profile, bws, speed = row
    case = EnvelopeCase.of(profile, controller=controller, bws_pct=bws, speed_kmh=speed,
                           seconds=12.0, seed=seed, **_NEAR_TRANSPARENT[controller])
    assert expected_stop(case.settings) is None  # the patient can carry it
    out = run_case(case)
    assert out.ok, (f"{case.label} (seed {seed}): {out.outcome} at {out.fault_at_s} s, "
                    f"{out.strides} strides")


@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow])
@given(controller=st.sampled_from(sorted(_NEAR_TRANSPARENT)), seed=st.integers(0, 10_000),
       pause_at_s=st.floats(4.0, 7.0))
def test_a_near_transparent_robot_at_the_slowest_speed_walks_and_resumes(
        controller: str, seed: int, pause_at_s: float) -> None:
    case = EnvelopeCase.of("healthy", controller=controller, bws_pct=0.0, speed_kmh=0.5,
                           seconds=12.0, seed=seed, pause_at_s=pause_at_s,
                           **_NEAR_TRANSPARENT[controller])
    out = run_case(case)
    assert out.outcome == "ok", f"{case.label} (seed {seed}): {out.outcome} at {out.fault_at_s}"
    assert out.resumed
    assert out.strides >= 3, f"{case.label} (seed {seed}): only {out.strides} strides"


#: the slow end of the envelope, where a patient starts out: belt speed and support, and the
#: least help a robot gives (transparent, or guiding lightly)
SLOW_SPEED_KMH = (0.5, 1.0)
LIGHT_SUPPORT_PCT = (0.0, 30.0)
LIGHT_GUIDANCE_PCT = (0.0, 30.0)


@st.composite
def unaided_slow(draw: st.DrawFn) -> EnvelopeCase:
    """A short session at a slow belt with little support and little or no help from the
    robot, for a patient who can carry the weight the harness leaves (expected_stop)."""
    profile = draw(st.sampled_from(sorted(PROFILES)))
    controller = draw(st.sampled_from(sorted(_NEAR_TRANSPARENT)))
    own = dict(_NEAR_TRANSPARENT[controller])
    if controller == "guidance":
        own["guidance_pct"] = draw(st.floats(*LIGHT_GUIDANCE_PCT))
    return EnvelopeCase.of(profile, controller=controller,
                           bws_pct=draw(st.floats(*LIGHT_SUPPORT_PCT)),
                           speed_kmh=draw(st.floats(*SLOW_SPEED_KMH)), seconds=10.0,
                           pause_for_s=0.0, seed=draw(st.integers(0, 10_000)), **own)


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=unaided_slow())
# the counterexample on main before the swing's end followed the leg (issue 12 item 4): the
# foot touched the belt in swing behind the hip, the clock extended the knee into the belt and
# the belt dragged both legs to the hips' range limit (joint_range at 4.4 s, 0 strides)
@example(case=EnvelopeCase.of("healthy", controller="resist", bws_pct=0.0, speed_kmh=0.7,
                              seconds=10.0, pause_for_s=0.0, **_NEAR_TRANSPARENT["resist"]))
def test_the_unaided_patient_walks_at_slow_speeds(case: EnvelopeCase) -> None:
    """Every profile, belt 0.5-1.0 km/h, support 0-30 %, the robot transparent or guiding
    lightly: the virtual patient walks on its own without a fault (where its knees can carry
    the weight the harness leaves them)."""
    assume(expected_stop(case.settings) is None)
    out = run_case(case)
    assert out.outcome == "ok", (
        f"{case.label} (seed {case.settings.seed}): {out.outcome} at {out.fault_at_s} s")
    assert out.clipped_torque_ticks == 0, f"{case.label}: {out.clipped_torque_ticks} clipped"
    assert out.strides >= 2, f"{case.label} (seed {case.settings.seed}): {out.strides} strides"


#: resistance at its former maxima (10 N*m*s/rad, 10 N*m) stopped these with joint_range (the
#: hip at the end of its range, the resisted swing not landing in time): 22 of the half
#: envelope's 36 false faults. The range is now a training load (control/resist.py: 10 % of
#: a healthy knee's torque at a swing's speed) and the resistance eases off near the end of
#: the hip's range; pinned at the new maxima
_RESISTED = (
    EnvelopeCase.of("healthy", controller="resist", bws_pct=0.0, speed_kmh=3.2, seed=1,
                    seconds=12.0, resist_damping_nms_per_rad=MAX_RESIST_DAMPING,
                    resist_torque_nm=MAX_RESIST_TORQUE_NM),
    EnvelopeCase.of("hemiparetic-right-moderate", controller="resist", bws_pct=0.0,
                    speed_kmh=3.2, seed=1, seconds=12.0,
                    resist_damping_nms_per_rad=MAX_RESIST_DAMPING,
                    resist_torque_nm=MAX_RESIST_TORQUE_NM),
    EnvelopeCase.of("hemiparetic-left-severe", controller="resist", bws_pct=30.0,
                    speed_kmh=2.0, seed=1, seconds=12.0,
                    resist_damping_nms_per_rad=MAX_RESIST_DAMPING,
                    resist_torque_nm=MAX_RESIST_TORQUE_NM),
)


@pytest.mark.parametrize("case", _RESISTED, ids=["healthy-0", "moderate-0", "severe-30"])
def test_the_most_resistance_accepted_is_walked_against(case: EnvelopeCase) -> None:
    out = run_case(case)
    assert out.ok, f"{case.label}: {out.outcome} at {out.fault_at_s} s, {out.strides} strides"


@_BOUNDED
@given(profile=st.sampled_from(sorted(PROFILES)),
       damping=st.floats(0.0, MAX_RESIST_DAMPING), torque=st.floats(0.0, MAX_RESIST_TORQUE_NM),
       bws=st.floats(*TRAINABLE_BWS_PCT), speed=st.floats(*TRAINABLE_SPEED_KMH),
       self_paced=st.booleans(), seed=st.integers(0, 10_000))
def test_any_accepted_resistance_is_a_load_the_patient_walks_against(
        profile: str, damping: float, torque: float, bws: float, speed: float,
        self_paced: bool, seed: int) -> None:
    """Over resistance's whole accepted range, every profile, where the patient carries
    themself: no stop, no clipped command, a resume, strides."""
    case = EnvelopeCase.of(profile, controller="resist", bws_pct=bws, speed_kmh=speed,
                           self_paced=self_paced, seed=seed, seconds=10.0,
                           resist_damping_nms_per_rad=damping, resist_torque_nm=torque)
    out = run_case(case)
    assert out.ok, (f"{case.label} (seed {seed}): {out.outcome} at {out.fault_at_s} s, "
                    f"{out.strides} strides, {out.clipped_torque_ticks} clipped")


@pytest.mark.parametrize("seed", [151, 154, 157])
def test_a_severe_paretic_patient_resumes_against_resistance_at_the_set_speeds_hold(
        seed: int) -> None:
    """The resistance property's draw at seed 154, and its neighbours that stopped with it:
    with the slow-belt hold taken at each speed the restarting belt passed, the severe
    paretic patient's own intent shrank toward no stance sweep, the sound leg landed crouched
    and its hip was dragged past its range 1.5 s after the resume (joint_range; 3 of seeds
    150-159). Held at the set speed while the belt ramps (robot and patient), all walk."""
    case = EnvelopeCase.of("hemiparetic-left-severe", controller="resist", bws_pct=41.0,
                           speed_kmh=2.76, seed=seed, seconds=10.0,
                           resist_damping_nms_per_rad=0.4, resist_torque_nm=2.9)
    out = run_case(case)
    assert out.ok, (f"{case.label} (seed {seed}): {out.outcome} at {out.fault_at_s} s, "
                    f"{out.strides} strides, {out.clipped_torque_ticks} clipped")


def test_the_path_flow_walks_a_patient_who_carries_their_own_weight() -> None:
    """Path control at its stiffest with the most flow, for a patient who carries all of
    their weight: the flow pushed both standing legs into pre-swing together, and the
    patient sank onto flexed knees without a stride (a fall, or 0 strides, at 3.2 km/h). It
    now gives a loaded leg only what the legs' alternation allows (control/path.py)."""
    case = EnvelopeCase.of("healthy", controller="path", tunnel_width_deg=0.0,
                           path_flow_nm=MAX_FLOW_NM, bws_pct=0.0, speed_kmh=3.2,
                           seconds=8.0, pause_for_s=0.0)
    out = run_case(case)
    assert out.outcome == "ok", f"{case.label}: {out.outcome} at {out.fault_at_s} s"
    assert out.strides >= 6, f"{case.label}: only {out.strides} strides"


@_BOUNDED
@given(case=cases())
def test_starts_and_resumes_never_clip_a_command_anywhere(case: EnvelopeCase) -> None:
    """Over the whole envelope: the station starts standing without a fault (no false fall
    whatever the BWS), and no start, walk, pause or resume asks a drive for more than its
    continuous torque."""
    out = run_case(case)
    assert out.clipped_torque_ticks == 0, f"{case.label}: {out.clipped_torque_ticks} clipped"
    assert out.outcome == "ok" or out.fault_at_s > 1.5, (
        f"{case.label} (seed {case.settings.seed}): {out.outcome} at {out.fault_at_s} s, "
        "standing")


def test_the_property_draws_over_the_whole_envelope_the_cli_accepts() -> None:
    """The sessions the property tests sample (no simulation here): every profile and
    controller, both belt modes, and each setting the CLI takes for them from one edge of
    what it accepts to the other; every draw is a session the CLI accepts."""
    drawn: list[SessionSettings] = []

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def draw(case: EnvelopeCase) -> None:
        drawn.append(case.settings)

    draw()
    for s in drawn[:30]:
        s.validate()
    assert {s.profile for s in drawn} <= set(PROFILES)
    assert {s.controller for s in drawn} <= set(CONTROLLER_NAMES)
    spans = {
        "bws_pct": BWS_PCT, "guidance_pct": GUIDANCE_PCT, "speed_kmh": SPEED_KMH,
        "tunnel_width_deg": (0.0, MAX_TUNNEL_WIDTH_DEG), "path_flow_nm": (0.0, MAX_FLOW_NM),
        "aan_min_pct": (0.0, 100.0), "aan_max_pct": (0.0, 100.0),
        "resist_damping_nms_per_rad": (0.0, MAX_RESIST_DAMPING),
        "resist_torque_nm": (0.0, MAX_RESIST_TORQUE_NM),
        "hip_rom_scale": ROM_SCALE, "knee_rom_scale": ROM_SCALE,
        "height_m": TWIN_HEIGHT_M, "body_mass_kg": TWIN_MASS_KG,
    }
    for name, (lo, hi) in spans.items():
        values = [getattr(s, name) for s in drawn]
        seen = f"{name}: drawn {min(values):g}-{max(values):g} of {lo:g}-{hi:g}"
        assert lo <= min(values), seen
        assert max(values) <= hi, seen
    # each edge can be drawn (searched for: whether 150 draws happen to reach an edge depends
    # on the draws, and a change to any strategy reshuffles them; CI run on 8549224)
    search = settings(max_examples=2_000, deadline=None, derandomize=True, database=None,
                      phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    # every profile, controller and belt mode can be drawn (searched for, like the edges: the
    # CI run on 4c97687 drew no hemiparetic-left-moderate in its 150 draws)
    for field, values in (("profile", PROFILES), ("controller", CONTROLLER_NAMES),
                          ("self_paced", (True, False))):
        for value in values:
            try:
                find(cases(), lambda c, f=field, v=value: getattr(c.settings, f) == v,
                     settings=search)
            except NoSuchExample:
                pytest.fail(f"{field}: no draw of {value!r} in 2,000 tries")
    for name, (lo, hi) in spans.items():
        reach = 0.1 * (hi - lo)  # within a tenth of the range of each edge
        for edge, near in ((lo, lambda v, e=lo, r=reach: v <= e + r),
                           (hi, lambda v, e=hi, r=reach: v >= e - r)):
            try:
                find(cases(), lambda c, n=name, ok=near: ok(getattr(c.settings, n)),
                     settings=search)
            except NoSuchExample:
                pytest.fail(f"{name}: no draw within {reach:g} of {edge:g} in 2,000 tries")


def test_the_grid_covers_every_controller_and_the_edges() -> None:
    cases_ = [c.settings for c in grid()]
    assert {c.controller for c in cases_} == set(CONTROLLER_NAMES)
    assert {c.profile for c in cases_} == set(PROFILES)
    assert {c.bws_pct for c in cases_} >= set(BWS_PCT)
    assert {c.speed_kmh for c in cases_ if not c.self_paced} >= set(SPEED_KMH)
    assert any(c.self_paced for c in cases_)
    assert {c.guidance_pct for c in cases_ if c.controller == "guidance"} >= set(GUIDANCE_PCT)
    assert {c.hip_rom_scale for c in cases_} >= set(ROM_SCALE)
    # the patient's own body at each corner of what the twin takes, for every profile
    for profile in PROFILES:
        assert {(c.height_m, c.body_mass_kg) for c in cases_ if c.profile == profile} >= set(
            TWIN_BODY_CORNERS)
    assert len(grid(quick=True)) < len(cases_)
    for c in cases_:  # each one a session the CLI accepts, with a pause to resume from
        assert c.validate().pauses


_FULL = grid()


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(picks=st.lists(st.sampled_from(sorted({part for c in _FULL
                                               for part in c.label.split(", ")})),
                      min_size=1, max_size=3),
       seed=st.integers(0, 10_000))
def test_match_runs_exactly_the_rows_whose_label_holds_every_text(picks: list[str],
                                                                  seed: int) -> None:
    """`gaitway validate envelope --match TEXT --seed N` re-runs one row (or a controller's
    rows) at another seed: the cases whose label holds every text, in grid order, each at
    that seed, or one clear line when none does."""
    want = [c.label for c in _FULL if all(p in c.label for p in picks)]
    if not want:
        with pytest.raises(UserError, match="no envelope case's label holds"):
            grid(match=picks, seed=seed)
        return
    got = grid(match=picks, seed=seed)
    assert [c.label for c in got] == want
    assert {c.settings.seed for c in got} == {seed}


def test_match_picks_one_row_of_the_grid() -> None:
    row = grid(match=["sci-incomplete, resist (damping 0, torque 0 N*m)", "BWS 0 %",
                      "3.2 km/h"], seconds=12.0, seed=3)
    assert [c.label for c in row] == [
        "sci-incomplete, resist (damping 0, torque 0 N*m), BWS 0 %, 3.2 km/h"]
    assert row[0].settings.seed == 3
    assert row[0].seconds == pytest.approx(12.0)


def test_validate_envelope_reruns_one_row_at_another_seed(tmp_path: Path) -> None:
    label = "healthy, guidance (guidance 100 %), BWS 60 %, 2 km/h self-paced"
    main(["validate", "envelope", "--match", label, "--seed", "2", "--seconds", "6",
          "--quiet", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "envelope.json").read_text())
    assert [EnvelopeCase.from_dict(r["case"]).label for r in rows] == [label]
    assert rows[0]["case"]["settings"]["seed"] == 2
    table = (tmp_path / "envelope.md").read_text()
    assert f"--match '{label}'" in table
    assert "seed 2," in table


def test_a_case_is_its_session_settings() -> None:
    """The envelope runs what `gaitway simulate` runs: a case holds SessionSettings, and the
    table's JSON reads back to the same case."""
    case = EnvelopeCase.of("healthy", seconds=12.0, controller="path", tunnel_width_deg=3.0)
    assert case.settings.minutes == pytest.approx(0.2)
    assert case.settings.pauses == ("5.4:2",)
    assert not case.settings.patient_events
    assert EnvelopeCase.from_dict(json.loads(json.dumps(asdict(case)))) == case


def test_a_refused_setting_is_reported(tmp_path: Path) -> None:
    """The judge is not blind: a session whose settings the CLI refuses is an error, and the
    table reports it as one."""
    out = run_case(EnvelopeCase.of("healthy", bws_pct=95.0, seconds=6.0), tmp_path)
    assert out.outcome.startswith("error: --bws")
    assert not out.ok


def test_validate_envelope_writes_its_table(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "envelope", "--quick", "--profiles", "sci-incomplete",
                 "--seconds", "6", "--quiet", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    rows = json.loads((tmp_path / "envelope-quick.json").read_text())
    assert len(rows) == len(grid(quick=True, profiles=["sci-incomplete"], seconds=6.0))
    assert code == (1 if any(r["false_fault"] for r in rows) else 0)
    assert all(r["clipped_torque_ticks"] == 0 for r in rows)
    table = (tmp_path / "envelope-quick.md").read_text()
    assert "SIMULATED" in table
    assert table.count("| sci-incomplete, ") == len(rows)
    for r in rows:  # every session that is not ok is named on stderr
        if not r["ok"]:
            assert f"BAD {EnvelopeCase.from_dict(r['case']).label}: {r['outcome']}" in err


def test_a_session_without_a_stride_is_not_ok(tmp_path: Path) -> None:
    """No stop is not enough: a patient dragged along standing (0 strides) did not walk, and
    the table says so."""
    case = EnvelopeCase.of("healthy", seconds=12.0)
    walked = EnvelopeOutcome(case, "ok", 14.0, 11, 60.0, "thigh_left", 0, {}, True)
    stood = replace(walked, strides=0)
    assert walked.ok
    assert not stood.ok
    write_table([walked, stood], tmp_path / "t.md")
    table = (tmp_path / "t.md").read_text()
    assert "1 without a stride" in table
    assert "| ok, but no stride |" in table


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(profile=st.sampled_from(sorted(PROFILES)), bws=st.floats(*BWS_PCT),
       more=st.floats(0.0, 60.0))
def test_a_true_stop_is_one_the_patients_strength_cannot_carry(profile: str, bws: float,
                                                               more: float) -> None:
    """Expected stops are computed from the profile's weaker knee against the weight the
    harness leaves it, never listed: more support never turns a carried case into one that
    is not; every profile carries itself at the top of the range; the healthy one at 0 %."""
    case = EnvelopeCase.of(profile, bws_pct=bws)
    why = expected_stop(case.settings)
    weaker = min(knee_extensor_max_nm(PROFILES[profile]))
    need = KNEE_MOMENT_TO_WALK_NM_PER_KG * PROFILES[profile].mass_kg * (1.0 - bws / 100.0)
    assert (why is not None) == (weaker < need)
    if why is None:
        assert expected_stop(replace(case.settings, bws_pct=min(60.0, bws + more))) is None
    assert expected_stop(replace(case.settings, bws_pct=BWS_PCT[1])) is None
    assert expected_stop(replace(case.settings, profile="healthy", bws_pct=0.0)) is None


def test_only_false_faults_count_against_the_station() -> None:
    """The severe hemiparesis at 0 % support cannot carry its weight: its stop is reported as
    expected, with the reason, and is not a false fault; the same stop at 30 % support is,
    and so is any clipped command."""
    severe = EnvelopeCase.of("hemiparetic-left-severe", bws_pct=0.0, seconds=12.0)
    why = expected_stop(severe.settings)
    assert why is not None
    assert "left knee" in why
    stop = EnvelopeOutcome(severe, "fault: interaction_force", 9.0, 3, 101.0, "thigh_right",
                           0, {}, True, 8.9, why)
    assert not stop.ok
    assert not stop.false_fault
    assert stop.verdict.startswith("true stop, expected (the left knee")
    assert replace(stop, clipped_torque_ticks=3).false_fault
    supported = EnvelopeCase.of("hemiparetic-left-severe", bws_pct=30.0, seconds=12.0)
    assert expected_stop(supported.settings) is None
    assert replace(stop, case=supported, expected=None).false_fault
