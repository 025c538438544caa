"""Re-analysing every recording in the clinic store on Dask, after an algorithm changed.

One task per session (deterministic key: the version and the session id): a worker reads the
session's folder (recording + summary) by its stored path and analyses it exactly as an import
does (:func:`~gaitway.clinic.importer.read_session_dir`, :func:`session_numbers`), so a
re-analysis with unchanged code gives the import's numbers. Workers read the recordings, so on
a real cluster they need the clinic's recording folder at the same path (a shared mount); they
never touch the database. The client stores results as they arrive, in small transactions,
under a new analysis version (:mod:`gaitway.clinic.analysis_versions`): nothing is overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final, TextIO

import gaitway.analytics
from gaitway.clinic import analysis_versions as av
from gaitway.clinic import importer
from gaitway.clinic.store import ClinicStore
from gaitway.errors import GaitwayError
from gaitway.trials.cluster import dask_cluster

#: results stored per transaction
BATCH: Final[int] = 50


@dataclass(frozen=True, slots=True)
class Reanalysis:
    """What a re-analysis did."""

    #: None: there was nothing to re-analyse, so no version was made and no cluster started
    version: int | None
    #: the version the moves are measured against (None: each session's import analysis)
    baseline_version: int | None
    algorithm: str
    where: str
    sessions: int
    failed: int
    moves: tuple[av.MetricMove, ...]


def algorithm_fingerprint() -> str:
    """Which analysis code runs: a hash of the analytics package's source and the importer
    that maps its results to the store's columns."""
    h = hashlib.sha256()
    files = sorted(Path(gaitway.analytics.__file__).parent.rglob("*.py"))
    for f in (*files, Path(importer.__file__)):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def analyse(job: av.RecordingJob) -> av.SessionResult:
    """One session's re-analysis (runs on a worker). A recording that cannot be read or
    analysed gives a result with the reason, never an exception: one bad file must not stop
    the run."""
    folder = Path(job.recording_path).parent
    try:
        data = importer.read_session_dir(folder)
    except (GaitwayError, OSError, ValueError) as exc:
        return av.SessionResult(job.session_id, error=str(exc)[:1000])
    if data.session_id != job.session_id:
        return av.SessionResult(job.session_id, error=(
            f"{folder} now holds session {data.session_id}, not this one"))
    numbers = importer.session_numbers(data)
    return av.SessionResult(
        job.session_id,
        numbers={k: numbers.get(k) for k in av.NUMBER_UNITS},
        metrics={k: m.to_dict() for k, m in data.analysis.metrics.items()},
        strides=data.analysis.n_strides)


def _version_string() -> str:
    try:
        return metadata.version("gaitway")
    except metadata.PackageNotFoundError:
        return "unknown"


class _Progress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream, self.t0 = total, 0, stream, time.monotonic()

    def add(self, n: int) -> None:
        self.done += n
        rate = self.done / max(time.monotonic() - self.t0, 1e-9)
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        self.stream.write(f"\rre-analysed {self.done}/{self.total}  {rate:.2f}/s  "
                          f"~{left:.0f} s left   ")
        self.stream.flush()


def reanalyse(store: ClinicStore, *, actor: str, since: dt.date | None = None,
              scheduler: str | None = None, workers: int = 2,
              progress: TextIO | None = sys.stderr) -> Reanalysis:
    """Re-analyse every session with a recording (started on or after ``since``) on Dask,
    store the results under a new analysis version, and measure what moved. With nothing to
    re-analyse no version is made and no cluster is started."""
    with store.reader() as db:
        todo = av.jobs(db, since)
    algorithm = algorithm_fingerprint()
    if not todo:
        return Reanalysis(version=None, baseline_version=None, algorithm=algorithm, where="",
                          sessions=0, failed=0, moves=())
    from distributed import as_completed

    with dask_cluster(scheduler, workers) as cluster:
        version = av.start_version(store, actor=actor, algorithm=algorithm,
                                   gaitway_version=_version_string(), since=since,
                                   cluster=cluster.where, sessions=len(todo))
        bar = _Progress(len(todo), progress) if progress is not None else None
        futures = cluster.client.map(
            analyse, todo, key=[f"reanalyse-v{version}-{j.session_id}" for j in todo],
            pure=False)
        for batch in as_completed(futures).batches():
            for chunk_start in range(0, len(batch), BATCH):
                chunk = batch[chunk_start:chunk_start + BATCH]
                av.add_results(store, version, (f.result() for f in chunk))
                for f in chunk:
                    f.release()
            if bar is not None:
                bar.add(len(batch))
        if progress is not None:
            progress.write("\n")
    finished = av.finish_version(store, version, actor=actor)
    with store.reader() as db:
        base = av.previous_finished(db, version)
    return Reanalysis(version=version, baseline_version=base.id if base is not None else None,
                      algorithm=algorithm, where=finished.cluster,
                      sessions=finished.sessions_total, failed=finished.sessions_failed,
                      moves=tuple(av.moves(store, version)))
