"""Repeated warnings folded into one entry: first time, last time and count.

A soft limit met on every stride (a drive torque clipped, a warm winding) or a simulated
station that keeps falling behind a busy computer's clock would otherwise add an entry every
second or two and bury what matters (49 ``drive_torque`` entries in a few minutes). One rule,
:class:`EventFolder`, serves the three places that show events: the console's event log
(:class:`FoldedLog`), the recording's events (:class:`gaitway.recording.RecordingWriter`) and
the session summary (the safety supervisor's warning records); fed the same events, they
show the same entries.

The rule: an event folds when its kind is one of :data:`FOLDED_KINDS`; events of one kind
with the same ``fault`` and ``joint`` details are one run while each comes within
``quiet_s`` of the run's latest one; a longer gap starts a new run, and so does one of the
:data:`BARRIER_KINDS` (a new session, whose time starts again; an injected fault, so that
the warning it causes is seen, and timed, on its own). A run counts every event in it and
keeps the first and the last time and the latest details.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

#: the event a paced simulated station records each time it falls behind wall time
SIMULATED_TIME_BEHIND: Final[str] = "simulated_time_behind"
#: a soft limit met (the command was limited): the safety supervisor's warning
SAFETY_WARNING: Final[str] = "safety_warning"
#: the events that are folded (every other event stays one entry per occurrence)
FOLDED_KINDS: Final[frozenset[str]] = frozenset({SAFETY_WARNING, SIMULATED_TIME_BEHIND})
#: events that end every run: a new session, a deliberately injected fault
BARRIER_KINDS: Final[frozenset[str]] = frozenset({"session_started", "fault_injected"})
#: a repeat this long (s of session time) after the latest one of its run starts a new run
QUIET_S: Final[float] = 60.0


@dataclass(frozen=True, slots=True)
class FoldKey:
    """What makes two events repeats of each other: same kind, same fault, same joint."""

    kind: str
    fault: str | None
    joint: str | None


def fold_key(kind: str, details: Mapping[str, Any]) -> FoldKey | None:
    """The run an event belongs to, or None when events of its kind are never folded."""
    if kind not in FOLDED_KINDS:
        return None
    fault, joint = details.get("fault"), details.get("joint")
    return FoldKey(kind, None if fault is None else str(fault),
                   None if joint is None else str(joint))


@dataclass(slots=True)
class Fold:
    """One run of repeated events."""

    key: FoldKey
    source: str
    first_s: float
    last_s: float
    count: int
    #: the details of the latest event of the run
    details: dict[str, Any]

    def event_details(self) -> dict[str, Any]:
        """The run as one event's details: the latest details plus count, first and last."""
        return {**self.details, "count": self.count, "first_s": round(self.first_s, 4),
                "last_s": round(self.last_s, 4)}


class EventFolder:
    """Folds a stream of events into runs (see the module's docstring for the rule).

    :meth:`offer` takes every event; ``runs`` holds every run so far in the order they
    started. A writer that can only append takes the runs that ended with
    :meth:`take_closed` (after :meth:`close_quiet` or :meth:`close_all`).
    """

    def __init__(self, quiet_s: float = QUIET_S, *, keep: bool = True) -> None:
        """``keep``: keep every run (``runs``, for a summary) and the ended ones (for
        :meth:`take_closed`); a log that only shows the open ones keeps neither."""
        if not quiet_s > 0.0:
            raise ValueError(f"quiet_s must be > 0, got {quiet_s}")
        self.quiet_s = quiet_s
        self.keep = keep
        self.runs: list[Fold] = []
        self._open: dict[FoldKey, Fold] = {}
        self._closed: list[Fold] = []

    def offer(self, time_s: float, kind: str, source: str,
              details: Mapping[str, Any]) -> Fold | None:
        """Fold one event: its run (``count == 1``: it started one), or None when the event
        is not folded (a barrier ends every run)."""
        key = fold_key(kind, details)
        if key is None:
            if kind in BARRIER_KINDS:
                self.close_all()
            return None
        run = self._open.get(key)
        if run is not None and abs(time_s - run.last_s) <= self.quiet_s:
            run.count += 1
            run.first_s = min(run.first_s, time_s)
            run.last_s = max(run.last_s, time_s)
            run.details = dict(details)
            return run
        if run is not None and self.keep:
            self._closed.append(run)
        run = Fold(key, source, time_s, time_s, 1, dict(details))
        self._open[key] = run
        if self.keep:
            self.runs.append(run)
        return run

    def close_quiet(self, now_s: float) -> None:
        """End the runs that have had no repeat for longer than ``quiet_s`` before ``now_s``."""
        for key, run in list(self._open.items()):
            if now_s - run.last_s > self.quiet_s:
                del self._open[key]
                if self.keep:
                    self._closed.append(run)

    def close_all(self) -> None:
        """End every open run (the session ended)."""
        if self.keep:
            self._closed.extend(self._open.values())
        self._open.clear()

    def take_closed(self) -> list[Fold]:
        """The runs ended since the last call, in the order they ended."""
        out, self._closed = self._closed, []
        return out

    @property
    def open_runs(self) -> list[Fold]:
        return list(self._open.values())

    @property
    def total(self) -> int:
        """Events folded so far (every one counted once)."""
        return sum(r.count for r in self.runs)


class FoldedLog:
    """A bounded event log (the console's) in which each run of repeated events is one entry:
    updated in place, and moved to the end, when it repeats.

    Entries are the log's dicts (``t``, ``kind``, ``source``, ``details``, anything else); a
    folded entry's ``t`` is its latest time and its details carry ``count``, ``first_s`` and
    ``last_s``. ``entries`` may be a deque the caller already shares with its readers;
    events that fold, and barriers, must come from one thread (the session loop's), others
    may come from any.
    """

    def __init__(self, entries: deque[dict[str, Any]], quiet_s: float = QUIET_S) -> None:
        self.entries = entries
        self._folder = EventFolder(quiet_s, keep=False)
        self._shown: dict[FoldKey, tuple[Fold, dict[str, Any]]] = {}  # latest run per key

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Log one event; returns the entry that shows it (a folded one may be older)."""
        run = self._folder.offer(float(entry["t"]), str(entry["kind"]), str(entry["source"]),
                                 entry["details"])
        if run is None:
            self.entries.append(entry)
            return entry
        held = self._shown.get(run.key)
        if held is not None and held[0] is run:  # a repeat: its run's entry moves up
            # (pushed out of the bounded log meanwhile: it is shown again at the end)
            with contextlib.suppress(ValueError):
                self.entries.remove(held[1])
            entry = held[1] | {k: v for k, v in entry.items() if k != "details"}
        entry["details"] = run.event_details()
        self._shown[run.key] = (run, entry)
        self.entries.append(entry)
        return entry
