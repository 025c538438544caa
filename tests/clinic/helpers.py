"""Shared builders for clinic tests: a patient with a course of synthetic (simulated) sessions."""

from __future__ import annotations

import datetime as dt

from gaitway.clinic import records
from gaitway.clinic.importer import import_data
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import synthetic_session

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def course(store: ClinicStore, *, n: int = 6, pseudonym: str = "SIM-A", days: float = 3.5,
           minutes: float = 1.0) -> list[str]:
    """A virtual patient with ``n`` sessions whose support eases and symmetry improves."""
    with store.transaction() as db:
        records.add_patient(db, actor="test", pseudonym=pseudonym, simulated=True,
                            affected_side="left", height_m=1.75, body_mass_kg=70)
    ids = []
    for i in range(n):
        data = synthetic_session(
            seed=i + 1, started_at=T0 + dt.timedelta(days=days * i), minutes=minutes,
            guidance_pct=90 - 5 * i, bws_pct=50 - 3 * i, participation_nm=-3.0 + 0.3 * i,
            asymmetry=0.2 - 0.02 * i)
        ids.append(import_data(store, data, actor="test", patient_ref=pseudonym).session_id)
    return ids
