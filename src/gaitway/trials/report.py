"""The trial's report: DIR/report.html with the recovery curves per arm (SIMULATED).

One self-contained HTML file (the plot embedded as PNG) so it can be mailed or archived with
the results: the design, the plans, per-arm outcomes, the effect estimates, and two plots of
recovery curves (virtual 10MWT gait speed and paretic strength after each session; thin
lines one patient, thick the arm's mean).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

REPORT_FILE: Final[str] = "report.html"
_CURVES: Final[tuple[tuple[str, str], ...]] = (
    ("gait_speed_mps", "gait speed, virtual 10MWT (m/s)"),
    ("strength_paretic_frac", "paretic leg strength (1 = healthy)"),
)


def curves_png(df: pd.DataFrame) -> bytes:
    """Recovery curves per arm: one panel per outcome."""
    fig, axes = plt.subplots(1, len(_CURVES), figsize=(10, 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (col, label) in zip(axes, _CURVES, strict=True):
        for i, (plan, arm) in enumerate(df.groupby("plan", sort=False)):
            c = colours[i % len(colours)]
            for _, one in arm.groupby("patient"):
                ax.plot(one["session"], one[col], color=c, lw=0.6, alpha=0.35)
            mean = arm.groupby("session")[col].mean()
            ax.plot(mean.index, mean.to_numpy(), color=c, lw=2.2, marker="o", label=str(plan))
        ax.set(xlabel="session", ylabel=label, title=f"{label.split(',')[0]} (SIMULATED)")
        ax.legend(fontsize=7)
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
