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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from gaitway.control.registry import CONTROLLER_NAMES
from gaitway.control.settings import (
    MAX_FLOW_NM,
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    ROM_SCALE,
)
from gaitway.errors import UserError
from gaitway.gait.reference import JointRom, RomSettings, max_walkable_speed_m_s
from gaitway.recording import RECORDING_FILENAME, open_recording
from gaitway.safety.limits import PatientLimits
from gaitway.session.runner import run_session
from gaitway.session.settings import TWIN_BODY_CORNERS, SessionSettings
from gaitway.station.sim.patient import knee_extensor_max_nm
from gaitway.station.sim.profiles import PROFILES

#: the settings' edges (what the CLI accepts), in the units at the edge
BWS_PCT: Final[tuple[float, float]] = (0.0, 60.0)
GUIDANCE_PCT: Final[tuple[float, float]] = (0.0, 100.0)
SPEED_KMH: Final[tuple[float, float]] = (0.5, 3.2)
CUFF_CHANNELS: Final[tuple[str, ...]] = tuple(
    f"interaction_torque_{c}_{s}" for c in ("thigh", "shank") for s in ("left", "right"))
_LIMITS: Final = PatientLimits.from_measured_range(body_mass_kg=75.0)


#: the knee-extending moment (N*m per kg of body weight carried) a leg must give to walk:
#: the peak internal knee extensor moment of unimpaired adults' walking, about 0.5 N*m/kg in
#: early stance at their own speed (Winter 1991, The Biomechanics and Motor Control of Human
#: Gait, normative data), scaled by the share of the weight the harness leaves to the legs
KNEE_MOMENT_TO_WALK_NM_PER_KG: Final[float] = 0.5


def expected_stop(settings: SessionSettings) -> str | None:
    """Why a stop of this session is the virtual patient's, not the station's: its weaker
    knee cannot carry the body weight the harness leaves it (None: it can, and any stop is
    a false fault). Computed from the profile's own strength model, never a list of cases:
    a severe hemiparesis (0.42 N*m/kg at its participation) at 0 % support, not at 30 %."""
    profile = settings.patient_profile(PROFILES[settings.profile])
    carried = 1.0 - settings.bws_pct / 100.0
    if carried <= 0.0:
        return None
    left, right = knee_extensor_max_nm(profile)
    side, strongest = ("left", left) if left <= right else ("right", right)
    capacity = strongest / (profile.mass_kg * carried)
    if capacity >= KNEE_MOMENT_TO_WALK_NM_PER_KG:
        return None
    return (f"the {side} knee gives {capacity:.2f} N*m/kg of the weight left to carry "
            f"({carried:.0%}), walking needs {KNEE_MOMENT_TO_WALK_NM_PER_KG:g}")


#: the scheduled pause: at this share of the session, for this long (s)
PAUSE_AT_SHARE: Final[float] = 0.45
PAUSE_FOR_S: Final[float] = 2.0


@dataclass(frozen=True, slots=True)
class EnvelopeCase:
    """One session of the envelope: its :class:`SessionSettings`, as ``gaitway simulate``
    would give them (the same object every entry point builds a session from)."""

    settings: SessionSettings

    @classmethod
    def of(cls, profile: str, *, seconds: float = 20.0, pause_at_s: float | None = None,
           pause_for_s: float = PAUSE_FOR_S, seed: int = 1, **settings: Any) -> EnvelopeCase:
        """A case of ``seconds`` with a pause of ``pause_for_s`` at ``pause_at_s`` (default:
        at 45 % of the session); ``settings``: any other :class:`SessionSettings` field. The
        patient's own stop button and pain reports are real stops, not false ones, so they
        are off: the envelope asks whether the station stops itself."""
        at = seconds * PAUSE_AT_SHARE if pause_at_s is None else pause_at_s
        return cls(SessionSettings(
            profile=profile, minutes=seconds / 60.0, seed=seed, patient_events=False,
            pauses=(f"{at:g}:{pause_for_s:g}",) if pause_for_s > 0 else (), **settings))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnvelopeCase:
        """The inverse of ``asdict`` (the JSON beside the table)."""
        return cls(SessionSettings.from_dict(data["settings"], where="envelope case"))

    @property
    def seconds(self) -> float:
        return self.settings.minutes * 60.0

    @property
    def pauses(self) -> bool:
        return bool(self.settings.pauses)

    @property
    def label(self) -> str:
        s = self.settings
        speed = f"{s.speed_kmh:g} km/h" + (" self-paced" if s.self_paced else "")
        extra = {"guidance": f"guidance {s.guidance_pct:g} %",
                 "path": f"tunnel {s.tunnel_width_deg:g} deg, flow {s.path_flow_nm:g} N*m",
                 "aan": f"support {s.aan_min_pct:g}-{s.aan_max_pct:g} %",
                 "resist": f"damping {s.resist_damping_nms_per_rad:g}, "
                           f"torque {s.resist_torque_nm:g} N*m",
                 }.get(s.controller, "its defaults")
        rom = ("" if s.hip_rom_scale == s.knee_rom_scale == 1.0
               else f", ROM hip x{s.hip_rom_scale:g} knee x{s.knee_rom_scale:g}")
        body = "" if s.height_m is None and s.body_mass_kg is None else (
            ", body " + " ".join(f"{v:g} {unit}" for v, unit in ((s.height_m, "m"),
                                                                 (s.body_mass_kg, "kg"))
                                 if v is not None))
        return (f"{s.profile}, {s.controller} ({extra}), BWS {s.bws_pct:g} %, "
                f"{speed}{rom}{body}")


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
    #: why a stop (or a session without a stride) is the patient's own (expected_stop);
    #: None: the settings are within what the patient can carry
    expected: str | None = None

    @property
    def ok(self) -> bool:
        """No stop, no clipped command, resumed, and the patient walked (a session that
        ends without a fault but without a stride, the patient dragged along standing, is
        not one the station did its job in)."""
        return (self.outcome == "ok" and self.clipped_torque_ticks == 0 and self.resumed
                and self.strides > 0)

    @property
    def false_fault(self) -> bool:
        """Not ok, and not a stop the patient's own physics explains: the station's defect."""
        return not self.ok and (self.expected is None or self.clipped_torque_ticks > 0)

    @property
    def verdict(self) -> str:
        """The table's outcome column."""
        outcome = self.outcome if self.resumed else f"{self.outcome} (no resume)"
        if self.outcome == "ok" and not self.strides:
            outcome = "ok, but no stride"
        if not self.ok and not self.false_fault:
            outcome = f"true stop, expected ({self.expected}): {outcome}"
        return outcome


