"""`gaitway validate response`: do the virtual patients respond to the robot as people do?

For each published study, its conditions are reproduced on the twin over a seeded cohort of
healthy and of hemiparetic virtual patients; the twin's paired difference (mean and 95 % CI
over patients) is set beside the direction the study reported. SIMULATED: no claim about
real patients is drawn from it; it checks that the model moves the right way.

The studies (directions as their abstracts report them):
- Duschau-Wicke et al. 2010 (J NeuroEng Rehabil 7:43): patient-cooperative path control
  raised muscle activity and active participation against position control (full guidance).
- Aurich-Schuler et al. 2017 (Front Neurol 8:172; and Van Kammen et al. 2014, J NeuroEng
  Rehabil 11:32): lower guidance force raised muscle activity.
- Van Kammen et al. 2014; review by Apte et al. 2018 (Front Neurol 9:1002): more body-weight
  support lowered the activity of antigravity muscles and the ground reaction forces.
- Van Kammen et al. 2016 (Gait Posture 47:14); Apte et al. 2018: faster walking raised
  muscle activity.
- Emken et al. 2007 (J Neurophysiol 97:3997); Reinkensmeyer et al.: under steady assistance
  people reduce their effort within minutes (slacking), and an assist-as-needed controller,
  which hands work back, counteracts it: more participation and less robot work.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from gaitway.errors import UserError
from gaitway.harnesses.response_run import Condition, RunResult, WindowResult, run_condition
from gaitway.session.compare import mean_ci
from gaitway.session.loop import PhasePlan
from gaitway.station.sim.profiles import PROFILES, PatientProfile

KMH: Final[float] = 1.0 / 3.6


@dataclass(frozen=True, slots=True)
class Plan:
    """How long the sessions are: the full run and the quick (CI) run differ only here.

    ``window_s``: from the start of training. The slacking session's windows are from the
    start of walking (the warm-up's first step): the patient starts trying (drive 1) and
    slacks within tens of strides, so a window after the warm-up saw an effort that had
    already settled."""

    minutes: float
    window_s: tuple[float, float]
    slack_minutes: float
    slack_early_s: tuple[float, float]
    slack_late_s: tuple[float, float]
    per_group: int

    def slack_course_s(self) -> tuple[tuple[float, float], ...]:
        """Windows of _COURSE_S from the first step to _COURSE_END_S (or the late window)
        in which the slacking session's decline is followed, for its half-time."""
        end = min(_COURSE_END_S, self.slack_late_s[0])
        n = int(end // _COURSE_S)
        return tuple((k * _COURSE_S, (k + 1) * _COURSE_S) for k in range(n))


#: the slacking session's course: windows this long (s), up to this time after the first step
_COURSE_S: Final[float] = 10.0
_COURSE_END_S: Final[float] = 240.0
#: the first seconds of walking measured as the slacking session's early effort
_SLACK_EARLY_S: Final[float] = 30.0


def _slack_windows(slack_minutes: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Early: the first 30 s of walking; late: the last 15 % of the walking before the
    cool-down (both from the first step)."""
    ph = PhasePlan.for_minutes(slack_minutes)
    walk = ph.warm_up_s + ph.training_s
    return ((0.0, _SLACK_EARLY_S),
            (round(walk - 0.17 * ph.training_s, 1), round(walk - 0.02 * ph.training_s, 1)))


FULL: Final = Plan(minutes=5.0, window_s=(120.0, 235.0), slack_minutes=20.0,
                   slack_early_s=_slack_windows(20.0)[0], slack_late_s=_slack_windows(20.0)[1],
                   per_group=4)
QUICK: Final = Plan(minutes=1.5, window_s=(40.0, 70.0), slack_minutes=4.0,
                    slack_early_s=_slack_windows(4.0)[0], slack_late_s=_slack_windows(4.0)[1],
                    per_group=2)


def plan_for(minutes: float, per_group: int, slack_minutes: float | None = None) -> Plan:
    """A plan of ``minutes``-long sessions (the slacking one 4 times as long unless given),
    measured over the last 60 % of training; the slacking session's first 30 s of walking
    against its last 15 % of training."""
    if per_group < 1:
        raise UserError(f"need at least 1 virtual patient per group, got {per_group}")
    slack = 4.0 * minutes if slack_minutes is None else slack_minutes
    train = PhasePlan.for_minutes(minutes).training_s
    if train < 30.0:
        raise UserError(f"sessions of {minutes:g} min leave {train:.0f} s of training; "
                        "give at least 1 minute")
    if slack < 2.0:
        raise UserError(f"a slacking session of {slack:g} min is too short to slack in; "
                        "give at least 2 minutes")
    early, late = _slack_windows(slack)
    return Plan(minutes=minutes, window_s=(round(0.4 * train, 1), round(0.98 * train, 1)),
                slack_minutes=slack, slack_early_s=early, slack_late_s=late,
                per_group=per_group)


def conditions(plan: Plan) -> dict[str, Condition]:
    """Every condition any study needs, by name (default: 100 % guidance, 30 % BWS, 2 km/h)."""
    w = (plan.window_s,)
    m = plan.minutes

    def c(name: str, **kw: float | str) -> Condition:
        return Condition(name, minutes=m, windows_s=w, **kw)  # type: ignore[arg-type]

    return {
        "guidance 100 %": c("guidance 100 %"),
        "guidance 60 %": c("guidance 60 %", guidance=0.6),
        "guidance 30 %": c("guidance 30 %", guidance=0.3),
        "path control": c("path control", controller="path"),
        "assist-as-needed": c("assist-as-needed", controller="aan"),
        "BWS 0 %": c("BWS 0 %", bws_fraction=0.0),
        "BWS 50 %": c("BWS 50 %", bws_fraction=0.5),
        "0.8 km/h": c("0.8 km/h", speed_m_s=0.8 * KMH),
        "1.8 km/h": c("1.8 km/h", speed_m_s=1.8 * KMH),
        "2.8 km/h": c("2.8 km/h", speed_m_s=2.8 * KMH),
        SLACK: Condition(
            SLACK, minutes=plan.slack_minutes, from_walking=True,
            windows_s=(plan.slack_early_s, plan.slack_late_s, *plan.slack_course_s())),
    }


#: the fixed-guidance session in which slacking is measured (its length is the plan's)
SLACK: Final[str] = "long session at 100 %"


Measure = Callable[[WindowResult], float]
MEASURES: Final[dict[str, tuple[str, Measure]]] = {
    "activation": ("muscle activation, mean of 8 muscles (truth)",
                   lambda w: w.effort.activation),
    "antigravity": ("antigravity muscle activation (vastus lateralis, gastrocnemius; truth)",
                    lambda w: w.effort.antigravity_activation),
    "participation": ("active participation, patient's share of positive work (%)",
                      lambda w: w.effort.active_participation_overall_pct),
    "robot_work": ("robot's positive work per stride, hip+knee (J)",
                   lambda w: w.robot_assist_work_j),
    "peak_grf": ("peak vertical ground reaction force per stride (N)", lambda w: w.peak_grf_n),
}


@dataclass(frozen=True, slots=True)
class PublishedSize:
    """What a study reports of the size of an effect, and the range the twin is held to.

    ``low``/``high``: the range in ``unit`` ("%": b - a as a percentage of a; "s": the time
    until half of the decline, from the first step), or None where no size in a unit the
    twin shares is published (then ``reported`` says what is, and the size is not compared).
    """

    reported: str
    unit: str = "%"
    low: float | None = None
    high: float | None = None

    @property
    def compared(self) -> bool:
        return self.low is not None and self.high is not None


_NO_EMG_SIZE: Final = PublishedSize(
    "direction only: EMG amplitudes per muscle, normalised per study (to treadmill walking "
    "or to a peak), in units the twin's mean activation does not share; not compared")


@dataclass(frozen=True, slots=True)
class Study:
    """One published finding: ``b`` against ``a`` moves ``measure`` in ``direction`` (+1/-1).

    ``window``: which window of the runs (0; the slacking session's late window is 1, its
    early one 0, both of the same run)."""

    key: str
    source: str
    finding: str
    a: str
    b: str
    measure: str
    direction: int
    size: PublishedSize = _NO_EMG_SIZE
    window_a: int = 0
    window_b: int = 0


#: Sources (directions as their abstracts report them; sizes where given, see each row):
#: Van Kammen et al. 2014, PLoS ONE 9:e107323: 10 able-bodied, Lokomat *without* guidance
#: force, BWS 0 / 50 %, 0.8 / 1.8 / 2.8 km/h, EMG of 6 muscles. Van Kammen et al. 2016 (Clin
#: Biomech): guidance force, BWS and speed in able-bodied walking (not checked beyond its
#: title here: unsure of its figures). Aurich-Schuler et al. 2017, J NeuroEng Rehabil
#: (doi 10.1186/s12984-017-0287-1): 15 adolescents, Guidance Force vs Path Control vs FreeD,
#: "tendencies towards a higher activation" with more kinematic freedom. Duschau-Wicke et
#: al. 2010, J NeuroEng Rehabil 7:43: 11 iSCI, path control with individually adjusted
#: support gave more muscle activity, lower interaction torques, a higher rise of heart rate.
#: Apte et al. 2018, J NeuroEng Rehabil (review of 54 BWS studies): joint moments, muscle
#: activity and GRF fall most with unloading. Emken et al. 2007, J Neurophysiol 97:3997, and
#: Reinkensmeyer et al.: stride-to-stride error-and-effort adaptation; effort decays under
#: assistance within tens of strides.
STUDIES: Final[tuple[Study, ...]] = (
    Study("guidance-60", "Van Kammen 2016; Aurich-Schuler 2017",
          "less guidance force, more muscle activity", "guidance 100 %", "guidance 60 %",
          "activation", +1),
    Study("guidance-30", "Van Kammen 2016; Aurich-Schuler 2017",
          "less guidance force, more muscle activity", "guidance 100 %", "guidance 30 %",
          "activation", +1),
    Study("guidance-participation", "Duschau-Wicke 2010; Aurich-Schuler 2017",
          "less guidance force, more active participation", "guidance 100 %", "guidance 30 %",
          "participation", +1, PublishedSize(
              "direction only: participation was read from lower interaction torques and more "
              "EMG, not as a share of positive work; not compared")),
    Study("path", "Duschau-Wicke 2010", "path control raises muscle activity",
          "guidance 100 %", "path control", "activation", +1),
    Study("path-participation", "Duschau-Wicke 2010", "path control raises participation",
          "guidance 100 %", "path control", "participation", +1, PublishedSize(
              "direction only: lower interaction torques and a higher rise of heart rate "
              "under path control (iSCI); no share of positive work; not compared")),
    Study("bws-antigravity", "Van Kammen 2014; Apte 2018",
          "more body-weight support, less antigravity muscle activity", "BWS 0 %", "BWS 50 %",
          "antigravity", -1),
    Study("bws-grf", "Apte 2018", "more body-weight support, lower ground reaction forces",
          "BWS 0 %", "BWS 50 %", "peak_grf", -1, PublishedSize(
              "GRF falls with unloading (Apte 2018, pooled; their slope was not checked "
              "here). Range from the mechanics of a constant unloading force: 50 % support "
              "halves the mean vertical force, and the peak falls by about as much "
              "(-40 to -60 %; our reading, unsure)", "%", -60.0, -40.0)),
    Study("speed-1.8", "Van Kammen 2014; Van Kammen 2016", "faster walking, more muscle activity",
          "0.8 km/h", "1.8 km/h", "activation", +1),
    Study("speed-2.8", "Van Kammen 2014; Van Kammen 2016", "faster walking, more muscle activity",
          "0.8 km/h", "2.8 km/h", "activation", +1),
    Study("aan-participation", "Emken 2007; Reinkensmeyer (assist-as-needed)",
          "assist-as-needed: more participation than fixed full guidance", "guidance 100 %",
          "assist-as-needed", "participation", +1, PublishedSize(
              "direction only (a model's prediction, tested in the robot on healthy "
              "stepping); not compared")),
    Study("aan-robot-work", "Emken 2007; Reinkensmeyer (assist-as-needed)",
          "assist-as-needed: less robot work than fixed full guidance", "guidance 100 %",
          "assist-as-needed", "robot_work", -1, PublishedSize(
              "direction only; not compared")),
    Study("slacking", "Emken 2007; Reinkensmeyer", "steady assistance: effort falls within "
          "tens of strides to minutes", SLACK, SLACK, "activation", -1, PublishedSize(
              "effort decays within tens of strides once the robot assists (Emken 2007, "
              "stepping in a robot); range 10 s to 5 min for half of the decline (our "
              "reading of 'tens of strides to minutes', unsure of the papers' exact figures)",
              "s", 10.0, 300.0), window_a=0, window_b=1),
)


def cohort(group: str, n: int, seed: int) -> list[tuple[PatientProfile, int]]:
    """A seeded cohort of ``n`` (profile, seed) pairs.

    healthy: the healthy profile with height and mass drawn (height N(1.72, 0.08) m, BMI
    N(24, 3)); hemiparetic: the named hemiparetic profiles, mild to severe, left and right,
    taken in a seeded order.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5E5]))
    out: list[tuple[PatientProfile, int]] = []
    if group == "healthy":
        base = PROFILES["healthy"]
        for i in range(n):
            h = float(np.clip(rng.normal(1.72, 0.08), 1.55, 1.95))
            mass = round(float(np.clip(rng.normal(24.0, 3.0), 19.0, 32.0)) * h * h, 1)
            out.append((replace(base, id=f"healthy-{seed}-{i}", height_m=round(h, 3),
                                mass_kg=mass), seed * 1000 + i))
    elif group == "hemiparetic":
        first = "left" if rng.uniform() < 0.5 else "right"
        other = "right" if first == "left" else "left"
        sev = ("mild", "moderate", "severe")
        # mild, moderate and severe come first, sides alternating, then their mirror images
        order = [f"hemiparetic-{(first, other)[k % 2]}-{sev[k]}" for k in range(3)]
        order += [f"hemiparetic-{(other, first)[k % 2]}-{sev[k]}" for k in range(3)]
        for i in range(n):
            out.append((PROFILES[order[i % len(order)]], seed * 1000 + 500 + i))
    else:
        raise ValueError(f"unknown group {group!r}")
    return out


