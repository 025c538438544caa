"""The clinical envelope: sessions across every setting a therapist may choose, without a
false fault.

A patient progresses by training with less body-weight support, less guidance and a faster
belt, so a station has to work across the whole range, not only at its defaults. Each
:class:`EnvelopeCase` is one short SIMULATED session that starts, walks, pauses, resumes
and ends; :func:`run_case` runs it through the session builder and judges it:

- outcome: ``ok``, or the first fault that stopped the session (none is injected, so any
  stop is a false fault), or the error a setting raised;
- the worst cuff (interaction) torque, against the supervisor's limits;
- clipped commands: ticks on which the controller asked a drive for more than its continuous
  torque limit (the supervisor clipped it);
- strides per session: the patient walked.

``gaitway validate envelope`` runs :func:`grid` over a process pool and writes the table
(:func:`write_table`). The property test samples the same cases at random
(tests/harnesses/test_envelope.py).
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np

from gaitway.control.settings import (
    MAX_FLOW_NM,
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    ROM_SCALE,
)
from gaitway.errors import UserError
from gaitway.recording import RECORDING_FILENAME, open_recording
from gaitway.safety.limits import PatientLimits
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.station.sim.profiles import PROFILES

#: the settings' edges (what the CLI accepts), in the units at the edge
BWS_PCT: Final[tuple[float, float]] = (0.0, 60.0)
GUIDANCE_PCT: Final[tuple[float, float]] = (0.0, 100.0)
SPEED_KMH: Final[tuple[float, float]] = (0.5, 3.2)
CUFF_CHANNELS: Final[tuple[str, ...]] = tuple(
    f"interaction_torque_{c}_{s}" for c in ("thigh", "shank") for s in ("left", "right"))
_LIMITS: Final = PatientLimits.from_measured_range(body_mass_kg=75.0)


@dataclass(frozen=True, slots=True)
class EnvelopeCase:
    """One session of the envelope: a patient, a controller and its settings."""

    profile: str
    controller: str = "guidance"
    bws_pct: float = 30.0
    guidance_pct: float = 60.0
    speed_kmh: float = 2.0
    self_paced: bool = False
    tunnel_width_deg: float = 5.0
    path_flow_nm: float = 0.0
    aan_min_pct: float = 30.0
    aan_max_pct: float = 100.0
    resist_damping: float = 5.0
    resist_torque_nm: float = 0.0
    hip_rom_scale: float = 1.0
    knee_rom_scale: float = 1.0
    #: session length (s), and a pause of ``pause_for_s`` starting at ``pause_at_s``
    seconds: float = 20.0
    pause_at_s: float = 9.0
    pause_for_s: float = 2.0
    seed: int = 1

    def config(self) -> SessionSettings:
        """The session's settings, as ``gaitway simulate`` would give them."""
        return SessionSettings(
            profile=self.profile, minutes=self.seconds / 60.0, seed=self.seed,
            guidance_pct=self.guidance_pct, bws_pct=self.bws_pct, speed_kmh=self.speed_kmh,
            controller=self.controller, self_paced=self.self_paced,
            tunnel_width_deg=self.tunnel_width_deg, path_flow_nm=self.path_flow_nm,
            aan_min_pct=self.aan_min_pct, aan_max_pct=self.aan_max_pct,
            resist_damping_nms_per_rad=self.resist_damping, resist_torque_nm=self.resist_torque_nm,
            hip_rom_scale=self.hip_rom_scale, knee_rom_scale=self.knee_rom_scale,
            # the patient's own stop button and pain reports are real stops, not false ones:
            # the envelope asks whether the station stops itself
            patient_events=False,
            pauses=(f"{self.pause_at_s:g}:{self.pause_for_s:g}",) if self.pause_for_s > 0 else (),
        )

    @property
    def label(self) -> str:
        speed = f"{self.speed_kmh:g} km/h" + (" self-paced" if self.self_paced else "")
        extra = {"guidance": f"guidance {self.guidance_pct:g} %",
                 "path": f"tunnel {self.tunnel_width_deg:g} deg, flow {self.path_flow_nm:g} N*m",
                 "aan": f"support {self.aan_min_pct:g}-{self.aan_max_pct:g} %",
                 "resist": f"damping {self.resist_damping:g}, torque {self.resist_torque_nm:g} N*m",
                 }[self.controller]
        return f"{self.profile}, {self.controller} ({extra}), BWS {self.bws_pct:g} %, {speed}"


