"""Clinical tests and session measures: units, valid ranges, codes and change thresholds.

Change thresholds are published values, mostly for people after stroke (the largest group on
gait robots); they are guides for flagging, not verdicts, and every flag names its source. Values
were checked from memory of the papers (no network here); those marked "unsure" should be
checked against the paper before clinical use.

- gait speed MDC95 by baseline speed band: Lewek & Sykes 2019 (J Neurol Phys Ther 43:122),
  chronic stroke: 0.10 m/s below 0.4 m/s, 0.15 m/s at 0.4-0.8 m/s, 0.18 m/s above 0.8 m/s
  (unsure of the exact per-band figures; the paper's point, that MDC grows with speed, holds);
- gait speed MCID: Tilson et al. 2010 (Phys Ther 90:196), 0.16 m/s in subacute stroke (slow
  walkers, LEAPS trial); Fulk et al. 2011 (J Neurol Phys Ther 35:82), 0.175 m/s in stroke
  outpatient rehabilitation (faster walkers); Perera et al. 2006 (J Am Geriatr Soc 54:743),
  0.05 m/s small and 0.10 m/s substantial change in older adults, used for community walkers
  where no stroke figure above 0.8 m/s is established;
- 6MWT: MDC90 54.1 m (Fulk et al. 2008, Physiother Theory Pract 24:195, stroke rehabilitation),
  MCID 34.4 m (Tang, Eng & Rand 2012, J Neurol Phys Ther 36:115, chronic stroke);
- TUG: smallest real difference 2.9 s (Flansbjer et al. 2005, J Rehabil Med 37:75, chronic
  stroke); no stroke MCID is established, so none is used;
- BBS: MDC95 6 points (Stevenson 2001, Aust J Physiother 47:29, stroke); Hiengkaew et al. 2012
  (Arch Phys Med Rehabil 93:1201) report smaller MDCs in chronic stroke that depend on ankle
  tone (unsure of the figures, so the larger, safer threshold is used); no MCID is used (the
  figures published for subacute stroke vary widely);
- FAC: an ordinal category scale; any change of one category or more is a real change.

Walking categories after Perry et al. 1995 (Stroke 26:982), with Bowden et al.'s 2008 cut-offs:
household below 0.4 m/s, limited community 0.4-0.8 m/s, community above 0.8 m/s.

FHIR codes: LOINC where a code is known for what is measured (6MWT distance 64098-7, "Walking
distance 6 minutes"; step count 55423-8, "Number of steps in unspecified time Pedometer"). The
10-metre walk test's gait speed, TUG, BBS, FAC and the robot's session measures (distance on the
belt, belt speed, guidance, body-weight support, symmetry, weight bearing, participation) use
the Gaitway code system :data:`GAITWAY_CODE_SYSTEM`: LOINC codes proposed for BBS and TUG in
third-party tables could not be verified offline, and a wrong standard code is worse than an
honest local one.
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
                     "Lewek & Sykes 2019 (MDC by band); Tilson 2010, Fulk 2011, Perera 2006 "
                     "(MCID by band)", GAITWAY_CODE_SYSTEM,
                     "10mwt-gait-speed"),
        ClinicalTest("6mwt", "6-minute walk test", "m", "m", 0.0, 1000.0, True, 54.1, 34.4,
                     "Fulk 2008 (MDC90); Tang 2012 (MCID)", LOINC, "64098-7"),
        ClinicalTest("tug", "Timed Up and Go", "s", "s", 1.0, 300.0, False, 2.9, None,
                     "Flansbjer 2005 (smallest real difference)", GAITWAY_CODE_SYSTEM,
                     "timed-up-and-go"),
        ClinicalTest("bbs", "Berg Balance Scale", "points", "{score}", 0.0, 56.0, True, 6.0, None,
                     "Stevenson 2001 (MDC95)", GAITWAY_CODE_SYSTEM,
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
    #: where both numbers come from (shown next to every flag)
    source: str


SPEED_BANDS: Final[tuple[SpeedBand, ...]] = (
    # MDC95 0.10 m/s: Lewek & Sykes 2019; MCID 0.16 m/s: Tilson 2010 (subacute stroke)
    SpeedBand("household", "household walker", 0.0, 0.4, 0.10, 0.16,
              "MDC Lewek & Sykes 2019; MCID Tilson 2010"),
    # MDC95 0.15 m/s: Lewek & Sykes 2019; MCID 0.175 m/s: Fulk 2011 (stroke outpatients)
    SpeedBand("limited", "limited community walker", 0.4, 0.8, 0.15, 0.175,
              "MDC Lewek & Sykes 2019; MCID Fulk 2011"),
    # MDC95 0.18 m/s: Lewek & Sykes 2019; MCID 0.10 m/s "substantial": Perera 2006 (older
    # adults; no stroke MCID above 0.8 m/s is established). The MCID is below the MDC here, so
    # a change must also exceed the MDC to be flagged (see gaitway.clinic.progress).
    SpeedBand("community", "community walker", 0.8, float("inf"), 0.18, 0.10,
              "MDC Lewek & Sykes 2019; MCID Perera 2006 (older adults)"),
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
    SessionMeasure("active_participation_nm", "Active participation (cuff torque)", "N*m",
                   True, GAITWAY_CODE_SYSTEM, "active-participation-torque", "N.m"),
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
