from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.station.canopen import cia402 as c
from gaitway.station.canopen.cia402 import DriveState, decode_statusword, emcy_meaning
from gaitway.station.interface import FaultBit


@pytest.mark.parametrize("state", list(DriveState))
def test_every_state_decodes_from_its_own_bits(state: DriveState) -> None:
    assert decode_statusword(c.STATE_BITS[state]) is state


@settings(max_examples=60, deadline=None, derandomize=True)
@given(state=st.sampled_from(list(DriveState)), extra=st.integers(0, 0xFFFF))
def test_bits_outside_the_state_coding_do_not_change_the_state(state: DriveState,
                                                               extra: int) -> None:
    # bits 4 (voltage), 7 (warning) and 8-15 are not part of the state coding
    word = c.STATE_BITS[state] | (extra & 0xFF90)
    assert decode_statusword(word) is state


def test_torque_flows_only_in_the_enabled_states() -> None:
    assert {s for s in DriveState if s.torque_on} == {
        DriveState.OPERATION_ENABLED, DriveState.QUICK_STOP_ACTIVE,
        DriveState.FAULT_REACTION_ACTIVE}


@pytest.mark.parametrize(("code", "words", "bit"), [
    (0x2310, "over-current", FaultBit.DRIVE_OVERCURRENT),
    (0x4310, "temperature", FaultBit.DRIVE_OVERTEMPERATURE),
    (0x7305, "encoder", FaultBit.ENCODER_MISMATCH),
    (0x8130, "heartbeat", FaultBit.COMMUNICATION),
    (c.STO_EMCY_CODE, "safe torque off", FaultBit.SAFE_TORQUE_OFF),
    (0x3221, "voltage", FaultBit.DRIVE_FAULT),
    (0x8611, "following error", FaultBit.DRIVE_FAULT),
    (0x0ABC, "error 0x0ABC", FaultBit.DRIVE_FAULT),
])
def test_emcy_codes_have_their_meaning_and_fault(code: int, words: str, bit: FaultBit) -> None:
    meaning, got = emcy_meaning(code)
    assert words in meaning
    assert got is bit


@settings(max_examples=80, deadline=None, derandomize=True)
@given(code=st.integers(0x0001, 0xFFFF))
def test_every_emcy_code_is_a_fault_with_a_meaning(code: int) -> None:
    meaning, bit = emcy_meaning(code)
    assert meaning
    assert bit is not FaultBit.NONE
