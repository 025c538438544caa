"""Clinic commands: patients, assessments, sessions, reports, exports, users, demo data.

The store is the one ``GAITWAY_DATABASE_URL`` names (default: a SQLite file in
``GAITWAY_DATA_DIR``). Every command that writes does so in one transaction, so bad input
leaves nothing behind; errors reach the person as one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from gaitway.files import check_output_file, check_output_folder


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _when(text: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return v


def _store() -> Any:
    from gaitway.clinic.store import open_store

    return open_store()


def _actor() -> str:
    from gaitway.clinic.audit import cli_actor

    return cli_actor()


def _sim(flag: bool) -> str:
    return " [SIMULATED]" if flag else ""


# --------------------------------------------------------------------------- patients


def _patients_add(args: argparse.Namespace) -> int:
    from gaitway.clinic import records

    with _store() as store, store.transaction() as db:
        p = records.add_patient(
            db, actor=_actor(), pseudonym=args.id, sex=args.sex, birth_year=args.birth_year,
            height_m=args.height_m, body_mass_kg=args.mass_kg, diagnosis=args.diagnosis,
            affected_side=args.affected_side, onset_date=args.onset, simulated=args.simulated,
        )
        print(p.pseudonym)
    return 0


def _patients_list(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from gaitway.clinic import records
    from gaitway.clinic.models import TrainingSession

    with _store() as store, store.reader() as db:
        patients = records.list_patients(db)
        if not patients:
            print("no patients yet; add one with 'gaitway patients add'")
            return 0
        rows = db.execute(select(TrainingSession.patient_id, func.count())
                          .group_by(TrainingSession.patient_id)).all()
        counts = {int(r[0]): int(r[1]) for r in rows}
        print(f"{'patient':<28} {'sessions':>8}  {'side':<6} diagnosis")
        for p in patients:
            print(f"{p.pseudonym:<28} {counts.get(p.id, 0):>8}  {p.affected_side or '-':<6} "
                  f"{p.diagnosis or '-'}{_sim(p.simulated)}")
    return 0


def _patients_show(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.measures import CLINICAL_TESTS
    from gaitway.clinic.progress import patient_progress

    with _store() as store, store.reader() as db:
        p = records.find_patient(db, args.patient)
        print(f"{p.pseudonym}{_sim(p.simulated)}")
        for label, value in (("sex", p.sex), ("birth year", p.birth_year),
                             ("height", f"{p.height_m} m" if p.height_m else None),
                             ("body mass", f"{p.body_mass_kg} kg" if p.body_mass_kg else None),
                             ("diagnosis", p.diagnosis), ("affected side", p.affected_side),
                             ("onset", p.onset_date)):
            print(f"  {label + ':':<15}{value if value is not None else '-'}")
        sessions = records.list_sessions(db, p)
        print(f"  {'sessions:':<15}{len(sessions)}")
        for a in p.assessments[-5:]:
            spec = CLINICAL_TESTS[a.test]
            print(f"  {spec.name}: {a.value:g} {spec.unit} ({a.performed_at:%Y-%m-%d})")
        for line in patient_progress(db, p).lines_:
            print(f"  > {line}")
    return 0


# --------------------------------------------------------------------------- assess


def _assess(args: argparse.Namespace) -> int:
    from gaitway.clinic import records

    with _store() as store, store.transaction() as db:
        p = records.find_patient(db, args.patient)
        a = records.add_assessment(db, actor=_actor(), patient=p, test=args.test,
                                   value=args.value, performed_at=args.date, notes=args.notes)
        print(f"{p.pseudonym}: {a.test} = {a.value:g} {a.unit}{_sim(p.simulated)}")
    return 0


# --------------------------------------------------------------------------- sessions


def _sessions_import(args: argparse.Namespace) -> int:
    from gaitway.clinic.importer import import_session

    with _store() as store:
        result = import_session(store, Path(args.dir), actor=_actor(),
                                patient_ref=args.patient)
    print(result.session_id)
    note = ("replaced the earlier import with this better copy" if result.replaced
            else "imported" if result.created else "already imported, nothing changed")
    print(f"{note}: {result.status}, {result.strides} strides, patient {result.patient}",
          file=sys.stderr)
    return 0


def _sessions_list(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.models import Patient

    with _store() as store, store.reader() as db:
        patient = records.find_patient(db, args.patient) if args.patient else None
        sessions = records.list_sessions(db, patient)
        if not sessions:
            print("no sessions yet; import one with 'gaitway sessions import DIR'")
            return 0
        names = {p.id: p.pseudonym for p in db.query(Patient).all()}
        print(f"{'session':<36}  {'started (UTC)':<16}  {'patient':<22} {'min':>5} "
              f"{'steps':>6}  status")
        for s in sessions:
            print(f"{s.id:<36}  {s.started_at:%Y-%m-%d %H:%M}  {names.get(s.patient_id, '?'):<22}"
                  f" {s.duration_s / 60:>5.1f} {s.steps:>6}  {s.status}{_sim(s.simulated)}")
    return 0


# --------------------------------------------------------------------------- reports


def _report(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.reports.render import write_html, write_pdf

    for out in (args.pdf, args.html):  # both checked before anything is written
        if out:
            check_output_file(out, "the report")
    with _store() as store, store.reader() as db:
        if args.kind == "session":
            from gaitway.clinic.reports.session_report import session_report

            content = session_report(db, records.find_session(db, args.ref))
        else:
            from gaitway.clinic.reports.progress_report import progress_report
            from gaitway.planning.report import add_forecast

            patient = records.find_patient(db, args.ref)
            content = progress_report(db, patient)
            add_forecast(db, patient, content)  # trend, band, targets, latest proposal
        pages = write_pdf(content, Path(args.pdf))
        print(f"{args.pdf} ({pages} pages){_sim(content.header.simulated)}")
        if args.html:
            write_html(content, Path(args.html))
            print(f"{args.html}{_sim(content.header.simulated)}")
    return 0


# --------------------------------------------------------------------------- export


def _export(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.exports import export_session

    if args.format.lower() in ("csv", "parquet"):
        check_output_folder(args.out, f"the {args.format} export")
    else:
        check_output_file(args.out, f"the {args.format} export")
    with _store() as store, store.reader() as db:
        s = records.find_session(db, args.session)
        for path in export_session(db, s, args.format, Path(args.out)):
            print(f"{path}{_sim(s.simulated)}")
    return 0


# --------------------------------------------------------------------------- users


def _read_password() -> str:
    """The new password: prompted twice on a terminal, else one line of standard input.

    Never an argument: argv is visible to other users (ps) and kept in shell history.
    """
    import getpass

    from gaitway.errors import UserError

    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise UserError("the two passwords differ; nothing was stored")
        return first
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UserError("no password on standard input; pipe one line holding it, or run "
                        "the command in a terminal to be asked for it")
    return password


def _users_add(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.errors import UserError

    if args.station and args.role != "therapist":
        raise UserError("only therapist accounts are assigned to a station")
    password = _read_password()
    with _store() as store, store.transaction() as db:
        patient = records.find_patient(db, args.patient) if args.patient else None
        station = records.find_station(db, args.station) if args.station else None
        user = records.add_user(db, actor=_actor(), username=args.username, role=args.role,
                                password=password, patient=patient, station=station)
        print(f"{user.username} ({user.role})")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from gaitway.clinic import records
    from gaitway.clinic.models import Patient, Station

    with _store() as store, store.reader() as db:
        users = records.list_users(db)
        if not users:
            print("no users; add one with 'gaitway users add'")
        for u in users:
            link = ""
            if u.patient_id is not None:
                p = db.get(Patient, u.patient_id)
                link = f"  patient {p.pseudonym if p else u.patient_id}"
            elif u.station_id is not None:
                st = db.get(Station, u.station_id)
                link = f"  station {st.name if st else u.station_id}"
            state = "active" if u.active else "disabled"
            print(f"{u.username:<24} {u.role:<10} {state:<9} since {u.created_at:%Y-%m-%d}{link}")
    return 0


def _users_disable(args: argparse.Namespace) -> int:
    from gaitway.clinic import records

    with _store() as store, store.transaction() as db:
        user = records.disable_user(db, actor=_actor(), username=args.username)
        print(f"{user.username} disabled")
    return 0


def _users_care_team(args: argparse.Namespace) -> int:
    from gaitway.clinic import care_team, records

    with _store() as store, store.transaction() as db:
        user = records.find_user(db, args.username)
        patient = records.find_patient(db, args.patient)
        if args.remove:
            care_team.remove(db, actor=_actor(), patient=patient, user=user)
        else:
            care_team.assign(db, actor=_actor(), patient=patient, user=user)
        team = ", ".join(care_team.members(db, patient)) or "nobody"
        print(f"{patient.pseudonym}'s care team: {team}")
    return 0


# --------------------------------------------------------------------------- demo data


def _demo(args: argparse.Namespace) -> int:
    from gaitway.harnesses.demo_data import fill_demo_data
    from gaitway.settings import get_settings

    out = Path(args.out) if args.out else get_settings().data_dir / "demo-sessions"
    with _store() as store:
        summary = fill_demo_data(
            store, patients=args.patients, weeks=args.weeks,
            sessions_per_week=args.sessions_per_week, minutes=args.minutes, seed=args.seed,
            out_dir=out, actor=_actor(), progress=lambda msg: print(msg, file=sys.stderr),
        )
    for pseudonym, n in summary.items():
        print(f"{pseudonym}: {n} sessions [SIMULATED]")
    return 0


def register(subparsers: Any) -> None:
    """Add the patients, assess, sessions, report, export, users and demo-data commands."""
    p = subparsers.add_parser("patients", help="pseudonymous patient records")
    psub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = psub.add_parser("add", help="register a patient; prints the pseudonym")
    add.add_argument("--id", help="pseudonym (made up when omitted; never a real name)")
    add.add_argument("--sex", choices=("female", "male", "other"))
    add.add_argument("--birth-year", type=int)
    add.add_argument("--height-m", type=float)
    add.add_argument("--mass-kg", type=float)
    add.add_argument("--diagnosis")
    add.add_argument("--affected-side", choices=("left", "right", "both", "none"))
    add.add_argument("--onset", type=_date, help="date of onset, YYYY-MM-DD")
    add.add_argument("--simulated", action="store_true", help="a virtual patient")
    add.set_defaults(func=_patients_add)
    lst = psub.add_parser("list", help="list patients")
    lst.set_defaults(func=_patients_list)
    show = psub.add_parser("show", help="one patient's record and progress")
    show.add_argument("patient")
    show.set_defaults(func=_patients_show)

    a = subparsers.add_parser("assess", help="enter a clinical test result")
    a.add_argument("patient")
    a.add_argument("--test", required=True, type=str.lower,
                   choices=("10mwt", "6mwt", "tug", "bbs", "fac"),
                   help="10mwt: gait speed m/s; 6mwt: metres; tug: seconds; bbs: 0-56; "
                        "fac: 0-5")
    a.add_argument("--value", required=True, type=float)
    a.add_argument("--date", type=_when, help="when it was done (default now)")
    a.add_argument("--notes")
    a.set_defaults(func=_assess)

    s = subparsers.add_parser("sessions", help="import and list training sessions")
    ssub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = ssub.add_parser("import", help="store a session directory; prints the session id")
    imp.add_argument("dir")
    imp.add_argument("--patient", help="patient pseudonym (simulated sessions may omit it)")
    imp.set_defaults(func=_sessions_import)
    sl = ssub.add_parser("list", help="list sessions")
    sl.add_argument("--patient")
    sl.set_defaults(func=_sessions_list)

    r = subparsers.add_parser("report", help="session and progress reports (PDF, HTML)")
    rsub = r.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, ref, help_ in (("session", "session id (or a unique prefix)", "one session"),
                             ("progress", "patient pseudonym", "one patient's progress")):
        rp = rsub.add_parser(kind, help=help_)
        rp.add_argument("ref", metavar="ID" if kind == "session" else "PATIENT", help=ref)
        rp.add_argument("--pdf", required=True, help="PDF file to write")
        rp.add_argument("--html", help="also write this HTML file")
        rp.set_defaults(func=_report)

    e = subparsers.add_parser("export", help="export a session (C3D, CSV, Parquet, FHIR)")
    esub = e.add_subparsers(dest="what", metavar="WHAT", required=True)
    es = esub.add_parser("session", help="export one session")
    es.add_argument("session", metavar="ID")
    es.add_argument("--format", required=True, type=str.lower,
                    choices=("c3d", "csv", "parquet", "fhir"))
    es.add_argument("--out", required=True,
                    help="a file (c3d, fhir) or a folder (csv, parquet)")
    es.set_defaults(func=_export)

    u = subparsers.add_parser("users", help="clinic logins: admin, therapist, patient")
    usub = u.add_subparsers(dest="action", metavar="ACTION", required=True)
    ua = usub.add_parser(
        "add", help="add a login; the password is asked for (or read from standard input)")
    ua.add_argument("username")
    ua.add_argument("--role", required=True, type=str.lower,
                    choices=("admin", "therapist", "patient"))
    ua.add_argument("--patient", help="patient pseudonym (required for --role patient)")
    ua.add_argument("--station", help="station name a therapist works at")
    ua.set_defaults(func=_users_add)
    ul = usub.add_parser("list", help="list logins (never their passwords)")
    ul.set_defaults(func=_users_list)
    ud = usub.add_parser("disable", help="stop a login from working (kept for the audit log)")
    ud.add_argument("username")
    ud.set_defaults(func=_users_disable)
    uc = usub.add_parser("care-team", help="put a therapist on a patient's care team (the "
                         "therapists who see the patient's records), or --remove")
    uc.add_argument("username")
    uc.add_argument("patient", help="patient pseudonym")
    uc.add_argument("--remove", action="store_true", help="take the therapist off the team")
    uc.set_defaults(func=_users_care_team)

    d = subparsers.add_parser("demo-data", help="fill the store with SIMULATED patients")
    d.add_argument("--patients", type=_positive_int, default=3)
    d.add_argument("--weeks", type=_positive_int, default=4)
    d.add_argument("--sessions-per-week", type=_positive_int, default=2)
    d.add_argument("--minutes", type=float, default=0.5,
                   help="simulated minutes per session (default 0.5, to keep it quick)")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--out", help="where session directories go (default: data dir)")
    d.set_defaults(func=_demo)
