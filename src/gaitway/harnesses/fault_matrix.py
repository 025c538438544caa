"""The fault matrix as figures: every injectable fault on several virtual patients, measured.

:func:`run_matrix` runs one short simulated session per fault and profile through the real
runner and measures what the hazard list promises: detection latency, the reaction, the time
from detection to torque-free drives and to the full safe state. :func:`matrix_markdown` turns
the rows into the table in docs/safety/fault_matrix.md (``gaitway faults --matrix``). The
pass/fail checks live in tests/safety/test_fault_matrix.py; this module only measures.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from gaitway.recording import RECORDING_FILENAME, open_recording
from gaitway.safety.faults import FAULTS, FaultKind, Reaction
from gaitway.safety.limits import DeviceLimits, SafetyLimits
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.station.sim.profiles import get_profile

PROFILES: Final[tuple[str, ...]] = ("healthy", "hemiparetic-left-moderate", "sci-incomplete")
INJECT_AT_S: Final[float] = 3.5
SESSION_S: Final[float] = 6.0
#: injections a soft limit answers: limit and warn, no stop
WARN_ONLY: Final = frozenset({FaultKind.DRIVE_TORQUE})
IMMEDIATE_GOAL_S: Final[float] = 0.100


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One fault on one profile (times in seconds; None where it does not apply)."""

    kind: FaultKind
    profile: str
    reaction: str  # the reaction recorded ("" if not detected)
    expected: str
    latency_s: float | None  # injection (joint_range: hard-range crossing) to detection
    goal_s: float
    torque_free_s: float | None  # detection to drives torque-free (immediate stop)
    safe_s: float | None  # detection to the full safe state
    safe_goal_s: float | None  # immediate stop: 100 ms + belt speed / braking deceleration
    belt_at_detection: float | None

    @property
    def detected(self) -> bool:
        return self.latency_s is not None

    @property
    def ok(self) -> bool:
        """Detected in time, with the expected reaction, and safe in time where it applies."""
        if self.latency_s is None or self.reaction != self.expected:
            return False
        if self.latency_s > self.goal_s + 1e-9:
            return False
        if self.expected == Reaction.WARN.label:
            return True
        if self.safe_s is None:
            return False
        if self.expected == Reaction.IMMEDIATE_STOP.label:
            assert self.safe_goal_s is not None
            return (self.torque_free_s is not None and self.torque_free_s <= IMMEDIATE_GOAL_S
                    and self.safe_s <= self.safe_goal_s + 1e-9)
        return True


def run_one(kind: FaultKind, profile: str, out_dir: Path, *, seed: int = 7,
            inject_at_s: float = INJECT_AT_S, session_s: float = SESSION_S) -> MatrixRow:
    """One session with ``kind`` injected; measured from its summary and recording."""
    cfg = SessionSettings(profile=profile, minutes=session_s / 60.0, seed=seed,
                          patient_events=False, injections=(f"{kind}@{inject_at_s}",))
    summary = run_session(cfg, out_dir)
    spec = FAULTS[kind]
    expected = (Reaction.WARN if kind in WARN_ONLY else spec.reaction).label
    injected = summary.injected_at_s.get(str(kind))
    mine = [f for f in summary.faults if f["kind"] == str(kind)
            and injected is not None and f["detected_at_s"] >= injected]
    goal = 0.002 if kind is FaultKind.JOINT_RANGE else spec.max_detection_s  # hard: 2 ticks
    if not mine or injected is None:
        return MatrixRow(kind, profile, "", expected, None, goal, None, None, None, None)
    first = next((f for f in mine if f["reaction"] == expected), mine[0])
    ts = open_recording(out_dir / RECORDING_FILENAME).read()
    start = injected
    if kind is FaultKind.JOINT_RANGE:  # from the tick the reading crossed the hard range
        hard_hi = SafetyLimits.for_patient(get_profile(profile).mass_kg).patient.knee_rom.hard_hi
        crossed = (ts.time >= injected) & (ts["knee_angle_left"] > hard_hi)
        start = float(ts.time[crossed][0]) if crossed.any() else injected
    det = first["detected_at_s"]
    before = ts.time <= det
    belt = float(ts["belt_speed_right"][before][-1]) if before.any() else None
    free = first.get("torque_free_at_s")
    safe = first["safe_state_at_s"]
    safe_goal = None
    if expected == Reaction.IMMEDIATE_STOP.label and belt is not None:
        safe_goal = IMMEDIATE_GOAL_S + max(belt, 0.0) / DeviceLimits().belt_brake_decel
    # (max: the recorded angle is quantised to 0.1 mrad, so the crossing may show a tick late)
    return MatrixRow(kind, profile, first["reaction"], expected, max(det - start, 0.0), goal,
                     None if free is None else free - det, None if safe is None else safe - det,
                     safe_goal, belt)


def run_matrix(profiles: Sequence[str] = PROFILES, kinds: Sequence[FaultKind] = tuple(FaultKind),
               *, progress: Callable[[MatrixRow], Any] | None = None) -> list[MatrixRow]:
    """Every fault in ``kinds`` on every profile (sequentially: one session at a time)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for profile in profiles:
            for kind in kinds:
                row = run_one(kind, profile, Path(tmp) / f"{profile}-{kind}")
                rows.append(row)
                if progress is not None:
                    progress(row)
    return rows


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e3:.0f}"


def matrix_markdown(rows: Sequence[MatrixRow], *, command: str) -> str:
    """The matrix as a markdown page: one row per fault, one column group per profile."""
    profiles = list(dict.fromkeys(r.profile for r in rows))
    by = {(r.kind, r.profile): r for r in rows}
    kinds = list(dict.fromkeys(r.kind for r in rows))
    lines = [
        "# Fault matrix (SIMULATED: virtual patients on the MuJoCo twin)",
        "",
        f"Generated by `{command}`; do not edit by hand. Each cell is one simulated session "
        f"({SESSION_S:.0f} s, fault injected at {INJECT_AT_S} s while walking at 2 km/h): "
        "detection latency / detection to drives torque-free / detection to the full safe "
        "state, in ms. The immediate stop's safe state is drives torque-free, belt braked to "
        f"standstill (at {DeviceLimits().belt_brake_decel} m/s^2, see belt_brake.md) and "
        "harness holding; the controlled stop's is belt at rest and legs still at standing.",
        "Latency is measured from the injection (joint_range: from the tick the reading "
        "crossed the hard range). OK: detected within its goal with the expected reaction, "
        f"drives torque-free within {IMMEDIATE_GOAL_S * 1e3:.0f} ms, and belt standstill "
        "within 100 ms plus the braking time from the belt's speed.",
        "",
        "| fault | reaction | goal ms | " + " | ".join(f"{p} (ms)" for p in profiles) + " | ok |",
        "|---|---|---|" + "---|" * len(profiles) + "---|",
    ]
    for k in kinds:
        cells = []
        all_ok = True
        for p in profiles:
            r = by.get((k, p))
            if r is None:
                cells.append("-")
                continue
            all_ok = all_ok and r.ok
            if not r.detected:
                cells.append("NOT DETECTED")
            else:
                cells.append(f"{_ms(r.latency_s)} / {_ms(r.torque_free_s)} / {_ms(r.safe_s)}")
        first = by[(k, next(p for p in profiles if (k, p) in by))]
        lines.append(f"| {k} | {first.expected} | {first.goal_s * 1e3:.0f} | "
                     + " | ".join(cells) + f" | {'yes' if all_ok else 'NO'} |")
    return "\n".join(lines) + "\n"
