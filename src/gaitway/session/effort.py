"""The patient's own effort and positive work, from the twin's ground truth (SIMULATED).

A station measures the robot's side of the interaction (cuff torques, its work per stride; see
gaitway.control.participation). What the patient does themselves only a simulation knows: the
virtual patient's voluntary joint torques and muscle activations are truth channels. This
meter turns them into the figures a therapist means by "active participation": the patient's
own positive work at hip and knee per stride, and its share of all the positive work done on
those joints (the patient's plus the robot's):

    active participation (%) = 100 * W_patient+ / (W_patient+ + W_robot+)

where ``W+`` is the positive work over the stride (power ``tau * qd`` summed where it is > 0).
100 %: the patient moves the legs alone; 0 %: the robot carries them. Sign conventions and
the measured robot figures: docs/metrics.md. On a real station the patient's torques are not
measured, so these figures exist only for simulated sessions and are labelled so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gaitway.control.participation import StrideRecord
from gaitway.station.channels import (
    DRIVEN_DOFS,
    EMG_MUSCLES,
    LEG_DOFS,
    SAMPLE_INDEX,
    SIDES,
    TRUTH_INDEX,
)

#: truth is sampled every this many ticks (activations change at 50 Hz)
EVERY: Final[int] = 5
#: per joint, in DRIVEN_DOFS order (hip left, hip right, knee left, knee right)
_VOL: Final = tuple(TRUTH_INDEX[f"truth_voluntary_torque_{j}_{s}"] for j, s in DRIVEN_DOFS)
_QD: Final = tuple(SAMPLE_INDEX[f"{j}_velocity_{s}"] for j, s in DRIVEN_DOFS)
_ACT: Final = tuple(TRUTH_INDEX[f"truth_activation_{m}_{s}"] for m in EMG_MUSCLES for s in SIDES)
#: the muscles in _ACT's order, named like their EMG channels ("<muscle>_<side>")
MUSCLE_KEYS: Final[tuple[str, ...]] = tuple(f"{m}_{s}" for m in EMG_MUSCLES for s in SIDES)
#: antigravity muscles (knee extensor, plantarflexor), as Van Kammen et al. 2014 measured them
_ANTIGRAVITY: Final = tuple(TRUTH_INDEX[f"truth_activation_{m}_{s}"]
                            for m in ("vastus_lateralis", "gastrocnemius_medialis")
                            for s in SIDES)
_EFFORT: Final = (TRUTH_INDEX["truth_effort_left"], TRUTH_INDEX["truth_effort_right"])
#: a Sample's values or the truth vector: anything indexable by channel
Values = Sequence[float] | npt.NDArray[np.float64]
JOINT_NAMES: Final[tuple[str, ...]] = tuple(f"{j}_{s}" for j, s in DRIVEN_DOFS)


@dataclass(frozen=True, slots=True)
class EffortSummary:
    """SIMULATED truth over a window of a session; per joint in DRIVEN_DOFS order."""

    #: the patient's own positive work per stride of that leg (J)
    patient_positive_work_j: tuple[float, float, float, float]
    #: the robot's positive work per stride (J, measured: from the stride records)
    robot_positive_work_j: tuple[float, float, float, float]
    #: 100 * patient / (patient + robot) positive work, per joint (%)
    active_participation_pct: tuple[float, float, float, float]
    #: the same over all four joints (%)
    active_participation_overall_pct: float
    #: mean true activation of the 8 modelled muscles (0-1)
    activation: float
    #: mean true activation of the knee extensors and plantarflexors (0-1)
    antigravity_activation: float
    #: mean drive of the legs (0-1), the effort rule's state
    effort: float
    #: mean true activation of each muscle, in MUSCLE_KEYS order (0-1)
    activation_by_muscle: tuple[float, ...]
    strides_left: int
    strides_right: int


def _share(patient: float, robot: float) -> float:
    total = patient + robot
    return 100.0 * patient / total if total > 0.0 else math.nan


class StrideParticipation:
    """Each leg's active participation stride by stride (SIMULATED truth): the summary's
    formula over one stride of that leg, for the console. The patient's work is read off the
    meter's running total at each stride's close (up to one publishing interval late, a few
    hundredths of a stride); a leg's first stride has no start to measure from."""

    __slots__ = ("_at",)

    def __init__(self) -> None:
        self._at: list[tuple[float, float, float, float] | None] = [None, None]

    def close(self, record: StrideRecord,
              patient_work_j: tuple[float, float, float, float]) -> float | None:
        """The share (%) over ``record``'s stride, or None where it cannot be known."""
        side = SIDES.index(record.side)
        before, self._at[side] = self._at[side], patient_work_j
        if before is None:
            return None
        h, k = LEG_DOFS[side]
        patient = (patient_work_j[h] - before[h]) + (patient_work_j[k] - before[k])
        share = _share(patient, record.robot_assist_work_j[0] + record.robot_assist_work_j[1])
        return share if math.isfinite(share) else None


