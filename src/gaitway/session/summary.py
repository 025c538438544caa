"""The session summary: the typed, versioned contract between a session and the clinic.

Every session (headless, console, station host) ends with one :class:`SessionSummary`, written
to ``summary.json`` by :meth:`SessionSummary.write` and read back by :meth:`SessionSummary.read`
(the clinic importer, reports, the CLI): the same code both ways, so no reader guesses a key or
a unit. Units are in the field names. Adding a field is one line here (with a default, so that
summaries of this schema version without it still read).

Summaries written before the schema was versioned (version 1: the headless runner's and the
console's two formats) are converted by :func:`upgrade_v1`, one place that knows their keys;
what cannot be converted is refused with one line saying why.

Light on purpose (no MuJoCo, no loop): the clinic imports it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final, TypeVar, Union

from gaitway.control.registry import check_controller
from gaitway.errors import UserError
from gaitway.session.settings import TIMED_ACTIONS, SessionSettings

SCHEMA_VERSION: Final[int] = 2
SUMMARY_FILENAME: Final[str] = "summary.json"
SIMULATED_LABEL: Final[str] = "SIMULATED SESSION: virtual patient on the MuJoCo twin"
PHASE_ERROR_NOTE: Final[str] = (
    "gait-phase estimate vs. the twin's true foot contact (simulated), strides from the start "
    "of training lasting within 15 % of the median stride")


@dataclass(frozen=True)
class SideValues:
    """One value per leg (None: no stride of that leg to compute it from)."""

    left: float | None = None
    right: float | None = None

    def mean(self) -> float | None:
        found = [v for v in (self.left, self.right) if v is not None]
        return sum(found) / len(found) if found else None


@dataclass(frozen=True)
class SideCounts:
    left: int = 0
    right: int = 0

    @property
    def total(self) -> int:
        return self.left + self.right


@dataclass(frozen=True)
class JointValues:
    """One value per driven joint."""

    hip_left: float | None = None
    knee_left: float | None = None
    hip_right: float | None = None
    knee_right: float | None = None

    def rms(self) -> float | None:
        """Root mean square over the joints that have a value."""
        found = [v for v in dataclasses.astuple(self) if v is not None]
        return math.sqrt(sum(v * v for v in found) / len(found)) if found else None

    def mean(self) -> float | None:
        found = [v for v in dataclasses.astuple(self) if v is not None]
        return sum(found) / len(found) if found else None


@dataclass(frozen=True)
class PhaseError:
    """RMS gait-phase estimation error in % of the cycle, over the steady strides of training
    (simulated truth: the twin's true foot contact)."""

    rms_pct: SideValues = field(default_factory=SideValues)
    overall_rms_pct: float | None = None
    steady_strides: SideCounts = field(default_factory=SideCounts)
    scored_strides: SideCounts = field(default_factory=SideCounts)
    note: str = PHASE_ERROR_NOTE


@dataclass(frozen=True)
class LoopTiming:
    """A paced loop's timing (headless sessions run free and have none)."""

    ticks: int
    overruns: int
    period_median_us: float
    jitter_median_us: float
    jitter_p99_us: float
    jitter_max_us: float
    #: whose time the loop kept ("simulated": late ticks fell behind, "real": overruns)
    time_base: str = "real"
    #: simulated time given up when the schedule slipped (behind wall time), seconds
    behind_s: float = 0.0
    #: how often the schedule slipped
    slips: int = 0
    #: the latest any tick started after its deadline, seconds
    max_lag_s: float = 0.0


@dataclass(frozen=True)
class SafetySummary:
    """What the safety layer says about the session."""

    ended_by_fault: bool = False
    #: None when no fault ended the session
    safe_state_reached: bool | None = None
    #: each acknowledgement, accepted or refused: {by, at_s, accepted, reason, faults}
    acknowledgements: tuple[dict[str, Any], ...] = ()
    resumed: int = 0
    missed_ticks: int = 0
    loop_overruns: int = 0
    warnings: int = 0
    limited_ticks: int = 0
    #: ticks on which the controller asked a drive for more than its continuous (soft) torque
    #: limit and the supervisor clipped it; a normal start, walk or resume has none
    clipped_torque_ticks: int = 0


@dataclass(frozen=True)
class PatientEffort:
    """The virtual patient's own effort over the training (SIMULATED truth: a real station
    does not measure it). Definitions and sign conventions: docs/metrics.md."""

    #: 100 * the patient's positive work / (the patient's + the robot's), hip and knee
    active_participation_pct: float | None = None
    active_participation_pct_by_joint: JointValues = field(default_factory=JointValues)
    #: the patient's own positive work per stride of that leg (J)
    patient_positive_work_per_stride_j: JointValues = field(default_factory=JointValues)
    #: mean true activation (0-1) of the 8 modelled muscles; of the antigravity ones (vastus
    #: lateralis, gastrocnemius medialis); the legs' drive learnt stride by stride (slacking)
    activation: float | None = None
    antigravity_activation: float | None = None
    drive: float | None = None
    #: mean true activation of each muscle, keyed like its EMG channel ("<muscle>_<side>",
    #: gaitway.station.channels.EMG_MUSCLES and SIDES); the truth channels hold it per tick
    activation_by_muscle: dict[str, float] = field(default_factory=dict)
    label: str = "SIMULATED ground truth of the virtual patient"


@dataclass(frozen=True)
class SessionSummary:
    """What a finished session reports (summary.json)."""

    session_id: str
    simulated: bool
    label: str
    profile: str
    seed: int
    controller: str
    settings: SessionSettings
    ended_by: str
    duration_s: float
    strides: SideCounts
    tracking_error_rms_deg: JointValues
    #: cuff torque against the joint's motion per radian travelled (docs/metrics.md):
    #: positive, the leg moves against the robot; negative, the robot carries it
    active_participation_nm: SideValues
    schema_version: int = SCHEMA_VERSION
    #: the patient's pseudonym and the station's name (console and station sessions)
    patient: str | None = None
    station: str | None = None
    started_at: str | None = None
    paused_s: float = 0.0
    training_clock_s: float | None = None
    wall_time_s: float | None = None
    real_time_factor: float | None = None
    mean_cadence_steps_per_min: float | None = None
    #: the robot's net work per stride (with - against the patient), and each part (J, >= 0)
    robot_work_per_stride_j: JointValues | None = None
    robot_assist_work_per_stride_j: JointValues | None = None
    robot_resist_work_per_stride_j: JointValues | None = None
    #: simulated sessions: the patient's own effort (truth)
    effort: PatientEffort | None = None
    phase_error: PhaseError | None = None
    metrics_from_s: float = 0.0
    fatigue_detections: int = 0
    automatic_changes: int = 0
    #: simulated truth: the virtual patient's fatigue when the session ended (0-1)
    patient_fatigue_end: float | None = None
    recording: str | None = "recording.gwrec"
    loop_timing: LoopTiming | None = None
    #: each fault: the safety layer's record (kind, injected/detected/safe-state times, ...)
    faults: tuple[dict[str, Any], ...] = ()
    #: injected faults and the session time they were injected at
    injected_at_s: dict[str, float] = field(default_factory=dict)
    safety: SafetySummary = field(default_factory=SafetySummary)
    #: the station between the loop and the twin: "twin" (none), "canopen", "replay"
    transport: str = "twin"
    #: what an upgrade from an older schema could not carry over (empty for current ones)
    upgrade_notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_controller(self.controller)

    # -- as JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _plain(dataclasses.asdict(self))
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, directory: Path) -> Path:
        path = Path(directory) / SUMMARY_FILENAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = SUMMARY_FILENAME
                  ) -> SessionSummary:
        """Read a summary of any schema version this Gaitway knows; UserError otherwise."""
        if not isinstance(data, dict):
            raise UserError(f"{where} must hold a JSON object, found {type(data).__name__}")
        version = data.get("schema_version", 1)
        if version == 1:
            data = upgrade_v1(data, where=where)
        elif version != SCHEMA_VERSION:
            raise UserError(f"{where} has summary schema version {version!r}; this Gaitway "
                            f"reads versions 1-{SCHEMA_VERSION}: update Gaitway to import it")
        return _build(cls, data, where)

    @classmethod
    def read(cls, directory: Path) -> SessionSummary | None:
        """The summary in ``directory`` (None: there is none, the session did not finish)."""
        path = Path(directory) / SUMMARY_FILENAME
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(f"{path} is not readable JSON ({exc}); fix or remove it") from None
        return cls.from_dict(data, where=str(path))


