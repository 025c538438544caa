"""The store: migrations equal the models, audited writes, append-only audit log, rollback."""

from __future__ import annotations

import itertools

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from gaitway.clinic import audit, records
from gaitway.clinic.models import AuditEntry, Base, Patient
from gaitway.clinic.security import hash_password, verify_password
from gaitway.clinic.store import AuditAppendOnlyError, ClinicStore
from gaitway.errors import UnwalkableError, UserError
from gaitway.session.settings import SETTING_RANGES, SessionSettings


def test_migrated_schema_matches_models(store: ClinicStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    tables = set(inspect(store.engine).get_table_names())
    assert {"patients", "sessions", "strides", "audit_log", "users", "assessments"} <= tables


def test_migrations_downgrade_to_nothing_and_back(store: ClinicStore) -> None:
    from gaitway.clinic import migrate

    migrate.downgrade(store.engine, "base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(store.engine)
    assert "audit_log" in inspect(store.engine).get_table_names()


def test_prescriptions_name_registered_controllers(store: ClinicStore) -> None:
    """A prescription stored before the controller registry ("impedance") is renamed by
    migration 0005; a new one must name a registered controller."""
    from gaitway.clinic import migrate

    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="P-RX")
        records.add_prescription(db, actor="t", patient=p, duration_min=20.0, speed_kmh=1.8,
                                 guidance_pct=70.0, bws_pct=30.0)
    migrate.downgrade(store.engine, "0004")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE prescriptions SET controller = 'impedance'"))
    migrate.upgrade(store.engine)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT controller FROM prescriptions")).scalars().all() == [
            "guidance"]
    with store.transaction() as db:
        p2 = records.find_patient(db, "P-RX")
        for bad in ("impedance", "telepathy"):
            with pytest.raises(UserError, match=f"must be one of .*got '{bad}'"):
                records.add_prescription(db, actor="t", patient=p2, duration_min=20.0,
                                         speed_kmh=1.8, guidance_pct=70.0, bws_pct=30.0,
                                         controller=bad)


def test_reopening_a_migrated_store_keeps_rows(db_url: str) -> None:
    with ClinicStore(db_url) as s, s.transaction() as db:
        records.add_patient(db, actor="t", pseudonym="P1", height_m=1.7)
    with ClinicStore(db_url) as s, s.reader() as db:
        assert [p.pseudonym for p in records.list_patients(db)] == ["P1"]


def test_add_patient_is_audited(store: ClinicStore) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="alice", pseudonym="P7", sex="female",
                                affected_side="left", birth_year=1960)
    with store.reader() as db:
        (entry,) = audit.entries(db, entity="patient", entity_id=p.id)
        assert (entry.actor, entry.action, entry.details["pseudonym"]) == ("alice",
                                                                           "patient.add", "P7")


def _good_then_bad(store: ClinicStore) -> None:
    with store.transaction() as db:
        records.add_patient(db, actor="t", pseudonym="P2")
        records.add_patient(db, actor="t", pseudonym="P3", affected_side="up")


def _tamper(store: ClinicStore) -> None:
    with store.transaction() as db:
        entry = db.scalars(select(AuditEntry)).one()
        entry.actor = "mallory"


def test_bad_input_writes_nothing(store: ClinicStore) -> None:
    with pytest.raises(UserError, match="affected side"):
        _good_then_bad(store)
    with store.reader() as db:
        assert db.scalars(select(Patient)).all() == []
        assert db.scalars(select(AuditEntry)).all() == []


def test_duplicate_pseudonym_is_a_user_error(store: ClinicStore) -> None:
    with store.transaction() as db:
        records.add_patient(db, actor="t", pseudonym="P1")
    with pytest.raises(UserError, match="already exists"), store.transaction() as db:
        records.add_patient(db, actor="t", pseudonym="P1")


