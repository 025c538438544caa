"""A self-contained HTML page of one analysis: joint-angle curves over the cycle, forces per
side with their events, symmetry, and the session metrics table."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import numpy as np

from gaitway.analytics.gait_data import GaitData

COLOURS = {"left": "#1f77b4", "right": "#d62728"}


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _cycles_plot(result: dict[str, Any]) -> str | None:
    import matplotlib.pyplot as plt

    cycles = result.get("cycles") or {}
    joints = sorted({j for side in cycles.values() for j in side}, key="hip knee ankle".find)
    if not joints:
        return None
    fig, axes = plt.subplots(1, len(joints), figsize=(4.2 * len(joints), 3.2), squeeze=False)
    x = np.linspace(0, 100, 101)
    for ax, joint in zip(axes[0], joints, strict=True):
        for side, per in cycles.items():
            if joint not in per:
                continue
            m, sd = np.array(per[joint]["mean"]), np.array(per[joint]["sd"])
            ax.plot(x, m, color=COLOURS[side], label=f"{side} (n={per[joint]['n_strides']})")
            ax.fill_between(x, m - sd, m + sd, color=COLOURS[side], alpha=0.2)
        ax.set_title(f"{joint} angle")
        ax.set_xlabel("% gait cycle")
        ax.set_ylabel("deg (flexion +)")
        ax.legend(fontsize=8)
    return _png(fig)


def _force_plot(result: dict[str, Any], data: GaitData) -> str | None:
    import matplotlib.pyplot as plt

    f = data.forces
    sides = data.sides_with_force()
    if f is None or not sides:
        return None
    t_end = min(float(f.time[-1]), float(f.time[0]) + 10.0)
    sel = f.time <= t_end
    fig, axes = plt.subplots(len(sides), 1, figsize=(11, 2.4 * len(sides)), squeeze=False)
    for ax, side in zip(axes[:, 0], sides, strict=True):
        ax.plot(f.time[sel], f.channels[f"grf_z_{side}"][sel], color=COLOURS[side], lw=1)
        for e in result["events"]:
            if e["side"] == side and e["time_s"] <= t_end:
                ax.axvline(
                    e["time_s"],
                    color="green" if e["kind"] == "heel_strike" else "black",
                    lw=0.8,
                    ls="-" if e["kind"] == "heel_strike" else "--",
                )
        ax.set_ylabel(f"{side} vertical force (N)")
    axes[-1, 0].set_xlabel("time (s); green: heel strike, dashed: toe-off (first 10 s)")
    return _png(fig)


def _symmetry_plot(result: dict[str, Any]) -> str | None:
    import matplotlib.pyplot as plt

    items = [
        (k.removeprefix("symmetry_index_"), v["value"])
        for k, v in result["metrics"].items()
        if k.startswith("symmetry_index_")
    ]
    if not items:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(items) + 1))
    names, vals = zip(*items, strict=True)
    ax.barh(names, vals, color=["#1f77b4" if v >= 0 else "#d62728" for v in vals])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("symmetry index, 100*(L-R)/(0.5*(L+R)) in %  (left larger: +)")
    return _png(fig)


def render_html(result: dict[str, Any], data: GaitData) -> str:
    """The report page as one string (images embedded)."""
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Gaitway gait analysis</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}"
        ".sim{background:#fff3cd;padding:.6em;border:1px solid #e0c060}</style></head><body>",
        f"<h1>Gait analysis: {esc(result['origin'])}</h1>",
    ]
    if result["source"] == "simulated":
        parts.append(
            "<p class='sim'><b>SIMULATED</b> data from a virtual patient, not a real "
            "person. No clinical conclusion may be drawn from it.</p>"
        )
    else:
        parts.append("<p>Source: real recording.</p>")
    for note in result.get("notes", []):
        parts.append(f"<p><i>{esc(note)}</i></p>")
    for title, img in (
        ("Joint angles over the gait cycle (mean and SD)", _cycles_plot(result)),
        ("Vertical force per side with events", _force_plot(result, data)),
        ("Symmetry", _symmetry_plot(result)),
    ):
        if img:
            parts.append(
                f"<h2>{title}</h2><img alt='{esc(title)}' src='data:image/png;base64,{img}'>"
            )
    parts.append(
        "<h2>Session metrics</h2><table><tr><th>metric</th><th>value</th>"
        "<th>unit</th><th>formula</th></tr>"
    )
    for k, v in result["metrics"].items():
        parts.append(
            f"<tr><td>{esc(k)}</td><td>{v['value']}</td><td>{esc(str(v['unit']))}"
            f"</td><td>{esc(str(v.get('formula', '')))}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)