@dataclass(frozen=True, slots=True)
class Row:
    """One study on one group: the twin's paired difference b - a."""

    study: Study
    group: str
    mean: float
    ci_low: float
    ci_high: float
    n: int
    a_mean: float
    b_mean: float
    #: the twin's size in the unit of ``study.size`` (mean over the cohort; NaN if none)
    size: float = math.nan
    #: virtual patients left out of the row: they took no stride with one leg in a window of
    #: a or b (they did not walk there, so no figure per stride exists and none is compared)
    not_walking: tuple[str, ...] = ()
    #: each compared virtual patient's own b - a, by patient id: a cohort that mixes
    #: severities (mild to severe hemiparesis) can agree in the mean and not per patient,
    #: and a row's interval is only as clear as its patients agree
    per_patient: tuple[tuple[str, float], ...] = ()

    @property
    def size_in_range(self) -> bool | None:
        """Whether the twin's size lies in the published range (None: no range to compare)."""
        ps = self.study.size
        if ps.low is None or ps.high is None or not math.isfinite(self.size):
            return None
        return ps.low <= self.size <= ps.high

    @property
    def reproduced(self) -> bool:
        """The mean moves the published way, and the 95 % CI excludes zero (when n > 1)."""
        d = self.study.direction
        if not math.isfinite(self.mean) or self.mean * d <= 0.0:
            return False
        if self.n < 2 or not math.isfinite(self.ci_low):
            return True
        return (self.ci_low > 0.0) if d > 0 else (self.ci_high < 0.0)


