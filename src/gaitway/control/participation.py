"""Active participation, robot work and tracking error per stride and joint (measured).

What a therapist reads into these figures, and how they are made from what the station measures
(the cuff torque on the leg ``tau``, + flexing, and the joint's velocity ``qd``; the robot's
power into the leg is ``P = tau * qd``). Documented with the sign conventions in
docs/metrics.md; the summary, the console, the reports and `gaitway compare` show these same
numbers.

- ``robot_assist_work_j``: the robot's positive work on the joint over the stride,
  ``sum(max(P, 0) dt)`` (J, >= 0): the robot working *with* the motion, driving the leg.
- ``robot_resist_work_j``: the work the leg did against the robot, ``sum(max(-P, 0) dt)``
  (J, >= 0): the robot working *against* the motion (the patient moving the leg through it,
  or the robot braking it).
- ``robot_work_j``: the robot's net work, assist - resist (J).
- ``participation_nm``: active participation, ``-sum(P dt) / sum(|qd| dt)``: the mean torque by
  which the leg moves against the robot per radian it travels (N*m). Positive: the patient
  drives the motion and the robot holds back; zero: the robot is transparent or the two are
  even; negative: the robot carries the leg. Weighting by the actual motion (not the
  reference's) means a patient who walks on their own is not counted as passive because their
  leg's timing differs from the robot's.
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
    robot_assist_work_j: tuple[float, float]
    robot_resist_work_j: tuple[float, float]


class StrideMonitor:
    """Accumulates per tick, closes a stride at each heel strike of that leg (no allocation
    per tick; one small record per stride)."""

    __slots__ = ("_assist", "_err2", "_n", "_resist", "_start", "_travel", "records")

    def __init__(self) -> None:
        self._err2 = [0.0] * 4
        self._assist = [0.0] * 4
        self._resist = [0.0] * 4
        self._travel = [0.0] * 4
        self._n = [0, 0]
        self._start = [math.nan, math.nan]
        self.records: list[StrideRecord] = []

    def update(
        self,
        q: list[float],
        qd: list[float],
        q_ref: list[float],
        interaction: list[float],
        dt: float,
    ) -> None:
        """``interaction``: cuff torque on the leg per joint index (N*m, + flexing)."""
        err2, assist, resist, travel = self._err2, self._assist, self._resist, self._travel
        for i in (0, 1, 2, 3):
            e = q_ref[i] - q[i]
            err2[i] += e * e
            v = qd[i]
            p = interaction[i] * v * dt
            if p > 0.0:
                assist[i] += p
            else:
                resist[i] -= p
            travel[i] += v * dt if v > 0.0 else -v * dt
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
            a, r, d = self._assist, self._resist, self._travel
            rec = StrideRecord(
                time_s=time_s,
                side=SIDES[side],
                duration_s=time_s - start,
                tracking_error_rms_rad=(
                    math.sqrt(self._err2[h] / n),
                    math.sqrt(self._err2[k] / n),
                ),
                participation_nm=(
                    (r[h] - a[h]) / d[h] if d[h] > 0.0 else 0.0,
                    (r[k] - a[k]) / d[k] if d[k] > 0.0 else 0.0,
                ),
                robot_work_j=(a[h] - r[h], a[k] - r[k]),
                robot_assist_work_j=(a[h], a[k]),
                robot_resist_work_j=(r[h], r[k]),
            )
            self.records.append(rec)
        for j in (h, k):
            self._err2[j] = self._assist[j] = self._resist[j] = self._travel[j] = 0.0
        self._n[side] = 0
        return rec
