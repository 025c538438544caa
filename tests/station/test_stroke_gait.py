"""Simulated gait at 0 % guidance: the healthy profile is symmetric, hemiparesis shows stroke signs.

Targets from issue 2 (stroke signs after e.g. Patterson et al. 2008: shorter paretic stance,
less paretic knee flexion in swing, a longer paretic step). Stride statistics come from the true
contact channels, heel bounces under 120 ms closed and touches under 250 ms ignored
(gaitway.cli.figures_cmd.gait_stats).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gaitway.cli.figures_cmd import gait_stats, simulate_gait, summary_row
from gaitway.errors import UserError

MINUTES = 0.75  # 45 s: 33 s of steady walking after warm-up and settling, ~20 strides per side


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    work = Path(tmp_path_factory.mktemp("stroke-gait"))
    for profile in ("healthy", "hemiparetic-left-moderate", "hemiparetic-right-moderate"):
        t, data = simulate_gait(profile, minutes=MINUTES, seed=1, guidance_pct=0.0,
                                bws_pct=30.0, work_dir=work)
        try:
            out[profile] = summary_row(profile, gait_stats(data, t))
        except UserError as exc:  # the patient did not walk: every test on it fails
            out[profile] = {"profile": profile, "clean": False, "error": str(exc)}
    return out


def _sides(profile: str) -> tuple[str, str]:
    """(paretic, non-paretic) side names."""
    return ("left", "right") if "-left-" in profile else ("right", "left")


def test_healthy_walks_symmetrically(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["healthy"]
    assert r["clean"], r
    assert r["strides_left"] >= 15, r
    assert r["strides_right"] >= 15, r
    assert abs(r["stance_pct_left"] - r["stance_pct_right"]) <= 2.0, r
    assert r["step_asymmetry"] <= 1.05, r
    assert abs(r["peak_knee_deg_left"] - r["peak_knee_deg_right"]) <= 3.0, r


@pytest.mark.parametrize("profile", ["hemiparetic-left-moderate", "hemiparetic-right-moderate"])
def test_moderate_hemiparesis_walks_with_clean_strides(
        rows: dict[str, dict[str, Any]], profile: str) -> None:
    r = rows[profile]
    assert r["clean"], r
    assert r["strides_left"] >= 15, r
    assert r["strides_right"] >= 15, r


@pytest.mark.parametrize("profile", ["hemiparetic-left-moderate", "hemiparetic-right-moderate"])
def test_paretic_knee_flexes_less_in_swing(rows: dict[str, dict[str, Any]], profile: str) -> None:
    r = rows[profile]
    par, sound = _sides(profile)
    assert r[f"peak_knee_deg_{sound}"] - r[f"peak_knee_deg_{par}"] >= 10.0, r


@pytest.mark.parametrize("profile", ["hemiparetic-left-moderate", "hemiparetic-right-moderate"])
def test_paretic_stance_is_shorter(rows: dict[str, dict[str, Any]], profile: str) -> None:
    r = rows[profile]
    par, sound = _sides(profile)
    assert r[f"stance_pct_{sound}"] - r[f"stance_pct_{par}"] >= 4.0, r


@pytest.mark.parametrize("profile", ["hemiparetic-left-moderate", "hemiparetic-right-moderate"])
def test_paretic_step_takes_longer(rows: dict[str, dict[str, Any]], profile: str) -> None:
    """Step-time asymmetry in the direction seen after stroke: the step that ends with the
    paretic heel strike (paretic swing) takes longer than the non-paretic step."""
    r = rows[profile]
    par, sound = _sides(profile)
    assert r["clean"], r  # an asymmetry from irregular stepping is no stroke sign
    assert r[f"step_s_{par}"] / r[f"step_s_{sound}"] >= 1.08, r


def test_mirror_profiles_mirror_each_other(rows: dict[str, dict[str, Any]]) -> None:
    """Left and right hemiparesis are the same patient mirrored: the numbers swap sides."""
    a, b = rows["hemiparetic-left-moderate"], rows["hemiparetic-right-moderate"]
    assert a["stance_pct_left"] == pytest.approx(b["stance_pct_right"], abs=1.5)
    assert a["peak_knee_deg_left"] == pytest.approx(b["peak_knee_deg_right"], abs=2.0)