def test_audit_log_rejects_update_and_delete(store: ClinicStore) -> None:
    with store.transaction() as db:
        records.add_patient(db, actor="t", pseudonym="P1")
    with pytest.raises(AuditAppendOnlyError):
        _tamper(store)
    with pytest.raises(AuditAppendOnlyError), store.transaction() as db:
        db.delete(db.scalars(select(AuditEntry)).one())
    with store.reader() as db:
        assert db.scalars(select(AuditEntry.actor)).all() == ["t"]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # the trigger is PostgreSQL's
def test_postgres_trigger_guards_audit_log_below_the_orm(store: ClinicStore) -> None:
    assert store.engine.dialect.name == "postgresql"
    with store.transaction() as db:
        records.add_patient(db, actor="t", pseudonym="P1")
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'x'"))
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))


def test_users_roles_and_passwords(store: ClinicStore) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="P1")
        st = records.add_station(db, actor="t", name="lokomat-1")
        records.add_user(db, actor="t", username="thera", role="therapist",
                         password="correct horse", station=st)
        records.add_user(db, actor="t", username="pat", role="patient", password="12345678",
                         patient=p)
        with pytest.raises(UserError, match="linked"):
            records.add_user(db, actor="t", username="pat2", role="patient",
                             password="12345678")
        with pytest.raises(UserError, match="role"):
            records.add_user(db, actor="t", username="x12", role="root", password="12345678")
    with store.reader() as db:
        from gaitway.clinic.models import User

        thera = db.scalars(select(User).where(User.username == "thera")).one()
        assert thera.password_hash.startswith("$argon2id$")
        assert verify_password(thera.password_hash, "correct horse")
        assert not verify_password(thera.password_hash, "wrong horse")


def test_password_hash_is_salted() -> None:
    assert hash_password("abcdefgh") != hash_password("abcdefgh")
    with pytest.raises(UserError, match="8 characters"):
        hash_password("short")


def test_prescription_change_retires_previous_and_is_audited(store: ClinicStore) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="P1")
        first = records.add_prescription(db, actor="t", patient=p, duration_min=30,
                                         speed_kmh=1.8, guidance_pct=80, bws_pct=40)
        second = records.add_prescription(db, actor="t", patient=p, duration_min=30,
                                          speed_kmh=2.0, guidance_pct=70, bws_pct=35)
        assert not first.active
        assert second.active
        with pytest.raises(UserError, match="belt speed"):
            records.add_prescription(db, actor="t", patient=p, duration_min=30,
                                     speed_kmh=9, guidance_pct=70, bws_pct=35)
    with store.reader() as db:
        changes = [e for e in audit.entries(db) if e.action == "prescription.set"]
        assert [c.details["settings"]["speed_kmh"] for c in changes] == [1.8, 2.0]
        assert changes[1].details["replaces"] == first.id


def test_a_prescription_a_session_would_refuse_is_not_stored(store: ClinicStore) -> None:
    """The store applies the session's rule (gaitway.gait.reference.check_walkable) at the
    patient's height: a halved range walks 3.2 km/h for nobody, 1.0 km/h for a 2.0 m patient
    and not for a 1.5 m one; nothing refused is stored or audited."""
    half = {"hip_rom_scale": 0.5, "knee_rom_scale": 0.5}
    with store.transaction() as db:
        tall = records.add_patient(db, actor="t", pseudonym="P-TALL", height_m=2.0)
        short = records.add_patient(db, actor="t", pseudonym="P-SHORT", height_m=1.5)
        unknown = records.add_patient(db, actor="t", pseudonym="P-UNKNOWN")
        for p in (tall, short, unknown):
            with pytest.raises(UnwalkableError, match=r"3\.2 km/h: the legs' stance covers"):
                records.add_prescription(db, actor="t", patient=p, duration_min=30,
                                         speed_kmh=3.2, guidance_pct=70, bws_pct=35, **half)
        records.add_prescription(db, actor="t", patient=tall, duration_min=30, speed_kmh=0.9,
                                 guidance_pct=70, bws_pct=35, **half)
        with pytest.raises(UnwalkableError, match=r"lower the speed to 0\.8 km/h"):
            records.add_prescription(db, actor="t", patient=short, duration_min=30,
                                     speed_kmh=0.9, guidance_pct=70, bws_pct=35, **half)
        with pytest.raises(UserError, match=r"hip range-of-motion scale must be within 0\.5"):
            records.add_prescription(db, actor="t", patient=short, duration_min=30,
                                     speed_kmh=0.9, guidance_pct=70, bws_pct=35,
                                     hip_rom_scale=0.3)
    with store.reader() as db:
        changes = [e for e in audit.entries(db) if e.action == "prescription.set"]
        assert [c.details["settings"]["speed_kmh"] for c in changes] == [0.9]