def _job(args: tuple[PatientProfile, int, Condition]) -> RunResult:
    return run_condition(*args)


def run(plan: Plan, *, seed: int, workers: int = 2,
        groups: tuple[str, ...] = ("healthy", "hemiparetic"),
        progress: Callable[[str], None] | None = None) -> list[Row]:
    """Every study on every group; the runs go to ``workers`` processes."""
    conds = conditions(plan)
    jobs: list[tuple[str, PatientProfile, int, Condition]] = []
    for g in groups:
        for prof, s in cohort(g, plan.per_group, seed):
            # the long slacking session first, so the pool never waits on it at the end
            for name in sorted(conds, key=lambda k: -conds[k].minutes):
                jobs.append((g, prof, s, conds[name]))
    results: list[RunResult]
    if workers <= 1:
        results = []
        for j in jobs:
            results.append(_job(j[1:]))
            if progress:
                progress(f"{j[1].id} {j[3].name}")
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = []
            for j, r in zip(jobs, pool.map(_job, [j[1:] for j in jobs]), strict=True):
                results.append(r)
                if progress:
                    progress(f"{j[1].id} {j[3].name}")
    by: dict[tuple[str, str, str, int], RunResult] = {}
    for (g, prof, s, cond), r in zip(jobs, results, strict=True):
        by[(g, prof.id, cond.name, s)] = r
    return rows_of(by, plan, seed=seed, groups=groups)


