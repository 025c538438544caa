"""``gaitway plan``: virtual patients' recovery, progress predictions, next-session proposals.

Heavy imports (the store, statsmodels) happen inside the handlers so that ``gaitway --help``
stays quick.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gaitway.cli.options import validate_parts
from gaitway.files import check_output_file, write_atomic


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


def _predict(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.store import open_store
    from gaitway.planning.forecast import TWIST_LIMITS, patient_forecast
    from gaitway.planning.predict import outcome

    out = check_output_file(args.json, "the --json file") if args.json else None
    with open_store() as store, store.reader() as db:
        fc = patient_forecast(db, records.find_patient(db, args.patient))
    sim = " [SIMULATED]" if fc.simulated else ""
    print(f"Progress of {fc.pseudonym}{sim}: on the current trend, with 80 % intervals "
          "(a forecast, not a promise)")
    for key, f in fc.outcomes.items():
        spec = outcome(key)
        n_pop, simulated_pop = fc.population[key]
        pop = f"{n_pop} patients" + (", SIMULATED reference cohort" if simulated_pop else "")
        print(f"  {spec.label} ({spec.unit}), {f.observations} observations, population "
              f"{pop}: trend {f.trend_per_week:+.3g} {spec.unit}/week")
        for p in f.predictions:
            print(f"    in {p.weeks:g} weeks: {p.value:.3g} ({p.low80:.3g} to {p.high80:.3g})")
        for label, w in (f.weeks_to_target or {}).items():
            when = ("not within a year on the current trend" if w is None
                    else "reached" if w == 0 else f"in about {w:g} weeks")
            print(f"    target {label}: {when}")
    print(f"  {fc.twist}")
    print(f"  ({TWIST_LIMITS})")
    if out is not None:
        write_atomic(out, json.dumps(fc.to_json(), indent=2) + "\n")
        print(f"wrote {out}")
    return 0


def _validate_prediction(args: argparse.Namespace) -> int:
    from gaitway.planning.calibration import calibrate

    out = check_output_file(args.json, "the --json file") if args.json else None
    plot = check_output_file(args.plot, "the --plot file") if args.plot else None
    r = calibrate(patients=args.patients, seed=args.seed, weeks=args.weeks,
                  progress=lambda m: print(m, file=sys.stderr))
    print(f"Calibration of the progress model on {r.patients} SIMULATED patients (seed "
          f"{r.seed}, {r.weeks} weeks, conditioned on the first {r.condition_weeks:g}):")
    print(f"  coverage80 {r.coverage80:.3f} (goal 0.80 +- 0.05)")
    for key, c in r.coverage_by_outcome.items():
        print(f"    {key}: {c:.3f}")
    print(f"  weeks to target, mean absolute error over {r.target_events} events: model "
          f"{r.mae_weeks_model}, baseline (TWIST for FAC >= 4, straight line for gait speed) "
          f"{r.mae_weeks_baseline}")
    if out is not None:
        write_atomic(out, json.dumps(r.to_json(), indent=2) + "\n")
        print(f"wrote {out}")
    if plot is not None:
        from gaitway.planning.figures import calibration_plot

        calibration_plot(r, plot)
        print(f"wrote {plot}")
    return 0


def _simulate_next(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gaitway.clinic.audit import cli_actor
    from gaitway.clinic.store import open_store
    from gaitway.files import check_output_folder
    from gaitway.planning.twin import run_next_session
    from gaitway.settings import get_settings

    out = check_output_folder(args.out or get_settings().data_dir / "sessions",
                              "the session folder")
    with open_store() as store:
        done = run_next_session(store, args.patient, out_dir=Path(out), actor=cli_actor(),
                                minutes=args.minutes, seed=args.seed)
    print(done.session_id)
    print(f"prescription {done.prescription_id}, {done.ended_by}, recording in "
          f"{done.directory} [SIMULATED]", file=sys.stderr)
    return 0


def _propose(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.audit import cli_actor
    from gaitway.clinic.store import open_store
    from gaitway.planning.proposals import proposal_json, propose
    from gaitway.planning.twin import twin_check

    out = check_output_file(args.json, "the --json file") if args.json else None
    with open_store() as store, store.transaction() as db:
        patient = records.find_patient(db, args.patient)
        result = propose(db, patient, actor=cli_actor(), check=twin_check)
        data = proposal_json(result.proposal) if result.proposal is not None else None
    print(result.message)
    for step in result.steps:
        print(f"  {step.sentence()}")
    if data is not None:
        print(f"  checked on the twin: {data['twin_check'].get('ended_by')} [SIMULATED]; "
              f"approve with 'gaitway plan approve {data['id']}' or reject it")
    if out is not None:
        write_atomic(out, json.dumps(data, indent=2) + "\n")
        print(f"wrote {out}")
    return 0


def _decide(args: argparse.Namespace) -> int:
    from gaitway.clinic.audit import cli_actor
    from gaitway.clinic.store import open_store
    from gaitway.planning.proposals import approve, reject

    with open_store() as store, store.transaction() as db:
        if args.action == "approve":
            edits = {"guidance_pct": args.guidance, "bws_pct": args.bws,
                     "speed_kmh": args.speed, "duration_min": args.minutes}
            rx = approve(db, args.proposal, actor=cli_actor(), edits=edits, note=args.note)
            print(f"proposal {args.proposal} approved: prescription {rx.id} is active "
                  f"(guidance {rx.guidance_pct:g} %, body-weight support {rx.bws_pct:g} %, "
                  f"{rx.speed_kmh:g} km/h, {rx.duration_min:g} min)")
        else:
            reject(db, args.proposal, actor=cli_actor(), note=args.note)
            print(f"proposal {args.proposal} rejected; the prescription stays as it is")
    return 0


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return v


def _minutes(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0.0 < v <= 240.0:
        raise argparse.ArgumentTypeError(f"--minutes must be above 0 and at most 240, got {v}")
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
    pr = psub.add_parser("predict", help="a patient's progress forecast with 80 % intervals")
    pr.add_argument("patient", help="patient pseudonym")
    pr.add_argument("--json", metavar="OUT", help="also write the forecast as JSON")
    pr.set_defaults(func=_predict)

    po = psub.add_parser("propose", help="propose the next session's settings (checked on "
                         "the patient's twin; a therapist decides)")
    po.add_argument("patient", help="patient pseudonym")
    po.add_argument("--json", metavar="OUT", help="also write the proposal as JSON")
    po.set_defaults(func=_propose)
    ap = psub.add_parser("approve", help="approve a proposal (optionally edited): it becomes "
                         "the active prescription")
    ap.add_argument("proposal", metavar="PROPOSAL_ID")
    ap.add_argument("--guidance", type=float, help="edit: guidance %%")
    ap.add_argument("--bws", type=float, help="edit: body-weight support %%")
    ap.add_argument("--speed", type=float, help="edit: belt speed km/h")
    ap.add_argument("--minutes", type=float, help="edit: duration min")
    ap.add_argument("--note")
    ap.set_defaults(func=_decide)
    rj = psub.add_parser("reject", help="reject a proposal; the prescription stays")
    rj.add_argument("proposal", metavar="PROPOSAL_ID")
    rj.add_argument("--note")
    rj.set_defaults(func=_decide)

    sessions = subparsers.choices.get("sessions") if hasattr(subparsers, "choices") else None
    if sessions is not None:
        ssub = next(a for a in sessions._actions if isinstance(a, argparse._SubParsersAction))
        sim = ssub.add_parser("simulate", help="run a virtual patient's next session on the "
                              "twin from its active prescription; prints the session id")
        sim.add_argument("--patient", required=True, metavar="REF", help="patient pseudonym")
        sim.add_argument("--minutes", type=_minutes, default=None,
                         help="simulated minutes (default: the prescription's duration)")
        sim.add_argument("--seed", type=_nonneg_int, default=None)
        sim.add_argument("--out", help="folder for the session's recording (default: data dir)")
        sim.set_defaults(func=_simulate_next)

    vsub = validate_parts(subparsers)
    v = vsub.add_parser("prediction", help="calibration of the progress model on a virtual "
                        "cohort (SIMULATED)")
    v.add_argument("--patients", type=_nonneg_int, default=30)
    v.add_argument("--seed", type=_nonneg_int, default=1)
    v.add_argument("--weeks", type=_nonneg_int, default=12, help="course length (default 12)")
    v.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    v.add_argument("--plot", metavar="PNG", help="also draw the calibration plot")
    v.set_defaults(func=_validate_prediction)
