"""Web settings: one pydantic-settings object read from ``GAITWAY_WEB_*`` variables."""

from __future__ import annotations

import secrets

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """How the server signs sessions and sets cookies.

    ``GAITWAY_WEB_SECRET_KEY`` signs session cookies; without it a random key is made at
    start (sessions then end when the server restarts). ``GAITWAY_WEB_COOKIE_SECURE`` keeps
    the Secure flag on the session cookie (default on; ``gaitway serve`` turns it off only
    when it listens on a loopback address over plain HTTP).
    """

    model_config = SettingsConfigDict(env_prefix="GAITWAY_WEB_", extra="ignore")

    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(48))
    cookie_secure: bool = True
    session_hours: float = 8.0
    #: failed logins in a row per (address, username) pair without a wait; after n >= free
    #: failures the pair waits base * 2**(n - free) seconds, at most max, before its next try
    login_free_failures: int = Field(default=5, ge=1, le=100)
    login_delay_base_s: float = Field(default=1.0, gt=0.0, le=60.0)
    login_delay_max_s: float = Field(default=300.0, gt=0.0, le=86400.0)
    #: proxies trusted to set X-Forwarded-For/-Proto (comma-separated addresses or networks,
    #: e.g. "127.0.0.1" behind a local reverse proxy); empty (default): the headers are ignored
    #: and the client's own address counts
    forwarded_allow_ips: str = ""
    demo: bool = False
    #: stations in other processes push frames with a bearer token: {"station-id": "token"}
    #: (``GAITWAY_WEB_STATION_TOKENS='{"lab-1": "..."}'``)
    station_tokens: dict[str, str] = Field(default_factory=dict)
    #: the safety supervisor's loop-overrun bound (ms between two ticks, 3 in a row); unset:
    #: the device's 5 ms. Judged on wall time for stations with real time; the simulated
    #: stations' overruns are judged on their simulated loop clock, so a busy computer makes
    #: them fall behind wall time (shown on the console) and never stops them.
    overrun_bound_ms: float | None = Field(default=None, gt=0.0, le=1000.0)
