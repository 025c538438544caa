"""Active participation, stride records, fatigue detection and EMG median frequency."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.fatigue import EmgMedianFrequency, FatigueDetector, FatigueSettings
from gaitway.control.participation import StrideMonitor


def _stride(mon: StrideMonitor, cuff_torque: float, err: float, side: int, t: float) -> None:
    q_ref = [0.1, 0.2, 0.1, 0.2]
    qd = [1.0, -1.0, 1.0, -1.0]  # the joints' actual motion
    q = [x - err for x in q_ref]
    # cuff torque along (+) or against (-) the joint's motion, per joint
    inter = [cuff_torque * (1 if v > 0 else -1) for v in qd]
    for _ in range(1000):
        mon.update(q, qd, q_ref, inter, 0.001)
    mon.close_stride(side, t)


def test_participation_sign_says_who_leads() -> None:
    mon = StrideMonitor()
    mon.close_stride(0, 0.0)  # first heel strike opens the stride
    _stride(mon, cuff_torque=-3.0, err=0.0, side=0, t=1.0)  # the leg moves against the robot
    _stride(mon, cuff_torque=5.0, err=0.02, side=0, t=2.0)  # robot carries the leg
    leads, carried = mon.records
    assert leads.participation_nm == pytest.approx((3.0, 3.0))
    assert leads.robot_assist_work_j == pytest.approx((0.0, 0.0))
    assert leads.robot_resist_work_j == pytest.approx((3.0, 3.0))  # 3 N*m over 1 rad
    assert carried.participation_nm == pytest.approx((-5.0, -5.0))
    assert carried.robot_work_j[0] == pytest.approx(5.0)  # 5 N*m at 1 rad/s for 1 s
    assert carried.robot_assist_work_j == pytest.approx((5.0, 5.0))
    assert carried.robot_resist_work_j == pytest.approx((0.0, 0.0))
    assert carried.tracking_error_rms_rad == pytest.approx((0.02, 0.02))
    assert carried.duration_s == pytest.approx(1.0)
    assert carried.side == "left"


@settings(max_examples=30, deadline=None, derandomize=True)
@given(torque=st.lists(st.floats(-80.0, 80.0), min_size=8, max_size=8),
       speed=st.lists(st.floats(-8.0, 8.0), min_size=8, max_size=8))
def test_robot_work_splits_into_with_and_against(torque: list[float],
                                                 speed: list[float]) -> None:
    """assist - resist is the net work; both parts are >= 0; participation is minus the net
    work per radian travelled, whatever torques and speeds a stride holds."""
    mon = StrideMonitor()
    mon.close_stride(1, 0.0)
    q = [0.0] * 4
    for k in range(8):  # eight 10 ms pieces of a stride
        qd = [speed[k]] * 4
        for _ in range(10):
            mon.update(q, qd, q, [torque[k]] * 4, 0.001)
    rec = mon.close_stride(1, 0.08)
    assert rec is not None
    net = sum(t * v * 0.01 for t, v in zip(torque, speed, strict=True))
    travel = sum(abs(v) * 0.01 for v in speed)
    for j in (0, 1):
        assert rec.robot_assist_work_j[j] >= 0.0
        assert rec.robot_resist_work_j[j] >= 0.0
        assert rec.robot_work_j[j] == pytest.approx(net, abs=1e-9)
        assert rec.robot_assist_work_j[j] - rec.robot_resist_work_j[j] == pytest.approx(
            net, abs=1e-9)
        expect = -net / travel if travel > 0.0 else 0.0
        assert rec.participation_nm[j] == pytest.approx(expect, abs=1e-9)


def test_no_fatigue_when_steady() -> None:
    det = FatigueDetector(FatigueSettings(baseline_strides=5, window_strides=5))
    rng = np.random.default_rng(1)
    found = [det.add_stride(0.03 + rng.normal(0, 0.002), 2.0 + rng.normal(0, 0.2), 80.0)
             for _ in range(100)]
    assert not any(found)


def test_fatigue_from_rising_error_and_falling_participation() -> None:
    det = FatigueDetector(FatigueSettings(baseline_strides=5, window_strides=5))
    for _ in range(10):
        assert det.add_stride(0.03, 2.0) is None
    finding = None
    for i in range(40):
        finding = finding or det.add_stride(0.03 * (1 + 0.05 * i), 2.0 - 0.1 * i)
    assert finding is not None
    assert any("tracking error rose" in r for r in finding.reasons)
    assert any("participation fell" in r for r in finding.reasons)


def test_fatigue_from_emg_median_frequency() -> None:
    det = FatigueDetector(FatigueSettings(baseline_strides=5, window_strides=5))
    for _ in range(10):
        det.add_stride(0.03, 2.0, 90.0)
    hits = [det.add_stride(0.03 * 1.4, 2.0, 90.0 * (1 - 0.01 * i)) for i in range(30)]
    found = [h for h in hits if h]
    assert found
    assert any("median frequency" in r for r in found[0].reasons)


def test_emg_median_frequency_of_a_known_spectrum() -> None:
    fs = 1000.0
    mdf = EmgMedianFrequency(sampling_rate_hz=fs)
    t = np.arange(1200) / fs
    for x in (np.sin(2 * math.pi * 60.0 * t) + 0.999 * np.sin(2 * math.pi * 140.0 * t)):
        mdf.add(float(x))
    assert 55.0 <= mdf.close_stride() <= 65.0
    for x in np.sin(2 * math.pi * 120.0 * t):
        mdf.add(float(x))
    assert mdf.close_stride() == pytest.approx(120.0, abs=2.0)
    assert math.isnan(mdf.close_stride())  # nothing buffered
