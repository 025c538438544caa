"""Event timing against the events annotated by hand in real lab files (issue 17, item 2).

treadmill_events.c3d: 43 events annotated in Vicon Nexus on a split-belt treadmill where the
feet often land across both belts; overground_events.c3d: 5 events of an overground trial.
Tolerances: 25 ms for heel strikes, 40 ms for toe-offs.
"""

from __future__ import annotations

import itertools

import pytest

from gaitway.analytics import analyze_path
from gaitway.analytics.analyze import detect_events, load_path
from gaitway.analytics.events import ForcePlateParams
from gaitway.analytics.scoring import agreement

from .conftest import REAL

TREADMILL = REAL / "treadmill_events.c3d"


@pytest.fixture(scope="module")
def treadmill():  # type: ignore[no-untyped-def]
    data, _ = load_path(TREADMILL)
    return data


def test_treadmill_events_agree_with_the_annotation(treadmill) -> None:  # type: ignore[no-untyped-def]
    events, _ = detect_events(treadmill)
    rows = agreement(events, treadmill.file_events)
    assert sum(a.n_reference for a in rows) == 43
    assert sum(a.within_tolerance for a in rows) >= 42
    for a in rows:
        assert a.max_abs_error_ms is not None
        assert a.max_abs_error_ms <= 1.2 * a.tolerance_ms, a
        assert abs(a.mean_error_ms or 0.0) < 15.0, a


def test_default_without_extrapolation_is_the_better_one(treadmill) -> None:  # type: ignore[no-untyped-def]
    plain, _ = detect_events(treadmill)
    ext, _ = detect_events(treadmill, ForcePlateParams(extrapolate_to_zero=True))
    a_plain = agreement(plain, treadmill.file_events)
    a_ext = agreement(ext, treadmill.file_events)
    assert not ForcePlateParams().extrapolate_to_zero
    assert sum(a.within_tolerance for a in a_plain) >= sum(a.within_tolerance for a in a_ext)
    for p, e in zip(a_plain, a_ext, strict=True):
        if p.kind == "toe_off":  # extrapolation pushes toe-offs late
            assert abs(p.mean_error_ms or 0) < abs(e.mean_error_ms or 0), (p, e)


def test_partial_crossing_is_timed_and_flagged(treadmill) -> None:  # type: ignore[no-untyped-def]
    """The left heel rests on the right belt with 20-40 N as the right foot leaves it."""
    events, info = detect_events(treadmill)
    partial = info["partial_crossings"]
    assert [c["belt"] for c in partial] == ["right"]
    right_to = [e.time_s for e in events if e.side == "right" and e.kind == "toe_off"]
    assert min(abs(t - 6.44) for t in right_to) < 0.025  # the threshold alone: +49 ms
    r = analyze_path(TREADMILL)
    flagged = [s for s in r["strides"]["right"] if s.get("partial_crossing")]
    assert len(flagged) == 1
    assert flagged[0]["start_s"] < 6.44 < flagged[0]["end_s"]


def test_events_at_the_end_of_the_file_are_kept(treadmill) -> None:  # type: ignore[no-untyped-def]
    """A heel strike 90 ms before the end and the toe-off before it (hidden by a crossing)."""
    events, info = detect_events(treadmill)
    left = [e for e in events if e.side == "left"]
    assert left[-1].kind == "heel_strike"
    assert abs(left[-1].time_s - 11.97) < 0.025
    assert abs(left[-2].time_s - 11.54) < 0.04
    assert left[-2].kind == "toe_off"
    assert info["toe_offs_from_kinematics"] >= 1


def test_crossing_strike_is_the_earlier_contact(treadmill) -> None:  # type: ignore[no-untyped-def]
    events, _ = detect_events(treadmill)
    hs = [e.time_s for e in events if e.side == "left" and e.kind == "heel_strike"]
    assert min(abs(t - 5.18) for t in hs) < 0.025  # timed from the crossing alone: +37 ms


def test_analyze_reports_both_event_sets_side_by_side() -> None:
    r = analyze_path(TREADMILL)
    assert r["parameters"]["event_source"] == "file"
    cmp = r["detected_vs_file_events"]
    assert cmp["tolerances_ms"] == {"heel_strike": 25.0, "toe_off": 40.0}
    assert {(a["kind"], a["side"]) for a in cmp["agreement"]} == {
        (k, s) for k in ("heel_strike", "toe_off") for s in ("left", "right")
    }
    assert len(cmp["detected_events"]) >= 42
    assert all(e["source"] == "file" for e in r["events"])


def test_overground_every_step_gets_events_labelled_by_source() -> None:
    """Plates time the steps that land fully on them; the marker method (Zeni) the rest."""
    data, _ = load_path(REAL / "overground_events.c3d")
    events, info = detect_events(data)
    assert info["mode"].startswith("overground")
    by_source = info["events_by_source"]
    assert by_source["force_plate"] >= 3
    assert by_source["kinematics"] >= 8
    # Strikes alternate left/right over the whole trial, not only on the plates.
    hs = [e for e in events if e.kind == "heel_strike"]
    assert len(hs) >= 6
    assert all(a.side != b.side for a, b in itertools.pairwise(hs))
    rows = agreement(events, data.file_events)
    assert sum(a.n_reference for a in rows) == 5
    assert sum(a.within_tolerance for a in rows) == 5
    # Both feet on one plate: the second landing is timed where the pressure jumped.
    assert info["plate_contacts_with_both_feet"] == 1
    r = analyze_path(REAL / "overground_events.c3d")
    sources = {e["source"] for e in r["detected_vs_file_events"]["detected_events"]}
    assert sources == {"force_plate", "kinematics"}
