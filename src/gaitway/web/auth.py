"""Logins, sessions, CSRF and rate limiting for the web layer.

Passwords are checked with the clinic's argon2 helpers. A login makes a server-side session
(random id, user, CSRF token, expiry); the browser holds only the id, signed with
itsdangerous, in an HttpOnly, SameSite=Strict, Secure cookie. Every state-changing request
must echo the session's CSRF token in the ``X-CSRF-Token`` header. Every request checks the
account again (``AppContext.session``), so disabling or deleting it ends its sessions at once.

Failed logins are throttled per (client address, username) pair with growing delays: a
typing mistake costs nothing and a guesser from one address waits longer and longer, while the
same user from another computer, and other users from the same one, are not locked out.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME: Final[str] = "gaitway_session"
CSRF_HEADER: Final[str] = "X-CSRF-Token"


@dataclass(frozen=True)
class WebUser:
    """Who is logged in, as the web layer needs it (no password hash)."""

    id: int
    username: str
    role: str
    patient_id: int | None
    station_id: int | None


@dataclass
class WebSession:
    user: WebUser
    csrf: str
    expires: float


class SessionStore:
    """Server-side sessions by random id; logout and expiry really end them."""

    def __init__(self, secret_key: str, *, max_age_s: float = 8 * 3600) -> None:
        self._signer = URLSafeTimedSerializer(secret_key, salt="gaitway-session")
        self.max_age_s = max_age_s
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def create(self, user: WebUser) -> tuple[str, WebSession]:
        """A new session for ``user``; returns the signed cookie value and the session."""
        sid = secrets.token_urlsafe(32)
        sess = WebSession(user, secrets.token_urlsafe(32), time.time() + self.max_age_s)
        with self._lock:
            self._sessions[sid] = sess
        return self._signer.dumps(sid), sess

    def _sid(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            sid = self._signer.loads(cookie, max_age=int(self.max_age_s))
        except BadSignature:
            return None
        return sid if isinstance(sid, str) else None

    def get(self, cookie: str | None) -> WebSession | None:
        sid = self._sid(cookie)
        if sid is None:
            return None
        with self._lock:
            sess = self._sessions.get(sid)
            if sess is not None and sess.expires < time.time():
                del self._sessions[sid]
                return None
        return sess

    def end(self, cookie: str | None) -> None:
        sid = self._sid(cookie)
        if sid is not None:
            with self._lock:
                self._sessions.pop(sid, None)

    def end_user(self, user_id: int) -> int:
        """End every session of one account (disabled, deleted); returns how many ended."""
        with self._lock:
            gone = [sid for sid, s in self._sessions.items() if s.user.id == user_id]
            for sid in gone:
                del self._sessions[sid]
        return len(gone)


def csrf_ok(sess: WebSession, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(sess.csrf, token)


@dataclass
class _Failures:
    count: int
    last: float


class LoginLimiter:
    """Growing delays after failed logins, per (client address, username) pair.

    A pair may fail ``free_failures`` times in a row without waiting; after ``n >=
    free_failures`` failures it must wait ``base_delay_s * 2 ** (n - free_failures)`` seconds
    (at most ``max_delay_s``) before its next try. A success clears the pair; a pair is
    forgotten ``forget_s`` after its last failure, and at most ``max_pairs`` are kept (the
    least recent go first), so a flood of made-up names cannot fill the memory.
    """

    def __init__(self, *, free_failures: int = 5, base_delay_s: float = 1.0,
                 max_delay_s: float = 300.0, forget_s: float = 3600.0,
                 max_pairs: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if free_failures < 1 or base_delay_s <= 0 or max_delay_s < base_delay_s:
            raise ValueError("login throttling needs free_failures >= 1 and "
                             "0 < base_delay_s <= max_delay_s")
        self.free_failures = free_failures
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.forget_s = forget_s
        self.max_pairs = max_pairs
        self._clock = clock
        self._fails: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def delay_after(self, failures: int) -> float:
        """Seconds a pair waits after ``failures`` failed logins in a row."""
        if failures < self.free_failures:
            return 0.0
        exponent = min(failures - self.free_failures, 60)  # 2**60 s is past any cap
        return float(min(self.max_delay_s, self.base_delay_s * 2.0 ** exponent))

    @staticmethod
    def _key(address: str, username: str) -> tuple[str, str]:
        return address, username.lower()

    def retry_after(self, address: str, username: str) -> float:
        """Seconds until this pair may try again (0: now)."""
        now = self._clock()
        with self._lock:
            f = self._fails.get(self._key(address, username))
            if f is None:
                return 0.0
            return max(0.0, f.last + self.delay_after(f.count) - now)

    def failed(self, address: str, username: str) -> float:
        """Count a failure; returns the delay the pair now has to wait."""
        now = self._clock()
        key = self._key(address, username)
        with self._lock:
            while self._fails:  # forget old pairs (the least recent come first)
                oldest = next(iter(self._fails.values()))
                if oldest.last >= now - self.forget_s and len(self._fails) < self.max_pairs:
                    break
                self._fails.popitem(last=False)
            f = self._fails.pop(key, None) or _Failures(0, now)
            f.count += 1
            f.last = now
            self._fails[key] = f
            return self.delay_after(f.count)

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._fails.pop(self._key(address, username), None)
