"""Whether a WebSocket comes from the console's own origin: scheme, host and port.

Browsers send ``Origin`` with every WebSocket; a page from another origin (another site, or
the same host on another port or scheme) must not open a stream with the user's cookie.
The server's own origin is the stream's URL (ws -> http, wss -> https) with the Host header;
behind a TLS proxy named in ``forwarded_allow_ips`` the URL's scheme is already the proxy's
(X-Forwarded-Proto, applied by the app's proxy-headers middleware).
A client that sends no Origin (not a browser) carries no other site's page, so it passes.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

DEFAULT_PORTS: Final[dict[str, int]] = {"http": 80, "https": 443}
_WS_TO_HTTP: Final[dict[str, str]] = {"ws": "http", "wss": "https",
                                      "http": "http", "https": "https"}


def _triple(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return None
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


def same_origin(conn: HTTPConnection) -> bool:
    """True when the connection's Origin names this server (or there is none)."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    host = conn.headers.get("host")
    scheme = _WS_TO_HTTP.get(conn.url.scheme.lower())
    if host is None or scheme is None:
        return False
    o = urlsplit(origin)
    if o.path not in ("", "/") or o.query or o.fragment or o.username or o.password:
        return False
    given = _triple(o.scheme, o.netloc)
    return given is not None and given == _triple(scheme, host)