def _walked(w: WindowResult) -> bool:
    return w.effort.strides_left > 0 and w.effort.strides_right > 0


def rows_of(by: dict[tuple[str, str, str, int], RunResult], plan: Plan, *, seed: int,
            groups: tuple[str, ...] = ("healthy", "hemiparetic")) -> list[Row]:
    """The rows from the runs, by (group, patient id, condition, seed). A patient who took
    no stride with a leg in a window of a or b is left out of that row and named in it."""
    rows: list[Row] = []
    for g in groups:
        everyone = cohort(g, plan.per_group, seed)
        for st in STUDIES:
            fn = MEASURES[st.measure][1]
            walked = [_walked(by[(g, p.id, st.a, s)].windows[st.window_a])
                      and _walked(by[(g, p.id, st.b, s)].windows[st.window_b])
                      for p, s in everyone]
            members = [m for m, ok in zip(everyone, walked, strict=True) if ok]
            out = tuple(p.id for (p, _), ok in zip(everyone, walked, strict=True) if not ok)
            va = [fn(by[(g, p.id, st.a, s)].windows[st.window_a]) for p, s in members]
            vb = [fn(by[(g, p.id, st.b, s)].windows[st.window_b]) for p, s in members]
            diff = [y - x for x, y in zip(va, vb, strict=True)]
            m, lo, hi, n = mean_ci(diff)
            am, bm = mean_ci(va)[0], mean_ci(vb)[0]
            if st.size.unit == "s":
                size = mean_ci([half_time_s(by[(g, p.id, st.a, s)], fn, plan)
                                for p, s in members])[0]
            else:
                size = 100.0 * (bm - am) / abs(am) if am else math.nan
            each = tuple((p.id, d) for (p, _), d in zip(members, diff, strict=True))
            rows.append(Row(st, g, m, lo, hi, n, am, bm, size, out, each))
    return rows


