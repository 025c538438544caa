"""One session core for every entry point: settings validated once, the same session whether
it is recorded (simulate) or not (compare), a summary written and read by the same code."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.registry import CONTROLLER_NAMES
from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.builder import SessionCore
from gaitway.session.compare import RunSpec, run_one
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings, resolve_profile
from gaitway.session.summary import SessionSummary
from gaitway.station.channels import CONTROL_CHANNEL_NAMES
from gaitway.station.interface import Command
from gaitway.station.sim.profiles import PROFILES, generate_cohort


def test_a_recorded_and_an_unrecorded_session_are_the_same_session(tmp_path: Path) -> None:
    cfg = SessionSettings(profile="hemiparetic-left-mild", minutes=0.08, seed=5,
                          patient_events=False)
    recorded = run_session(cfg, tmp_path)
    bare = SessionCore(cfg).run()  # as compare runs it: no recorder
    assert bare.recording is None
    assert recorded.recording == "recording.gwrec"
    same = ("strides", "tracking_error_rms_deg", "active_participation_nm", "phase_error",
            "ended_by", "session_id", "settings", "faults")
    for name in same:
        assert getattr(bare, name) == getattr(recorded, name), name


def test_the_recorded_row_holds_the_command_the_drives_got(tmp_path: Path) -> None:
    """cmd_* channels: what safety passed to the drives, packed in one place by name."""
    run_session(SessionSettings(profile="healthy", minutes=0.03, seed=1,
                                patient_events=False), tmp_path)
    ts = open_recording(tmp_path).read([f"cmd_{f}" for f in Command._fields])
    assert set(ts.data) == {f"cmd_{f}" for f in Command._fields}
    assert all(f"cmd_{f}" in CONTROL_CHANNEL_NAMES for f in Command._fields)
    assert ts["cmd_harness_force"].max() > 50.0  # body-weight support was commanded
    assert ts["cmd_belt_speed"].min() >= 0.0


def test_compare_runs_cohort_patients_through_the_same_core() -> None:
    row = run_one(RunSpec(patient_index=1, controller="resist", cohort_seed=4, cohort_size=3,
                          minutes=0.05, speed_m_s=0.5, guidance=1.0))
    assert row["patient"] == generate_cohort(3, 4)[1].id
    assert row["steps"] >= 0
    assert resolve_profile("cohort-4-001") == generate_cohort(3, 4)[1]


@pytest.mark.parametrize(("change", "message"), [
    ({"controller": "impedance"}, "must be one of .*got 'impedance'"),
    ({"profile": "nobody"}, "unknown profile"),
    ({"speed_kmh": 9.0}, "beyond what the device"),
    ({"bws_pct": -1.0}, "--bws"),
    ({"resist_torque_nm": math.nan}, "--resist-torque"),
    ({"aan_min_pct": 80.0, "aan_max_pct": 40.0}, "support bounds"),
    ({"injections": ("nonsense@1",)}, "nonsense"),
])
def test_bad_settings_are_refused_in_one_line(tmp_path: Path, change: dict[str, object],
                                              message: str) -> None:
    cfg = dataclasses.replace(SessionSettings(profile="healthy", minutes=0.1), **change)
    with pytest.raises(UserError, match=message) as err:
        SessionCore(cfg, out_dir=tmp_path / "x")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "x").exists()  # nothing created for a session that cannot run


@settings(max_examples=30, deadline=None, derandomize=True)
@given(profile=st.sampled_from(sorted(PROFILES)), controller=st.sampled_from(CONTROLLER_NAMES),
       guidance=st.floats(0.0, 100.0), bws=st.floats(0.0, 80.0), speed=st.floats(0.5, 3.2),
       seed=st.integers(0, 10_000), minutes=st.floats(0.01, 240.0))
def test_settings_round_trip_through_their_json(profile: str, controller: str, guidance: float,
                                                bws: float, speed: float, seed: int,
                                                minutes: float) -> None:
    cfg = SessionSettings(profile=profile, minutes=minutes, seed=seed, guidance_pct=guidance,
                          bws_pct=bws, speed_kmh=speed, controller=controller).validate()
    back = SessionSettings.from_dict(cfg.to_dict())
    assert back == cfg
    assert back.session_id == cfg.session_id


def test_a_summary_refuses_an_unknown_controller_and_unknown_fields(tmp_path: Path) -> None:
    s = run_session(SessionSettings(profile="healthy", minutes=0.02, seed=2), tmp_path)
    data = s.to_dict()
    assert SessionSummary.from_dict(data) == s
    with pytest.raises(UserError, match="must be one of"):
        SessionSummary.from_dict(data | {"controller": "impedance"})
    with pytest.raises(UserError, match="unknown field"):
        SessionSummary.from_dict(data | {"shiny": 1})
    with pytest.raises(UserError, match="must be a number"):
        SessionSummary.from_dict(data | {"duration_s": "long"})
