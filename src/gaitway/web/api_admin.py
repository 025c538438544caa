"""User management for admins: add, disable (ending the account's sessions at once), enable,
reset a password, change a role, assign a station and care teams. Every change is audited
with the admin who made it; a change that takes rights away ends the account's sessions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as FPath
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic import accounts, care_team, records
from gaitway.clinic.models import Patient, Station, User
from gaitway.web.auth import WebSession
from gaitway.web.deps import AppContext, CsrfSession, Ctx, CurrentSession

router = APIRouter(prefix="/api/admin", tags=["admin"])
UserId = Annotated[int, FPath(ge=1, le=2**31 - 1)]
Role = Literal["admin", "therapist", "patient"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class UserIn(_Strict):
    username: str = Field(min_length=3, max_length=64)
    role: Role
    password: str = Field(min_length=8, max_length=256)
    patient_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    station: str | None = Field(default=None, max_length=80)


class PasswordIn(_Strict):
    password: str = Field(min_length=8, max_length=256)


class RoleIn(_Strict):
    role: Role
    patient_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class StationIn(_Strict):
    station: str | None = Field(max_length=80)


class CareTeamIn(_Strict):
    patient_id: int = Field(ge=1, le=2**31 - 1)
    username: str = Field(min_length=1, max_length=64)
    remove: bool = False


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    patient: str | None
    station: str | None
    care_team_of: list[str]


def _admin(sess: WebSession) -> str:
    if sess.user.role != "admin":
        raise HTTPException(403, "only admins manage users")
    return f"web:{sess.user.username}"


def _user_out(db: Session, u: User) -> UserOut:
    p = db.get(Patient, u.patient_id) if u.patient_id is not None else None
    st = db.get(Station, u.station_id) if u.station_id is not None else None
    team = sorted(x.pseudonym for x in records.list_patients(db)
                  if x.id in care_team.patient_ids(db, u.id)) if u.role == "therapist" else []
    return UserOut(id=u.id, username=u.username, role=u.role, active=u.active,
                   patient=p.pseudonym if p else None, station=st.name if st else None,
                   care_team_of=team)


def _get_user(db: Session, user_id: int) -> User:
    u = db.get(User, user_id)
    if u is None:
        raise HTTPException(404, f"no user {user_id}")
    return u


def _get_patient(db: Session, patient_id: int | None) -> Patient | None:
    if patient_id is None:
        return None
    p = db.get(Patient, patient_id)
    if p is None:
        raise HTTPException(404, f"no patient {patient_id}")
    return p


def _place(ctx: AppContext, username: str, station: str | None) -> None:
    """The live stations follow a therapist's new station at once: on it, off every other."""
    for st in ctx.live.stations.values():
        if station is not None and st.setup.name == station:
            st.setup.therapists = st.setup.therapists | {username}
        elif username in st.setup.therapists:
            st.setup.therapists = st.setup.therapists - {username}


@router.get("/users", responses={401: {}, 403: {}})
def list_users(sess: CurrentSession, ctx: Ctx) -> list[UserOut]:
    """Every login with its role, state, patient, station and care teams (never a hash)."""
    _admin(sess)
    with ctx.store.reader() as db:
        return [_user_out(db, u) for u in records.list_users(db)]


@router.get("/stations", responses={401: {}, 403: {}})
def list_stations(sess: CurrentSession, ctx: Ctx) -> list[str]:
    """The clinic's station names, for assigning therapists."""
    _admin(sess)
    with ctx.store.reader() as db:
        return list(db.scalars(select(Station.name).order_by(Station.name)))


