"""Progress prediction: a hierarchical recovery curve per outcome, with 80 % intervals.

For each outcome every patient's course is the same curve shape with their own level, early
gain and late change: ``y(w) = (b0 + u0) + (b1 + u1) * log(1 + w / 2) + (b2 + u2) * late(w)``
in weeks ``w`` since the course began, ``late(w) = r / (1 + r)`` with ``r = (w / 6)**2`` (a
change that starts slowly and levels off), plus noise. The late term is there because much of a
course changes late: support is taken away in steps once the patient has tracked well for a
while, walking speed follows strength that builds over weeks; and patients differ most in it.
Three weeks of observations hardly show it, so its spread across patients must stay in the
interval: a curve without it (level and gain only) was too sure of the weeks that follow
(coverage 0.73-0.77 for an 80 % interval, docs/planning.md).

The population part (``b0, b1, b2``) and the spread of the patient effects (``u0, u1, u2``, a
3x3 covariance) and of the noise are fitted by restricted maximum likelihood over a reference
population with statsmodels' linear mixed model (``MixedLM``); a patient's own effects are then
the Gaussian posterior given their observations (shrunk toward the population when they have few,
their own when they have many). Predictions carry the uncertainty of the patient's effects, of
the population's fixed effects and the noise of one observation; 80 % intervals are +-1.28 SD.

Why this library (docs/planning.md): a linear mixed model is the classical recovery-curve model
with population priors and patient effects, its REML fit over a few thousand observations takes
a fraction of a second, and statsmodels is a long-kept, light dependency (numpy, scipy, pandas,
patsy). PyMC or bambi would give full posteriors but compile with PyTensor and sample for
minutes on two cores, for what is here a Gaussian model whose posterior is exact in closed form.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gaitway.errors import UserError

FloatArray = npt.NDArray[np.float64]
Z80: Final[float] = 1.2815515655446004
HORIZONS_WEEKS: Final[tuple[float, ...]] = (2.0, 4.0, 8.0)
#: weeks ahead searched for a target
TARGET_HORIZON_WEEKS: Final[float] = 52.0
_CURVE_SCALE_WEEKS: Final[float] = 2.0
#: the late term's half point (weeks)
_LATE_HALF_WEEKS: Final[float] = 6.0


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class OutcomeSpec:
    """One outcome the model predicts: its JSON key, unit and valid range."""

    key: str
    label: str
    unit: str
    low: float
    high: float
    higher_is_better: bool
    integer: bool = False
    targets: tuple[Target, ...] = ()

    def clip(self, v: float) -> float:
        return float(min(max(v, self.low), self.high))


#: every outcome, once: clinical tests first, then what each session reports
OUTCOMES: Final[tuple[OutcomeSpec, ...]] = (
    OutcomeSpec("gait_speed", "gait speed (10-metre walk)", "m/s", 0.0, 2.5, True,
                targets=(Target("0.4 m/s", 0.4), Target("0.8 m/s", 0.8))),
    OutcomeSpec("six_minute_walk", "6-minute walk distance", "m", 0.0, 1000.0, True),
    OutcomeSpec("fac", "Functional Ambulation Category", "category", 0.0, 5.0, True,
                integer=True, targets=(Target("FAC >= 4", 4.0),)),
    OutcomeSpec("steps_per_session", "steps per session", "steps", 0.0, 20000.0, True),
    OutcomeSpec("guidance", "guidance needed", "%", 0.0, 100.0, False),
    OutcomeSpec("body_weight_support", "body-weight support needed", "%", 0.0, 100.0, False),
    OutcomeSpec("step_time_symmetry", "step-time asymmetry", "%", 0.0, 200.0, False),
    OutcomeSpec("active_participation", "active participation", "%", 0.0, 100.0, True),
)
OUTCOME_KEYS: Final[tuple[str, ...]] = tuple(o.key for o in OUTCOMES)


def outcome(key: str) -> OutcomeSpec:
    for o in OUTCOMES:
        if o.key == key:
            return o
    raise UserError(f"unknown outcome {key!r}; choose one of {', '.join(OUTCOME_KEYS)}")


@dataclass(frozen=True, slots=True)
class Series:
    """One patient's observations of one outcome: weeks since their course began, values."""

    weeks: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.weeks) != len(self.values):
            raise UserError("a series needs one value per time")

    def until(self, weeks: float) -> Series:
        keep = [i for i, w in enumerate(self.weeks) if w <= weeks]
        return Series(tuple(self.weeks[i] for i in keep), tuple(self.values[i] for i in keep))

    def after(self, weeks: float) -> Series:
        keep = [i for i, w in enumerate(self.weeks) if w > weeks]
        return Series(tuple(self.weeks[i] for i in keep), tuple(self.values[i] for i in keep))


