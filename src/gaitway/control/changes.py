"""One validated channel for changes during a session.

A therapist's screen, the fatigue response or a test all submit a :class:`ChangeRequest`.
It is validated when submitted, in the caller's thread (a bad value raises UserError there and
never reaches the loop), recorded as a ``change_requested`` event with who asked, queued in a
bounded queue, and applied by the loop at its defined moment:

- ``next_stride``: at the next heel strike of the left leg (controller, range of motion);
- ``ramp``: starts at once and is reached gradually (guidance over ``ramp_s``; body-weight
  support and belt speed through their own rate limits).

The loop records a ``change_applied`` event when it takes a change over. Work a change needs
that is too slow for a tick (building reference tables for a new range of motion) is done by
the ``prepare`` hook at submission, in the caller's thread; the loop receives its result.

The channel keeps the *set* value of each setting (the last one asked for, applied or still
ramping): :meth:`ChangeChannel.large_change` compares a request with it, so a change that is
large needs the therapist's confirmation however far a ramp has come, and switching the
controller always does. :meth:`ChangeChannel.drop_pending` drops what has not been applied
when a fault stops the session: nothing queued before it takes effect, unseen, on resuming.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from gaitway.control.aan import AanSettings
from gaitway.control.belt import check_speed
from gaitway.control.bws import check_bws
from gaitway.control.registry import check_controller
from gaitway.control.resist import check_resistance
from gaitway.control.settings import MAX_FLOW_NM, MAX_TUNNEL_WIDTH_DEG
from gaitway.errors import UserError
from gaitway.gait.reference import RomSettings

MAX_PENDING: Final[int] = 64


class ChangeKind(enum.Enum):
    GUIDANCE = "guidance"  # fraction 0-1
    BWS = "bws"  # fraction of body weight 0-0.8
    SPEED = "speed"  # m/s
    CONTROLLER = "controller"  # a name in gaitway.control.registry
    ROM = "rom"  # RomSettings
    TUNNEL_WIDTH = "tunnel_width"  # rad
    SUPPORT_BOUNDS = "support_bounds"  # (min, max) fractions for assist-as-needed
    SELF_PACED = "self_paced"  # bool
    PATH_FLOW = "path_flow"  # N*m along the path (path control)
    RESISTANCE = "resistance"  # (damping N*m*s/rad, torque N*m) (resistance)


_TIMING: Final[dict[ChangeKind, str]] = {
    ChangeKind.GUIDANCE: "ramp",
    ChangeKind.BWS: "ramp",
    ChangeKind.SPEED: "ramp",
    ChangeKind.CONTROLLER: "next_stride",
    ChangeKind.ROM: "next_stride",
    ChangeKind.TUNNEL_WIDTH: "next_stride",
    ChangeKind.SUPPORT_BOUNDS: "next_stride",
    ChangeKind.SELF_PACED: "next_stride",
    ChangeKind.PATH_FLOW: "next_stride",
    ChangeKind.RESISTANCE: "next_stride",
}


#: a change larger than this from the set value needs explicit confirmation (the units the
#: channel takes: fractions, m/s, range-of-motion scale); any controller switch needs it too
LARGE_STEP: Final[dict[ChangeKind, float]] = {
    ChangeKind.GUIDANCE: 0.20,
    ChangeKind.BWS: 0.10,
    ChangeKind.SPEED: 0.5 / 3.6,
    ChangeKind.ROM: 0.2,
}


def _shown(kind: ChangeKind, value: Any) -> str:
    """A value as the console shows it (%, km/h, scale)."""
    if kind in (ChangeKind.GUIDANCE, ChangeKind.BWS):
        return f"{float(value) * 100:.0f} %"
    if kind is ChangeKind.SPEED:
        return f"{float(value) * 3.6:.2f} km/h"
    if isinstance(value, RomSettings):
        return f"hip x{value.hip.scale:.2f}, knee x{value.knee.scale:.2f}"
    return str(value)


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A change, who asked for it (``therapist:<id>``, ``auto:fatigue``, ...) and why."""

    kind: ChangeKind
    value: Any
    requested_by: str
    reason: str = ""
    ramp_s: float = 2.0

    @property
    def timing(self) -> str:
        return _TIMING[self.kind]

    def detail_value(self) -> Any:
        """The value as plain JSON-able data, for the event record."""
        v = self.value
        if isinstance(v, RomSettings):
            return {
                j: {"scale": v.for_joint(j).scale, "offset_rad": v.for_joint(j).offset_rad}
                for j in ("hip", "knee", "ankle")
            }
        if isinstance(v, tuple):
            return list(v)
        return v


