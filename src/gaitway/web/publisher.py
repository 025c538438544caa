"""Publish a station's live frames to a console server running elsewhere.

The other end of ``POST /api/remote/{station_id}/frames``: a station on its own computer runs
its paced session there (safety supervisor and recording local, as in the console), and this
publisher sends the frames its live bus makes (:class:`~gaitway.web.live.LiveStation`, 50 per
second) to the server, where the console shows them read-only.

The loop thread only hands each frame to a bounded queue (a short lock, no I/O): when the
network or the server is slow the oldest frames are dropped and counted, never a tick late.
A background thread posts the queued frames in batches with the station's bearer token. A
server that is down or answers an error costs failed posts (counted, retried with backoff);
the session goes on. A refused token (401) is said once, in one line, and posting stops: it
will not fix itself. Standard library only (``urllib``): the station needs no HTTP package.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from gaitway.errors import UserError
from gaitway.web.host import StationHost

#: the fields of a console frame that the server's ``RemoteFrame`` takes (its other fields,
#: such as seq and wall time, the server stamps itself)
FRAME_FIELDS: Final[tuple[str, ...]] = (
    "t", "q", "ref", "grf", "state", "elapsed_s", "steps", "guidance_pct", "bws_pct", "speed_kmh",
    "controller", "rom_scale", "active_participation_pct", "symmetry_pct", "weight_bearing_pct",
)
#: queued frames at most (10 s at 50 Hz); the oldest go first when it is full
QUEUE_FRAMES: Final[int] = 500
#: frames per post at most (the server takes up to 500)
BATCH_FRAMES: Final[int] = 100
#: how often the sender posts what has queued (s): about 10 posts a second
POST_EVERY_S: Final[float] = 0.1
#: one post's timeout (s)
TIMEOUT_S: Final[float] = 3.0
#: waits between failed posts double from the first to the last (s)
BACKOFF_FIRST_S: Final[float] = 0.5
BACKOFF_MAX_S: Final[float] = 8.0
#: at the end, queued frames are sent for at most this long (s)
FLUSH_S: Final[float] = 2.0
_STATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class _RefusedError(Exception):
    """The server will not take this station's frames (wrong token, no such API)."""


class _RejectedError(Exception):
    """The server refused this batch (bad data): retrying it would fail again."""


@dataclass
class PublishStats:
    """What the publisher did, for the session's summary."""

    published: int = 0  #: frames handed to the publisher by the loop
    sent: int = 0  #: frames the server accepted
    dropped: int = 0  #: frames dropped because the queue was full (oldest first)
    unsent: int = 0  #: frames still queued when the publisher closed, or after a refusal
    rejected: int = 0  #: frames in batches the server refused as bad data
    posts: int = 0  #: posts that the server accepted
    failed_posts: int = 0  #: posts that failed (server down, timeout, error answer)
    error: str = ""  #: why posting stopped (a refused token), else ""

    def line(self) -> str:
        text = (f"frames: {self.published} published, {self.sent} sent, {self.dropped} dropped "
                f"(queue full), {self.unsent} not sent at the end; {self.posts} posts, "
                f"{self.failed_posts} failed posts")
        if self.rejected:
            text += f"; {self.rejected} frames rejected by the server"
        return text


def check_server_url(server: str) -> str:
    """The console server's base URL (http or https, host and port), without a trailing /."""
    parts = urllib.parse.urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"--server must be the console's address, e.g. http://clinic:8000, "
                        f"got {server!r}")
    try:
        _ = parts.port  # raises on a bad port
    except ValueError:
        raise UserError(f"--server has a bad port: {server!r}") from None
    if parts.query or parts.fragment:
        raise UserError(f"--server takes no query or fragment: {server!r}")
    return server.strip().rstrip("/")


