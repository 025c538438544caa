"""``gaitway plan``: virtual patients' recovery, progress predictions, next-session proposals.

Heavy imports (the store, statsmodels) happen inside the handlers so that ``gaitway --help``
stays quick.
"""

from __future__ import annotations

import argparse
from typing import Any


def _enrol(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.audit import cli_actor
    from gaitway.clinic.store import open_store
    from gaitway.planning import course

    with open_store() as store, store.transaction() as db:
        patient = records.find_patient(db, args.patient)
        state = course.enrol(db, patient, profile_id=args.profile, seed=args.seed,
                             actor=cli_actor(), days_since_onset_d=args.onset_days)
        print(f"{patient.pseudonym}: virtual patient {state.profile}, seed {state.seed}, "
              f"{state.days_since_onset_d:.0f} days after onset [SIMULATED]")
    return 0


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return v


def _days(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 0.0 <= v <= 18250.0:
        raise argparse.ArgumentTypeError(f"{text} days since onset must be within 0-18250")
    return v


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("plan", help="recovery, progress prediction, next-session "
                              "proposals")
    psub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = psub.add_parser("enrol", help="give a simulated patient a virtual patient on the twin")
    e.add_argument("patient", help="patient pseudonym")
    e.add_argument("--profile", required=True, help="twin profile (see 'gaitway profiles')")
    e.add_argument("--seed", type=_nonneg_int, default=0)
    e.add_argument("--onset-days", type=_days, default=None,
                   help="days since onset at the first session (default: from the patient's "
                        "onset date, else 365)")
    e.set_defaults(func=_enrol)
