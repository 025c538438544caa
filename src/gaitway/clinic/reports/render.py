"""One report, two renderings: a PDF of A4 pages (matplotlib) and a self-contained HTML page.

A report is data (:class:`ReportContent`): big key figures first (what a therapist reads in the
first seconds), then short plain-language sections, tables and plots. The PDF flows them onto
pages; the HTML embeds the same plots as PNG images. Virtual patients' reports carry
"SIMULATED" on every page and in the HTML's title, banner and every plot.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from gaitway.clinic.reports import layout, plots
from gaitway.files import check_output_file, write_atomic


@dataclass(frozen=True)
class Plot:
    title: str
    draw: Callable[[Axes], object]
    wide: bool = False


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float] | None = None
    colours: Sequence[str | None] | None = None


@dataclass
class ReportContent:
    header: layout.Header
    key_figures: list[tuple[str, str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)


_PLOT_H = 0.18
_BOTTOM = 0.055


def _layout_pages(content: ReportContent) -> list[Figure]:
    pages: list[Figure] = []

    def page() -> tuple[Figure, float]:
        fig = layout.new_page(content.header, len(pages) + 1, 0)
        pages.append(fig)
        return fig, (0.855 if content.header.simulated else 0.885)

    fig, y = page()
    if content.key_figures:
        y = layout.key_figures(fig, y, content.key_figures)
    for title, lines in content.sections:
        need = 0.03 + 0.025 * len(lines)
        if y - need < _BOTTOM:
            fig, y = page()
        y = layout.text_block(fig, 0.06, y, title, lines)
    for t in content.tables:
        need = 0.05 + 0.02 * len(t.rows)
        if y - need < _BOTTOM:
            fig, y = page()
        fig.text(0.06, y, t.title, fontsize=11.5, weight="bold", color=layout.ACCENT, va="top")
        y = layout.table(fig, y - 0.028, t.columns, t.rows, widths=t.widths, colours=t.colours)
    queue = list(content.plots)
    while queue:
        if y - 0.03 - _PLOT_H - 0.045 < _BOTTOM:
            fig, y = page()
        first = queue.pop(0)
        top = y - 0.03
        if first.wide or not queue or queue[0].wide:
            ax = layout.plot_axes(fig, (0.1, top - _PLOT_H, 0.82, _PLOT_H))
            first.draw(ax)
        else:
            second = queue.pop(0)
            first.draw(layout.plot_axes(fig, (0.1, top - _PLOT_H, 0.36, _PLOT_H)))
            second.draw(layout.plot_axes(fig, (0.58, top - _PLOT_H, 0.36, _PLOT_H)))
        y = top - _PLOT_H - 0.055
    total = len(pages)
    for i, fig in enumerate(pages, start=1):  # rewrite "page i of n" now that n is known
        for text in fig.texts:
            if text.get_text() == f"page {i} of 0":
                text.set_text(f"page {i} of {total}")
    return pages


def write_pdf(content: ReportContent, out: Path) -> int:
    """Write the report as a PDF; returns the number of pages."""
    out = Path(out)
    _check_out(out)
    pages = _layout_pages(content)
    meta = {"Title": content.header.title, "Creator": "Gaitway",
            "Subject": "SIMULATED data" if content.header.simulated else "clinical report",
            "CreationDate": dt.datetime.now(dt.UTC)}
    buffer = io.BytesIO()  # a report is small: built in memory, written whole or not at all
    with PdfPages(buffer, metadata=meta) as pdf:
        for fig in pages:
            pdf.savefig(fig)
    write_atomic(out, buffer.getvalue())
    return len(pages)


_ENV = Environment(loader=PackageLoader("gaitway.clinic.reports", "templates"),
                   autoescape=select_autoescape(["html", "j2"]))


def write_html(content: ReportContent, out: Path) -> None:
    """Write the report as one self-contained HTML file (plots embedded as PNG)."""
    out = Path(out)
    _check_out(out)
    sim = content.header.simulated
    images = [(p.title, plots.standalone(p.draw, (9.0, 3.4) if p.wide else (6.0, 3.4), sim))
              for p in content.plots]
    html = _ENV.get_template("report.html.j2").render(
        header=content.header, key_figures=content.key_figures, sections=content.sections,
        tables=content.tables, images=images, simulated_text=layout.SIMULATED_TEXT,
    )
    write_atomic(out, html)


def _check_out(out: Path) -> None:
    check_output_file(out, "the report")
