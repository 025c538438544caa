"""A demo clinic with a real history: recovering virtual patients trained for weeks (SIMULATED).

Each demo patient is a virtual patient (a twin profile, a few weeks after a stroke or an
incomplete spinal cord injury) enrolled in the recovery model. Every session runs on the twin
from the patient's active prescription for ``minutes`` simulated minutes (clinically plausible:
10 minutes or more, a few hundred steps), is imported, and moves the patient's recovery on;
after each session Gaitway proposes the next settings (checked on the twin) and the demo's
virtual therapist approves them, audited as such. Sessions are dated over the past ``weeks``
so that reports show week-by-week change. Running it again continues where it stopped: each
patient's stored state says how many sessions are done.

It takes computer time (a 10-minute session takes minutes to simulate), so the console runs it
in the background after it has started, patients in turn, a session at a time.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.process
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import select

from gaitway.clinic import records
from gaitway.clinic.models import Patient
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.planning import course, proposals
from gaitway.planning.twin import run_next_session, twin_check

#: (profile, affected side, days after onset at the first session)
DEMO_COURSE: Final[tuple[tuple[str, str, float], ...]] = (
    ("hemiparetic-left-moderate", "left", 14.0),
    ("hemiparetic-right-mild", "right", 21.0),
    ("sci-incomplete", "both", 30.0),
    ("hemiparetic-left-severe", "left", 10.0),
)
#: who approves in the demo: a virtual therapist, named as such in the audit log
VIRTUAL_THERAPIST: Final[str] = "demo:virtual-therapist (SIMULATED)"
FIRST_PRESCRIPTION: Final[dict[str, float]] = {
    "duration_min": 20.0, "speed_kmh": 1.5, "guidance_pct": 80.0, "bws_pct": 30.0}


@dataclass(frozen=True)
class DemoProgress:
    pseudonym: str
    session: int
    sessions: int
    session_id: str
    guidance_pct: float
    strength_paretic_frac: float

    def line(self) -> str:
        return (f"{self.pseudonym}: session {self.session}/{self.sessions} imported, guidance "
                f"{self.guidance_pct:g} %, paretic strength {self.strength_paretic_frac:.2f} "
                "[SIMULATED]")


def _ensure_patient(store: ClinicStore, pseudonym: str, profile: str, side: str,
                    onset_days: float, start: dt.datetime, seed: int, actor: str) -> None:
    with store.transaction() as db:
        p = db.scalar(select(Patient).where(Patient.pseudonym == pseudonym))
        if p is None:
            p = records.add_patient(db, actor=actor, pseudonym=pseudonym, simulated=True,
                                    affected_side=side, diagnosis=f"virtual patient ({profile})")
        if course.latest_record(db, p) is None:
            course.enrol(db, p, profile_id=profile, seed=seed, actor=actor,
                         days_since_onset_d=onset_days, when=start - dt.timedelta(hours=2))
            records.add_prescription(db, actor=VIRTUAL_THERAPIST, patient=p,
                                     controller="guidance",
                                     created_at=start - dt.timedelta(hours=1),
                                     targets={"note": "SIMULATED demo course"},
                                     **FIRST_PRESCRIPTION)


def fill_demo_course(store: ClinicStore, *, pseudonyms: list[str], weeks: int,
                     sessions_per_week: int, minutes: float, out_dir: Path, seed: int = 1,
                     actor: str = "demo-setup",
                     progress: Callable[[DemoProgress], object] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> int:
    """Train the demo patients; returns the sessions run now (0 when the history is done)."""
    if not 1 <= weeks <= 26 or not 1 <= sessions_per_week <= 7:
        raise UserError("a demo course takes 1-26 weeks and 1-7 sessions a week")
    if not 0.05 <= minutes <= 60.0:
        raise UserError(f"demo sessions take 0.05-60 simulated minutes, got {minutes}")
    total = weeks * sessions_per_week
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(weeks=weeks)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    gap = dt.timedelta(days=7.0 / sessions_per_week)
    for i, pseudo in enumerate(pseudonyms):
        profile, side, onset = DEMO_COURSE[i % len(DEMO_COURSE)]
        _ensure_patient(store, pseudo, profile, side, onset, start, seed * 100 + i, actor)
    ran = 0
    for n in range(total):  # patients in turn, so every one gains history as it goes
        for i, pseudo in enumerate(pseudonyms):
            if should_stop is not None and should_stop():
                return ran
            with store.reader() as db:
                state = course.require_state(db, records.find_patient(db, pseudo))
            if state.sessions_done > n:
                continue  # done on an earlier run
            when = start + n * gap + dt.timedelta(hours=i)
            done = run_next_session(store, pseudo, out_dir=out_dir / pseudo, actor=actor,
                                    minutes=minutes, started_at=when)
            ran += 1
            with store.transaction() as db:
                p = records.find_patient(db, pseudo)
                out = proposals.propose(db, p, actor="planning", check=twin_check)
                if out.proposal is not None:
                    proposals.approve(db, out.proposal.id, actor=VIRTUAL_THERAPIST,
                                      note="SIMULATED demo: approved by the virtual therapist",
                                      when=when + dt.timedelta(hours=1))
                rx = proposals.active_prescription(db, p)
                weaker = min(done.state.strength_left_frac, done.state.strength_right_frac)
                if progress is not None:
                    progress(DemoProgress(pseudo, n + 1, total, done.session_id,
                                          rx.guidance_pct, weaker))
    return ran


def demo_course_process(url: str, pseudonyms: list[str], *, weeks: int, sessions_per_week: int,
                        minutes: float, out_dir: str) -> None:
    """The demo history in a process of its own, at low priority (the console keeps its pace):
    the target of the console's background process. Prints one line per session."""
    os.nice(10)
    store = ClinicStore(url)
    try:
        ran = fill_demo_course(store, pseudonyms=pseudonyms, weeks=weeks,
                               sessions_per_week=sessions_per_week, minutes=minutes,
                               out_dir=Path(out_dir), actor="demo-setup",
                               progress=lambda p: print(f"  demo history: {p.line()}",
                                                        flush=True))
        print(f"  demo history complete ({ran} sessions simulated now) [SIMULATED]", flush=True)
    except UserError as exc:
        print(f"  demo history stopped: {exc}", flush=True)
    finally:
        store.close()


def start_demo_course(url: str, pseudonyms: list[str], out_dir: Path, *, weeks: int = 4,
                      sessions_per_week: int = 2, minutes: float = 10.0
                      ) -> multiprocessing.process.BaseProcess:
    """Start the demo history in a background process (it ends with the server)."""
    proc = multiprocessing.get_context("spawn").Process(
        target=demo_course_process, args=(url, list(pseudonyms)),
        kwargs={"weeks": weeks, "sessions_per_week": sessions_per_week, "minutes": minutes,
                "out_dir": str(out_dir)},
        name="gaitway-demo-history", daemon=True)
    proc.start()
    return proc