def validate(req: ChangeRequest) -> ChangeRequest:
    """Check a request's value for its kind; raise UserError saying what to give instead."""
    k, v = req.kind, req.value
    if not req.requested_by:
        raise UserError("a session change must say who asked for it (requested_by)")
    if not (math.isfinite(req.ramp_s) and 0.0 <= req.ramp_s <= 60.0):
        raise UserError(f"ramp time must be within 0-60 s, got {req.ramp_s}")
    numeric = (ChangeKind.GUIDANCE, ChangeKind.BWS, ChangeKind.SPEED, ChangeKind.TUNNEL_WIDTH,
               ChangeKind.PATH_FLOW)
    if k in numeric and (
        isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
    ):
        raise UserError(f"{k.value} needs a finite number, got {v!r}")
    if k is ChangeKind.GUIDANCE and not 0.0 <= v <= 1.0:
        raise UserError(f"guidance must be within 0-100 %, got {v * 100:.0f} %")
    if k is ChangeKind.BWS:
        check_bws(float(v))
    if k is ChangeKind.SPEED:
        check_speed(float(v))
    if k is ChangeKind.TUNNEL_WIDTH and not 0.0 <= v <= math.radians(MAX_TUNNEL_WIDTH_DEG):
        raise UserError(f"tunnel width must be within 0-{MAX_TUNNEL_WIDTH_DEG:g} deg, got "
                        f"{math.degrees(v):.1f} deg")
    if k is ChangeKind.PATH_FLOW and not 0.0 <= v <= MAX_FLOW_NM:
        raise UserError(f"path flow must be within 0-{MAX_FLOW_NM:g} N*m, got {v:g} N*m")
    if k is ChangeKind.RESISTANCE:
        if not (isinstance(v, tuple) and len(v) == 2
                and not any(isinstance(x, bool) for x in v)):
            raise UserError("resistance needs a (damping N*m*s/rad, torque N*m) pair of numbers")
        check_resistance(v[0], v[1])
    if k is ChangeKind.CONTROLLER:
        check_controller(v)
    if k is ChangeKind.ROM and not isinstance(v, RomSettings):
        raise UserError("range of motion needs RomSettings (scale and offset per joint)")
    if k is ChangeKind.SUPPORT_BOUNDS:
        if not (isinstance(v, tuple) and len(v) == 2):
            raise UserError("support bounds need a (min, max) pair of fractions")
        AanSettings(min_support=float(v[0]), max_support=float(v[1]),
                    initial_support=float(v[0]))
    if k is ChangeKind.SELF_PACED and not isinstance(v, bool):
        raise UserError(f"self-paced needs true or false, got {v!r}")
    return req


class ChangeChannel:
    """Validated, bounded, recorded queue of session changes (submit from any thread)."""

    def __init__(
        self,
        sink: Callable[..., Any] | None = None,
        prepare: Callable[[ChangeRequest], Any] | None = None,
        initial: Mapping[ChangeKind, Any] | None = None,
    ) -> None:
        """``initial``: the values the session starts with (what large changes are compared
        with until something else is set)."""
        self._queue: deque[tuple[ChangeRequest, Any]] = deque()
        #: the same queue, for the loop's per-tick "anything pending?" (a truth test, no call)
        self.queue = self._queue
        self._sink = sink
        self._prepare = prepare
        self.applied: list[tuple[float, ChangeRequest]] = []
        self.initial: dict[ChangeKind, Any] = dict(initial or {})
        #: the set value of each setting: the session's start, then each change asked for
        self.set_values: dict[ChangeKind, Any] = dict(self.initial)

    def large_change(self, req: ChangeRequest) -> str | None:
        """Why ``req`` is a large change from the set value, to be confirmed (None: it is not
        large, or nothing is set to compare with)."""
        k, v = req.kind, req.value
        if k not in self.set_values:
            return None
        was = self.set_values[k]
        if k is ChangeKind.CONTROLLER:
            if v == was:
                return None
            return f"switching the controller from {was} to {v} changes how the robot moves"
        limit = LARGE_STEP.get(k)
        if limit is None:
            return None
        if k is ChangeKind.ROM:
            step = max(abs(v.for_joint(j).scale - was.for_joint(j).scale) for j in ("hip", "knee"))
        else:
            step = abs(float(v) - float(was))
        if step <= limit + 1e-12:
            return None
        return (f"{k.value} from {_shown(k, was)} to {_shown(k, v)} is a large change "
                f"(more than {_shown(k, limit) if k is not ChangeKind.ROM else limit})")

    def drop_pending(self, time_s: float, reason: str) -> int:
        """Drop every change not yet applied (a fault stopped the session); each is recorded
        as ``change_dropped``. Returns how many."""
        n = 0
        while self._queue:
            req, _ = self._queue.popleft()
            n += 1
            self.set_values[req.kind] = self._last_applied(req.kind)
            if self._sink is not None:
                self._sink(time_s, "change_dropped", req.requested_by, change=req.kind.value,
                           value=req.detail_value(), reason=reason)
        return n

    def _last_applied(self, kind: ChangeKind) -> Any:
        for _, req in reversed(self.applied):
            if req.kind is kind:
                return req.value
        return self.initial.get(kind)

    def submit(self, req: ChangeRequest, time_s: float) -> None:
        validate(req)
        if len(self._queue) >= MAX_PENDING:
            raise UserError(
                f"too many pending changes ({MAX_PENDING}); wait for the next stride"
            )
        payload = self._prepare(req) if self._prepare is not None else None
        self._queue.append((req, payload))
        self.set_values[req.kind] = req.value
        if self._sink is not None:
            self._sink(
                time_s,
                "change_requested",
                req.requested_by,
                change=req.kind.value,
                value=req.detail_value(),
                timing=req.timing,
                reason=req.reason,
            )

    def take_due(self, at_stride: bool) -> list[tuple[ChangeRequest, Any]]:
        """Requests due now, each with what ``prepare`` made of it: ramped ones always,
        stride-timed ones only at a stride boundary. No allocation when nothing is queued."""
        if not self._queue:
            return _EMPTY
        due: list[tuple[ChangeRequest, Any]] = []
        keep: list[tuple[ChangeRequest, Any]] = []
        while self._queue:
            item = self._queue.popleft()
            (due if (at_stride or item[0].timing == "ramp") else keep).append(item)
        self._queue.extend(keep)
        return due

    def mark_applied(self, req: ChangeRequest, time_s: float, **details: Any) -> None:
        self.applied.append((time_s, req))
        if self._sink is not None:
            self._sink(
                time_s,
                "change_applied",
                req.requested_by,
                change=req.kind.value,
                value=req.detail_value(),
                reason=req.reason,
                **details,
            )

    @property
    def pending(self) -> int:
        return len(self._queue)


_EMPTY: list[tuple[ChangeRequest, Any]] = []
