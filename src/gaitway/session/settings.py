"""One session's settings: the one typed object every entry point fills in.

``gaitway simulate``, ``gaitway compare``, the console's stations and ``gaitway station run``
all describe a session with :class:`SessionSettings`; :mod:`gaitway.session.builder` turns it
into station, patient, control, safety and recorder. Percentages, km/h and degrees at this edge
(what a therapist sets), SI inside (:meth:`SessionSettings.control_settings`). Validation
raises :class:`~gaitway.errors.UserError` with one line saying what to give instead.

This module is light (no MuJoCo, no loop): the clinic reads it through the session summary.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import uuid
from dataclasses import dataclass, fields
from typing import Any, Final

from gaitway.control.belt import MAX_SPEED_KMH, MIN_SPEED_KMH, MIN_SPEED_M_S
from gaitway.control.registry import check_controller
from gaitway.control.resist import DEFAULT_RESIST_DAMPING
from gaitway.control.settings import (
    MAX_FLOW_NM,
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    MAX_TUNNEL_WIDTH_DEG,
    ROM_SCALE,
)
from gaitway.errors import UserError
from gaitway.gait.reference import JointRom, RomSettings, check_walkable
from gaitway.safety.session import SessionSafety
from gaitway.session.pauses import parse_pauses
from gaitway.station.sim.profiles import PatientProfile, generate_cohort, get_profile

MAX_MINUTES: Final[float] = 240.0
MAX_BWS_PCT: Final[float] = 80.0
MAX_GUIDANCE_PCT: Final[float] = 100.0
MAX_WARMUP_S: Final[float] = 60.0
#: the patient's height and body mass a session's twin takes (m, kg): the range its scaled
#: virtual body is tested to walk in (tests/session/test_patient_body.py; a 2.10-m, 150-kg
#: body stopped before its first stride), most adults; a record outside it is refused with it
TWIN_HEIGHT_M: Final[tuple[float, float]] = (1.40, 2.00)
TWIN_MASS_KG: Final[tuple[float, float]] = (35.0, 150.0)
#: the least body-mass index (kg/m^2) of a body the twin takes: the two limits above are
#: independent, so alone they let a 2.00-m patient weigh 35 kg (8.8 kg/m^2), a body no adult
#: lives in; below 16 the WHO grades an adult's thinness severe, "a markedly increased risk
#: for ill health, poor physical performance, lethargy and even death" (WHO 1995, Physical
#: status: the use and interpretation of anthropometry, TRS 854; its extreme limit), and the
#: virtual cohort draws from 18 up (profiles.generate_cohort). The twin's
#: light, long-legged body at 8.8 kg/m^2 hopped off both plates at 3.2 km/h and ended in a
#: false `fall` (docs/validation/envelope.md, ninth round)
TWIN_MIN_BMI_KG_M2: Final[float] = 16.0


def lightest_body_kg(height_m: float) -> float:
    """The least body mass (kg) the twin takes at ``height_m``: the mass range's floor, or the
    least body-mass index at that height, whichever is heavier."""
    return max(TWIN_MASS_KG[0], TWIN_MIN_BMI_KG_M2 * height_m * height_m)


#: the corners of the bodies the twin takes (height m, mass kg): the height and mass range,
#: its light tall corner moved up to the least body-mass index
TWIN_BODY_CORNERS: Final[tuple[tuple[float, float], ...]] = tuple(
    (h, round(m if m > TWIN_MASS_KG[0] else lightest_body_kg(h), 1))
    for h in TWIN_HEIGHT_M for m in TWIN_MASS_KG)


_COHORT: Final[re.Pattern[str]] = re.compile(r"cohort-(\d{1,9})-(\d{3})")
MAX_COHORT: Final[int] = 500


def resolve_profile(profile_id: str) -> PatientProfile:
    """A registered virtual patient, or a member of a seeded virtual cohort by its id
    (``cohort-SEED-INDEX``, as :func:`generate_cohort` names them)."""
    m = _COHORT.fullmatch(profile_id) if isinstance(profile_id, str) else None
    if m is None:
        return get_profile(profile_id)
    seed, index = int(m.group(1)), int(m.group(2))
    if index >= MAX_COHORT:
        raise UserError(f"cohort patient {profile_id!r}: a cohort has at most {MAX_COHORT}")
    return generate_cohort(index + 1, seed)[index]  # seeded draws: a prefix of any cohort


def in_patient_body(profile: PatientProfile, height_m: float | None,
                    body_mass_kg: float | None) -> PatientProfile:
    """``profile`` (a virtual patient's impairment) in a patient's own body (their clinic
    record; None: the profile's), refused outside what the twin is tested to walk in."""
    if height_m is not None:
        _finite_in("the patient's height", height_m, *TWIN_HEIGHT_M, "m")
    if body_mass_kg is not None:
        _finite_in("the patient's body mass", body_mass_kg, *TWIN_MASS_KG, "kg")
    body = dataclasses.replace(
        profile, height_m=profile.height_m if height_m is None else float(height_m),
        mass_kg=profile.mass_kg if body_mass_kg is None else float(body_mass_kg))
    if height_m is not None or body_mass_kg is not None:
        bmi = body.mass_kg / body.height_m**2
        if bmi < TWIN_MIN_BMI_KG_M2:
            raise UserError(
                f"the patient's body ({body.height_m:g} m, {body.mass_kg:g} kg) has a "
                f"body-mass index of {bmi:.1f} kg/m^2, below the {TWIN_MIN_BMI_KG_M2:g} the "
                f"twin walks (severe thinness, WHO); check the record's height and mass: at "
                f"{body.height_m:g} m the twin takes {lightest_body_kg(body.height_m):.1f} kg "
                f"or more")
    return body


#: the settings that are lists of timed actions, kept out of to_dict when empty
TIMED_ACTIONS: Final[tuple[str, ...]] = ("injections", "acknowledgements", "pauses")


@dataclass(frozen=True)
class SettingRanges:
    """The range of each setting a session accepts and a therapist sets (low, high), the one
    list of them: the CLI's checks, the clinic store's prescriptions and the console's inputs
    (``GET /api/limits``) all ask here, so a value one accepts is never refused by another."""

    speed_kmh: tuple[float, float] = (MIN_SPEED_KMH, MAX_SPEED_KMH)
    guidance_pct: tuple[float, float] = (0.0, MAX_GUIDANCE_PCT)
    bws_pct: tuple[float, float] = (0.0, MAX_BWS_PCT)
    rom_scale: tuple[float, float] = ROM_SCALE


SETTING_RANGES: Final[SettingRanges] = SettingRanges()


def _finite_in(name: str, value: float, low: float, high: float, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"{name} needs a number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise UserError(f"{name} must be within {low:g}-{high:g} {unit}, got {value}")


@dataclass(frozen=True)
class SessionSettings:
    """What a session is: who trains (virtual patient profile, seed), for how long, and with
    which training settings. The same settings and seed are the same simulated session."""

    profile: str
    minutes: float
    seed: int = 0
    guidance_pct: float = 60.0
    bws_pct: float = 30.0
    speed_kmh: float = 2.0
    controller: str = "guidance"
    lateral_pelvis: bool = False
    patient_events: bool = True
    #: seconds at the start in which guidance ramps from 100 % down to the set level
    warmup_s: float = 8.0
    #: which session of the patient's course this is (the virtual patient changes over one)
    session_index: int = 0
    #: the virtual patient's fatigue at the start, 0 (fresh) to 1
    initial_fatigue: float = 0.0
    #: path control: tunnel half-width and supportive flow along the path
    tunnel_width_deg: float = 5.0
    path_flow_nm: float = 0.0
    #: assist-as-needed: therapist bounds on support, % of full guidance
    aan_min_pct: float = 30.0
    aan_max_pct: float = 100.0
    #: resistance: damping and a velocity-signed torque against the swinging leg's motion
    #: (accepted range and its reasons: gaitway.control.resist)
    resist_damping_nms_per_rad: float = DEFAULT_RESIST_DAMPING
    resist_torque_nm: float = 0.0
    #: range of motion: the reference's hip and knee excursion, scaled about its mean
    hip_rom_scale: float = 1.0
    knee_rom_scale: float = 1.0
    self_paced: bool = False
    #: respond to fatigue automatically, within these bounds (% of full guidance, of weight)
    adapt_to_fatigue: bool = True
    max_guidance_pct: float = 100.0
    max_bws_pct: float = 50.0
    #: faults to inject, as "FAULT@SECONDS" (see `gaitway faults`)
    injections: tuple[str, ...] = ()
    #: acknowledgements of a safety stop, as "NAME@SECONDS" (resume if accepted)
    acknowledgements: tuple[str, ...] = ()
    #: operator pauses, as "AT:SECONDS" (pause at AT s for SECONDS, then resume)
    pauses: tuple[str, ...] = ()
    #: the clinic prescription these settings follow (a console session of a patient with an
    #: active one), so that the recording names it as the store does; None: no prescription
    prescription_id: int | None = None
    #: the patient's own height and body mass (their clinic record); None: the profile's. The
    #: twin's body, the reference gait and the walkable-range check all take them
    height_m: float | None = None
    body_mass_kg: float | None = None

    def validate(self) -> SessionSettings:
        """Check every setting; raise UserError on the first that is wrong. Returns self."""
        profile = resolve_profile(self.profile)
        check_controller(self.controller)
        _finite_in("--minutes", self.minutes, 0.0, MAX_MINUTES, "min")
        if self.minutes <= 0.0:
            raise UserError(f"--minutes must be above 0 and at most {MAX_MINUTES:g}, "
                            f"got {self.minutes}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise UserError(f"--seed must be a whole number, 0 or above, got {self.seed!r}")
        if not (isinstance(self.speed_kmh, int | float) and math.isfinite(self.speed_kmh)
                and MIN_SPEED_KMH <= self.speed_kmh <= MAX_SPEED_KMH):
            raise UserError(f"--speed {self.speed_kmh} km/h is beyond what the device can "
                            f"reach: choose {MIN_SPEED_KMH}-{MAX_SPEED_KMH} km/h")
        _finite_in("--guidance", self.guidance_pct, *SETTING_RANGES.guidance_pct, "%")
        _finite_in("--bws", self.bws_pct, *SETTING_RANGES.bws_pct, "% of body weight")
        _finite_in("--tunnel-width", self.tunnel_width_deg, 0.0, MAX_TUNNEL_WIDTH_DEG, "deg")
        _finite_in("--flow (path flow)", self.path_flow_nm, 0.0, MAX_FLOW_NM, "N*m")
        _finite_in("--aan-min", self.aan_min_pct, 0.0, 100.0, "%")
        _finite_in("--aan-max", self.aan_max_pct, 0.0, 100.0, "%")
        if self.aan_min_pct > self.aan_max_pct:
            raise UserError(f"assist-as-needed support bounds: --aan-min ({self.aan_min_pct:g} %) "
                            f"must not exceed --aan-max ({self.aan_max_pct:g} %)")
        _finite_in("--resist-damping (resistance damping)", self.resist_damping_nms_per_rad, 0.0,
                   MAX_RESIST_DAMPING, "N*m*s/rad")
        _finite_in("--resist-torque (resistance torque)", self.resist_torque_nm, 0.0,
                   MAX_RESIST_TORQUE_NM, "N*m")
        for flag, v in (("--rom-hip", self.hip_rom_scale), ("--rom-knee", self.knee_rom_scale)):
            _finite_in(f"{flag} (range-of-motion scale)", v, *SETTING_RANGES.rom_scale,
                       "(1: as recorded)")
        check_walkable(self.speed_m_s, self.patient_profile(profile).height_m, self.rom,
                       min_speed_m_s=MIN_SPEED_M_S)
        _finite_in("--max-guidance", self.max_guidance_pct, *SETTING_RANGES.guidance_pct, "%")
        _finite_in("--max-bws", self.max_bws_pct, *SETTING_RANGES.bws_pct, "% of body weight")
        _finite_in("warm-up", self.warmup_s, 0.0, MAX_WARMUP_S, "s")
        _finite_in("initial fatigue", self.initial_fatigue, 0.0, 1.0, "(0 fresh, 1 exhausted)")
        if self.session_index < 0:
            raise UserError(f"session index must be 0 or above, got {self.session_index}")
        rx = self.prescription_id
        if rx is not None and (isinstance(rx, bool) or not isinstance(rx, int) or rx < 1):
            raise UserError(f"prescription id must be a whole number, 1 or above, got {rx!r}")
        SessionSafety.validate_injections(self.injections, self.minutes * 60.0)
        SessionSafety.validate_acknowledgements(self.acknowledgements)
        parse_pauses(self.pauses)
        return self

    # -- derived -------------------------------------------------------------------------------
    @property
    def session_id(self) -> str:
        """Deterministic: the same settings and seed are the same simulated session."""
        key = json.dumps(self.to_dict(), sort_keys=True)
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gaitway-sim:{key}"))

    @property
    def speed_m_s(self) -> float:
        return self.speed_kmh / 3.6

    @property
    def rom(self) -> RomSettings:
        return RomSettings(hip=JointRom(scale=self.hip_rom_scale),
                           knee=JointRom(scale=self.knee_rom_scale))

    def patient_profile(self, profile: PatientProfile) -> PatientProfile:
        """``profile`` (the virtual patient's impairment) in the patient's own body: at the
        settings' height and body mass where they give them."""
        return in_patient_body(profile, self.height_m, self.body_mass_kg)

    def replace(self, **changes: Any) -> SessionSettings:
        return dataclasses.replace(self, **changes)

    # -- as data -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (recording metadata, summary.json). Injections, acknowledgements and
        pauses only when there are any; the prescription id, height and body mass only when
        there is one (so the settings of a session without them, and its session id, are as
        before)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in TIMED_ACTIONS:
            if d[key]:
                d[key] = list(d[key])
            else:
                del d[key]
        for key in ("prescription_id", "height_m", "body_mass_kg"):
            if d[key] is None:
                del d[key]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "settings") -> SessionSettings:
        """The inverse of :meth:`to_dict`; unknown or missing fields are a UserError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"{where}: unknown setting(s) {', '.join(unknown)}")
        if "profile" not in data or "minutes" not in data:
            raise UserError(f"{where}: the settings must name profile and minutes")
        values = dict(data)
        for key in TIMED_ACTIONS:
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)