def run_case(case: EnvelopeCase, work_dir: Path | None = None) -> EnvelopeOutcome:
    """Run one case in ``work_dir`` (a temporary folder if None, removed afterwards)."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="gaitway-envelope-") as tmp:
            return run_case(case, Path(tmp))
    out = work_dir / "session"
    try:
        summary = run_session(case.settings.validate(), out)
    except UserError as exc:
        return EnvelopeOutcome(case, f"error: {exc}", 0.0, 0, 0.0, "", 0, {}, False)
    expected = expected_stop(case.settings)
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
    resumed = not case.pauses or {"session_paused", "session_resumed"} <= kinds
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
        expected=expected,
    )


#: each controller's own settings at the edges of what the CLI accepts (SessionSettings
#: fields); a controller not named here runs at its defaults, so a new controller joins the
#: envelope without an edit here (adding one is its module, its registry entry and a test)
_EDGES: Final[dict[str, tuple[dict[str, Any], ...]]] = {
    "guidance": ({"guidance_pct": 0.0}, {"guidance_pct": 50.0}, {"guidance_pct": 100.0}),
    "path": ({"tunnel_width_deg": 0.0, "path_flow_nm": MAX_FLOW_NM},
             {"tunnel_width_deg": 30.0, "path_flow_nm": 0.0}),
    "aan": ({"aan_min_pct": 0.0, "aan_max_pct": 100.0},
            {"aan_min_pct": 100.0, "aan_max_pct": 100.0}),
    "resist": ({"resist_damping_nms_per_rad": MAX_RESIST_DAMPING,
                "resist_torque_nm": MAX_RESIST_TORQUE_NM},
               {"resist_damping_nms_per_rad": 0.0, "resist_torque_nm": 0.0}),
}


def _controller_variants(quick: bool) -> list[dict[str, Any]]:
    """Each registered controller at the edges of its own settings (the quick grid: the
    outer two of guidance, the first of each other controller)."""
    out: list[dict[str, Any]] = []
    for name in CONTROLLER_NAMES:
        edges = _EDGES.get(name, ({},))
        if quick:
            edges = (edges[0], edges[-1]) if name == "guidance" else edges[:1]
        out += [{"controller": name, **e} for e in edges]
    return out


#: the patient's own body at the corners of what a session's twin takes (height, mass), each
#: in a guided session and an unguided one at the fastest belt (the profile's impairment in
#: another body; the rest of the grid walks in each profile's own body)
_BODY_CORNERS: Final[tuple[tuple[float, float], ...]] = TWIN_BODY_CORNERS
_BODY_SESSIONS: Final[tuple[dict[str, Any], ...]] = (
    {"controller": "guidance", "guidance_pct": 100.0, "bws_pct": 30.0, "speed_kmh": 2.0},
    {"controller": "guidance", "guidance_pct": 0.0, "bws_pct": 30.0, "speed_kmh": 3.2},
)


def grid(*, quick: bool = False, profiles: Sequence[str] | None = None,
         seconds: float = 20.0, match: Sequence[str] = (), seed: int = 1
         ) -> list[EnvelopeCase]:
    """The full grid: profiles x controller settings x BWS x belt speed (fixed and
    self-paced), and the range-of-motion scales at their edges (each at the fastest speed,
    up to 3.2 km/h, at which it covers the belt's travel: gaitway.gait.reference's
    check_walkable refuses a faster one), and the patient's own body at the corners of the
    twin's height and mass (not in the quick grid). ``quick``: two profiles at the extremes
    of the envelope, for CI. ``match``: only the cases whose table label holds
    every one of these texts (to run one row, or one controller's rows, again); ``seed``: the
    virtual patient's seed in every case (a row's stop checked at other seeds)."""
    cases = _grid(quick=quick, profiles=profiles, seconds=seconds, seed=seed)
    if not match:
        return cases
    picked = [c for c in cases if all(m in c.label for m in match)]
    if not picked:
        raise UserError(f"no envelope case's label holds all of {list(match)}; labels read "
                        f"like {cases[0].label!r}")
    return picked


def _grid(*, quick: bool, profiles: Sequence[str] | None, seconds: float, seed: int
          ) -> list[EnvelopeCase]:
    """Every case of the grid (see :func:`grid`)."""
    names = list(profiles or (("healthy", "hemiparetic-left-severe") if quick
                              else PROFILES))
    for n in names:
        if n not in PROFILES:
            raise UserError(f"unknown profile {n!r}; see gaitway profiles")
    bws = BWS_PCT if quick else (0.0, 30.0, 60.0)
    speeds: tuple[tuple[float, bool], ...] = (
        ((0.5, False), (3.2, False), (2.0, True)) if quick
        else ((0.5, False), (2.0, False), (3.2, False), (2.0, True)))
    cases = [EnvelopeCase.of(name, seconds=seconds, seed=seed, bws_pct=b, speed_kmh=v,
                             self_paced=paced, **variant)
             for name, variant, b, (v, paced) in itertools.product(
                 names, _controller_variants(quick), bws, speeds)]
    for name, (hip, knee) in itertools.product(
            names, ((ROM_SCALE[0], ROM_SCALE[0]), (ROM_SCALE[1], ROM_SCALE[1]))):
        rom = RomSettings(hip=JointRom(scale=hip), knee=JointRom(scale=knee))
        fastest = max_walkable_speed_m_s(PROFILES[name].height_m, rom,
                                         lo_m_s=SPEED_KMH[0] / 3.6, hi_m_s=3.2 / 3.6)
        if fastest is None:  # refused at every speed: nothing to walk
            continue
        cases.append(EnvelopeCase.of(name, seconds=seconds, seed=seed, hip_rom_scale=hip,
                                     knee_rom_scale=knee, bws_pct=0.0,
                                     speed_kmh=round(fastest * 3.6, 1), guidance_pct=100.0))
    if not quick:
        cases += [EnvelopeCase.of(name, seconds=seconds, seed=seed, height_m=h,
                                  body_mass_kg=m, **session)
                  for name, session, (h, m) in itertools.product(
                      names, _BODY_SESSIONS, _BODY_CORNERS)]
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
    false = [o for o in bad if o.false_fault]
    clipped = sum(1 for o in outcomes if o.clipped_torque_ticks)
    seeds = ", ".join(str(n) for n in sorted({o.case.settings.seed for o in outcomes})) or "1"
    lines = [
        "# The clinical envelope (SIMULATED)",
        "",
        "Regenerate with `gaitway validate envelope --out docs/validation`"
        + (f" ({title_note})" if title_note else "") + ". Each row is one short SIMULATED "
        f"session on the MuJoCo twin (virtual patient, seed {seeds}, no patient stop button) "
        "that starts, walks, pauses, resumes and ends. No fault is injected, so any stop is a "
        "false fault, unless the patient's own physics explains it: \"true stop, expected\" "
        "marks a session whose weaker knee gives less than "
        f"{KNEE_MOMENT_TO_WALK_NM_PER_KG:g} N*m per kg of the body weight the harness leaves "
        "it (the peak knee extensor moment of unimpaired walking, Winter 1991; computed from "
        "the profile's strength, see gaitway.harnesses.envelope.expected_stop). "
        "Worst cuff torque is the largest interaction torque at any cuff "
        f"(warning above {_LIMITS.interaction_soft:g} N*m, fault above "
        f"{_LIMITS.interaction_hard:g} N*m for {_LIMITS.interaction_ticks} ticks); clipped "
        "commands are ticks on which a drive was asked for more than its continuous torque "
        "limit.",
        "",
        f"**{len(outcomes)} sessions: {len(outcomes) - len(bad)} without a false fault, a "
        f"clipped command or a failed resume, and walking; "
        f"{sum(1 for o in outcomes if o.outcome != 'ok')} stopped by a fault; "
        f"{sum(1 for o in outcomes if o.outcome == 'ok' and not o.strides)} without a stride; "
        f"{clipped} with clipped commands; {len(false)} false faults (not ok and not "
        f"expected), {len(bad) - len(false)} expected true stops.**",
        "",
        "| case | outcome | worst cuff N*m | clipped ticks | strides | warnings |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        warn = ", ".join(f"{k} x{n}" for k, n in sorted(o.warnings.items())) or "-"
        lines.append(f"| {o.case.label} | {o.verdict} | {o.worst_cuff_nm:.1f} "
                     f"({o.worst_cuff_at}) | {o.clipped_torque_ticks} | {o.strides} | {warn} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.with_suffix(".json").write_text(json.dumps(
        [{**asdict(o), "ok": o.ok, "false_fault": o.false_fault} for o in outcomes],
        indent=1) + "\n")
