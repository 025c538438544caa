"""The forecast and the latest proposal in the progress report, in plain words.

The clinic's progress report (:mod:`gaitway.clinic.reports.progress_report`) shows what
happened; this adds what is likely next: the trend, the 80 % band, the targets and the latest
proposal, worded without overpromising ("on the current trend", with the range).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from sqlalchemy.orm import Session

from gaitway.clinic.models import Patient
from gaitway.clinic.reports.render import Plot, ReportContent, Table
from gaitway.errors import UserError
from gaitway.planning.forecast import PatientForecast, patient_forecast
from gaitway.planning.predict import TARGET_HORIZON_WEEKS, Z80, PatientCurve, outcome
from gaitway.planning.proposals import latest_proposal, proposal_json


def band_weeks_to(curve: PatientCurve, target: float, *, now_weeks: float,
                  higher_is_better: bool) -> tuple[float | None, float | None]:
    """Weeks from ``now_weeks`` until the 80 % band's hopeful edge and its cautious edge reach
    ``target`` (None: not within a year): the range around the trend's date."""
    grid = now_weeks + np.arange(0.0, TARGET_HORIZON_WEEKS + 1e-9, 0.25)
    m, s = curve.mean(grid), curve.sd(grid)
    hopeful, cautious = (m + Z80 * s, m - Z80 * s) if higher_is_better else (m - Z80 * s,
                                                                              m + Z80 * s)

    def first(edge: npt.NDArray[np.float64]) -> float | None:
        hit = edge >= target if higher_is_better else edge <= target
        return float(grid[int(np.argmax(hit))] - now_weeks) if hit.any() else None

    return first(hopeful), first(cautious)


def _when(fc: PatientForecast, key: str, w: float, target: float) -> str:
    """'about 6 weeks if the trend holds (anywhere from 3 weeks to more than a year)'."""
    f = fc.outcomes[key]
    early, late = band_weeks_to(fc.curves[key], target, now_weeks=f.now_weeks,
                                higher_is_better=f.spec.higher_is_better)
    lo = "now" if not early else f"{early:.0f} weeks"
    hi = "more than a year" if late is None else f"{late:.0f} weeks"
    return f"about {w:.0f} weeks if the trend holds (anywhere from {lo} to {hi})"


def plain_lines(fc: PatientForecast) -> list[str]:
    """Sentences for the patient: what the trend suggests, with its range."""
    lines = []
    speed = fc.outcomes.get("gait_speed")
    if speed is not None:
        p = next(x for x in speed.predictions if x.weeks == 4.0)
        lines.append(f"On the current trend, your walking speed may be about {p.value:.2f} m/s "
                     f"in 4 weeks (likely between {p.low80:.2f} and {p.high80:.2f} m/s).")
        for t in speed.spec.targets:
            w = (speed.weeks_to_target or {}).get(t.label)
            if w == 0:
                lines.append(f"You already walk at {t.label} or faster.")
            elif w is not None:
                lines.append(f"{t.label} could be within reach in "
                             + _when(fc, "gait_speed", w, t.value) + ".")
    fac = fc.outcomes.get("fac")
    if fac is not None and fac.weeks_to_target:
        w = fac.weeks_to_target.get("FAC >= 4")
        if w is not None and w > 0:
            lines.append("Walking without help (FAC 4) could come in "
                         + _when(fc, "fac", w, 4.0) + ".")
    guidance = fc.outcomes.get("guidance")
    if guidance is not None:
        p = next(x for x in guidance.predictions if x.weeks == 4.0)
        lines.append(f"On the current trend, the robot may guide your legs with about "
                     f"{p.value:.0f} % of its full help in 4 weeks (likely between "
                     f"{p.low80:.0f} and {p.high80:.0f} %).")
    lines.append("These are estimates from your sessions so far, not promises: progress often "
                 "speeds up, slows down or pauses.")
    if fc.simulated:
        lines.append("SIMULATED: this patient is a virtual patient on the twin.")
    return lines


def _forecast_table(fc: PatientForecast) -> Table:
    rows = []
    for key, f in fc.outcomes.items():
        spec = outcome(key)
        cells = [f"{p.value:.3g} ({p.low80:.3g}-{p.high80:.3g})" for p in f.predictions]
        targets = "; ".join(
            f"{label}: " + ("reached" if w == 0 else "not in a year" if w is None
                            else f"{w:.1f} wk")
            for label, w in (f.weeks_to_target or {}).items()) or "-"
        rows.append([f"{spec.label} ({spec.unit})", f"{f.trend_per_week:+.3g}/wk", *cells,
                     targets])
    return Table("Forecast on the current trend (80 % intervals)",
                 ["outcome", "trend", "in 2 wk", "in 4 wk", "in 8 wk", "targets"], rows,
                 widths=[0.24, 0.09, 0.13, 0.13, 0.13, 0.22])


def _speed_band_drawer(fc: PatientForecast) -> Callable[[Axes], None]:
    series = fc.series["gait_speed"]
    curve = fc.curves["gait_speed"]

    def draw(ax: Axes) -> None:
        now = max(series.weeks)
        grid = np.linspace(0.0, now + 8.0, 80)
        mean, sd = curve.mean(grid), curve.sd(grid)
        ahead = grid >= now
        ax.plot(series.weeks, series.values, "ko", ms=4, label="measured")
        ax.plot(grid[ahead], mean[ahead], color="tab:blue", label="on the current trend")
        ax.fill_between(grid[ahead], mean[ahead] - Z80 * sd[ahead],
                        mean[ahead] + Z80 * sd[ahead], alpha=0.25, label="80 % band")
        for t in outcome("gait_speed").targets:
            ax.axhline(t.value, color="tab:red", lw=0.7, ls=":")
        ax.set(xlabel="weeks since the first session", ylabel="gait speed (m/s)")
        ax.legend(fontsize=7, loc="upper left")

    return draw


def add_forecast(db: Session, patient: Patient, content: ReportContent) -> bool:
    """Add the forecast, its plot and the latest proposal to ``content`` (False: not enough
    observations for a forecast yet; the proposal is added either way)."""
    added = False
    try:
        fc = patient_forecast(db, patient)
    except UserError:
        fc = None
    if fc is not None:
        content.sections.append(("What is likely next", plain_lines(fc)))
        content.tables.append(_forecast_table(fc))
        if "gait_speed" in fc.outcomes:
            content.plots.append(Plot("Gait speed: forecast band",
                                      _speed_band_drawer(fc)))
        added = True
    p = latest_proposal(db, patient)
    if p is not None:
        j = proposal_json(p)
        content.sections.append((f"Latest proposal ({j['status']})", [
            f"proposal {j['id']}: guidance {p.guidance_pct:g} %, body-weight support "
            f"{p.bws_pct:g} %, belt {p.speed_kmh:g} km/h, {p.duration_min:g} min",
            *j["reasons"],
            "checked on the patient's twin (SIMULATED): "
            + str(p.twin_check.get("ended_by", "?"))]))
    return added
