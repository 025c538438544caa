"""The patient's share of the positive work, per stride for the console and per window for the
summary, from the same running total (SIMULATED truth; docs/metrics.md)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.participation import StrideRecord
from gaitway.session.effort import EVERY, EffortMeter, StrideParticipation
from gaitway.station.channels import (
    DRIVEN_DOFS,
    LEG_DOFS,
    SAMPLE_CHANNELS,
    SAMPLE_INDEX,
    SIDES,
    TRUTH_CHANNELS,
    TRUTH_INDEX,
)

DT = 0.001
_VOL = [TRUTH_INDEX[f"truth_voluntary_torque_{j}_{s}"] for j, s in DRIVEN_DOFS]
_QD = [SAMPLE_INDEX[f"{j}_velocity_{s}"] for j, s in DRIVEN_DOFS]


def _record(t: float, side: str, robot_j: tuple[float, float]) -> StrideRecord:
    return StrideRecord(time_s=t, side=side, duration_s=1.0, tracking_error_rms_rad=(0.0, 0.0),
                        participation_nm=(0.0, 0.0), robot_work_j=robot_j,
                        robot_assist_work_j=robot_j, robot_resist_work_j=(0.0, 0.0))


powers = st.floats(min_value=-40.0, max_value=40.0, allow_nan=False)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    stride_powers=st.lists(st.tuples(powers, powers, powers, powers), min_size=2, max_size=4),
    robot=st.lists(st.tuples(st.floats(0.0, 30.0), st.floats(0.0, 30.0)), min_size=4, max_size=4),
    side=st.sampled_from(SIDES),
)
def test_each_strides_share_is_the_summarys_formula_over_that_stride(
        stride_powers: list[tuple[float, float, float, float]],
        robot: list[tuple[float, float]], side: str) -> None:
    """Strides of one leg, each with a constant power per joint: the share of stride k is
    100 * W_patient+ / (W_patient+ + W_robot+) at that leg's hip and knee over stride k."""
    meter = EffortMeter(dt=DT)
    shares = StrideParticipation()
    values = np.zeros(len(SAMPLE_CHANNELS))
    truth = np.zeros(len(TRUTH_CHANNELS))
    h, k = LEG_DOFS[SIDES.index(side)]
    ticks = 200 * EVERY  # whole multiples of the meter's reading interval
    t = 0.0
    got: list[float | None] = [shares.close(_record(t, side, (0.0, 0.0)),
                                            meter.patient_positive_work_j)]
    for n, p4 in enumerate(stride_powers):
        for i in range(4):
            values[_QD[i]] = 1.0
            truth[_VOL[i]] = p4[i]
        for _ in range(ticks):
            t += DT
            values[0] = t
            meter.add(values, truth)
        got.append(shares.close(_record(t, side, robot[n]), meter.patient_positive_work_j))
    assert got[0] is None  # a leg's first stride has no start
    for n, p4 in enumerate(stride_powers):
        patient = (max(p4[h], 0.0) + max(p4[k], 0.0)) * ticks * DT
        total = patient + robot[n][0] + robot[n][1]
        if total > 0.0:
            assert got[n + 1] is not None
            assert math.isclose(got[n + 1], 100.0 * patient / total, rel_tol=1e-9, abs_tol=1e-9)
        else:
            assert got[n + 1] is None


def test_the_running_total_counts_outside_the_summarys_window_too() -> None:
    """The console's shares start with the first stride; the summary's window at training."""
    meter = EffortMeter(dt=DT, from_s=1.0)
    values = np.zeros(len(SAMPLE_CHANNELS))
    truth = np.zeros(len(TRUTH_CHANNELS))
    values[_QD[0]] = 2.0
    truth[_VOL[0]] = 5.0
    for n in range(2000):
        values[0] = (n + 1) * DT
        meter.add(values, truth)
    assert math.isclose(meter.patient_positive_work_j[0], 10.0 * 2.0, rel_tol=1e-9)
    s = meter.summary([_record(1.5, DRIVEN_DOFS[0][1], (1.0, 0.0))])
    # the window from 1 s holds half of it (to one reading of the meter, 5 ms)
    assert abs(s.patient_positive_work_j[0] - 10.0 * 1.0) <= 10.0 * EVERY * DT + 1e-9
