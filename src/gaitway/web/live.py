"""Live stations for the web layer: simulated stations run in-process, one loop thread each.

Each :class:`LiveStation` runs the session loop (:func:`gaitway.session.loop.run_loop`, paced at
1 kHz) in its own thread. Every ``decimation`` ticks the loop's ``on_tick`` hook publishes one
small frame (joint angles, references, forces, state, steps, participation) into a bounded
ring: the live bus. Readers (WebSocket streams) copy frames out of the ring; the loop never
waits for a reader, so a slow browser costs dropped frames, never a late tick. Operator actions
(pause, resume) are queued and applied by the loop thread itself; changes go through the control
stack's validated change channel. Everything here is SIMULATED and says so.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from gaitway.control.changes import ChangeKind, ChangeRequest
from gaitway.control.reference import JointRom, RomSettings
from gaitway.control.stack import ControlSettings, ControlStack
from gaitway.errors import UserError
from gaitway.session.clock import LoopClock
from gaitway.session.loop import PhasePlan, run_loop
from gaitway.session.state import SessionStateMachine
from gaitway.station.channels import CONTROL_CHANNEL_NAMES, SAMPLE_INDEX
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

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
#: participation shown as a 0-100 effort bar: 0 N*m -> 50, +10 N*m (patient leads) -> 100
EFFORT_NM_FULL_SCALE: Final[float] = 10.0


def effort_pct(participation_nm: float | None) -> float | None:
    """Map mean cuff torque (N*m, + when the patient leads) to a 0-100 biofeedback bar."""
    if participation_nm is None or not math.isfinite(participation_nm):
        return None
    return max(0.0, min(100.0, 50.0 + 50.0 * participation_nm / EFFORT_NM_FULL_SCALE))


@dataclass
class StationSetup:
    """Who trains on a station and how the session starts (from the prescription)."""

    station_id: str
    name: str
    profile: str
    patient: str
    seed: int
    minutes: float = 30.0
    guidance_pct: float = 80.0
    bws_pct: float = 30.0
    speed_kmh: float = 1.8
    controller: str = "guidance"
    therapists: set[str] = field(default_factory=set)
    patient_id: int | None = None
    simulated: bool = True


class LiveStation:
    """One simulated station with its session thread, live bus and event log."""

    def __init__(self, setup: StationSetup, *, decimation: int = 20) -> None:
        get_profile(setup.profile)
        self.setup = setup
        self.decimation = decimation
        self.frames: deque[dict[str, Any]] = deque(maxlen=FRAME_RING)
        self.seq = 0
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENT_RING)
        self.alerts: list[str] = []
        self.strides: deque[dict[str, Any]] = deque(maxlen=20)
        self.state = "idle"
        self.session_t = 0.0
        self.sessions_started = 0
        self._thread: threading.Thread | None = None
        self._clock: LoopClock | None = None
        self._stack: ControlStack | None = None
        self._station: SimStation | None = None
        self._actions: deque[tuple[str, str]] = deque()
        self._lock = threading.Lock()
        self._closing = False
        self._wb = [0.0, 0.0]
        self._n_strides = 0
        self.last_result: dict[str, Any] = {}

    # -- status -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        self.events.append({"t": round(time_s, 3), "at": time.time(), "kind": kind,
                            "source": source, "details": details})

    def status(self) -> dict[str, Any]:
        """What the overview shows: the newest frame's numbers plus identity and alerts."""
        last = self.frames[-1] if self.frames else {}
        s = self.setup
        return {
            "id": s.station_id, "name": s.name, "patient": s.patient, "profile": s.profile,
            "simulated": s.simulated, "state": self.state, "running": self.running,
            "elapsed_s": last.get("t", 0.0) if self.running else self.session_t,
            "steps": last.get("steps", self._n_strides),
            "guidance_pct": last.get("guidance_pct", s.guidance_pct),
            "bws_pct": last.get("bws_pct", s.bws_pct),
            "speed_kmh": last.get("speed_kmh", s.speed_kmh),
            "controller": last.get("controller", s.controller),
            "effort_pct": last.get("effort_pct", [None, None]),
            "symmetry_pct": last.get("symmetry_pct"),
            "weight_bearing_pct": last.get("weight_bearing_pct", [None, None]),
            "alerts": list(self.alerts),
            "therapists": sorted(s.therapists),
        }

    def frames_after(self, seq: int) -> list[dict[str, Any]]:
        """Frames newer than ``seq`` (at most the ring's length), oldest first."""
        n = min(self.seq - seq, len(self.frames))
        if n <= 0:
            return []
        ring = self.frames
        k = len(ring)
        return [ring[i] for i in range(k - n, k)]

    # -- operator actions (request threads) ---------------------------------------------------
    def start(self, by: str) -> None:
        with self._lock:
            if self.running:
                raise UserError(f"station {self.setup.name} is already running a session; "
                                "stop it first")
            if self.alerts:
                raise UserError(f"station {self.setup.name} has unacknowledged alerts "
                                f"({'; '.join(self.alerts)}); acknowledge them first")
            self.sessions_started += 1
            self._event(0.0, "session_start", by, patient=self.setup.patient)
            self._thread = threading.Thread(
                target=self._run, name=f"live-{self.setup.station_id}", daemon=True)
            self.state = "starting"
            self._thread.start()

    def _require_running(self, what: str) -> None:
        if not self.running or self._stack is None:
            raise UserError(f"cannot {what}: station {self.setup.name} has no running session; "
                            "start one first")

    def pause(self, by: str) -> None:
        self._require_running("pause")
        if self.state == "paused":
            raise UserError("the session is already paused")
        self._actions.append(("pause", by))

    def resume(self, by: str) -> None:
        self._require_running("resume")
        if self.state != "paused":
            raise UserError(f"cannot resume: the session is {self.state}, not paused")
        self._actions.append(("resume", by))

    def stop(self, by: str) -> None:
        self._require_running("stop")
        self._event(self.session_t, "stop_requested", by)
        assert self._clock is not None
        self._clock.stop_requested = True

    def emergency_stop(self, by: str) -> None:
        """Press the station's emergency stop (the safety supervisor takes this over once it
        lands); the loop ends on the next tick and the station drives every output safe."""
        self._event(self.session_t, "emergency_stop", by)
        if self._station is not None and self.running:
            self._station.press_estop()
        self.alerts.append(f"emergency stop pressed by {by}")

    def acknowledge(self, by: str) -> list[str]:
        cleared = list(self.alerts)
        self.alerts.clear()
        self._event(self.session_t, "alerts_acknowledged", by, alerts=cleared)
        return cleared

    def change(self, kind: str, value: Any, by: str, reason: str = "") -> None:
        """Submit a change through the control stack's validated channel."""
        self._require_running(f"change {kind}")
        assert self._stack is not None
        req = ChangeRequest(_KINDS[kind], _to_si(kind, value), requested_by=by, reason=reason)
        self._stack.changes.submit(req, self.session_t)

    # -- the loop thread ----------------------------------------------------------------------
    def _run(self) -> None:
        s = self.setup
        profile = get_profile(s.profile)
        patient = VirtualPatient(profile, seed=s.seed, session_index=self.sessions_started)
        station = SimStation(patient, seed=s.seed + self.sessions_started)
        stack = ControlStack(
            ControlSettings(controller=s.controller, guidance=s.guidance_pct / 100.0,
                            bws_fraction=s.bws_pct / 100.0, speed_m_s=s.speed_kmh / 3.6),
            height_m=profile.height_m, body_mass_kg=profile.mass_kg, sink=self._event,
        )
        machine = SessionStateMachine(sink=self._state_event)
        clock = LoopClock(paced=True, busy_wait_s=0.0, max_ticks=1000)
        self._wb = [0.0, 0.0]
        self._n_strides = 0
        self.strides.clear()
        tick = [0]
        dec = self.decimation
        actions = self._actions

        def on_tick(sample: Sample, cv: list[float], command: Command) -> None:
            tick[0] += 1
            if self._closing:
                clock.stop_requested = True
            if actions:
                self._apply_actions(machine, stack, sample.time)
            if tick[0] % dec == 0:
                self._publish(sample, cv, stack, machine)

        self._clock, self._stack, self._station = clock, stack, station
        try:
            with station:
                result = run_loop(station, stack, PhasePlan.for_minutes(s.minutes), clock=clock,
                                  state=machine, on_tick=on_tick,
                                  first_sample=station.last_sample)
            self.last_result = {"stopped": result.stopped, "reason": result.stop_reason,
                                "session_s": result.session_s, "summary": result.summary}
            if result.stop_reason == "patient stop button":
                self.alerts.append("patient pressed the stop button")
            self._event(result.session_s, "session_end", "session",
                        reason=result.stop_reason or "finished")
        except Exception as exc:  # a crash must show on the console, not vanish in a thread
            self.alerts.append(f"session failed: {exc}")
            self._event(self.session_t, "fault", "session", error=str(exc))
        finally:
            self.state = "finished"
            self._stack = None
            self._station = None

    def _state_event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        self.state = str(details.get("new", self.state))
        self._event(time_s, kind, source, **details)

    def _apply_actions(self, machine: SessionStateMachine, stack: ControlStack,
                       t: float) -> None:
        while self._actions:
            what, by = self._actions.popleft()
            try:
                if what == "pause":
                    machine.pause(t, source=by)
                    stack.walking = False
                elif what == "resume":
                    machine.resume(t, source=by)
                    stack.walking = machine.walking
            except UserError as exc:
                self._event(t, "action_refused", by, action=what, reason=str(exc))

    def _publish(self, sample: Sample, cv: list[float], stack: ControlStack,
                 machine: SessionStateMachine) -> None:
        v = sample.values
        t = float(v[0])
        self.session_t = t
        gl, gr = float(v[_GRF[0]]), float(v[_GRF[1]])
        wb = self._wb
        wb[0] += 0.05 * (gl - wb[0])
        wb[1] += 0.05 * (gr - wb[1])
        recs = stack.strides
        if len(recs) != self._n_strides:
            for r in recs[self._n_strides:]:
                self.strides.append({
                    "t": round(r.time_s, 2), "side": r.side, "duration_s": round(r.duration_s, 3),
                    "tracking_error_deg": [round(e * _RAD2DEG, 2) for e in
                                           r.tracking_error_rms_rad],
                    "participation_nm": [round(p, 2) for p in r.participation_nm],
                })
            self._n_strides = len(recs)
        last = {"left": None, "right": None}  # type: dict[str, dict[str, Any] | None]
        for st in reversed(self.strides):
            if last[st["side"]] is None:
                last[st["side"]] = st
        eff = [effort_pct(sum(x["participation_nm"]) / 2) if x else None
               for x in (last["left"], last["right"])]
        sym = None
        if last["left"] and last["right"]:
            a, b = last["left"]["duration_s"], last["right"]["duration_s"]
            sym = round(200.0 * (a - b) / (a + b), 1) if a + b > 0 else None
        tot = wb[0] + wb[1]
        self.seq += 1
        self.frames.append({
            "seq": self.seq, "ts": time.time(), "t": round(t, 3),
            "q": [round(float(v[i]) * _RAD2DEG, 2) for i in _Q],
            "ref": [round(cv[i] * _RAD2DEG, 2) for i in _REF],
            "grf": [round(gl, 1), round(gr, 1)],
            "state": machine.state.value, "steps": len(recs),
            "guidance_pct": round(cv[_GUID] * 100.0, 1),
            "bws_pct": round(stack.bws.fraction * 100.0, 1),
            "speed_kmh": round(cv[_BELT] * 3.6, 2),
            "controller": stack.controller_name,
            "effort_pct": eff, "symmetry_pct": sym,
            "weight_bearing_pct": ([round(100 * wb[0] / tot, 1), round(100 * wb[1] / tot, 1)]
                                   if tot > 50.0 else [None, None]),
        })


