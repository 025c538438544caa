"""Analysis versions: re-analysed results stored beside the old, and what moved between them.

A re-analysis (``gaitway reanalyze``) opens a new :class:`~gaitway.clinic.models.AnalysisVersion`,
adds one :class:`~gaitway.clinic.models.SessionAnalysis` per session as results arrive (each in
its own short transaction, so a long run holds no lock and a crash keeps what was done), and
closes the version. Nothing is overwritten: the analysis made at import stays in the
``sessions`` row and every earlier version keeps its rows.

What moved is measured against each session's *baseline*: its newest result in an earlier,
finished version, else the analysis made at import. Metrics are compared by name (the analytics
part's names, units in them or in the metric record).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic import audit
from gaitway.clinic.jsonsafe import jsonable
from gaitway.clinic.models import AnalysisVersion, SessionAnalysis, TrainingSession, utcnow
from gaitway.clinic.store import ClinicStore

#: the ``sessions`` columns an analysis feeds (gaitway.clinic.importer.session_numbers), with
#: the unit their names do not carry
NUMBER_UNITS: Final[dict[str, str]] = {
    "steps": "steps", "distance_m": "m", "belt_speed_mps": "m/s",
    "symmetry_index_pct": "%", "weight_bearing_left_pct": "% BW",
    "weight_bearing_right_pct": "% BW", "active_participation_pct": "%",
    "active_participation_nm": "N*m", "guidance_pct": "%", "tracking_error_rms_deg": "deg",
    "bws_pct": "%",
}
#: a change smaller than this (relative to the old value, at least 1) is rounding, not a move
RELATIVE_TOLERANCE: Final[float] = 1e-9


@dataclass(frozen=True, slots=True)
class SessionResult:
    """One session's re-analysis, as a worker returns it: its key numbers (``sessions``
    column names), its session metrics ({name: {"value", "unit"}}), its stride count, or the
    error that kept it from being analysed."""

    session_id: str
    numbers: dict[str, float | None] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    strides: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RecordingJob:
    """One session to re-analyse: its id and where its recording is."""

    session_id: str
    recording_path: str


@dataclass(frozen=True, slots=True)
class MetricMove:
    """How one metric moved from the baseline to the new version, over the sessions that have
    it in both."""

    name: str
    unit: str
    sessions_compared: int
    sessions_moved: int
    mean_change: float
    largest_change: float
    #: sessions where it is computed now and was not before, and the other way round
    appeared: int = 0
    disappeared: int = 0


def jobs(db: Session, since: dt.date | None) -> list[RecordingJob]:
    """The sessions to re-analyse (started on or after ``since``), oldest first; sessions
    without a recording (lab files imported without one) cannot be re-analysed."""
    q = select(TrainingSession.id, TrainingSession.recording_path).where(
        TrainingSession.recording_path.is_not(None))
    if since is not None:
        q = q.where(TrainingSession.started_at >= dt.datetime.combine(since, dt.time(),
                                                                      dt.UTC))
    q = q.order_by(TrainingSession.started_at, TrainingSession.id)
    return [RecordingJob(sid, str(path)) for sid, path in db.execute(q).all()]


def start_version(store: ClinicStore, *, actor: str, algorithm: str, gaitway_version: str,
                  since: dt.date | None, cluster: str, sessions: int) -> int:
    """Open a new analysis version; returns its number."""
    with store.transaction() as db:
        v = AnalysisVersion(created_by=actor, algorithm=algorithm,
                            gaitway_version=gaitway_version[:32], since=since,
                            cluster=cluster[:200], sessions_total=sessions, sessions_failed=0)
        db.add(v)
        db.flush()
        audit.record(db, actor=actor, action="analysis.start", entity="analysis_version",
                     entity_id=str(v.id), algorithm=algorithm, since=str(since or ""),
                     sessions=sessions, cluster=cluster)
        return v.id


def add_results(store: ClinicStore, version: int, results: Iterable[SessionResult]) -> int:
    """Store results of ``version`` in one transaction; returns how many."""
    rows = [SessionAnalysis(analysis_version_id=version, session_id=r.session_id,
                            strides=r.strides, numbers=jsonable(r.numbers),
                            metrics=jsonable(r.metrics), error=r.error) for r in results]
    if rows:
        with store.transaction() as db:
            db.add_all(rows)
    return len(rows)


def finish_version(store: ClinicStore, version: int, *, actor: str) -> AnalysisVersion:
    """Close ``version``: its counts from its stored rows, its finish time, an audit entry."""
    with store.transaction() as db:
        v = db.get_one(AnalysisVersion, version)
        results = db.scalars(select(SessionAnalysis.error).where(
            SessionAnalysis.analysis_version_id == version)).all()
        v.sessions_total = len(results)
        v.sessions_failed = sum(e is not None for e in results)
        v.finished_at = utcnow()
        audit.record(db, actor=actor, action="analysis.finish", entity="analysis_version",
                     entity_id=str(version), sessions=v.sessions_total,
                     failed=v.sessions_failed)
        return v


def previous_finished(db: Session, version: int) -> AnalysisVersion | None:
    """The newest finished version before ``version`` (None: only the import's analysis)."""
    return db.scalar(select(AnalysisVersion).where(
        AnalysisVersion.id < version, AnalysisVersion.finished_at.is_not(None))
        .order_by(AnalysisVersion.id.desc()).limit(1))


def _values(numbers: Mapping[str, Any], metrics: Mapping[str, Any]
            ) -> dict[str, tuple[float | None, str]]:
    """{name: (value, unit)} over the key numbers and the session metrics."""
    out: dict[str, tuple[float | None, str]] = {
        k: (_finite(numbers.get(k)), unit) for k, unit in NUMBER_UNITS.items()}
    for name, rec in metrics.items():
        if isinstance(rec, Mapping):
            out[f"metrics.{name}"] = (_finite(rec.get("value")), str(rec.get("unit", "")))
    return out


def _finite(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(v) else None


def _baselines(db: Session, version: int, session_ids: list[str]
               ) -> dict[str, dict[str, tuple[float | None, str]]]:
    """Each session's baseline values: its newest result in an earlier finished version
    without an error, else its import analysis (the ``sessions`` row)."""
    out: dict[str, dict[str, tuple[float | None, str]]] = {}
    finished = select(AnalysisVersion.id).where(AnalysisVersion.id < version,
                                                AnalysisVersion.finished_at.is_not(None))
    for chunk in _chunks(session_ids, 500):
        earlier = db.execute(
            select(SessionAnalysis.session_id, SessionAnalysis.numbers, SessionAnalysis.metrics)
            .where(SessionAnalysis.session_id.in_(chunk), SessionAnalysis.error.is_(None),
                   SessionAnalysis.analysis_version_id.in_(finished))
            .order_by(SessionAnalysis.analysis_version_id)).all()
        for sid, numbers, metrics in earlier:  # the newest version last: it wins
            out[sid] = _values(numbers or {}, metrics or {})
        for s in db.scalars(select(TrainingSession).where(TrainingSession.id.in_(chunk))):
            if s.id not in out:
                out[s.id] = _values({k: getattr(s, k) for k in NUMBER_UNITS}, s.metrics or {})
    return out


def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def moves(store: ClinicStore, version: int) -> list[MetricMove]:
    """Which metrics moved in ``version`` against each session's baseline, and by how much;
    the key numbers first, then the session metrics, each by name. A metric whose every
    session kept its value is left out."""
    with store.reader() as db:
        rows = db.execute(select(SessionAnalysis.session_id, SessionAnalysis.numbers,
                                 SessionAnalysis.metrics)
                          .where(SessionAnalysis.analysis_version_id == version,
                                 SessionAnalysis.error.is_(None))).all()
        base = _baselines(db, version, [r[0] for r in rows])
    changes: dict[str, list[float]] = {}
    compared: dict[str, int] = {}
    appeared: dict[str, int] = {}
    disappeared: dict[str, int] = {}
    units: dict[str, str] = {}
    for sid, numbers, metrics in rows:
        new = _values(numbers or {}, metrics or {})
        old = base.get(sid, {})
        for name in new.keys() | old.keys():
            nv, nu = new.get(name, (None, ""))
            ov, ou = old.get(name, (None, ""))
            units.setdefault(name, nu or ou)
            if nv is None and ov is None:
                continue
            if ov is None:
                appeared[name] = appeared.get(name, 0) + 1
            elif nv is None:
                disappeared[name] = disappeared.get(name, 0) + 1
            else:
                compared[name] = compared.get(name, 0) + 1
                delta = nv - ov
                if abs(delta) > RELATIVE_TOLERANCE * max(1.0, abs(ov)):
                    changes.setdefault(name, []).append(delta)
    out = []
    names = changes.keys() | appeared.keys() | disappeared.keys()
    for name in sorted(names, key=lambda n: (n.startswith("metrics."), n)):
        d = changes.get(name, [])
        out.append(MetricMove(
            name=name, unit=units.get(name, ""), sessions_compared=compared.get(name, 0),
            sessions_moved=len(d), mean_change=sum(d) / len(d) if d else 0.0,
            largest_change=max(d, key=abs) if d else 0.0, appeared=appeared.get(name, 0),
            disappeared=disappeared.get(name, 0)))
    return out


def move_line(m: MetricMove) -> str:
    """One printed line for a moved metric."""
    parts = [f"{m.name}: {m.sessions_moved} of {m.sessions_compared} sessions moved"]
    if m.sessions_moved:
        parts.append(f"mean change {m.mean_change:+.4g} {m.unit}".rstrip())
        parts.append(f"largest {m.largest_change:+.4g} {m.unit}".rstrip())
    if m.appeared:
        parts.append(f"now computed in {m.appeared} more")
    if m.disappeared:
        parts.append(f"no longer computed in {m.disappeared}")
    return ", ".join(parts)
