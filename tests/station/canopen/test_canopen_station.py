from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from canopen.objectdictionary import export_od

from gaitway.station.canopen.cia402 import DriveState
from gaitway.station.canopen.config import StationConfig
from gaitway.station.canopen.emulator import EmulatedDrives
from gaitway.station.canopen.mechanics import LegPendulums
from gaitway.station.canopen.od import cia402_dictionary
from gaitway.station.canopen.station import CanopenStation
from gaitway.station.interface import Command


def test_start_configures_checks_then_enables_every_drive(can_station: CanopenStation,
                                                          rig: EmulatedDrives) -> None:
    can_station.start()
    assert all(ch.passed for ch in can_station.checks)
    names = {ch.name for ch in can_station.checks}
    assert {"node answers", "CiA 402 drive", "cyclic synchronous torque", "PDOs answer",
            "STO released", "brake holds while disabled", "inside end stops"} <= names
    assert set(can_station.drive_states().values()) == {DriveState.OPERATION_ENABLED}
    for d in rig.drives.values():
        assert d.mode == 10  # cyclic synchronous torque
        assert d.enabled_count == 1
        # enabled along the CiA 402 path, never skipping a state
        assert d.state_log[-3:] == [DriveState.READY_TO_SWITCH_ON, DriveState.SWITCHED_ON,
                                    DriveState.OPERATION_ENABLED]


def test_torques_go_out_and_readings_come_back_through_the_pdos(
        can_station: CanopenStation, rig: EmulatedDrives) -> None:
    can_station.start()
    mech = rig.mechanics
    assert isinstance(mech, LegPendulums)
    for _ in range(300):
        s = can_station.step(Command(hip_torque_left=20.0, knee_torque_right=-5.0))
    # the mirrored right knee (direction -1) still gets flexion-positive torque right
    assert s["hip_torque_left"] == pytest.approx(20.0, abs=0.05)
    assert s["knee_torque_right"] == pytest.approx(-5.0, abs=0.05)
    for k, name in enumerate(("hip_left", "hip_right", "knee_left", "knee_right")):
        drive = rig.drive(name)
        assert s[f"{name.replace('_', '_angle_')}"] == pytest.approx(
            mech.angle(k), abs=2 * abs(drive.cfg.rad_per_count))
        assert s[f"{name.split('_')[0]}_brake_{name.split('_')[1]}"] == 0.0
        assert s[f"{name.split('_')[0]}_sto_{name.split('_')[1]}"] == 0.0
    assert mech.angle(0) > 0.3  # the hip flexed under its torque
    assert s.time == pytest.approx(0.3)


def test_stop_ramps_down_then_switches_torque_off(can_station: CanopenStation,
                                                  rig: EmulatedDrives) -> None:
    can_station.start()
    for _ in range(200):
        can_station.step(Command(knee_torque_left=30.0))
    can_station.stop()
    knee = rig.drive("knee_left")
    assert DriveState.QUICK_STOP_ACTIVE in knee.state_log  # controlled stop first
    assert {d.state for d in rig.drives.values()} == {DriveState.SWITCH_ON_DISABLED}
    assert all(d.brake_engaged for d in rig.drives.values())


def test_a_drive_described_by_its_eds_file_is_configured_from_it(
        exo_config: StationConfig, tmp_path: Path) -> None:
    """The master reads each drive's object dictionary from its EDS file when the config names
    one (here the emulated drive's dictionary, written out as the vendor's EDS would be)."""
    eds = tmp_path / "drive.eds"
    od = cia402_dictionary(1)
    od.device_information.product_name = "EDS-described test drive"
    export_od(od, str(eds), doc_type="eds")
    drives = tuple(replace(d, eds=eds) for d in exo_config.drives)
    cfg = replace(exo_config, drives=drives)
    with EmulatedDrives(cfg, LegPendulums()) as rig:
        st = CanopenStation(cfg, bus_factory=rig.controller)
        with st:
            assert all(ch.passed for ch in st.checks)
            for _ in range(50):
                s = st.step(Command(hip_torque_left=20.0))
            assert s["hip_torque_left"] == pytest.approx(20.0, abs=0.05)
            od = st.object_dictionaries()["knee_right"]
            assert od.device_information.product_name == "EDS-described test drive"
            assert 0x6077 in od
