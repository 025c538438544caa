"""Running a trial on Dask: one task per patient-arm course, results written as they finish.

- Cluster: a ``distributed.LocalCluster`` of worker processes (one thread each: a session is
  CPU-bound Python and MuJoCo) by default, or an existing scheduler (``tcp://HOST:PORT``).
- Task keys are deterministic (the trial's fingerprint, the plan, the patient), so a task the
  scheduler reruns after a worker died is the same task, and a second result of it cannot
  exist: the client writes each finished course once, atomically (temp file + rename), to
  ``DIR/arms/PLAN/PATIENT.parquet``. Workers write nothing, so the cluster needs no shared disk.
- ``--resume``: courses whose file exists are not submitted again; ``DIR/trial.json`` (the
  design and the plans) must match, so results of another trial are never mixed in.
- At the end the courses are streamed, one arm-file at a time, into ``DIR/sessions.parquet``
  and summarised into ``DIR/summary.json``, ``DIR/report.html`` and ``DIR/report.pdf``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gaitway.errors import UserError
from gaitway.files import atomic_output, write_atomic
from gaitway.trials.cluster import dask_cluster
from gaitway.trials.course import (
    SIMULATED_NOTE,
    ArmResult,
    CohortPatient,
    SessionRow,
    TrialDesign,
    cohort,
    run_course,
    run_courses,
)
from gaitway.trials.plans import TrialPlan
from gaitway.trials.report import REPORT_FILE, REPORT_PDF, report_html, write_report_pdf
from gaitway.trials.results import SESSIONS_FILE, SUMMARY_FILE, summarise, write_sessions

TRIAL_FILE: Final[str] = "trial.json"
ARMS_DIR: Final[str] = "arms"
MAX_COHORT: Final[int] = 500
MAX_WEEKS: Final[int] = 52
MAX_SESSIONS_PER_WEEK: Final[int] = 7
#: most courses one task steps together (``--batch``)
MAX_BATCH: Final[int] = 64


@dataclass(frozen=True, slots=True)
class Course:
    """One task: a patient under a plan."""

    patient: CohortPatient
    plan: TrialPlan
    key: str

    def path(self, out_dir: Path) -> Path:
        return out_dir / ARMS_DIR / self.plan.name / f"{self.patient.id}.parquet"


@dataclass(frozen=True, slots=True)
class TrialRun:
    """What a run did: which courses it ran, which it found done, where the results are."""

    ran: tuple[str, ...]
    skipped: tuple[str, ...]
    sessions_parquet: Path
    summary_json: Path
    report_html: Path
    report_pdf: Path
    summary: dict[str, Any]


def check_design(design: TrialDesign) -> TrialDesign:
    for flag, v, hi in (("--cohort", design.cohort, MAX_COHORT),
                        ("--weeks", design.weeks, MAX_WEEKS),
                        ("--sessions-per-week", design.sessions_per_week,
                         MAX_SESSIONS_PER_WEEK)):
        if not 1 <= v <= hi:
            raise UserError(f"{flag} must be within 1-{hi}, got {v}")
    if design.seed < 0:
        raise UserError(f"--seed must be 0 or above, got {design.seed}")
    return design


def trial_record(design: TrialDesign, plans: Sequence[TrialPlan]) -> dict[str, Any]:
    """What identifies a trial (trial.json): its design and its plans' content."""
    return {"label": SIMULATED_NOTE, "design": asdict(design),
            "plans": [{k: v for k, v in p.as_dict().items() if k != "source"} for p in plans]}


def fingerprint(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:12]


def courses(design: TrialDesign, plans: Sequence[TrialPlan], fp: str) -> list[Course]:
    """Every patient-arm of the trial, in a fixed order, each with its deterministic key."""
    return [Course(p, plan, f"trial-{fp}-{plan.name}-{p.id}")
            for p in cohort(design) for plan in plans]


