"""Who trains on a console station and how: the station's own defaults come back for a patient
without a prescription (session length included), seeds follow the patient and their session
number (never a station's counter carried from one patient to the next), the settings name the
prescription they follow, and a patient goes only on a station of their kind (virtual patients
on the twin's SIMULATED stations, real ones on real stations)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.clinic import records
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.session.settings import SessionSettings
from gaitway.web.assign import next_session, with_patient
from gaitway.web.live import LiveStation, demo_setups
from gaitway.web.setup import StationSetup, patient_session_seed

from .conftest import login


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ClinicStore]:
    s = ClinicStore(f"sqlite:///{tmp_path / 'clinic.sqlite'}")
    yield s
    s.close()


def _station() -> StationSetup:
    """sim-3 of the demo: its own defaults differ from StationSetup's (90 % guidance, 40 %
    support, 1.5 km/h) and its sessions are 5 minutes long."""
    return demo_setups(3, minutes=5.0)[2]


def test_a_patient_without_a_prescription_trains_with_the_stations_own_defaults(
        store: ClinicStore) -> None:
    with store.transaction() as db:
        with_rx = records.add_patient(db, actor="t", pseudonym="SIM-A", simulated=True)
        rx = records.add_prescription(db, actor="t", patient=with_rx, duration_min=20.0,
                                      speed_kmh=2.4, guidance_pct=50.0, bws_pct=10.0,
                                      controller="aan")
        without = records.add_patient(db, actor="t", pseudonym="SIM-B", simulated=True)
        station = _station()
        first = with_patient(db, station, with_rx)
        assert (first.minutes, first.guidance_pct, first.prescription_id) == (20.0, 50.0, rx.id)
        second = with_patient(db, first, without)
    s = second.session_settings(0)
    assert (s.minutes, s.guidance_pct, s.bws_pct, s.speed_kmh, s.controller) == (
        5.0, 90.0, 40.0, 1.5, "guidance")
    assert second.prescription_id is None
    assert s.prescription_id is None


def test_the_prescriptions_range_of_motion_reaches_the_session(store: ClinicStore) -> None:
    """The range of motion a therapist prescribes is the session's (it was dropped: the
    console's sessions ran the recorded range whatever the prescription said), and the
    station's own range again for a patient without a prescription."""
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-A", simulated=True)
        records.add_prescription(db, actor="t", patient=p, duration_min=20.0, speed_kmh=1.2,
                                 guidance_pct=60.0, bws_pct=30.0, hip_rom_scale=0.7,
                                 knee_rom_scale=0.8)
        without = records.add_patient(db, actor="t", pseudonym="SIM-B", simulated=True)
        setup = with_patient(db, _station(), p)
        other = with_patient(db, setup, without)
    s = setup.session_settings(0)
    assert (s.hip_rom_scale, s.knee_rom_scale, s.speed_kmh) == (0.7, 0.8, 1.2)
    o = other.session_settings(0)
    assert (o.hip_rom_scale, o.knee_rom_scale) == (1.0, 1.0)


def test_the_patients_recorded_body_reaches_the_session(store: ClinicStore) -> None:
    """The twin walks the record's height and mass (it walked the profile's 1.75 m, 75 kg);
    a record the twin cannot take is refused at the start with the range it takes."""
    with store.transaction() as db:
        tall = records.add_patient(db, actor="t", pseudonym="SIM-T", simulated=True,
                                   height_m=1.91, body_mass_kg=96.0)
        unknown = records.add_patient(db, actor="t", pseudonym="SIM-U", simulated=True)
        child = records.add_patient(db, actor="t", pseudonym="SIM-C", simulated=True,
                                    height_m=1.21, body_mass_kg=25.0)
        a, b, c = (with_patient(db, _station(), p) for p in (tall, unknown, child))
    s = a.session_settings(0)
    assert (s.height_m, s.body_mass_kg) == (1.91, 96.0)
    assert (b.session_settings(0).height_m, b.session_settings(0).body_mass_kg) == (None, None)
    with pytest.raises(UserError, match=r"the patient's height must be within 1.4-2 m"):
        c.session_settings(0)


def test_the_settings_name_the_prescription_they_follow(store: ClinicStore) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-A", simulated=True)
        rx = records.add_prescription(db, actor="t", patient=p, duration_min=20.0,
                                      speed_kmh=1.8, guidance_pct=60.0, bws_pct=30.0)
        setup = with_patient(db, _station(), p)
    s = setup.session_settings(0)
    assert s.prescription_id == rx.id
    assert s.to_dict()["prescription_id"] == rx.id  # what the recording and summary carry
    assert SessionSettings.from_dict(s.to_dict()) == s
    plain = SessionSettings(profile="healthy", minutes=1.0)
    assert "prescription_id" not in plain.to_dict()  # settings without one: as before


@pytest.mark.parametrize("bad", [0, -3, True, 2.0, "7"])
def test_a_prescription_id_is_a_whole_number_from_1(bad: object) -> None:
    with pytest.raises(UserError, match="prescription id"):
        SessionSettings(profile="healthy", minutes=1.0,
                        prescription_id=bad).validate()  # type: ignore[arg-type]


