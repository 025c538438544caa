"""Scoring the control stack's estimators against a simulation's ground truth.

Validation is code: the phase estimator's error on any simulated recording is one call, and
the figures in reports come from here. Truth phase comes from the twin's true foot contact
(0 at each real touch-down, linear to the next), so the estimate is judged on what a
therapist means by gait phase, not on the virtual patient's internal clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gaitway.control.phase import phase_from_contacts, phase_rms_error
from gaitway.errors import UserError
from gaitway.recording import open_recording


def phase_error(path: Path | str, *, from_s: float = 0.0) -> dict[str, Any]:
    """RMS phase error (% of the gait cycle) per side of a simulated recording, from
    ``from_s`` on (skip the start, when the belt ramps up)."""
    rec = open_recording(path)
    if not rec.simulated:
        raise UserError(f"{path} is not a simulated recording: there is no ground truth")
    names = ["phase_estimate_left", "phase_estimate_right"]
    truth = ["truth_contact_left", "truth_contact_right"]
    ts = rec.read(names + truth)
    keep = ts.time >= from_s
    out: dict[str, Any] = {"simulated": True, "from_s": from_s}
    for side, est, con in zip(("left", "right"), names, truth, strict=True):
        tp = phase_from_contacts(np.asarray(ts[con], dtype=np.float64) > 0.5)
        try:
            rms = phase_rms_error(np.asarray(ts[est], dtype=np.float64)[keep], tp[keep])
        except UserError:
            rms = float("nan")
        out[side] = round(100.0 * rms, 3)
    return out