def _prepare(out_dir: Path, record: dict[str, Any], resume: bool) -> None:
    trial_file = out_dir / TRIAL_FILE
    if trial_file.exists():
        try:
            old = json.loads(trial_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = None
        if not resume:
            raise UserError(f"{out_dir} already holds a trial; give --resume to go on with it "
                            "or another --out")
        if old != record:
            raise UserError(f"{out_dir} holds another trial (design or plans differ); "
                            "give another --out")
    elif out_dir.exists() and any(out_dir.iterdir()):
        raise UserError(f"{out_dir} is not empty and holds no trial; give a new --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(trial_file, json.dumps(record, indent=2) + "\n")


def write_course(result: ArmResult, path: Path) -> None:
    """One finished course, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(result.as_records())
    with atomic_output(path, suffix=".parquet") as tmp:
        pq.write_table(table, tmp)


class Progress:
    """One line, rewritten: sessions done, rate, time left (rate of this run only).

    Counted per session as workers report them (a course's highest session so far), so a
    course rerun after a worker died counts its sessions once; a finished course counts all
    of its sessions. Events arrive on the client's event-loop thread, hence the lock.
    """

    def __init__(self, total: int, done: int, stream: TextIO, *, per_course: int = 1) -> None:
        self.total, self.stream, self.per_course = total, stream, per_course
        self.start_done, self.t0 = done, time.monotonic()
        self._courses: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def done(self) -> int:
        return self.start_done + sum(self._courses.values())

    def session(self, course: str, session: int) -> None:
        """``course`` finished its session number ``session`` (1-based)."""
        with self._lock:
            if session > self._courses.get(course, 0):
                self._courses[course] = min(session, self.per_course)
                self._draw()

    def course(self, course: str) -> None:
        with self._lock:
            self._courses[course] = self.per_course
            self._draw()

    def _draw(self) -> None:
        done = self.done
        elapsed = max(time.monotonic() - self.t0, 1e-9)
        rate = (done - self.start_done) / elapsed
        left = (self.total - done) / rate if rate > 0 else float("nan")
        self.stream.write(f"\rsessions {done}/{self.total}  {rate:.2f}/s  "
                          f"~{left:.0f} s left   ")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def progress_topic(fp: str) -> str:
    """The Dask event topic a trial's workers report finished sessions on."""
    return f"gaitway-trial-{fp}-progress"


def run_course_reporting(design: TrialDesign, patient: CohortPatient, plan: TrialPlan,
                         topic: str, key: str) -> ArmResult:
    """:func:`run_course` on a Dask worker, reporting each finished session on ``topic``."""
    from distributed import get_worker

    worker = get_worker()

    def report(row: SessionRow) -> None:
        worker.log_event(topic, {"course": key, "session": row.session})

    return run_course(design, patient, plan, on_session=report)


def run_batch_reporting(design: TrialDesign, members: Sequence[tuple[CohortPatient, TrialPlan]],
                        keys: Sequence[str], topic: str) -> list[ArmResult | Exception]:
    """Courses stepped together on a Dask worker (:func:`run_courses`), each finished session
    reported on ``topic`` under its course's key; each course's result or its error."""
    from distributed import get_worker

    worker = get_worker()

    def report(k: int, row: SessionRow) -> None:
        worker.log_event(topic, {"course": keys[k], "session": row.session})

    return [o.value() if o.error is None else o.error
            for o in run_courses(design, members, on_session=report)]


def batch_key(fp: str, group: Sequence[Course]) -> str:
    """A task of several courses: deterministic, from its courses' keys."""
    digest = hashlib.sha256("\n".join(c.key for c in group).encode()).hexdigest()[:12]
    return f"trial-{fp}-batch-{digest}"


def run_trial(plans: Sequence[TrialPlan], design: TrialDesign, out_dir: Path, *,
              scheduler: str | None = None, workers: int = 2, resume: bool = False,
              progress: bool = True, batch: int = 1) -> TrialRun:
    """Run (or go on with) a trial; return what ran and the summary. ``progress``: a
    progress line on stderr. ``batch``: courses per task, stepped together in one worker
    process (a cohort batch, :func:`run_courses`; the same results as one by one)."""
    check_design(design)
    if not 1 <= workers <= 256:
        raise UserError(f"--workers must be within 1-256, got {workers}")
    if not 1 <= batch <= MAX_BATCH:
        raise UserError(f"--batch must be within 1-{MAX_BATCH}, got {batch}")
    record = trial_record(design, plans)
    out_dir = Path(out_dir)
    _prepare(out_dir, record, resume)
    fp = fingerprint(record)
    todo_all = courses(design, plans, fp)
    todo = [c for c in todo_all if not c.path(out_dir).exists()]
    skipped = tuple(c.key for c in todo_all if c.path(out_dir).exists())
    bar = (Progress(len(todo_all) * design.sessions, len(skipped) * design.sessions, sys.stderr,
                    per_course=design.sessions) if progress else None)
    ran: list[str] = []
    if todo:
        from distributed import as_completed

        topic = progress_topic(fp)
        with dask_cluster(scheduler, workers) as cluster:
            client = cluster.client
            if bar is not None:
                client.subscribe_topic(topic, lambda event: bar.session(
                    str(event[1]["course"]), int(event[1]["session"])))
            groups = [todo[k:k + batch] for k in range(0, len(todo), batch)]
            futures = {(client.submit(run_course_reporting, design, g[0].patient, g[0].plan,
                                      topic, g[0].key, key=g[0].key, pure=False)
                        if batch == 1 else
                        client.submit(run_batch_reporting, design,
                                      [(c.patient, c.plan) for c in g], [c.key for c in g],
                                      topic, key=batch_key(fp, g), pure=False)): g
                       for g in groups}
            for fut in as_completed(futures):
                group = futures[fut]
                results = [fut.result()] if batch == 1 else fut.result()
                fut.release()
                failed = [r for r in results if isinstance(r, Exception)]
                for c, result in zip(group, results, strict=True):
                    if not isinstance(result, Exception):  # the batch's other courses kept
                        write_course(result, c.path(out_dir))
                        ran.append(c.key)
                        if bar is not None:
                            bar.course(c.key)
                if failed:
                    raise failed[0]  # as a course alone would; --resume goes on from here
            if bar is not None:
                client.unsubscribe_topic(topic)
    if bar is not None:
        bar.close()
    sessions_path = out_dir / SESSIONS_FILE
    with atomic_output(sessions_path, suffix=".parquet") as tmp:
        write_sessions((pq.read_table(c.path(out_dir)) for c in todo_all), tmp)
    df: pd.DataFrame = pq.read_table(sessions_path).to_pandas()
    summary = summarise(df, design=design, plans=plans)
    summary_path = write_atomic(out_dir / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
    report_path = write_atomic(out_dir / REPORT_FILE, report_html(df, summary))
    write_report_pdf(df, summary, out_dir / REPORT_PDF)
    return TrialRun(ran=tuple(ran), skipped=skipped, sessions_parquet=sessions_path,
                    summary_json=summary_path, report_html=report_path,
                    report_pdf=out_dir / REPORT_PDF, summary=summary)
