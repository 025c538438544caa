"""The report plots, each drawn onto a given matplotlib Axes (PDF page or HTML figure alike)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gaitway.clinic.measures import SPEED_BANDS
from gaitway.clinic.reports.layout import (
    ACCENT,
    LEFT_COLOUR,
    MUTED,
    RIGHT_COLOUR,
    WARN,
    figure_png_base64,
)

SIDE_COLOUR = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR}
#: Inter-subject SD of sagittal angles in healthy adults, approx. (Winter 2009, natural cadence).
NORMATIVE_SD_DEG = {"hip": 5.0, "knee": 6.0, "ankle": 4.0}


def _legend(ax: Axes, **kwargs: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def cycle_curve(cycles: Mapping[str, Any], side: str, joint: str
                ) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Mean and SD (degrees, over 0-100 % of the cycle) from an analysis' "cycles" entry."""
    candidates: list[Any] = []
    by_side = cycles.get(side)
    if isinstance(by_side, Mapping):
        candidates.append(by_side.get(joint) or by_side.get(f"{joint}_angle"))
    by_joint = cycles.get(joint) or cycles.get(f"{joint}_angle")
    if isinstance(by_joint, Mapping):
        candidates.append(by_joint.get(side))
    candidates.append(cycles.get(f"{joint}_angle_{side}") or cycles.get(f"{joint}_{side}"))
    for c in candidates:
        if isinstance(c, Mapping) and c.get("mean"):
            mean = np.asarray(c["mean"], dtype=float)
            sd = np.asarray(c["sd"], dtype=float) if c.get("sd") else None
            return mean, sd
    return None


def normative_curve(joint: str, speed_mps: float | None, height_m: float | None
                    ) -> np.ndarray | None:
    """The reference gait's normative curve (degrees, 101 points) at this speed and height."""
    try:
        from gaitway.gait.reference import ReferenceGait
    except ImportError:  # pragma: no cover - the control part ships with Gaitway
        return None
    speed = speed_mps if speed_mps and 0.1 <= speed_mps <= 2.5 else 0.6
    height = height_m if height_m and 1.0 <= height_m <= 2.3 else 1.72
    table = ReferenceGait(speed_m_s=speed, height_m=height).table(joint)
    idx = np.linspace(0, len(table) - 1, 101)
    curve: np.ndarray = np.degrees(np.interp(idx, np.arange(len(table)), table))
    return curve


def joint_curves(ax: Axes, joint: str, cycles: Mapping[str, Any],
                 normative: np.ndarray | None) -> bool:
    """Left and right mean curves (with SD) over the normative band. False if no data."""
    x = np.linspace(0, 100, 101)
    drawn = False
    if normative is not None:
        sd = NORMATIVE_SD_DEG.get(joint, 5.0)
        ax.fill_between(x, normative - sd, normative + sd, color="#9aa5b1", alpha=0.35,
                        lw=0, label="normative band")
    for side in ("left", "right"):
        curve = cycle_curve(cycles, side, joint)
        if curve is None:
            continue
        mean, sdv = curve
        xs = np.linspace(0, 100, len(mean))
        ax.plot(xs, mean, color=SIDE_COLOUR[side], lw=1.6, label=side)
        if sdv is not None and len(sdv) == len(mean):
            ax.fill_between(xs, mean - sdv, mean + sdv, color=SIDE_COLOUR[side], alpha=0.12,
                            lw=0)
        drawn = True
    ax.set_title(f"{joint.capitalize()} flexion over the gait cycle", fontsize=9)
    ax.set_xlabel("% gait cycle (from heel strike)", fontsize=8)
    ax.set_ylabel("degrees", fontsize=8)
    ax.set_xlim(0, 100)
    if not drawn:
        ax.text(0.5, 0.5, "no joint-angle cycles in this session", transform=ax.transAxes,
                ha="center", fontsize=8, color=MUTED)
    _legend(ax, fontsize=7, frameon=False, loc="upper left")
    return drawn


def weight_bearing(ax: Axes, left: float | None, right: float | None,
                   affected: str | None) -> None:
    """Mean load per leg in stance, percent of body weight, the affected side marked."""
    vals = [left or 0.0, right or 0.0]
    bars = ax.bar(["left", "right"], vals, color=[LEFT_COLOUR, RIGHT_COLOUR], width=0.55)
    for b, v, side in zip(bars, (left, right), ("left", "right"), strict=True):
        label = "n/a" if v is None else f"{v:.0f} %"
        if side == affected:
            label += "\n(affected)"
        ax.text(b.get_x() + b.get_width() / 2, b.get_height() + 1, label, ha="center",
                fontsize=8, va="bottom")
    ax.set_ylim(0, max(max(vals) * 1.35, 10))
    ax.set_ylabel("% body weight", fontsize=8)
    ax.set_title("Weight bearing per leg (mean in stance)", fontsize=9)


