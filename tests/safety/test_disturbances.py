"""The disturbance registry: one disturbance per fault, acting through the station's typed
hooks where it has them and on its readings where it has none (a real device)."""

from __future__ import annotations

import math

import pytest

from gaitway.safety.disturbances import DISTURBANCES, INJECTION_EFFECTS, SPASM_NM
from gaitway.safety.faults import FaultKind
from gaitway.safety.inject import FaultInjector, Injection
from gaitway.station.interface import Command, DisturbanceHooks, StationWrapper
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation


class _NoHooks(StationWrapper):
    """The twin seen as a device without disturbance hooks (as real hardware). A wrapper, not
    a subclass: the twin's class may be compiled (gaitway.compiled), which no Python class can
    extend."""

    def disturbance_hooks(self) -> DisturbanceHooks | None:
        return None


def _station() -> SimStation:
    return SimStation(VirtualPatient(get_profile("healthy"), seed=3, events=False), seed=3)


def _run(inj: FaultInjector, seconds: float) -> None:
    for _ in range(round(seconds / inj.dt)):
        inj.step(Command())


def test_every_fault_has_a_disturbance_that_says_what_it_does() -> None:
    assert set(DISTURBANCES) == set(FaultKind)
    assert all(INJECTION_EFFECTS[k] for k in FaultKind)


def test_the_emergency_stop_is_pressed_on_the_station_and_released() -> None:
    twin = _station()
    inj = FaultInjector(twin, [Injection(FaultKind.EMERGENCY_STOP, 0.05)])
    with inj:
        _run(inj, 0.1)
        assert twin.estop_pressed
        assert inj.last_sample.estop
        _run(inj, 1.0)
        assert not twin.estop_pressed  # the operator released it after ESTOP_HELD_S


@pytest.mark.parametrize("hooks", [True, False])
def test_a_spasm_acts_on_the_patient_or_on_the_readings(hooks: bool) -> None:
    twin = _station()
    inj = FaultInjector(twin if hooks else _NoHooks(twin),
                        [Injection(FaultKind.INTERACTION_FORCE, 0.05)])
    dof = twin.model.joint("cuff_knee_left").dofadr[0]
    with inj:
        _run(inj, 0.1)
        applied = float(twin.data.qfrc_applied[dof])
        seen = inj.last_sample.interaction_torque("shank", "left")
        true = inj.true_sample.interaction_torque("shank", "left")
    if hooks:
        assert applied == pytest.approx(SPASM_NM)
        assert seen == true  # a real torque: the reading is the station's own
    else:
        assert applied == 0.0
        assert seen == pytest.approx(true - SPASM_NM)
    assert float(twin.data.qfrc_applied[dof]) == 0.0  # released when the station stopped


def test_controller_faults_change_only_the_proposed_command() -> None:
    inj = FaultInjector(_station(), [Injection(FaultKind.COMMAND_NON_FINITE, 0.0),
                                     Injection(FaultKind.DRIVE_TORQUE, 0.0)])
    with inj:
        _run(inj, 0.01)
        cmd = inj.tamper(Command(), 0.02)
        assert math.isnan(cmd.hip_torque_left)
        assert cmd.knee_torque_left == 100.0
        assert inj.tamper(Command(), 0.2).knee_torque_left == 0.0  # 50 ms, then gone
        assert inj.last_sample.values.tolist() == inj.true_sample.values.tolist()