_PSEUDONYMS = itertools.count()


def _session_accepts(**values: float) -> bool:
    try:
        SessionSettings(profile="healthy", minutes=30.0, **values).validate()
    except UserError:
        return False
    return True


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bws=st.floats(-5.0, 105.0), guidance=st.floats(-5.0, 105.0),
       speed=st.floats(0.3, 3.5))
def test_the_store_keeps_a_prescription_exactly_when_a_session_accepts_it(
        store: ClinicStore, bws: float, guidance: float, speed: float) -> None:
    """One list of ranges (session.settings.SETTING_RANGES): the store took body-weight
    support up to 100 % while a session refuses more than 80 %, so a stored prescription
    could never start. A prescription is stored exactly when a session accepts it."""
    accepted = _session_accepts(bws_pct=bws, guidance_pct=guidance, speed_kmh=speed)
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym=f"P-R{next(_PSEUDONYMS)}",
                                height_m=1.75)  # the healthy profile's height
        if accepted:
            records.add_prescription(db, actor="t", patient=p, duration_min=30,
                                     speed_kmh=speed, guidance_pct=guidance, bws_pct=bws)
        else:
            with pytest.raises(UserError, match=r"must be within|km/h"):
                records.add_prescription(db, actor="t", patient=p, duration_min=30,
                                         speed_kmh=speed, guidance_pct=guidance, bws_pct=bws)
    assert accepted == (SETTING_RANGES.bws_pct[0] <= bws <= SETTING_RANGES.bws_pct[1]
                        and SETTING_RANGES.guidance_pct[0] <= guidance
                        <= SETTING_RANGES.guidance_pct[1]
                        and SETTING_RANGES.speed_kmh[0] <= speed <= SETTING_RANGES.speed_kmh[1])


@pytest.mark.parametrize(("test", "value", "match"), [
    ("10mwt", 4.0, "m/s"), ("bbs", 57, "0-56"), ("bbs", 40.5, "whole"), ("fac", -1, "category"),
    ("walk", 1.0, "unknown test"),
])
def test_assessment_validation(store: ClinicStore, test: str, value: float, match: str
                               ) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="P1")
    with pytest.raises(UserError, match=match), store.transaction() as db:
        records.add_assessment(db, actor="t", patient=db.merge(p), test=test, value=value)


def test_assessment_stored_with_unit(store: ClinicStore) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="P1")
        records.add_assessment(db, actor="t", patient=p, test="6MWT", value=212.0)
    with store.reader() as db:
        (a,) = records.find_patient(db, "P1").assessments
        assert (a.test, a.value, a.unit) == ("6mwt", 212.0, "m")


def test_find_patient_error_says_what_to_do(store: ClinicStore) -> None:
    with pytest.raises(UserError, match="patients list"), store.reader() as db:
        records.find_patient(db, "nobody")


def test_bad_database_url_is_a_user_error() -> None:
    with pytest.raises(UserError, match="GAITWAY_DATABASE_URL"):
        ClinicStore("postgresql+psycopg://nobody:x@127.0.0.1:1/none")
