from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitway.analytics import analyze_path
from gaitway.analytics.readers.csv_reader import read_csv
from gaitway.errors import UserError

from .conftest import GRF_CSV


def test_single_belt_csv() -> None:
    d = read_csv(GRF_CSV)
    assert d.forces is not None
    assert d.forces.time[0] == 0.0
    assert d.forces.sampling_rate_hz == pytest.approx(100.0, rel=0.01)
    r = analyze_path(GRF_CSV)
    assert r["source"] == "real"
    assert any("single-belt" in n for n in r["notes"])
    hs = [e for e in r["events"] if e["kind"] == "heel_strike"]
    assert 40 <= len(hs) <= 50  # the README counts about 46 stance phases
    assert 55 < r["metrics"]["stance_pct_left_mean"]["value"] < 70


def test_header_csv_with_documented_columns(tmp_path: Path) -> None:
    from gaitway.analytics.synthetic import SyntheticGait, generate

    data, _truth, _ = generate(SyntheticGait(duration_s=8.0, sampling_rate_hz=200.0, emg=False))
    assert data.forces is not None
    assert data.kinematics is not None
    f, k = data.forces.channels, data.kinematics.channels
    cols = {
        "time": data.forces.time + 100.0,
        "grf_z_left": f["grf_z_left"],
        "grf_z_right": f["grf_z_right"],
        "belt_speed_left": f["belt_speed_left"],
        "belt_speed_right": f["belt_speed_right"],
        "knee_angle_left_deg": np.degrees(k["knee_angle_left"]),
    }
    p = tmp_path / "g.csv"
    np.savetxt(
        p, np.column_stack(list(cols.values())), delimiter=",", header=",".join(cols), comments=""
    )
    d = read_csv(p)
    assert d.kinematics is not None
    assert np.allclose(d.kinematics.channels["knee_angle_left"], k["knee_angle_left"], atol=1e-6)
    r = analyze_path(p)
    assert r["metrics"]["walking_speed"]["value"] == pytest.approx(1.0)
    assert "knee" in r["cycles"]["left"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("1,2,3\n" * 20, "two columns"),
        ("time,force\n" + "".join(f"{i * 0.01},{i}\n" for i in range(20)), "unknown column"),
        ("grf_z_left\n" + "".join(f"{i}\n" for i in range(20)), "no 'time'"),
        ("".join(f"{i * 0.01 + (1.0 if i > 10 else 0)},{i}\n" for i in range(20)), "gap"),
        ("".join(f"{0.01 * (20 - i)},{i}\n" for i in range(20)), "increase"),
        ("0,1\nabc,def\n", "malformed|short|no numbers"),
    ],
)
def test_malformed_csv(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(UserError, match=message):
        read_csv(p)
