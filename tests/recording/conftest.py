"""Shared fixtures: deterministic (simulated) rows for every recorded and truth channel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gaitway.recording import RecordingWriter
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS, ChannelSpec

Rows = tuple[np.ndarray, np.ndarray]


def simulated_rows(n: int, seed: int = 0, t0: float = 0.0) -> Rows:
    """(n, measured) and (n, truth) rows: sines per channel, noise on EMG, time in column 0."""
    rng = np.random.default_rng(seed)
    t = t0 + np.arange(n) * 0.001

    def block(specs: tuple[ChannelSpec, ...]) -> np.ndarray:
        cols = []
        for k, c in enumerate(specs):
            if c.unit in ("bool", "bits"):
                cols.append((np.sin(t * (k + 1)) > 0.5).astype(float))
            elif c.unit == "V":
                cols.append(rng.normal(0.0, 1e-4, n))
            else:
                cols.append((k + 1) * np.sin(2 * np.pi * 0.9 * t + k) + rng.normal(0, 1e-3, n))
        return np.column_stack(cols)

    measured = block(RECORDED_CHANNELS)
    measured[:, 0] = t
    return measured, block(TRUTH_CHANNELS)


@pytest.fixture
def rows() -> Callable[..., Rows]:
    return simulated_rows


@pytest.fixture
def write_recording(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (and optional events) to a fresh recording; returns its session directory."""
    counter = iter(range(1000))

    def write(
        measured: np.ndarray,
        truth: np.ndarray | None = None,
        *,
        events: tuple[tuple[float, str, str, dict[str, object]], ...] = (),
        **kwargs: object,
    ) -> Path:
        folder = tmp_path / f"session{next(counter)}"
        writer = RecordingWriter(
            folder,
            channels=RECORDED_CHANNELS,
            truth_channels=TRUTH_CHANNELS if truth is not None else (),
            metadata={"simulated": True, "patient": {"id": "virtual-1", "mass_kg": 72.5}},
            **kwargs,  # type: ignore[arg-type]
        )
        pending = sorted(events)
        for i in range(measured.shape[0]):
            while pending and pending[0][0] <= measured[i, 0]:
                t, kind, source, details = pending.pop(0)
                writer.event(t, kind, source, **details)
            writer.append(measured[i], None if truth is None else truth[i])
        for t, kind, source, details in pending:
            writer.event(t, kind, source, **details)
        writer.close({"ended_by": "test", "strides": 3})
        return folder

    return write
