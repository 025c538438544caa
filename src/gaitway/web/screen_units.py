"""The changes a console may send during a session, in the units its screen shows, and how
each becomes the value the control stack's change channel takes.

One table: the API's accepted kinds, its error messages and the in-process, worker and
remote stations all ask it, so a kind the console offers is a kind every station applies.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from gaitway.control.changes import ChangeKind
from gaitway.errors import UserError
from gaitway.gait.reference import JointRom, RomSettings


def _number(kind: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise UserError(f"{kind} needs a number, got {v!r}")
    return float(v)


def _pair(kind: str, form: str, v: Any) -> tuple[float, float]:
    if not (isinstance(v, list | tuple) and len(v) == 2):
        raise UserError(f"{kind} needs {form}, got {v!r}")
    return _number(kind, v[0]), _number(kind, v[1])


@dataclass(frozen=True, slots=True)
class ScreenChange:
    """A change as the console sends it: the channel's kind, the value's screen form (said in
    errors and in the API's description) and its conversion to the channel's units."""

    kind: ChangeKind
    form: str
    convert: Callable[[str, str, Any], Any]

    def to_channel(self, name: str, value: Any) -> Any:
        """The channel's value (UserError naming the screen form if the value has another)."""
        return self.convert(name, self.form, value)


def _percent(kind: str, form: str, v: Any) -> float:
    return _number(kind, v) / 100.0


def _kmh(kind: str, form: str, v: Any) -> float:
    return _number(kind, v) / 3.6


def _deg(kind: str, form: str, v: Any) -> float:
    return math.radians(_number(kind, v))


def _as_is(kind: str, form: str, v: Any) -> float:
    return _number(kind, v)


def _controller(kind: str, form: str, v: Any) -> str:
    if not isinstance(v, str):
        raise UserError(f"controller needs {form}, got {v!r}")
    return v


def _rom(kind: str, form: str, v: Any) -> RomSettings:
    hip, knee = _pair(kind, form, v)
    return RomSettings(hip=JointRom(scale=hip), knee=JointRom(scale=knee))


def _bounds(kind: str, form: str, v: Any) -> tuple[float, float]:
    lo, hi = _pair(kind, form, v)
    return lo / 100.0, hi / 100.0


def _resistance(kind: str, form: str, v: Any) -> tuple[float, float]:
    return _pair(kind, form, v)


SCREEN_CHANGES: Final[dict[str, ScreenChange]] = {
    "guidance": ScreenChange(ChangeKind.GUIDANCE, "a percentage 0-100", _percent),
    "bws": ScreenChange(ChangeKind.BWS, "a percentage of body weight", _percent),
    "speed": ScreenChange(ChangeKind.SPEED, "a speed in km/h", _kmh),
    "controller": ScreenChange(ChangeKind.CONTROLLER, "a controller's name", _controller),
    "rom": ScreenChange(ChangeKind.ROM, "[hip scale, knee scale]", _rom),
    "tunnel_width": ScreenChange(ChangeKind.TUNNEL_WIDTH, "a half-width in degrees", _deg),
    "path_flow": ScreenChange(ChangeKind.PATH_FLOW, "a torque in N*m", _as_is),
    "support_bounds": ScreenChange(ChangeKind.SUPPORT_BOUNDS,
                                   "[least support %, most support %]", _bounds),
    "resistance": ScreenChange(ChangeKind.RESISTANCE,
                               "[damping N*m*s/rad, torque N*m]", _resistance),
}
CHANGE_KINDS: Final[tuple[str, ...]] = tuple(SCREEN_CHANGES)


def screen_change(kind: object) -> tuple[str, ScreenChange]:
    """The console change called ``kind``; UserError listing the kinds if there is none."""
    if not isinstance(kind, str) or kind not in SCREEN_CHANGES:
        raise UserError(f"a change's kind must be one of {', '.join(CHANGE_KINDS)}, "
                        f"got {kind!r}")
    return kind, SCREEN_CHANGES[kind]


def to_channel(kind: object, value: Any) -> tuple[ChangeKind, Any]:
    """The channel's kind and value of a console change (UserError saying what to send)."""
    name, change = screen_change(kind)
    return change.kind, change.to_channel(name, value)


__all__ = ["CHANGE_KINDS", "SCREEN_CHANGES", "ScreenChange", "screen_change", "to_channel"]
