"""The control stack: one Sample in, one Command out, every tick.

Per tick: heel strikes from the force plates, gait phase per leg (adaptive oscillator),
session changes that are due, the reference for each leg, the active controller (switched
between strides with a blend), body-weight support and belt speed, and the per-stride
monitor (tracking error, active participation) feeding assist-as-needed and the fatigue
detector. Everything per tick works on plain floats and reused lists; per-stride work
(assist-as-needed update, stride records, fatigue check) is amortised over a stride.

Reference timing: under guidance, assist-as-needed and resistance the robot sets the
cadence (the reference advances at the stride frequency of the reference gait, as on the
Lokomat); under path control the patient does (the reference follows the estimated phase).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from gaitway.control.aan import AssistAsNeededController
from gaitway.control.base import (
    GRAVITY,
    Compensation,
    Controller,
    ExoModel,
    TickContext,
)
from gaitway.control.belt import MIN_SPEED_M_S, BeltController
from gaitway.control.bws import BwsController
from gaitway.control.changes import ChangeChannel, ChangeKind, ChangeRequest
from gaitway.control.fatigue import EmgMedianFrequency, FatigueDetector
from gaitway.control.guidance import GuidanceController
from gaitway.control.participation import StrideMonitor, StrideRecord
from gaitway.control.path import PathController
from gaitway.control.phase import HeelStrikeDetector, PhaseOscillator, fourier_hip_coefficients
from gaitway.control.refbank import ReferenceBank
from gaitway.control.registry import ControllerEnv, controller_spec
from gaitway.control.resist import ResistanceController
from gaitway.control.settings import ControlSettings
from gaitway.control.switching import ControllerSwitch
from gaitway.errors import UserError
from gaitway.gait.reference import (
    ReferenceGait,
    RomSettings,
    check_walkable,
    nearest_phase,
    stride_time_s,
)
from gaitway.station.channels import (
    CONTROL,
    DRIVEN_DOFS,
    EMG_MUSCLES,
    LEG_DOFS,
    N_CONTROL_CHANNELS,
    SAMPLE_INDEX,
)
from gaitway.station.interface import Command, Sample, command_of

TWO_PI: Final[float] = 2.0 * math.pi
#: standing posture held below walking speed (rad), and how the gait fades in with speed
STAND_HIP: Final[float] = 0.05
STAND_KNEE: Final[float] = 0.08
WALK_MIN_SPEED_M_S: Final[float] = 0.08
#: the gait fades in while the belt speeds up (a start, a resume) over this much speed, and
#: is whole by the speed the belt is set to, if that is slower: a fade that always ran on to
#: 0.20 m/s asked a patient walking at 0.5 km/h (0.14 m/s) for half the reference's
#: excursion, half its swing knee flexion (28 deg instead of 52) and so a toe that caught the
#: belt, while the virtual patient walked its whole gait; at 0 % support the two fought past
#: the cuff limit (issue 12 item 4)
WALK_BLEND_M_S: Final[float] = 0.12
#: a switch of reference table (speed, range of motion) fades in with this time constant
REF_SWITCH_TAU_S: Final[float] = 0.15
#: a restart after a pause or an acknowledged stop hands full guidance back to the set level
#: over this long (as the session's warm-up does)
RESTART_GUIDANCE_RAMP_S: Final[float] = 8.0
#: a restart steps off with the unloaded leg: a leg carrying more than this share of the
#: weight on the feet goes on in stance, with at least this much of a cycle left before its
#: toe-off. Without it, a pause that left a severe left hemiparesis standing with 65 % of the
#: weight on the right foot and the left foot 7 deg ahead restarted at the left's heel strike
#: (the fit to the posture alone): the fade-in of the gait lifted the left foot forward while
#: the loaded right leg was asked to swing 0.15 s later; it swung late, landed under the hip
#: with the knee flexed 41 deg and was carried 25 deg behind its reference for the stance
#: (cuff torque 102 N*m at the right hip: interaction_force 2 s after the resume, self-paced
#: assist-as-needed at 30 % support, 3 of 3 seeds; SIMULATED)
RESTART_LOAD_SHARE: Final[float] = 0.6
RESTART_STANCE_LEFT: Final[float] = 0.2
#: ... and only when the feet carry at least this much (N) between them
RESTART_MIN_LOAD_N: Final[float] = 50.0
#: share of a drive's continuous torque the controllers may ask for; the rest is margin so
#: that the safety layer's clip means a controller out of bounds, never a rounding
DRIVE_TORQUE_SHARE: Final[float] = 0.95
_I = SAMPLE_INDEX
_C = TypeVar("_C", bound=Controller)
#: every joint list here is in DRIVEN_DOFS order (hip left, hip right, knee left, knee right)
_Q = tuple(_I[f"{j}_angle_{s}"] for j, s in DRIVEN_DOFS)
_QD = tuple(_I[f"{j}_velocity_{s}"] for j, s in DRIVEN_DOFS)
_CUFF: Final[dict[str, str]] = {"hip": "thigh", "knee": "shank"}  # the cuff each joint acts on
_TAU_INT = tuple(_I[f"interaction_torque_{_CUFF[j]}_{s}"] for j, s in DRIVEN_DOFS)
_GRF_Z = (_I["grf_z_left"], _I["grf_z_right"])
_HARNESS = _I["harness_force"]
_PELVIS_Z = _I["pelvis_height"]
_TIME = _I["time"]
(_HIP_L, _KNEE_L), (_HIP_R, _KNEE_R) = LEG_DOFS
_STAND: Final[tuple[float, ...]] = tuple(
    STAND_HIP if j == "hip" else STAND_KNEE for j, _ in DRIVEN_DOFS
)
#: the control values by name (station.channels.CONTROL)
_CV_REF = CONTROL.ref_angle
_CV_TAU = CONTROL.cmd_torque
_CV_HARNESS = CONTROL.cmd_harness_force
_CV_BELT = CONTROL.cmd_belt_speed
_CV_HARNESS_SET = CONTROL.cmd_harness_setpoint
_CV_BELT_SET = CONTROL.cmd_belt_setpoint
_CV_GUIDANCE = CONTROL.guidance
_CV_ASSIST = CONTROL.assist_level
_CV_PHASE_L = CONTROL.phase_estimate_left
_CV_PHASE_R = CONTROL.phase_estimate_right
#: the recorded target angles (a list reused by whichever controller owns it), guidance
#: level and assist level change slowly: refreshed every this many ticks (100 Hz at 1 kHz)
_SLOW_EVERY: Final[int] = 10


EventSink = Callable[..., Any]


def stack_oscillator(
    frequency_hz: float, coefficients: tuple[float, float, float, float, float]
) -> PhaseOscillator:
    """The gait-phase oscillator as the stack runs it: full correction at each heel strike,
    the cadence from the median of the last 5 strides, the hip angle's pull only when heel
    strikes are lost (see gaitway.control.phase; tuned on the twin's hemiparetic patients)."""
    return PhaseOscillator(
        frequency_hz=frequency_hz,
        coefficients=coefficients,
        hs_phase_gain=1.0,
        hs_frequency_gain=1.0,
        stride_memory=5,
        hs_nu_phi=0.0,
        hs_nu_omega=0.0,
    )


def _carrying(grf_left_n: float, grf_right_n: float) -> int | None:
    """The leg (0 left, 1 right) that carries the weight on the feet, if one clearly does
    (see :data:`RESTART_LOAD_SHARE`)."""
    total = grf_left_n + grf_right_n
    if total < RESTART_MIN_LOAD_N:
        return None
    if grf_left_n > RESTART_LOAD_SHARE * total:
        return 0
    if grf_right_n > RESTART_LOAD_SHARE * total:
        return 1
    return None


def _no_event(*args: Any, **kwargs: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ControllerSettingsNow:
    """The controller-specific settings in use (the console shows them and its inputs follow
    them), in the units a therapist sets them in."""

    tunnel_width_deg: float
    path_flow_nm: float
    support_min_pct: float
    support_max_pct: float
    resist_damping_nm_s_rad: float
    resist_torque_nm: float


class ControlStack:
    """All control for one session on one station (see module docstring)."""

    def __init__(
        self,
        settings: ControlSettings,
        *,
        height_m: float,
        body_mass_kg: float,
        dt: float = 0.001,
        sink: EventSink | None = None,
    ) -> None:
        self.settings = settings
        self.height_m = height_m
        self.body_mass_kg = body_mass_kg
        self.dt = dt
        self._sink: EventSink = sink or _no_event
        check_walkable(settings.speed_m_s, height_m, settings.rom, min_speed_m_s=MIN_SPEED_M_S)
        self.bank = ReferenceBank(height_m=height_m, rom=settings.rom)
        self.reference = self.bank.nearest(settings.speed_m_s)
        self.ctx = TickContext(self.reference, dt)
        self.compensation = Compensation(settings.exo or ExoModel.for_height(height_m))
        self._rate_speed = -1.0  # belt speed for which the reference rate was computed
        self._rate = 0.0  # reference stride frequency at the current belt speed (1/s)
        self._walk = 0.0  # 0 standing posture ... 1 full gait reference, from belt speed
        #: the posture the gait fades in from and back to: the standing posture, and after a
        #: stop where the stop left the legs (see :meth:`stand_here`)
        self._rest: tuple[float, ...] = _STAND
        self._standing = True  # the belt below walking speed at the last tick
        self._walked = False  # walked since the session started
        self.guidance_level = settings.guidance
        self._guidance_target = settings.guidance
        self._guidance_rate = 0.0
        coeffs = fourier_hip_coefficients(self.reference.table("hip"))
        f0 = self.reference.frequency_hz
        self.oscillators = (
            stack_oscillator(f0, coeffs),
            stack_oscillator(f0, coeffs),
        )
        self.oscillators[1].reset_phase(0.5)
        bw = body_mass_kg * GRAVITY
        self.heel_strikes = (
            HeelStrikeDetector(on_n=0.10 * bw, off_n=0.04 * bw),
            HeelStrikeDetector(on_n=0.10 * bw, off_n=0.04 * bw),
        )
        self.controllers: dict[str, Controller] = {}
        first = self._make(settings.controller)
        self.switch = ControllerSwitch(first)
        self.patient_timing = controller_spec(first.name).patient_timing
        self._patient_timing_next = self.patient_timing
        self.bws = BwsController(body_mass_kg=body_mass_kg, fraction=settings.bws_fraction, dt=dt,
                                 max_fraction=settings.harness_max_fraction)
        self.belt = BeltController(
            speed_m_s=settings.speed_m_s,
            height_m=height_m,
            acceleration_m_s2=settings.belt_acceleration_m_s2,
            self_paced=settings.self_paced,
            start_from_rest=settings.belt_from_rest,
        )
        self.belt.self_paced_max_m_s = self.bank.max_walkable_m_s
        self.monitor = StrideMonitor()
        self.fatigue = FatigueDetector(settings.fatigue)
        emg_l = _I.get(f"emg_{settings.emg_muscle}_left")
        emg_r = _I.get(f"emg_{settings.emg_muscle}_right")
        if emg_l is None or emg_r is None:
            raise UserError(
                f"no EMG channel for muscle {settings.emg_muscle!r}; use one of "
                + ", ".join(EMG_MUSCLES)
            )
        self._emg = (
            EmgMedianFrequency(sampling_rate_hz=1.0 / dt),
            EmgMedianFrequency(sampling_rate_hz=1.0 / dt),
        )
        self._has_emg = True
        self._emg_l = self._emg[0].add
        self._emg_r = self._emg[1].add
        # one C call picks every channel a tick needs, in this order
        picks = (_TIME, *_Q, *_QD, *_TAU_INT, *_GRF_Z, _HARNESS, _PELVIS_Z, emg_l, emg_r)
        self._get: Callable[[list[float]], tuple[float, ...]] = operator.itemgetter(*picks)
        self._hs_l = self.heel_strikes[0].update
        self._hs_r = self.heel_strikes[1].update
        self._mdf = [math.nan, math.nan]
        self._ref_phase = 0.0  # robot-timed reference phase of the left leg (cycles)
        self._tau_int = [0.0] * 4
        self.control_values = [0.0] * N_CONTROL_CHANNELS
        self.time = 0.0
        self.walking = True
        self.ticks = 0
        self.auto_changes = 0
        self.changes = ChangeChannel(self._sink, prepare=self._prepare_change, initial={
            ChangeKind.GUIDANCE: settings.guidance, ChangeKind.BWS: settings.bws_fraction,
            ChangeKind.SPEED: settings.speed_m_s, ChangeKind.CONTROLLER: settings.controller,
            ChangeKind.ROM: settings.rom})
        self._change_queue = self.changes.queue
        self._target: list[float] = self.ctx.q_ref
        #: the reference table left this tick (None: none), and what is left of the step
        #: between the old and the new table per joint (rad), fading out
        self._ref_from: ReferenceGait | None = None
        self._ref_shift = [0.0, 0.0, 0.0, 0.0]
        self._ref_decay = math.exp(-dt / REF_SWITCH_TAU_S)
        hip_max, knee_max = (DRIVE_TORQUE_SHARE * x for x in settings.drive_torque_limit_nm)
        lim = [0.0] * 4  # DRIVEN_DOFS order
        lim[_HIP_L] = lim[_HIP_R] = hip_max
        lim[_KNEE_L] = lim[_KNEE_R] = knee_max
        self._tau_limit = tuple(lim)
        #: joint-ticks on which a controller's torque was held at the drive's budget
        self.saturated_ticks = 0

    # -- controllers -------------------------------------------------------------------------

    def _make(self, name: str) -> Controller:
        """One instance per kind, kept, so that assist-as-needed keeps what it learnt."""
        if name in self.controllers:
            return self.controllers[name]
        s = self.settings
        env = ControllerEnv(s.gains, self.compensation, self.guidance_level, self._sink)
        c = controller_spec(name).create(s, env)
        self.controllers[name] = c
        return c

    def _made(self, name: str, kind: type[_C]) -> _C:
        """The kept ``name`` controller (made now if it was not yet), as its own class: a
        setting sent for a controller that is not running reaches it when it starts."""
        c = self._make(name)
        assert isinstance(c, kind)
        return c

    @property
    def reference_phase(self) -> float:
        """The left leg's phase (cycles) the reference was read at on the last tick: the
        robot's clock, or the patient's estimated phase under patient timing."""
        return self.ctx.phase[0]

    @property
    def controller_name(self) -> str:
        return self.switch.active.name

    def controller_settings(self) -> ControllerSettingsNow:
        """What each controller would run with now: the session's settings, then every change
        applied since (a controller not yet used keeps the session's)."""
        s, made = self.settings, self.controllers
        path, aan, resist = made.get("path"), made.get("aan"), made.get("resist")
        width, flow = ((path.width_rad, path.flow_nm) if isinstance(path, PathController)
                       else (s.tunnel_width_rad, s.path_flow_nm))
        bounds = aan.settings if isinstance(aan, AssistAsNeededController) else s.aan
        damping, torque = ((resist.damping, resist.torque_nm)
                           if isinstance(resist, ResistanceController)
                           else (s.resist_damping, s.resist_torque_nm))
        return ControllerSettingsNow(
            tunnel_width_deg=math.degrees(width), path_flow_nm=flow,
            support_min_pct=bounds.min_support * 100.0,
            support_max_pct=bounds.max_support * 100.0,
            resist_damping_nm_s_rad=damping, resist_torque_nm=torque)

    # -- per tick ----------------------------------------------------------------------------

    def step(self, sample: Sample) -> Command:
        """The Command answering ``sample``; fills ``control_values`` for the recording."""
        (t, q0, q1, q2, q3, v0, v1, v2, v3, i0, i1, i2, i3, f_l, f_r, harness_n, pz, e_l,
         e_r) = self._get(sample.floats)
        dt = self.dt
        self.time = t
        ctx = self.ctx
        ctx.time = t
        q, qd, tau_int = ctx.q, ctx.qd, self._tau_int
        q[0], q[1], q[2], q[3] = q0, q1, q2, q3
        qd[0], qd[1], qd[2], qd[3] = v0, v1, v2, v3
        tau_int[0], tau_int[1], tau_int[2], tau_int[3] = i0, i1, i2, i3
        if self.ticks == 0:
            # the first tick: stand where the legs are. Pulling them from wherever the patient
            # stands to a fixed posture asked the knees for 130-160 N*m at every start
            self.stand_here()
        hs_l = self._hs_l(t, f_l)
        hs_r = self._hs_r(t, f_r)
        ctx.stride_start[0] = hs_l
        ctx.stride_start[1] = hs_r
        osc_l, osc_r = self.oscillators
        hsd_l, hsd_r = self.heel_strikes
        ctx.stance[0] = hsd_l.loaded
        ctx.stance[1] = hsd_r.loaded
        p_l = osc_l.update(q[_HIP_L], dt, hs_l, hsd_l.delay_s)
        p_r = osc_r.update(q[_HIP_R], dt, hs_r, hsd_r.delay_s)
        if self._has_emg:
            self._emg_l(e_l)
            self._emg_r(e_r)

        if hs_l or self._change_queue:
            self._apply_changes(hs_l)

        # the reference: its speed and its shape follow the belt
        belt_v = self.belt.speed
        if belt_v != self._rate_speed:
            self._set_rate(belt_v)
        w = self._walk
        if self._standing:
            if w > 0.0:  # walking (re)starts from standing
                self._standing = False
                if self._walked:  # go on from the gait's phase nearest to the legs' posture
                    ref = self.bank.nearest(belt_v, self.belt.target)
                    hip, knee = ref.table("hip"), ref.table("knee")
                    self._ref_phase = nearest_phase(
                        hip, hip, knee, knee, (q0, q1, q2, q3), carrying=_carrying(f_l, f_r),
                        stance_until=ref.stance_fraction - RESTART_STANCE_LEFT)
                self._walked = True
        elif w == 0.0:  # come to a standstill (a pause, a stop, the session's end)
            self._standing = True
            self.stand_here()
        # the table follows the belt's speed at once (bumpless, see _switch_reference), as the
        # virtual patient's own gait does: the range of motion shrinks at slow speeds
        # (gaitway.gait.reference.belt_factor), and a table changed only at a left heel strike
        # led a start's first 2 km/h stride with the 1 km/h step (feet scuffed and landed
        # twice), and held a path-controlled start in the small tunnel of a belt at rest,
        # where no heel strike came to change it (0 strides at 2 km/h; SIMULATED). Its range
        # is held to the set speed's while the belt ramps up to it or down to a pause, as the
        # patient's is (the command's belt set point)
        new_ref = self.bank.nearest(belt_v, self.belt.target)
        if new_ref is not self.reference:
            self._switch_reference(new_ref)
        ref = self.reference
        if self.patient_timing:
            ph_l, ph_r = p_l, p_r
            rate_l, rate_r = osc_l.omega / TWO_PI, osc_r.omega / TWO_PI
        else:
            rate = self._rate
            self._ref_phase = (self._ref_phase + rate * dt) % 1.0
            ph_l = self._ref_phase
            ph_r = (ph_l + 0.5) % 1.0
            rate_l = rate_r = rate
        ctx.phase[0], ctx.phase[1] = ph_l, ph_r
        ctx.phase_rate[0], ctx.phase_rate[1] = rate_l, rate_r
        qr, qdr = ctx.q_ref, ctx.qd_ref
        rest = self._rest
        wl, wr = w * rate_l, w * rate_r
        h, k, dh, dk = ref.hip_knee(ph_l)
        rh, rk = rest[_HIP_L], rest[_KNEE_L]
        qr[_HIP_L] = rh + w * (h - rh)
        qr[_KNEE_L] = rk + w * (k - rk)
        qdr[_HIP_L], qdr[_KNEE_L] = dh * wl, dk * wl
        h, k, dh, dk = ref.hip_knee(ph_r)
        rh, rk = rest[_HIP_R], rest[_KNEE_R]
        qr[_HIP_R] = rh + w * (h - rh)
        qr[_KNEE_R] = rk + w * (k - rk)
        qdr[_HIP_R], qdr[_KNEE_R] = dh * wr, dk * wr
        old = self._ref_from
        if old is not None:  # a new table this tick: carry on from where the old one was
            self._ref_from = None
            shift = self._ref_shift
            for ph, ih, ik in ((ph_l, _HIP_L, _KNEE_L), (ph_r, _HIP_R, _KNEE_R)):
                h0, k0, _, _ = old.hip_knee(ph)
                h1, k1, _, _ = ref.hip_knee(ph)
                shift[ih] += w * (h0 - h1)
                shift[ik] += w * (k0 - k1)
        shift = self._ref_shift
        if shift[0] or shift[1] or shift[2] or shift[3]:
            # bumpless: the step between the tables fades out over REF_SWITCH_TAU_S
            decay, inv_tau = self._ref_decay, 1.0 / REF_SWITCH_TAU_S
            for j in (0, 1, 2, 3):
                x = shift[j]
                qr[j] += x
                qdr[j] -= x * inv_tau
                x *= decay
                shift[j] = x if x > 1e-6 or x < -1e-6 else 0.0

        if self._patient_timing_next != self.patient_timing and not self.switch.blending:
            self.patient_timing = self._patient_timing_next
        if self._guidance_target != self.guidance_level:
            self._ramp_guidance()
        tau = self.switch.torques(ctx)
        # the controllers plan within the drives' continuous torque: a stiff impedance whose
        # patient is a few degrees off the reference asks for more than a drive can give
        # continuously, and the safety layer then clipped it every stride (drive_torque
        # warnings burying the log). Saturating here is the controller's own actuator limit;
        # the supervisor's clip stays the judge of a controller that does not keep it.
        lim = self._tau_limit
        for j in (0, 1, 2, 3):
            x, m = tau[j], lim[j]
            if x > m:
                tau[j] = m
                self.saturated_ticks += 1
            elif x < -m:
                tau[j] = -m
                self.saturated_ticks += 1
        self.monitor.update(q, qd, qr, tau_int, dt)
        if hs_l:
            self._stride_end(0, hsd_l.onset_s)
        if hs_r:
            self._stride_end(1, hsd_r.onset_s)

        bws = self.bws
        harness = bws.update(harness_n, pz, dt)
        harness_set = bws.setpoint_n
        belt_ctl = self.belt
        if not self.walking:
            belt = self._belt_to_rest(dt)
        elif belt_ctl.self_paced:
            belt = belt_ctl.update(dt, TWO_PI / (0.5 * (osc_l.omega + osc_r.omega)))
        else:
            belt = belt_ctl.update(dt)

        cv = self.control_values
        ticks = self.ticks
        if ticks % _SLOW_EVERY == 0:  # recorded every tick, but slow to change: 100 Hz
            self._target = self.switch.reference_override() or qr
            cv[_CV_GUIDANCE] = self.guidance_level
            cv[_CV_ASSIST] = self.switch.assist_level()
        cv[_CV_REF] = self._target
        cv[_CV_TAU] = tau
        cv[_CV_HARNESS] = harness
        cv[_CV_BELT] = belt
        cv[_CV_HARNESS_SET] = harness_set
        cv[_CV_BELT_SET] = belt_set = belt_ctl.target
        cv[_CV_PHASE_L] = p_l
        cv[_CV_PHASE_R] = p_r
        self.ticks = ticks + 1
        return command_of((tau[0], tau[1], tau[2], tau[3], harness, belt,  # DRIVEN_DOFS order
                           harness_set, belt_set))

    def _set_rate(self, belt_v: float) -> None:
        """Reference stride frequency and walking weight for a belt speed (only on change)."""
        self._rate_speed = belt_v
        if belt_v < WALK_MIN_SPEED_M_S:
            self._rate = 0.0
            self._walk = 0.0
        else:
            self._rate = 1.0 / stride_time_s(belt_v, self.height_m)
            blend = min(WALK_BLEND_M_S,
                        max(self.belt.target, MIN_SPEED_M_S) - WALK_MIN_SPEED_M_S)
            self._walk = min(1.0, (belt_v - WALK_MIN_SPEED_M_S) / blend)

    def _switch_reference(self, new: ReferenceGait) -> None:
        """Walk on a new reference table (another speed, another range of motion) from the
        next tick, without a step: at a heel strike of one leg the other is mid-stride, and
        the tables of two speeds differed there by up to 0.14 rad at the knee, which the
        knee drive was asked to close at once (200 N*m, clipped; a cuff fault followed)."""
        if self._ref_from is None:
            self._ref_from = self.reference
        self.reference = self.ctx.reference = new

    def stand_here(self) -> None:
        """Stand where the legs are (after a stop, a pause: often mid-stride, one
        foot forward; pulling a planted foot to the standing posture loaded the cuffs with
        60+ N*m for as long as it stood); walking then fades in from this posture."""
        q = self.ctx.q
        rest = [q[0], q[1], q[2], q[3]]
        # a foot the stop caught in the air is set down (knee as in standing, the step
        # fading over REF_SWITCH_TAU_S as a reference switch does), as the patient sets it
        # down: held in the air, its toe rested on the belt and was dragged back into the
        # joint's limit at the restart (issue 12 item 4)
        shift = self._ref_shift
        # standing holds the legs, not a table: what is left of a table switch's step (the
        # table follows the slowing belt) would move the held legs
        shift[0] = shift[1] = shift[2] = shift[3] = 0.0
        for side, (_, k) in enumerate(LEG_DOFS):
            if not self.heel_strikes[side].loaded:
                shift[k] = q[k] - _STAND[k]
                rest[k] = _STAND[k]
        self._rest = (rest[0], rest[1], rest[2], rest[3])

    def resume_at_full_guidance(self, t: float) -> None:
        """Walk on after an operator's pause as a session starts: under guidance control,
        at full guidance now, handed back to the set level over
        :data:`RESTART_GUIDANCE_RAMP_S` (an acknowledged safety stop restarts the same way,
        see gaitway.session.loop). The robot carries the legs through the first strides
        from wherever the pause left them: a severe hemiparesis at 7 % guidance paused in
        the non-paretic leg's stance restarted with that leg loaded and asked to swing, and
        the belt carried it into 23 deg of hip extension (a joint_range stop 1.7 s after the
        resume in 4 of 4 runs of that pause; issue 12 item 4)."""
        if self.controller_name != "guidance" or self.guidance_level >= 1.0:
            return
        # the set level: the last one asked for (a change asked for during the pause counts)
        level = float(self.changes.set_values.get(ChangeKind.GUIDANCE, self._guidance_target))
        self.guidance_level = 1.0
        g = self.controllers.get("guidance")
        if isinstance(g, GuidanceController):
            g.level = 1.0
        self.changes.submit(ChangeRequest(
            ChangeKind.GUIDANCE, level, "session:resume",
            "resumed at full guidance, back to the set level",
            ramp_s=RESTART_GUIDANCE_RAMP_S), t)

    def _belt_to_rest(self, dt: float) -> float:
        b = self.belt
        b.speed = max(0.0, b.speed - b.acceleration_m_s2 * dt)
        return b.speed

    def _ramp_guidance(self) -> None:
        tgt, cur, r = self._guidance_target, self.guidance_level, self._guidance_rate * self.dt
        cur = tgt if abs(tgt - cur) <= r else cur + (r if tgt > cur else -r)
        self.guidance_level = cur
        g = self.controllers.get("guidance")
        if isinstance(g, GuidanceController):
            g.level = cur

    # -- per stride --------------------------------------------------------------------------

    def _stride_end(self, side: int, t: float) -> None:
        rec = self.monitor.close_stride(side, t)
        self.switch.on_stride(side, t)
        self._mdf[side] = self._emg[side].close_stride()
        if rec is None or side != 1:
            return
        # one fatigue check per gait cycle (after the right leg closes its stride)
        recs = self.monitor.records
        last = recs[-2:]
        if len(last) < 2:
            return
        err = sum(sum(r.tracking_error_rms_rad) for r in last) / 4.0
        part = sum(sum(r.participation_nm) for r in last) / 4.0
        mdfs = [m for m in self._mdf if math.isfinite(m)]
        mdf = sum(mdfs) / len(mdfs) if mdfs else math.nan
        finding = self.fatigue.add_stride(err, part, mdf)
        if finding is not None:
            self._sink(t, "fatigue_detected", "auto:fatigue", reasons=list(finding.reasons))
            if self.settings.adapt_to_fatigue:
                self._respond_to_fatigue(t, "; ".join(finding.reasons))

    def _respond_to_fatigue(self, t: float, reason: str) -> None:
        """More support within the therapist's bounds: controller support, then BWS."""
        s = self.settings
        reqs: list[ChangeRequest] = []
        name = self.controller_name
        if name == "guidance" and self._guidance_target < s.max_guidance:
            reqs.append(
                ChangeRequest(
                    ChangeKind.GUIDANCE,
                    min(s.max_guidance, self._guidance_target + 0.1),
                    "auto:fatigue",
                    reason,
                )
            )
        elif name == "aan":
            aan = self.controllers["aan"]
            assert isinstance(aan, AssistAsNeededController)
            lo, hi = aan.settings.min_support, aan.settings.max_support
            if lo < hi:
                reqs.append(
                    ChangeRequest(
                        ChangeKind.SUPPORT_BOUNDS,
                        (min(hi, lo + 0.1), hi),
                        "auto:fatigue",
                        reason,
                    )
                )
        target_bws = self.bws.target_fraction
        if target_bws < s.max_bws_fraction:
            reqs.append(
                ChangeRequest(
                    ChangeKind.BWS,
                    min(s.max_bws_fraction, target_bws + 0.05),
                    "auto:fatigue",
                    reason,
                )
            )
        for r in reqs:
            self.changes.submit(r, t)
            self.auto_changes += 1

    # -- changes -----------------------------------------------------------------------------

    def _apply_changes(self, at_stride: bool) -> None:
        due = self.changes.take_due(at_stride)
        t = self.time
        for r, payload in due:
            k = r.kind
            if k is ChangeKind.GUIDANCE:
                self._guidance_target = float(r.value)
                delta = abs(self._guidance_target - self.guidance_level)
                self._guidance_rate = delta / r.ramp_s if r.ramp_s > 0 else math.inf
            elif k is ChangeKind.BWS:
                self.bws.set_fraction(float(r.value))
            elif k is ChangeKind.SPEED:
                self.belt.set_speed(float(r.value))
            elif k is ChangeKind.SELF_PACED:
                self.belt.self_paced = bool(r.value)
            elif k is ChangeKind.CONTROLLER:
                new = self._make(str(r.value))
                if new is not self.switch.active:
                    follows_patient = controller_spec(new.name).patient_timing
                    self.switch.request(new)
                    self.switch.start_blend(self.reference.stride_time_s)
                    if self.patient_timing and not follows_patient:
                        # back to the robot's clock, from where the patient is
                        self._ref_phase = self.oscillators[0].phase
                        self.patient_timing = False
                    # to the patient's timing only once the blend is over: the outgoing
                    # controller must not see its reference jump
                    self._patient_timing_next = follows_patient
            elif k is ChangeKind.ROM:
                self.bank = payload
                self.belt.self_paced_max_m_s = self.bank.max_walkable_m_s
                self._switch_reference(self.bank.nearest(self.belt.speed, self.belt.target))
            elif k is ChangeKind.TUNNEL_WIDTH:
                self._made("path", PathController).width_rad = float(r.value)
            elif k is ChangeKind.SUPPORT_BOUNDS:
                self._made("aan", AssistAsNeededController).set_bounds(
                    float(r.value[0]), float(r.value[1]))
            elif k is ChangeKind.PATH_FLOW:
                self._made("path", PathController).flow_nm = float(r.value)
            elif k is ChangeKind.RESISTANCE:
                self._made("resist", ResistanceController).set_resistance(
                    float(r.value[0]), float(r.value[1]))
            self.changes.mark_applied(r, t)

    def check_change(self, req: ChangeRequest) -> None:
        """Refuse (UserError) a range of motion and a speed that together leave the belt
        dragging the feet, whichever of the two changes, as at the session's start; the
        console asks this before it asks to confirm a large change.

        A new range is checked at the fastest the belt will run while it applies: the set
        speed, or the belt's own while it still ramps down to it (a range accepted for the
        set speed alone was applied at the next stride at the faster one). Self-paced, the
        belt never outruns the range (:attr:`BeltController.self_paced_max_m_s`)."""
        if req.kind is ChangeKind.ROM:
            belt = self.belt
            v = max(float(self.changes.set_values[ChangeKind.SPEED]), belt.speed)
            check_walkable(v, self.height_m, req.value, min_speed_m_s=MIN_SPEED_M_S)
        elif req.kind is ChangeKind.SPEED:
            rom = self.changes.set_values[ChangeKind.ROM]
            assert isinstance(rom, RomSettings)
            check_walkable(float(req.value), self.height_m, rom, min_speed_m_s=MIN_SPEED_M_S)

    def _prepare_change(self, req: ChangeRequest) -> ReferenceBank | None:
        """Slow preparation in the submitting thread: new reference tables for a new ROM
        (after :meth:`check_change`, so nothing refused is queued)."""
        self.check_change(req)
        if req.kind is ChangeKind.ROM:
            return ReferenceBank(height_m=self.height_m, rom=req.value)
        return None

    # -- results -----------------------------------------------------------------------------

    @property
    def strides(self) -> list[StrideRecord]:
        return self.monitor.records

    def summary(self, skip_s: float = 0.0) -> dict[str, Any]:
        """Controller, tracking error (deg, RMS over strides) and participation per side."""
        recs = [r for r in self.monitor.records if r.time_s >= skip_s]
        err: dict[str, float | None] = {}
        part: dict[str, float | None] = {}
        work: dict[str, float | None] = {}
        assist: dict[str, float | None] = {}
        resist: dict[str, float | None] = {}
        for side in ("left", "right"):
            rs = [r for r in recs if r.side == side]
            for j, name in enumerate(("hip", "knee")):
                err[f"{name}_{side}"] = (
                    math.degrees(math.sqrt(sum(r.tracking_error_rms_rad[j] ** 2 for r in rs)
                                           / len(rs)))
                    if rs
                    else None
                )
                work[f"{name}_{side}"] = (
                    sum(r.robot_work_j[j] for r in rs) / len(rs) if rs else None
                )
                assist[f"{name}_{side}"] = (
                    sum(r.robot_assist_work_j[j] for r in rs) / len(rs) if rs else None
                )
                resist[f"{name}_{side}"] = (
                    sum(r.robot_resist_work_j[j] for r in rs) / len(rs) if rs else None
                )
            part[side] = (
                sum(r.participation_nm[0] + r.participation_nm[1] for r in rs) / (2 * len(rs))
                if rs
                else None
            )
        return {
            "controller": self.controller_name,
            "tracking_error_rms_deg": err,
            "active_participation": part,
            "active_participation_unit": "N*m (cuff torque against the joint's motion per "
            "radian travelled; positive: the leg moves against the robot, negative: the robot "
            "carries it; see docs/metrics.md)",
            "robot_work_per_stride_j": work,
            "robot_assist_work_per_stride_j": assist,
            "robot_resist_work_per_stride_j": resist,
            "strides": {s: sum(1 for r in recs if r.side == s) for s in ("left", "right")},
            "auto_changes": self.auto_changes,
            "fatigue_detections": len(self.fatigue.findings),
        }
