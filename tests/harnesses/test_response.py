"""Virtual patients respond to the robot in the directions published for people (SIMULATED).

A small seeded cohort (one healthy, one hemiparetic virtual patient, 1.5-minute sessions) runs
every condition of `gaitway validate response`; each published direction must show on both.
The full table, with more patients and longer sessions: docs/validation/response.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitway.cli.main import main
from gaitway.harnesses import response

#: the cohort's 22 sessions (33 simulated minutes, about a minute on two quiet cores) run in
#: the first test's fixture: allow for a loaded machine
pytestmark = pytest.mark.timeout(3600)

TINY = response.Plan(minutes=1.5, window_s=(40.0, 70.0), slack_minutes=1.5,
                     slack_early_s=(0.0, 20.0), slack_late_s=(45.0, 70.0), per_group=1)


@pytest.fixture(scope="module")
def rows() -> dict[tuple[str, str], response.Row]:
    out = response.run(TINY, seed=1, workers=2)
    return {(r.group, r.study.key): r for r in out}


#: directions this setting does not reproduce yet (issue 19 open); strict: one that starts
#: to hold fails here, so that it leaves this list; the full table is
#: docs/validation/response.md. Empty since issue 17 item 1 (the knee extensors answer load
#: through a 60-ms lag, the pelvis's vertical motion is damped): hemiparetic 0.8 -> 1.8 km/h,
#: which moved the other way on the branch response19 (-0.002), now holds (seed 1, this plan).
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
        slack_train = PhasePlan.for_minutes(p.slack_minutes).training_s
        assert 0.0 < p.window_s[0] < p.window_s[1] <= train
        assert p.slack_early_s[1] < p.slack_late_s[0] < p.slack_late_s[1] <= slack_train
        assert p.per_group == 3
        assert p.slack_minutes == 4 * minutes
    with pytest.raises(UserError, match="at least 1 virtual patient"):
        response.plan_for(3.0, 0)
    with pytest.raises(UserError, match="at least 1 minute"):
        response.plan_for(0.3, 2)
