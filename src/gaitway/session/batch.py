"""Cohort batch: many headless sessions in one process, their physics stepped together in C.

Each job (a whole session, or a trial course of sessions) runs its own, unchanged code in a
greenlet: the same :class:`~gaitway.session.builder.SessionCore`, loop, virtual patient,
control stack and safety supervisor as a session alone. When a job's twin needs its physics
step (:mod:`gaitway.station.sim.stepping`) the job parks; once every live job has parked, the
batch steps all of them in one pass, and resumes each job in a fixed order. On one thread the
pass is ``mujoco.mj_step`` on each twin; on more it is one call of MuJoCo's own batch
(``mujoco.batch.Batch``: the twins' integration states as rows of one array, stepped on a pool
of C threads with the GIL released, bit-identical to ``mj_step`` on each; ``mj_step`` itself
keeps the GIL, so Python threads calling it would not run in parallel).

Why this shape: a session's result depends only on its own state, so a batched session is the
same as the one alone, bit for bit (tests/session/test_batch.py), and every command still
passes that session's safety layer. A fault stops its own session in its safe state (that
session's supervisor); an exception in one job ends that job alone, reported in its
:class:`BatchOutcome`, and the others go on. What it does not do yet: compute the virtual
patient, control and safety across the cohort with numpy; per tick that Python work (most of a
tick) stays per session, so a batch gives no more simulated seconds per CPU second than the
sessions alone (bench/bench_batch.py, docs/trials.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Generic, TypeVar

import mujoco
import mujoco.batch
import numpy as np
from greenlet import greenlet
from numpy import copyto

from gaitway.errors import UserError
from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SessionSummary
from gaitway.station.sim.stepping import use_physics_step

T = TypeVar("T")
#: most jobs one batch steps together, and most threads it steps them on
MAX_BATCH: Final[int] = 256
MAX_THREADS: Final[int] = 64
#: what a twin's row holds: everything mj_step reads and advances (positions, velocities,
#: warm start, controls, applied forces), so a row stepped is the twin's data stepped
_STATE: Final[int] = mujoco.mjtState.mjSTATE_INTEGRATION.value


@dataclass(frozen=True, slots=True)
class BatchOutcome(Generic[T]):
    """One job's end: its result, or the exception that ended it (the others went on)."""

    index: int
    result: T | None
    error: Exception | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def value(self) -> T:
        """The result, or the job's exception raised again."""
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


@dataclass(slots=True)
class BatchStats:
    """What a batch did: lockstep rounds, twin steps (in MuJoCo's batch, and alone for a twin
    of another layout), and the wall time of the steps."""

    rounds: int = 0
    twin_steps: int = 0
    steps_alone: int = 0
    #: wall time of the steps with the copies in and out of the rows, and of MuJoCo's call
    physics_wall_s: float = 0.0
    batch_call_wall_s: float = 0.0


Parked = tuple[int, mujoco.MjModel, mujoco.MjData]
Resume = tuple[int, Exception | None]


class _InPlace:
    """One thread: each twin stepped with ``mujoco.mj_step`` on its own data, one after the
    other in one pass (no rows to copy in and out: on one thread MuJoCo's batch adds its
    state load and store, about 15 % of a step, and nothing runs beside it)."""

    def __init__(self, stats: BatchStats) -> None:
        self.stats = stats

    def release(self, i: int) -> None:
        """Nothing to hand back: the twin's data is where it was stepped."""

    def step(self, parked: list[Parked]) -> list[Resume]:
        st = self.stats
        st.rounds += 1
        st.twin_steps += len(parked)
        t0 = time.perf_counter()
        out: list[Resume] = []
        step = mujoco.mj_step
        for i, m, d in parked:
            try:
                step(m, d)
            except Exception as err:  # raised in that job alone
                out.append((i, err))
            else:
                out.append((i, None))
        dt = time.perf_counter() - t0
        st.physics_wall_s += dt
        st.batch_call_wall_s += dt
        return out


