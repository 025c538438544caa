"""Active participation and tracking error per stride and joint.

Participation follows the idea of the Lokomat's biofeedback values: the torque the cuffs put
on the leg, weighted by the direction the reference wants the joint to move. When the patient
leads the movement the robot holds back (the cuff torque opposes the intended motion) and the
value is positive; when the patient is carried it is negative. Its unit is N*m (mean over the
stride), so zero means "the robot and I are even". The robot's mechanical work on each joint
over the stride is kept beside it (J; positive when the robot drives the leg).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gaitway.station.channels import LEG_DOFS, SIDES


@dataclass(frozen=True, slots=True)
class StrideRecord:
    """One finished stride of one leg: per joint (hip, knee) values and the stride time."""

    time_s: float
    side: str
    duration_s: float
    tracking_error_rms_rad: tuple[float, float]
    participation_nm: tuple[float, float]
    robot_work_j: tuple[float, float]


class StrideMonitor:
    """Accumulates per tick, closes a stride at each heel strike of that leg (no allocation
    per tick; one small record per stride)."""

    __slots__ = ("_bf", "_err2", "_n", "_start", "_work", "records")

    def __init__(self) -> None:
        self._err2 = [0.0] * 4
        self._bf = [0.0] * 4
        self._work = [0.0] * 4
        self._n = [0, 0]
        self._start = [math.nan, math.nan]
        self.records: list[StrideRecord] = []

    def update(
        self,
        q: list[float],
        qd: list[float],
        q_ref: list[float],
        qd_ref: list[float],
        interaction: list[float],
        dt: float,
    ) -> None:
        """``interaction``: cuff torque on the leg per joint index (N*m)."""
        err2, bf, work = self._err2, self._bf, self._work
        for i in (0, 1, 2, 3):
            e = q_ref[i] - q[i]
            err2[i] += e * e
            t = interaction[i]
            v = qd_ref[i]
            if v > 0.0:
                bf[i] -= t
            elif v < 0.0:
                bf[i] += t
            work[i] += t * qd[i] * dt
        n = self._n
        n[0] += 1
        n[1] += 1

    def close_stride(self, side: int, time_s: float) -> StrideRecord | None:
        """End of a stride of ``side`` (0 left, 1 right); None for the first, partial one."""
        n = self._n[side]
        start = self._start[side]
        self._start[side] = time_s
        h, k = LEG_DOFS[side]
        rec = None
        if start == start and n > 0:
            rec = StrideRecord(
                time_s=time_s,
                side=SIDES[side],
                duration_s=time_s - start,
                tracking_error_rms_rad=(
                    math.sqrt(self._err2[h] / n),
                    math.sqrt(self._err2[k] / n),
                ),
                participation_nm=(self._bf[h] / n, self._bf[k] / n),
                robot_work_j=(self._work[h], self._work[k]),
            )
            self.records.append(rec)
        self._err2[h] = self._err2[k] = 0.0
        self._bf[h] = self._bf[k] = 0.0
        self._work[h] = self._work[k] = 0.0
        self._n[side] = 0
        return rec