_KINDS: Final[dict[str, ChangeKind]] = {
    "guidance": ChangeKind.GUIDANCE, "bws": ChangeKind.BWS, "speed": ChangeKind.SPEED,
    "controller": ChangeKind.CONTROLLER, "rom": ChangeKind.ROM,
}
CHANGE_KINDS: Final[tuple[str, ...]] = tuple(_KINDS)


def _to_si(kind: str, value: Any) -> Any:
    """Screen units (percent, km/h, ROM scale) to what the change channel takes."""
    if kind in ("guidance", "bws"):
        return float(value) / 100.0
    if kind == "speed":
        return float(value) / 3.6
    if kind == "rom":
        hip, knee = value
        return RomSettings(hip=JointRom(scale=float(hip)), knee=JointRom(scale=float(knee)))
    return value


class LiveService:
    """All stations this server shows, by id."""

    def __init__(self, setups: list[StationSetup], *, decimation: int = 20) -> None:
        self.stations: dict[str, LiveStation] = {
            s.station_id: LiveStation(s, decimation=decimation) for s in setups
        }

    def get(self, station_id: str) -> LiveStation:
        try:
            return self.stations[station_id]
        except KeyError:
            raise UserError(f"no station {station_id!r}; known: "
                            + ", ".join(self.stations)) from None

    def remote(self, station_id: str) -> RemoteStation:
        """The remote station ``station_id``, registered on its first push."""
        st = self.stations.get(station_id)
        if st is None:
            st = RemoteStation(StationSetup(station_id=station_id, name=f"Remote {station_id}",
                                            profile="healthy", patient="(remote)", seed=0))
            self.stations[station_id] = st
        if not isinstance(st, RemoteStation):
            raise UserError(f"station {station_id!r} runs in this server; it cannot be pushed to")
        return st

    def start_all(self, by: str) -> None:
        # Loop threads that run behind real time hold the GIL for the default 5 ms each; a
        # 1 ms switch interval lets the server's event loop in sooner (screen latency).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        for st in self.stations.values():
            if not st.running and not isinstance(st, RemoteStation):
                st.start(by)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        for st in self.stations.values():
            st._closing = True
        for st in self.stations.values():
            if st._thread is not None:
                st._thread.join(timeout_s)


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

    def __init__(self, setup: StationSetup) -> None:
        super().__init__(setup)
        self.last_push = 0.0
        self.state = "connected"

    @property
    def running(self) -> bool:
        return time.monotonic() - self.last_push < 2.0

    def ingest(self, frames: list[dict[str, Any]]) -> int:
        """Add pushed frames to the live bus, stamped with their arrival time."""
        now = time.time()
        for f in frames:
            self.seq += 1
            self.frames.append(f | {"seq": self.seq, "ts": now})
            self.session_t = float(f.get("t", self.session_t))
            self.state = str(f.get("state", self.state))
        self.last_push = time.monotonic()
        return len(frames)

    def _refuse(self, what: str) -> None:
        raise UserError(f"cannot {what} station {self.setup.name} from here: it runs on "
                        "another computer; use its own controls")

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

    def change(self, kind: str, value: Any, by: str, reason: str = "") -> None:
        self._refuse(f"change {kind} on")
