"""Demo data: SIMULATED patients trained over weeks on the simulated station.

Each virtual patient gets a profile of the twin and a course of short simulated sessions whose
prescription eases week by week the way a therapist would (less guidance and body-weight
support, a slightly faster belt); each session is simulated, analysed and imported like a real
one. Assessments are simulated too (values drawn around the profile's expected level, rising
over the weeks) so the progress report has something to show. Everything is labelled
simulated: the patients, their sessions and their reports. Running it again imports nothing
twice (session directories already simulated are reused, the store's import is idempotent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import select

from gaitway.clinic import records
from gaitway.clinic.importer import import_data, read_session_dir
from gaitway.clinic.models import Patient
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings

#: (profile, affected side, 10MWT m/s at the start, BBS at the start)
DEMO_PROFILES: tuple[tuple[str, str, float, float], ...] = (
    ("hemiparetic-left-moderate", "left", 0.35, 32.0),
    ("hemiparetic-right-mild", "right", 0.65, 42.0),
    ("sci-incomplete", "both", 0.25, 28.0),
    ("hemiparetic-left-severe", "left", 0.15, 20.0),
    ("hemiparetic-right-moderate", "right", 0.40, 35.0),
)


def fill_demo_data(
    store: ClinicStore, *, patients: int, weeks: int, out_dir: Path, actor: str,
    sessions_per_week: int = 2, minutes: float = 0.5, seed: int = 1,
    progress: Callable[[str], object] | None = None,
) -> dict[str, int]:
    """Simulate and import the demo course; returns sessions per patient pseudonym."""
    if not 1 <= patients <= 50 or not 1 <= weeks <= 52 or not 1 <= sessions_per_week <= 7:
        raise UserError("demo data takes 1-50 patients, 1-52 weeks, 1-7 sessions per week")
    if not 0.1 <= minutes <= 30:
        raise UserError(f"--minutes must be within 0.1-30, got {minutes}")
    rng = np.random.default_rng(seed)
    start = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    start -= dt.timedelta(weeks=weeks)
    done: dict[str, int] = {}
    for i in range(patients):
        profile, side, speed0, bbs0 = DEMO_PROFILES[i % len(DEMO_PROFILES)]
        pseudo = f"SIM-DEMO-{seed}-{i + 1:02d}"
        with store.transaction() as db:
            new = db.scalar(select(Patient.id).where(Patient.pseudonym == pseudo)) is None
            height = round(float(rng.normal(1.72, 0.07)), 2)
            mass = round(float(rng.normal(75, 9)), 1)
            if new:
                records.add_patient(
                    db, actor=actor, pseudonym=pseudo, simulated=True, affected_side=side,
                    diagnosis=f"virtual patient ({profile})",
                    sex=("female", "male")[i % 2], birth_year=1950 + int(rng.integers(0, 30)),
                    height_m=height, body_mass_kg=mass,
                )
            else:  # the virtual body as the record has it
                known = records.find_patient(db, pseudo)
                height = known.height_m or height
                mass = known.body_mass_kg or mass
        n = 0
        for w in range(weeks):
            frac = w / max(weeks - 1, 1)  # the prescription eases week by week
            guidance, bws = round(100 - 50 * frac), round(50 - 25 * frac)
            speed = round(1.5 + 0.6 * frac, 2)
            week_start = start + dt.timedelta(days=7 * w, hours=i)
            if new:
                with store.transaction() as db:
                    records.add_prescription(
                        db, actor=actor, patient=records.find_patient(db, pseudo),
                        duration_min=30.0, speed_kmh=speed, guidance_pct=guidance,
                        bws_pct=bws, controller="guidance", created_at=week_start,
                        targets={"note": f"SIMULATED demo prescription; sessions simulated "
                                         f"for {minutes:g} min to keep the demo quick"},
                    )
            for k in range(sessions_per_week):
                cfg = SessionSettings(
                    profile=profile, minutes=minutes, seed=seed * 1000 + i * 100 + n,
                    guidance_pct=guidance, bws_pct=bws, speed_kmh=speed, session_index=n,
                    height_m=height, body_mass_kg=mass,  # the twin in the record's body
                )
                session_dir = out_dir / pseudo / f"w{w + 1:02d}-s{k + 1}"
                if not (session_dir / "summary.json").exists():
                    run_session(cfg, session_dir)
                data = read_session_dir(session_dir)
                data.started_at = week_start + dt.timedelta(days=k * 7 // sessions_per_week,
                                                            minutes=30)
                import_data(store, data, actor=actor, patient_ref=pseudo)
                n += 1
                if progress:
                    progress(f"{pseudo}: week {w + 1} session {k + 1} imported [SIMULATED]")
            if new and (w % 2 == 0 or w == weeks - 1):
                _assess(store, pseudo, actor, data.started_at + dt.timedelta(hours=2), rng,
                        speed0 + 0.12 * w / 4, bbs0 + 6 * w / 4)
        done[pseudo] = n
    return done


def _assess(store: ClinicStore, pseudo: str, actor: str, when: dt.datetime,
            rng: np.random.Generator, speed: float, bbs: float) -> None:
    with store.transaction() as db:
        p = records.find_patient(db, pseudo)
        v = float(np.clip(rng.normal(speed, 0.03), 0.05, 2.0))
        records.add_assessment(db, actor=actor, patient=p, test="10mwt", value=round(v, 2),
                               performed_at=when, notes="SIMULATED")
        b = float(np.clip(round(rng.normal(bbs, 1.5)), 0, 56))
        records.add_assessment(db, actor=actor, patient=p, test="bbs", value=b,
                               performed_at=when, notes="SIMULATED")
