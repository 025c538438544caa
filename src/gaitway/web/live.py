"""Live stations for the web layer: simulated stations run in-process, one loop thread each.

:class:`LiveStation` is the in-process :class:`~gaitway.web.host.StationHost` (the worker-process
and remote hosts build on it); it owns transport and operator actions, not the session.

Each :class:`LiveStation` runs one session core (:class:`gaitway.session.builder.SessionCore`,
the same station, patient, control, safety and recorder as every other entry point; paced at
1 kHz) in its own thread. Every ``decimation`` ticks the loop's ``on_tick`` hook publishes one
small frame (joint angles, references, forces, state, steps, participation) into a bounded
ring: the live bus. Each frame is JSON-encoded once when published and the stream readers are
woken; the loop never waits for a reader, so a slow browser costs dropped frames, never a late
tick. Operator actions (pause, resume, acknowledge) are queued and applied by the loop thread
itself; changes go through the control stack's validated change channel.

Every command passes the safety supervisor (paced: overruns judged on wall time); after a fault
the session holds the safe state, paused, until a therapist acknowledges the fault and resumes
(or stops). Settings changes asked for while a fault is held are refused (409 on the console):
they would otherwise take effect, unseen, when the session resumes. Pausing stops the session
clock: the phase plan and the training time freeze. Every session is recorded and, when it
ends, imported into the clinic store (:mod:`gaitway.web.live_record`). Everything here is
SIMULATED.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from gaitway.control.changes import ChangeRequest, validate
from gaitway.control.stack import ControlStack
from gaitway.errors import ConflictError, UserError
from gaitway.recording.folding import FoldedLog
from gaitway.safety.session import SessionSafety
from gaitway.session.builder import SessionCore, new_session_id, session_directory
from gaitway.session.clock import LoopClock
from gaitway.session.effort import StrideParticipation
from gaitway.session.replay import replay_session
from gaitway.session.state import SessionState, SessionStateMachine
from gaitway.session.summary import SessionSummary
from gaitway.station.channels import CONTROL_CHANNEL_NAMES, SAMPLE_INDEX
from gaitway.station.interface import Command, Sample
from gaitway.station.replay import ReplayStation
from gaitway.station.sim.twin import SimStation
from gaitway.web.live_record import Importer
from gaitway.web.screen_units import to_channel
from gaitway.web.setup import StationSetup

FRAME_RING: Final[int] = 512
EVENT_RING: Final[int] = 300
_RAD2DEG: Final[float] = 180.0 / math.pi
_JOINTS: Final[tuple[str, ...]] = (
    "hip_angle_left", "hip_angle_right", "knee_angle_left", "knee_angle_right",
)
_Q: Final[tuple[int, ...]] = tuple(SAMPLE_INDEX[n] for n in _JOINTS)
_REF: Final[tuple[int, ...]] = tuple(CONTROL_CHANNEL_NAMES.index(f"ref_{n}") for n in _JOINTS)
_GRF: Final[tuple[int, int]] = (SAMPLE_INDEX["grf_z_left"], SAMPLE_INDEX["grf_z_right"])
_GUID: Final[int] = CONTROL_CHANNEL_NAMES.index("guidance")
_BELT: Final[int] = CONTROL_CHANNEL_NAMES.index("cmd_belt_speed")
#: reactions that stop the station and raise an alert on the console
_STOP_REACTIONS: Final[frozenset[str]] = frozenset({"controlled_stop", "immediate_stop"})
#: an acknowledgement refused because the cause is still present is retried this long (s of
#: session time): a just-released emergency stop shows in the next sample
ACK_RETRY_S: Final[float] = 0.05
#: the interpreter's thread switch interval while stations run (see LiveService.start_all)
SWITCH_INTERVAL_S: Final[float] = 0.0002
#: how often safety entries are moved to the audit log (seconds)
AUDIT_EVERY_S: Final[float] = 0.5
LABEL: Final[str] = ("SIMULATED SESSION: virtual patient on the MuJoCo twin, run live from the "
                     "web console")


class _Ack:
    """An acknowledgement handed to the loop thread; the request thread waits for its answer."""

    def __init__(self, by: str) -> None:
        self.by = by
        self.done = threading.Event()
        self.error = ""
        self.cleared: list[str] = []
        self.retry_until = -1.0


class LiveStation:
    """One simulated station with its session thread, safety supervisor, live bus, event log
    and recording."""

    def __init__(self, setup: StationSetup, *, decimation: int = 20,
                 recordings_dir: Path | None = None,
                 overrun_bound_s: float | None = None) -> None:
        """``overrun_bound_s``: the safety supervisor's loop-overrun bound (wall time); None
        keeps the device's (a machine that is not real-time may need more)."""
        setup.session_settings(0)  # bad settings fail here, not in the loop thread
        self.setup = setup
        self.overrun_bound_s = overrun_bound_s
        self.decimation = decimation
        self.recordings_dir = recordings_dir
        self.importer: Importer | None = None
        self.frames: deque[dict[str, Any]] = deque(maxlen=FRAME_RING)
        self.encoded: deque[tuple[int, str]] = deque(maxlen=FRAME_RING)
        self.seq = 0
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENT_RING)
        self._log = FoldedLog(self.events)  # repeated warnings: one entry each, kept current
        #: active alerts (faults not yet acknowledged): kind, reaction, time, detail, text
        self.alerts: list[dict[str, Any]] = []
        #: fault and acknowledgement entries for the audit log, written off the loop thread
        self.audit_outbox: deque[tuple[str, str, dict[str, Any]]] = deque(maxlen=1000)
        self.strides: deque[dict[str, Any]] = deque(maxlen=20)
        self.state = "idle"
        self.session_t = 0.0
        self.elapsed_s = 0.0
        self.paused_s = 0.0
        #: sessions started since the setup's patient or course changed (see ``configure``)
        self.sessions_started = 0
        self.recording: str | None = None
        self.last_import: dict[str, Any] = {}
        #: wake-ups of the stream readers (replaced, never mutated: the loop thread iterates)
        self.listeners: tuple[Callable[[], None], ...] = ()
        self._thread: threading.Thread | None = None
        self._import_thread: threading.Thread | None = None
        self._clock: LoopClock | None = None
        self._core: SessionCore | None = None
        self._stack: ControlStack | None = None
        #: where the console's emergency stop is pressed: the twin, or the replay it watches
        self._station: SimStation | ReplayStation | None = None
        self._safety: SessionSafety | None = None
        self._actions: deque[tuple[str, str, Any]] = deque()
        self._lock = threading.Lock()
        self._closing = False
        self._hold = False  # holding the safe state after a fault (session paused by safety)
        self._wb = [0.0, 0.0]
        self._n_strides = 0
        self._shares = StrideParticipation()
        self._alert_id = 0
        self.last_result: dict[str, Any] = {}
        #: the last session's summary (what summary.json holds), set when the session ends
        self.last_summary: SessionSummary | None = None
        #: why the last session ended (also when it failed and has no summary)
        self.last_ended_by = ""

    # -- status -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        """Record (during a session) and log an event (from any thread)."""
        core = self._core
        if core is not None:
            core.event(time_s, kind, source, **details)  # which shows it to self.event
        else:
            self.event(time_s, kind, source, **details)

    def event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        """Every event of the session as it is recorded (the core's observer, any thread):
        logged; the session's state followed; safety stops raised as alerts."""
        self._log.add({"t": round(time_s, 3), "at": time.time(), "kind": kind,
                       "source": source, "details": details})
        if kind == "state" and "new" in details:
            self.state = str(details["new"])
        elif kind == "fault_detected" and details.get("reaction") in _STOP_REACTIONS:
            self._alert_id += 1
            alert = {"id": self._alert_id, "kind": details.get("fault"),
                     "reaction": details.get("reaction"), "t": round(time_s, 3),
                     "at": time.time(), "detail": details.get("detail", ""),
                     "safe_state_at_s": None}
            alert["text"] = (f"{alert['kind']}: {alert['reaction'].replace('_', ' ')} at "
                             f"{time_s:.1f} s ({alert['detail']})")
            self.alerts.append(alert)
            self.audit_outbox.append(("station.fault", "safety", {
                k: alert[k] for k in ("kind", "reaction", "t", "detail")}))
        elif kind == "safe_state_reached":
            for a in self.alerts:
                if a["safe_state_at_s"] is None:
                    a["safe_state_at_s"] = round(time_s, 3)
            self.audit_outbox.append(("station.safe_state", "safety",
                                      {"t": round(time_s, 3), **details}))

    def status(self) -> dict[str, Any]:
        """What the overview shows: the newest frame's numbers plus identity and alerts."""
        last = self.frames[-1] if self.frames else {}
        s = self.setup
        sup = self._safety.supervisor if self._safety is not None and self.running else None
        return {
            "id": s.station_id, "name": s.name, "patient": s.patient, "profile": s.profile,
            "simulated": s.simulated, "state": self.state, "running": self.running,
            "transport": "replay" if s.replay is not None else "twin",
            "elapsed_s": last.get("elapsed_s", 0.0) if self.running else self.elapsed_s,
            "paused_s": round(self.paused_s, 3),
            "steps": last.get("steps", self._n_strides),
            "guidance_pct": last.get("guidance_pct", s.guidance_pct),
            "bws_pct": last.get("bws_pct", s.bws_pct),
            "speed_kmh": last.get("speed_kmh", s.speed_kmh),
            "controller": last.get("controller", s.controller),
            "rom_scale": last.get("rom_scale", [s.hip_rom_scale, s.knee_rom_scale]),
            # each controller's own settings in use (None between sessions)
            "controller_settings": (
                _rounded(asdict(self._stack.controller_settings()))
                if self._stack is not None and self.running else None),
            "active_participation_pct": last.get("active_participation_pct", [None, None]),
            "symmetry_pct": last.get("symmetry_pct"),
            "weight_bearing_pct": last.get("weight_bearing_pct", [None, None]),
            "behind_s": last.get("behind_s", 0.0), "slips": last.get("slips", 0),
            "max_lag_s": last.get("max_lag_s", 0.0),
            "safety": {"state": sup.state.value if sup else "off",
                       "safe_state": bool(sup and sup.in_safe_state),
                       "holding": self._hold and self.running},
            "alerts": list(self.alerts),
            "therapists": sorted(s.therapists),
            "recording": self.recording,
            "last_import": dict(self.last_import),
        }

    def frames_after(self, seq: int) -> list[dict[str, Any]]:
        """Frames newer than ``seq`` (at most the ring's length), oldest first."""
        ring = self.frames
        out: list[dict[str, Any]] = []
        for i in range(len(ring) - 1, -1, -1):
            f = ring[i]
            if f["seq"] <= seq:
                break
            out.append(f)
        out.reverse()
        return out

    def encoded_after(self, seq: int) -> tuple[int, str]:
        """The frames newer than ``seq`` as one JSON array text and the newest frame's seq;
        each frame was encoded once, when it was published, for every reader."""
        ring = self.encoded
        parts: list[str] = []
        newest = seq
        for i in range(len(ring) - 1, -1, -1):
            n, text = ring[i]
            if n <= seq:
                break
            newest = max(newest, n)
            parts.append(text)
        if not parts:
            return seq, ""
        parts.reverse()
        return newest, "[" + ",".join(parts) + "]"

    def add_listener(self, wake: Callable[[], None]) -> None:
        self.listeners = (*self.listeners, wake)

    def remove_listener(self, wake: Callable[[], None]) -> None:
        self.listeners = tuple(w for w in self.listeners if w is not wake)

    # -- operator actions (request threads) ---------------------------------------------------
    def start(self, by: str) -> None:
        with self._lock:
            if self.running:
                raise UserError(f"station {self.setup.name} is already running a session; "
                                "stop it first")
            if self.alerts:
                raise UserError(f"station {self.setup.name} has unacknowledged alerts "
                                f"({'; '.join(a['text'] for a in self.alerts)}); acknowledge "
                                "them first")
            self.sessions_started += 1
            self._hold = False
            self.paused_s = 0.0
            self._event(0.0, "session_start", by, patient=self.setup.patient)
            self._thread = threading.Thread(
                target=self._run, name=f"live-{self.setup.station_id}", daemon=True)
            self.state = "starting"
            self._thread.start()

    def configure(self, setup: StationSetup) -> None:
        """Who trains on the station and with which settings from its next session on (a
        patient put on it, their prescription as it stands now); refused while a session
        runs. The last session's import finishes first, under the patient it trained. The
        station's session count starts again when the patient or their stored course changed
        (the setup then numbers the next session itself)."""
        setup.session_settings(0)  # bad settings fail here, not in the loop thread
        with self._lock:
            if self.running:
                raise UserError(f"station {self.setup.name} is running a session; stop it "
                                "before changing who trains or how")
            self.wait_import()
            old = self.setup
            if (setup.patient_id, setup.first_session_index) != (old.patient_id,
                                                                old.first_session_index):
                self.sessions_started = 0
            if setup.patient_id != old.patient_id:
                self.last_import = {}  # the last session was another patient's
            self.setup = setup

    def _require_running(self, what: str) -> None:
        if not self.running or self._stack is None:
            raise UserError(f"cannot {what}: station {self.setup.name} has no running session; "
                            "start one first")

    def pause(self, by: str) -> None:
        self._require_running("pause")
        if self.state == "paused":
            raise UserError("the session is already paused")
        self._actions.append(("pause", by, None))

    def resume(self, by: str) -> None:
        self._require_running("resume")
        if self._safety is not None and self._safety.latched:
            raise UserError("the station holds its safe state after a fault "
                            f"({'; '.join(a['text'] for a in self.alerts) or 'see the log'}); "
                            "acknowledge the fault first, then resume")
        if self.state != "paused":
            raise UserError(f"cannot resume: the session is {self.state}, not paused")
        self._actions.append(("resume", by, None))

    def stop(self, by: str) -> None:
        self._require_running("stop")
        self._event(self.session_t, "stop_requested", by)
        assert self._core is not None
        self._core.stop(by)

    def emergency_stop(self, by: str) -> None:
        """Press the station's emergency stop input. The safety supervisor detects it on the
        next tick and answers with its immediate stop (drives torque-free, belt stopped,
        harness holding); the console shows the fault once detected. The input is set
        first, and the press is logged on a thread of its own, so that neither the press nor
        its answer to the console waits for the log: recording an event takes the
        recording's lock, which the loop holds while it hands a block to the disk writer (up
        to the writer's stall limit when the disk does not keep up, hazard H25)."""
        station = self._station
        if station is not None and self.running:
            station.press_estop()
        t = self.session_t
        threading.Thread(target=self._log_estop, args=(t, by), name="estop-log",
                         daemon=True).start()

    def _log_estop(self, t: float, by: str) -> None:
        self._event(t, "emergency_stop_pressed", by)
        self.audit_outbox.append(("station.estop_pressed", by, {"t": round(t, 3)}))

    def acknowledge(self, by: str, timeout_s: float = 3.0) -> list[str]:
        """Acknowledge the station's faults. During a session this goes through the safety
        supervisor (refused, with its reason, before the safe state or while the cause is
        present); the console's emergency stop is released by the acknowledgement."""
        safety = self._safety
        if not self.running or safety is None or not safety.latched:
            if not self.alerts:
                raise UserError(f"station {self.setup.name} has no fault to acknowledge")
            cleared = [a["text"] for a in self.alerts]
            self.alerts.clear()
            self._event(self.session_t, "alerts_acknowledged", by, alerts=cleared)
            return cleared
        ack = _Ack(by)
        self._actions.append(("acknowledge", by, ack))
        if not ack.done.wait(timeout_s):
            raise UserError("the station did not answer the acknowledgement in time; try again")
        if ack.error:
            raise UserError(f"acknowledgement refused: {ack.error}")
        return ack.cleared

    def change(self, kind: str, value: Any, by: str, reason: str = "", *,
               confirmed: bool = False) -> None:
        """Submit a change through the control stack's validated channel.

        Refused (ConflictError, 409) while the station holds a fault's safe state: a change
        asked for then would take effect, unseen, when the session resumes; ask again after
        the acknowledgement. A large change from the set value (and any controller switch)
        needs ``confirmed``."""
        self._require_running(f"change {kind}")
        stack, safety = self._stack, self._safety
        assert stack is not None
        if self._hold or (safety is not None and safety.latched):
            faults = "; ".join(a["text"] for a in self.alerts) or "see the event log"
            raise ConflictError(
                f"station {self.setup.name} holds its safe state after a fault ({faults}): "
                f"{kind} cannot change now; acknowledge the fault and resume, then set it again")
        channel_kind, channel_value = to_channel(kind, value)
        req = validate(ChangeRequest(channel_kind, channel_value, requested_by=by,
                                     reason=reason))
        stack.check_change(req)  # refused outright before any confirmation is asked
        why = stack.changes.large_change(req)
        if why is not None and not confirmed:
            raise ConflictError(f"{why}; confirm it to apply it", confirmable=True)
        stack.changes.submit(req, self.session_t)

    # -- the loop thread ----------------------------------------------------------------------
    def _run(self) -> None:
        s = self.setup
        clock = LoopClock(paced=True, busy_wait_s=0.0, max_ticks=1000)
        self._clock = clock
        self._wb = [0.0, 0.0]
        self._n_strides = 0
        self._shares = StrideParticipation()
        self.strides.clear()
        tick = [0]
        dec = self.decimation
        actions = self._actions
        paused = SessionState.PAUSED
        core: SessionCore | None = None
        try:
            sid = new_session_id()
            directory = None
            if self.recordings_dir is not None:
                directory = session_directory(self.recordings_dir, sid, dt.datetime.now(dt.UTC))
            if s.replay is not None:  # the recorded session's settings, played back
                settings, choice = replay_session(s.replay)
            else:
                settings, choice = s.session_settings(self.sessions_started - 1), None
            label = LABEL if s.replay is None else replay_label(s.replay, s.simulated)
            core = SessionCore(settings, out_dir=directory, paced=True, session_id=sid,
                               patient=s.patient, station_name=s.name, label=label,
                               observer=self.event, overrun_bound_s=self.overrun_bound_s,
                               station_choice=choice)
            self.recording = str(directory) if directory is not None else None
            stack, safety, machine = core.stack, core.safety, core.machine
            station: SimStation | ReplayStation = (
                core.station if isinstance(core.station, ReplayStation) else core.twin)
            sup = safety.supervisor
            dt_s = station.dt
            core_stop = core.stop

            def on_tick(sample: Sample, cv: list[float], command: Command) -> None:
                tick[0] += 1
                if self._closing and not clock.stop_requested:
                    core_stop("the server (shutting down)")
                if sup.latched and not self._hold:
                    self._enter_hold(machine, stack, sample.time)
                elif self._hold and not sup.latched and machine.state is not paused:
                    self._hold = False  # the loop resumed the session after the acknowledgement
                if actions:
                    self._apply_actions(machine, stack, safety, station, sample.time)
                if machine.state is paused:
                    self.paused_s += dt_s
                if tick[0] % dec == 0:
                    self._publish(sample, cv, stack, machine, sup.state.value)

            self._core, self._stack, self._station, self._safety = core, stack, station, safety
            summary = core.run(clock=clock, on_tick=on_tick)
            self.last_summary = summary
            self.last_ended_by = summary.ended_by
            assert core.result is not None
            self.last_result = {"stopped": core.result.stopped, "reason": summary.ended_by,
                                "session_s": core.result.session_s,
                                "paused_s": core.result.paused_s,
                                "summary": core.result.summary}
        except Exception as exc:  # a crash must show on the console, not vanish in a thread
            self._raise_alert("session_failed", str(exc))
            self.event(self.session_t, "fault", "session", error=str(exc))
            self.last_ended_by = f"session failed: {exc}"
        finally:
            self.elapsed_s = max(self.session_t - self.paused_s, 0.0)
            self.state = "finished"
            self._core = None
            self._stack = None
            self._station = None
            if core is not None and core.directory is not None:
                self._start_import(core.directory)

    def _raise_alert(self, kind: str, detail: str) -> None:
        self._alert_id += 1
        self.alerts.append({"id": self._alert_id, "kind": kind, "reaction": "session ended",
                            "t": round(self.session_t, 3), "at": time.time(), "detail": detail,
                            "safe_state_at_s": None, "text": f"{kind}: {detail}"})
        self.audit_outbox.append((f"station.{kind}", "session", {"detail": detail}))

    def _start_import(self, directory: Path) -> None:
        """Import the finished session into the clinic store, off the loop thread."""
        importer = self.importer
        if importer is None:
            return

        def work() -> None:
            try:
                sid = importer(directory, self.setup.patient)
                self.last_import = {"session_id": sid, "directory": str(directory),
                                    "ok": True}
                self._event(self.session_t, "session_imported", "clinic", session_id=sid)
            except Exception as exc:  # shown on the console; the directory stays for a retry
                self.last_import = {"directory": str(directory), "ok": False,
                                    "error": str(exc)}
                self._raise_alert("import_failed", f"{directory.name}: {exc}")

        self._import_thread = threading.Thread(target=work, daemon=True,
                                               name=f"import-{self.setup.station_id}")
        self._import_thread.start()

    def start_soon(self, by: str) -> None:
        """Start as the server starts (a worker-process station does not wait)."""
        self.start(by)

    def begin_close(self) -> None:
        """Ask the session to end (the server is shutting down)."""
        self._closing = True

    def finish_close(self, timeout_s: float) -> None:
        """Wait for the session's end and its import into the clinic store."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.wait_import(timeout_s * 6)

    def wait_import(self, timeout_s: float = 60.0) -> None:
        if self._import_thread is not None:
            self._import_thread.join(timeout_s)

    def _state_event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        self.state = str(details.get("new", self.state))
        self._event(time_s, kind, source, **details)

    def _enter_hold(self, machine: SessionStateMachine, stack: ControlStack, t: float) -> None:
        """A fault latched: freeze the session (paused by safety); the supervisor drives the
        stop, and after the acknowledgement the loop restarts from its safe start (full
        guidance ramped back, belt ramped up, brake released)."""
        self._hold = True
        if machine.state not in (SessionState.PAUSED, SessionState.SETUP,
                                 SessionState.FINISHED):
            machine.pause(t, source="safety", reason="fault: holding the safe state")
        stack.walking = False

    def _apply_actions(self, machine: SessionStateMachine, stack: ControlStack,
                       safety: SessionSafety, station: SimStation | ReplayStation,
                       t: float) -> None:
        retry: list[tuple[str, str, Any]] = []
        while self._actions:
            what, by, payload = self._actions.popleft()
            try:
                if what == "pause":
                    machine.pause(t, source=by)
                    stack.walking = False
                    self._event(t, "session_paused", by, training_clock_s=round(
                        t - self.paused_s, 3))
                elif what == "resume":
                    if safety.latched:
                        raise UserError("a fault is latched; acknowledge it first")
                    machine.resume(t, source=by)
                    stack.walking = machine.walking
                    if machine.walking:
                        stack.resume_at_full_guidance(t)
                    self._event(t, "session_resumed", by, paused_s=round(self.paused_s, 3))
                    self._hold = False
                elif what == "acknowledge" and not self._acknowledge(payload, safety, station,
                                                                      t):
                    retry.append((what, by, payload))
            except UserError as exc:
                self._event(t, "action_refused", by, action=what, reason=str(exc))
        self._actions.extend(retry)

    def _acknowledge(self, ack: _Ack, safety: SessionSafety,
                     station: SimStation | ReplayStation, t: float) -> bool:
        """Try the supervisor's acknowledgement; False: try again next tick (an e-stop just
        released shows in the next sample)."""
        if ack.retry_until < 0.0:
            ack.retry_until = t + ACK_RETRY_S
            if station.estop_pressed:
                station.estop_pressed = False  # the console's e-stop is released by the ack
                self._event(t, "emergency_stop_released", ack.by)
                return False
        answer = safety.acknowledge(ack.by, t)
        why = "" if answer.accepted else answer.reason
        if why:
            if "still present" in why and t < ack.retry_until:
                return False
            ack.error = why
            self._event(t, "acknowledgement_refused", ack.by, reason=why)
            self.audit_outbox.append(("station.acknowledge_refused", ack.by,
                                      {"reason": why, "t": round(t, 3)}))
        else:
            ack.cleared = [a["text"] for a in self.alerts]
            self.audit_outbox.append(("station.fault_acknowledged", ack.by, {
                "faults": [a["kind"] for a in self.alerts], "t": round(t, 3)}))
            self.alerts.clear()
            safety.record()
        ack.done.set()
        return True

    def _publish(self, sample: Sample, cv: list[float], stack: ControlStack,
                 machine: SessionStateMachine, safety_state: str) -> None:
        v = sample.values
        t = float(v[0])
        self.session_t = t
        gl, gr = float(v[_GRF[0]]), float(v[_GRF[1]])
        wb = self._wb
        wb[0] += 0.05 * (gl - wb[0])
        wb[1] += 0.05 * (gr - wb[1])
        recs = stack.strides
        if len(recs) != self._n_strides:
            core = self._core
            work = core.effort.patient_positive_work_j if core is not None else None
            for r in recs[self._n_strides:]:
                share = self._shares.close(r, work) if work is not None else None
                self.strides.append({
                    "t": round(r.time_s, 2), "side": r.side, "duration_s": round(r.duration_s, 3),
                    "tracking_error_deg": [round(e * _RAD2DEG, 2) for e in
                                           r.tracking_error_rms_rad],
                    "participation_nm": [round(p, 2) for p in r.participation_nm],
                    "active_participation_pct": None if share is None else round(share, 1),
                })
            self._n_strides = len(recs)
        last = {"left": None, "right": None}  # type: dict[str, dict[str, Any] | None]
        for st in reversed(self.strides):
            if last[st["side"]] is None:
                last[st["side"]] = st
        # each leg's last stride: the summary's active participation (docs/metrics.md)
        eff = [x["active_participation_pct"] if x else None for x in (last["left"], last["right"])]
        sym = None
        if last["left"] and last["right"]:
            a, b = last["left"]["duration_s"], last["right"]["duration_s"]
            sym = round(200.0 * (a - b) / (a + b), 1) if a + b > 0 else None
        tot = wb[0] + wb[1]
        frame = {
            "seq": self.seq + 1, "ts": time.time(), "t": round(t, 3),
            "elapsed_s": round(t - self.paused_s, 3),
            "q": [round(float(v[i]) * _RAD2DEG, 2) for i in _Q],
            "ref": [round(cv[i] * _RAD2DEG, 2) for i in _REF],
            "grf": [round(gl, 1), round(gr, 1)],
            "state": machine.state.value, "steps": len(recs),
            "guidance_pct": round(cv[_GUID] * 100.0, 1),
            "bws_pct": round(stack.bws.fraction * 100.0, 1),
            "speed_kmh": round(cv[_BELT] * 3.6, 2),
            "controller": stack.controller_name,
            # the range of motion the reference walks now (a change applies at a stride's end)
            "rom_scale": [round(stack.bank.rom.hip.scale, 2), round(stack.bank.rom.knee.scale, 2)],
            "active_participation_pct": eff, "symmetry_pct": sym,
            "weight_bearing_pct": ([round(100 * wb[0] / tot, 1), round(100 * wb[1] / tot, 1)]
                                   if tot > 50.0 else [None, None]),
            "safety": safety_state, "alerts": len(self.alerts),
        }
        clock = self._clock
        if clock is not None:  # a busy host: simulated time fell behind wall time, by this
            frame["behind_s"], frame["slips"] = round(clock.behind_s, 2), clock.slips
            frame["max_lag_s"] = round(clock.max_lag_s, 3)
        self._push(frame)

    def _push(self, frame: dict[str, Any]) -> None:
        """Add a frame to the live bus: encoded once here for every reader, then readers are
        woken (they never poll)."""
        self.encoded.append((frame["seq"], json.dumps(frame, separators=(",", ":"))))
        self.frames.append(frame)
        self.seq = frame["seq"]
        for wake in self.listeners:
            wake()


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in values.items()}


def replay_label(path: Path, simulated: bool) -> str:
    """What a replayed session's recording says it is: a playback, of what."""
    what = "SIMULATED session" if simulated else "recorded session"
    return f"REPLAY of the {what} {path.name}, run live from the console"