# ------------------------------------------------------------------------------ version 1

#: the version-1 settings keys that are not settings (where the session went, who, how)
_V1_NOT_SETTINGS: Final[frozenset[str]] = frozenset(
    {"out_dir", "extra", "source", "patient", "station"})
_V1_RENAMED: Final[dict[str, str]] = {"resist_damping": "resist_damping_nms_per_rad"}


def settings_from_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Version-1 settings (summary or recording metadata) as SessionSettings fields: renamed
    fields renamed, what was not a setting (output folder, source, patient, station) left out."""
    return {_V1_RENAMED.get(k, k): v for k, v in raw.items() if k not in _V1_NOT_SETTINGS}


def upgrade_v1(data: dict[str, Any], *, where: str = SUMMARY_FILENAME) -> dict[str, Any]:
    """A version-1 summary (before the schema was versioned) as a version-2 dict.

    Version 1 had two writers: the headless runner (``gaitway simulate``) and the console
    (``web/live_record``, label "SIMULATED live console session"). Both wrote participation
    as ``active_participation`` {left, right} with ``active_participation_unit`` in N*m; a
    bare number there (the old test fixtures' format, never written by a session) has no unit
    and is refused rather than guessed.
    """
    d = dict(data)
    notes: list[str] = ["upgraded from summary schema version 1"]
    part = d.pop("active_participation", None)
    unit = str(d.pop("active_participation_unit", "") or "")
    if part is not None:
        if not isinstance(part, dict) or not unit.startswith("N*m"):
            raise UserError(
                f"{where}: active_participation {part!r} has no unit in N*m; Gaitway never "
                "wrote this format, so it cannot be imported without guessing its unit")
        d["active_participation_nm"] = part
    else:
        d["active_participation_nm"] = {}
    raw = dict(d.get("settings") or {})
    extra = raw.get("extra")
    if extra:
        notes.append(f"settings.extra dropped: {extra!r}")
    raw.setdefault("profile", d.get("profile"))
    raw.setdefault("minutes", round(float(d.get("duration_s") or 60.0) / 60.0, 4))
    settings = settings_from_v1(raw)
    missing = [f.name for f in fields(SessionSettings)
               if f.name not in settings and f.name not in TIMED_ACTIONS]
    if missing:
        notes.append("settings not recorded by version 1 (defaults shown): "
                     + ", ".join(missing))
    d["settings"] = settings
    if "jitter" in d:
        d["loop_timing"] = d.pop("jitter")
    if "injected" in d:
        d["injected_at_s"] = d.pop("injected")
    if "phase_error_rms_pct" in d:
        rms = dict(d.pop("phase_error_rms_pct") or {})
        counts = dict(d.pop("phase_error_strides", None) or {})
        d.pop("phase_error_note", None)
        d["phase_error"] = {
            "rms_pct": {"left": rms.get("left"), "right": rms.get("right")},
            "overall_rms_pct": rms.get("overall"),
            "steady_strides": counts.get("steady") or {},
            "scored_strides": counts.get("scored") or {},
        }
    d["label"] = str(d.get("label") or SIMULATED_LABEL)
    if "controller" not in d:
        raise UserError(f"{where}: the summary names no controller; cannot import it")
    d["schema_version"] = SCHEMA_VERSION
    d["upgrade_notes"] = notes
    return d


# ------------------------------------------------------------------------------ decoding

T = TypeVar("T")


def _plain(x: Any) -> Any:
    """Tuples as lists and non-finite floats as null: strict JSON."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


def _build(cls: type[T], data: Any, where: str) -> T:
    """A dataclass from plain JSON data, checked field by field against its type hints."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected an object, found {data!r}")
    if cls is SessionSettings:
        return typing.cast(T, SessionSettings.from_dict(data, where=where))
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise UserError(f"{where}: unknown field(s) {', '.join(unknown)} (written by a newer "
                        "Gaitway?)")
    values = {k: _value(hints[k], v, f"{where}: {k}") for k, v in data.items()}
    try:
        return cls(**values)
    except TypeError as exc:
        raise UserError(f"{where}: {exc}") from None


def _value(tp: Any, v: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        if v is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _value(inner[0], v, where)
    if tp is Any:
        return v
    if dataclasses.is_dataclass(tp):
        return _build(typing.cast(type, tp), v, where)
    if origin is tuple:
        if not isinstance(v, list | tuple):
            raise UserError(f"{where} must be a list, got {v!r}")
        return tuple(_value(args[0], x, where) for x in v)
    if origin is dict:
        if not isinstance(v, dict):
            raise UserError(f"{where} must be an object, got {v!r}")
        return {str(k): _value(args[1], x, where) for k, x in v.items()}
    if tp is float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise UserError(f"{where} must be a number, got {v!r}")
        return float(v)
    if tp is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise UserError(f"{where} must be a whole number, got {v!r}")
        return v
    if tp is bool:
        if not isinstance(v, bool):
            raise UserError(f"{where} must be true or false, got {v!r}")
        return v
    if tp is str:
        if not isinstance(v, str):
            raise UserError(f"{where} must be text, got {v!r}")
        return v
    return v