def half_time_s(result: RunResult, fn: Measure, plan: Plan) -> float:
    """Seconds from the first step until the slacking session's measure has fallen half of
    the way from its first course window to its late window (the window's middle; NaN if it
    did not within the course, or did not fall)."""
    course = plan.slack_course_s()
    vals = [fn(w) for w in result.windows[2:2 + len(course)]]
    late = fn(result.windows[1])
    if not vals or not vals[0] > late:
        return math.nan
    half = 0.5 * (vals[0] + late)
    for (a, b), v in zip(course, vals, strict=True):
        if v <= half:
            return 0.5 * (a + b)
    return math.nan


def _fmt(x: float, unit: str) -> str:
    if not math.isfinite(x):
        return "n/a"
    digits = 3 if abs(x) < 1.0 else (2 if abs(x) < 10.0 else 1)
    return f"{x:+.{digits}f}{unit}"


def _fine(x: float) -> str:
    """A per-patient difference: activations differ in the fourth decimal."""
    return f"{x:+.4f}" if abs(x) < 0.1 else _fmt(x, "")


def _size_cells(r: Row) -> tuple[str, str]:
    """The published size (what is reported, and the range) and the twin's size with
    whether it lies in the range."""
    ps = r.study.size
    if not ps.compared:
        twin = (f"{_fmt(r.size, ' %')} of a" if math.isfinite(r.size) else "n/a")
        return ps.reported, f"{twin}; not compared"
    unit = " %" if ps.unit == "%" else " s"
    rng = f"{ps.low:+g} to {ps.high:+g}{unit}" if ps.unit == "%" else \
        f"{ps.low:g} to {ps.high:g}{unit}"
    twin = (f"{_fmt(r.size, unit)}" if ps.unit == "%" else
            (f"{r.size:.0f}{unit}" if math.isfinite(r.size) else "n/a"))
    verdict = {True: "in range", False: "**outside**", None: "n/a"}[r.size_in_range]
    return f"{ps.reported}: {rng}", f"{twin}: {verdict}"