def demo_setups(n: int = 3, *, minutes: float = 30.0,
                therapists: Callable[[int], set[str]] | None = None) -> list[StationSetup]:
    """``n`` simulated stations with virtual patients of different profiles (SIMULATED)."""
    profiles = ("hemiparetic-left-moderate", "hemiparetic-right-mild", "sci-incomplete",
                "hemiparetic-left-severe", "hemiparetic-right-moderate")
    out = []
    for i in range(n):
        out.append(StationSetup(
            station_id=f"sim-{i + 1}", name=f"Simulated station {i + 1}",
            profile=profiles[i % len(profiles)], patient=f"SIM-LIVE-{i + 1:02d}",
            seed=100 + i, minutes=minutes, guidance_pct=(80.0, 80.0, 90.0)[i % 3],
            bws_pct=(30.0, 30.0, 40.0)[i % 3], speed_kmh=(1.8, 1.8, 1.5)[i % 3],
            therapists=therapists(i) if therapists else set(),
        ))
    return out


class RemoteStation(LiveStation):
    """A station whose loop runs in another process or on another computer and pushes its
    frames to this server (``POST /api/remote/{id}/frames``). It is watched here, and
    controlled at its own computer: control commands are refused with a clear error."""

    #: how often (s) a pushing station's therapist assignments are read from the store again
    ASSIGNMENTS_EVERY_S: Final[float] = 10.0

    def __init__(self, setup: StationSetup) -> None:
        super().__init__(setup)
        self.last_push = 0.0
        self.state = "connected"
        self._assignments_at = -math.inf

    def assignments_due(self) -> bool:
        """Whether to read who is assigned to this station again (first push, then now
        and then, so that a therapist assigned while it runs sees it within seconds)."""
        return time.monotonic() - self._assignments_at >= self.ASSIGNMENTS_EVERY_S

    def assignments_checked(self) -> None:
        self._assignments_at = time.monotonic()

    @property
    def running(self) -> bool:
        return time.monotonic() - self.last_push < 2.0

    def ingest(self, frames: list[dict[str, Any]]) -> int:
        """Add pushed frames to the live bus, stamped with their arrival time."""
        now = time.time()
        for f in frames:
            self._push(f | {"seq": self.seq + 1, "ts": now})
            self.session_t = float(f.get("t", self.session_t))
            self.elapsed_s = float(f.get("elapsed_s", self.elapsed_s))
            self.state = str(f.get("state", self.state))
        self.last_push = time.monotonic()
        return len(frames)

    def _refuse(self, what: str) -> None:
        raise UserError(f"cannot {what} station {self.setup.name} from here: it runs on "
                        "another computer; use its own controls")

    def configure(self, setup: StationSetup) -> None:
        self._refuse("set up the next session of")

    def start(self, by: str) -> None:
        self._refuse("start")

    def pause(self, by: str) -> None:
        self._refuse("pause")

    def resume(self, by: str) -> None:
        self._refuse("resume")

    def stop(self, by: str) -> None:
        self._refuse("stop")

    def emergency_stop(self, by: str) -> None:
        self._refuse("emergency-stop (press the station's own button)")

    def change(self, kind: str, value: Any, by: str, reason: str = "", *,
               confirmed: bool = False) -> None:
        self._refuse(f"change {kind} on")
