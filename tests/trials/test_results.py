"""Bounded memory: sessions.parquet is streamed one arm-table at a time, and the progress line
counts each session once."""

from __future__ import annotations

import io
import weakref
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gaitway.trials.results import write_sessions
from gaitway.trials.runner import Progress


def test_sessions_are_streamed_one_table_at_a_time(tmp_path: Path) -> None:
    """write_sessions must let each arm's table go before it takes the next: a trial's
    results never sit in memory whole (issue 15: 200 patients within 4 GB)."""
    alive: list[weakref.ref[pa.Table]] = []
    held: list[int] = []

    def tables() -> Iterator[pa.Table]:
        for i in range(50):
            held.append(sum(r() is not None for r in alive))
            t = pa.table({"patient": [f"p{i}"] * 3, "session": [1, 2, 3],
                          "gait_speed_mps": [0.4, 0.41, 0.42]})
            alive.append(weakref.ref(t))
            yield t
            del t

    out = tmp_path / "sessions.parquet"
    assert write_sessions(tables(), out) == 150
    assert max(held) <= 1  # at most the table being written
    back = pq.read_table(out)
    assert back.num_rows == 150
    assert back.schema.metadata[b"gaitway"].startswith(b"SIMULATED")


def test_progress_counts_each_session_once() -> None:
    stream = io.StringIO()
    bar = Progress(total=12, done=3, stream=stream, per_course=3)  # one course done before
    bar.session("a", 1)
    bar.session("a", 2)
    bar.session("b", 1)
    assert bar.done == 6
    bar.session("a", 1)  # the course rerun elsewhere after its worker died: not again
    bar.session("a", 2)
    assert bar.done == 6
    bar.course("a")  # finished: all of its sessions
    bar.course("b")
    assert bar.done == 9
    assert "sessions 9/12" in stream.getvalue().split("\r")[-1]
