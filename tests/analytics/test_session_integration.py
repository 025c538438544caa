"""End to end on a short SIMULATED session of the twin (runner and recording from main)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gaitway.analytics import analyze_path, native_filter
from gaitway.analytics.live import LiveStrideAnalyzer
from gaitway.recording import open_recording
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.station.channels import RECORDED_CHANNELS


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("session")
    run_session(SessionSettings(profile="hemiparetic-left-moderate", minutes=0.4, seed=3), d)
    return d


@pytest.mark.slow
def test_recording_analysis_against_truth(session: Path) -> None:
    r = analyze_path(session)
    assert r["source"] == "simulated"
    assert r["notes"][0].startswith("SIMULATED")
    v = r["validation"]["events_vs_simulation_truth"]
    assert v["f1"] > 0.95
    assert v["median_abs_error_ms"] < 8
    assert len(r["strides"]["left"]) >= 5
    assert set(r["cycles"]["left"]) >= {"hip", "knee"}
    assert "tracking_rmse_knee_deg_left_mean" in r["metrics"]
    assert "participation_hip_swing_nm_right_mean" in r["metrics"]
    assert len(r["emg"]) == 8
    # the twin's pelvis does not slide sideways (a clean zero channel): no sway of 0.0 m is
    # reported as if measured, the session says why it is absent
    assert not any("pelvis_sway" in k for k in r["metrics"])
    why = {u["name"]: u["why"] for u in r["parameters"]["unavailable_metrics"]}
    assert why.get("pelvis_sway_ml_m") == "constant_channel"
    # the twin's belts leak no load into each other and its recording says so: the events
    # are thresholded for that, not for a real split-belt treadmill's 4 %
    assert r["parameters"]["events"]["crosstalk_coefficient"] == 0.0


#: A weak, chattering push-off of the slacking paretic leg once ended stances 10-40 ms early
#: here (issue 17 item 1); with the effort model of issue 19 (the drive carries the swing
#: moments and the load response) the leg lets go cleanly and both checks hold. With the
#: twin's feet landing on the intent's time (docs/unlanded twin17e/f, pelvic tilt) the
#: trailing foot unloads over ~60 ms instead of leaving at ~100 N: thresholded for the
#: treadmill preset's 4 % crosstalk (the twin's belts have none) its toe-offs came 10-16 ms
#: early (p95 17.9 ms); for the plates' declared leak, 9.8 ms. There the live detector took a
#: one-tick contact dropout in pre-swing for a toe-off and a false stance followed (16 live
#: strides of 29); it now ends a stance as the offline detector does (29 of 29).
@pytest.mark.slow
def test_event_timing_against_truth(session: Path) -> None:
    v = analyze_path(session)["validation"]["events_vs_simulation_truth"]
    assert v["p95_abs_error_ms"] < 15


@pytest.mark.slow
def test_live_on_recorded_rows(session: Path) -> None:
    rec = open_recording(session)
    names = [c.name for c in RECORDED_CHANNELS]
    ts = rec.read(channels=[n for n in names if n != "time"])
    rows = np.column_stack([ts.time] + [ts[n] for n in names if n != "time"])
    live = LiveStrideAnalyzer(sampling_rate_hz=ts.sampling_rate_hz, body_mass_kg=75.0)
    got = [x for row in rows for x in live.push(row)]
    offline = analyze_path(session)
    n_off = sum(len(v) for v in offline["strides"].values())
    assert len(got) >= n_off - 3
    assert all(x["detected_at_s"] - x["end_s"] < 0.05 for x in got)


@pytest.mark.slow
def test_emg_onsets_against_the_twins_true_activation(session: Path) -> None:
    """Each muscle's detected onsets against its true activation (issue 17 item 3).

    Bounds: the envelope is the rectified signal through a 6-Hz fourth-order zero-phase
    low-pass, whose impulse response spreads an onset over about +-40 ms, so an onset taken at
    the same threshold fraction as the truth's lies within 40 ms on average; at least 90 % of
    true onsets found and false onsets at most 25 % of them. Measured on this seeded 24-s
    session: recall 0.97-1.0, false onsets 0-21 %, mean |error| 7-23 ms per muscle; on 3 min
    of the same profile (docs/validation/report.md) the same or better except where noted
    there.

    The first version of the twin's landing change (issue 17 item 1, on the effort model
    before issue 19's) made 8 false tibialis-anterior onsets of 18 here. Truth and EMG come
    from the same activation (no impact artefact in the synthesis) and the detector was right:
    each false onset was at a heel strike, where the foot slapping down (0.13 rad of
    plantarflexion in 40 ms) drew a 40-ms dorsiflexor burst, followed by early-stance activity
    just under the 20 % threshold for 100 ms. The truth's minimum burst of 50 ms, applied to
    the un-smoothed activation, dropped that burst and started the stance burst 160 ms later;
    the 6-Hz envelope spreads 40 ms of activity over more than 100 ms, so the detector kept
    it. With the effort model of issue 19 the early-stance activity stays well above the
    threshold and the two agree (0 false onsets).

    The effort rule that lets help be learnt (issue 19, resp19) gave the paretic biceps
    femoris a second, weak burst each stride whose peak clears the 20-% threshold by a tenth
    (0.060 against 0.055, in 13 of 16 strides here): its EMG envelope crossed the threshold
    in 5 of those 13 and the recall over all bursts fell to 21 of 29. Such bursts are not
    scored either way (``NEAR_THRESHOLD_MARGIN``); each channel still needs 10 clear ones.
    With the slow belt's hold (slow12, measured as first applied), the non-paretic vastus
    lateralis' rest between its loading and its late-swing bursts dipped under the threshold
    by a fifth of its height (0.127-0.143 against 0.153) for 50-100 ms in 8 of 15 strides:
    two true onsets, where the envelope's 6-Hz low-pass fills the dip and finds one; those
    are not scored either."""
    from gaitway.analytics.emg import EmgPipeline
    from gaitway.analytics.emg_truth import match_onsets, true_bursts

    rec = open_recording(session)
    names = [c.name for c in rec.truth_channels if c.name.startswith("truth_activation_")]
    assert len(names) == 8
    emg = ["emg_" + n.removeprefix("truth_activation_") for n in names]
    ts = rec.read(names + emg)
    fs = ts.sampling_rate_hz
    for truth, channel in zip(names, emg, strict=True):
        found = EmgPipeline().process(ts[channel], sampling_rate_hz=fs).onsets_s_
        m = match_onsets(found, true_bursts(ts[truth], fs))
        assert m.n_reference >= 10, channel
        assert m.matched >= 0.9 * m.n_reference, (channel, m)
        assert m.false_onsets <= 0.25 * m.n_reference, (channel, m)
        assert m.mean_abs_error_ms is not None, channel
        assert m.mean_abs_error_ms <= 40, (channel, m)


@pytest.mark.slow
def test_analysis_is_the_same_with_and_without_the_compiled_filter(
    session: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole result of a twin recording (8 EMG channels, filtered 4 at a time in lockstep
    where the kernel is built) equals the one with scipy filtering channel by channel."""
    with_kernel = analyze_path(session)
    monkeypatch.setenv(native_filter.ENV_SWITCH, "0")
    assert native_filter.lockstep() is None
    without = analyze_path(session)
    assert len(with_kernel["emg"]) == 8
    assert json.dumps(with_kernel, sort_keys=True) == json.dumps(without, sort_keys=True)
