"""gaitway figures gait: stride statistics, figures and the generated page, on synthetic data."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from gaitway.cli import figures_cmd
from gaitway.cli.figures_cmd import draw_figures, gait_stats, summary_row, write_doc
from gaitway.errors import UserError


def _walk(stride: float = 1.2, stance: tuple[float, float] = (0.60, 0.66),
          right_lag: float = 0.55, seconds: float = 30.0) -> tuple[np.ndarray, dict]:
    """Square-wave contacts with a 50 ms touch 180 ms after each left toe-off (a scuff in
    swing) and a 30 ms heel bounce 40 ms after each right heel strike."""
    t = np.arange(0.0, seconds, 0.001)
    data = {}
    for side, frac, lag in (("left", stance[0], 0.0), ("right", stance[1], right_lag)):
        ph = ((t / stride) - lag) % 1.0
        c = (ph < frac).astype(float)
        if side == "left":
            c[(ph > frac + 0.18 / stride) & (ph < frac + 0.23 / stride)] = 1.0
        else:
            c[(ph > 0.04 / stride) & (ph < 0.07 / stride)] = 0.0
        data[f"truth_contact_{side}"] = c
        for j in ("hip", "knee", "ankle"):
            amp = 0.9 if (j == "knee" and side == "left") else 1.0
            data[f"{j}_angle_{side}"] = amp * np.sin(2 * np.pi * ph).clip(0.0)
    return t, data


def test_stats_measure_stance_steps_and_ignore_chatter_and_bounces() -> None:
    t, data = _walk()
    stats = gait_stats(data, t)
    assert stats["left"].stance_pct == pytest.approx(60.0, abs=0.5)
    assert stats["right"].stance_pct == pytest.approx(66.0, abs=0.5)
    # right lands 0.55 strides after left: right step 0.66 s, left step 0.54 s
    assert stats["right"].step_s == pytest.approx(0.66, abs=0.01)
    assert stats["left"].step_s == pytest.approx(0.54, abs=0.01)
    assert stats["left"].clean
    # every stance plus every blip (the first stride's stance began before t=0)
    n = stats["left"].heel_strikes_s.size
    assert stats["left"].raw_contacts == 2 * n + 1
    # the bounce splits each right stance in two onsets, yet the stance is measured whole
    assert stats["right"].raw_contacts >= 2 * stats["right"].heel_strikes_s.size
    assert stats["right"].clean
    row = summary_row("x", stats)
    assert row["step_asymmetry"] == pytest.approx(0.66 / 0.54, abs=0.02)
    assert row["peak_knee_deg_left"] < row["peak_knee_deg_right"]


def test_a_leg_that_does_not_walk_is_a_clear_error() -> None:
    t, data = _walk()
    data["truth_contact_left"][:] = 1.0
    with pytest.raises(UserError, match="did not walk"):
        gait_stats(data, t)


def test_figures_and_page_are_written_and_labelled(tmp_path: Path) -> None:
    t, data = _walk()
    stats = gait_stats(data, t)
    paths = draw_figures({"healthy": (t, data, stats)}, tmp_path / "figures")
    assert all(p.stat().st_size > 10_000 for p in paths)
    write_doc([summary_row("healthy", stats)], tmp_path / "page.md", minutes=1.0, seed=3)
    text = (tmp_path / "page.md").read_text()
    assert "SIMULATED" in text
    assert "| healthy | 60.0 | 66.0 |" in text
    assert "stance % within 2 points: NOT met" in text


def test_bad_minutes_are_refused(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    figures_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["figures", "gait", "--out", str(tmp_path), "--minutes", "0.1"])
    with pytest.raises(UserError, match="--minutes"):
        args.func(args)
