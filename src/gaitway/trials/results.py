"""A trial's results: sessions.parquet (one row per session) and summary.json (per-arm outcomes
at the end, effect estimates with 95 % confidence intervals from a linear mixed model). Every
table and file says SIMULATED.

Effect model (statsmodels ``MixedLM``, REML): outcome ~ arm + session number (as a category),
with a random intercept per patient. The arms are parallel courses of the same virtual
patients, so the patient effect is shared between the arms and the arm coefficient is the
within-patient difference from the reference arm (the first plan), averaged over the course.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gaitway.trials.course import SIMULATED_NOTE, TrialDesign
from gaitway.trials.plans import TrialPlan

SESSIONS_FILE: Final[str] = "sessions.parquet"
SUMMARY_FILE: Final[str] = "summary.json"
#: the outcomes the effect model estimates (columns of sessions.parquet)
EFFECT_OUTCOMES: Final[tuple[str, ...]] = ("gait_speed_mps", "strength_paretic_frac")
Z95: Final[float] = 1.959964


@dataclass(frozen=True, slots=True)
class EffectEstimate:
    """Arm ``plan`` minus the reference arm, mean over the course, with its 95 % CI."""

    outcome: str
    plan: str
    reference: str
    difference: float | None
    ci95_low: float | None
    ci95_high: float | None
    p_value: float | None
    n_patients: int
    n_sessions: int
    note: str


def write_sessions(tables: Iterable[pa.Table], path: Path) -> int:
    """Stream the arms' tables into one Parquet file (one arm in memory at a time)."""
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for t in tables:
            if writer is None:
                meta = {b"gaitway": SIMULATED_NOTE.encode()}
                writer = pq.ParquetWriter(path, t.schema.with_metadata(meta))
            writer.write_table(t.replace_schema_metadata(writer.schema.metadata))
            rows += t.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _fit(df: pd.DataFrame, outcome: str, plans: Sequence[str]) -> list[EffectEstimate]:
    from statsmodels.regression.mixed_linear_model import MixedLM  # heavy: on use only
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    ref = plans[0]
    data = df[["patient", "plan", "session", outcome]].dropna()
    n_pat, n_ses = int(data["patient"].nunique()), len(data)

    def none(note: str) -> list[EffectEstimate]:
        return [EffectEstimate(outcome, p, ref, None, None, None, None, n_pat, n_ses, note)
                for p in plans[1:]]

    if n_pat < 2:
        return none("not estimable: needs at least 2 patients")
    arm = pd.Categorical(data["plan"], categories=list(plans))
    x = pd.get_dummies(arm, drop_first=True, dtype=float)
    x.columns = [f"arm_{c}" for c in x.columns]
    sessions = pd.get_dummies(pd.Categorical(data["session"]), drop_first=True, dtype=float)
    sessions.columns = [f"session_{c}" for c in sessions.columns]
    exog = pd.concat([pd.Series(1.0, index=range(len(data)), name="const"),
                      x.reset_index(drop=True), sessions.reset_index(drop=True)], axis=1)
    y = data[outcome].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            result = MixedLM(y, exog, groups=data["patient"].to_numpy()).fit(
                reml=True, method=["lbfgs", "powell"])
        except (np.linalg.LinAlgError, ValueError) as exc:
            return none(f"not estimable: mixed model failed ({exc})")
    out: list[EffectEstimate] = []
    for p in plans[1:]:
        name = f"arm_{p}"
        est, se = float(result.fe_params[name]), float(result.bse_fe[name])
        if not (math.isfinite(est) and math.isfinite(se)):
            out.extend(e for e in none("not estimable: singular fit") if e.plan == p)
            continue
        pv = float(result.pvalues[name])
        out.append(EffectEstimate(outcome, p, ref, round(est, 5), round(est - Z95 * se, 5),
                                  round(est + Z95 * se, 5), round(pv, 5) if math.isfinite(pv)
                                  else None, n_pat, n_ses,
                                  "MixedLM REML: outcome ~ arm + C(session), random "
                                  "intercept per patient; SIMULATED"))
    return out


def _arm_outcomes(df: pd.DataFrame, plan: str) -> dict[str, Any]:
    arm = df[df["plan"] == plan]
    last = arm.sort_values("session").groupby("patient").tail(1)
    change = last["gait_speed_mps"] - last["baseline_gait_speed_mps"]

    def stat(values: Any) -> dict[str, float | None]:
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return {"mean": None, "sd": None}
        return {"mean": round(float(v.mean()), 5),
                "sd": round(float(v.std(ddof=1)), 5) if v.size > 1 else None}

    return {
        "patients": int(arm["patient"].nunique()), "sessions": len(arm),
        "final_gait_speed_mps": stat(last["gait_speed_mps"]),
        "gait_speed_change_mps": stat(change),
        "final_strength_paretic_frac": stat(last["strength_paretic_frac"]),
        "final_fac": stat(last["fac"]),
        "faults": int(arm["faults"].sum()), "safety_stops": int(arm["safety_stop"].sum()),
        "steps_per_session": stat(arm["steps"]),
    }


def summarise(df: pd.DataFrame, *, design: TrialDesign, plans: Sequence[TrialPlan]
              ) -> dict[str, Any]:
    """summary.json's content."""
    names = [p.name for p in plans]
    effects = [asdict(e) for outcome in EFFECT_OUTCOMES for e in _fit(df, outcome, names)]
    return {
        "label": SIMULATED_NOTE,
        "design": {**asdict(design), "arms": "parallel: every patient of the cohort under "
                   "every plan (common random numbers)"},
        "plans": [p.as_dict() for p in plans],
        "arms": {name: _arm_outcomes(df, name) for name in names},
        "effects": effects,
    }