def markdown(rows: list[Row], plan: Plan, *, seed: int, command: str, wall_s: float,
             machine: str = "") -> str:
    """The validation table (SIMULATED), with how it was made and how to read it."""
    n_ok = sum(r.reproduced for r in rows)
    n_dir = sum(r.study.direction * r.mean > 0.0 for r in rows)
    sized = [r for r in rows if r.study.size.compared]
    n_in = sum(bool(r.size_in_range) for r in sized)
    lines = [
        "# Virtual patients' response to the robot: published directions (SIMULATED)",
        "",
        f"Regenerated by `{command}`"
        + f" (seed {seed}; {plan.per_group} virtual patients per group; sessions of "
        f"{plan.minutes:g} min measured from {plan.window_s[0]:g} to {plan.window_s[1]:g} s "
        f"of training; the slacking session {plan.slack_minutes:g} min at 100 % guidance, "
        f"its first {plan.slack_early_s[1] - plan.slack_early_s[0]:g} s of walking against "
        f"{plan.slack_late_s[0]:g} to {plan.slack_late_s[1]:g} s after the first step; "
        f"{wall_s / 60:.1f} min on this machine{machine}). Defaults of every condition: "
        "guidance 100 %, body-weight support 30 %, 2 km/h, no automatic response to fatigue.",
        "",
        "Every figure is from the MuJoCo twin's virtual patients: no claim about real patients "
        "is drawn from it. The table checks that the model moves the way the studies saw "
        "people move. Differences are paired (the same virtual patient and seed in both "
        "conditions): b - a, mean and 95 % t-interval over the cohort. *Reproduced*: the "
        "mean moves the published way and the interval excludes zero. Activations are the "
        "twin's true muscle activations (truth channels; the synthetic EMG follows them), "
        "0-1; active participation and robot work as defined in docs/metrics.md. *Size*: "
        "what the study reports of the size, and where it gives one in a unit the twin "
        "shares, the range and whether the twin's size (b - a as % of a; for slacking the "
        "time until half of the decline) lies in it. Most of these studies report EMG "
        "amplitudes per muscle, normalised their own way: those sizes are not compared, and "
        "the twin's relative change is given for what it is. A virtual patient who took no "
        "stride with a leg in a window of a or b did not walk there: it is left out of that "
        "row, and the row names it.",
        "",
        f"**{n_dir} of {len(rows)} means move the published way; {n_ok} of {len(rows)} with "
        f"a 95 % interval clear of zero; {n_in} of {len(sized)} sizes that can be compared "
        "lie in the published range.**",
        "",
        "| study | published finding | group | a -> b | measure | a | b | b - a (95 % CI) "
        "| reproduced | published size | twin's size |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        st = r.study
        label = MEASURES[st.measure][0]
        unit = " %" if st.measure == "participation" else (
            " J" if st.measure == "robot_work" else (" N" if st.measure == "peak_grf" else ""))
        a = st.a if st.a != st.b else f"{st.a}, first {plan.slack_early_s[1]:g} s"
        b = st.b if st.a != st.b else "late"
        ci = (f"{_fmt(r.mean, unit)} ({_fmt(r.ci_low, '')} to {_fmt(r.ci_high, '')})"
              if r.n > 1 else _fmt(r.mean, unit))
        if r.not_walking:
            ci += f"; n = {r.n}, left out (took no stride): {', '.join(r.not_walking)}"
        pub, twin = _size_cells(r)
        lines.append(
            f"| {st.source} | {st.finding} | {r.group} | {a} -> {b} | {label} | "
            f"{_fmt(r.a_mean, '').lstrip('+')} | {_fmt(r.b_mean, '').lstrip('+')} | {ci} | "
            f"{'yes' if r.reproduced else '**no**'} | {pub} | {twin} |")
    lines += ["", *_per_patient_table(rows)]
    lines += [
        "",
        "How the twin gets there (gaitway.station.sim.motor): each leg's drive adapts from "
        "stride to stride by the error-and-effort rule of Emken et al. 2007, with the "
        "forgetting as a decay in time (a time constant of 30 s, about 20 strides at 2 km/h) "
        "and the error corrected once per stride. The error is the swinging leg's distance "
        "from the path of normal walking (its nearest point within a tenth of a stride of "
        "the leg's own rhythm): a step is judged by its shape, not against an inner clock, "
        "so a leg whose rhythm runs a little off the robot's is not held at full effort by "
        "an error no effort could remove. The robot's help removes kinematic error, "
        "and with it the reason for effort, so effort falls under steady full guidance "
        "(slacking, from the first step: the patient starts trying) and rises when help is "
        "taken away or when path control leaves the timing to the patient, up to what the "
        "patient can give (a weaker leg tolerates more error and its torque is bounded by "
        "its strength, spasticity and fatigue). The drive scales the moments that swing the "
        "leg along the intended path, which grow with the square of the cadence (faster "
        "walking needs larger joint moments), and the gain of the knee extensors' answer to "
        "load, which body-weight support unloads. The patient's intended stance lengthens at "
        "slow speeds as people's does.",
        "",
        "Sources, as far as checked here (abstracts): Van Kammen et al. 2014, PLoS ONE "
        "9:e107323 (10 able-bodied, Lokomat without guidance force, BWS 0/50 %, 0.8/1.8/2.8 "
        "km/h: speed effects attenuated with BWS); Van Kammen et al. 2016, Clin Biomech "
        "(guidance force, BWS and speed, able-bodied; figures not checked); Aurich-Schuler "
        "et al. 2017, J NeuroEng Rehabil, doi 10.1186/s12984-017-0287-1 (15 adolescents: "
        "tendencies, not all significant); Duschau-Wicke et al. 2010, J NeuroEng Rehabil "
        "7:43 (11 iSCI); Apte et al. 2018, J NeuroEng Rehabil (review of 54 studies); Emken "
        "et al. 2007, J Neurophysiol 97:3997. The twin runs every condition at 100 % guidance "
        "unless the condition sets it; Van Kammen 2014 measured BWS and speed without "
        "guidance.",
        "",
    ]
    return "\n".join(lines)


def _per_patient_table(rows: list[Row]) -> list[str]:
    """Each row's b - a per virtual patient, the published way in bold where it is not."""
    lines = [
        "## Per virtual patient",
        "",
        "b - a of each virtual patient in each row (same units as above); **bold**: against "
        "the published direction. The hemiparetic group mixes mild, moderate and severe "
        "profiles, paretic left and right, so a row whose mean moves the published way can "
        "still have patients who move the other way, and its interval then reaches zero.",
        "",
        "| group | a -> b | measure | b - a per virtual patient |",
        "|---|---|---|---|",
    ]
    for r in rows:
        st = r.study
        a = st.a if st.a != st.b else f"{st.a}, first"
        b = st.b if st.a != st.b else "late"
        cells = "; ".join(
            (f"{pid}: **{_fine(d)}**" if st.direction * d <= 0.0 else f"{pid}: {_fine(d)}")
            for pid, d in r.per_patient) or "n/a"
        lines.append(f"| {r.group} | {a} -> {b} | {st.measure} | {cells} |")
    return lines


def to_json(rows: list[Row], plan: Plan, *, seed: int) -> dict[str, object]:
    return {
        "simulated": True,
        "seed": seed,
        "plan": {"minutes": plan.minutes, "window_s": list(plan.window_s),
                 "slack_minutes": plan.slack_minutes,
                 "slack_early_s_from_first_step": list(plan.slack_early_s),
                 "slack_late_s_from_first_step": list(plan.slack_late_s),
                 "per_group": plan.per_group},
        "rows": [{"study": r.study.key, "source": r.study.source, "group": r.group,
                  "a": r.study.a, "b": r.study.b, "measure": r.study.measure,
                  "direction": r.study.direction, "a_mean": r.a_mean, "b_mean": r.b_mean,
                  "difference_mean": r.mean, "ci95": [r.ci_low, r.ci_high], "n": r.n,
                  "reproduced": r.reproduced,
                  "published_size": {"reported": r.study.size.reported,
                                     "unit": r.study.size.unit, "low": r.study.size.low,
                                     "high": r.study.size.high},
                  "twin_size": r.size, "size_in_range": r.size_in_range,
                  "not_walking": list(r.not_walking),
                  "per_patient_difference": dict(r.per_patient)} for r in rows],
    }
