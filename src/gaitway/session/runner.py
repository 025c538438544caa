"""Headless simulated sessions: station + virtual patient + control stack + recorder, fast.

This is the main job of `gaitway simulate`. One call runs one session and leaves behind a
directory with the recording and ``summary.json``. The loop does no I/O of its own: rows go to
the recorder's bounded queue, which a background thread compresses and writes.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import mujoco
import numpy as np

import gaitway
from gaitway.control.aan import AanSettings
from gaitway.control.changes import ChangeKind, ChangeRequest
from gaitway.control.phase import StreamingPhaseScorer
from gaitway.control.registry import check_controller
from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.errors import UserError
from gaitway.gait.reference import JointRom, RomSettings
from gaitway.recording import RECORDING_FILENAME, RecordingWriter
from gaitway.safety.session import SessionSafety
from gaitway.session.effort import JOINT_NAMES, EffortMeter, EffortSummary
from gaitway.session.loop import PhasePlan, run_loop
from gaitway.session.pauses import PauseDriver, parse_pauses
from gaitway.session.state import SessionStateMachine
from gaitway.session.stations import StationChoice
from gaitway.station.channels import (
    CONTROL,
    N_SAMPLE_CHANNELS,
    RECORDED_CHANNELS,
    RECORDED_COMMAND,
    TRUTH_CHANNELS,
    TRUTH_INDEX,
)
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.emg import EMG_DESCRIPTION
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

SUMMARY_FILENAME: Final[str] = "summary.json"
MIN_SPEED_KMH: Final[float] = 0.5
MAX_SPEED_KMH: Final[float] = 3.2
MAX_MINUTES: Final[float] = 240.0
#: the range-of-motion scale of the reference's hip and knee excursion the CLI accepts
#: (gaitway validate envelope runs a session at each edge)
ROM_SCALE: Final[tuple[float, float]] = (0.5, 1.5)
GRAVITY: Final[float] = 9.81
_CONTACT_L: Final[int] = TRUTH_INDEX["truth_contact_left"]
_CONTACT_R: Final[int] = TRUTH_INDEX["truth_contact_right"]
_PHASE_L: Final[int] = CONTROL.phase_estimate_left
_PHASE_R: Final[int] = CONTROL.phase_estimate_right


@dataclass(frozen=True)
class SessionConfig:
    """One simulated session's settings. Percentages and km/h at this edge, SI inside."""

    profile: str
    minutes: float
    seed: int
    out_dir: Path
    guidance_pct: float = 60.0
    bws_pct: float = 30.0
    speed_kmh: float = 2.0
    controller: str = "guidance"
    lateral_pelvis: bool = False
    patient_events: bool = True
    #: seconds at the start in which guidance ramps from 100 % down to the set level
    warmup_s: float = 8.0
    session_index: int = 0
    initial_fatigue: float = 0.0
    #: path control: tunnel half-width (deg) and supportive flow along the path (N*m)
    tunnel_width_deg: float = 5.0
    path_flow_nm: float = 0.0
    #: assist-as-needed: therapist bounds on support, % of full guidance
    aan_min_pct: float = 30.0
    aan_max_pct: float = 100.0
    #: resistance: damping (N*m*s/rad) and a velocity-signed torque (N*m)
    resist_damping: float = 5.0
    resist_torque_nm: float = 0.0
    #: range of motion: the reference's hip and knee excursion, scaled about its mean
    hip_rom_scale: float = 1.0
    knee_rom_scale: float = 1.0
    self_paced: bool = False
    #: respond to fatigue automatically, within these bounds (% of full guidance, of weight)
    adapt_to_fatigue: bool = True
    max_guidance_pct: float = 100.0
    max_bws_pct: float = 50.0
    extra: dict[str, Any] = field(default_factory=dict)
    #: faults to inject, as "FAULT@SECONDS" (see `gaitway faults`)
    injections: tuple[str, ...] = ()
    #: acknowledgements of a safety stop, as "NAME@SECONDS" (resume if accepted)
    acknowledgements: tuple[str, ...] = ()
    #: operator pauses, as "AT:SECONDS" (pause at AT s for SECONDS, then resume)
    pauses: tuple[str, ...] = ()

    def validate(self) -> None:
        get_profile(self.profile)
        SessionSafety.validate_injections(self.injections, self.minutes * 60.0)
        SessionSafety.validate_acknowledgements(self.acknowledgements)
        parse_pauses(self.pauses)
        if not (math.isfinite(self.minutes) and 0.0 < self.minutes <= MAX_MINUTES):
            raise UserError(
                f"--minutes must be a number above 0 and at most {MAX_MINUTES:.0f}, "
                f"got {self.minutes}"
            )
        if not (math.isfinite(self.speed_kmh)
                and MIN_SPEED_KMH <= self.speed_kmh <= MAX_SPEED_KMH):
            raise UserError(
                f"--speed {self.speed_kmh} km/h is beyond what the device can reach: choose "
                f"{MIN_SPEED_KMH}-{MAX_SPEED_KMH} km/h"
            )
        if not (math.isfinite(self.guidance_pct) and 0.0 <= self.guidance_pct <= 100.0):
            raise UserError(f"--guidance must be within 0-100 %, got {self.guidance_pct}")
        if not (math.isfinite(self.bws_pct) and 0.0 <= self.bws_pct <= 80.0):
            raise UserError(
                f"--bws must be within 0-80 % of body weight, got {self.bws_pct}"
            )
        check_controller(self.controller)
        self.control_settings()  # validates the controller settings with clear errors
        if self.seed < 0:
            raise UserError(f"--seed must be 0 or positive, got {self.seed}")

    @property
    def session_id(self) -> str:
        """Deterministic: the same settings and seed are the same simulated session."""
        key = json.dumps(
            {k: v for k, v in self.settings().items() if k != "out_dir"}, sort_keys=True
        )
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gaitway-sim:{key}"))

    def control_settings(self) -> ControlSettings:
        """The control stack's settings, SI inside. The session starts at full guidance and
        ramps to the set level over the warm-up (see :func:`run_session`)."""
        if not (math.isfinite(self.tunnel_width_deg) and 0.0 <= self.tunnel_width_deg <= 30.0):
            raise UserError(f"--tunnel-width must be within 0-30 deg, got {self.tunnel_width_deg}")
        if not 0.0 <= self.max_guidance_pct <= 100.0 or not 0.0 <= self.max_bws_pct <= 80.0:
            raise UserError("--max-guidance must be within 0-100 % and --max-bws within 0-80 %")
        for flag, v in (("--rom-hip", self.hip_rom_scale), ("--rom-knee", self.knee_rom_scale)):
            if not (math.isfinite(v) and ROM_SCALE[0] <= v <= ROM_SCALE[1]):
                raise UserError(f"{flag} (range-of-motion scale) must be within "
                                f"{ROM_SCALE[0]:g}-{ROM_SCALE[1]:g}, got {v}")
        if not (math.isfinite(self.aan_min_pct) and math.isfinite(self.aan_max_pct)
                and 0.0 <= self.aan_min_pct <= self.aan_max_pct <= 100.0):
            raise UserError(f"--aan-min and --aan-max (the support bounds) must satisfy "
                            f"0 <= min <= max <= 100 %, "
                            f"got {self.aan_min_pct:g} and {self.aan_max_pct:g}")
        return ControlSettings(
            controller=self.controller,
            guidance=1.0 if self.controller == "guidance" else self.guidance_pct / 100.0,
            tunnel_width_rad=math.radians(self.tunnel_width_deg),
            path_flow_nm=self.path_flow_nm,
            aan=AanSettings(
                min_support=self.aan_min_pct / 100.0,
                max_support=self.aan_max_pct / 100.0,
                initial_support=self.aan_max_pct / 100.0,
            ),
            resist_damping=self.resist_damping,
            resist_torque_nm=self.resist_torque_nm,
            bws_fraction=self.bws_pct / 100.0,
            speed_m_s=self.speed_kmh / 3.6,
            self_paced=self.self_paced,
            rom=RomSettings(hip=JointRom(scale=self.hip_rom_scale),
                            knee=JointRom(scale=self.knee_rom_scale)),
            adapt_to_fatigue=self.adapt_to_fatigue,
            max_guidance=max(self.max_guidance_pct, self.guidance_pct) / 100.0,
            max_bws_fraction=max(self.max_bws_pct, self.bws_pct) / 100.0,
        )

    def settings(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        d["injections"] = list(self.injections)
        if not self.injections:  # sessions without faults keep their ids and settings
            del d["injections"]
        d["acknowledgements"] = list(self.acknowledgements)
        if not self.acknowledgements:
            del d["acknowledgements"]
        d["pauses"] = list(self.pauses)
        if not self.pauses:
            del d["pauses"]
        return d


def prepare_out_dir(out_dir: Path) -> Path:
    """Create the output folder or say clearly why it cannot be written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    if not out_dir.is_dir():
        raise UserError(f"output path {out_dir} exists and is not a folder")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"output folder {out_dir} is not writable; choose another with --out")
    if (out_dir / RECORDING_FILENAME).exists():
        raise UserError(
            f"{out_dir} already holds a recording; choose an empty folder so nothing recorded "
            "is overwritten"
        )
    return out_dir


ProgressCallback = Callable[[float, float], None]


def run_session(config: SessionConfig, *, progress: ProgressCallback | None = None,
                station_choice: StationChoice | None = None) -> dict[str, Any]:
    """Run one headless simulated session; write the recording and summary.json; return it.

    ``station_choice``: run it through another station around the twin (CANopen drives)."""
    config.validate()
    out_dir = prepare_out_dir(Path(config.out_dir))
    profile = get_profile(config.profile)
    patient = VirtualPatient(profile, seed=config.seed, session_index=config.session_index,
                             fatigue=config.initial_fatigue, events=config.patient_events)
    twin = SimStation(patient, seed=config.seed, lateral_pelvis=config.lateral_pelvis)
    twin.check_speed(config.speed_kmh / 3.6)
    choice = station_choice
    station = twin if choice is None else choice.make(twin)
    limits = (choice.limits(profile.mass_kg) if choice is not None and choice.limits
              else None)
    drain = getattr(station, "drain_events", twin.drain_events)  # patient (and bus) events
    truth_of: Any = station if hasattr(station, "truth") else twin  # a replay's: recorded
    safety = SessionSafety(station, config.injections, limits,  # supervisor + fault injector
                           acknowledgements=config.acknowledgements)
    dev = safety.supervisor.limits.device  # the controllers plan within the drives' limits
    stack_settings = replace(config.control_settings(),
                             drive_torque_limit_nm=(dev.hip_torque_soft, dev.knee_torque_soft))
    n_ticks = round(config.minutes * 60.0 / station.dt)
    plan = PhasePlan.for_minutes(config.minutes)
    metadata = {
        "simulated": True,
        "label": "SIMULATED SESSION: virtual patient on the MuJoCo twin",
        "session_id": config.session_id,
        "gaitway_version": gaitway.__version__,
        "station": {"kind": "sim-twin", "model": "gaitway_lokomat_twin",
                    "mujoco_version": mujoco.__version__, "dt_s": station.dt,
                    **(choice.metadata if choice is not None else {})},
        "patient": {**asdict(profile), "body_mass_kg": profile.mass_kg,
                    "paretic_side": profile.paretic_side},
        "settings": config.settings(),
        "phase_plan_s": asdict(plan),
        "seed": config.seed,
        "emg": EMG_DESCRIPTION,
    }
    row = np.zeros(len(RECORDED_CHANNELS))
    n_s = N_SAMPLE_CHANNELS
    with RecordingWriter(out_dir / RECORDING_FILENAME, channels=RECORDED_CHANNELS,
                         truth_channels=TRUTH_CHANNELS, metadata=metadata,
                         # headless, as fast as it goes: encode and write on this thread
                         # (why: gaitway.recording.writer)
                         dt=station.dt, write_in_caller=True) as writer, safety.station:
        safety.sink = writer
        sample0 = safety.station.last_sample
        writer.event(0.0, "session_started", "session", profile=profile.id, seed=config.seed)
        stack = ControlStack(stack_settings, height_m=profile.height_m,
                             body_mass_kg=profile.mass_kg, dt=station.dt, sink=writer.event)
        if config.controller == "guidance" and config.guidance_pct < 100.0:
            # warm-up: start at full guidance, hand over to the set level over warmup_s
            stack.changes.submit(ChangeRequest(
                ChangeKind.GUIDANCE, config.guidance_pct / 100.0, "session:warm-up",
                "warm-up from full guidance", ramp_s=min(max(config.warmup_s, 0.0), 60.0),
            ), 0.0)
        scorer = StreamingPhaseScorer(dt=station.dt)
        score = scorer.add
        meter = EffortMeter(dt=station.dt, from_s=plan.calibration_s + plan.warm_up_s)
        measure = meter.add
        machine = SessionStateMachine(writer.event)
        pauses = PauseDriver(parse_pauses(config.pauses), machine, stack, writer.event)

        def on_tick(sample: Sample, control: list[float], cmd: Command) -> None:
            row[:n_s] = sample.values
            row[n_s:] = control
            row[RECORDED_COMMAND] = cmd  # cmd_* channels: what the drives got, after safety
            truth = truth_of.truth  # the truth of this sample (read it each tick)
            writer.append(row, truth)
            measure(row, truth)
            score(control[_PHASE_L], control[_PHASE_R], truth[_CONTACT_L] > 0.5,
                  truth[_CONTACT_R] > 0.5)
            if sample.time >= pauses.due_at_s:
                pauses.step(sample.time, safety_latched=safety.latched)

        def on_second(t: float) -> None:
            for ev in drain():
                writer.event(ev.time_s, ev.kind, getattr(ev, "source", "patient"),
                             details=ev.details)
            if progress is not None:
                progress(t, n_ticks * station.dt)

        result = run_loop(safety.station, stack, plan, state=machine,
                          on_tick=on_tick, first_sample=sample0, on_second=on_second,
                          safety=safety)
        safety.record()
        for ev in drain():
            writer.event(ev.time_s, ev.kind, getattr(ev, "source", "patient"),
                         details=ev.details)
        ended_by = result.stop_reason or "completed"
        duration = result.session_s
        control = stack.summary(skip_s=result.training_start_s)
        all_strides = {s: sum(1 for r in stack.strides if r.side == s) for s in ("left", "right")}
        walking_s = max(duration - plan.calibration_s, 1e-9)
        summary: dict[str, Any] = {
            "session_id": config.session_id,
            "simulated": True,
            "profile": profile.id,
            "seed": config.seed,
            "duration_s": round(duration, 3),
            "real_time_factor": round(result.realtime_factor, 2),
            "wall_time_s": round(result.wall_s, 3),
            "strides": all_strides,
            "mean_cadence_steps_per_min": round(
                (all_strides["left"] + all_strides["right"]) / walking_s * 60.0, 1),
            "controller": stack.controller_name,
            "tracking_error_rms_deg": _rounded(control["tracking_error_rms_deg"]),
            "active_participation": _rounded(control["active_participation"]),
            "active_participation_unit": control["active_participation_unit"],
            "robot_work_per_stride_j": _rounded(control["robot_work_per_stride_j"]),
            "robot_assist_work_per_stride_j": _rounded(
                control["robot_assist_work_per_stride_j"]),
            "robot_resist_work_per_stride_j": _rounded(
                control["robot_resist_work_per_stride_j"]),
            **effort_summary(meter.summary(stack.strides)),
            **phase_error_summary(scorer, result.training_start_s),
            "metrics_from_s": round(result.training_start_s, 3),
            "fatigue_detections": control["fatigue_detections"],
            "automatic_changes": control["auto_changes"],
            "settings": config.settings(),
            "ended_by": ended_by,
            "recording": RECORDING_FILENAME,
            "patient_fatigue_end": round(patient.fatigue, 4),
            **safety.summary(),
        }
        if choice is not None:
            summary["transport"] = choice.transport
        writer.event(duration, "session_finished", "session", ended_by=ended_by)
        writer.close(final={"summary": summary, "ended_by": ended_by})
    (out_dir / SUMMARY_FILENAME).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def effort_summary(e: EffortSummary) -> dict[str, Any]:
    """The summary's truth figures of the patient's own effort (SIMULATED; docs/metrics.md)."""
    def r(x: float) -> float | None:
        return round(x, 3) if math.isfinite(x) else None

    return {
        "active_participation_pct": r(e.active_participation_overall_pct),
        "active_participation_pct_by_joint": {
            n: r(v) for n, v in zip(JOINT_NAMES, e.active_participation_pct, strict=True)},
        "patient_positive_work_per_stride_j": {
            n: r(v) for n, v in zip(JOINT_NAMES, e.patient_positive_work_j, strict=True)},
        "patient_effort_truth": {"activation": r(e.activation),
                                 "antigravity_activation": r(e.antigravity_activation),
                                 "drive": r(e.effort),
                                 "label": "SIMULATED ground truth of the virtual patient"},
    }


def phase_error_summary(scorer: StreamingPhaseScorer, from_s: float) -> dict[str, Any]:
    """The summary's phase-estimation error: RMS in % of the gait cycle, per side and
    overall, over the steady strides of training (simulated truth: true foot contact)."""
    res = scorer.result(from_s=from_s)
    return {
        "phase_error_rms_pct": _rounded(res["rms_pct"]),
        "phase_error_strides": {"steady": res["steady_strides"], "scored": res["strides"]},
        "phase_error_note": "gait-phase estimate vs. the twin's true foot contact (simulated), "
        "strides from the start of training lasting within 15 % of the median stride",
    }


def _rounded(d: dict[str, float | None]) -> dict[str, float | None]:
    return {k: (round(v, 3) if v is not None else None) for k, v in d.items()}
