"""Lab files whose vertical axis is not +z (issue 17 item 2): a Y-up or Z-down copy of each
real trial (its markers and plate corners turned; plate forces stay in plate axes, model
outputs such as joint angles stay as stored) gives the same analysis as the file itself.
Before the reader found the vertical, the Y-up treadmill trial's stance came out at
0.29-0.40 s instead of 0.71 s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ezc3d
import numpy as np
import pytest

from gaitway.analytics import analyze_path
from gaitway.analytics.readers.c3d_frame import to_z_up, vertical_axis

from .conftest import REAL

#: Z-up lab -> another lab (rows: the other lab's axes in Z-up coordinates)
LABS = {
    "y_up": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
    "z_down": np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]),
}
MODEL_OUTPUTS = ("Angles", "Moment", "Power", "Force")


def _turned(src: Path, dst: Path, q: np.ndarray) -> Path:
    c = ezc3d.c3d(str(src))
    labels = [str(x) for x in c["parameters"]["POINT"]["LABELS"]["value"]]
    pts = np.array(c["data"]["points"])
    markers = [i for i, lab in enumerate(labels) if not any(m in lab for m in MODEL_OUTPUTS)]
    pts[:3, markers] = np.einsum("ij,jpf->ipf", q, pts[:3, markers])
    c["data"]["points"] = pts
    corners = np.asarray(c["parameters"]["FORCE_PLATFORM"]["CORNERS"]["value"], dtype=float)
    c["parameters"]["FORCE_PLATFORM"]["CORNERS"]["value"] = np.einsum("ij,jcp->icp", q, corners)
    c.write(str(dst))
    return dst


def _essentials(result: dict[str, Any]) -> dict[str, Any]:
    return {"events": result["events"], "metrics": result["metrics"],
            "strides": result["strides"]}


@pytest.mark.parametrize("name", ["treadmill_events.c3d", "overground_events.c3d"])
@pytest.mark.parametrize("lab", sorted(LABS))
def test_a_turned_lab_gives_the_same_analysis(tmp_path: Path, name: str, lab: str) -> None:
    src = REAL / name
    want = analyze_path(src)
    got = analyze_path(_turned(src, tmp_path / name, LABS[lab]))
    assert any("vertical axis" in n for n in got["notes"])
    assert not any("vertical axis" in n for n in want["notes"])
    a, b = _essentials(want), _essentials(got)
    assert a["events"] == b["events"]
    assert a["strides"].keys() == b["strides"].keys()
    for key, m in a["metrics"].items():
        v = b["metrics"][key]["value"]
        if m["value"] is None:
            assert v is None, key
        else:  # the same numbers up to the rounding of the turned coordinates
            assert v == pytest.approx(m["value"], rel=1e-6, abs=1e-6), key


def test_the_vertical_comes_from_the_plates_and_its_sense_from_the_markers() -> None:
    corners = np.array([[[0.0], [500.0], [500.0], [0.0]],  # (3 axes, 4 corners, 1 plate):
                        [[0.0], [0.0], [0.0], [0.0]],  # the floor at y = 0
                        [[-850.0], [-850.0], [850.0], [850.0]]])
    points = np.zeros((4, 2, 5))
    points[1, 0] = 950.0  # the pelvis marker 0.95 m above the floor along +y
    points[1, 1] = 60.0  # the heel
    index = {"LASI": 0, "LHEE": 1}
    assert vertical_axis(points, index, corners) == (1, 1.0)
    points[1] *= -1.0
    assert vertical_axis(points, index, corners) == (1, -1.0)
    # no plates: the pelvis above the feet tells both
    assert vertical_axis(points, index, None) == (1, -1.0)
    # nothing to tell: None (the reader keeps z up)
    assert vertical_axis(np.zeros((4, 0, 5)), {}, None) is None
    for axis in range(3):
        for sense in (1.0, -1.0):
            q = to_z_up(axis, sense)
            assert np.allclose(q @ q.T, np.eye(3))
            assert np.isclose(np.linalg.det(q), 1.0)
            up = np.zeros(3)
            up[axis] = sense
            assert np.allclose(q @ up, [0.0, 0.0, 1.0])
    assert np.array_equal(to_z_up(2, 1.0), np.eye(3))
