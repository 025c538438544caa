"""Serve a console app with uvicorn in a background thread (browser tests, benchmarks) and
find the Chromium that drives it."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import uvicorn
from fastapi import FastAPI

from gaitway.web.heap import frozen_heap

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """Chromium's path, or None when it is not installed (tests then skip, or FAIL in CI)."""
    path = os.environ.get("GAITWAY_CHROMIUM", "/usr/bin/chromium")
    return path if os.path.exists(path) else shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: how ``gaitway serve`` and the tests run the app. uvicorn's own forwarded-header handling is
#: off (by default it believes X-Forwarded-For from loopback): the app trusts those headers
#: only from the proxies its settings name (``forwarded_allow_ips``)
UVICORN_OPTIONS: Final[dict[str, Any]] = {"log_level": "warning", "proxy_headers": False}


def uvicorn_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration of ``serve``."""
    return uvicorn.Config(app, host=host, port=port, **UVICORN_OPTIONS,
                          ws="websockets-sansio" if _has_sansio() else "auto")


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL. What this process holds
    before (in a test worker, what earlier tests left) is kept out of the garbage
    collector's walks while it serves (:func:`gaitway.web.heap.frozen_heap`), as
    ``gaitway serve`` keeps its own startup objects."""
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port))
    with frozen_heap():
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        end = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > end or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)


def _has_sansio() -> bool:
    try:
        from uvicorn.protocols.websockets import websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True


def launch_browser(pw: Any) -> Any:
    path = chromium_path()
    assert path is not None
    return pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
