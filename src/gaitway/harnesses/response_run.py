"""One condition of the response validation: a headless session on the twin, measured in
windows of steady training, with the patient's true effort beside the robot's measured work.

SIMULATED: every figure comes from the MuJoCo twin and its virtual patient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.errors import UserError
from gaitway.session.effort import EffortMeter, EffortSummary
from gaitway.session.loop import PhasePlan, run_loop
from gaitway.station.channels import SAMPLE_INDEX
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import PatientProfile
from gaitway.station.sim.twin import SimStation

_GRF_Z = (SAMPLE_INDEX["grf_z_left"], SAMPLE_INDEX["grf_z_right"])


@dataclass(frozen=True, slots=True)
class Condition:
    """What the robot does in one condition (SI units, fractions 0-1)."""

    name: str
    controller: str = "guidance"
    guidance: float = 1.0
    bws_fraction: float = 0.3
    speed_m_s: float = 2.0 / 3.6
    minutes: float = 4.0
    #: the windows measured, in seconds from the start of training (start, end), or from the
    #: start of walking (the warm-up's start) when ``from_walking``
    windows_s: tuple[tuple[float, float], ...] = ((90.0, 180.0),)
    #: measure from the first step under the condition: slacking starts there, not after
    #: the warm-up
    from_walking: bool = False


@dataclass(frozen=True, slots=True)
class WindowResult:
    """What one window of one session showed."""

    effort: EffortSummary
    #: measured: the robot's positive work on hip and knee per stride of a leg (J)
    robot_assist_work_j: float
    #: measured: work the leg did against the robot per stride (J)
    robot_resist_work_j: float
    #: measured: the cuff figure, mean over joints and legs (N*m, + the leg moves against
    #: the robot)
    cuff_participation_nm: float
    #: measured: peak vertical ground reaction force per stride, mean of the legs (N)
    peak_grf_n: float


@dataclass(frozen=True, slots=True)
class RunResult:
    patient: str
    condition: str
    seed: int
    windows: tuple[WindowResult, ...]
    stopped: bool


def run_condition(profile: PatientProfile, seed: int, cond: Condition) -> RunResult:
    """The session of ``cond`` for one virtual patient (no patient events: nothing stops it;
    no automatic response to fatigue: the condition stays what it is)."""
    patient = VirtualPatient(profile, seed=seed, events=False)
    station = SimStation(patient, seed=seed)
    stack = ControlStack(
        ControlSettings(controller=cond.controller, guidance=cond.guidance,
                        bws_fraction=cond.bws_fraction, speed_m_s=cond.speed_m_s,
                        adapt_to_fatigue=False),
        height_m=profile.height_m, body_mass_kg=profile.mass_kg)
    plan = PhasePlan.for_minutes(cond.minutes)
    t0 = plan.calibration_s + (0.0 if cond.from_walking else plan.warm_up_s)
    end = plan.calibration_s + plan.warm_up_s + plan.training_s
    spans = [(t0 + a, t0 + b) for a, b in cond.windows_s]
    if any(b > end + 1e-6 or a < t0 or a >= b for a, b in spans):
        raise UserError(f"condition {cond.name}: each window must lie within training"
                        + (" or the warm-up" if cond.from_walking else ""))
    meters = [EffortMeter(dt=station.dt, from_s=a, to_s=b) for a, b in spans]
    adds = [m.add for m in meters]
    peak_sum = [[0.0, 0.0] for _ in spans]  # sum of per-stride peaks, their count
    peak_now = [0.0, 0.0]
    records = stack.monitor.records
    seen = [0]

    def on_tick(sample: Sample, control: list[float], cmd: Command) -> None:
        v = sample.values
        truth = station.truth
        for add in adds:
            add(v, truth)
        fl, fr = v[_GRF_Z[0]], v[_GRF_Z[1]]
        if fl > peak_now[0]:
            peak_now[0] = fl
        if fr > peak_now[1]:
            peak_now[1] = fr
        if len(records) != seen[0]:  # a stride closed: its leg's peak force
            rec = records[-1]
            seen[0] = len(records)
            side = 0 if rec.side == "left" else 1
            for w, (a, b) in enumerate(spans):
                if a <= rec.time_s < b:
                    peak_sum[w][0] += peak_now[side]
                    peak_sum[w][1] += 1.0
            peak_now[side] = 0.0

    with station:
        result = run_loop(station, stack, plan, on_tick=on_tick)
    out = []
    for w, (a, b) in enumerate(spans):
        recs = [r for r in stack.strides if a <= r.time_s < b]
        n = len(recs)
        out.append(WindowResult(
            effort=meters[w].summary(stack.strides),
            robot_assist_work_j=sum(sum(r.robot_assist_work_j) for r in recs) / n
            if n else math.nan,
            robot_resist_work_j=sum(sum(r.robot_resist_work_j) for r in recs) / n
            if n else math.nan,
            cuff_participation_nm=sum(sum(r.participation_nm) for r in recs) / (2 * n)
            if n else math.nan,
            peak_grf_n=peak_sum[w][0] / peak_sum[w][1] if peak_sum[w][1] else math.nan,
        ))
    return RunResult(profile.id, cond.name, seed, tuple(out), result.stopped)