def basis(weeks: Sequence[float] | FloatArray) -> FloatArray:
    """The design rows [1, log(1 + w/2), late(w)]: fixed and random effects share them."""
    w = np.maximum(np.asarray(weeks, dtype=float), 0.0)
    r = (w / _LATE_HALF_WEEKS) ** 2
    return np.column_stack([np.ones_like(w), np.log1p(w / _CURVE_SCALE_WEEKS), r / (1.0 + r)])


def _basis_slope(weeks: float) -> FloatArray:
    """d basis / d weeks at one time (the trend)."""
    w = max(weeks, 0.0)
    r = (w / _LATE_HALF_WEEKS) ** 2
    return np.asarray([0.0, 1.0 / (_CURVE_SCALE_WEEKS + w),
                       2.0 * w / _LATE_HALF_WEEKS**2 / (1.0 + r) ** 2])


@dataclass(frozen=True)
class Population:
    """The fitted population: fixed effects, their covariance, the patient effects' covariance,
    the noise variance, and what they were fitted on."""

    beta: FloatArray
    cov_beta: FloatArray
    cov_re: FloatArray
    noise_var: float
    patients: int
    observations: int


def fit_population(series: Sequence[Series]) -> Population:
    """REML fit of the mixed model over the patients' series (at least 2 with 2 points)."""
    from statsmodels.regression.mixed_linear_model import MixedLM  # heavy: on use only
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    used = [s for s in series if len(s.weeks) >= 2]
    if len(used) < 2:
        raise UserError("a population needs at least 2 patients with 2 observations each")
    y = np.concatenate([np.asarray(s.values, dtype=float) for s in used])
    x = np.vstack([basis(s.weeks) for s in used])
    groups = np.concatenate([np.full(len(s.weeks), i) for i, s in enumerate(used)])
    scale = float(np.std(y)) or 1.0
    center = float(np.mean(y))
    ys = (y - center) / scale
    result = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        # random level, gain and late change; fewer if a fit fails (a degenerate population)
        for re_cols in (3, 2, 1):
            try:
                model = MixedLM(ys, x, groups=groups, exog_re=x[:, :re_cols])
                result = model.fit(reml=True, method=["lbfgs", "powell"])
            except (np.linalg.LinAlgError, ValueError):
                continue
            if np.all(np.isfinite(result.fe_params)) and np.isfinite(result.scale):
                break
            result = None
    if result is None:
        raise UserError("the progress model could not be fitted to this population")
    k = x.shape[1]
    beta = np.asarray(result.fe_params, dtype=float) * scale
    beta[0] += center
    cov_beta = np.asarray(result.cov_params(), dtype=float)[:k, :k] * scale**2
    g = np.zeros((k, k))
    re = np.asarray(result.cov_re, dtype=float) * scale**2
    g[: re.shape[0], : re.shape[1]] = re
    return Population(beta=beta, cov_beta=cov_beta, cov_re=g,
                      noise_var=float(result.scale) * scale**2, patients=len(used),
                      observations=len(y))


@dataclass(frozen=True, slots=True)
class Prediction:
    weeks: float
    value: float
    low80: float
    high80: float


