"""The station base: what every station shares, and its optional capabilities declared with
their "none" answer (ground truth, events), so a session asks a station and never probes it."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.station.canopen.station import NoPeripherals
from gaitway.station.interface import (
    Command,
    Sample,
    Station,
    StationError,
    StationWrapper,
    command_of,
)
from gaitway.station.replay import RecordedSamples, ReplayStation
from gaitway.station.sim.patient import PatientEvent, VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation


def _replay(truth: bool) -> ReplayStation:
    t = np.arange(50) * 0.001
    return ReplayStation(RecordedSamples(
        time_s=t, channel_names=("hip_angle_left",), values=np.sin(t)[:, None],
        body_mass_kg=70.0, simulated=True,
        truth=np.ones((50, 2)) if truth else None,
        truth_names=("truth_contact_left", "truth_contact_right") if truth else ()),
        speed=None)


class _Tagged(StationWrapper):
    """A wrapper that changes nothing: it answers everything from the inner station."""


def test_a_station_has_no_sample_before_it_starts_and_keeps_its_last() -> None:
    st = _replay(truth=False)
    assert not st.running
    with pytest.raises(StationError, match="no sample yet"):
        _ = st.last_sample
    with st:
        s = st.step(Command())
        assert st.running
        assert st.last_sample is s
    assert not st.running


def test_capabilities_are_declared_with_their_none_answer() -> None:
    assert _replay(truth=False).truth_source() is None
    with_truth = _replay(truth=True)
    assert with_truth.truth_source() is with_truth
    assert list(with_truth.drain_events()) == []
    assert NoPeripherals().truth_source() is None
    twin = SimStation(VirtualPatient(get_profile("healthy"), seed=1), seed=1)
    assert twin.truth_source() is twin
    assert twin.truth_source().truth.shape == twin.truth.shape


def test_a_wrapper_answers_from_its_inner_station() -> None:
    inner = _replay(truth=True)
    st = _Tagged(inner)
    assert isinstance(st, Station)
    assert st.truth_source() is inner
    assert st.body_mass_kg == 70.0
    assert st.time_base is inner.time_base
    with st:
        s = st.step(Command())
        assert isinstance(s, Sample)
        assert st.last_sample is s
        assert st.running == inner.running
    assert not st.running


def test_a_patient_event_is_a_station_event_from_the_patient() -> None:
    ev = PatientEvent(1.5, "stop_button", "pressed")
    assert (ev.time_s, ev.kind, ev.source) == (1.5, "stop_button", "patient")


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=8, max_size=8),
       st.booleans())
def test_command_of_builds_the_same_command_as_its_constructor(values: list[float],
                                                                as_tuple: bool) -> None:
    """The per-tick shortcut (no NamedTuple ``__new__``) makes the very record the constructor
    makes, from a tuple or a list: same type, fields and bits (NaN and -0.0 included)."""
    made = command_of(tuple(values) if as_tuple else values)
    expected = Command(*values)
    assert type(made) is Command
    assert struct.pack("8d", *made) == struct.pack("8d", *expected)
    assert made._asdict().keys() == expected._asdict().keys()
    assert made.harness_setpoint is values[6]
    assert made.belt_setpoint is values[7]
    assert made.hip_torque_left is values[0]
