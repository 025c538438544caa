"""`gaitway reanalyze` on a Dask cluster, on SQLite and PostgreSQL: new results beside the old
(nothing overwritten), what moved against the import's analysis and against the previous
version, --since, a lost recording, and the CLI. Three SIMULATED sessions of 8 s each."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from tests.clinic.conftest import db_url, postgres_base_url

from gaitway.analytics.analyze import analyze_result, load_path
from gaitway.analytics.events import ForcePlateParams
from gaitway.analytics.result import AnalysisResult
from gaitway.cli import main as cli_main
from gaitway.clinic.analysis_versions import NUMBER_UNITS
from gaitway.clinic.importer import import_session
from gaitway.clinic.models import AnalysisVersion, AuditEntry, SessionAnalysis, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import write_session_dir
from gaitway.trials.reanalysis import algorithm_fingerprint, reanalyse

__all__ = ["db_url", "postgres_base_url"]  # the store fixtures of tests/clinic, both databases

OLD_DAY = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def old_algorithm(path: Path) -> AnalysisResult:
    """An earlier version of the event detection: a higher load threshold for heel strike and
    a lower low-pass cutoff, so events and stance phases came out elsewhere."""
    data, _truth = load_path(path, emg=False, truth=False)
    return analyze_result(data, force_params=ForcePlateParams(on_fraction=0.3, lowpass_hz=15.0))


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A local Dask cluster of one worker process, by address (the --scheduler path)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def stocked(db_url: str, tmp_path: Path) -> Iterator[tuple[ClinicStore, list[str], Path]]:
    """Three sessions: two imported with the old algorithm, one with today's; the third
    started on an older day."""
    store = ClinicStore(db_url)
    ids = []
    for i in range(3):
        folder = tmp_path / f"s{i}"
        write_session_dir(folder, seconds=8.0)
        ids.append(import_session(store, folder, actor="test",
                                  analyze=old_algorithm if i < 2 else None).session_id)
    with store.transaction() as db:
        db.execute(update(TrainingSession).where(TrainingSession.id == ids[2])
                   .values(started_at=OLD_DAY))
    yield store, ids, tmp_path
    store.close()


def stored_rows(store: ClinicStore) -> dict[str, tuple[object, ...]]:
    with store.reader() as db:
        return {s.id: (s.metrics, *(getattr(s, k) for k in NUMBER_UNITS))
                for s in db.scalars(select(TrainingSession))}


def test_new_version_beside_the_old_and_what_moved(
        stocked: tuple[ClinicStore, list[str], Path], scheduler: str) -> None:
    store, ids, folder = stocked
    before = stored_rows(store)
    first = reanalyse(store, actor="test", scheduler=scheduler, progress=None)
    assert (first.version, first.sessions, first.failed) == (1, 3, 0)
    assert first.baseline_version is None
    assert first.algorithm == algorithm_fingerprint()
    moved = {m.name: m for m in first.moves}
    stance = moved["metrics.stance_pct_left_mean"]
    # the two sessions of the old algorithm moved, the third did not
    assert (stance.sessions_moved, stance.sessions_compared) == (2, 3)
    assert abs(stance.largest_change) >= abs(stance.mean_change) > 0
    assert stored_rows(store) == before  # the import's analysis is not overwritten

    second = reanalyse(store, actor="test", scheduler=scheduler, progress=None)
    assert (second.version, second.baseline_version) == (2, 1)
    assert second.moves == ()  # same code, same recordings: nothing moves
    with store.reader() as db:
        assert db.scalar(select(func.count()).select_from(SessionAnalysis)) == 6
        versions = db.scalars(select(AnalysisVersion).order_by(AnalysisVersion.id)).all()
        assert all(v.finished_at is not None and v.sessions_total == 3 for v in versions)
        actions = db.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "analysis_version")).all()
        assert sorted(actions) == sorted(["analysis.start", "analysis.finish"] * 2)
        v1 = {r.session_id: r.metrics for r in db.scalars(select(SessionAnalysis).where(
            SessionAnalysis.analysis_version_id == 1))}
        v2 = {r.session_id: r.metrics for r in db.scalars(select(SessionAnalysis).where(
            SessionAnalysis.analysis_version_id == 2))}
    assert v1 == v2
    assert v1[ids[2]] == before[ids[2]][0]  # today's algorithm gives the import's metrics

    # --since leaves out the older session; a lost recording is a failed session, not a stop
    shutil.rmtree(folder / "s1")
    third = reanalyse(store, actor="test", scheduler=scheduler, progress=None,
                      since=dt.date(2026, 2, 1))
    assert (third.version, third.sessions, third.failed) == (3, 2, 1)
    with store.reader() as db:
        errors = {r.session_id: r.error for r in db.scalars(select(SessionAnalysis).where(
            SessionAnalysis.analysis_version_id == 3))}
    assert set(errors) == {ids[0], ids[1]}
    assert errors[ids[0]] is None
    assert "no recording" in str(errors[ids[1]]) or "not a directory" in str(errors[ids[1]])


def test_cli(tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("GAITWAY_DATABASE_URL", url)
    with ClinicStore(url) as store:
        write_session_dir(tmp_path / "s", seconds=8.0)
        import_session(store, tmp_path / "s", actor="test", analyze=old_algorithm)
    code = cli_main.main(["reanalyze", "--scheduler", scheduler])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "analysis version 1" in out.out
    assert "1 sessions re-analysed, 0 could not be" in out.out
    assert "the analysis made at import" in out.out
    assert "metrics.stance_pct_left_mean: 1 of 1 sessions moved, mean change " in out.out
    code = cli_main.main(["reanalyze", "--scheduler", scheduler, "--since", "2999-01-01"])
    out = capsys.readouterr()
    assert code == 0
    assert "no recordings to re-analyse since 2999-01-01" in out.out
    with ClinicStore(url) as store, store.reader() as db:  # no empty version made
        assert db.scalar(select(func.count()).select_from(AnalysisVersion)) == 1
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["reanalyze", "--since", "yesterday"])
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err
