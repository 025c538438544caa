"""The virtual patient: walking intent turned into voluntary joint torques, shaped by impairment.

The model is deliberately simple and transparent (a "neuromechanical caricature"):
- Intent: a gait-phase oscillator whose frequency follows the belt speed (the patient walks at
  the stride time normative for their height) and which entrains to the leg's actual motion
  through the hip's phase portrait, so a patient led by the robot falls into its rhythm.
- Each leg has its own intended stance fraction and the legs are offset by half a cycle plus a
  step-phase shift: with the robot transparent, this gives the paretic leg's shorter stance and
  step-time asymmetry.
- Voluntary torque is a joint impedance around the intended angles, saturated at the joint's
  strength; the paretic knee intends less swing flexion (stiff-knee gait), the dorsiflexors
  are weakened by foot drop, and a velocity-dependent stretch reflex above a threshold (spasticity)
  resists fast knee flexion and ankle dorsiflexion.
- Swing starts and ends from the leg's state as well as from the clock: an extended, unloaded
  stance leg lifts off; a foot caught on the belt in swing before it is ahead of the hip is
  lifted (the stumble reaction), and the rhythm waits until the hip has brought it forward.
- A stiff-knee swing is compensated as patients do it: more hip flexion and a harder pull on
  the toes in swing, so a weak knee does not drag the foot along the belt.
- Effort adapts from stride to stride (:mod:`gaitway.station.sim.motor`): each leg's drive
  trades the kinematic error it feels against the effort it spends (Emken et al. 2007), so
  steady help from the robot lowers it over minutes (slacking) and less help raises it up to
  what the patient can give. The drive scales what the patient intends (the pull toward the
  goal posture and the intended velocity, and the moments that swing the leg, which grow
  with the square of the cadence) and part of the gain of the knee extensors' answer to
  load; the damping of the leg's motion and the spastic stretch reflex do not slack. With
  its drive the patient also takes over the share of the work of moving the leg along its
  stride that the cuffs have been supplying (a feedforward learnt over strides, not a push
  along with the cuffs). The knee extensors' answer to load ends as the leg unloads at the
  end of its stance. The
  error is measured against normal walking at the speed, which the patient tries for.
- Fatigue builds with effort during a session, weakens every joint and lowers the EMG median
  frequency; it recovers between sessions. Participation bounds the torque and drifts slowly.
- Occasional events (stop button, a pain report) are drawn as a Poisson process per session.
All randomness comes from one seed, so the same seed gives the same session bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gaitway.gait.reference import GRAVITY, ReferenceGait, nearest_phase, stride_time_s
from gaitway.station.channels import SIDES
from gaitway.station.sim.emg import SyntheticEmg
from gaitway.station.sim.motor import (
    EffortLearner,
    EffortRule,
    load_response_gain,
    path_error2,
    swing_moments,
)
from gaitway.station.sim.profiles import PatientProfile, SideImpairment

FloatArray = npt.NDArray[np.float64]
TWO_PI: Final[float] = 2.0 * math.pi
_TABLE_N: Final[int] = 1000

# Joint impedance and peak torque of a healthy 75 kg adult (scaled by body mass).
_KP: Final[dict[str, float]] = {"hip": 260.0, "knee": 220.0, "ankle": 140.0}
_KD: Final[dict[str, float]] = {"hip": 10.0, "knee": 7.0, "ankle": 2.5}
_TMAX: Final[dict[str, float]] = {"hip": 120.0, "knee": 110.0, "ankle": 130.0}
#: the knee extensors' torque-angle relation: their largest torque rises from the extended
#: knee (the _TMAX above, 1.47 N*m/kg: adults' extended-knee knee extension, 1.34-2.23 N*m/kg
#: in men and 1.01-1.50 in women) to about 1.8 times that at mid-range flexion (2.92-3.45 and
#: 2.08-2.74 N*m/kg; Sarabon et al. 2021, Front Physiol 12:767941, pooled 95 % CIs of 411
#: studies), reached here at 60 deg. A bound flat over the angle left a loaded knee that yields
#: as weak at 0.6 rad as at 0.1 rad: the weak patients' stance knee sank into a crouch at
#: 3.2 km/h and the belt dragged the hips to their range's end (issue 12, envelope ninth round)
KNEE_EXTENSOR_MID_RANGE_GAIN: Final[float] = 1.8
KNEE_EXTENSOR_MID_RANGE_RAD: Final[float] = math.radians(60.0)


def knee_extensor_angle_gain(knee_rad: float) -> float:
    """How much more extending torque the knee extensors give at ``knee_rad`` of flexion than
    at the extended knee (1 at or beyond extension, :data:`KNEE_EXTENSOR_MID_RANGE_GAIN` from
    mid-range flexion on, linear between)."""
    x = knee_rad / KNEE_EXTENSOR_MID_RANGE_RAD
    x = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
    return 1.0 + (KNEE_EXTENSOR_MID_RANGE_GAIN - 1.0) * x
_STANDING: Final[dict[str, float]] = {"hip": 0.05, "knee": 0.08, "ankle": 0.0}
_STANDING_K: Final[tuple[float, ...]] = (
    _STANDING["hip"], _STANDING["hip"], _STANDING["knee"], _STANDING["knee"],
    _STANDING["ankle"], _STANDING["ankle"])
_MIN_WALK_SPEED: Final[float] = 0.08  # m/s: below it the patient stands
#: the intent is rebuilt when the belt's speed, or the speed its hold is taken at, has moved
#: this much since the last build (m/s)
_RETUNE_M_S: Final[float] = 0.03
#: a foot carrying less than this share of body weight when the patient stops is in the air
_SET_DOWN_BELOW: Final[float] = 0.1
#: ... over this long, a minimum-jerk movement: a person lowers a foot, they do not kick it
#: down (a step of the knee's target to standing extended a swing knee at 9 rad/s, past the
#: drives' velocity limit, when a pause caught it flexed 60 deg: a joint_velocity stop)
_SET_DOWN_S: Final[float] = 0.5
#: walking on after a stop, the patient takes up the robot's lead: this long after the belt
#: starts it fits its phase again to how the legs now move as well as where they are. The
#: posture alone is ambiguous near standing (both hips flexed, or the feet side by side fit
#: either leg leading about equally), and the robot's encoders and the anatomical angles
#: differ there by a few hundredths of a radian: the robot and the patient walked on up to
#: half a cycle apart, and the robot, at full guidance, fought the patient past the cuff
#: limit 1.1 s after the resume (2.00 m, 64 kg; issue 12, envelope tenth round). The robot's
#: gait fades in over the belt's first 0.12 m/s (a quarter of a second), during which the
#: legs move with the fade rather than the gait; from 0.4 s they show the gait (at 0.2 s the
#: fit still chose the other leg leading at one seed of three; SIMULATED)
_FOLLOW_AFTER_S: Final[float] = 0.4
#: the speed at which a profile's stance fraction is given (the default training speed)
_PROFILE_SPEED_M_S: Final[float] = 2.0 / 3.6
_ENTRAINMENT: Final[float] = 4.0  # 1/s, pull of the leg's actual phase on the intent
#: knee extensors driven by the load on the leg (positive force feedback, after Geyer & Herr
#: 2010): the fraction of the load's knee moment that the extensors answer
_LOAD_SUPPORT: Final[float] = 1.0
#: ... through the reflex's latency and the muscles' activation (a first-order lag): a loaded
#: knee yields for the first tens of milliseconds of stance (loading-response flexion, the
#: leg's shock absorber), where an instant answer made the leg a rigid strut that bounced the
#: foot off the belt at every heel strike
_LOAD_TAU_S: Final[float] = 0.06
#: ... and only in the leg's own stance: load reflexes are high in stance and suppressed in
#: swing (Capaday & Stein 1986). From the intended toe-off plus this much of a cycle until
#: ``_SWING_TO`` the answer is off, so a toe that scuffs the belt in swing does not extend the
#: knee into the belt (it did, and the scuffs grew into a chatter)
_SWING_GATE: Final[float] = 0.05
_SWING_TO: Final[float] = 0.9
#: a stiff-knee gait clears the foot with more hip flexion in swing (besides hip hiking and
#: circumduction, which a sagittal model cannot show): this fraction of the knee flexion lost
#: in swing is added to the intended hip flexion; without it the paretic toe drags on the belt
#: and moderate hemiparesis cannot walk at 0 % guidance. Modelling choices, tuned (with the
#: profiles' step-phase shifts) so that the stroke signs appear at 0 % guidance; not fitted.
_HIP_COMPENSATION: Final[float] = 0.5
#: ... and the toes are pulled up harder in swing (dorsiflexion intent, in rad per rad of knee
#: flexion lost; what the weakened dorsiflexors deliver of it is limited by foot drop)
_ANKLE_COMPENSATION: Final[float] = 2.0
#: the takeover: an active patient in a gait robot walks *with* it (therapists' instruction in
#: the Lokomat: "walk actively with the robot") and takes over the work the robot has been
#: doing. The patient supplies their drive times this much of the leg's learnt help share
#: (:attr:`EffortLearner.help_learnt`, the share of the positive work on hip and knee the
#: cuffs supplied over the last strides) again of the moments that move the leg along its
#: intended stride at the cadence (its own viscosity along the intended joint rates, and the
#: swing moments): a feedforward learnt for the stride, as people learn to anticipate a
#: robot's force over strides (Emken and Reinkensmeyer 2005). The higher the drive, the more
#: of the stride's positive work is the patient's and the less is left to the cuffs. Not an
#: answer to the cuffs' push (see below). Where the cuffs do little (0 % guidance, path
#: control inside its tunnel) there is nothing to take over: a fixed takeover (0.35 of the
#: moments whatever the cuffs did, response19h) swung a free non-paretic leg at full drive
#: past its intent (severe hemiparesis, path control: knee extension at 9 rad/s after a
#: resume, a joint_velocity stop) and shortened the paretic step-time asymmetry at 0 %
#: guidance; scaled by the cuffs' share, a patient at full drive takes over all of the help
#: they had, and one walking by themselves adds nothing.
_TAKEOVER: Final[float] = 1.0
#: the knee extensors' answer to load ends as the leg unloads at the end of its stance (vasti
#: are active from terminal swing to mid-stance, silent in pre-swing, Perry and Burnfield
#: 2010; load feedback to extensors falls with unloading, Duysens et al. 2000): from this
#: fraction of the leg's intended stance on, while the other foot carries more of the weight,
#: the felt load decays (the reflex's lag). Without it the extensors braked the pre-swing knee
#: flexion the robot drives (about 15 J per stride and leg at 2 km/h, healthy, guidance 100 %),
#: and the more so the higher the drive, so a patient trying harder left the robot more work.
#: Only the trailing leg unloads: the one whose foot has been on the belt since before the
#: other foot landed (terminal double support). Gated on the intended phase and the weight
#: alone, a leg that landed while the intent still placed it in late stance (the first steps
#: as the belt speeds up from a standstill) lost its answer to load while the other foot still
#: carried the weight: it landed onto a yielding knee, which the returning answer then
#: straightened at 4-5 rad/s, vaulting the patient, and the next swing whipped the knee to
#: 9-10 rad/s (healthy, 0 % support, 3.2 km/h, the most resistance, with the slow-belt hold as
#: first applied, slow12 held at each speed the belt passed: 6 of 8 seeds stopped; SIMULATED).
_UNLOADING_FROM: Final[float] = 0.5
#: a foot is on the belt for that ordering from this share of body weight on it (a force
#: plate's usual 20-50 N for an adult)
_ON_BELT_LOAD: Final[float] = 0.03
#: the robot's torque on the leg through the cuffs, as the patient feels it (skin and
#: proprioception, a first-order lag): the rhythm's wait and the stumble's lift go along with
#: a robot that holds the hip back (_LED_NM). The patient does not add the felt push to their
#: own torque: a patient who pushed along with the cuffs (up to 0.7 of the felt torque, until
#: issue 19's effort model took it out) spent the more muscle the harder the robot pushed, so
#: activation fell as guidance fell and under path control, against the published direction
#: (docs/validation/response-diagnosis.md). Effort follows the work the cuffs do not supply
#: instead (:mod:`gaitway.station.sim.motor`).
_FELT_TAU_S: Final[float] = 0.03
#: swing starts from the leg's state, not only from the clock (Pearson 2004, Duysens et al.
#: 2000: a stance leg lifts off once its hip is extended and its load has passed to the other
#: leg). A stance leg whose hip is this far (rad) beyond the extension its intent peaks at,
#: while the other foot carries more of the weight than it does, hurries the rhythm on to its
#: toe-off. Without it, at slow belt speeds the clock held a leg that had landed short in stance
#: until the belt dragged its hip to the end of its range (0.5 km/h, 0 % support: joint_range
#: after one stride). Where the hip stays within the margin (normal walking) nothing changes.
_EXTENDED_BY: Final[float] = 0.08
#: ... the rhythm's rate while it hurries (times the stride frequency), and the least load
#: (share of body weight) on the other foot for it to count as having taken the weight
_HURRY: Final[float] = 3.0
_TAKEN_LOAD: Final[float] = 0.1
#: swing ends from the leg's state too (McVea et al. 2005: hip flexion initiates the
#: swing-to-stance transition in walking cats): past the peak of its intended knee flexion, a
#: swinging leg whose foot caught the belt behind the hip (see _CAUGHT_LOAD) and whose hip is
#: this far (rad) short of its intent holds the rhythm back, so the knee does not extend and
#: the foot does not land before the thigh has brought it forward. (Held whenever the hip
#: lagged, caught or not, the paretic leg's every swing waited for its compensating hip
#: flexion, and assist-as-needed then did more work than full guidance: issue 19's
#: direction lost.) On the clock alone, at 0.7 km/h and 0 % support
#: the knee extended a foot that had touched the belt behind the hip into it, the thigh was
#: pushed back, and the belt dragged both legs to the hips' range limit (joint_range, no
#: stride). People walking slowly lengthen their swing and still land ahead of the hip
_SHORT_BY: Final[float] = 0.06
#: ... the rhythm's least rate while it waits (times the stride frequency)
_WAIT: Final[float] = 0.2
#: ... unless the robot holds the hip back (the cuff extending it by more than this, N*m,
#: above the resistance controller's largest torque against a slow swing): a person led by
#: the robot goes along with it, and waiting for a hip the robot holds back made the two
#: rhythms drift apart until the cuffs' torque stopped the session (interaction_force in a
#: resume's ramp from full guidance)
_LED_NM: Final[float] = 20.0
#: a swinging foot caught on the belt is lifted over it (the stumble corrective reaction's
#: elevating strategy: Forssberg 1979, Eng et al. 1994): a foot carrying this share of body
#: weight in swing, before its hip has brought it forward, is caught, not landing ...
_CAUGHT_LOAD: Final[float] = 0.03
#: ... and the leg flexes by this much more (rad; hip, knee, ankle dorsiflexion) ...
_LIFT: Final[tuple[float, float, float]] = (0.15, 0.4, 0.15)
#: ... rising within tens of milliseconds (the reaction's latency) and easing off over
#: a few tenths of a second once the foot is free
_LIFT_RISE_S: Final[float] = 0.04
_LIFT_FALL_S: Final[float] = 0.15


@dataclass(frozen=True, slots=True)
class PatientEvent:
    """What the virtual patient did that the session records (a station event)."""

    time_s: float
    kind: str  # "stop_button" | "pain_report"
    details: str
    source: str = "patient"


@dataclass(slots=True)
class _LegIntent:
    hip: list[float]
    knee: list[float]
    ankle: list[float]
    dhip: list[float]
    dknee: list[float]
    dankle: list[float]
    #: the gait the patient tries for (normal walking at the speed, whatever the impairment):
    #: the kinematic error the effort learns from is measured against it
    goal_hip: list[float]
    goal_knee: list[float]
    #: moments that swing the leg along the intent, per (stride/s)^2 (see motor.py)
    swing_hip: list[float]
    swing_knee: list[float]


def _smooth_window(phases: FloatArray, start: float, end: float) -> FloatArray:
    """0 before start, 1 inside [start + ramp, end - ramp], raised-cosine ramps."""
    ramp = 0.08
    w = np.clip((phases - start) / ramp, 0.0, 1.0) * np.clip((end - phases) / ramp, 0.0, 1.0)
    out: FloatArray = 0.5 - 0.5 * np.cos(np.pi * w)
    return out


def _leg_intent(ref: ReferenceGait, imp: SideImpairment, mass_kg: float,
                goal: ReferenceGait) -> _LegIntent:
    """``ref``: the unimpaired gait at the leg's own stance fraction, which the impairment
    shapes; ``goal``: normal walking at the speed, what the patient tries for."""
    phases = np.arange(_TABLE_N + 1) / _TABLE_N
    hip, knee, ankle = ref.table("hip"), ref.table("knee"), ref.table("ankle")
    goal_hip, goal_knee = goal.table("hip").tolist(), goal.table("knee").tolist()
    swing = _smooth_window(phases, ref.stance_fraction - 0.08, 1.0)
    knee_floor = float(knee.min())
    lost = swing * (1.0 - imp.knee_swing_scale) * (knee - knee_floor)
    knee = knee - lost
    # compensation of a stiff-knee gait: more hip flexion and dorsiflexion to clear the foot
    hip = hip + _HIP_COMPENSATION * lost
    ankle = ankle + _ANKLE_COMPENSATION * lost

    def rate(x: FloatArray) -> list[float]:
        out: list[float] = (np.gradient(x) * _TABLE_N).tolist()
        return out

    swing_hip, swing_knee = swing_moments(
        hip, knee, _smooth_window(phases, ref.stance_fraction, 1.0),
        height_m=ref.height_m, mass_kg=mass_kg)
    return _LegIntent(
        hip=hip.tolist(), knee=knee.tolist(), ankle=ankle.tolist(),
        dhip=rate(hip), dknee=rate(knee), dankle=rate(ankle),
        goal_hip=goal_hip, goal_knee=goal_knee, swing_hip=swing_hip, swing_knee=swing_knee,
    )


def knee_extensor_max_nm(profile: PatientProfile) -> tuple[float, float]:
    """The largest knee-extending torque (N*m) each leg (left, right) of ``profile`` gives at
    its usual participation: the model's own strength bound, as :class:`VirtualPatient`
    applies it (day-to-day variation and fatigue aside)."""
    left, right = (_TMAX["knee"] * profile.mass_kg / 75.0
                   * (0.3 + 0.7 * profile.side(s).knee_strength) * profile.participation
                   for s in SIDES)
    return left, right


def _pos(x: float) -> float:
    return x if x > 0.0 else 0.0


def _mean_strength(imp: SideImpairment) -> float:
    return (imp.hip_strength + imp.knee_strength + imp.ankle_strength) / 3.0


class VirtualPatient:
    """A profile brought to life for one session. ``seed`` fixes everything random."""

    def __init__(self, profile: PatientProfile, *, seed: int, session_index: int = 0,
                 fatigue: float = 0.0, events: bool = True,
                 effort_rule: EffortRule | None = None) -> None:
        self.profile = profile
        ss = np.random.SeedSequence([seed, session_index, 0x9A17])
        day_ss, emg_ss, ev_ss, drift_ss = ss.spawn(4)
        day = np.random.default_rng(day_ss)
        self._drift_rng = np.random.default_rng(drift_ss)
        self.day_strength = float(np.clip(day.normal(1.0, profile.day_variability), 0.8, 1.2))
        self.day_cadence = float(np.clip(day.normal(1.0, profile.day_variability / 4), 0.95, 1.05))
        self.fatigue = float(fatigue)
        self.participation_now = profile.participation
        self.emg = SyntheticEmg(np.random.default_rng(emg_ss))
        mass_scale = profile.mass_kg / 75.0
        self._kp: list[float] = []
        self._kd: list[float] = []
        self._tmax: list[float] = []
        self._foot_drop: list[float] = []
        self._spas_gain: list[float] = []
        self._spas_thr: list[float] = []
        for side in SIDES:
            imp = profile.side(side)
            self._foot_drop.append(imp.foot_drop)
            self._spas_gain.append(imp.spasticity_gain * mass_scale)
            self._spas_thr.append(imp.spasticity_threshold)
        # torque order: hip_l, hip_r, knee_l, knee_r, ankle_l, ankle_r (the model's muscles)
        for joint in ("hip", "knee", "ankle"):
            for side in SIDES:
                strength = getattr(profile.side(side), f"{joint}_strength")
                self._kp.append(_KP[joint] * mass_scale * (0.35 + 0.65 * strength))
                self._kd.append(_KD[joint] * mass_scale * (0.35 + 0.65 * strength))
                self._tmax.append(_TMAX[joint] * mass_scale * (0.3 + 0.7 * strength))
        self._support = [_LOAD_SUPPORT * (0.3 + 0.7 * profile.side(s).knee_strength)
                         for s in SIDES]
        self._load = [0.0, 0.0]  # the load as the muscles answer it (lagged), N
        #: where each leg's load reflex is gated off (its intended toe-off plus _SWING_GATE)
        self._swing_from = [profile.side(s).stance_fraction + _SWING_GATE for s in SIDES]
        #: each leg's intended toe-off (phase) and the hip angle (rad) beyond which it is
        #: extended enough to lift off (see _EXTENDED_BY)
        self._toe_off = [profile.side(s).stance_fraction for s in SIDES]
        self._lift_off_hip = [-math.inf, -math.inf]
        self._taken_n = _TAKEN_LOAD * profile.mass_kg * GRAVITY
        self._on_belt_n = _ON_BELT_LOAD * profile.mass_kg * GRAVITY
        #: whether each foot is on the belt, and which foot landed last (-1: none yet)
        self._on_belt = [False, False]
        self._landed_last = -1
        #: how often a leg's state started its swing ahead of the clock (ticks, per leg)
        self.hurried_ticks = [0, 0]
        #: each leg's phase of peak intended knee flexion in swing (terminal swing begins)
        self._terminal_from = [1.0, 1.0]
        #: how often a swinging leg short of its intent held the rhythm back (ticks, per leg)
        self.held_ticks = [0, 0]
        #: each leg's stumble reaction (0-1, see _LIFT), and how often a foot was caught
        self._lift = [0.0, 0.0]
        self._caught_n = _CAUGHT_LOAD * profile.mass_kg * GRAVITY
        self.caught_ticks = [0, 0]
        self._shank = 0.246 * profile.height_m
        # phase offsets: the paretic leg (or left) leads; the other follows half a cycle later
        # phase 0 is the left heel strike, as for the robot's reference; the non-paretic leg's
        # intended heel strike comes half a cycle minus the shift after the paretic one
        shift = profile.step_phase_shift
        self.phase_offset_left = 0.0
        self.phase_offset_right = 0.5 + shift if profile.paretic_side != "right" else 0.5 - shift
        self.phase = 0.0
        self._speed = -1.0
        #: the speed whose belt factor the intent was held to at the last retune
        #: (gaitway.gait.reference: the faster of the belt's and the set one)
        self._hold_speed = -1.0
        self._freq = 0.0
        self._tabs: list[list[float]] | None = None
        self._goal: list[list[float]] = []
        self._swing: list[list[float]] = []
        self._goal_stance = 0.6
        #: each leg's drive (0-1), adapted from stride to stride (see motor.py)
        self.effort = EffortLearner(effort_rule, strength=(
            _mean_strength(profile.left), _mean_strength(profile.right)))
        self._q: list[float] = list(_STANDING_K)
        self._dq: list[float] = [0.0] * 6
        self._felt = [0.0, 0.0, 0.0, 0.0]
        #: the posture stood in: the standing posture at first; after walking, where the
        #: legs stopped (a stop mid-stride leaves one foot forward, and nobody pulls a planted
        #: foot back along the belt against the robot holding it there). None: not yet walked
        self._stand = list(_STANDING_K)
        #: a foot being set down: where its joints were, and how far along (0-1) the movement is
        self._set_down_from = list(_STANDING_K)
        self._set_down = 1.0
        self._stand_here: bool | None = None
        self._pick_phase = False
        self._follow_in = 0.0  # s until the phase is fitted to the legs' motion (0: done)
        self._dorsi = [1.0 - self._foot_drop[0], 1.0 - self._foot_drop[1]]
        self._reflex_knee = [0.0, 0.0]
        self._reflex_ankle = [0.0, 0.0]
        self._tick = 0
        self.torque = [0.0] * 6
        self.voluntary = [0.0] * 6
        self.activation = [0.0] * 8
        #: bumped whenever ``activation`` changes, so the EMG generator can reuse its rows
        self.activation_version = 0
        self.events = self._draw_events(np.random.default_rng(ev_ss)) if events else []
        self._next_event = 0

    # -- session-level ----------------------------------------------------------------------
    def _draw_events(self, rng: np.random.Generator, horizon_s: float = 4 * 3600.0
                     ) -> list[PatientEvent]:
        out: list[PatientEvent] = []
        for kind, rate_h, what in (
            ("stop_button", self.profile.stop_button_rate_per_hour, "patient pressed stop"),
            ("pain_report", self.profile.pain_report_rate_per_hour, "patient reports pain"),
        ):
            if rate_h <= 0:
                continue
            t = 0.0
            while True:
                t += float(rng.exponential(3600.0 / rate_h))
                if t > horizon_s:
                    break
                out.append(PatientEvent(round(t, 3), kind, what))
        out.sort(key=lambda e: e.time_s)
        return out

    def rest(self, days: float) -> None:
        """Recovery between sessions: fatigue decays with a time constant of half a day."""
        self.fatigue *= math.exp(-days / 0.5)

    def _retune(self, speed: float, height: float, set_speed: float) -> None:
        self._speed = speed
        self._hold_speed = hold = max(speed, set_speed)
        if speed < _MIN_WALK_SPEED:
            self._lift[:] = (0.0, 0.0)  # standing: no swing to lift
            if self._tabs is not None:  # stops walking: stands where the legs are
                self._stand_here = True
            self._tabs = None
            self._freq = 0.0
            return
        if self._tabs is None and self._stand_here is not None:
            self._pick_phase = True  # walks on after a stop: from where the legs stand
        self._stand_here = False  # walking (not None: has walked)
        legs = []
        base_stance = ReferenceGait(speed_m_s=_PROFILE_SPEED_M_S, height_m=height).stance_fraction
        # held to the belt at the set speed while the belt ramps to it (the robot's reference
        # is too; gaitway.gait.reference): a severe paretic patient's intent, shrunk toward
        # no stance sweep as the belt restarted, landed crouched after a resume until the
        # sound hip was dragged past its range (3 of 10 seeds, resistance, 41 % support,
        # 2.8 km/h; SIMULATED)
        normal = ReferenceGait(speed_m_s=speed, height_m=height, hold_speed_m_s=hold)
        for side in SIDES:
            imp = self.profile.side(side)
            # people's stance lengthens as they walk slower: the profile's stance fraction
            # holds at the default speed and moves with the natural one (else a patient
            # led at 0.8 km/h fights the robot's longer stance all session)
            stance = min(max(imp.stance_fraction + normal.stance_fraction - base_stance, 0.45),
                         0.8)
            ref = ReferenceGait(speed_m_s=speed, height_m=height, stance_fraction=stance,
                                hold_speed_m_s=hold)
            legs.append(_leg_intent(ref, imp, self.profile.mass_kg, normal))
            i = SIDES.index(side)
            self._swing_from[i] = stance + _SWING_GATE
            self._toe_off[i] = stance
            self._lift_off_hip[i] = min(legs[-1].hip[:int(stance * _TABLE_N)]) - _EXTENDED_BY
            knee = legs[-1].knee
            first = int(stance * _TABLE_N)
            self._terminal_from[i] = (first + int(np.argmax(knee[first:_TABLE_N]))) / _TABLE_N
        # flat tables, order hip_l, hip_r, knee_l, knee_r, ankle_l, ankle_r; then their rates
        lf, rt = legs
        self._tabs = [lf.hip, rt.hip, lf.knee, rt.knee, lf.ankle, rt.ankle,
                      lf.dhip, rt.dhip, lf.dknee, rt.dknee, lf.dankle, rt.dankle]
        self._goal = [lf.goal_hip, rt.goal_hip, lf.goal_knee, rt.goal_knee]
        self._swing = [lf.swing_hip, rt.swing_hip, lf.swing_knee, rt.swing_knee]
        self._goal_stance = normal.stance_fraction
        self._freq = self.day_cadence / stride_time_s(speed, height)

    @property
    def next_event_time(self) -> float:
        if self._next_event < len(self.events):
            return self.events[self._next_event].time_s
        return math.inf

    def due_events(self, t: float) -> list[PatientEvent]:
        """Events whose time has come (each returned once)."""
        out: list[PatientEvent] = []
        while self._next_event < len(self.events) and self.events[self._next_event].time_s <= t:
            out.append(self.events[self._next_event])
            self._next_event += 1
        return out

    @property
    def hold_speed_m_s(self) -> float:
        """The speed whose belt factor the intent and the goal are held to (m/s; the
        faster of the belt's and the set one at the last rebuild, -1 before the first)."""
        return self._hold_speed

    @property
    def standing_posture(self) -> tuple[float, float]:
        """Hip and knee flexion (rad) the patient stands in before walking: the twin
        starts them there."""
        return _STANDING["hip"], _STANDING["knee"]

    def phase_of(self, side_index: int) -> float:
        off = self.phase_offset_left if side_index == 0 else self.phase_offset_right
        return (self.phase + off) % 1.0

    # -- per tick -----------------------------------------------------------------------------
    def update(self, dt: float, belt_speed: float, q: list[float], dq: list[float],
               load: tuple[float, float], felt: list[float] | None = None,
               belt_set_speed: float = 0.0) -> list[float]:
        """Voluntary + reflex torques for one tick.

        ``q``/``dq``: anatomical angles and velocities, order hip_l, hip_r, knee_l, knee_r,
        ankle_l, ankle_r; ``load``: vertical load on each foot (N), as the patient feels it;
        ``felt``: the robot's torque on the leg through the cuffs (N*m, + flexing), order
        hip_l, hip_r, knee_l, knee_r; ``belt_set_speed``: the speed the belt is set to (m/s),
        which the patient steps for while the belt ramps to it (0: none, the belt's own).
        Returns muscle torques in the same order (a list reused each tick).
        """
        if (abs(belt_speed - self._speed) > _RETUNE_M_S or abs(
                max(belt_speed, belt_set_speed) - self._hold_speed) > _RETUNE_M_S):
            self._retune(belt_speed, self.profile.height_m, belt_set_speed)
        kp, kd, tmax = self._kp, self._kd, self._tmax
        strength = self.day_strength * (1.0 - 0.5 * self.fatigue) * self.participation_now
        vol = self.voluntary
        tabs = self._tabs
        self._q = q
        self._dq = dq
        push = self._felt
        ld = self._load
        a = dt / _LOAD_TAU_S
        on_belt = self._on_belt
        for s in (0, 1):
            on = load[s] > self._on_belt_n
            if on and not on_belt[s]:
                self._landed_last = s
            on_belt[s] = on
        for s in (0, 1):
            ph_s = (self.phase + (self.phase_offset_right if s else self.phase_offset_left)) % 1.0
            # reflex gated off in swing, and while a caught foot is lifted
            if self._swing_from[s] < ph_s < _SWING_TO or self._lift[s] > 0.1:
                ld[s] = 0.0
            elif (ph_s > _UNLOADING_FROM * self._toe_off[s] and ph_s < _SWING_TO
                  and load[1 - s] > load[s] and on_belt[1 - s]
                  and self._landed_last == 1 - s):  # trailing: the other foot has the weight
                ld[s] -= a * ld[s]
            else:
                ld[s] += a * (load[s] - ld[s])
        if felt is not None:  # the cuffs' push, as felt through skin and proprioception
            a = dt / _FELT_TAU_S
            for k in range(4):
                push[k] += a * (felt[k] - push[k])
        if tabs is None:
            stand, start = self._stand, self._set_down_from
            if self._stand_here:
                self._stand_here = False
                stand[:] = q[:6]
                start[:] = q[:6]
                # a foot the belt's stop caught in the air is set down, knee and ankle as
                # in standing (nobody waits out a pause on one leg; a toe left resting on
                # the belt was dragged back into the joint's limit at the restart)
                for s in (0, 1):
                    if load[s] < _SET_DOWN_BELOW * self.profile.mass_kg * GRAVITY:
                        stand[2 + s] = _STANDING_K[2 + s]
                        stand[4 + s] = _STANDING_K[4 + s]
                        self._set_down = 0.0
            x = self._set_down
            if x < 1.0:
                x = self._set_down = min(1.0, x + dt / _SET_DOWN_S)
            sx = x * x * x * (10.0 - 15.0 * x + 6.0 * x * x)  # minimum jerk, 0 -> 1
            for k in range(6):
                aim = start[k] + sx * (stand[k] - start[k])
                v = kp[k] * (aim - q[k]) - kd[k] * dq[k]
                lim = tmax[k] * strength
                if 2 <= k < 4 and v < 0.0:  # extending a knee: stronger as it flexes
                    lim *= knee_extensor_angle_gain(q[k])
                vol[k] = lim if v > lim else (-lim if v < -lim else v)
        else:
            if self._pick_phase:  # walks on from the phase nearest the posture
                self._pick_phase = False
                # judged against normal walking (the goal gait, the robot's reference too),
                # not against the impaired intent: a pause with both hips flexed fitted the
                # paretic swing's hip compensation a quarter stride away from the robot's fit
                # of the same posture, and the robot, which carries a resume at full guidance
                # (ControlStack.resume_at_full_guidance), then fought the patient past the
                # cuff limit (issue 12 item 4). The phase offsets stay the patient's own
                goal = self._goal
                self.phase = nearest_phase(
                    goal[0], goal[1], goal[2], goal[3], (q[0], q[1], q[2], q[3]),
                    offset_left=self.phase_offset_left, offset_right=self.phase_offset_right)
                self._follow_in = _FOLLOW_AFTER_S
            f = self._freq
            if self._follow_in > 0.0:
                self._follow_in -= dt
                if self._follow_in <= 0.0:  # the robot's lead, as the legs now move
                    goal = self._goal
                    self.phase = nearest_phase(
                        goal[0], goal[1], goal[2], goal[3], (q[0], q[1], q[2], q[3]),
                        offset_left=self.phase_offset_left,
                        offset_right=self.phase_offset_right,
                        velocity=(dq[0], dq[1], dq[2], dq[3]), rate_hz=f)
            w = TWO_PI * f
            ph = self.phase
            xl = ((ph + self.phase_offset_left) % 1.0) * _TABLE_N
            xr = ((ph + self.phase_offset_right) % 1.0) * _TABLE_N
            il = int(xl)
            ir = int(xr)
            # entrainment to the hip's actual motion, through the phase portrait
            hip_l, hip_r, dhip_l, dhip_r = tabs[0], tabs[1], tabs[6], tabs[7]
            e_l = (math.atan2(-dq[0] / w, q[0] - 0.2)
                   - math.atan2(-dhip_l[il] / TWO_PI, hip_l[il] - 0.2))
            e_r = (math.atan2(-dq[1] / w, q[1] - 0.2)
                   - math.atan2(-dhip_r[ir] / TWO_PI, hip_r[ir] - 0.2))
            err = ((e_l + math.pi) % TWO_PI - math.pi) + ((e_r + math.pi) % TWO_PI - math.pi)
            rate = f + _ENTRAINMENT * err / (2.0 * TWO_PI)
            lo, hi = 0.6 * f, 1.4 * f  # a stumble slows the rhythm, never stops it
            rate = lo if rate < lo else (hi if rate > hi else rate)
            # terminal swing with the foot still behind the hip (thigh and shank of equal
            # length: the ankle is behind the hip while hip flexion < half the knee's): a
            # foot that touches the belt there is caught, not landing, and is lifted; while
            # it is lifted, a hip short of its intent holds the rhythm back until it has
            # brought the foot forward (hip position ends the swing)
            lift = self._lift
            for s in (0, 1):
                if ((xr if s else xl) > self._terminal_from[s] * _TABLE_N
                        and q[s] < 0.5 * q[2 + s]):
                    if load[s] > self._caught_n:
                        self.caught_ticks[s] += 1
                        lift[s] += (1.0 - lift[s]) * dt / _LIFT_RISE_S
                    elif lift[s] > 0.0:
                        lift[s] -= lift[s] * dt / _LIFT_FALL_S
                    if (lift[s] > 0.1 and q[s] < tabs[s][ir if s else il] - _SHORT_BY
                            and push[s] > -_LED_NM):
                        self.held_ticks[s] += 1
                        if rate > _WAIT * f:
                            rate = _WAIT * f
                elif lift[s] > 0.0:
                    lift[s] -= lift[s] * dt / _LIFT_FALL_S
            # a stance leg extended past its intent with the weight on the other foot starts
            # its swing now (the hip-extension and unloading rules of swing initiation)
            for s in (0, 1):
                ph_s = (xr if s else xl) / _TABLE_N
                if (0.25 < ph_s < self._toe_off[s] and q[s] < self._lift_off_hip[s]
                        and load[1 - s] > load[s] and load[1 - s] > self._taken_n):
                    self.hurried_ticks[s] += 1
                    if rate < _HURRY * f:
                        rate = _HURRY * f
            self.phase = ph = (ph + dt * rate) % 1.0
            xl = ((ph + self.phase_offset_left) % 1.0) * _TABLE_N
            xr = ((ph + self.phase_offset_right) % 1.0) * _TABLE_N
            il = int(xl)
            ir = int(xr)
            al = xl - il
            ar = xr - ir
            drive, help_learnt = self.effort.drive, self.effort.help_learnt
            swing, f2, lifts = self._swing, f * f, _LIFT
            # the lift goes along with a robot that holds the hip back, as the rhythm's wait
            # does: fading to none at _LED_NM of extending cuff torque (lifting against full
            # guidance drove the cuffs' torque to the interaction limit: healthy, 0.7 km/h,
            # 0 % support, guidance 100 %)
            lift_l = lift[0] * min(1.0, max(0.0, 1.0 + push[0] / _LED_NM))
            lift_r = lift[1] * min(1.0, max(0.0, 1.0 + push[1] / _LED_NM))
            for k in range(6):
                tab = tabs[k]
                if k & 1:
                    i, a, up = ir, ar, lift_r
                else:
                    i, a, up = il, al, lift_l
                target = tab[i] + (tab[i + 1] - tab[i]) * a + up * lifts[k >> 1]
                # the drive scales what the patient intends (where to and how fast); the
                # damping of the leg's actual motion (muscles' and tissues' viscosity) does
                # not slack: without it a limp leg chatters on the belt
                u = drive[k & 1]
                v = u * (kp[k] * (target - q[k]) + kd[k] * tabs[6 + k][i] * f) - kd[k] * dq[k]
                if k < 4:  # swings the leg, and takes over moving it along its stride
                    sw = swing[k]
                    gr = tabs[6 + k]
                    c = _TAKEOVER * help_learnt[k & 1]
                    v += u * f2 * (1.0 + c) * (sw[i] + (sw[i + 1] - sw[i]) * a)
                    v += u * c * kd[k] * (gr[i] + (gr[i + 1] - gr[i]) * a) * f
                lim = tmax[k] * strength
                if k >= 4:
                    if v > 0.0:  # dorsiflexion: foot drop weakens it
                        lim *= self._dorsi[k - 4]
                elif k >= 2 and q[k] > 0.0:  # knee extensors answer the leg's load
                    v -= (self._support[k - 2] * load_response_gain(u) * ld[k - 2]
                          * self._shank * math.sin(q[k]))
                    if v < 0.0:  # extending: stronger as the knee flexes
                        lim *= knee_extensor_angle_gain(q[k])
                vol[k] = lim if v > lim else (-lim if v < -lim else v)
        tau = self.torque
        tau[:] = vol
        # spasticity: stretch reflex resisting fast knee flexion and ankle dorsiflexion
        rk = self._reflex_knee
        ra = self._reflex_ankle
        for s in (0, 1):
            g = self._spas_gain[s]
            thr = self._spas_thr[s]
            x = dq[2 + s]
            rk[s] = -g * (x - thr) if g > 0.0 and x > thr else 0.0
            x = dq[4 + s]
            ra[s] = -g * (x - thr) if g > 0.0 and x > thr else 0.0
            tau[2 + s] += rk[s]
            tau[4 + s] += ra[s]
        self._tick += 1
        if self._tick % 10 == 0:
            self._slow_update(dt * 10)
        return tau

    def _learn(self, dt: float) -> None:
        """One sample of each leg's error against the goal gait for the effort rule."""
        goal, q, learner = self._goal, self._q, self.effort
        vol, felt, dq = self.voluntary, self._felt, self._dq
        if self._tabs is None or not goal:
            learner.pause()
            return
        for s in (0, 1):
            ph = self.phase_of(s)
            counts = ph >= self._goal_stance  # the swing: the error counts only there
            err2 = path_error2(goal[s], goal[2 + s], ph, q[s], q[2 + s]) if counts else 0.0
            learner.add(s, ph, 0.5 * err2, dt, counts=counts,
                        own_w=_pos(vol[s] * dq[s]) + _pos(vol[2 + s] * dq[2 + s]),
                        help_w=_pos(felt[s] * dq[s]) + _pos(felt[2 + s] * dq[2 + s]),
                        own_nm=abs(vol[s]) + abs(vol[2 + s]),
                        help_nm=abs(felt[s]) + abs(felt[2 + s]))

    def _slow_update(self, dt: float) -> None:
        """Effort, fatigue and EMG activation: slower than the torques (every 10th update)."""
        self._learn(dt)
        vol, tmax = self.voluntary, self._tmax
        effort = 0.0
        for k in range(6):
            m = tmax[k]
            if m > 0.0:
                effort += abs(vol[k]) / m
        effort /= 6.0
        p = self.profile
        fat = self.fatigue + dt / 60.0 * (p.fatigue_rate_per_min * effort
                                          - p.recovery_rate_per_min * (1.0 - effort)
                                          * self.fatigue)
        self.fatigue = min(max(fat, 0.0), 1.0)
        act = self.activation
        rk, ra = self._reflex_knee, self._reflex_ankle
        for s in (0, 1):
            an_max = tmax[4 + s] or 1.0
            kn_max = tmax[2 + s] or 1.0
            hp_max = tmax[s] or 1.0
            ta = max(vol[4 + s], 0.0) / an_max
            gm = (max(-vol[4 + s], 0.0) - ra[s]) / an_max
            vl = (max(-vol[2 + s], 0.0) - rk[s]) / kn_max
            bf = 0.6 * max(vol[2 + s], 0.0) / kn_max + 0.4 * max(-vol[s], 0.0) / hp_max
            act[s] = min(0.01 + ta, 1.0)
            act[2 + s] = min(0.01 + gm, 1.0)
            act[4 + s] = min(0.01 + vl, 1.0)
            act[6 + s] = min(0.01 + bf, 1.0)
        self.activation_version += 1

    def drift(self) -> None:
        """Slow wandering of participation (call about once a second)."""
        base = self.profile.participation
        step = float(self._drift_rng.normal(0.0, 0.02))
        self.participation_now = min(max(
            self.participation_now + 0.1 * (base - self.participation_now) + step, 0.05), 1.0)