@router.post("/users", status_code=201, responses={400: {}, 401: {}, 403: {}, 404: {}})
def add_user(body: UserIn, sess: CsrfSession, ctx: Ctx) -> UserOut:
    """Add a login; a patient account links to a patient record, a therapist may get a
    station."""
    actor = _admin(sess)
    with ctx.store.transaction() as db:
        patient = _get_patient(db, body.patient_id)
        station = records.find_station(db, body.station) if body.station else None
        u = records.add_user(db, actor=actor, username=body.username, role=body.role,
                             password=body.password, patient=patient, station=station)
        out = _user_out(db, u)
    if station is not None:
        _place(ctx, body.username, body.station)
    return out


def _change(ctx: AppContext, sess: WebSession, user_id: int, what: str,
            body: Any = None, *, end_sessions: bool) -> UserOut:
    actor = _admin(sess)
    with ctx.store.transaction() as db:
        u = _get_user(db, user_id)
        if what == "disable":
            records.disable_user(db, actor=actor, username=u.username)
        elif what == "enable":
            accounts.enable_user(db, actor=actor, user=u)
        elif what == "password":
            accounts.reset_password(db, actor=actor, user=u, password=body.password)
        elif what == "role":
            accounts.set_role(db, actor=actor, user=u, role=body.role,
                              patient=_get_patient(db, body.patient_id))
            if body.role != "therapist":
                _place(ctx, u.username, None)
        else:
            station = records.find_station(db, body.station) if body.station else None
            accounts.set_station(db, actor=actor, user=u, station=station)
            _place(ctx, u.username, body.station)
        out = _user_out(db, u)
    if end_sessions:
        ended = ctx.sessions.end_user(user_id)
        ctx.audit(actor, "session.ended", "user", user_id, reason=what, sessions=ended)
    return out


@router.post("/users/{user_id}/disable", responses={400: {}, 401: {}, 403: {}, 404: {}})
def disable(user_id: UserId, sess: CsrfSession, ctx: Ctx) -> UserOut:
    """Disable a login: its sessions end at once (the row stays for the audit log)."""
    return _change(ctx, sess, user_id, "disable", end_sessions=True)


@router.post("/users/{user_id}/enable", responses={400: {}, 401: {}, 403: {}, 404: {}})
def enable(user_id: UserId, sess: CsrfSession, ctx: Ctx) -> UserOut:
    return _change(ctx, sess, user_id, "enable", end_sessions=False)


@router.post("/users/{user_id}/password", responses={400: {}, 401: {}, 403: {}, 404: {}})
def reset_password(user_id: UserId, body: PasswordIn, sess: CsrfSession, ctx: Ctx) -> UserOut:
    """Set a new password; the account's open sessions end."""
    return _change(ctx, sess, user_id, "password", body, end_sessions=True)


@router.post("/users/{user_id}/role", responses={400: {}, 401: {}, 403: {}, 404: {}})
def set_role(user_id: UserId, body: RoleIn, sess: CsrfSession, ctx: Ctx) -> UserOut:
    """Change a login's role (a patient account names its patient record)."""
    return _change(ctx, sess, user_id, "role", body, end_sessions=True)


@router.post("/users/{user_id}/station", responses={400: {}, 401: {}, 403: {}, 404: {}})
def set_station(user_id: UserId, body: StationIn, sess: CsrfSession, ctx: Ctx) -> UserOut:
    """Assign a therapist to a station (null: none)."""
    return _change(ctx, sess, user_id, "station", body, end_sessions=False)


@router.post("/care-team", responses={400: {}, 401: {}, 403: {}, 404: {}})
def set_care_team(body: CareTeamIn, sess: CsrfSession, ctx: Ctx) -> dict[str, Any]:
    """Put a therapist on a patient's care team, or take them off (``remove``)."""
    actor = _admin(sess)
    with ctx.store.transaction() as db:
        patient = _get_patient(db, body.patient_id)
        assert patient is not None
        user = records.find_user(db, body.username)
        if body.remove:
            care_team.remove(db, actor=actor, patient=patient, user=user)
        else:
            care_team.assign(db, actor=actor, patient=patient, user=user)
        return {"patient_id": patient.id, "care_team": care_team.members(db, patient)}