def stride_symmetry(ax: Axes, strides: Sequence[Mapping[str, Any]],
                    symmetry_index: float | None) -> None:
    """Stride time of each leg over the session, with the symmetry index in the title."""
    for side in ("left", "right"):
        pts = [(s["start_s"] / 60.0, s["stride_time_s"]) for s in strides if s["side"] == side]
        if pts:
            t, v = (np.asarray(a) for a in zip(*pts, strict=True))
            ax.plot(t, v, ".", ms=2, color=SIDE_COLOUR[side], alpha=0.25)
            k = max(len(v) // 30, 1)  # about 30 points: medians of consecutive strides
            m = len(v) // k * k
            if m:
                ax.plot(t[:m].reshape(-1, k).mean(1), np.median(v[:m].reshape(-1, k), 1),
                        "-", lw=1.8, color=SIDE_COLOUR[side], label=f"{side} (median)")
    title = "Stride time per leg"
    if symmetry_index is not None:
        title += f" (step-time symmetry index {symmetry_index:+.1f} %, 0 = symmetric)"
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("minutes into the session", fontsize=8)
    ax.set_ylabel("s", fontsize=8)
    _legend(ax, fontsize=7, frameon=False, markerscale=3)
    if not strides:
        ax.text(0.5, 0.5, "no strides recorded", transform=ax.transAxes, ha="center",
                fontsize=8, color=MUTED)


def stance_by_side(ax: Axes, strides: Sequence[Mapping[str, Any]]) -> None:
    """Stance percentage per leg (box plot): asymmetry shows as offset boxes."""
    data = [[s["stance_pct"] for s in strides if s["side"] == side and s["stance_pct"]]
            for side in ("left", "right")]
    if any(data):
        bp = ax.boxplot([d or [np.nan] for d in data], tick_labels=["left", "right"],
                        widths=0.5, patch_artist=True, showfliers=False)
        for patch, c in zip(bp["boxes"], (LEFT_COLOUR, RIGHT_COLOUR), strict=True):
            patch.set_facecolor(c)
            patch.set_alpha(0.35)
    ax.axhline(60, color=MUTED, lw=0.8, ls="--")
    ax.text(1.5, 60.5, "typical 60 %", fontsize=7, color=MUTED, ha="center")
    ax.set_title("Stance, % of stride", fontsize=9)


def _date_axis(ax: Axes) -> None:
    loc = mdates.AutoDateLocator(minticks=3, maxticks=6)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]


def _dates(times: Sequence[dt.datetime]) -> np.ndarray:
    """Naive UTC datetimes as datetime64, which matplotlib puts on a date axis."""
    return np.array([t.replace(tzinfo=None) for t in times], dtype="datetime64[s]")


def series_plot(ax: Axes, times: Sequence[dt.datetime], values: Sequence[float], *,
                title: str, unit: str, colour: str = ACCENT, kind: str = "line") -> None:
    if not values:
        ax.text(0.5, 0.5, "no data yet", transform=ax.transAxes, ha="center", fontsize=8,
                color=MUTED)
    elif kind == "bar":
        ax.bar(_dates(times), values, width=0.6, color=colour)
    else:
        ax.plot(_dates(times), values, "o-", ms=3.5, color=colour, lw=1.4)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(unit, fontsize=8)
    _date_axis(ax)


def support_over_time(ax: Axes, guidance: tuple[Sequence[dt.datetime], Sequence[float]],
                      bws: tuple[Sequence[dt.datetime], Sequence[float]]) -> None:
    """Guidance force and body-weight support over the weeks: lower means less help needed."""
    if guidance[1]:
        ax.plot(_dates(guidance[0]), guidance[1], "o-", ms=3, color=ACCENT, label="guidance")
    if bws[1]:
        ax.plot(_dates(bws[0]), bws[1], "s-", ms=3, color="#7c5e10",
                label="body-weight support")
    ax.set_ylim(0, 105)
    ax.set_ylabel("%", fontsize=8)
    ax.set_title("Support from the robot (lower = more independent)", fontsize=9)
    _legend(ax, fontsize=7, frameon=False)
    _date_axis(ax)


def speed_with_bands(ax: Axes, times: Sequence[dt.datetime], speeds: Sequence[float]) -> None:
    """10MWT gait speed over time on the Perry walking categories."""
    top = max([1.2, *[s * 1.15 for s in speeds]])
    shades = ("#fde2e1", "#fef0c7", "#d1fadf")
    for band, shade in zip(SPEED_BANDS, shades, strict=True):
        ax.axhspan(band.low_mps, min(band.high_mps, top), color=shade, lw=0)
        ax.text(0.01, (band.low_mps + min(band.high_mps, top)) / 2, band.label, fontsize=7,
                color=MUTED, transform=ax.get_yaxis_transform(), va="center")
    if speeds:
        ax.plot(_dates(times), speeds, "o-", color=ACCENT, ms=4)
    else:
        ax.text(0.5, 0.5, "no 10-metre walk tests yet", transform=ax.transAxes, ha="center",
                fontsize=8, color=MUTED)
    ax.set_ylim(0, top)
    ax.set_ylabel("m/s", fontsize=8)
    ax.set_title("Gait speed (10-metre walk test) and walking category", fontsize=9)
    _date_axis(ax)


def weight_bearing_trend(ax: Axes, left: tuple[Sequence[dt.datetime], Sequence[float]],
                         right: tuple[Sequence[dt.datetime], Sequence[float]]) -> None:
    for side, (t, v) in (("left", left), ("right", right)):
        if v:
            ax.plot(_dates(t), v, "o-", ms=3, color=SIDE_COLOUR[side], label=side)
    ax.set_title("Weight bearing per leg over sessions", fontsize=9)
    ax.set_ylabel("% body weight", fontsize=8)
    _legend(ax, fontsize=7, frameon=False)
    _date_axis(ax)


def standalone(draw: Callable[[Axes], object], size: tuple[float, float] = (6.0, 3.0),
               simulated: bool = False) -> str:
    """Draw one plot on its own figure and return it as base64 PNG for HTML."""
    fig = Figure(figsize=size)
    ax = fig.add_subplot(1, 1, 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, alpha=0.25, lw=0.5)
    ax.tick_params(labelsize=7.5)
    draw(ax)
    if simulated:
        fig.text(0.99, 0.01, "SIMULATED", color=WARN, fontsize=8, ha="right", weight="bold")
    fig.tight_layout()
    return figure_png_base64(fig)