@dataclass(frozen=True)
class PatientCurve:
    """A patient's curve: the population's, moved by the patient's own effects."""

    population: Population
    effect_mean: FloatArray
    effect_cov: FloatArray

    @classmethod
    def condition(cls, pop: Population, series: Series) -> PatientCurve:
        g = pop.cov_re + np.eye(len(pop.beta)) * 1e-9
        if not series.weeks:
            return cls(pop, np.zeros(len(pop.beta)), g)
        z = basis(series.weeks)
        r = np.asarray(series.values, dtype=float) - z @ pop.beta
        prec = np.linalg.pinv(g) + z.T @ z / pop.noise_var
        cov: FloatArray = np.asarray(np.linalg.pinv(prec), dtype=np.float64)
        mean: FloatArray = np.asarray(cov @ z.T @ r / pop.noise_var, dtype=np.float64)
        return cls(pop, mean, cov)

    def mean(self, weeks: Sequence[float] | FloatArray) -> FloatArray:
        z = basis(weeks)
        out: FloatArray = z @ (self.population.beta + self.effect_mean)
        return out

    def sd(self, weeks: Sequence[float] | FloatArray) -> FloatArray:
        z = basis(weeks)
        var = (np.einsum("ij,jk,ik->i", z, self.effect_cov + self.population.cov_beta, z)
               + self.population.noise_var)
        out: FloatArray = np.sqrt(np.maximum(var, 0.0))
        return out

    def predict(self, spec: OutcomeSpec, weeks: Sequence[float]) -> list[Prediction]:
        m, s = self.mean(weeks), self.sd(weeks)
        out = []
        for w, mu, sd in zip(weeks, m, s, strict=True):
            lo, hi = spec.clip(mu - Z80 * sd), spec.clip(mu + Z80 * sd)
            if spec.integer:  # categories: the interval's ends to the nearest category
                lo, hi = float(math.floor(lo + 0.5)), float(math.ceil(hi - 0.5))
            out.append(Prediction(weeks=float(w), value=round(spec.clip(float(mu)), 3),
                                  low80=round(lo, 3), high80=round(hi, 3)))
        return out

    def trend_per_week(self, at_weeks: float) -> float:
        """Slope of the mean curve at ``at_weeks`` (units per week)."""
        return float(_basis_slope(at_weeks) @ (self.population.beta + self.effect_mean))

    def weeks_to(self, target: float, *, now_weeks: float, higher_is_better: bool
                 ) -> float | None:
        """Weeks from ``now_weeks`` until the mean curve reaches ``target`` (0: already there;
        None: not within a year on the current trend)."""
        grid = now_weeks + np.arange(0.0, TARGET_HORIZON_WEEKS + 1e-9, 0.25)
        m = self.mean(grid)
        hit = m >= target if higher_is_better else m <= target
        if not hit.any():
            return None
        return float(grid[int(np.argmax(hit))] - now_weeks)


@dataclass(frozen=True)
class OutcomeForecast:
    """What ``gaitway plan predict`` reports for one outcome."""

    spec: OutcomeSpec
    trend_per_week: float
    predictions: tuple[Prediction, ...]
    weeks_to_target: dict[str, float | None] | None
    observations: int
    now_weeks: float

    def to_json(self) -> dict[str, object]:
        return {
            "unit": self.spec.unit,
            "trend_per_week": round(self.trend_per_week, 4),
            "predictions": [{"weeks": p.weeks, "value": p.value, "low80": p.low80,
                             "high80": p.high80} for p in self.predictions],
            "weeks_to_target": self.weeks_to_target,
        }


def forecast(spec: OutcomeSpec, pop: Population, series: Series,
             horizons: Sequence[float] = HORIZONS_WEEKS) -> OutcomeForecast:
    """The patient's trend, predictions ``horizons`` weeks after their last observation, and
    weeks to each target of the outcome."""
    curve = PatientCurve.condition(pop, series)
    now = max(series.weeks) if series.weeks else 0.0
    preds = curve.predict(spec, [now + h for h in horizons])
    preds = [Prediction(h, p.value, p.low80, p.high80) for h, p in zip(horizons, preds,
                                                                        strict=True)]
    targets: dict[str, float | None] | None = None
    if spec.targets:
        targets = {}
        for t in spec.targets:
            w = curve.weeks_to(t.value, now_weeks=now, higher_is_better=spec.higher_is_better)
            targets[t.label] = None if w is None else round(w, 2)
    return OutcomeForecast(spec=spec, trend_per_week=curve.trend_per_week(now),
                           predictions=tuple(preds), weeks_to_target=targets,
                           observations=len(series.weeks), now_weeks=now)


# ----------------------------------------------------------------------- the rule baseline

#: what the TWIST rule is and is not (shown beside the model's prediction)
TWIST_LIMITS: Final[str] = (
    "TWIST (Smith, Barber & Stinear 2017, Neurorehabil Neural Repair 31:955): trunk control "
    "test > 40 at one week after stroke -> independent walking (FAC >= 4) by 6 weeks; <= 40 "
    "with hip extension MRC >= 3 -> by 12 weeks; else not by 12 weeks. Derived from 41 "
    "patients, for stroke only, from bedside tests in the first week; it says by when, not "
    "how fast, and external validations found it weaker for the <= 40 / MRC >= 3 group. The "
    "later TWIST tool (Smith et al. 2022, 31:461) scores age, knee extension strength and the "
    "Berg Balance Scale for 4-26 weeks; it is not implemented here.")


def twist_weeks_after_onset(trunk_control_score: float, hip_extension_mrc: int) -> float | None:
    """TWIST's time to independent walking, weeks after onset (None: not by 12 weeks)."""
    if trunk_control_score > 40.0:
        return 6.0
    if hip_extension_mrc >= 3:
        return 12.0
    return None
