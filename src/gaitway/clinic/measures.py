"""Clinical tests and session measures: units, valid ranges, codes and change thresholds.

Change thresholds are published values for people after stroke (the largest group on gait
robots); they are guides for flagging, not verdicts, and every flag names its source:

- gait speed MDC95 by speed band: Lewek & Sykes 2019 (J Neurol Phys Ther 43:122), chronic
  stroke: 0.10 m/s below 0.4 m/s, 0.15 m/s at 0.4-0.8 m/s, 0.18 m/s above 0.8 m/s;
- gait speed MCID: Tilson et al. 2010 (Phys Ther 90:196), 0.16 m/s for slow subacute walkers;
  Hayashi et al. 2022 (Clin Rehabil 36:1512), 0.18 m/s (lower anchor-based bound) for faster
  walkers (baseline about 0.8 m/s);
- 6MWT: MDC 54.1 m (Fulk et al. 2008), MCID 34.4 m (Tang, Eng & Rand 2012);
- TUG: MDC 3.2 s (Alghadir et al. 2018, chronic stroke); no stroke MCID is established;
- BBS: MDC95 5 points (Hiengkaew et al. 2012, chronic stroke), MCID 6.5 points (Hayashi 2022);
- FAC: an ordinal category scale; any change of one category or more is a real change.

Walking categories after Perry et al. 1995 (Stroke 26:982), with Bowden et al.'s 2008 cut-offs:
household below 0.4 m/s, limited community 0.4-0.8 m/s, community above 0.8 m/s.

FHIR codes: LOINC where a fitting code is known (6MWT 62619-2, step count 55423-8), else the
Gaitway code system :data:`GAITWAY_CODE_SYSTEM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gaitway.errors import UserError

GAITWAY_CODE_SYSTEM: Final[str] = "https://gaitway.example.org/fhir/CodeSystem/gait-measures"
LOINC: Final[str] = "http://loinc.org"


@dataclass(frozen=True, slots=True)
class ClinicalTest:
    """A clinical test a therapist enters: what its value means and when a change is real."""

    key: str
    name: str
    unit: str
    ucum: str
    low: float
    high: float
    #: True when a larger value is better (speed, distance, score); False for times (TUG).
    higher_is_better: bool
    mdc: float | None
    mcid: float | None
    source: str
    code_system: str
    code: str
    integer: bool = False

    def validate(self, value: float) -> float:
        if value != value or not self.low <= value <= self.high:  # NaN fails too
            raise UserError(
                f"{self.name} value {value} {self.unit} is outside {self.low}-{self.high} "
                f"{self.unit}; enter the {self.unit_hint()}"
            )
        if self.integer and value != int(value):
            raise UserError(f"{self.name} takes a whole number, got {value}")
        return float(value)

    def unit_hint(self) -> str:
        return {
            "10mwt": "comfortable gait speed in m/s (10 m divided by the time in s)",
            "6mwt": "distance walked in 6 minutes, in metres",
            "tug": "time in seconds",
            "bbs": "total score 0-56",
            "fac": "category 0 (non-functional) to 5 (independent)",
        }[self.key]


CLINICAL_TESTS: Final[dict[str, ClinicalTest]] = {
    t.key: t
    for t in (
        ClinicalTest("10mwt", "10-metre walk test", "m/s", "m/s", 0.0, 3.0, True, None, None,
                     "Lewek & Sykes 2019; Tilson 2010; Hayashi 2022", GAITWAY_CODE_SYSTEM,
                     "10mwt-gait-speed"),
        ClinicalTest("6mwt", "6-minute walk test", "m", "m", 0.0, 1000.0, True, 54.1, 34.4,
                     "Fulk 2008 (MDC); Tang 2012 (MCID)", LOINC, "62619-2"),
        ClinicalTest("tug", "Timed Up and Go", "s", "s", 1.0, 300.0, False, 3.2, None,
                     "Alghadir 2018 (MDC)", GAITWAY_CODE_SYSTEM, "timed-up-and-go"),
        ClinicalTest("bbs", "Berg Balance Scale", "points", "{score}", 0.0, 56.0, True, 5.0, 6.5,
                     "Hiengkaew 2012 (MDC); Hayashi 2022 (MCID)", GAITWAY_CODE_SYSTEM,
                     "berg-balance-scale", integer=True),
        ClinicalTest("fac", "Functional Ambulation Category", "category", "{category}", 0.0,
                     5.0, True, 1.0, 1.0, "ordinal scale: one category", GAITWAY_CODE_SYSTEM,
                     "functional-ambulation-category", integer=True),
    )
}


def clinical_test(key: str) -> ClinicalTest:
    try:
        return CLINICAL_TESTS[key.lower()]
    except KeyError:
        raise UserError(
            f"unknown test {key!r}; use one of {', '.join(CLINICAL_TESTS)}"
        ) from None


@dataclass(frozen=True, slots=True)
class SpeedBand:
    """A Perry walking category with the gait-speed change thresholds that apply in it."""

    key: str
    label: str
    low_mps: float
    high_mps: float
    mdc_mps: float
    mcid_mps: float


SPEED_BANDS: Final[tuple[SpeedBand, ...]] = (
    SpeedBand("household", "household walker", 0.0, 0.4, 0.10, 0.16),
    SpeedBand("limited", "limited community walker", 0.4, 0.8, 0.15, 0.16),
    SpeedBand("community", "community walker", 0.8, float("inf"), 0.18, 0.18),
)


def speed_band(speed_mps: float) -> SpeedBand:
    """The Perry category for a comfortable overground gait speed."""
    for band in SPEED_BANDS:
        if speed_mps < band.high_mps:
            return band
    return SPEED_BANDS[-1]


@dataclass(frozen=True, slots=True)
class SessionMeasure:
    """A number every training session yields, as a column of the sessions table."""

    key: str
    label: str
    unit: str
    higher_is_better: bool | None
    code_system: str
    code: str
    ucum: str


SESSION_MEASURES: Final[tuple[SessionMeasure, ...]] = (
    SessionMeasure("steps", "Steps", "steps", True, LOINC, "55423-8", "{steps}"),
    SessionMeasure("distance_m", "Distance walked on the belt", "m", True, GAITWAY_CODE_SYSTEM,
                   "session-distance", "m"),
    SessionMeasure("belt_speed_mps", "Belt speed", "m/s", True, GAITWAY_CODE_SYSTEM,
                   "belt-speed", "m/s"),
    SessionMeasure("active_participation_pct", "Active participation", "%", True,
                   GAITWAY_CODE_SYSTEM, "active-participation", "%"),
    SessionMeasure("guidance_pct", "Guidance force", "%", False, GAITWAY_CODE_SYSTEM,
                   "guidance", "%"),
    SessionMeasure("bws_pct", "Body-weight support", "%", False, GAITWAY_CODE_SYSTEM,
                   "body-weight-support", "%"),
    SessionMeasure("symmetry_index_pct", "Step-time symmetry index", "%", None,
                   GAITWAY_CODE_SYSTEM, "step-time-symmetry-index", "%"),
    SessionMeasure("weight_bearing_left_pct", "Weight bearing, left leg", "% body weight",
                   None, GAITWAY_CODE_SYSTEM, "weight-bearing-left", "%"),
    SessionMeasure("weight_bearing_right_pct", "Weight bearing, right leg", "% body weight",
                   None, GAITWAY_CODE_SYSTEM, "weight-bearing-right", "%"),
)
SESSION_MEASURE_BY_KEY: Final[dict[str, SessionMeasure]] = {m.key: m for m in SESSION_MEASURES}
