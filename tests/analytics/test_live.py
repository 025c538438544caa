from __future__ import annotations

import numpy as np
import pytest

from gaitway.analytics.analyze import analyze_data
from gaitway.analytics.live import LiveStrideAnalyzer
from gaitway.analytics.synthetic import SyntheticGait, generate
from gaitway.errors import UserError


def test_live_strides_match_offline() -> None:
    data, _, _ = generate(SyntheticGait(duration_s=15.0, seed=8, emg=False))
    assert data.forces is not None
    assert data.kinematics is not None
    names = ["time", *data.forces.channels, *data.kinematics.channels]
    rows = np.column_stack(
        [data.forces.time, *data.forces.channels.values(), *data.kinematics.channels.values()]
    )
    live = LiveStrideAnalyzer(sampling_rate_hz=1000.0, channel_names=names, body_mass_kg=70.0)
    got = [rec for row in rows for rec in live.push(row)]
    offline = analyze_data(data)
    for side in ("left", "right"):
        on = [r for r in got if r["side"] == side]
        off = offline["strides"][side]
        assert abs(len(on) - len(off)) <= 1
        matched = []
        for r in on:
            near = [b for b in off if abs(b["start_s"] - r["start_s"]) < 0.05]
            if near:
                matched.append((r, near[0]))
        assert len(matched) >= len(on) - 1
        for a, b in matched:
            assert a["stride_time_s"] == pytest.approx(b["stride_time_s"], abs=0.01)
            assert a["stance_pct"] == pytest.approx(b["stance_pct"], abs=1.5)
            assert a["rom_knee_deg"] == pytest.approx(b["rom_knee_deg"], abs=0.5)
    # Each record is ready as soon as the next heel strike is recognised (signal time).
    assert max(r["detected_at_s"] - r["end_s"] for r in got) < 0.05


def test_live_needs_forces() -> None:
    with pytest.raises(UserError, match="grf_z_left"):
        LiveStrideAnalyzer(sampling_rate_hz=1000.0, channel_names=["time", "hip_angle_left"])
