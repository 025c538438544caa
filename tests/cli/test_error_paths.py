"""Every writing command on a full disk, on a read-only target and with bad arguments (issue 18).

Each must end with exit code 2 and one line that says what failed and what to do, write nothing
half (no .part file, no empty recording), and leave the clinic store whole. The full disk and
the read-only target are real: small tmpfs mounts (this needs root, as in CI; elsewhere the
tests skip locally and FAIL when CI is set, like the other component tests).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gaitway.cli import main as cli
from gaitway.clinic.importer import import_session
from gaitway.clinic.models import TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import write_session_dir


def _mount(target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        msg = f"cannot mount a tmpfs for the disk-full tests: {done.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@contextlib.contextmanager
def _mounted(target: Path, options: str) -> Iterator[Path]:
    _mount(target, options)
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _fill(folder: Path) -> None:
    """Fill the file system of ``folder`` up to its last byte (unbuffered writes)."""
    for name, chunk in (("filler", 4096), ("filler2", 1)):
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            with contextlib.suppress(OSError):
                while os.write(fd, bytes(chunk)):
                    pass
        finally:
            os.close(fd)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A session directory and a store (on the normal disk) that holds it."""
    base = tmp_path_factory.mktemp("stored")
    sid = write_session_dir(base / "session", seconds=12.0)
    url = f"sqlite:///{base / 'clinic.sqlite'}"
    with ClinicStore(url) as store:
        import_session(store, base / "session", actor="test")
    return base, sid


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err.strip()


def _one_line(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("gaitway: error:"), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if not p.name.startswith("filler"))


def _writers(base: Path, sid: str, out: Path) -> list[tuple[list[str], str]]:
    return [
        (["analyze", str(base / "session"), "--json", str(out / "a.json")], "a.json"),
        (["analyze", str(base / "session"), "--html", str(out / "a.html")], "a.html"),
        (["report", "session", sid, "--pdf", str(out / "r.pdf")], "r.pdf"),
        (["export", "session", sid, "--format", "csv", "--out", str(out / "csv")], "csv"),
        (["export", "session", sid, "--format", "parquet", "--out", str(out / "pq")], "pq"),
        (["export", "session", sid, "--format", "c3d", "--out", str(out / "s.c3d")], "s.c3d"),
        (["export", "session", sid, "--format", "fhir", "--out", str(out / "b.json")], "b.json"),
        (["simulate", "--profile", "healthy", "--minutes", "0.02", "--quiet",
          "--out", str(out / "run")], "run"),
    ]


def test_every_writing_command_on_a_full_disk(
    stored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, sid = stored
    monkeypatch.setenv("GAITWAY_DATABASE_URL", f"sqlite:///{base / 'clinic.sqlite'}")
    with _mounted(tmp_path / "full", "size=256k") as full:
        _fill(full)
        for argv, _name in _writers(base, sid, full):
            code, err = _run(argv, capsys)
            _one_line(code, err, "No space left on device")
            assert _leftovers(full) == [], argv


def test_every_writing_command_on_a_read_only_target(
    stored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, sid = stored
    monkeypatch.setenv("GAITWAY_DATABASE_URL", f"sqlite:///{base / 'clinic.sqlite'}")
    with _mounted(tmp_path / "ro", "ro,size=64k") as ro:
        for argv, _name in _writers(base, sid, ro):
            code, err = _run(argv, capsys)
            _one_line(code, err)
            assert "not writable" in err or "read-only" in err.lower(), err


def test_import_on_a_full_disk_is_one_line_and_leaves_the_store_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _mounted(tmp_path / "db", "size=1m") as folder:
        url = f"sqlite:///{folder / 'clinic.sqlite'}"
        ClinicStore(url).close()  # created and migrated while there is room
        monkeypatch.setenv("GAITWAY_DATABASE_URL", url)
        monkeypatch.setenv("GAITWAY_OPERATOR", "tester")
        write_session_dir(tmp_path / "other", seconds=30.0)
        _fill(folder)
        code, err = _run(["sessions", "import", str(tmp_path / "other")], capsys)
        _one_line(code, err, "the clinic database failed", "nothing was changed")
        with ClinicStore(url, upgrade=False) as store, store.reader() as db:
            assert db.query(TrainingSession).count() == 0


@pytest.mark.parametrize(("argv", "said"), [
    (["simulate", "--profile", "healthy", "--minutes", "1", "--resist-damping", "-5"],
     "resistance damping"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--resist-damping", "nan"],
     "resistance damping"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--flow", "nan"], "path flow"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--flow", "1e6"], "path flow"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--resist-torque", "1e6"],
     "resistance torque"),
    # beyond a training load (control/resist.py: 10 % of a healthy knee's torque at a swing's
    # speed); the range is named. 5, 10 and 50 were accepted before
    (["simulate", "--profile", "healthy", "--minutes", "1", "--resist-damping", "50"],
     "must be within 0-2 N*m*s/rad, got 50"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--resist-damping", "2.5"],
     "must be within 0-2 N*m*s/rad, got 2.5"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--resist-torque", "30"],
     "must be within 0-10 N*m, got 30"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--inject",
      "emergency_stop@1e9"], "the session lasts 60 s"),
    (["simulate", "--profile", "healthy", "--minutes", "1", "--inject", "emergency_stop@nan"],
     "0 s or later"),
])
def test_simulate_refuses_bad_settings_before_creating_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str,
) -> None:
    out = tmp_path / "run"
    code, err = _run([*argv, "--out", str(out)], capsys)
    _one_line(code, err, said)
    assert not out.exists()
