"""EMG onsets scored against a simulation's true muscle activation, and neurokit2's beside ours.

The twin records each muscle's true activation (``truth_activation_<muscle>_<side>``, 0-1)
behind its synthetic EMG, whose amplitude follows the activation's magnitude. A true onset is
where that magnitude rises through the same fraction of its range that our detector uses on
the envelope (``EmgParams.onset_fraction`` between the 5th and 99.5th percentiles), with the
same minimum active and rest durations: the detector's own definition, applied to the truth,
so that a score measures the signal chain (noise, band-pass, envelope lag), not a change of
definition. Onsets are paired one to one, nearest first, within a tolerance; an unpaired true
onset is a miss, an unpaired detected one a false onset.

neurokit2's default pipeline (``emg_clean``, ``emg_amplitude``, ``emg_activation``: its own
cleaning, envelope and threshold) runs on the same raw signal and is scored against the same
truth, so a disagreement between the two can be settled (issue 17: biceps femoris). Its
activation search is slow (about a second per second of signal at 1 kHz on a loaded 2-core
machine), so callers give it an excerpt of a long recording.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from gaitway.analytics.emg import EmgParams, EmgPipeline, activation_intervals
from gaitway.analytics.gait_data import FloatArray

#: A detected onset this close to a true one is the same onset: an EMG burst of the gait
#: cycle lasts 100-400 ms, and the envelope's 6-Hz filter alone smears an onset by tens of ms.
ONSET_TOLERANCE_S = 0.1


@dataclass(frozen=True, slots=True)
class OnsetMatch:
    """Detected onsets against reference onsets (times in s, errors detected minus reference)."""

    n_reference: int
    n_detected: int
    matched: int
    missed: int
    false_onsets: int
    mean_error_ms: float | None
    mean_abs_error_ms: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MuscleOnsetScore:
    """One EMG channel: ours and neurokit2's onsets against the truth, and against each other."""

    channel: str
    ours: OnsetMatch
    neurokit2: OnsetMatch
    ours_vs_neurokit2: OnsetMatch

    def as_dict(self) -> dict[str, object]:
        return {"channel": self.channel, "ours_excerpt": self.ours.as_dict(),
                "neurokit2": self.neurokit2.as_dict(),
                "ours_vs_neurokit2": self.ours_vs_neurokit2.as_dict()}


def true_onsets(activation: FloatArray, sampling_rate_hz: float,
                params: EmgParams | None = None) -> FloatArray:
    """Onsets (s from the start) of a true activation channel, by the detector's definition."""
    p = params or EmgParams()
    a = np.abs(np.asarray(activation, dtype=np.float64))
    base, peak = (float(v) for v in np.percentile(a, [5, 99.5]))
    if peak - base <= 0:
        return np.empty(0)
    on, _ = activation_intervals(a, base + p.onset_fraction * (peak - base), sampling_rate_hz,
                                 p.min_active_s, p.min_rest_s)
    return on


def match_onsets(detected: FloatArray, reference: FloatArray,
                 tolerance_s: float = ONSET_TOLERANCE_S) -> OnsetMatch:
    """Pair onsets one to one, closest pairs first, within ``tolerance_s``."""
    d = np.asarray(detected, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    pairs: list[tuple[float, int, int]] = []
    if d.size and r.size:
        # candidates: each reference onset's neighbours among the sorted detections
        order = np.argsort(d)
        ds = d[order]
        at = np.searchsorted(ds, r)
        for j, k in enumerate(at.tolist()):
            for i in (k - 1, k):
                if 0 <= i < ds.size and abs(ds[i] - r[j]) <= tolerance_s:
                    pairs.append((abs(float(ds[i] - r[j])), int(order[i]), j))
    pairs.sort()
    used_d: set[int] = set()
    used_r: set[int] = set()
    errors: list[float] = []
    for _, i, j in pairs:
        if i in used_d or j in used_r:
            continue
        used_d.add(i)
        used_r.add(j)
        errors.append(float(d[i] - r[j]))
    e = np.array(errors)
    return OnsetMatch(
        n_reference=int(r.size), n_detected=int(d.size), matched=len(errors),
        missed=int(r.size) - len(errors), false_onsets=int(d.size) - len(errors),
        mean_error_ms=round(float(e.mean()) * 1000, 1) if e.size else None,
        mean_abs_error_ms=round(float(np.abs(e).mean()) * 1000, 1) if e.size else None,
    )


def neurokit2_onsets(raw: FloatArray, sampling_rate_hz: float) -> FloatArray:
    """neurokit2's default EMG pipeline's onsets (s from the start)."""
    import neurokit2 as nk  # heavy (pandas, sklearn): only when validating

    fs = round(sampling_rate_hz)
    amplitude = nk.emg_amplitude(nk.emg_clean(np.asarray(raw, dtype=np.float64),
                                              sampling_rate=fs))
    _act, info = nk.emg_activation(emg_amplitude=amplitude, sampling_rate=fs)
    return np.asarray(info["EMG_Onsets"], dtype=np.float64) / sampling_rate_hz


def score_muscle(channel: str, raw: FloatArray, activation: FloatArray,
                 sampling_rate_hz: float, params: EmgParams | None = None,
                 tolerance_s: float = ONSET_TOLERANCE_S) -> MuscleOnsetScore:
    """Our pipeline's and neurokit2's onsets on ``raw`` against the true ``activation``."""
    p = params or EmgParams()
    truth = true_onsets(activation, sampling_rate_hz, p)
    ours = EmgPipeline(params=p).process(raw, sampling_rate_hz=sampling_rate_hz).onsets_s_
    nk_on = neurokit2_onsets(raw, sampling_rate_hz)
    return MuscleOnsetScore(channel, match_onsets(ours, truth, tolerance_s),
                            match_onsets(nk_on, truth, tolerance_s),
                            match_onsets(ours, nk_on, tolerance_s))
