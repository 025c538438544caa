"""Repeated warnings folded into one entry (first time, last time, count): the rule, and the
three places that use it (console log, recording, summary) agreeing on any stream."""

from __future__ import annotations

import tempfile
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.recording.conftest import simulated_rows

from gaitway.recording import RecordingWriter, open_recording
from gaitway.recording.folding import (
    BARRIER_KINDS,
    QUIET_S,
    SAFETY_WARNING,
    SIMULATED_TIME_BEHIND,
    EventFolder,
    FoldedLog,
    FoldKey,
    fold_key,
)
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS

Ev = tuple[float, str, str, dict[str, Any]]

_EVENT = st.tuples(
    st.floats(0.0, 2.5 * QUIET_S),  # gap to the event before: within and beyond QUIET_S
    st.sampled_from([SAFETY_WARNING, SAFETY_WARNING, SIMULATED_TIME_BEHIND, "state",
                     "fault_detected", "fault_injected"]),
    st.sampled_from(["drive_torque", "joint_range"]),
    st.sampled_from(["knee_left", "hip_right", None]),
)


def _stream(raw: list[tuple[float, str, str, str | None]]) -> list[Ev]:
    t = 0.0
    out = []
    for gap, kind, fault, joint in raw:
        t = round(t + gap, 3)
        details: dict[str, Any] = {"fault": fault, "detail": f"at {t}"}
        if joint is not None:
            details["joint"] = joint
        out.append((t, kind, "safety", details))
    return out


def _reference(events: list[Ev]) -> list[tuple[FoldKey, float, float, int]]:
    """The rule written the plain way: per key, a gap longer than QUIET_S starts a run."""
    runs: dict[FoldKey, list[list[float]]] = {}
    for t, kind, _, d in events:
        key = fold_key(kind, d)
        if key is None:
            if kind in BARRIER_KINDS:
                for rs in runs.values():
                    rs.append([])  # the next event of each key starts a run
            continue
        mine = runs.setdefault(key, [])
        if mine and (not mine[-1] or t - mine[-1][-1] <= QUIET_S):
            mine[-1].append(t)  # an empty run: a barrier came before
        else:
            mine.append([t])
    return _sorted([(k, r[0], r[-1], len(r)) for k, rs in runs.items() for r in rs if r])


def _sorted(runs: list[tuple[FoldKey, float, float, int]]
            ) -> list[tuple[FoldKey, float, float, int]]:
    return sorted(runs, key=lambda r: (r[1], repr(r[0])))


def _folded(key_kind: str, details: dict[str, Any]) -> tuple[FoldKey, float, float, int]:
    key = fold_key(key_kind, details)
    assert key is not None
    return key, details["first_s"], details["last_s"], details["count"]


def _record(path: Path, events: list[Ev]) -> list[Ev]:
    """Events written to a recording beside one block of samples, and read back."""
    measured, truth = simulated_rows(10)
    with RecordingWriter(path, channels=RECORDED_CHANNELS, truth_channels=TRUTH_CHANNELS,
                         metadata={"simulated": True}) as w:
        for row, tr in zip(measured, truth, strict=True):
            w.append(row, tr)
        for t, kind, source, d in events:
            w.event(t, kind, source, **d)
    return [(e.time_s, e.kind, e.source, e.details) for e in open_recording(path).events]


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.lists(_EVENT, max_size=60))
def test_console_recording_and_summary_fold_alike_and_lose_no_count(
        raw: list[tuple[float, str, str, str | None]]) -> None:
    events = _stream(raw)
    want = _reference(events)
    foldable = [e for e in events if e[1] in (SAFETY_WARNING, SIMULATED_TIME_BEHIND)]
    # the summary's folder (the supervisor's)
    folder = EventFolder()
    for e in events:
        folder.offer(*e)
    assert folder.total == len(foldable)
    assert _sorted([(r.key, r.first_s, r.last_s, r.count) for r in folder.runs]) == want
    # the console's log
    log = FoldedLog(deque(maxlen=1000))
    for t, kind, source, d in events:
        log.add({"t": t, "kind": kind, "source": source, "details": d})
    shown = [e for e in log.entries if "count" in e["details"]]
    assert _sorted([_folded(e["kind"], e["details"]) for e in shown]) == want
    assert all(e["t"] == e["details"]["last_s"] for e in shown)
    assert len(log.entries) == len(events) - len(foldable) + len(want)
    # the recording
    with tempfile.TemporaryDirectory() as tmp:
        back = _record(Path(tmp) / "r.gwrec", events)
    folded = [e for e in back if e[1] in (SAFETY_WARNING, SIMULATED_TIME_BEHIND)]
    assert _sorted([_folded(e[1], e[3]) for e in folded]) == want
    assert all(e[0] == e[3]["last_s"] for e in folded)
    assert [e for e in back if e not in folded] == [e for e in events if e not in foldable]
    assert sum(e[3]["count"] for e in folded) == len(foldable)
    assert [e[0] for e in back] == sorted(e[0] for e in back)


