"""The twin is scaled to the patient by editing the model before compiling."""

from __future__ import annotations

import pytest

from gaitway.errors import UserError
from gaitway.station.sim.anthropometrics import FOOT, SHANK, THIGH, Body, build_model


def _segment(model, name: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    b = model.body(name)
    return float(model.body_mass[b.id]), float(model.body_inertia[b.id][1])


def test_segment_lengths_follow_winter_fractions() -> None:
    body = Body(1.80, 80.0)
    model = build_model(body)
    knee = model.body("exo_shank_left").pos
    ankle = model.body("foot_left").pos
    assert knee[2] == pytest.approx(-THIGH.length * 1.80)
    assert ankle[2] == pytest.approx(-SHANK.length * 1.80)
    assert model.body("pelvis").pos[2] == pytest.approx(body.leg_length)


def test_masses_and_inertias_scale_with_the_patient() -> None:
    small = build_model(Body(1.55, 50.0))
    large = build_model(Body(1.95, 100.0))
    for seg, frac in (("thigh_left", THIGH), ("shank_right", SHANK), ("foot_left", FOOT)):
        m_small, i_small = _segment(small, seg)
        m_large, i_large = _segment(large, seg)
        assert m_small == pytest.approx(frac.mass * 50.0)
        assert m_large == pytest.approx(frac.mass * 100.0)
        # inertia ~ m * (k L)^2: doubling mass and scaling height by 1.95/1.55
        expected = 2.0 * (1.95 / 1.55) ** 2
        assert i_large / i_small == pytest.approx(expected, rel=1e-6)


def test_one_model_file_serves_every_patient() -> None:
    a = build_model(Body(1.60, 60.0))
    b = build_model(Body(1.90, 90.0))
    assert a.nbody == b.nbody
    assert a.body("pelvis").pos[2] != b.body("pelvis").pos[2]


@pytest.mark.parametrize(("height", "mass"), [(0.9, 60.0), (1.75, 10.0), (2.5, 80.0)])
def test_out_of_range_body_is_a_clear_error(height: float, mass: float) -> None:
    with pytest.raises(UserError, match="outside what the station"):
        Body(height, mass)
