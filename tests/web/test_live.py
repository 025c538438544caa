"""The live station service: sessions run, frames flow, controls take effect."""

from __future__ import annotations

import time

import pytest

from gaitway.errors import UserError
from gaitway.web.live import LiveService, demo_setups, effort_pct


def _wait(cond, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_effort_scale() -> None:
    assert effort_pct(0.0) == 50.0
    assert effort_pct(10.0) == 100.0
    assert effort_pct(-30.0) == 0.0
    assert effort_pct(None) is None


def test_a_session_streams_frames_and_obeys_changes_and_stop() -> None:
    svc = LiveService(demo_setups(1, minutes=2.0))
    st = svc.get("sim-1")
    try:
        with pytest.raises(UserError, match="no running session"):
            st.change("guidance", 50, "therapist:t")
        st.start("therapist:t")
        _wait(lambda: st.seq > 10)
        f = st.frames_after(0)[-1]
        assert len(f["q"]) == 4
        assert len(f["ref"]) == 4
        assert st.frames_after(st.seq) == []
        _wait(lambda: st.state == "warm_up")
        st.change("guidance", 40, "therapist:t")
        _wait(lambda: any(e["kind"] == "change_applied" for e in st.events))
        with pytest.raises(UserError, match="guidance"):
            st.change("guidance", 140, "therapist:t")
        st.stop("therapist:t")
        _wait(lambda: not st.running)
        assert st.state == "finished"
        assert st.last_result["stopped"] is True
    finally:
        svc.shutdown()


def test_emergency_stop_ends_the_session_and_blocks_restart_until_acknowledged() -> None:
    svc = LiveService(demo_setups(1, minutes=2.0))
    st = svc.get("sim-1")
    try:
        st.start("therapist:t")
        _wait(lambda: st.seq > 5)
        st.emergency_stop("therapist:t")
        _wait(lambda: not st.running)
        assert st.last_result["reason"] == "emergency stop pressed"
        with pytest.raises(UserError, match="acknowledge"):
            st.start("therapist:t")
        assert st.acknowledge("therapist:t")
        st.start("therapist:t")
        assert st.running
    finally:
        svc.shutdown()
