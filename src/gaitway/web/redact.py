"""What a station answer may say to whom: nothing about the server's file system, and no
therapist usernames for patients.

Stations keep their recording directory and errors with paths for the server's log and the
CLI; the API says only whether a session is being recorded and where it went in the clinic
store (the session id), and replaces anything that looks like a path in a message.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final

#: a POSIX path of two or more parts, or a Windows drive path, inside a message
_PATH: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w.:/~-])(?:~?/[^/\s'\"(),;:]+){2,}/?|\b[A-Za-z]:\\[^\s'\"]+")
HIDDEN: Final[str] = "[server path]"
#: who did something, as the station logs it ("therapist:anna"): a patient sees only the role
_STAFF_NAME: Final[re.Pattern[str]] = re.compile(r"\b(therapist|admin|web):[A-Za-z0-9_.@-]+")


def scrub(text: str) -> str:
    """``text`` with every file-system path replaced by ``[server path]``."""
    return _PATH.sub(HIDDEN, text)


def scrub_all(value: Any, *, names: bool = False) -> Any:
    """A JSON-like value with ``scrub`` applied to every string in it (keys too); with
    ``names``, staff usernames ("therapist:anna") become their role ("therapist")."""
    if isinstance(value, str):
        text = scrub(value)
        return _STAFF_NAME.sub(r"\1", text) if names else text
    if isinstance(value, dict):
        return {scrub_all(str(k), names=names): scrub_all(v, names=names)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_all(v, names=names) for v in value]
    return value


def public_station(status: dict[str, Any], *, role: str) -> dict[str, Any]:
    """A station's status or details as the API answers them to a user of ``role``."""
    out = dict(status)
    out["recording"] = bool(status.get("recording"))
    last = status.get("last_import") or {}
    out["last_import"] = {k: last[k] for k in ("session_id", "ok", "error") if k in last}
    if role == "patient":
        out.pop("therapists", None)
    return dict(scrub_all(out, names=role == "patient"))


class RepeatFilter:
    """Lets the first of a run of equal events through, then at most one per ``window_s``
    with how many were held back, so a page that polls what it may not see leaves one audit
    entry a minute, not one a second. Bounded: the least recent keys are forgotten first."""

    def __init__(self, *, window_s: float, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._seen: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, key: Hashable) -> int | None:
        """None: hold this one back; otherwise how many equal ones were held back before."""
        now = self._clock()
        with self._lock:
            last = self._seen.pop(key, None)
            if last is not None and now - last[0] < self.window_s:
                self._seen[key] = (last[0], last[1] + 1)
                return None
            self._seen[key] = (now, 0)
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            return last[1] if last is not None else 0
