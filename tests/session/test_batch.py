"""Cohort batch: sessions stepped together equal the same sessions alone, bit for bit; a fault
or an error in one patient ends that one alone (SIMULATED)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.belt import MAX_SPEED_KMH, MIN_SPEED_KMH
from gaitway.control.registry import CONTROLLER_NAMES
from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.batch import CohortBatch, run_sessions
from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.profiles import PROFILES

#: what differs between two runs of one session by nature: when and how fast it ran
WALL_CLOCK = {"started_at", "wall_time_s", "real_time_factor", "loop_timing"}

SESSIONS = (
    SessionSettings(profile="hemiparetic-left-moderate", minutes=0.03, seed=1),
    # a fall at 0.6 s: this patient's supervisor stops the session in its safe state
    SessionSettings(profile="hemiparetic-right-severe", minutes=0.03, seed=2,
                    injections=("fall@0.6",)),
    SessionSettings(profile="sci-incomplete", minutes=0.03, seed=3, controller="aan"),
    # another model layout (a lateral pelvis joint): stepped beside MuJoCo's batch, not in it
    SessionSettings(profile="healthy", minutes=0.03, seed=4, lateral_pelvis=True),
)


def _comparable(summary: Any) -> dict[str, Any]:
    return {k: v for k, v in summary.to_dict().items() if k not in WALL_CLOCK}


def _recorded(folder: Path) -> tuple[np.ndarray, dict[str, np.ndarray], list[Any]]:
    rec = open_recording(folder)
    ts = rec.read()
    return ts.time, ts.data, [(e.time_s, e.kind, e.source, e.details) for e in ts.events]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each session alone, then all together on 1 and on 2 threads."""
    root = tmp_path_factory.mktemp("batch")
    alone = [SessionCore(s, out_dir=root / f"alone{i}").run() for i, s in enumerate(SESSIONS)]
    one, stats1 = run_sessions(SESSIONS, [root / f"one{i}" for i in range(len(SESSIONS))])
    two, stats2 = run_sessions(SESSIONS, [root / f"two{i}" for i in range(len(SESSIONS))],
                               threads=2)
    return {"root": root, "alone": alone, "one": one, "two": two, "stats": (stats1, stats2)}


@pytest.mark.parametrize("threads", ["one", "two"])
def test_batched_sessions_equal_the_sessions_alone(runs: dict[str, Any], threads: str) -> None:
    root = runs["root"]
    for i, (alone, out) in enumerate(zip(runs["alone"], runs[threads], strict=True)):
        assert out.ok
        assert out.index == i
        assert _comparable(out.value()) == _comparable(alone)
        t_a, data_a, events_a = _recorded(root / f"alone{i}")
        t_b, data_b, events_b = _recorded(root / f"{threads}{i}")
        assert np.array_equal(t_a, t_b)
        assert data_a.keys() == data_b.keys()
        for name in data_a:
            assert np.array_equal(data_a[name], data_b[name], equal_nan=True), name
        assert events_a == events_b


def test_the_batch_stepped_the_twins_together(runs: dict[str, Any]) -> None:
    ticks = [round(s.duration_s * 1000) for s in runs["alone"]]
    for stats in runs["stats"]:
        assert stats.rounds == max(ticks)  # one round a tick, as long as the longest session
        assert stats.twin_steps == sum(ticks)
        assert 0.0 < stats.batch_call_wall_s <= stats.physics_wall_s
    one, two = runs["stats"]
    assert one.steps_alone == 0  # one thread: every twin stepped in place
    assert two.steps_alone == ticks[3]  # the other layout, stepped beside MuJoCo's batch


def test_a_fault_stops_that_patient_safely_and_no_other(runs: dict[str, Any]) -> None:
    fallen = runs["one"][1].value()
    assert fallen.safety.ended_by_fault
    assert fallen.safety.safe_state_reached
    assert fallen.ended_by.startswith("fault: fall")
    assert fallen.duration_s < 1.5
    for k in (0, 2, 3):
        s = runs["one"][k].value()
        assert s.ended_by == "completed"
        assert not s.faults
        assert s.duration_s == pytest.approx(SESSIONS[k].minutes * 60.0, abs=0.01)