class _Physics:
    """Two or more threads: slot ``i`` of MuJoCo's batch holds job ``i``'s current twin.

    The twin keeps its own MjData (its start, its readings); its row is loaded from that data
    when the twin first parks, takes the twin's controls and applied forces before each step,
    and hands the sensor readings back after it. When the job moves on to another twin (the
    next session of a course) or ends, the row's state is written back to the old twin's data.
    A twin whose model has another layout (MjData sizes) than the batch's is stepped alone with
    ``mujoco.mj_step``, the same physics.
    """

    def __init__(self, nsim: int, threads: int, stats: BatchStats) -> None:
        self.nsim, self.threads, self.stats = nsim, threads, stats
        self.batch: mujoco.batch.Batch | None = None
        self.pairs: list[tuple[mujoco.MjModel, mujoco.MjData] | None] = [None] * nsim
        #: per slot, the twin's arrays and its row's, paired: controls and applied forces in,
        #: sensor readings out (views made once per twin, not per tick)
        self.io: list[tuple[np.ndarray, ...]] = [()] * nsim
        self.models: list[mujoco.MjModel] = []
        self.layout: tuple[int, ...] = ()

    @staticmethod
    def _layout(m: mujoco.MjModel) -> tuple[int, ...]:
        return (mujoco.mj_stateSize(m, _STATE), m.nq, m.nv, m.nu, m.na, m.nsensordata,
                m.nbody, m.ngeom, m.njnt)

    def _start(self, model: mujoco.MjModel) -> mujoco.batch.Batch:
        b = mujoco.batch.Batch(model, self.nsim, nthread=self.threads)
        self.models = [model] * self.nsim
        self.layout = self._layout(model)
        self._state, self._ctrl = b.state, b.bind("ctrl")
        self._qfrc, self._sensors = b.bind("qfrc_applied"), b.bind("sensordata")
        self.batch = b
        return b

    def release(self, i: int) -> None:
        """Job ``i`` is done with its twin: its data takes the row's state."""
        pair = self.pairs[i]
        if pair is not None:
            mujoco.mj_setState(pair[0], pair[1], self._state[i], _STATE)
            self.pairs[i] = None
            self.io[i] = ()

    def step(self, parked: list[Parked]) -> list[Resume]:
        """Step every parked twin once; the jobs to resume, each with its step's error."""
        st = self.stats
        st.rounds += 1
        st.twin_steps += len(parked)
        t0 = time.perf_counter()
        b = self.batch or self._start(parked[0][1])
        inside: list[Parked] = []
        out: list[Resume] = []
        moved = False
        for job in parked:
            i, m, d = job
            pair = self.pairs[i]
            if pair is not None and pair[0] is m and pair[1] is d:
                ctrl, row_ctrl, qfrc, row_qfrc, _, _ = self.io[i]
                copyto(row_ctrl, ctrl)
                copyto(row_qfrc, qfrc)
            elif self._layout(m) == self.layout:
                self.release(i)
                mujoco.mj_getState(m, d, self._state[i], _STATE)
                self.models[i] = m
                self.pairs[i] = (m, d)
                self.io[i] = (d.ctrl, self._ctrl[i], d.qfrc_applied, self._qfrc[i],
                              d.sensordata, self._sensors[i])
                moved = True
            else:
                out.append(self._alone(job))
                continue
            inside.append(job)
        if moved:
            b.set_models(self.models)
        failed: set[int] = set()
        if inside:
            t1 = time.perf_counter()
            try:
                b.step(np.fromiter((j[0] for j in inside), np.int32, len(inside)))
            except mujoco.batch.SimulationError as err:  # those kept their state; the rest ran
                failed = {int(k) for k in err.ids}
            st.batch_call_wall_s += time.perf_counter() - t1
        io = self.io
        for i, _, _ in inside:
            if i in failed:
                out.append((i, RuntimeError(f"MuJoCo: {b.error(i)}")))
            else:
                sensors, row_sensors = io[i][4:]
                copyto(sensors, row_sensors)
                out.append((i, None))
        st.physics_wall_s += time.perf_counter() - t0
        out.sort(key=lambda r: r[0])
        return out

    def _alone(self, job: Parked) -> Resume:
        i, m, d = job
        self.stats.steps_alone += 1
        try:
            mujoco.mj_step(m, d)
        except Exception as err:  # raised in that job alone
            return i, err
        return i, None