def check_station_id(station_id: str) -> str:
    """A station id as the server's URL path takes it (letters, digits, . _ -, <= 64)."""
    if not _STATION_ID.fullmatch(station_id):
        raise UserError("--station-id must be 1-64 letters, digits, '.', '_' or '-' "
                        f"(starting with a letter or digit), got {station_id!r}")
    return station_id


class FramePublisher:
    """Sends one station's live frames to a console server from a background thread.

    ``offer`` (the loop thread) never waits on the network; ``start`` and ``close`` run the
    sender. ``log`` gets the few lines worth telling the person at the station (the server
    went away, came back, refused the token); it is called from the sender thread.
    """

    def __init__(self, server: str, station_id: str, token: str, *, simulated: bool,
                 patient: str = "(remote)", queue_frames: int = QUEUE_FRAMES,
                 batch_frames: int = BATCH_FRAMES, post_every_s: float = POST_EVERY_S,
                 timeout_s: float = TIMEOUT_S, backoff_max_s: float = BACKOFF_MAX_S,
                 log: Callable[[str], None] = _stderr) -> None:
        if not token:
            raise UserError("no station token: set GAITWAY_STATION_TOKEN to this station's "
                            "token (the server lists it in GAITWAY_WEB_STATION_TOKENS)")
        if not 1 <= batch_frames <= 500 or queue_frames < 1:
            raise UserError("batches take 1-500 frames and the queue at least 1")
        self.server = check_server_url(server)
        self.station_id = check_station_id(station_id)
        self.url = f"{self.server}/api/remote/{urllib.parse.quote(station_id)}/frames"
        self.simulated = simulated
        self.patient = patient
        self.batch_frames = batch_frames
        self.post_every_s = post_every_s
        self.timeout_s = timeout_s
        self.backoff_max_s = backoff_max_s
        self.log = log
        self.stats = PublishStats()
        self._token = token
        self._queue: deque[dict[str, Any]] = deque()
        self._queue_frames = queue_frames
        self._lock = threading.Lock()
        self._open = True  # False after a refusal: frames are then counted as unsent
        self._closing = threading.Event()
        self._flush_until = 0.0
        self._thread: threading.Thread | None = None

    # -- the loop thread ------------------------------------------------------------------------
    def offer(self, frame: dict[str, Any]) -> None:
        """Queue one frame; when the queue is full the oldest frame is dropped and counted."""
        with self._lock:
            self.stats.published += 1
            if not self._open:
                self.stats.unsent += 1
                return
            if len(self._queue) >= self._queue_frames:
                self._queue.popleft()
                self.stats.dropped += 1
            self._queue.append(frame)

    def attach(self, station: StationHost) -> None:
        """Publish every frame ``station`` puts on its live bus (a listener on its loop thread,
        called right after the frame was added)."""
        frames = station.frames

        def on_frame() -> None:
            self.offer(frames[-1])

        station.add_listener(on_frame)

    # -- the sender -----------------------------------------------------------------------------
    def check(self) -> str:
        """Post an empty batch before the session starts: raises :class:`UserError` when the
        server refuses the station (wrong token); returns why it could not be reached ("" if
        it answered), in which case the session starts anyway and posting keeps trying."""
        try:
            self._post([])
        except _RefusedError as exc:
            raise UserError(str(exc)) from None
        except (_RejectedError, OSError, ValueError) as exc:
            return str(exc)
        return ""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"publish-{self.station_id}")
        self._thread.start()

    def close(self, flush_s: float = FLUSH_S) -> PublishStats:
        """Send what is queued (for at most ``flush_s``, and not past a failed post), stop the
        sender and return the counts."""
        self._flush_until = time.monotonic() + flush_s
        self._closing.set()
        if self._thread is not None:
            self._thread.join(flush_s + self.timeout_s + 1.0)
            self._thread = None
        with self._lock:
            self.stats.unsent += len(self._queue)
            self._queue.clear()
            self._open = False
        return self.stats

    def _take(self) -> list[dict[str, Any]]:
        with self._lock:
            n = min(len(self._queue), self.batch_frames)
            return [self._queue.popleft() for _ in range(n)]

    def _put_back(self, batch: list[dict[str, Any]]) -> None:
        """A batch whose post failed goes back ahead of newer frames, within the bound."""
        with self._lock:
            items = batch + list(self._queue)
            over = len(items) - self._queue_frames
            if over > 0:
                items = items[over:]
                self.stats.dropped += over
            self._queue.clear()
            self._queue.extend(items)

    def _run(self) -> None:
        backoff = BACKOFF_FIRST_S
        failing = False
        while True:
            closing = self._closing.is_set()
            if closing and time.monotonic() >= self._flush_until:
                return
            batch = self._take()
            if not batch:
                if closing:
                    return
                self._closing.wait(self.post_every_s)
                continue
            try:
                self._post(batch)
            except _RefusedError as exc:
                with self._lock:
                    self._open = False
                    self.stats.unsent += len(batch) + len(self._queue)
                    self._queue.clear()
                    self.stats.error = str(exc)
                self.log(f"gaitway: error: {exc}; the session goes on without the console")
                return
            except _RejectedError as exc:
                self.stats.failed_posts += 1
                self.stats.rejected += len(batch)
                self.log(f"gaitway: warning: {exc}")
                continue
            except (OSError, ValueError) as exc:  # down, unreachable, timeout, 5xx
                self.stats.failed_posts += 1
                self._put_back(batch)
                if closing:
                    return  # no retries at the end: the session is over
                if not failing:
                    self.log(f"gaitway: warning: cannot post frames to {self.server} ({exc}); "
                             "retrying, the session goes on")
                failing = True
                self._closing.wait(backoff)
                backoff = min(backoff * 2.0, self.backoff_max_s)
                continue
            self.stats.posts += 1
            self.stats.sent += len(batch)
            backoff = BACKOFF_FIRST_S
            if failing:
                failing = False
                self.log(f"gaitway: posting frames to {self.server} again")
            if not closing and len(self._queue) < self.batch_frames:
                self._closing.wait(self.post_every_s)

    def _post(self, frames: list[dict[str, Any]]) -> None:
        """One POST of ``frames`` (only the fields the server takes)."""
        try:
            body = json.dumps({
                "simulated": self.simulated, "patient": self.patient,
                "frames": [{k: f[k] for k in FRAME_FIELDS if k in f} for f in frames],
            }, separators=(",", ":"), allow_nan=False).encode()
        except ValueError as exc:  # a NaN or infinity: JSON cannot carry it
            raise _RejectedError(
                f"a batch of {len(frames)} frames could not be sent ({exc})") from None
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self._token}"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            detail = _detail(exc)
            if exc.code in (401, 403):
                raise _RefusedError(
                    f"the server at {self.server} refused station {self.station_id!r} "
                    f"({exc.code}: {detail}): check GAITWAY_STATION_TOKEN here and the "
                    "server's GAITWAY_WEB_STATION_TOKENS") from None
            if exc.code == 404:
                raise _RefusedError(f"{self.url} does not exist (404): is {self.server} a Gaitway "
                               "console server?") from None
            if exc.code in (400, 413, 422):
                raise _RejectedError(f"the server refused a batch of {len(frames)} frames "
                                f"({exc.code}: {detail})") from None
            raise OSError(f"HTTP {exc.code}: {detail}") from None
        except urllib.error.URLError as exc:
            raise OSError(str(exc.reason)) from None
        except http.client.HTTPException as exc:  # a garbled answer: try again later
            raise OSError(f"bad answer: {exc!r}") from None


def _detail(exc: urllib.error.HTTPError) -> str:
    """The server's ``detail`` (FastAPI errors), shortened, else the reason phrase."""
    try:
        text = exc.read(2000).decode("utf-8", "replace")
        detail = json.loads(text).get("detail", text)
    except (OSError, ValueError, AttributeError):
        detail = exc.reason
    return str(detail)[:200]
