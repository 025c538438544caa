"""Bad lab files give one line saying what is wrong (issue 18): never a traceback or a numpy
warning, never a silent NaN."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from gaitway.analytics.analyze import load_path
from gaitway.cli import main as cli
from gaitway.errors import UserError


def _grf(n: int = 200) -> list[str]:
    t = np.arange(n) * 0.01
    return [f"{a:.3f},{600 * max(np.sin(a * 6), 0):.2f}" for a in t]


@pytest.mark.parametrize(("name", "content", "said"), [
    ("png.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200), "binary file"),
    ("latin.csv", "time,grf_z_left\n0,1\n0.01,2 \xe9\n".encode("latin-1") * 10, "not UTF-8"),
    ("header.csv", b"time,grf_z_left\n", "only 0 rows"),
    ("text_time.csv", ("time,grf_z_left\n" + "\n".join(_grf()) + "\nabc,3\n").encode(),
     "line 202, column 1: 'abc' is not a number"),
    ("nan_time.csv", ("time,grf_z_left\n" + "\n".join(_grf()[:50]) + "\nnan,3\n"
                      + "\n".join(_grf()[51:])).encode(), "time is missing or NaN"),
    ("text_data.csv", ("time,grf_z_left\n" + "\n".join(_grf()[:50]) + "\n0.5,heavy\n"
                       + "\n".join(_grf()[51:])).encode(), "'heavy' is not a number"),
    ("ragged.csv", ("time,grf_z_left\n" + "\n".join(_grf()[:50]) + "\n0.5,1,2\n"
                    + "\n".join(_grf()[51:])).encode(), "line 52 has 3 values"),
])
def test_bad_csv_is_one_clear_error(tmp_path: Path, name: str, content: bytes,
                                    said: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserError, match=said):
            load_path(path)


def test_nan_in_a_data_column_is_said_not_silent(tmp_path: Path) -> None:
    rows = _grf()
    rows[60] = "0.600,nan"
    rows[61] = "0.610,"
    path = tmp_path / "gaps.csv"
    path.write_text("time,grf_z_left\n" + "\n".join(rows) + "\n")
    data, _ = load_path(path)
    assert any("2 missing value(s)" in n for n in data.notes)
    assert data.forces is not None
    assert np.isfinite(data.forces.channels["grf_z_left"]).all()


@pytest.mark.parametrize("name", ["x.csv", "x.c3d"])
def test_a_folder_named_like_a_file_is_one_line(tmp_path: Path, name: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / name).mkdir()
    assert cli.main(["analyze", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gaitway: error:")
    assert "is not a file" in err
    assert len(err.splitlines()) == 1
