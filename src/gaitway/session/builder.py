"""The one way to build and run a session: :class:`SessionCore`.

Whatever starts a session (``gaitway simulate``, ``gaitway compare``, a console station in the
server or in a worker process, ``gaitway station run``) describes it with one
:class:`~gaitway.session.settings.SessionSettings` and gets its station, virtual patient,
control stack, safety layer and recorder from here, wired the same way. The entry points differ
only in how they pace the clock (``paced``: a live session against wall time, else as fast as
it goes) and where the frames go (``on_tick``: a live bus, a progress bar, nothing).

Per tick the core packs the Sample, the control values and the command the drives got (after
safety) into the recording's row, scores the phase estimate against the twin's truth, and hands
the tick to the caller's hook. At the end it writes the recording's footer and
:class:`~gaitway.session.summary.SessionSummary` (``summary.json``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import struct
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Final, Protocol

import mujoco
import numpy as np

import gaitway
from gaitway.compiled import tick_code
from gaitway.control.aan import AanSettings
from gaitway.control.changes import ChangeKind, ChangeRequest
from gaitway.control.phase import StreamingPhaseScorer
from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.errors import UserError
from gaitway.recording import RECORDING_FILENAME, RecordingWriter
from gaitway.safety.limits import SafetyLimits
from gaitway.safety.session import SessionSafety
from gaitway.session.clock import LoopClock
from gaitway.session.effort import JOINT_NAMES, MUSCLE_KEYS, EffortMeter, EffortSummary
from gaitway.session.loop import LoopResult, PhasePlan, run_loop
from gaitway.session.pauses import PauseDriver, parse_pauses
from gaitway.session.settings import SessionSettings, resolve_profile
from gaitway.session.state import SessionStateMachine
from gaitway.session.stations import StationChoice
from gaitway.session.summary import (
    SIMULATED_LABEL,
    SUMMARY_FILENAME,
    JointValues,
    LoopTiming,
    PatientEffort,
    PhaseError,
    SafetySummary,
    SessionSummary,
    SideCounts,
    SideValues,
)
from gaitway.station.channels import (
    CONTROL,
    N_CONTROL_CHANNELS,
    N_SAMPLE_CHANNELS,
    RECORDED_CHANNELS,
    RECORDED_COMMAND,
    TRUTH_CHANNELS,
    TRUTH_INDEX,
)
from gaitway.station.interface import Command, Sample, Station, TruthSource
from gaitway.station.sim.emg import EMG_DESCRIPTION
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import PatientProfile
from gaitway.station.sim.twin import PLATE_CROSSTALK, SimStation

_PHASE_L: Final[int] = CONTROL.phase_estimate_left
_PHASE_R: Final[int] = CONTROL.phase_estimate_right
_CONTACT_L: Final[int] = TRUTH_INDEX["truth_contact_left"]
_CONTACT_R: Final[int] = TRUTH_INDEX["truth_contact_right"]
#: the recorded row's control values and command written as float64 in place, one C call each
#: (a list or tuple assigned to a numpy slice converts float by float): the same numbers
_PUT_CONTROL: Final = struct.Struct(f"{N_CONTROL_CHANNELS}d").pack_into
_PUT_COMMAND: Final = struct.Struct(f"{RECORDED_COMMAND.stop - RECORDED_COMMAND.start}d").pack_into
_CONTROL_AT: Final[int] = N_SAMPLE_CHANNELS * 8  # byte offsets in the row
_COMMAND_AT: Final[int] = RECORDED_COMMAND.start * 8
assert len(RECORDED_CHANNELS) == N_SAMPLE_CHANNELS + N_CONTROL_CHANNELS

#: the caller's per-tick hook: the Sample, the control values, the command after safety
TickHook = Callable[[Sample, list[float], Command], None]


class EventObserver(Protocol):
    """Sees every event the session records (a console's event log)."""

    def __call__(self, time_s: float, kind: str, source: str, **details: Any) -> None: ...


def control_settings(s: SessionSettings,
                     drive_torque_limit_nm: tuple[float, float] | None = None,
                     harness_max_fraction: float | None = None,
                     hip_extension_limit_rad: float | None = None) -> ControlSettings:
    """The control stack's settings, SI inside. A guidance session starts at full guidance
    and ramps to the set level over the warm-up (see :meth:`SessionCore.run`).
    ``drive_torque_limit_nm``: the drives' continuous torque, hip and knee (the safety
    layer's soft limits), and ``harness_max_fraction`` the most the harness may hold (share
    of body weight), within which the controllers plan; ``hip_extension_limit_rad`` the
    patient's hip range's extension end (the safety layer's soft range), where resistance
    has eased off."""
    extra: dict[str, Any] = {}
    if hip_extension_limit_rad is not None:
        extra["hip_extension_limit_rad"] = hip_extension_limit_rad
    if drive_torque_limit_nm is not None:
        extra["drive_torque_limit_nm"] = drive_torque_limit_nm
    if harness_max_fraction is not None:
        extra["harness_max_fraction"] = harness_max_fraction
    return ControlSettings(
        controller=s.controller,
        guidance=1.0 if s.controller == "guidance" else s.guidance_pct / 100.0,
        tunnel_width_rad=math.radians(s.tunnel_width_deg),
        path_flow_nm=s.path_flow_nm,
        aan=AanSettings(min_support=s.aan_min_pct / 100.0, max_support=s.aan_max_pct / 100.0,
                        initial_support=s.aan_max_pct / 100.0),
        resist_damping=s.resist_damping_nms_per_rad,
        resist_torque_nm=s.resist_torque_nm,
        bws_fraction=s.bws_pct / 100.0,
        speed_m_s=s.speed_m_s,
        self_paced=s.self_paced,
        rom=s.rom,
        adapt_to_fatigue=s.adapt_to_fatigue,
        max_guidance=max(s.max_guidance_pct, s.guidance_pct) / 100.0,
        max_bws_fraction=max(s.max_bws_pct, s.bws_pct) / 100.0,
        **extra,
    )


def prepare_out_dir(out_dir: Path) -> Path:
    """Create the output folder or say clearly why it cannot be written; never overwrite a
    recording."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    if not out_dir.is_dir():
        raise UserError(f"output path {out_dir} exists and is not a folder")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"output folder {out_dir} is not writable; choose another with --out")
    if (out_dir / RECORDING_FILENAME).exists():
        raise UserError(f"{out_dir} already holds a recording; choose an empty folder so "
                        "nothing recorded is overwritten")
    return out_dir


def session_directory(parent: Path, session_id: str, started_at: dt.datetime) -> Path:
    """A new folder for one of many sessions kept together (console, station host)."""
    return parent / f"{started_at:%Y%m%dT%H%M%S}-{session_id[:8]}"


class SessionCore:
    """One session, assembled: station (twin with its virtual patient), safety, control stack,
    state machine, phase scorer and (with ``out_dir``) the recorder.

    ``paced``: a live session against wall time; the safety layer then judges loop overruns
    on wall time (bound ``overrun_bound_s``, None: the device's) and after a fault holds the
    safe state until acknowledged. Headless sessions judge overruns on simulated time.
    ``session_id``: None for the deterministic id of the settings (headless).
    ``patient`` and ``station_name`` name who trains where (console and station sessions).
    ``profile``: the virtual patient to walk with, when not the registered one of the
    settings' id (a recovering patient, see gaitway.planning.twin).
    ``observer`` sees every event as it is recorded (from any thread).
    ``station_choice``: run the loop on another station around the twin (CANopen drives that
    move it, a replay), judged with the limits that station's description sets.
    """

    def __init__(self, settings: SessionSettings, *, out_dir: Path | None = None,
                 paced: bool = False,
                 session_id: str | None = None, patient: str | None = None,
                 station_name: str | None = None, label: str = SIMULATED_LABEL,
                 observer: EventObserver | None = None,
                 overrun_bound_s: float | None = None,
                 station_choice: StationChoice | None = None,
                 profile: PatientProfile | None = None) -> None:
        self.settings = settings.validate()
        self.paced = paced
        # ``profile``: a virtual patient as their course left them (gaitway.planning: the
        # registered profile moved by recovery); by default the registered one
        base = profile if profile is not None else resolve_profile(settings.profile)
        if base.id != settings.profile:
            raise UserError(f"the profile given ({base.id!r}) is not the settings' "
                            f"({settings.profile!r})")
        #: in the patient's own body where the settings give it (their clinic record)
        self.profile = settings.patient_profile(base)
        self.session_id = session_id or settings.session_id
        self.patient_name = patient
        self.station_name = station_name
        self.label = label
        self.observer = observer
        self.started_at = dt.datetime.now(dt.UTC)
        self.patient = VirtualPatient(self.profile, seed=settings.seed,
                                      session_index=settings.session_index,
                                      fatigue=settings.initial_fatigue,
                                      events=settings.patient_events)
        #: the twin that holds the virtual patient, and the station the loop runs on (the twin
        #: itself, or the chosen station around it)
        self.twin = SimStation(self.patient, seed=settings.seed,
                               lateral_pelvis=settings.lateral_pelvis)
        self.twin.check_speed(settings.speed_m_s)
        self.choice = choice = station_choice
        self.station: Station = self.twin if choice is None else choice.make(self.twin)
        # the station's own truth when it knows one (a replay's recorded truth, the twin behind
        # CANopen drives), else the twin's; its events (a CANopen station's bus events and the
        # twin's patient events)
        self._truth_of: TruthSource = self.station.truth_source() or self.twin
        self._drain = self.station.drain_events
        limits = (choice.limits(self.profile.mass_kg) if choice is not None and choice.limits
                  else SafetyLimits.for_patient(self.twin.body_mass_kg))
        if overrun_bound_s is not None:
            limits = replace(limits, timing=replace(limits.timing,
                                                    overrun_bound_s=overrun_bound_s))
        # paced: overruns judged on wall time, and the safe state held for an acknowledgement
        self.safety = SessionSafety(self.station, settings.injections, limits, paced=paced,
                                    acknowledgements=settings.acknowledgements,
                                    wait_for_ack=paced, sink=self)
        self.plan = PhasePlan.for_minutes(settings.minutes)
        # the controllers plan within the drives' and the patient's limits
        dev = self.safety.supervisor.limits.device
        hip_rom = self.safety.supervisor.limits.patient.hip_rom
        self.stack = ControlStack(
            control_settings(settings, (dev.hip_torque_soft, dev.knee_torque_soft),
                             dev.harness_max_fraction, hip_rom.soft_lo),
            height_m=self.profile.height_m, body_mass_kg=self.profile.mass_kg,
            dt=self.station.dt, sink=self.event)
        self.machine = SessionStateMachine(self.event)
        #: scheduled operator pauses (headless sessions; the console pauses by hand)
        self.pauses = PauseDriver(parse_pauses(settings.pauses), self.machine, self.stack,
                                  self.event)
        self.scorer = StreamingPhaseScorer(dt=self.station.dt)
        #: the patient's own effort over the training (truth; docs/metrics.md)
        self.effort = EffortMeter(dt=self.station.dt,
                                  from_s=self.plan.calibration_s + self.plan.warm_up_s)
        self.clock: LoopClock | None = None
        self.stopped_by = ""
        self.result: LoopResult | None = None
        self.summary: SessionSummary | None = None
        self.directory = out_dir
        self._lock = threading.Lock()
        self._closed = False
        self.writer: RecordingWriter | None = None
        if out_dir is not None:
            self.writer = RecordingWriter(
                prepare_out_dir(out_dir) / RECORDING_FILENAME, channels=RECORDED_CHANNELS,
                truth_channels=TRUTH_CHANNELS, metadata=self.metadata(), dt=self.station.dt,
                # headless, as fast as it goes: encode and write on the loop's thread; paced,
                # in the writer's own thread (why: gaitway.recording.writer)
                write_in_caller=not paced)

    # -- what is recorded ---------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """The recording's metadata: what ran, on what, for whom (labelled SIMULATED)."""
        station: dict[str, Any] = {"kind": "sim-twin", "model": "gaitway_lokomat_twin",
                                   "mujoco_version": mujoco.__version__,
                                   "dt_s": self.station.dt,
                                   "force_plate_crosstalk": PLATE_CROSSTALK,
                                   **(self.choice.metadata if self.choice else {})}
        if self.station_name:
            station["name"] = self.station_name
        patient: dict[str, Any] = {**asdict(self.profile), "body_mass_kg": self.profile.mass_kg,
                                   "paretic_side": self.profile.paretic_side}
        if self.patient_name:
            patient["pseudonym"] = self.patient_name
        return {
            "simulated": True,
            "label": self.label,
            "session_id": self.session_id,
            "started_at": self.started_at.isoformat(),
            "gaitway_version": gaitway.__version__,
            #: which code ran the tick: "compiled" (mypyc) or "pure (<why>)" (gaitway.compiled)
            "tick_code": tick_code(),
            "station": station,
            "patient": patient,
            "settings": self.settings.to_dict(),
            "phase_plan_s": asdict(self.plan),
            "seed": self.settings.seed,
            "emg": EMG_DESCRIPTION,
        }

    def event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        """Record an event (from any thread; dropped once the recording closed) and show it
        to the observer."""
        with self._lock:
            if self.writer is not None and not self._closed:
                self.writer.event(time_s, kind, source, **details)
        if self.observer is not None:
            self.observer(time_s, kind, source, **details)

    def stop(self, by: str) -> None:
        """End the session at the next tick through the state machine (any thread)."""
        self.stopped_by = by
        if self.clock is not None:
            self.clock.stop_requested = True

    # -- the run -----------------------------------------------------------------------------
    def run(self, *, clock: LoopClock | None = None, on_tick: TickHook | None = None,
            on_second: Callable[[float], None] | None = None) -> SessionSummary:
        """Run the session to its end; write the recording's footer and summary.json (with
        ``out_dir``). ``clock``: paced for a live session (default: free-running)."""
        self.clock = clock = clock or LoopClock(paced=False)
        s = self.settings
        writer, truth_of, safety, stack, scorer = (self.writer, self._truth_of, self.safety,
                                                   self.stack, self.scorer)
        score = scorer.add
        measure = self.effort.add
        row = np.zeros(len(RECORDED_CHANNELS))
        row_bytes = row.data  # the same memory, for struct.pack_into
        n_s = N_SAMPLE_CHANNELS
        append = writer.append if writer is not None else None
        pending = stack.changes.queue
        pauses = self.pauses

        def tick(sample: Sample, control: list[float], cmd: Command) -> None:
            truth = truth_of.truth  # the truth of this sample (read it each tick)
            if append is not None:
                row[:n_s] = sample.values
                _PUT_CONTROL(row_bytes, _CONTROL_AT, *control)
                # cmd_* channels: what the drives got, after safety
                _PUT_COMMAND(row_bytes, _COMMAND_AT, *cmd)
                append(row, truth)
            # bool(): numpy's bool is not the declared bool (the scorer may be compiled code,
            # which checks it)
            score(control[_PHASE_L], control[_PHASE_R], bool(truth[_CONTACT_L] > 0.5),
                  bool(truth[_CONTACT_R] > 0.5))
            measure(sample.floats, truth)
            if pending and safety.latched:  # nothing asked for before or during a fault's
                stack.changes.drop_pending(sample.time, "a fault stopped the session")  # hold
            if sample.time >= pauses.due_at_s:
                pauses.step(sample.time, safety_latched=safety.latched)
            if on_tick is not None:
                on_tick(sample, control, cmd)

        def second(t: float) -> None:
            self.drain_patient_events()
            if on_second is not None:
                on_second(t)

        try:
            with safety.station:
                self.event(0.0, "session_started", "session", profile=self.profile.id,
                           seed=s.seed, patient=self.patient_name, simulated=True)
                if s.controller == "guidance" and s.guidance_pct < 100.0:
                    # warm-up: start at full guidance, hand over to the set level
                    stack.changes.submit(ChangeRequest(
                        ChangeKind.GUIDANCE, s.guidance_pct / 100.0, "session:warm-up",
                        "warm-up from full guidance", ramp_s=s.warmup_s), 0.0)
                result = run_loop(safety.station, stack, self.plan, clock=clock,
                                  state=self.machine, on_tick=tick,
                                  first_sample=safety.station.last_sample, on_second=second,
                                  safety=safety, on_event=self.event)
                safety.record()
            self.drain_patient_events()
        except BaseException as exc:
            self._close({"ended_by": f"session failed: {exc}"})
            raise
        self.result = result
        summary = self.summarise(result)
        self.summary = summary
        self.event(result.session_s, "session_finished", "session", ended_by=summary.ended_by)
        self._close({"summary": summary.to_dict(), "ended_by": summary.ended_by})
        if self.directory is not None:
            summary.write(self.directory)
        return summary

    def drain_patient_events(self) -> None:
        for ev in self._drain():
            self.event(ev.time_s, ev.kind, ev.source, details=ev.details)

    def _close(self, final: dict[str, Any]) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.writer is not None:
                self.writer.close(final=final)

    # -- the summary -------------------------------------------------------------------------
    def ended_by(self, result: LoopResult) -> str:
        """Why the session ended, in words (a fault's stop, an operator, the plan's end)."""
        base = result.stop_reason or "completed"
        if base == "operator signal":
            base = f"stopped by {self.stopped_by or 'operator'}"
        if self.safety.latched and not base.startswith("fault"):
            return f"{self.safety.ended_by()}; {base} during the safe hold"
        return base

    def summarise(self, result: LoopResult) -> SessionSummary:
        stack, plan, safety = self.stack, self.plan, self.safety
        control = stack.summary(skip_s=result.training_start_s)
        strides = SideCounts(*(sum(1 for r in stack.strides if r.side == side)
                               for side in ("left", "right")))
        walking_s = max(result.session_s - result.paused_s - plan.calibration_s, 1e-9)
        phase = self.scorer.result(from_s=result.training_start_s)
        rms, steady, scored = phase["rms_pct"], phase["steady_strides"], phase["strides"]
        sf = safety.summary()
        sd = sf["safety"]
        return SessionSummary(
            session_id=self.session_id,
            simulated=True,
            label=self.label,
            profile=self.profile.id,
            seed=self.settings.seed,
            controller=stack.controller_name,
            settings=self.settings,
            ended_by=self.ended_by(result),
            duration_s=round(result.session_s, 3),
            strides=strides,
            tracking_error_rms_deg=JointValues(**_rounded(control["tracking_error_rms_deg"])),
            active_participation_nm=SideValues(**_rounded(control["active_participation"])),
            patient=self.patient_name,
            station=self.station_name,
            started_at=self.started_at.isoformat(),
            paused_s=round(result.paused_s, 3),
            training_clock_s=round(result.session_s - result.paused_s, 3),
            wall_time_s=round(result.wall_s, 3),
            real_time_factor=round(result.realtime_factor, 2),
            mean_cadence_steps_per_min=round(strides.total / walking_s * 60.0, 1),
            robot_work_per_stride_j=JointValues(**_rounded(control["robot_work_per_stride_j"])),
            robot_assist_work_per_stride_j=JointValues(
                **_rounded(control["robot_assist_work_per_stride_j"])),
            robot_resist_work_per_stride_j=JointValues(
                **_rounded(control["robot_resist_work_per_stride_j"])),
            effort=patient_effort(self.effort.summary(stack.strides)),
            phase_error=PhaseError(
                rms_pct=SideValues(_round(rms["left"]), _round(rms["right"])),
                overall_rms_pct=_round(rms["overall"]),
                steady_strides=SideCounts(steady["left"], steady["right"]),
                scored_strides=SideCounts(scored["left"], scored["right"])),
            metrics_from_s=round(result.training_start_s, 3),
            fatigue_detections=int(control["fatigue_detections"]),
            automatic_changes=int(control["auto_changes"]),
            patient_fatigue_end=round(self.patient.fatigue, 4),
            recording=RECORDING_FILENAME if self.writer is not None else None,
            loop_timing=_timing(result),
            faults=tuple(sf["faults"]),
            injected_at_s=dict(sf["injected"]),
            safety=SafetySummary(
                ended_by_fault=bool(sd["ended_by_fault"]),
                safe_state_reached=sd["safe_state_reached"],
                acknowledgements=tuple(sd["acknowledgements"]),
                resumed=int(sd["resumed"]), missed_ticks=int(sd["missed_ticks"]),
                loop_overruns=int(sd["loop_overruns"]), warnings=int(sd["warnings"]),
                limited_ticks=int(sd["limited_ticks"]),
                clipped_torque_ticks=int(sd["clipped_torque_ticks"])),
            transport=self.choice.transport if self.choice is not None else "twin",
        )


def patient_effort(e: EffortSummary) -> PatientEffort:
    """The summary's truth of the patient's own effort (SIMULATED; docs/metrics.md)."""
    def joints(v: tuple[float, float, float, float]) -> JointValues:
        return JointValues(**{n: _finite(x) for n, x in zip(JOINT_NAMES, v, strict=True)})

    return PatientEffort(
        active_participation_pct=_finite(e.active_participation_overall_pct),
        active_participation_pct_by_joint=joints(e.active_participation_pct),
        patient_positive_work_per_stride_j=joints(e.patient_positive_work_j),
        activation=_finite(e.activation),
        antigravity_activation=_finite(e.antigravity_activation),
        drive=_finite(e.effort),
        activation_by_muscle={k: round(v, 4) for k, v in
                              zip(MUSCLE_KEYS, e.activation_by_muscle, strict=True)
                              if math.isfinite(v)},
    )


def _finite(v: float) -> float | None:
    return round(v, 3) if math.isfinite(v) else None


def new_session_id() -> str:
    """A random session id (a console session: the same settings run again are another
    session)."""
    return str(uuid.uuid4())


def _timing(result: LoopResult) -> LoopTiming | None:
    j = result.jitter
    if j is None:
        return None
    return LoopTiming(ticks=j.ticks, overruns=j.overruns, period_median_us=j.period_median_us,
                      jitter_median_us=j.jitter_median_us, jitter_p99_us=j.jitter_p99_us,
                      jitter_max_us=j.jitter_max_us, time_base=j.time_base,
                      behind_s=round(j.behind_s, 4), slips=j.slips,
                      max_lag_s=round(j.max_lag_s, 4))


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def _rounded(d: dict[str, float | None]) -> dict[str, float | None]:
    return {k: _round(v) for k, v in d.items()}


__all__ = ["SUMMARY_FILENAME", "SessionCore", "control_settings", "new_session_id",
           "prepare_out_dir", "session_directory"]