@dataclass(frozen=True, slots=True)
class EnvelopeOutcome:
    """How one case went (see the module docstring)."""

    case: EnvelopeCase
    #: "ok", "fault: KIND", or "error: MESSAGE"
    outcome: str
    duration_s: float
    strides: int
    worst_cuff_nm: float
    worst_cuff_at: str
    clipped_torque_ticks: int
    #: every warning kind the supervisor raised (its soft limits), with counts
    warnings: dict[str, int]
    resumed: bool
    #: session time of the stopping fault (None: no stop)
    fault_at_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok" and self.clipped_torque_ticks == 0 and self.resumed


def run_case(case: EnvelopeCase, work_dir: Path | None = None) -> EnvelopeOutcome:
    """Run one case in ``work_dir`` (a temporary folder if None, removed afterwards)."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="gaitway-envelope-") as tmp:
            return run_case(case, Path(tmp))
    out = work_dir / "session"
    try:
        summary = run_session(case.config().validate(), out)
    except UserError as exc:
        return EnvelopeOutcome(case, f"error: {exc}", 0.0, 0, 0.0, "", 0, {}, False)
    faults = summary.faults
    stops = [f for f in faults if f["reaction"] != "warn"]
    warnings: dict[str, int] = {}
    for f in faults:
        if f["reaction"] == "warn":
            warnings[f["kind"]] = warnings.get(f["kind"], 0) + 1
    rec = open_recording(out / RECORDING_FILENAME)
    ts = rec.read(CUFF_CHANNELS)
    peaks = {c: float(np.max(np.abs(ts.data[c]))) if ts.time.size else 0.0
             for c in CUFF_CHANNELS}
    worst = max(peaks, key=lambda c: peaks[c])
    kinds = {e.kind for e in rec.events}
    resumed = case.pause_for_s <= 0 or {"session_paused", "session_resumed"} <= kinds
    return EnvelopeOutcome(
        case=case,
        outcome=f"fault: {stops[0]['kind']}" if stops else "ok",
        duration_s=summary.duration_s,
        strides=summary.strides.total,
        worst_cuff_nm=round(peaks[worst], 1),
        worst_cuff_at=worst.removeprefix("interaction_torque_"),
        clipped_torque_ticks=summary.safety.clipped_torque_ticks,
        warnings=warnings,
        resumed=resumed,
        fault_at_s=float(stops[0]["detected_at_s"]) if stops else None,
    )


def _controller_variants(quick: bool) -> list[dict[str, float | str]]:
    """Each controller at the edges of its own settings (what the CLI accepts)."""
    guid = (0.0, 100.0) if quick else (0.0, 50.0, 100.0)
    out: list[dict[str, float | str]] = [
        {"controller": "guidance", "guidance_pct": g} for g in guid]
    out += [{"controller": "path", "tunnel_width_deg": 0.0, "path_flow_nm": MAX_FLOW_NM},
            {"controller": "path", "tunnel_width_deg": 30.0, "path_flow_nm": 0.0},
            {"controller": "aan", "aan_min_pct": 0.0, "aan_max_pct": 100.0},
            {"controller": "aan", "aan_min_pct": 100.0, "aan_max_pct": 100.0},
            {"controller": "resist", "resist_damping": MAX_RESIST_DAMPING,
             "resist_torque_nm": MAX_RESIST_TORQUE_NM},
            {"controller": "resist", "resist_damping": 0.0, "resist_torque_nm": 0.0}]
    if quick:
        out = [out[0], out[1], out[2], out[4], out[6]]
    return out


def grid(*, quick: bool = False, profiles: Sequence[str] | None = None,
         seconds: float = 20.0) -> list[EnvelopeCase]:
    """The full grid: profiles x controller settings x BWS x belt speed (fixed and
    self-paced), and the range-of-motion scales at their edges. ``quick``: two profiles at
    the extremes of the envelope, for CI."""
    names = list(profiles or (("healthy", "hemiparetic-left-severe") if quick
                              else PROFILES))
    for n in names:
        if n not in PROFILES:
            raise UserError(f"unknown profile {n!r}; see gaitway profiles")
    bws = BWS_PCT if quick else (0.0, 30.0, 60.0)
    speeds: tuple[tuple[float, bool], ...] = (
        ((0.5, False), (3.2, False), (2.0, True)) if quick
        else ((0.5, False), (2.0, False), (3.2, False), (2.0, True)))
    cases = []
    for name, variant, b, (v, paced) in itertools.product(
            names, _controller_variants(quick), bws, speeds):
        base = EnvelopeCase(profile=name, bws_pct=b, speed_kmh=v, self_paced=paced,
                            seconds=seconds)
        cases.append(replace(base, **variant))  # type: ignore[arg-type]
    for name, (hip, knee) in itertools.product(
            names, ((ROM_SCALE[0], ROM_SCALE[0]), (ROM_SCALE[1], ROM_SCALE[1]))):
        cases.append(EnvelopeCase(profile=name, hip_rom_scale=hip, knee_rom_scale=knee,
                                  bws_pct=0.0, speed_kmh=3.2, guidance_pct=100.0,
                                  seconds=seconds))
    return cases


def run_grid(cases: Iterable[EnvelopeCase], *, workers: int | None = None,
             progress: Callable[[EnvelopeOutcome], object] | None = None
             ) -> list[EnvelopeOutcome]:
    """Every case in a process pool (one process per core by default), in case order."""
    todo = list(cases)
    n = workers or max(1, min(len(todo), os.cpu_count() or 1))
    out: list[EnvelopeOutcome] = []
    if n == 1:
        for c in todo:
            out.append(run_case(c))
            if progress is not None:
                progress(out[-1])
        return out
    with ProcessPoolExecutor(max_workers=n) as pool:
        for res in pool.map(run_case, todo, chunksize=1):
            out.append(res)
            if progress is not None:
                progress(res)
    return out


def write_table(outcomes: Sequence[EnvelopeOutcome], path: Path, *, title_note: str = ""
                ) -> None:
    """The envelope as a Markdown table (and the raw outcomes as JSON beside it)."""
    bad = [o for o in outcomes if not o.ok]
    clipped = sum(1 for o in outcomes if o.clipped_torque_ticks)
    lines = [
        "# The clinical envelope (SIMULATED)",
        "",
        "Regenerate with `gaitway validate envelope --out docs/validation`"
        + (f" ({title_note})" if title_note else "") + ". Each row is one short SIMULATED "
        "session on the MuJoCo twin (virtual patient, seed 1, no patient stop button) that "
        "starts, walks, pauses, resumes and ends. No fault is injected, so any stop is a "
        "false fault. Worst cuff torque is the largest interaction torque at any cuff "
        f"(warning above {_LIMITS.interaction_soft:g} N*m, fault above "
        f"{_LIMITS.interaction_hard:g} N*m for {_LIMITS.interaction_ticks} ticks); clipped "
        "commands are ticks on which a drive was asked for more than its continuous torque "
        "limit.",
        "",
        f"**{len(outcomes)} sessions: {len(outcomes) - len(bad)} without a false fault, a "
        f"clipped command or a failed resume; {sum(1 for o in outcomes if o.outcome != 'ok')}"
        f" stopped by a fault; {clipped} with clipped commands.**",
        "",
        "| case | outcome | worst cuff N*m | clipped ticks | strides | warnings |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        warn = ", ".join(f"{k} x{n}" for k, n in sorted(o.warnings.items())) or "-"
        outcome = o.outcome if o.resumed else f"{o.outcome} (no resume)"
        lines.append(f"| {o.case.label} | {outcome} | {o.worst_cuff_nm:.1f} "
                     f"({o.worst_cuff_at}) | {o.clipped_torque_ticks} | {o.strides} | {warn} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.with_suffix(".json").write_text(json.dumps(
        [{**asdict(o), "ok": o.ok} for o in outcomes], indent=1) + "\n")
