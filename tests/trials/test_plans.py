"""Plan files: the examples parse; every kind of bad file is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.errors import UserError
from gaitway.trials.plans import load_plan, load_plans, parse_plan

EXAMPLES = Path(__file__).parents[2] / "examples" / "plans"
WEEK = {"week": 1, "guidance_pct": 100.0, "bws_pct": 40.0, "speed_kmh": 1.5}


def test_examples_parse_with_their_schedules() -> None:
    plans = {p.name: p for p in (load_plan(f) for f in sorted(EXAMPLES.glob("*.toml")))}
    assert set(plans) >= {"fixed-guidance", "aan-decreasing", "proposals"}
    fixed, aan = plans["fixed-guidance"], plans["aan-decreasing"]
    assert fixed.week_settings(30)["guidance_pct"] == 100.0
    assert [aan.week_settings(w)["aan_max_pct"] for w in (1, 2, 3, 9)] == [100, 80, 60, 60]
    assert aan.week_settings(2)["aan_min_pct"] == 20.0  # the fixed controller parameter
    assert aan.controller == "aan"
    assert plans["proposals"].follow_proposals


@settings(max_examples=25, deadline=None, derandomize=True)
@given(weeks=st.lists(st.integers(2, 52), max_size=5, unique=True).map(sorted),
       ask=st.integers(1, 60))
def test_week_settings_is_the_last_entry_started(weeks: list[int], ask: int) -> None:
    rows = [dict(WEEK)] + [{**WEEK, "week": w, "guidance_pct": float(w)} for w in weeks]
    plan = parse_plan({"name": "p", "schedule": rows}, source="t")
    started = [1, *[w for w in weeks if w <= ask]]
    expected = 100.0 if started[-1] == 1 else float(started[-1])
    assert plan.week_settings(ask)["guidance_pct"] == expected


@pytest.mark.parametrize(("data", "words"), [
    ({"name": "p"}, "at least one [[schedule]]"),
    ({"name": "Bad Name", "schedule": [WEEK]}, "name must be"),
    ({"name": "p", "schedule": [WEEK], "colour": 1}, "unknown key(s) colour"),
    ({"name": "p", "schedule": [{**WEEK, "torque": 3}]}, "unknown setting(s) torque"),
    ({"name": "p", "schedule": [{"week": 1, "bws_pct": 10}]}, "missing guidance_pct, speed_kmh"),
    ({"name": "p", "schedule": [{**WEEK, "week": 2}]}, "must start at 1"),
    ({"name": "p", "schedule": [WEEK, WEEK]}, "must start at 1 and increase"),
    ({"name": "p", "schedule": [{**WEEK, "speed_kmh": 9.0}]}, "week 1: --speed 9.0 km/h"),
    ({"name": "p", "schedule": [{**WEEK, "guidance_pct": "a lot"}]}, "needs a number"),
    ({"name": "p", "controller": "magic", "schedule": [WEEK]}, "magic"),
    ({"name": "p", "follow_proposals": True, "schedule": [WEEK]}, "[start] table"),
    ({"name": "p", "start": WEEK, "schedule": [WEEK]}, "only for follow_proposals"),
    # a resistance beyond a training load (control/resist.py), named with its range
    ({"name": "p", "controller": "resist", "controller_params": {
        "resist_damping_nms_per_rad": 5.0}, "schedule": [WEEK]},
     "--resist-damping (resistance damping) must be within 0-2 N*m*s/rad, got 5.0"),
])
def test_bad_plans_are_one_line(data: dict[str, object], words: str) -> None:
    with pytest.raises(UserError) as err:
        parse_plan(data, source="x.toml")
    msg = str(err.value)
    assert words in msg
    assert "x.toml" in msg
    assert "\n" not in msg


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_plan(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_plan(broken)
    with pytest.raises(UserError, match="at least two plans"):
        load_plans([str(EXAMPLES / "fixed-guidance.toml")])
    with pytest.raises(UserError, match="names must differ"):
        load_plans([str(EXAMPLES / "fixed-guidance.toml")] * 2)
