"""What became of a session, from what its files say: complete, interrupted or failed.

A session is ``complete`` only when it ran its plan to the end: the runner (summary.json, or
the same summary in the recording's footer) says it ended by "completed" and it lasted its
planned minutes. A crash, kill or power loss (no footer), a safety stop, a stop by a person
(therapist, patient, emergency stop), a server shut down, or a plan cut short is
``interrupted``; a session whose software failed is ``failed``. Progress compares complete
sessions with each other, so a session must never look complete when it was not.

A later, better copy of a session (more recorded time, a footer or a summary the earlier copy
lacked) replaces the stored one: :func:`is_better_copy` decides.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

COMPLETE: Final = "complete"
INTERRUPTED: Final = "interrupted"
FAILED: Final = "failed"
STATUSES: Final[tuple[str, ...]] = (COMPLETE, INTERRUPTED, FAILED)
#: what the runner and the console write when a session ran its plan to the end
RAN_ITS_COURSE: Final = "completed"
CUT_OFF: Final = "cut off"
_FAILED_PREFIXES: Final[tuple[str, ...]] = ("session failed", "error")
#: a session shorter than its plan by more than this (s, or this fraction) was cut short
_PLAN_SLACK_S: Final = 1.0
_PLAN_SLACK_FRACTION: Final = 0.01


@dataclass(frozen=True)
class Outcome:
    status: str
    ended_by: str
    notes: tuple[str, ...] = ()


def ended_by_fault(summary: Mapping[str, Any]) -> bool:
    """True when the session runner says a fault ended the session."""
    safety = summary.get("safety")
    if isinstance(safety, Mapping) and safety.get("ended_by_fault") is True:
        return True
    return str(summary.get("ended_by") or "").lower().startswith("fault")


def planned_seconds(settings: Mapping[str, Any]) -> float | None:
    minutes = settings.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        return None
    return float(minutes) * 60.0 if math.isfinite(minutes) and minutes > 0 else None


def session_outcome(summary: Mapping[str, Any], final: Mapping[str, Any] | None, *,
                    planned_s: float | None, duration_s: float) -> Outcome:
    """The status of a session from its summary, its recording's footer (None: no footer, the
    writer never closed) and its planned and recorded length."""
    ended = str(summary.get("ended_by") or (final or {}).get("ended_by") or "").strip()
    if final is None:
        return Outcome(INTERRUPTED, f"{CUT_OFF}: the recording has no footer (crash, kill or "
                       "power loss)" + (f"; last said: {ended}" if ended else ""))
    low = ended.lower()
    if any(low.startswith(p) for p in _FAILED_PREFIXES):
        return Outcome(FAILED, ended)
    if ended_by_fault(summary):
        return Outcome(INTERRUPTED, ended,
                       (f"stopped by the safety supervisor: {ended}",))
    if not ended:
        return Outcome(INTERRUPTED, "unknown: neither summary nor footer says how it ended")
    if low != RAN_ITS_COURSE:
        return Outcome(INTERRUPTED, ended, (f"ended before its plan: {ended}",))
    if planned_s is not None and duration_s < planned_s - max(
            _PLAN_SLACK_S, _PLAN_SLACK_FRACTION * planned_s):
        return Outcome(INTERRUPTED, f"cut short: {duration_s:.1f} of {planned_s:.1f} s",
                       (f"ran {duration_s:.1f} s of a {planned_s:.1f} s plan",))
    return Outcome(COMPLETE, ended)


def is_better_copy(*, old_duration_s: float, old_ended_by: str | None, old_has_summary: bool,
                   new_duration_s: float, new_has_footer: bool, new_has_summary: bool) -> bool:
    """True when a newly read copy of a stored session holds more than the stored one (more
    recorded time, or a footer or summary the stored one lacked) and nothing less."""
    if new_duration_s < old_duration_s - 1e-3:
        return False
    old_cut = (old_ended_by or "").startswith(CUT_OFF)
    return (new_duration_s > old_duration_s + 1e-3
            or (old_cut and new_has_footer)
            or (new_has_summary and not old_has_summary))
