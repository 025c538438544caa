"""Stations in worker processes (as `gaitway serve` runs them): frames reach the server, the
safety supervisor's stop, refusal and acknowledgement work across the pipe, the finished
session is imported by the server and its safety entries reach the audit callback."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import TEST_OVERRUN_BOUND_S

from gaitway.errors import UserError
from gaitway.web.live import demo_setups
from gaitway.web.service import LiveService

pytestmark = pytest.mark.timeout(240)


def wait(cond: Callable[[], object], timeout_s: float = 90.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_worker_process_station_end_to_end(tmp_path: Path) -> None:
    svc = LiveService(demo_setups(1, minutes=0.1), recordings_dir=tmp_path, processes=True,
                      overrun_bound_s=TEST_OVERRUN_BOUND_S)
    imported: list[Path] = []
    audit: list[tuple[Any, ...]] = []
    svc.attach_store(lambda d, p: (imported.append(d), "stored-id")[1],
                     lambda *a: audit.append(a))
    st = svc.get("sim-1")
    try:
        st.start("therapist:t")
        wait(lambda: st.state == "warm_up")
        wait(lambda: st.seq > 5)
        seq, text = st.encoded_after(0)
        assert seq == st.seq
        assert text.startswith("[{")
        assert st.frames_after(0)[-1]["q"]
        with pytest.raises(UserError, match="guidance"):
            st.change("guidance", 140, "therapist:t")
        st.emergency_stop("therapist:t")
        wait(lambda: st.status()["safety"]["safe_state"], 20.0)
        assert st.alerts[0]["kind"] == "emergency_stop"
        with pytest.raises(UserError, match="acknowledge the fault first"):
            st.resume("therapist:t")
        assert st.acknowledge("therapist:t")
        wait(lambda: st.status()["safety"]["state"] == "running", 20.0)
        if st.state == "paused":  # the supervisor's own acknowledgement: resume is separate
            st.resume("therapist:t")
        wait(lambda: not st.running)
        st.wait_import()
        assert st.last_result["reason"] == "completed"
        assert st.last_import == {"session_id": "stored-id", "directory": str(imported[0]),
                                  "ok": True}
    finally:
        svc.shutdown()
    assert (imported[0] / "summary.json").exists()
    actions = {(a[0], a[1]) for a in audit}
    assert ("safety", "station.fault") in actions
    assert ("therapist:t", "station.fault_acknowledged") in actions
