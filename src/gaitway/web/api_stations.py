"""Stations: overview, details, controls (REST) and the live stream (WebSocket).

Every control command is audited with who sent it. A large change from the set value (see
``gaitway.control.changes.LARGE_STEP``) and any controller switch is refused with 409 unless
the request says ``confirmed`` (``needs_confirmation`` in the answer: the console asks the
therapist first); a change asked for while the station holds a fault's safe state is refused
with 409 however it is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from typing import Annotated, Any, Final, Literal

import anyio
from fastapi import (
    APIRouter,
    BackgroundTasks,
    HTTPException,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi import Path as FPath
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gaitway.clinic import care_team, records
from gaitway.clinic.models import Patient
from gaitway.control.changes import ChangeKind
from gaitway.control.registry import CONTROLLERS, check_controller
from gaitway.web.assign import next_session, with_patient
from gaitway.web.auth import COOKIE_NAME, CSRF_HEADER, csrf_ok
from gaitway.web.deps import (
    AppContext,
    CsrfSession,
    Ctx,
    CurrentSession,
    can_view,
    require_staff,
    station_for,
)
from gaitway.web.host import StationHost
from gaitway.web.origin import same_origin
from gaitway.web.redact import public_station
from gaitway.web.screen_units import CHANGE_KINDS, to_channel

router = APIRouter(prefix="/api/stations", tags=["stations"])

#: a stream with no new frame for this long sends an empty batch (finds closed browsers)
STREAM_IDLE_S: Final[float] = 2.0
#: a stream checks its account (disabled, deleted, logged out) at least this often
ACCOUNT_CHECK_S: Final[float] = 0.5
StationId = Annotated[str, FPath(max_length=64)]
#: threads of their own for emergency-stop presses: never queued behind other requests
_ESTOP_THREADS: Final[anyio.CapacityLimiter] = anyio.CapacityLimiter(8)


class ChangeIn(BaseModel):
    """A change in screen units (gaitway.web.screen_units): guidance and bws in percent,
    speed in km/h, controller by name, rom as [hip scale, knee scale], tunnel_width in
    degrees, path_flow in N*m, support_bounds as [least %, most %], resistance as [damping
    N*m*s/rad, torque N*m]. Strict: a JSON boolean is not a number, and ``confirmed`` is JSON
    true or false, nothing else ("yes", 1)."""

    model_config = ConfigDict(strict=True)

    kind: str = Field(json_schema_extra={"enum": list(CHANGE_KINDS)})
    value: float | str | list[float]
    reason: str = Field(default="", max_length=200)
    confirmed: bool = False

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in CHANGE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(CHANGE_KINDS)}")
        return v


class ControllerOut(BaseModel):
    """A controller the console may select, and the changes it may send while it runs."""

    name: str
    description: str
    console_changes: list[str]


class ActionOut(BaseModel):
    station: str
    action: str
    detail: str = ""


class PatientOnStation(BaseModel):
    """The patient who trains on the station from its next session on (by record id)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    patient_id: int = Field(ge=1, le=2**31 - 1)


Action = Literal["start", "pause", "resume", "stop", "acknowledge"]


controllers_router = APIRouter(prefix="/api/controllers", tags=["stations"])


@controllers_router.get("", responses={401: {}, 403: {}})
def list_controllers(sess: CurrentSession) -> list[ControllerOut]:
    """The registered controllers (gaitway.control.registry), for the console's choices
    (therapists and admins)."""
    require_staff(sess)
    return [ControllerOut(name=c.name, description=c.description,
                          console_changes=list(c.console_changes))
            for c in CONTROLLERS.values()]


@router.get("", responses={401: {}})
def list_stations(sess: CurrentSession, ctx: Ctx) -> list[dict[str, Any]]:
    """Every station this user may see, with state, patient, elapsed time, steps, effort,
    alerts (all SIMULATED for in-process stations)."""
    return [public_station(_status(st), role=sess.user.role)
            for st in ctx.live.stations.values() if can_view(sess, st)]


def _status(st: StationHost) -> dict[str, Any]:
    """The station's status, the patient's record id and the prescription its next (or
    running) session follows."""
    return st.status() | {"patient_id": st.setup.patient_id,
                          "prescription_id": st.setup.prescription_id}


@router.get("/{station_id}", responses={401: {}, 404: {}})
def station_detail(station_id: StationId, sess: CurrentSession, ctx: Ctx) -> dict[str, Any]:
    """One station: status, recent strides and the event log."""
    st = station_for(ctx, sess, station_id)
    return public_station(_status(st) | {"strides": list(st.strides),
                                         "events": list(st.events)[-100:]},
                          role=sess.user.role)


@router.post("/{station_id}/changes", response_model=ActionOut,
             responses={400: {}, 401: {}, 403: {}, 404: {}, 409: {}})
