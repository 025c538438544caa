"""Virtual patients respond to the robot in the directions published for people (SIMULATED).

A small seeded cohort (one healthy, one hemiparetic virtual patient, 1.5-minute sessions) runs
every condition of `gaitway validate response`; each published direction must show on both.
The full table, with more patients and longer sessions: docs/validation/response.md.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from gaitway.cli.main import main
from gaitway.harnesses import response
from gaitway.harnesses.response_run import RunResult, WindowResult, run_condition
from gaitway.session.effort import EffortSummary
from gaitway.station.sim.profiles import PROFILES

#: the cohort's 22 sessions (33 simulated minutes, about a minute on two quiet cores) run in
#: the first test's fixture: allow for a loaded machine
pytestmark = pytest.mark.timeout(3600)

#: the slacking session's windows are from the first step (80 s of walking in 1.5 min)
TINY = response.Plan(minutes=1.5, window_s=(40.0, 70.0), slack_minutes=1.5,
                     slack_early_s=(0.0, 15.0), slack_late_s=(55.0, 78.0), per_group=1)


@pytest.fixture(scope="module")
def rows() -> dict[tuple[str, str], response.Row]:
    out = response.run(TINY, seed=1, workers=2)
    return {(r.group, r.study.key): r for r in out}


#: directions this setting does not reproduce yet (issue 19 open), each an xfail. Empty: the
#: last one, hemiparetic 0.8 -> 1.8 km/h, holds since the twin's foot lands once (issue 17
#: item 1; it passed as a non-strict xfail in the full CI run on 1b30aaf).
NOT_REPRODUCED_YET: frozenset[tuple[str, str]] = frozenset()


def _case(group: str, study: str) -> object:
    if (group, study) in NOT_REPRODUCED_YET:
        return pytest.param(group, study, marks=pytest.mark.xfail(
            strict=True, reason="issue 19: the twin does not reproduce this direction yet"))
    return pytest.param(group, study)


@pytest.mark.slow
@pytest.mark.parametrize(("group", "study"), [_case(g, s.key) for s in response.STUDIES
                                               for g in ("healthy", "hemiparetic")])
def test_published_direction_reproduced(rows: dict[tuple[str, str], response.Row],
                                        group: str, study: str) -> None:
    row = rows[(group, study)]
    assert row.n == 1
    assert row.reproduced, (
        f"{group} {study}: {row.study.a} -> {row.study.b} moved {row.mean:+.4g} "
        f"({row.a_mean:.4g} -> {row.b_mean:.4g}); published direction {row.study.direction:+d}")


def test_cohorts_are_seeded_and_span_the_profiles() -> None:
    a = response.cohort("hemiparetic", 6, seed=3)
    assert a == response.cohort("hemiparetic", 6, seed=3)
    assert len({p.id for p, _ in a}) == 6  # all six hemiparetic profiles
    assert {p.id.split("-")[-1] for p, _ in a[:3]} == {"mild", "moderate", "severe"}
    h = response.cohort("healthy", 4, seed=3)
    assert len({p.height_m for p, _ in h}) == 4
    assert all(p.diagnosis == "healthy" for p, _ in h)
    with pytest.raises(ValueError, match="unknown group"):
        response.cohort("martian", 1, seed=1)


def test_reproduced_needs_the_published_sign_and_an_interval_clear_of_zero() -> None:
    st = response.STUDIES[0]  # a +1 study
    row = response.Row(st, "healthy", 0.02, 0.01, 0.03, 4, 0.1, 0.12)
    assert row.reproduced
    assert not response.Row(st, "healthy", 0.02, -0.01, 0.05, 4, 0.1, 0.12).reproduced
    assert not response.Row(st, "healthy", -0.02, -0.03, -0.01, 4, 0.1, 0.08).reproduced


def test_validate_response_refuses_bad_input(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["validate", "response", "--out", str(f)]) == 2
    assert "give a folder" in capsys.readouterr().err
    assert main(["validate", "response", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


def test_plan_for_measures_within_training_and_refuses_too_short() -> None:
    from gaitway.errors import UserError
    from gaitway.session.loop import PhasePlan

    for minutes in (1.0, 3.0, 5.0, 12.5):
        p = response.plan_for(minutes, 3)
        train = PhasePlan.for_minutes(minutes).training_s
        slack = PhasePlan.for_minutes(p.slack_minutes)
        assert 0.0 < p.window_s[0] < p.window_s[1] <= train
        # the slacking windows are from the first step: the early one within the warm-up's
        # start, the late one within training
        assert p.slack_early_s[0] == 0.0
        assert p.slack_early_s[1] < p.slack_late_s[0] < p.slack_late_s[1]
        assert slack.warm_up_s < p.slack_late_s[0]
        assert p.slack_late_s[1] <= slack.warm_up_s + slack.training_s
        course = p.slack_course_s()
        assert course[0][0] == 0.0
        assert course[-1][1] <= p.slack_late_s[0]
        assert p.per_group == 3
        assert p.slack_minutes == 4 * minutes
    assert response.plan_for(3.0, 2, slack_minutes=20.0).slack_minutes == 20.0
    with pytest.raises(UserError, match="at least 1 virtual patient"):
        response.plan_for(3.0, 0)
    with pytest.raises(UserError, match="at least 1 minute"):
        response.plan_for(0.3, 2)
    with pytest.raises(UserError, match="too short to slack"):
        response.plan_for(1.0, 2, slack_minutes=1.0)


def test_slacking_half_time_reads_the_course_of_the_decline() -> None:
    """The time until half of the decline: the middle of the first course window at or below
    half way from the first window to the late one; NaN when it never gets there."""
    plan = response.Plan(minutes=1.5, window_s=(40.0, 70.0), slack_minutes=1.5,
                         slack_early_s=(0.0, 15.0), slack_late_s=(55.0, 78.0), per_group=1)
    course = plan.slack_course_s()
    assert course == ((0.0, 10.0), (10.0, 20.0), (20.0, 30.0), (30.0, 40.0), (40.0, 50.0))

    def result(values: list[float], late: float) -> RunResult:
        def w(x: float) -> response.WindowResult:
            eff = EffortSummary(
                (0.0,) * 4, (0.0,) * 4, (math.nan,) * 4, math.nan, x, x, x, (x,) * 8, 1, 1)
            return WindowResult(eff, 0.0, 0.0, 0.0, 0.0)
        return RunResult("p", response.SLACK, 1,
                                  (w(values[0]), w(late), *(w(v) for v in values)), False)

    act = response.MEASURES["activation"][1]
    assert response.half_time_s(result([0.2, 0.16, 0.13, 0.11, 0.1], 0.1), act, plan) == 25.0
    assert math.isnan(response.half_time_s(result([0.2, 0.2, 0.2, 0.2, 0.2], 0.1), act, plan))
    assert math.isnan(response.half_time_s(result([0.1] * 5, 0.2), act, plan))  # rose


def test_sizes_are_compared_only_where_a_range_is_published() -> None:
    by_key = {st.key: st for st in response.STUDIES}
    grf = by_key["bws-grf"]
    assert grf.size.compared
    assert grf.size.unit == "%"
    row = response.Row(grf, "healthy", -900.0, -1000.0, -800.0, 4, 2000.0, 1100.0, -45.0)
    assert row.size_in_range is True
    assert response.Row(grf, "healthy", -300.0, -400.0, -200.0, 4, 2000.0, 1700.0,
                        -15.0).size_in_range is False
    path = by_key["path"]
    assert not path.size.compared
    assert response.Row(path, "healthy", 0.01, 0.0, 0.02, 4, 0.1, 0.11, 10.0).size_in_range \
        is None
    md = response.markdown([row], TINY, seed=1, command="gaitway validate response",
                           wall_s=60.0)
    assert "published size" in md
    assert "in range" in md
    assert "SIMULATED" in md


def test_a_patient_who_took_no_stride_is_left_out_of_the_row_and_named() -> None:
    """A patient who did not walk in a condition (no stride with a leg) has no per-stride
    figures there: it leaves that row (not silently, through a NaN), and the row says so."""
    plan = replace(TINY, per_group=3)
    members = response.cohort("hemiparetic", 3, seed=1)
    conds = response.conditions(plan)
    stuck = members[2][0].id

    def window(value: float, strides: int) -> WindowResult:
        eff = EffortSummary((1.0,) * 4, (1.0,) * 4, (50.0,) * 4, value, value, value, value,
                            (value,) * 8, strides, strides)
        return WindowResult(eff, 10.0, 0.0, 0.0, 1000.0)

    by: dict[tuple[str, str, str, int], RunResult] = {}
    for k, (p, s) in enumerate(members):
        for name, cond in conds.items():
            walks = not (p.id == stuck and name == "guidance 30 %")
            v = 0.1 + 0.01 * k + (0.02 if name != "guidance 100 %" else 0.0)
            res = RunResult(p.id, name, s, tuple(window(v if walks else 0.5, 20 if walks else 0)
                                                 for _ in cond.windows_s), False)
            by[("hemiparetic", p.id, name, s)] = res
    rows = {r.study.key: r for r in response.rows_of(by, plan, seed=1, groups=("hemiparetic",))}
    g30 = rows["guidance-30"]
    assert g30.not_walking == (stuck,)
    assert g30.n == 2
    assert g30.mean == pytest.approx(0.02)
    assert rows["guidance-60"].not_walking == ()
    assert rows["guidance-60"].n == 3
    md = response.markdown(list(rows.values()), plan, seed=1, command="x", wall_s=1.0)
    assert f"left out (took no stride): {stuck}" in md


def test_each_row_names_every_patients_own_difference() -> None:
    """The mean of a mixed cohort hides a patient who moves the other way: each row keeps
    every compared patient's own b - a, and the table prints it, in bold when it goes
    against the published direction."""
    plan = replace(TINY, per_group=3)
    members = response.cohort("hemiparetic", 3, seed=1)
    conds = response.conditions(plan)
    own = {p.id: d for (p, _), d in zip(members, (0.02, 0.01, -0.005), strict=True)}

    def window(value: float) -> WindowResult:
        eff = EffortSummary((1.0,) * 4, (1.0,) * 4, (50.0,) * 4, value, value, value, value,
                            (value,) * 8, 20, 20)
        return WindowResult(eff, 10.0, 0.0, 0.0, 1000.0)

    by: dict[tuple[str, str, str, int], RunResult] = {}
    for p, s in members:
        for name, cond in conds.items():
            v = 0.1 + (own[p.id] if name == "guidance 60 %" else 0.0)
            by[("hemiparetic", p.id, name, s)] = RunResult(
                p.id, name, s, tuple(window(v) for _ in cond.windows_s), False)
    rows = {r.study.key: r for r in response.rows_of(by, plan, seed=1, groups=("hemiparetic",))}
    g60 = rows["guidance-60"]
    assert [pid for pid, _ in g60.per_patient] == [p.id for p, _ in members]
    assert [d for _, d in g60.per_patient] == pytest.approx(list(own.values()))
    assert g60.mean == pytest.approx(sum(own.values()) / 3)
    assert all(d == pytest.approx(0.0) for _, d in rows["guidance-30"].per_patient)
    md = response.markdown(list(rows.values()), plan, seed=1, command="x", wall_s=1.0)
    assert "## Per virtual patient" in md
    against = members[2][0].id
    assert f"{against}: **-0.0050**" in md
    assert f"{members[0][0].id}: +0.0200" in md
    data = response.to_json(list(rows.values()), plan, seed=1)
    row = next(r for r in data["rows"] if r["study"] == "guidance-60")  # type: ignore[union-attr]
    assert row["per_patient_difference"][against] == pytest.approx(-0.005)


def _activation(profile_id: str, seed: int, names: tuple[str, ...]) -> dict[str, float]:
    conds = response.conditions(TINY)
    return {n: run_condition(PROFILES[profile_id], seed, conds[n]).windows[0].effort.activation
            for n in names}


@pytest.mark.slow
@pytest.mark.parametrize("profile_id", ["hemiparetic-left-severe", "hemiparetic-right-severe"])
def test_a_severely_affected_patient_tries_harder_when_helped_less(profile_id: str) -> None:
    """Issue 19: a severe paretic leg whose rhythm runs off the robot's showed, against its
    own clock, an error no effort could remove; its drive sat at the ceiling under full
    guidance and its extensors fought the robot's knee flexion, so its mean activation fell
    with less guidance and under path control (docs/validation/response.md on e5c17a0: -0.0007
    / -0.0009 / -0.010 and -0.0006 / -0.0011 / -0.012). People try harder when helped less,
    up to what they can give."""
    got = _activation(profile_id, 1501, ("guidance 100 %", "guidance 30 %", "path control"))
    full = got["guidance 100 %"]
    assert got["guidance 30 %"] > full
    assert got["path control"] > full


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 1])
def test_assist_as_needed_leaves_a_healthy_patient_more_of_the_work(index: int) -> None:
    """Issue 19: with the error gain too small for a healthy leg's extra error under the
    softer robot to buy drive, assist-as-needed did more robot work than full guidance
    (+0.40 J, 5 of 6 virtual patients, docs/validation/response.md on e5c17a0)."""
    prof, seed = response.cohort("healthy", 2, seed=2)[index]
    conds = response.conditions(TINY)
    work = [run_condition(prof, seed, conds[n]).windows[0].robot_assist_work_j
            for n in ("guidance 100 %", "assist-as-needed")]
    assert work[1] < work[0]
