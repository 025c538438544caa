"""Forecasts and next-session proposals over HTTP: what `gaitway plan` does, for the console.

Admins and the patient's care team see the patient's forecast and proposals, ask for a
proposal (checked on the patient's twin before it is offered) and approve, edit or reject it; a
patient sees only their own forecast. Every decision is audited under the therapist's name;
nothing changes a prescription without that decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi import Path as FPath
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic import care_team
from gaitway.clinic.models import Patient, Proposal
from gaitway.clinic.records import PRESCRIPTION_DURATION_MIN
from gaitway.errors import UnwalkableError, UserError
from gaitway.planning import proposals
from gaitway.planning.forecast import patient_forecast
from gaitway.planning.twin import twin_check
from gaitway.session.settings import SETTING_RANGES
from gaitway.web.auth import WebSession
from gaitway.web.deps import AppContext, CsrfSession, Ctx, CurrentSession, require_staff

router = APIRouter(prefix="/api", tags=["planning"])
PatientId = Annotated[int, FPath(ge=1, le=2**31 - 1)]
ProposalId = Annotated[int, FPath(ge=1, le=2**31 - 1)]


class Decision(BaseModel):
    """A therapist's approval; the edits replace the proposed values, within the clinic
    store's bounds. Strict (as the station changes): a JSON boolean is not a number, a number
    in a string is not one either, and unknown fields are refused."""

    model_config = ConfigDict(strict=True, extra="forbid")

    note: str | None = Field(default=None, max_length=500)
    guidance_pct: float | None = Field(default=None, ge=SETTING_RANGES.guidance_pct[0],
                                       le=SETTING_RANGES.guidance_pct[1])
    bws_pct: float | None = Field(default=None, ge=SETTING_RANGES.bws_pct[0],
                                  le=SETTING_RANGES.bws_pct[1])
    speed_kmh: float | None = Field(default=None, ge=SETTING_RANGES.speed_kmh[0],
                                    le=SETTING_RANGES.speed_kmh[1])
    duration_min: float | None = Field(default=None, ge=PRESCRIPTION_DURATION_MIN[0],
                                       le=PRESCRIPTION_DURATION_MIN[1])


class Rejection(BaseModel):
    """A therapist's rejection: only a note (nothing to edit in what is not taken)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    note: str | None = Field(default=None, max_length=500)


_HIDDEN = "no such patient record that you may see"


def _patient(db: Session, patient_id: int, sess: WebSession) -> Patient:
    """The patient, if this user may see them (admins; the care team; the patient)."""
    u = sess.user
    p = db.get(Patient, patient_id)
    if p is None or not care_team.may_see(db, user_id=u.id, role=u.role,
                                          own_patient_id=u.patient_id, patient_id=patient_id):
        raise HTTPException(404, _HIDDEN)
    return p


def _proposal(db: Session, proposal_id: int, sess: WebSession) -> Proposal:
    p = db.get(Proposal, proposal_id)
    if p is None:
        raise HTTPException(404, "no such proposal that you may see")
    try:
        _patient(db, p.patient_id, sess)
    except HTTPException:
        raise HTTPException(404, "no such proposal that you may see") from None
    return p


_DECISION = re.compile(r"/api/proposals/(\d{1,10})/(approve|reject)")


def decision_of(method: str, path: str) -> tuple[int, str] | None:
    """(proposal id, "approve" or "reject") when this request is a decision, else None."""
    m = _DECISION.fullmatch(path)
    return (int(m[1]), m[2]) if method == "POST" and m else None


def refused_decision(ctx: AppContext, sess: WebSession, proposal_id: int, verb: str, *,
                     status: int, reason: str) -> None:
    """A refused approval or rejection, audited under the therapist's name with why (the
    decision's own transaction is rolled back, so this entry is written on its own)."""
    ctx.audit(f"web:{sess.user.username}", f"proposal.{verb}.refused", "proposal", proposal_id,
              status=status, role=sess.user.role, reason=reason[:200])


