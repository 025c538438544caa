"""A4 pages for PDF reports, drawn with matplotlib, and PNG encoding for HTML reports.

Every page carries the same header and footer; pages about virtual patients carry a red
"SIMULATED" banner at the top and a watermark, so no printed page can be mistaken for a
real patient's record.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
from matplotlib.axes import Axes
from matplotlib.figure import Figure

A4 = (8.27, 11.69)
SIMULATED_TEXT = "SIMULATED - virtual patient on the simulated station, not a real person"
INK = "#1f2933"
MUTED = "#52606d"
ACCENT = "#0b6e99"
WARN = "#b42318"
GOOD = "#067647"
LEFT_COLOUR = "#1f77b4"
RIGHT_COLOUR = "#d62728"


@dataclass(frozen=True)
class Header:
    title: str
    subtitle: str
    simulated: bool
    footer: str


def new_page(header: Header, page: int, pages: int) -> Figure:
    """A blank A4 page with header, footer and (for virtual patients) the SIMULATED marks."""
    fig = Figure(figsize=A4)
    top = 0.975
    if header.simulated:
        fig.patches.append(matplotlib.patches.Rectangle(
            (0, 0.955), 1, 0.045, transform=fig.transFigure, color=WARN, zorder=0))
        fig.text(0.5, 0.9775, SIMULATED_TEXT, ha="center", va="center", color="white",
                 fontsize=10, weight="bold")
        fig.text(0.5, 0.45, "SIMULATED", ha="center", va="center", rotation=35,
                 fontsize=90, color=WARN, alpha=0.07, weight="bold")
        top = 0.94
    fig.text(0.06, top - 0.005, header.title, fontsize=17, weight="bold", color=INK, va="top")
    import textwrap

    sub = textwrap.wrap(header.subtitle, 110)[:2]
    fig.text(0.06, top - 0.035, "\n".join(sub), fontsize=9, color=MUTED, va="top",
             linespacing=1.4)
    fig.text(0.06, 0.035, header.footer, fontsize=7, color=MUTED)
    fig.text(0.94, 0.035, f"page {page} of {pages}", fontsize=7, color=MUTED, ha="right")
    if header.simulated:
        fig.text(0.5, 0.015, "SIMULATED", fontsize=8, color=WARN, ha="center", weight="bold")
    return fig


def text_block(fig: Figure, x: float, y: float, title: str, lines: Sequence[str], *,
               size: float = 10.0, width_chars: int = 95, colour: str = INK) -> float:
    """Draw a titled block of wrapped lines; return the y below it."""
    import textwrap

    fig.text(x, y, title, fontsize=11.5, weight="bold", color=ACCENT, va="top")
    y -= 0.026
    for line in lines:
        for i, part in enumerate(textwrap.wrap(line, width_chars) or [""]):
            fig.text(x + (0.0 if i == 0 else 0.015), y, ("- " if i == 0 else "") + part,
                     fontsize=size, color=colour, va="top")
            y -= size * 0.0021
        y -= 0.003
    return y - 0.01


def key_figures(fig: Figure, y: float, items: Sequence[tuple[str, str, str]]) -> float:
    """Rows of three big numbers with labels: (label, value, note). Returns the y below."""
    per_row = 3
    w = 0.88 / per_row
    for i, (label, value, note) in enumerate(items):
        x = 0.06 + (i % per_row) * w
        yy = y - (i // per_row) * 0.07
        fig.text(x, yy, value, fontsize=18, weight="bold", color=INK, va="top")
        fig.text(x, yy - 0.033, label, fontsize=8.5, color=MUTED, va="top")
        if note:
            fig.text(x, yy - 0.05, note, fontsize=7.5, color=MUTED, va="top", style="italic")
    rows = (len(items) + per_row - 1) // per_row
    return y - 0.07 * rows - 0.005


def table(fig: Figure, y: float, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
          widths: Sequence[float] | None = None, size: float = 8.0,
          colours: Sequence[str | None] | None = None) -> float:
    """A simple ruled text table; returns the y below it."""
    widths = widths or [0.88 / len(columns)] * len(columns)
    xs = [0.06 + sum(widths[:i]) for i in range(len(columns))]
    for x, c in zip(xs, columns, strict=True):
        fig.text(x, y, c, fontsize=size, weight="bold", color=MUTED, va="top")
    y -= 0.018
    fig.add_artist(matplotlib.lines.Line2D([0.06, 0.94], [y + 0.004, y + 0.004],
                                           color="#cbd2d9", lw=0.6))
    for r, row in enumerate(rows):
        colour = (colours[r] if colours else None) or INK
        for x, cell in zip(xs, row, strict=True):
            fig.text(x, y, cell, fontsize=size, color=colour, va="top")
        y -= size * 0.0023
    return y - 0.01


def plot_axes(fig: Figure, rect: tuple[float, float, float, float]) -> Axes:
    ax = fig.add_axes(rect)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7.5)
    ax.grid(True, alpha=0.25, lw=0.5)
    return ax


def figure_png_base64(fig: Figure, dpi: int = 100) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)  # layout already tight: no second draw
    return base64.b64encode(buf.getvalue()).decode("ascii")