def test_an_error_in_one_job_ends_that_job_alone(tmp_path: Path) -> None:
    def broken() -> Any:
        def fail(t: float) -> None:
            raise ValueError(f"broken progress hook at {t:.1f} s")

        return SessionCore(SESSIONS[0], out_dir=tmp_path / "broken").run(on_second=fail)

    def fine() -> Any:
        return SessionCore(SESSIONS[2], out_dir=tmp_path / "fine").run()

    batch = CohortBatch()
    bad, good = batch.run([broken, fine])
    assert not bad.ok
    assert isinstance(bad.error, ValueError)
    with pytest.raises(ValueError, match=r"broken progress hook at 1\.0 s"):
        bad.value()
    assert good.ok
    assert good.value().ended_by == "completed"
    # the broken session's recording was closed, readable, with why it ended
    rec = open_recording(tmp_path / "broken")
    assert rec.complete
    assert 900 <= rec.n_samples <= 1100
    assert batch.stats.twin_steps > 1000 + rec.n_samples - 5


def test_an_interrupted_batch_leaves_every_session_stopped_and_recorded(tmp_path: Path) -> None:
    """Ctrl-C (or any BaseException) in one job ends the batch; every other session unwinds
    through its own code: drives torque-free, recording closed with why."""
    built: list[SessionCore] = []

    def first() -> Any:  # built inside its job, so its twin is batched
        built.append(SessionCore(SESSIONS[0], out_dir=tmp_path / "a"))
        return built[0].run()

    def interrupted() -> Any:
        def ctrl_c(t: float) -> None:
            raise KeyboardInterrupt

        return SessionCore(SESSIONS[2], out_dir=tmp_path / "b").run(on_second=ctrl_c)

    with pytest.raises(KeyboardInterrupt):
        CohortBatch().run([first, interrupted])
    assert np.all(built[0].twin.data.ctrl[0:4] == 0.0)  # the station's stop(): drives torque-free
    for name in ("a", "b"):
        rec = open_recording(tmp_path / name)
        assert rec.complete
        assert 900 <= rec.n_samples <= 1100  # both stopped at the first second
    final = open_recording(tmp_path / "a").final
    assert final is not None
    assert str(final["ended_by"]).startswith("session failed")


def _ticks(s: SessionSettings) -> tuple[Callable[[], Any], list[np.ndarray]]:
    """A job that runs ``s`` unrecorded and keeps every sample and every command after
    safety, exactly as floats."""
    rows: list[np.ndarray] = []

    def on_tick(sample: Sample, control: list[float], cmd: Command) -> None:
        rows.append(np.concatenate([sample.values, control, cmd]))

    return (lambda: SessionCore(s, out_dir=None).run(on_tick=on_tick)), rows


@settings(max_examples=4, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(sorted(PROFILES)), st.integers(0, 2**31 - 1),
                          st.sampled_from(CONTROLLER_NAMES),
                          st.floats(MIN_SPEED_KMH, MAX_SPEED_KMH)),
                min_size=1, max_size=3),
       st.integers(1, 3))
def test_any_cohort_batched_equals_alone_tick_by_tick(
        members: list[tuple[str, int, str, float]], threads: int) -> None:
    cohort = [SessionSettings(profile=p, minutes=0.008, seed=seed, controller=c,
                              speed_kmh=kmh) for p, seed, c, kmh in members]
    alone = []
    for s in cohort:
        job, rows = _ticks(s)
        job()
        alone.append(np.array(rows))
    jobs, batched = zip(*(_ticks(s) for s in cohort), strict=True)
    for out in CohortBatch(threads=threads).run(list(jobs)):
        assert out.ok, out.error
    for a, b in zip(alone, batched, strict=True):
        assert np.array_equal(a, np.array(b), equal_nan=True)


def test_batch_limits_are_checked() -> None:
    with pytest.raises(UserError, match="threads"):
        CohortBatch(threads=0)
    with pytest.raises(UserError, match="1-256 jobs"):
        CohortBatch().run([])
    with pytest.raises(UserError, match="output folders"):
        run_sessions(SESSIONS[:2], [None])