class CohortBatch:
    """Runs jobs together, their twins' physics stepped in one pass a tick.

    ``threads``: 1 steps every twin with ``mujoco.mj_step`` in this thread, one after the other
    (no thread switch and no copy per tick: what counts on a machine whose cores are all busy);
    2 or more step them in one call of MuJoCo's batch on that many C threads (the caller's
    included) with the GIL released (wall time on free cores).

    A job's twins must be built inside the job (as :func:`run_sessions` and a trial's courses
    do): a twin takes its physics step when it is built, so one built before the batch steps
    alone with ``mujoco.mj_step``, correct but not batched.
    """

    def __init__(self, *, threads: int = 1) -> None:
        if not 1 <= threads <= MAX_THREADS:
            raise UserError(f"batch threads must be within 1-{MAX_THREADS}, got {threads}")
        self.threads = threads
        self.stats = BatchStats()

    def run(self, jobs: Sequence[Callable[[], T]]) -> list[BatchOutcome[T]]:
        """Run every job to its end; outcomes in the jobs' order."""
        if not 1 <= len(jobs) <= MAX_BATCH:
            raise UserError(f"a batch holds 1-{MAX_BATCH} jobs, got {len(jobs)}")
        hub = greenlet.getcurrent()
        parked: list[Parked] = []

        def member(i: int, job: Callable[[], T]) -> T:
            def park(model: mujoco.MjModel, data: mujoco.MjData) -> None:
                parked.append((i, model, data))
                hub.switch()  # resumed once the batch stepped this twin (or throws its error)

            use_physics_step(park)  # this greenlet's own context: its twins park here
            return job()

        members = [greenlet(lambda i=i, job=job: member(i, job), parent=hub)
                   for i, job in enumerate(jobs)]
        outcomes: list[BatchOutcome[T] | None] = [None] * len(jobs)
        physics = (_Physics(len(jobs), self.threads, self.stats) if self.threads > 1
                   else _InPlace(self.stats))
        ready: list[Resume] = [(i, None) for i in range(len(jobs))]
        try:
            while ready:
                for i, exc in ready:
                    g = members[i]
                    try:
                        value = g.switch() if exc is None else g.throw(exc)
                    except Exception as err:  # the job's end, kept for its outcome
                        outcomes[i] = BatchOutcome(i, None, err)
                        physics.release(i)
                        continue
                    if g.dead:
                        outcomes[i] = BatchOutcome(i, value, None)
                        physics.release(i)
                ready = physics.step(parked) if parked else []
                parked.clear()
        finally:
            for g in members:  # an interrupted batch: every job unwinds (recordings closed,
                if not g.dead:  # stations stopped) through its own finally blocks
                    g.throw()
        return [o for o in outcomes if o is not None]


def run_sessions(settings: Sequence[SessionSettings], out_dirs: Sequence[Path | None], *,
                 threads: int = 1) -> tuple[list[BatchOutcome[SessionSummary]], BatchStats]:
    """Headless sessions stepped together, each with its own recording folder (None: not
    recorded); the outcomes in the settings' order, and what the batch did."""
    if len(settings) != len(out_dirs):
        raise UserError(f"{len(settings)} sessions but {len(out_dirs)} output folders")

    def job(s: SessionSettings, out: Path | None) -> Callable[[], SessionSummary]:
        return lambda: SessionCore(s, out_dir=out).run()

    batch = CohortBatch(threads=threads)
    outcomes = batch.run([job(s, d) for s, d in zip(settings, out_dirs, strict=True)])
    return outcomes, batch.stats


__all__ = ["MAX_BATCH", "BatchOutcome", "BatchStats", "CohortBatch", "run_sessions"]
