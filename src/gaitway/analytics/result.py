"""The analysis result: the typed, versioned contract between analytics and the clinic.

:func:`gaitway.analytics.analyze.analyze_result` returns one :class:`AnalysisResult`; its JSON
(``gaitway analyze --json``, the store's columns) is :meth:`AnalysisResult.to_dict`, and
:meth:`AnalysisResult.from_dict` reads it back, checked: the same code both ways. Session
metrics are :class:`Metric` records (value, unit, formula) named as
:mod:`gaitway.analytics.session_metrics` names them; per-stride records keep the names of
:mod:`gaitway.analytics.stride_metrics` (units in the names).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gaitway.errors import UserError

ANALYSIS_SCHEMA_VERSION: Final[int] = 1
SIDES: Final[tuple[str, str]] = ("left", "right")

StrideRecord = dict[str, float | None]


@dataclass(frozen=True)
class Metric:
    """One session metric: its value, its unit and, for symmetry values, its formula."""

    #: None: it could not be computed (parameters.unavailable_metrics says why)
    value: float | None
    unit: str
    formula: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "unit": self.unit}
        if self.formula is not None:
            d["formula"] = self.formula
        return d


@dataclass(frozen=True)
class GaitEventRecord:
    time_s: float
    side: str
    kind: str
    #: how it was found ("force", "kinematics", "file", ...): gaitway.analytics.gait_data
    source: str = ""


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one analysis found in one recording or lab file."""

    source: str = ""
    origin: str = ""
    schema_version: int = ANALYSIS_SCHEMA_VERSION
    notes: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    events: tuple[GaitEventRecord, ...] = ()
    #: per side, one record per valid stride (keys: gaitway.analytics.stride_metrics)
    strides: dict[str, tuple[StrideRecord, ...]] = field(default_factory=dict)
    rejected_strides: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    #: per side and joint: mean and SD curves over the gait cycle (deg)
    cycles: dict[str, Any] = field(default_factory=dict)
    emg: dict[str, Any] = field(default_factory=dict)
    detected_vs_file_events: dict[str, Any] | None = None
    validation: dict[str, Any] | None = None

    # -- reading ------------------------------------------------------------------------------
    def metric(self, name: str) -> float | None:
        """The value of session metric ``name`` (None: not computed for this recording)."""
        m = self.metrics.get(name)
        return (m.value if m is not None and m.value is not None and math.isfinite(m.value)
                else None)

    def sides_mean(self, stem: str) -> float | None:
        """The mean of the left and right session means of a per-stride value."""
        found = [v for v in (self.metric(f"{stem}_{side}_mean") for side in SIDES)
                 if v is not None]
        return sum(found) / len(found) if found else None

    @property
    def n_strides(self) -> int:
        return sum(len(v) for v in self.strides.values())

    # -- as JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema_version": self.schema_version,
            "source": self.source,
            "origin": self.origin,
            "notes": list(self.notes),
            "parameters": self.parameters,
            "events": [{"time_s": e.time_s, "side": e.side, "kind": e.kind, "source": e.source}
                       for e in self.events],
            "strides": {s: list(v) for s, v in self.strides.items()},
            "rejected_strides": {s: list(v) for s, v in self.rejected_strides.items()},
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "cycles": self.cycles,
            "emg": self.emg,
        }
        if self.detected_vs_file_events is not None:
            d["detected_vs_file_events"] = self.detected_vs_file_events
        if self.validation is not None:
            d["validation"] = self.validation
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "analysis") -> AnalysisResult:
        """Read an analysis result's JSON; what does not fit is a UserError naming it."""
        if not isinstance(data, Mapping):
            raise UserError(f"{where} must be an object, found {type(data).__name__}")
        known = {"schema_version", "source", "origin", "notes", "parameters", "events",
                 "strides", "rejected_strides", "metrics", "cycles", "emg",
                 "detected_vs_file_events", "validation"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"{where}: unknown field(s) {', '.join(unknown)}")
        version = data.get("schema_version", ANALYSIS_SCHEMA_VERSION)
        if version != ANALYSIS_SCHEMA_VERSION:
            raise UserError(f"{where} has analysis schema version {version!r}; this Gaitway "
                            f"reads version {ANALYSIS_SCHEMA_VERSION}")
        try:
            return cls(
                schema_version=int(version),
                source=str(data.get("source", "")),
                origin=str(data.get("origin", "")),
                notes=tuple(str(n) for n in data.get("notes") or ()),
                parameters=dict(data.get("parameters") or {}),
                events=tuple(GaitEventRecord(float(e["time_s"]), str(e.get("side")),
                                             str(e["kind"]), str(e.get("source", "")))
                             for e in data.get("events") or ()),
                strides={str(side): tuple(dict(r) for r in recs if isinstance(r, Mapping))
                         for side, recs in (data.get("strides") or {}).items()},
                rejected_strides={str(side): tuple(dict(r) for r in recs)
                                  for side, recs in (data.get("rejected_strides") or {}).items()},
                metrics={str(k): _metric(k, v, where) for k, v in
                         (data.get("metrics") or {}).items()},
                cycles=dict(data.get("cycles") or {}),
                emg=dict(data.get("emg") or {}),
                detected_vs_file_events=data.get("detected_vs_file_events"),
                validation=data.get("validation"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{where}: not an analysis result ({exc!r})") from None


def _metric(name: str, v: Any, where: str) -> Metric:
    if not isinstance(v, Mapping) or "value" not in v or "unit" not in v:
        raise UserError(f"{where}: metric {name!r} needs a value and a unit, got {v!r}")
    value = v["value"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise UserError(f"{where}: metric {name!r} has value {value!r}, not a number")
    formula = v.get("formula")
    return Metric(None if value is None else float(value), str(v["unit"]),
                  None if formula is None else str(formula))
