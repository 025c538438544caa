"""Limits are validated data; injections are parsed with clear errors."""

from __future__ import annotations

import pytest

from gaitway.errors import UserError
from gaitway.safety.disturbances import INJECTION_EFFECTS
from gaitway.safety.faults import FAULTS, FaultKind, Reaction
from gaitway.safety.inject import parse_injection
from gaitway.safety.limits import (
    DeviceLimits,
    PatientLimits,
    RangeLimit,
    SafetyLimits,
    TimingLimits,
)


def test_range_from_the_patients_measured_range() -> None:
    p = PatientLimits.from_measured_range(body_mass_kg=70.0, hip=(-0.2, 0.6), knee=(0.0, 1.0))
    assert (p.knee_rom.soft_lo, p.knee_rom.soft_hi) == (0.0, 1.0)
    assert p.knee_rom.hard_hi == pytest.approx(1.15)
    # never far past the device's end stop
    assert p.knee_rom.hard_lo == pytest.approx(-0.15)
    tight = PatientLimits.from_measured_range(body_mass_kg=70.0, knee=(-0.08, 1.0))
    assert tight.knee_rom.hard_lo == pytest.approx(-0.15)  # stop -0.1 minus 0.05


@pytest.mark.parametrize(("make", "msg"), [
    (lambda: RangeLimit(0.0, 1.0, 0.1, 1.2), "hard_lo < soft_lo"),
    (lambda: RangeLimit(0.0, float("nan"), -0.1, 1.2), "hard_lo < soft_lo"),
    (lambda: DeviceLimits(current_hard=-1.0), "current_hard"),
    (lambda: DeviceLimits(knee_torque_soft=80.0), "soft device limit"),
    (lambda: TimingLimits(stale_ticks=0), "stale_ticks"),
    (lambda: PatientLimits.from_measured_range(body_mass_kg=5.0), "body mass"),
    (lambda: PatientLimits.from_measured_range(body_mass_kg=70.0, margin=2.0), "margin"),
    (lambda: SafetyLimits.for_patient(70.0, knee=(-0.3, 1.0)), "end stops"),
])
def test_bad_limits_are_refused(make: object, msg: str) -> None:
    with pytest.raises(UserError, match=msg):
        make()  # type: ignore[operator]


def test_every_fault_has_a_reaction_and_an_injection() -> None:
    assert set(FAULTS) == set(FaultKind) == set(INJECTION_EFFECTS)
    assert FAULTS[FaultKind.EMERGENCY_STOP].reaction is Reaction.IMMEDIATE_STOP
    assert all(s.max_detection_s <= 0.2 for s in FAULTS.values())


def test_parse_injection() -> None:
    inj = parse_injection("Emergency-Stop@5.5")
    assert inj.kind is FaultKind.EMERGENCY_STOP
    assert inj.at_s == 5.5
    for bad, msg in (("x@1", "unknown fault"), ("fall", "FAULT@SECONDS"),
                     ("fall@x", "not a number"), ("fall@nan", "0 s or later")):
        with pytest.raises(UserError, match=msg):
            parse_injection(bad)
