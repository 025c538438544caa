"""Reference gaits prebuilt on a grid of belt speeds.

Building a :class:`ReferenceGait` takes a few milliseconds (splines and tables): too long for a
1 ms tick. The bank builds one per grid speed up front (or in the thread that asks for a new
range of motion), so a speed change in the loop only picks a prebuilt table. It also holds the
fastest belt speed its range of motion walks (``max_walkable_m_s``), the self-paced belt's limit.
While the belt is slower than it is set to (a start, a resume, a pause's run-down), a table is
held to the set speed's belt factor (:class:`gaitway.gait.reference.ReferenceGait`'s
``hold_speed_m_s``): derived from the grid table in a fraction of a build and kept.
"""

from __future__ import annotations

from typing import Final

from gaitway.control.belt import MAX_SPEED_M_S, MIN_SPEED_M_S
from gaitway.gait.reference import ReferenceGait, RomSettings, max_walkable_speed_m_s

GRID_STEP_M_S: Final[float] = 0.05


class ReferenceBank:
    """References for one height and range of motion at speeds ``MIN + k * GRID_STEP_M_S``."""

    def __init__(self, *, height_m: float, rom: RomSettings | None = None) -> None:
        self.height_m = height_m
        self.rom = rom or RomSettings()
        n = int((MAX_SPEED_M_S - MIN_SPEED_M_S) / GRID_STEP_M_S + 0.5) + 1
        self.speeds = [MIN_SPEED_M_S + k * GRID_STEP_M_S for k in range(n)]
        self._refs = [
            ReferenceGait(speed_m_s=min(v, MAX_SPEED_M_S), height_m=height_m, rom=self.rom)
            for v in self.speeds
        ]
        #: tables held to one factor (a faster grid speed's), by grid index: one set speed's
        #: ramp, kept until the hold changes (so at most one table per grid speed)
        self._held: dict[int, ReferenceGait] = {}
        self._held_factor = 1.0
        #: the fastest speed (0.1 km/h steps) at which this range's stance covers the belt's
        #: travel; the slowest speed if none does (a session refuses such a range at its start)
        self.max_walkable_m_s = max_walkable_speed_m_s(
            height_m, self.rom, lo_m_s=MIN_SPEED_M_S, hi_m_s=MAX_SPEED_M_S) or MIN_SPEED_M_S

    def _index(self, speed_m_s: float) -> int:
        k = int((speed_m_s - MIN_SPEED_M_S) / GRID_STEP_M_S + 0.5)
        return 0 if k < 0 else (len(self._refs) - 1 if k >= len(self._refs) else k)

    def nearest(self, speed_m_s: float, hold_speed_m_s: float = 0.0) -> ReferenceGait:
        """The table of the grid speed nearest ``speed_m_s``, its belt factor that of the
        grid speed nearest ``hold_speed_m_s`` (the set speed) where that is faster."""
        k = self._index(speed_m_s)
        h = self._index(hold_speed_m_s)
        ref = self._refs[k]
        factor = self._refs[h].belt_factor
        if h <= k or factor == ref.belt_factor:  # held at its own speed
            return ref
        if factor != self._held_factor:
            self._held.clear()
            self._held_factor = factor
        held = self._held.get(k)
        if held is None:
            held = self._held[k] = ref.with_belt_factor(factor)
        return held
