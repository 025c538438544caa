"""The fault matrix: every injectable fault on three virtual patients, through the real runner.

Each session walks, meets its fault at INJECT_AT_S, and must: detect it within its goal, react
as the fault table says, reach the safe state (an immediate stop within 100 ms), keep every
joint inside its hard range after detection, never drop the patient, and leave a recording
that holds the fault and everything before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaitway.recording import RECORDING_FILENAME, open_recording
from gaitway.safety.faults import FAULTS, FaultKind, Reaction
from gaitway.safety.limits import DeviceLimits, SafetyLimits, StopLimits
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SessionSummary
from gaitway.station.sim.profiles import get_profile

PROFILES = ("healthy", "hemiparetic-left-moderate", "sci-incomplete")
INJECT_AT_S = 3.5
SESSION_S = 6.0
DT = 0.001
#: injections whose soft limit holds the fault: limit and warn, no stop
EXPECT_WARN = {FaultKind.DRIVE_TORQUE}
IMMEDIATE_SAFE_S = 0.100  # goal: drives torque-free within 100 ms of detection
#: ... and the belt braked to standstill: its speed at detection over the braking deceleration
BRAKE_DECEL = DeviceLimits().belt_brake_decel
#: injections that tamper with the readings the immediate stop's safe state is checked on
TAMPERED_HARNESS = {FaultKind.NON_FINITE, FaultKind.HARNESS_SLACK, FaultKind.HARNESS_OVERLOAD,
                    FaultKind.FALL}
CONTROLLED_SAFE_S = 3.0  # belt 0.56 m/s at 0.5 m/s^2 plus settling


def _run(tmp_path: Path, profile: str, kind: FaultKind) -> tuple[SessionSummary, Any]:
    cfg = SessionSettings(profile=profile, minutes=SESSION_S / 60.0, seed=7,
                          patient_events=False, injections=(f"{kind}@{INJECT_AT_S}",))
    summary = run_session(cfg, tmp_path / "s")
    rec = open_recording(tmp_path / "s" / RECORDING_FILENAME)
    return summary, rec


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", list(FaultKind), ids=str)
def test_fault_is_detected_and_handled(tmp_path: Path, profile: str, kind: FaultKind) -> None:
    summary, rec = _run(tmp_path, profile, kind)
    injected = summary.injected_at_s[str(kind)]
    assert abs(injected - INJECT_AT_S) < 0.01
    faults = summary.faults
    # nothing stopped the session before the injection
    early = [f for f in faults if f["reaction"] != "warn" and f["detected_at_s"] < injected]
    assert early == [], early
    mine = [f for f in faults if f["kind"] == str(kind) and f["detected_at_s"] >= injected]
    assert mine, f"{kind} was not detected: {faults}"
    expected = Reaction.WARN if kind in EXPECT_WARN else FAULTS[kind].reaction
    # the record that carries the expected reaction (a soft warning may come first)
    first = next((f for f in mine if f["reaction"] == expected.label), mine[0])
    assert first["injected_at_s"] == pytest.approx(injected)
    ts = rec.read()
    spec = FAULTS[kind]
    latency = first["detected_at_s"] - injected
    if kind is FaultKind.JOINT_RANGE:  # measured from the tick the hard range was crossed
        hard_hi = SafetyLimits.for_patient(70.0).patient.knee_rom.hard_hi
        after = (ts.time >= injected) & (ts["knee_angle_left"] > hard_hi)
        latency = first["detected_at_s"] - float(ts.time[after][0])
        assert latency <= 2 * DT + 1e-9
    else:
        assert latency <= spec.max_detection_s + 1e-9, (latency, spec.max_detection_s)
    assert first["reaction"] == expected.label
    safety = summary.safety
    if expected is Reaction.WARN:
        assert first["safe_state_at_s"] is None
    else:
        assert safety.ended_by_fault
        assert safety.safe_state_reached
        assert summary.ended_by.startswith("fault: ")
        to_safe = first["safe_state_at_s"] - first["detected_at_s"]
        if expected is Reaction.IMMEDIATE_STOP:
            free = first["torque_free_at_s"] - first["detected_at_s"]
            assert 0.0 <= free <= IMMEDIATE_SAFE_S, free
            # the belt when the fault was detected (the right one: the left may be faulty)
            v0 = float(ts["belt_speed_right"][ts.time <= first["detected_at_s"]][-1])
            limit = IMMEDIATE_SAFE_S + max(v0, 0.0) / BRAKE_DECEL
        else:
            limit = CONTROLLED_SAFE_S
        assert 0.0 <= to_safe <= limit, (to_safe, limit)
        # the safe state holds: drives torque-free or limited, belt commanded to stop
        safe_t = first["safe_state_at_s"]
        held = ts.time > safe_t + 0.002
        assert np.all(ts["cmd_belt_speed"][held] <= 1e-9)
        if expected is Reaction.IMMEDIATE_STOP:
            for j in ("hip", "knee"):
                for s in ("left", "right"):
                    assert np.all(ts[f"cmd_{j}_torque_{s}"][held] == 0.0)
            if kind is not FaultKind.COMMUNICATION_LOSS:  # (readings frozen: not observable)
                _check_immediate_safe_state(ts, held, kind)
    # from the injection on (a lost link freezes the recorded clock before the detection)
    end = (first["safe_state_at_s"] + 0.3 if first["safe_state_at_s"] is not None
           else first["detected_at_s"] + 1.0)
    _check_patient_safe(ts, min(first["detected_at_s"], injected - 0.0015), end, profile)
    _check_recording(rec, ts, kind, first)


def _check_immediate_safe_state(ts: Any, held: Any, kind: FaultKind) -> None:
    """Drives torque-free, belt stopped, harness holding: measured, not only commanded."""
    stop = StopLimits()
    for j in ("hip", "knee"):
        for s in ("left", "right"):
            assert np.all(np.abs(ts[f"{j}_torque_{s}"][held]) < stop.torque_free)
    noise = 0.01  # the belt encoders' noise is 2 mm/s (1 SD)
    assert np.all(np.abs(ts["belt_speed_right"][held]) <= stop.rest_belt_speed + noise)
    if kind is not FaultKind.BELT_MISMATCH:
        assert np.all(np.abs(ts["belt_speed_left"][held]) <= stop.rest_belt_speed + noise)
    if kind not in TAMPERED_HARNESS:
        h = ts["harness_force"][held]
        assert np.all(h >= 0.5 * ts["cmd_harness_force"][held])


def _check_patient_safe(ts: Any, detected: float, end: float, profile: str) -> None:
    """From detection to the end of the safe stop (a warning: its next second)."""
    limits = SafetyLimits.for_patient(get_profile(profile).mass_kg).patient
    after = (ts.time >= detected) & (ts.time <= end)
    for joint, rom in (("hip", limits.hip_rom), ("knee", limits.knee_rom)):
        for side in ("left", "right"):
            q = ts[f"truth_{joint}_angle_{side}"][after]  # the patient's own joint
            assert np.all(q <= rom.hard_hi), (joint, side, q.max())
            assert np.all(q >= rom.hard_lo), (joint, side, q.min())
    # never dropped: the harness keeps its command and the pelvis does not sink
    weight = limits.weight_n
    before = (ts.time > 2.0) & (ts.time < detected)
    hcmd = ts["cmd_harness_force"]
    assert np.all(hcmd[after] >= 0.0)
    assert np.all(hcmd[after] <= weight)
    # the harness holds at least half its usual support through the end of the stop
    assert np.all(hcmd[after][-50:] >= 0.5 * np.median(hcmd[before]))
    assert ts["pelvis_height"][after].min() >= ts["pelvis_height"][before].min() - 0.05


def _check_recording(rec: Any, ts: Any, kind: FaultKind, first: dict[str, Any]) -> None:
    assert rec.complete
    assert ts.time[0] <= 2 * DT  # everything from the start
    gaps = np.diff(ts.time)
    allowed = 5.5 * DT if kind is FaultKind.MISSED_TICKS else 1.5 * DT
    frozen_ok = kind is FaultKind.COMMUNICATION_LOSS
    assert np.all(gaps <= allowed)
    assert (frozen_ok or np.all(gaps > 0.5 * DT))
    if first["safe_state_at_s"] is not None and not frozen_ok:
        assert ts.time[-1] >= first["safe_state_at_s"] - 0.01
    if frozen_ok:  # the recorded clock stops with the link: everything up to then is there
        assert ts.time[-1] >= first["detected_at_s"] - 0.01
    ev = [e for e in rec.events if e.kind == "fault_detected"
          and e.details.get("fault") == str(kind)]
    warn = [e for e in rec.events if e.kind == "safety_warning"
            and e.details.get("fault") == str(kind)]
    assert ev or warn
    if first["safe_state_at_s"] is not None:
        assert any(e.kind == "safe_state_reached" for e in rec.events)
