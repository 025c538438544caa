"""EMG onsets scored against a simulation's true muscle activation, and neurokit2's beside ours.

The twin records each muscle's true activation (``truth_activation_<muscle>_<side>``, 0-1)
behind its synthetic EMG, whose amplitude follows the activation's magnitude. A true onset is
where that magnitude rises through the same fraction of its range that our detector uses on
the envelope (``EmgParams.onset_fraction`` between the 5th and 99.5th percentiles), with the
same minimum active and rest durations: the detector's own definition, applied to the truth,
so that a score measures the signal chain (noise, band-pass, envelope lag), not a change of
definition. Onsets are paired one to one, nearest first, within a tolerance; an unpaired true
onset is a miss, an unpaired detected one a false onset.

A true onset that barely crosses that threshold is not scored either way
(``NEAR_THRESHOLD_MARGIN``): a burst whose peak clears the threshold by little, or one whose
rest before it dips under the threshold by little (the muscle never quite let go). The envelope
of a burst's EMG scatters by about a tenth of its level (the rectified noise through a 6-Hz
low-pass), and the low-pass lowers a short burst's peak and fills a short dip, so such an
onset is found or missed by chance, whichever signal chain is measured. Finding one is not a
false onset, missing one is not a miss; how many there were is reported.

neurokit2's default pipeline (``emg_clean``, ``emg_amplitude``, ``emg_activation``: its own
cleaning, envelope and threshold) runs on the same raw signal and is scored against the same
truth, so a disagreement between the two can be settled (issue 17: biceps femoris). Its
activation search is slow (about a second per second of signal at 1 kHz on a loaded 2-core
machine), so callers give it an excerpt of a long recording.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from gaitway.analytics.emg import EmgParams, EmgPipeline, activation_intervals
from gaitway.analytics.gait_data import FloatArray

#: A detected onset this close to a true one is the same onset: an EMG burst of the gait
#: cycle lasts 100-400 ms, and the envelope's 6-Hz filter alone smears an onset by tens of ms.
ONSET_TOLERANCE_S = 0.1

#: A true onset is scored when its burst's peak rises at least this share of the threshold's
#: height (threshold - base) above the threshold, and the rest before it falls at least as far
#: below it. 0.5 keeps onsets whose envelope would miss the threshold only at about 5 standard
#: deviations of its noise (about 9 % of its level at 1 kHz with a 20-450 Hz band and a 6-Hz
#: envelope).
NEAR_THRESHOLD_MARGIN = 0.5


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
    #: reference onsets of bursts too near the threshold to be scored, and how many of them
    #: were found anyway (neither counted in the figures above)
    near_threshold: int = 0
    near_threshold_found: int = 0

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


@dataclass(frozen=True, slots=True)
class TrueBursts:
    """A true activation channel's bursts by the detector's definition (times in s)."""

    onsets_s: FloatArray
    #: True where the burst's peak clears the threshold, or the rest before it dips under
    #: it, by less than ``NEAR_THRESHOLD_MARGIN`` of the threshold's height
    near_threshold: npt.NDArray[np.bool_]


def true_bursts(activation: FloatArray, sampling_rate_hz: float,
                params: EmgParams | None = None,
                margin: float = NEAR_THRESHOLD_MARGIN) -> TrueBursts:
    """Bursts of a true activation channel, each marked whether it is clear of the threshold."""
    p = params or EmgParams()
    a = np.abs(np.asarray(activation, dtype=np.float64))
    base, peak = (float(v) for v in np.percentile(a, [5, 99.5]))
    if peak - base <= 0:
        return TrueBursts(np.empty(0), np.empty(0, dtype=bool))
    height = p.onset_fraction * (peak - base)
    on, off = activation_intervals(a, base + height, sampling_rate_hz,
                                   p.min_active_s, p.min_rest_s)
    i0 = np.round(on * sampling_rate_hz).astype(np.int64)
    i1 = np.maximum(np.round(off * sampling_rate_hz).astype(np.int64), i0 + 1)
    near = np.zeros(on.size, dtype=bool)
    rest_from = 0
    for n, (i, j) in enumerate(zip(i0.tolist(), i1.tolist(), strict=True)):
        top = float(a[i:j].max())
        # the rest since the last burst (none before the first sample: a record that starts
        # inside a burst has no onset to score there)
        rest = float(a[rest_from:i].min()) if i > rest_from else base + height
        near[n] = (top - base < (1.0 + margin) * height
                   or rest - base > (1.0 - margin) * height)
        rest_from = j
    return TrueBursts(on, near)


def true_onsets(activation: FloatArray, sampling_rate_hz: float,
                params: EmgParams | None = None) -> FloatArray:
    """Onsets (s from the start) of a true activation channel, by the detector's definition
    (every burst, near the threshold or not)."""
    return true_bursts(activation, sampling_rate_hz, params).onsets_s


def match_onsets(detected: FloatArray, reference: FloatArray | TrueBursts,
                 tolerance_s: float = ONSET_TOLERANCE_S) -> OnsetMatch:
    """Pair onsets one to one, closest pairs first, within ``tolerance_s``. Against
    ``TrueBursts``, the bursts near the threshold take part in the pairing (so a detection of
    one is not a false onset) but are not counted as matched or missed."""
    d = np.asarray(detected, dtype=np.float64)
    if isinstance(reference, TrueBursts):
        r = reference.onsets_s
        unscored = reference.near_threshold
    else:
        r = np.asarray(reference, dtype=np.float64)
        unscored = np.zeros(r.size, dtype=bool)
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
    near_found = 0
    for _, i, j in pairs:
        if i in used_d or j in used_r:
            continue
        used_d.add(i)
        used_r.add(j)
        if unscored[j]:
            near_found += 1
        else:
            errors.append(float(d[i] - r[j]))
    e = np.array(errors)
    n_near = int(unscored.sum())
    n_ref = int(r.size) - n_near
    return OnsetMatch(
        n_reference=n_ref, n_detected=int(d.size), matched=len(errors),
        missed=n_ref - len(errors), false_onsets=int(d.size) - len(errors) - near_found,
        mean_error_ms=round(float(e.mean()) * 1000, 1) if e.size else None,
        mean_abs_error_ms=round(float(np.abs(e).mean()) * 1000, 1) if e.size else None,
        near_threshold=n_near, near_threshold_found=near_found,
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
    truth = true_bursts(activation, sampling_rate_hz, p)
    ours = EmgPipeline(params=p).process(raw, sampling_rate_hz=sampling_rate_hz).onsets_s_
    nk_on = neurokit2_onsets(raw, sampling_rate_hz)
    return MuscleOnsetScore(channel, match_onsets(ours, truth, tolerance_s),
                            match_onsets(nk_on, truth, tolerance_s),
                            match_onsets(ours, nk_on, tolerance_s))
