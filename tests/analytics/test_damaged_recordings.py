"""Analysis of damaged recordings: it works on what the reader recovered and says what was lost.

Findings of issue 18: zeroing the last 64 KiB of a recording (a power cut) made ``analyze``
refuse the whole file; a damaged block's message suggested a window, but ``analyze`` had no way
to read one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaitway.cli import main as cli
from gaitway.clinic.synthetic import write_session_dir
from gaitway.recording import RECORDING_FILENAME, open_recording
from gaitway.recording.format import BLOCK_HEADER, FILE_HEADER, BlockKind


@pytest.fixture(autouse=True)
def _only_analytics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("gaitway.cli.analyze_cmd",))


def _samples_blocks(path: Path) -> list[tuple[int, int]]:
    raw = path.read_bytes()
    at, out = FILE_HEADER.size, []
    while at + BLOCK_HEADER.size <= len(raw):
        kind, _f, _r, length, *_ = BLOCK_HEADER.unpack_from(raw, at)
        if kind == BlockKind.SAMPLES:
            out.append((at, length))
        at += BLOCK_HEADER.size + length
    return out


@pytest.fixture
def session(tmp_path: Path) -> Path:
    write_session_dir(tmp_path / "s", seconds=20.0)
    return tmp_path / "s"


def test_zeroed_tail_is_analysed_up_to_the_cut(session: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    rec_path = session / RECORDING_FILENAME
    raw = rec_path.read_bytes()
    rec_path.write_bytes(raw[: len(raw) - 65536] + bytes(65536))
    end = open_recording(rec_path).end_time_s
    assert 10.0 < end < 19.5
    out = tmp_path / "a.json"
    assert cli.main(["analyze", str(session), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert sum(len(v) for v in result["strides"].values()) > 10
    notes = " ".join(result["notes"])
    assert f"cut off after {end:.3f} s" in notes
    assert "torn or zero-filled" in notes


def test_damaged_block_mid_file_analyses_before_it_and_from_after_it(
    session: Path, tmp_path: Path,
) -> None:
    rec_path = session / RECORDING_FILENAME
    offset, length = _samples_blocks(rec_path)[20]  # 10.0-10.5 s
    raw = bytearray(rec_path.read_bytes())
    raw[offset + BLOCK_HEADER.size + length // 2] ^= 0xFF
    rec_path.write_bytes(bytes(raw))
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    assert cli.main(["analyze", str(session), "--json", str(before)]) == 0
    first = json.loads(before.read_text())
    assert "samples block" in " ".join(first["notes"])
    assert "read from 10.500 s" in " ".join(first["notes"])
    assert cli.main(["analyze", str(session), "--from", "10.5", "--to", "19",
                     "--json", str(after)]) == 0
    second = json.loads(after.read_text())
    assert "analysed the window 10.500-19.000 s" in " ".join(second["notes"])
    for result in (first, second):
        assert sum(len(v) for v in result["strides"].values()) >= 8


@pytest.mark.parametrize(("args", "said"), [
    (["--from", "nan"], "not a session time"),
    (["--from", "-1"], "not a session time"),
    (["--from", "5", "--to", "2"], "must come before --to"),
])
def test_bad_windows_are_one_line(session: Path, args: list[str], said: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = cli.main(["analyze", str(session), *args])
    except SystemExit as exc:  # argparse refuses it while parsing
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert said in err
    assert len(err.splitlines()) == 1