def test_seeds_follow_the_patient_and_their_session_number(store: ClinicStore) -> None:
    with store.transaction() as db:
        a = records.add_patient(db, actor="t", pseudonym="SIM-A", simulated=True)
        b = records.add_patient(db, actor="t", pseudonym="SIM-B", simulated=True)
        on_1, on_2 = demo_setups(2)
        a1, a2, b1 = with_patient(db, on_1, a), with_patient(db, on_2, a), with_patient(db, on_1, b)
    # the same patient's first session is the same simulated session on either station
    assert a1.session_settings(0).seed == a2.session_settings(0).seed
    assert a1.session_settings(0).seed == patient_session_seed(a.id, 0)
    assert [a1.session_settings(i).session_index for i in range(3)] == [0, 1, 2]
    seeds = {a1.session_settings(i).seed for i in range(3)} | {b1.session_settings(0).seed}
    assert len(seeds) == 4  # another patient's first session is not a's


def test_the_session_number_continues_the_patients_stored_course(store: ClinicStore) -> None:
    from tests.web.test_planning_api import T0

    from gaitway.clinic.importer import import_data
    from gaitway.clinic.synthetic import synthetic_session

    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-A", simulated=True)
        pid = p.id
    for i in range(2):
        data = synthetic_session(seed=i + 1, started_at=T0 + dt.timedelta(days=i), minutes=0.2)
        import_data(store, data, actor="t", patient_ref="SIM-A")
    with store.transaction() as db:
        setup = with_patient(db, _station(), records.find_patient(db, "SIM-A"))
        assert next_session(db, setup) is None  # nothing changed since: no new setup
    s = setup.session_settings(0)
    assert (s.session_index, s.seed) == (2, patient_session_seed(pid, 2))


def test_a_station_counts_sessions_afresh_for_each_patient(store: ClinicStore) -> None:
    with store.transaction() as db:
        a = records.add_patient(db, actor="t", pseudonym="SIM-A", simulated=True)
        b = records.add_patient(db, actor="t", pseudonym="SIM-B", simulated=True)
        records.add_prescription(db, actor="t", patient=a, duration_min=20.0, speed_kmh=1.8,
                                 guidance_pct=60.0, bws_pct=30.0)
        station = LiveStation(with_patient(db, _station(), a))
        station.sessions_started = 2  # two sessions of a on this station
        station.last_import = {"session_id": "a-2", "ok": True}
        records.add_prescription(db, actor="t", patient=a, duration_min=25.0, speed_kmh=1.8,
                                 guidance_pct=50.0, bws_pct=30.0)
        station.configure(with_patient(db, station.setup, a))  # a's new prescription
        assert station.sessions_started == 2  # the same course goes on
        assert station.last_import["session_id"] == "a-2"
        station.configure(with_patient(db, station.setup, b))
    assert station.sessions_started == 0  # b's course starts at b's first session
    assert station.last_import == {}  # a's last session is not shown as b's


def test_a_patient_goes_only_on_a_station_of_their_kind(store: ClinicStore) -> None:
    with store.transaction() as db:
        real = records.add_patient(db, actor="t", pseudonym="P-REAL-1")
        virtual = records.add_patient(db, actor="t", pseudonym="SIM-A", simulated=True)
        sim_station = _station()
        real_station = StationSetup(station_id="lab-1", name="Lab station 1", profile="healthy",
                                    patient="", seed=0, simulated=False)
        with pytest.raises(UserError, match="P-REAL-1 is a real patient and Simulated station "
                                             "3 is a SIMULATED station"):
            with_patient(db, sim_station, real)
        with pytest.raises(UserError, match="put a real patient on it"):
            with_patient(db, real_station, virtual)
        assert with_patient(db, real_station, real).patient == "P-REAL-1"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(patient_id=st.integers(1, 2**31 - 1), index=st.integers(0, 10_000))
def test_patient_seeds_are_valid_seeds_and_reproducible(patient_id: int, index: int) -> None:
    seed = patient_session_seed(patient_id, index)
    assert 0 <= seed < 2**31
    assert seed == patient_session_seed(patient_id, index)
    SessionSettings(profile="healthy", minutes=1.0, seed=seed, session_index=index).validate()


def test_the_console_adds_virtual_patients_and_puts_only_them_on_simulated_stations(
        client: TestClient) -> None:
    h = {"X-CSRF-Token": login(client, "admin")}
    real = client.post("/api/patients", headers=h, json={"pseudonym": "P-REAL-9"})
    assert real.status_code == 201, real.text
    assert real.json()["simulated"] is False
    virtual = client.post("/api/patients", headers=h,
                          json={"pseudonym": "SIM-NEW-9", "simulated": True})
    assert virtual.status_code == 201, virtual.text
    assert virtual.json()["simulated"] is True
    assert client.post("/api/patients", headers=h,
                       json={"simulated": 1}).status_code == 422  # strict: not a boolean
    r = client.patch(f"/api/patients/{virtual.json()['id']}", headers=h,
                     json={"simulated": False})
    assert r.status_code == 400
    assert "fixed when the record is made" in r.json()["detail"]
    r = client.post("/api/stations/sim-1/patient", headers=h,
                    json={"patient_id": real.json()["id"]})
    assert r.status_code == 400
    assert r.json()["detail"] == ("P-REAL-9 is a real patient and Simulated station 1 is a "
                                  "SIMULATED station: put a virtual (SIMULATED) patient on it")
    r = client.post("/api/stations/sim-1/patient", headers=h,
                    json={"patient_id": virtual.json()["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["detail"] == "SIM-NEW-9; no prescription: the station defaults"