def station_change(station_id: StationId, body: ChangeIn, sess: CsrfSession, ctx: Ctx) -> ActionOut:
    """Change guidance, body-weight support, speed, controller, range of motion, or the
    settings of a controller (tunnel width, path flow, support bounds, resistance)."""
    st = station_for(ctx, sess, station_id, control=True)
    value = _check_value(body)
    who = f"therapist:{sess.user.username}"
    ok = False
    try:
        st.change(body.kind, value, who, body.reason, confirmed=body.confirmed)
        ok = True
    finally:
        ctx.audit(f"web:{sess.user.username}", "station.change", "station", station_id,
                  kind=body.kind, value=value, confirmed=body.confirmed, ok=ok)
    return ActionOut(station=station_id, action="change", detail=f"{body.kind}={value}")


@router.post("/{station_id}/patient", response_model=ActionOut,
             responses={400: {}, 401: {}, 403: {}, 404: {}, 409: {}})
def put_patient(station_id: StationId, body: PatientOnStation, sess: CsrfSession,
                ctx: Ctx) -> ActionOut:
    """Put a patient of one's care team on a station assigned to one (admins: any of
    either); the station's next session follows that patient's active prescription."""
    st = station_for(ctx, sess, station_id, control=True)
    if st.setup.replay is not None:
        raise HTTPException(400, f"station {st.setup.name} replays a recording; no patient "
                                 "trains on it")
    if st.running:
        raise HTTPException(409, f"station {st.setup.name} is running a session; stop it "
                                 "before putting another patient on it")
    u = sess.user
    with ctx.store.reader() as db:
        p = db.get(Patient, body.patient_id)
        if p is None or not care_team.may_see(db, user_id=u.id, role=u.role,
                                              own_patient_id=u.patient_id,
                                              patient_id=body.patient_id):
            ctx.audit(f"web:{u.username}", "access.refused", "patient", body.patient_id,
                      role=u.role, station=station_id)
            raise HTTPException(404, "no such patient record that you may see")
        new = with_patient(db, st.setup, p)
    ok = False
    try:
        st.configure(new)
        ok = True
    finally:
        ctx.audit(f"web:{u.username}", "station.patient", "station", station_id,
                  patient_id=body.patient_id, prescription_id=new.prescription_id, ok=ok)
    rx = (f"prescription {new.prescription_id}" if new.prescription_id is not None
          else "no prescription: the station defaults")
    return ActionOut(station=station_id, action="patient", detail=f"{new.patient}; {rx}")


def _follow_prescription(ctx: AppContext, st: StationHost) -> int | None:
    """Before a start: the patient's active prescription as it stands now (approved or
    written since the last session) becomes the station's settings."""
    with ctx.store.reader() as db:
        new = next_session(db, st.setup)
    if new is not None:
        st.configure(new)
    return st.setup.prescription_id


@router.post("/{station_id}/estop", response_model=ActionOut,
             responses={401: {}, 403: {}, 404: {}})
async def station_estop(station_id: StationId, request: Request,
                        background: BackgroundTasks) -> ActionOut:
    """Press the station's emergency stop.

    The press must get through on a loaded server, so its path avoids everything that can
    queue: no clinic-store read (the login and CSRF token are checked against the sessions in
    memory; an account disabled a moment ago may still press a stop, which is always safe), no
    shared request thread pool (a limiter of its own for a worker station's round trip), and
    the audit entry is written after the answer (the station's own log has the press first).
    """
    ctx: AppContext = request.app.state.ctx
    sess = ctx.sessions.get(request.cookies.get(COOKIE_NAME))
    if sess is None:
        raise HTTPException(401, "not logged in; log in at /login")
    if not csrf_ok(sess, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header; reload the page")
    st = station_for(ctx, sess, station_id, control=True)
    who = f"therapist:{sess.user.username}"
    ok = False
    try:
        await anyio.to_thread.run_sync(st.emergency_stop, who, limiter=_ESTOP_THREADS)
        ok = True
    finally:
        background.add_task(ctx.audit, f"web:{sess.user.username}", "station.estop",
                            "station", station_id, ok=ok)
    return ActionOut(station=station_id, action="estop", detail="")


@router.post("/{station_id}/{action}", response_model=ActionOut,
             responses={400: {}, 401: {}, 403: {}, 404: {}})
def station_action(station_id: StationId, action: Action, sess: CsrfSession, ctx: Ctx) -> ActionOut:
    """Start, pause, resume, stop, or acknowledge the station's alerts (the emergency stop
    has a route of its own, above)."""
    st = station_for(ctx, sess, station_id, control=True)
    who = f"therapist:{sess.user.username}"
    detail = ""
    ok = False
    try:
        if action == "start":
            rx_id = _follow_prescription(ctx, st)
            st.start(who)
            detail = (f"prescription {rx_id}" if rx_id is not None
                      else "station defaults (no active prescription)")
        elif action == "pause":
            st.pause(who)
        elif action == "resume":
            st.resume(who)
        elif action == "stop":
            st.stop(who)
        else:
            detail = "; ".join(st.acknowledge(who))
        ok = True
    finally:
        extra = {"prescription_id": st.setup.prescription_id} if action == "start" else {}
        ctx.audit(f"web:{sess.user.username}", f"station.{action}", "station", station_id,
                  ok=ok, **extra)
    return ActionOut(station=station_id, action=action, detail=detail)


def _check_value(body: ChangeIn) -> Any:
    """The value as sent (screen units, for the audit), once it has the kind's form; the
    station checks its range."""
    kind, _ = to_channel(body.kind, body.value)
    if kind is ChangeKind.CONTROLLER:
        return check_controller(body.value)
    v = body.value
    return [float(x) for x in v] if isinstance(v, list) else float(v)


ws_router = APIRouter()


@ws_router.websocket("/ws/stations/{station_id}")
async def station_stream(websocket: WebSocket, station_id: str) -> None:
    """Live frames of one station (about 50 per second) as JSON arrays of frames, sent as
    soon as the station publishes them (each frame is encoded once, for every reader)."""
    ctx = websocket.app.state.ctx
    cookie = websocket.cookies.get(COOKIE_NAME)
    sess = await asyncio.to_thread(ctx.session, cookie)
    st = ctx.live.stations.get(station_id)
    if (sess is None or st is None or not can_view(sess, st)
            or not same_origin(websocket)):
        if sess is not None:
            await asyncio.to_thread(
                ctx.audit, f"web:{sess.user.username}", "access.refused", "stream",
                station_id, role=sess.user.role, origin=websocket.headers.get("origin"))
        await websocket.close(code=4403)
        return
    await websocket.accept()
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    pending = [False]

    def wake() -> None:  # called by the station's loop thread for each new frame
        if not pending[0]:  # one wake-up per batch: the loop thread never piles up calls
            pending[0] = True
            loop.call_soon_threadsafe(ready.set)

    seq = max(st.seq - 1, 0)
    st.add_listener(wake)
    checked = idle_since = loop.time()
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), ACCOUNT_CHECK_S)
            now = loop.time()
            if now - checked >= ACCOUNT_CHECK_S:
                checked = now
                sess = await asyncio.to_thread(ctx.session, cookie)
                if sess is None or not can_view(sess, st):  # disabled, deleted, reassigned
                    await websocket.close(code=4401)
                    return
            if not ready.is_set():
                if now - idle_since >= STREAM_IDLE_S:
                    idle_since = now
                    await websocket.send_text("[]")  # idle station: notice a closed browser
                continue
            ready.clear()
            pending[0] = False
            idle_since = now
            seq, text = st.encoded_after(seq)
            if text:
                await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        st.remove_listener(wake)


