"""The trial's report: DIR/report.html and DIR/report.pdf with the recovery curves per arm
(SIMULATED).

One self-contained HTML file (the plot embedded as PNG) so it can be mailed or archived with
the results: the design, the plans, per-arm outcomes, the effect estimates, and two plots of
recovery curves (virtual 10MWT gait speed and paretic strength after each session; thin
lines one patient, thick the arm's mean). The PDF holds the same on A4 pages, drawn by the
session reports' PDF path (:mod:`gaitway.clinic.reports.render`: the SIMULATED banner and
watermark on every page).
"""

from __future__ import annotations

import base64
import html
import io
from functools import partial
from pathlib import Path
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from gaitway.clinic.reports import layout, render

REPORT_FILE: Final[str] = "report.html"
REPORT_PDF: Final[str] = "report.pdf"
_CURVES: Final[tuple[tuple[str, str], ...]] = (
    ("gait_speed_mps", "gait speed, virtual 10MWT (m/s)"),
    ("strength_paretic_frac", "paretic leg strength (1 = healthy)"),
)


def _draw_curves(ax: Axes, df: pd.DataFrame, col: str, label: str) -> None:
    """One outcome's recovery curves: thin lines one patient, thick the arm's mean."""
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (plan, arm) in enumerate(df.groupby("plan", sort=False)):
        c = colours[i % len(colours)]
        for _, one in arm.groupby("patient"):
            ax.plot(one["session"], one[col], color=c, lw=0.6, alpha=0.35)
        mean = arm.groupby("session")[col].mean()
        ax.plot(mean.index, mean.to_numpy(), color=c, lw=2.2, marker="o", label=str(plan))
    ax.set(xlabel="session", ylabel=label, title=f"{label.split(',')[0]} (SIMULATED)")
    ax.legend(fontsize=7)


def curves_png(df: pd.DataFrame) -> bytes:
    """Recovery curves per arm: one panel per outcome."""
    fig, axes = plt.subplots(1, len(_CURVES), figsize=(10, 3.8))
    for ax, (col, label) in zip(axes, _CURVES, strict=True):
        _draw_curves(ax, df, col, label)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def report_html(df: pd.DataFrame, summary: dict[str, Any]) -> str:
    """The report as one HTML document."""
    d = summary["design"]
    png = base64.b64encode(curves_png(df)).decode()
    arms = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{a['patients']}</td><td>{a['sessions']}</td>"
        f"<td>{_fmt(a['final_gait_speed_mps']['mean'])}</td>"
        f"<td>{_fmt(a['gait_speed_change_mps']['mean'])}</td>"
        f"<td>{_fmt(a['final_strength_paretic_frac']['mean'])}</td>"
        f"<td>{a['faults']}</td><td>{a['safety_stops']}</td></tr>"
        for name, a in summary["arms"].items())
    effects = "".join(
        f"<tr><td>{html.escape(e['outcome'])}</td><td>{html.escape(e['plan'])} vs "
        f"{html.escape(e['reference'])}</td><td>{_fmt(e['difference'])}</td>"
        f"<td>{_fmt(e['ci95_low'])} to {_fmt(e['ci95_high'])}</td><td>{_fmt(e['p_value'])}</td>"
        f"<td>{html.escape(e['note'])}</td></tr>" for e in summary["effects"])
    plans = "".join(f"<li><b>{html.escape(p['name'])}</b> ({html.escape(p['controller'])}): "
                    f"{html.escape(p['description'])}</li>" for p in summary["plans"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>In-silico trial (SIMULATED)</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .5em}}
.sim{{background:#fe9;padding:.4em;font-weight:bold}}</style></head><body>
<p class="sim">SIMULATED: {html.escape(summary['label'])}. Not patients.</p>
<h1>In-silico trial</h1>
<p>{d['cohort']} virtual patients (seed {d['seed']}), {d['weeks']} weeks x
{d['sessions_per_week']} sessions of {d['minutes']:g} min; {html.escape(d['arms'])}.</p>
<ul>{plans}</ul>
<h2>Recovery curves per arm (SIMULATED)</h2>
<img alt="recovery curves per arm, SIMULATED" src="data:image/png;base64,{png}">
<h2>Arms at the end</h2>
<table><tr><th>arm</th><th>patients</th><th>sessions</th><th>final gait speed (m/s)</th>
<th>change (m/s)</th><th>paretic strength</th><th>faults</th><th>safety stops</th></tr>
{arms}</table>
<h2>Effects (95 % confidence intervals)</h2>
<table><tr><th>outcome</th><th>arm</th><th>difference</th><th>95 % CI</th><th>p</th>
<th>model</th></tr>{effects}</table>
</body></html>
"""


def _txt(v: Any) -> str:
    return html.unescape(_fmt(v))


def report_content(df: pd.DataFrame, summary: dict[str, Any]) -> render.ReportContent:
    """The report as the clinic reports' content (for the PDF)."""
    d = summary["design"]
    header = layout.Header(
        title="In-silico trial (SIMULATED)",
        subtitle=(f"{d['cohort']} virtual patients (seed {d['seed']}), {d['weeks']} weeks x "
                  f"{d['sessions_per_week']} sessions of {d['minutes']:g} min; {d['arms']}"),
        simulated=True, footer=f"Gaitway in-silico trial - {summary['label']}")
    arms = render.Table(
        "Arms at the end (means; strength: paretic leg, 1 = healthy; stops: safety stops)",
        ("arm", "patients", "sessions", "gait speed m/s", "change m/s", "strength",
         "faults", "stops"),
        [(name, str(a["patients"]), str(a["sessions"]),
          _txt(a["final_gait_speed_mps"]["mean"]), _txt(a["gait_speed_change_mps"]["mean"]),
          _txt(a["final_strength_paretic_frac"]["mean"]), str(a["faults"]),
          str(a["safety_stops"])) for name, a in summary["arms"].items()],
        widths=(0.24, 0.09, 0.09, 0.13, 0.12, 0.1, 0.07, 0.06))
    effects = render.Table(
        "Effects (95 % confidence intervals, MixedLM)",
        ("outcome", "arm", "difference", "95 % CI", "p"),
        [(e["outcome"], f"{e['plan']} vs {e['reference']}", _txt(e["difference"]),
          f"{_txt(e['ci95_low'])} to {_txt(e['ci95_high'])}", _txt(e["p_value"]))
         for e in summary["effects"]],
        widths=(0.2, 0.3, 0.12, 0.18, 0.08))
    plans = [f"{p['name']} ({p['controller']}): {p['description']}" for p in summary["plans"]]
    return render.ReportContent(
        header=header, sections=[("Plans", plans)], tables=[arms, effects],
        plots=[render.Plot(f"{label} (SIMULATED)", partial(_draw_curves, df=df, col=col,
                                                            label=label))
               for col, label in _CURVES])


def write_report_pdf(df: pd.DataFrame, summary: dict[str, Any], out: Path) -> int:
    """Write the report as a PDF (whole or not at all); returns its number of pages."""
    return render.write_pdf(report_content(df, summary), out)
