"""Score detected events against reference events (simulation truth or a file's own events)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitway.analytics.gait_data import SIDES, GaitEvent


@dataclass(frozen=True, slots=True)
class EventScore:
    true_positives: int
    false_positives: int
    false_negatives: int
    errors_s: tuple[float, ...]  # detected minus reference, matched pairs only

    @property
    def precision(self) -> float:
        d = self.true_positives + self.false_positives
        return self.true_positives / d if d else 0.0

    @property
    def recall(self) -> float:
        d = self.true_positives + self.false_negatives
        return self.true_positives / d if d else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def abs_error_ms(self, q: float) -> float:
        if not self.errors_s:
            return float("nan")
        return float(np.percentile(np.abs(self.errors_s), q) * 1000.0)

    def as_dict(self) -> dict[str, object]:
        return {
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "median_abs_error_ms": round(self.abs_error_ms(50), 2),
            "p95_abs_error_ms": round(self.abs_error_ms(95), 2),
            "mean_error_ms": round(float(np.mean(self.errors_s)) * 1000, 2)
            if self.errors_s
            else None,
        }


def score_events(
    detected: list[GaitEvent],
    reference: list[GaitEvent],
    *,
    tolerance_s: float = 0.1,
    kinds: tuple[str, ...] = ("heel_strike", "toe_off"),
    window: tuple[float, float] | None = None,
) -> EventScore:
    """One-to-one matching per side and kind: nearest unused event within ``tolerance_s``.

    ``window`` limits scoring to reference events (and detections) inside [start, end], so that
    events cut by the file's ends are not counted against the detector.
    """
    tp = fp = fn = 0
    errors: list[float] = []
    for side in SIDES:
        for kind in kinds:
            det = np.array(sorted(e.time_s for e in detected if e.side == side and e.kind == kind))
            ref = np.array(sorted(e.time_s for e in reference if e.side == side and e.kind == kind))
            if window is not None:
                det = det[(det >= window[0]) & (det <= window[1])]
                ref = ref[(ref >= window[0]) & (ref <= window[1])]
            used = np.zeros(len(det), dtype=bool)
            for r in ref:
                if len(det) == 0:
                    fn += 1
                    continue
                i = int(np.searchsorted(det, r))
                best = -1
                best_err = tolerance_s
                for j in (i - 1, i, i + 1):
                    if 0 <= j < len(det) and not used[j] and abs(det[j] - r) <= best_err:
                        best, best_err = j, abs(det[j] - r)
                if best < 0:
                    fn += 1
                else:
                    used[best] = True
                    tp += 1
                    errors.append(float(det[best] - r))
            fp += int((~used).sum())
    return EventScore(tp, fp, fn, tuple(errors))
