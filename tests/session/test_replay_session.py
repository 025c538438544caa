"""A recording replayed as a station reproduces what the session computed live."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from gaitway.errors import UserError
from gaitway.session.replay import run_replay
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings


def test_a_replayed_session_reproduces_the_live_one(tmp_path: Path) -> None:
    live = run_session(SessionSettings(profile="healthy", minutes=0.1, seed=4,
                                       patient_events=False), tmp_path / "live")
    again = run_replay(tmp_path / "live", tmp_path / "replay", speed=None)
    assert again.transport == "replay"
    assert again.ended_by == "completed"
    assert again.strides == live.strides
    replayed = asdict(again.tracking_error_rms_deg)
    for joint, err in asdict(live.tracking_error_rms_deg).items():
        # the recording keeps each channel at its resolution: the controller sees it rounded.
        # The replay's RMS error sits a near-constant ~0.06 deg above the live one (knee left:
        # 0.993 -> 1.049 deg before the effort model of issue 19, 0.44 -> 0.511 after it, whose
        # patient follows better): an absolute bound, below the console's 0.1-deg display
        assert replayed[joint] == pytest.approx(err, rel=0.15, abs=0.1)


def test_replaying_what_is_not_a_recording_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot replay"):
        run_replay(tmp_path / "nothing", tmp_path / "out")