def test_a_warning_every_stride_is_one_entry_with_its_latest_details() -> None:
    log = FoldedLog(deque(maxlen=300))
    for i in range(49):
        log.add({"t": 10.0 + 1.5 * i, "kind": SAFETY_WARNING, "source": "safety",
                 "details": {"fault": "drive_torque", "joint": "knee_left",
                             "detail": f"command {150 + i} N*m clipped to 70"}})
        log.add({"t": 10.5 + 1.5 * i, "kind": "stride", "source": "control", "details": {}})
    warnings = [e for e in log.entries if e["kind"] == SAFETY_WARNING]
    assert len(warnings) == 1
    d = warnings[0]["details"]
    assert (d["count"], d["first_s"], d["last_s"]) == (49, 10.0, 82.0)
    assert d["detail"] == "command 198 N*m clipped to 70"
    assert log.entries[-2] is warnings[0]  # moved up to where it last happened


@pytest.mark.parametrize("barrier", sorted(BARRIER_KINDS))
def test_a_quiet_gap_a_new_session_or_an_injection_starts_a_new_entry(barrier: str) -> None:
    log = FoldedLog(deque(maxlen=300))
    w = {"fault": "drive_torque", "joint": "knee_left"}
    for t in (1.0, 2.0, 2.0 + QUIET_S + 0.1, 2.0 + QUIET_S + 0.5):
        log.add({"t": t, "kind": SAFETY_WARNING, "source": "safety", "details": w})
    log.add({"t": 0.0, "kind": barrier, "source": "session", "details": {}})
    log.add({"t": 3.0, "kind": SAFETY_WARNING, "source": "safety", "details": w})
    assert [e["details"].get("count") for e in log.entries] == [2, 2, None, 1]


def test_a_writer_writes_a_run_once_it_has_been_quiet() -> None:
    """A run that ended (no repeat for QUIET_S) is written with the next block, not held to
    the end; one still going on is written when the recording closes."""
    folder = EventFolder()
    folder.offer(1.0, SAFETY_WARNING, "safety", {"fault": "drive_torque", "joint": "hip_left"})
    folder.offer(2.0, SIMULATED_TIME_BEHIND, "clock", {"behind_s": 0.2})
    folder.close_quiet(2.0 + QUIET_S)
    (ended,) = folder.take_closed()
    assert ended.key == FoldKey(SAFETY_WARNING, "drive_torque", "hip_left")
    assert [r.key.kind for r in folder.open_runs] == [SIMULATED_TIME_BEHIND]
    folder.close_all()
    assert [r.key.kind for r in folder.take_closed()] == [SIMULATED_TIME_BEHIND]
    assert folder.take_closed() == []


def test_quiet_gap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="quiet_s"):
        EventFolder(0.0)


def test_events_that_do_not_fold_are_left_alone() -> None:
    assert fold_key("fault_detected", {"fault": "fall"}) is None
    assert EventFolder().offer(0.0, "state", "session", {}) is None
    assert np.isfinite(QUIET_S)
