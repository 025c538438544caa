"""Per-stride analytics while a session runs: push one row per tick, get each stride's record.

Events are detected causally (hysteresis and debounce on each belt's vertical force, no
look-ahead filter), and a completed stride is analysed by the same ``stride_record`` as the
offline analysis, on a short ring buffer of the channels it needs. The work per tick is a few
comparisons and one row copy; the work per stride is one stride's metrics (well under 50 ms).

A stance ends as the offline detector's does: the force under the lower level starts a
candidate toe-off, which stands only once the foot has stayed off its belt for the minimum
swing (``min_swing_s``); a foot that loads its belt again before that never left it (the
offline debounce merges such a gap into the stance). A contact that chatters for a tick, or a
trailing foot whose force dips under the crosstalk of the other foot landing, then does not end
a stance early and start a false one. The toe-off is known ``min_swing_s`` after it happened,
which costs the stride records nothing: a stride is complete at the next heel strike, a whole
swing later.

A stance begins the same way round: the force over the upper level starts a candidate heel
strike, which stands once the foot has stayed on its belt (over the lower level) for
``LOADED_FOR_S``. A swinging toe that brushes the belt for a tick (on the twin a 1-ms, 580-N
contact of the sound foot 120 ms into its swing, issue 17 item 1) is no stance: the offline
detector's low-pass and minimum stance drop it, and before this the live detector took it for
a heel strike, so that every stride of the other leg held two of its strikes and was invalid
(on the twin's 24-s hemiparetic session: 20 live strides against 29 offline). The strike is
still timed where the force crossed the lower level; a stride's record comes ``LOADED_FOR_S``
later.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gaitway.analytics.events import ForcePlateParams
from gaitway.analytics.gait_data import FloatArray, GaitData, GaitEvent, Side, SignalBlock
from gaitway.analytics.readers.recording_reader import FORCE_CHANNELS, KIN_CHANNELS
from gaitway.analytics.stride_metrics import stride_record
from gaitway.analytics.strides import build_strides
from gaitway.errors import UserError

SIDES: tuple[Side, Side] = ("left", "right")
#: how long a foot must stay loaded before its contact is a stance (s): a real heel strike
#: loads the belt for a whole stance, a brushing toe for a few ms. Short against the stride
#: records' latency (a stride is known within 50 ms of its end)
LOADED_FOR_S = 0.02


def _default_channel_names() -> list[str]:
    from gaitway.station.channels import RECORDED_CHANNELS

    return [c.name for c in RECORDED_CHANNELS]


class LiveStrideAnalyzer:
    """Feed rows in ``channel_names`` order with :meth:`push`; completed strides come out.

    ``body_mass_kg`` sets the force thresholds (as fractions of body weight, the same
    fractions as offline) and the %BW metrics; without it the thresholds follow the running
    peak of the total load.
    """

    def __init__(
        self,
        *,
        sampling_rate_hz: float,
        channel_names: Sequence[str] | None = None,
        body_mass_kg: float | None = None,
        params: ForcePlateParams | None = None,
        buffer_s: float = 8.0,
    ) -> None:
        names = list(channel_names) if channel_names is not None else _default_channel_names()
        if "time" not in names or "grf_z_left" not in names or "grf_z_right" not in names:
            raise UserError("live stride analysis needs time, grf_z_left and grf_z_right")
        self.sampling_rate_hz = sampling_rate_hz
        self.body_mass_kg = body_mass_kg
        self.params = params or ForcePlateParams()
        self._keep = ["time"] + [n for n in FORCE_CHANNELS + KIN_CHANNELS if n in names]
        self._src = np.array([names.index(n) for n in self._keep])
        self._col = {n: i for i, n in enumerate(self._keep)}
        self._n = max(16, round(buffer_s * sampling_rate_hz))
        self._buf = np.zeros((2 * self._n, len(self._keep)))
        self._len = 0
        self._gz = [self._col["grf_z_left"], self._col["grf_z_right"]]
        self._stance = [False, False]
        self._last_change = [-np.inf, -np.inf]
        #: time the force of a foot in stance fell under the lower level (a candidate
        #: toe-off, kept until the foot has stayed off for ``min_swing_s``), or None
        self._lift: list[float | None] = [None, None]
        #: time the force of a foot in swing rose over the upper level (a candidate heel
        #: strike, kept until the foot has stayed loaded for ``LOADED_FOR_S``), or None
        self._land: list[float | None] = [None, None]
        self._peak_load = 0.0
        self.events_: list[GaitEvent] = []

    def _levels(self) -> tuple[float, float]:
        p = self.params
        ref = self.body_mass_kg * 9.81 if self.body_mass_kg else self._peak_load
        return max(p.on_min_n, p.on_fraction * ref), max(p.off_min_n, p.off_fraction * ref)

    def push(self, row: Sequence[float] | np.ndarray) -> list[dict[str, object]]:
        """Add one tick; returns the records of strides completed at this tick (often none)."""
        if self._len == len(self._buf):
            self._buf[: self._n] = self._buf[self._n :]
            self._len = self._n
        vals = np.asarray(row, dtype=np.float64)[self._src]
        self._buf[self._len] = vals
        self._len += 1
        t = float(vals[0])
        fl, fr = float(vals[self._gz[0]]), float(vals[self._gz[1]])
        self._peak_load = max(self._peak_load * 0.99999, fl + fr)
        on, off = self._levels()
        p = self.params
        out: list[dict[str, object]] = []
        for k, (f, g) in enumerate(((fl, fr), (fr, fl))):
            leak = p.crosstalk_coefficient * max(g, 0.0)
            side = SIDES[k]
            if not self._stance[k]:
                if (land := self._land[k]) is None:
                    if f > on + leak and t - self._last_change[k] >= p.min_swing_s:
                        self._land[k] = t
                elif f < off + leak:  # off again at once: a brush, not a stance
                    self._land[k] = None
                elif t - land >= LOADED_FOR_S:
                    self._land[k] = None
                    self._stance[k] = True
                    self._last_change[k] = land
                    self._onset(side, self._rising_time(k, off + leak, t))
                    rec = self._complete(side, t)
                    if rec is not None:
                        out.append(rec)
            elif (lift := self._lift[k]) is not None:
                if f > on + leak:  # loaded again within the minimum swing: never left
                    self._lift[k] = None
                elif t - lift >= p.min_swing_s:
                    self._stance[k] = False
                    self._lift[k] = None
                    self._last_change[k] = lift
                    self.events_.append(GaitEvent(lift, side, "toe_off"))
            elif f < off + leak and t - self._last_change[k] >= p.min_stance_s:
                self._lift[k] = t
        return out

    def _rising_time(self, k: int, level: float, t: float) -> float:
        """Time the force last crossed the lower level (the heel strike, as offline)."""
        col = self._buf[: self._len, self._gz[k]]
        below = np.flatnonzero(col[-200:] <= level)
        if len(below) == 0:
            return t
        j = self._len - min(200, self._len) + int(below[-1])
        return float(self._buf[min(j + 1, self._len - 1), 0])

    def _onset(self, side: Side, t: float) -> None:
        self.events_.append(GaitEvent(t, side, "heel_strike"))
        if len(self.events_) > 40:
            del self.events_[:-20]

    def _complete(self, side: Side, now: float) -> dict[str, object] | None:
        strides = build_strides(self.events_, side)
        if not strides:
            return None
        s = strides[-1]
        if not s.valid:
            return None
        buf = self._buf[: self._len]
        t = buf[:, 0]
        i0 = int(np.searchsorted(t, s.heel_strike_s - 2.0))
        t = t[i0:]
        ch: dict[str, FloatArray] = {n: buf[i0:, i] for n, i in self._col.items()
                                     if n != "time"}
        fch = {n: v for n, v in ch.items() if n in FORCE_CHANNELS}
        kch = {n: v for n, v in ch.items() if n not in FORCE_CHANNELS}
        fs = self.sampling_rate_hz
        data = GaitData(
            source="real",
            origin="live",
            forces=SignalBlock(t, fs, fch),
            kinematics=SignalBlock(t, fs, kch) if kch else None,
        )
        rec, _ = stride_record(data, s, body_mass_kg=self.body_mass_kg)
        out: dict[str, object] = {"side": side, **rec}
        out["detected_at_s"] = now
        return out