class EffortMeter:
    """Accumulates the truth between ``from_s`` and ``to_s`` (session time, s).

    Call :meth:`add` every tick with the Sample's values and the station's truth; it reads
    them every ``EVERY``-th tick (a handful of float operations, no allocation).
    """

    __slots__ = ("_act", "_anti", "_dt", "_effort", "_k", "_muscle", "_n", "_work",
                 "_work_all", "from_s", "to_s")

    def __init__(self, *, dt: float, from_s: float = 0.0, to_s: float = math.inf) -> None:
        self.from_s = from_s
        self.to_s = to_s
        self._dt = dt * EVERY
        self._k = 0
        self._n = 0
        self._work = [0.0, 0.0, 0.0, 0.0]
        self._work_all = [0.0, 0.0, 0.0, 0.0]
        self._act = 0.0
        self._muscle = [0.0] * len(_ACT)
        self._anti = 0.0
        self._effort = 0.0

    def add(self, values: Values, truth: Values) -> None:
        k = self._k = self._k + 1
        if k % EVERY:
            return
        t = values[0]
        work, work_all, dt = self._work, self._work_all, self._dt
        inside = self.from_s <= t < self.to_s
        for i in (0, 1, 2, 3):
            p = truth[_VOL[i]] * values[_QD[i]]
            if p > 0.0:
                work_all[i] += p * dt
                if inside:
                    work[i] += p * dt
        if not inside:
            return
        muscle = self._muscle
        total = 0.0
        for j, i in enumerate(_ACT):
            a = truth[i]
            muscle[j] += a
            total += a
        self._act += total / len(_ACT)
        self._anti += sum(truth[i] for i in _ANTIGRAVITY) / len(_ANTIGRAVITY)
        self._effort += 0.5 * (truth[_EFFORT[0]] + truth[_EFFORT[1]])
        self._n += 1

    @property
    def patient_positive_work_j(self) -> tuple[float, float, float, float]:
        """The patient's own positive work per joint since the session's first tick, window or
        not (J, DRIVEN_DOFS order): the console's per-stride share is made from its steps."""
        w = self._work_all
        return (w[0], w[1], w[2], w[3])

    def summary(self, strides: Sequence[StrideRecord]) -> EffortSummary:
        """The window's figures; ``strides``: the stack's stride records (all of them)."""
        recs = [r for r in strides if self.from_s <= r.time_s < self.to_s]
        n_side = [sum(1 for r in recs if r.side == s) for s in SIDES]
        robot = [0.0, 0.0, 0.0, 0.0]
        side_of = [0, 0, 0, 0]
        for side, (h, k) in enumerate(LEG_DOFS):
            side_of[h] = side_of[k] = side
        for r in recs:
            h, k = LEG_DOFS[SIDES.index(r.side)]
            robot[h] += r.robot_assist_work_j[0]
            robot[k] += r.robot_assist_work_j[1]
        pat: list[float] = []
        rob: list[float] = []
        for i in range(4):
            n = n_side[side_of[i]]
            pat.append(self._work[i] / n if n else math.nan)
            rob.append(robot[i] / n if n else math.nan)
        m = self._n or math.nan
        p4 = (pat[0], pat[1], pat[2], pat[3])
        r4 = (rob[0], rob[1], rob[2], rob[3])
        return EffortSummary(
            patient_positive_work_j=p4,
            robot_positive_work_j=r4,
            active_participation_pct=(_share(pat[0], rob[0]), _share(pat[1], rob[1]),
                                      _share(pat[2], rob[2]), _share(pat[3], rob[3])),
            active_participation_overall_pct=_share(sum(pat), sum(rob)),
            activation=self._act / m,
            antigravity_activation=self._anti / m,
            effort=self._effort / m,
            activation_by_muscle=tuple(x / m for x in self._muscle),
            strides_left=n_side[0],
            strides_right=n_side[1],
        )