remote_router = APIRouter(prefix="/api/remote", tags=["remote stations"])


class RemoteFrame(BaseModel):
    """One frame from a station running elsewhere (angles in degrees, forces in N)."""

    t: float = Field(ge=0, le=86400)
    q: list[float] = Field(min_length=4, max_length=4)
    ref: list[float] = Field(min_length=4, max_length=4)
    grf: list[float] = Field(default=[0.0, 0.0], min_length=2, max_length=2)
    state: str = Field(default="training", max_length=32)
    elapsed_s: float | None = Field(default=None, ge=0, le=86400)  # training clock
    steps: int = Field(default=0, ge=0)
    guidance_pct: float | None = None
    bws_pct: float | None = None
    speed_kmh: float | None = None
    controller: str = Field(default="", max_length=32)
    #: hip and knee range-of-motion scales the reference walks now
    rom_scale: list[float] | None = Field(default=None, min_length=2, max_length=2)
    active_participation_pct: list[float | None] = Field(default=[None, None], min_length=2,
                                                         max_length=2)
    symmetry_pct: float | None = None
    weight_bearing_pct: list[float | None] = Field(default=[None, None], min_length=2,
                                                   max_length=2)


class RemotePush(BaseModel):
    simulated: bool
    patient: str = Field(default="(remote)", max_length=64)
    frames: list[RemoteFrame] = Field(max_length=500)


@remote_router.post("/{station_id}/frames", responses={400: {}, 401: {}})
def push_frames(station_id: StationId, body: RemotePush, request: Request,
                ctx: Ctx) -> dict[str, int]:
    """A station in another process or on another computer pushes its live frames, with
    ``Authorization: Bearer <token>`` (``GAITWAY_WEB_STATION_TOKENS``)."""
    expected = ctx.settings.station_tokens.get(station_id)
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(expected, given):
        raise HTTPException(401, "unknown station or wrong station token")
    new = station_id not in ctx.live.stations
    st = ctx.live.remote(station_id)
    st.setup.simulated = body.simulated
    st.setup.patient = body.patient
    if new:
        ctx.audit(f"station:{station_id}", "station.connect", "station", station_id,
                  simulated=body.simulated)
    if st.assignments_due():
        # the clinic's station of this id (registered on its first push) and the
        # therapists assigned to it (gaitway users add NAME --role therapist --station ID)
        with ctx.store.transaction() as db:
            row = records.station_by_name(db, station_id, actor=f"station:{station_id}",
                                          simulated=body.simulated)
            st.setup.therapists = records.station_therapists(db, row)
        st.assignments_checked()
    # no training clock in a frame (an older publisher): the key stays out, not a null
    frames = [f.model_dump(exclude={"elapsed_s"} if f.elapsed_s is None else None)
              for f in body.frames]
    return {"accepted": st.ingest(frames)}
