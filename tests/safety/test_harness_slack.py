"""No false harness_slack stop anywhere a therapist may set support, guidance and speed.

At low body-weight support the cable goes slack for a moment after heel strikes at speed
(docs/safety/harness_slack.md). The body-weight-support loop used to wind up its integral
while slack and the supervisor judged slack against that transient command: for example
hemiparetic-right-moderate, guidance 20 %, BWS 5 %, 2.6 km/h, seed 17 stopped at 1.86 s
("harness force -1 N against 140 N commanded"). A harness that really comes loose is still
a fault: tests/safety/test_supervisor.py and the fault matrix (hazard H12).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gaitway.control.belt import MAX_SPEED_KMH, MIN_SPEED_KMH
from gaitway.control.registry import CONTROLLERS
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.station.sim.profiles import PROFILES

#: seconds of each session: the start, the belt's ramp and the first strides at speed
SECONDS = 5.0


def _stops(settings: SessionSettings, out: Path) -> list[str]:
    summary = run_session(settings, out)
    return [f"{f['kind']} at {f['detected_at_s']:.2f} s ({f['detail']})"
            for f in summary.faults if f["reaction"] != "warn"]


def test_the_reported_case_no_longer_stops(tmp_path: Path) -> None:
    s = SessionSettings(profile="hemiparetic-right-moderate", controller="guidance",
                        guidance_pct=20.0, bws_pct=5.0, speed_kmh=2.6, minutes=0.25, seed=17)
    assert _stops(s, tmp_path) == []


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),  # a failing session is shown, not shrunk
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profile=st.sampled_from(sorted(PROFILES)),
       controller=st.sampled_from(sorted(CONTROLLERS)),
       bws=st.floats(0.0, 60.0), guidance=st.floats(0.0, 100.0),
       speed=st.floats(MIN_SPEED_KMH, MAX_SPEED_KMH), seed=st.integers(0, 999))
def test_no_session_stops_for_harness_slack_in_its_first_seconds(
        tmp_path_factory: pytest.TempPathFactory, profile: str, controller: str, bws: float,
        guidance: float, speed: float, seed: int) -> None:
    s = SessionSettings(profile=profile, controller=controller, bws_pct=bws,
                        guidance_pct=guidance, speed_kmh=speed, minutes=SECONDS / 60.0,
                        seed=seed, patient_events=False)
    stops = _stops(s, tmp_path_factory.mktemp("s"))
    # only the harness is this test's subject: other stops in the first seconds (a start-up
    # cuff peak of a severe profile) are issue 12 item 4's (tests/harnesses/test_envelope.py)
    assert not [x for x in stops if x.startswith("harness")], (s, stops)