def _decide(ctx: AppContext, sess: WebSession, proposal_id: int, verb: str,
            decide: Callable[[Session], dict[str, Any]]) -> dict[str, Any]:
    """Run a decision; one refused for what it asks (not pending any more, an edit out of
    bounds) is audited before its 400 answers. Refusals of who asks (403, 404) are audited
    as every refused request is (``access.refused``)."""
    require_staff(sess)
    try:
        with ctx.store.transaction() as db:
            _proposal(db, proposal_id, sess)
            return decide(db)
    except UserError as exc:  # 422: an edit the session would refuse (range and speed)
        status = 422 if isinstance(exc, UnwalkableError) else 400
        refused_decision(ctx, sess, proposal_id, verb, status=status, reason=str(exc))
        raise


@router.get("/patients/{patient_id}/forecast", responses={401: {}, 404: {}})
def forecast(patient_id: PatientId, sess: CurrentSession, ctx: Ctx) -> dict[str, Any]:
    """Per outcome: unit, trend per week, predictions at 2/4/8 weeks with 80 % intervals,
    weeks to target (as `gaitway plan predict --json`)."""
    with ctx.store.reader() as db:
        fc = patient_forecast(db, _patient(db, patient_id, sess))
        return {"simulated": fc.simulated, "outcomes": fc.to_json(), "twist": fc.twist}


@router.get("/patients/{patient_id}/proposals", responses={401: {}, 403: {}, 404: {}})
def list_proposals(patient_id: PatientId, sess: CurrentSession, ctx: Ctx
                   ) -> list[dict[str, Any]]:
    require_staff(sess)
    with ctx.store.reader() as db:
        _patient(db, patient_id, sess)
        rows = db.scalars(select(Proposal).where(Proposal.patient_id == patient_id)
                          .order_by(Proposal.id.desc()).limit(20))
        return [proposals.proposal_json(p) for p in rows]


@router.post("/patients/{patient_id}/proposals", responses={401: {}, 403: {}, 404: {}})
def make_proposal(patient_id: PatientId, sess: CsrfSession, ctx: Ctx) -> dict[str, Any]:
    """Propose the next session's settings (a short session on the twin checks them first)."""
    require_staff(sess)
    with ctx.store.transaction() as db:
        out = proposals.propose(db, _patient(db, patient_id, sess),
                                actor=f"web:{sess.user.username}", check=twin_check)
        return {"message": out.message, "steps": [s.sentence() for s in out.steps],
                "proposal": None if out.proposal is None
                else proposals.proposal_json(out.proposal)}


@router.post("/proposals/{proposal_id}/approve",
             responses={400: {}, 401: {}, 403: {}, 404: {}})
def approve(proposal_id: ProposalId, body: Decision, sess: CsrfSession, ctx: Ctx
            ) -> dict[str, Any]:
    """Approve (with edits): the proposal becomes the patient's active prescription."""
    edits = body.model_dump(exclude={"note"}, exclude_none=True)

    def decide(db: Session) -> dict[str, Any]:
        rx = proposals.approve(db, proposal_id, actor=f"web:{sess.user.username}",
                               edits=edits, note=body.note)
        return {"prescription_id": rx.id, "guidance_pct": rx.guidance_pct,
                "bws_pct": rx.bws_pct, "speed_kmh": rx.speed_kmh,
                "duration_min": rx.duration_min}

    return _decide(ctx, sess, proposal_id, "approve", decide)


@router.post("/proposals/{proposal_id}/reject",
             responses={400: {}, 401: {}, 403: {}, 404: {}})
def reject(proposal_id: ProposalId, body: Rejection, sess: CsrfSession, ctx: Ctx
           ) -> dict[str, Any]:
    """Reject (with a note): the proposal is kept for the record; the prescription stays."""

    def decide(db: Session) -> dict[str, Any]:
        p = proposals.reject(db, proposal_id, actor=f"web:{sess.user.username}",
                             note=body.note)
        return proposals.proposal_json(p)

    return _decide(ctx, sess, proposal_id, "reject", decide)
