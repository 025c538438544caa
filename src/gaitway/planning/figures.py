"""The calibration plot for docs/planning.md (SIMULATED): a held-out patient's band and the
coverage of every outcome."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from gaitway.files import atomic_output
from gaitway.planning.calibration import CalibrationResult, course_series
from gaitway.planning.cohort import virtual_cohort
from gaitway.planning.predict import (
    Z80,
    PatientCurve,
    fit_population,
    outcome,
)


def calibration_plot(result: CalibrationResult, path: Path) -> Path:
    """Left: one held-out virtual patient's gait speed, the model conditioned on the first
    weeks, its 80 % band, and what followed. Right: coverage of the 80 % intervals."""
    cohort = virtual_cohort(12, seed=result.seed, weeks=result.weeks)
    series = [course_series(c) for c in cohort]
    spec = outcome("gait_speed")
    pop = fit_population([s[spec.key] for s in series[1:]])
    held = series[0][spec.key]
    cut = result.condition_weeks
    curve = PatientCurve.condition(pop, held.until(cut))
    grid = np.linspace(0.0, float(result.weeks), 100)
    mean, sd = curve.mean(grid), curve.sd(grid)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.fill_between(grid, mean - Z80 * sd, mean + Z80 * sd, alpha=0.25, label="80 % interval")
    a.plot(grid, mean, label="model, on the current trend")
    seen, later = held.until(cut), held.after(cut)
    a.plot(seen.weeks, seen.values, "ko", label="observed (fitted on)")
    a.plot(later.weeks, later.values, "o", mfc="none", mec="k", label="observed later")
    a.axvline(cut, color="grey", lw=0.8, ls="--")
    for t in spec.targets:
        a.axhline(t.value, color="tab:red", lw=0.6, ls=":")
    a.set(xlabel="weeks of training", ylabel="gait speed (m/s)",
          title="held-out virtual patient (SIMULATED)")
    a.legend(fontsize=7, loc="upper left")
    keys = list(result.coverage_by_outcome)
    b.bar(range(len(keys)), [result.coverage_by_outcome[k] for k in keys])
    b.axhspan(0.75, 0.85, color="tab:green", alpha=0.2, label="goal 0.80 +- 0.05")
    b.set_xticks(range(len(keys)), keys, rotation=45, ha="right", fontsize=7)
    b.set(ylim=(0, 1), ylabel="share inside the 80 % interval",
          title=f"coverage, {result.patients} SIMULATED patients: {result.coverage80:.2f}")
    b.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    with atomic_output(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
