"""Logins, sessions, CSRF and rate limiting for the web layer.

Passwords are checked with the clinic's argon2 helpers. A login makes a server-side session
(random id, user, CSRF token, expiry); the browser holds only the id, signed with
itsdangerous, in an HttpOnly, SameSite=Strict, Secure cookie. Every state-changing request
must echo the session's CSRF token in the ``X-CSRF-Token`` header. Failed logins are counted
per client address and per username in a sliding window; past the limit, logins are refused
with 429 until the window has passed (even with the right password).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
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


def csrf_ok(sess: WebSession, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(sess.csrf, token)


class LoginLimiter:
    """At most ``max_failures`` failed logins per key (address, username) per ``window_s``."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] < now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> float:
        """Seconds until a login may be tried again for these keys (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, q[0] + self.window_s - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._fails.pop(key, None)
