"""The safety supervisor: the last word on every command, checked once per tick.

The controller proposes a :class:`Command`; :meth:`SafetySupervisor.check` reads the tick's
Sample, runs every detector, and returns the command to send: the proposal itself, a limited
copy (soft limits, with a warning), or the stop sequence once a fault has latched. The check
is plain-Python float arithmetic on one list, so it costs a few microseconds and allocates
nothing on a normal tick beyond that list.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from typing import Any, Final

from gaitway.errors import UserError
from gaitway.recording.folding import SAFETY_WARNING, EventFolder
from gaitway.safety.faults import FAULTS, FaultKind, FaultRecord, Reaction
from gaitway.safety.limits import SafetyLimits
from gaitway.station.channels import SAMPLE_CHANNEL_NAMES, SAMPLE_INDEX
from gaitway.station.interface import Command, FaultBit, Sample, command_of

_I = SAMPLE_INDEX
_JOINT_NAMES: Final[tuple[str, ...]] = ("hip_left", "hip_right", "knee_left", "knee_right")
_BIT_KINDS: Final[tuple[tuple[FaultBit, FaultKind], ...]] = (
    (FaultBit.DRIVE_OVERCURRENT, FaultKind.DRIVE_OVERCURRENT),
    (FaultBit.DRIVE_OVERTEMPERATURE, FaultKind.DRIVE_OVERTEMPERATURE),
    (FaultBit.SAFE_TORQUE_OFF, FaultKind.SAFE_TORQUE_OFF),
    (FaultBit.DRIVE_FAULT, FaultKind.DRIVE_FAULT),
    (FaultBit.ENCODER_MISMATCH, FaultKind.ENCODER_MISMATCH),
    (FaultBit.COMMUNICATION, FaultKind.COMMUNICATION_LOSS),
    (FaultBit.HARNESS, FaultKind.HARNESS_OVERLOAD),
    (FaultBit.BELT, FaultKind.BELT_MISMATCH),
    (FaultBit.SENSOR, FaultKind.NON_FINITE),
)
#: a controlled stop that has not come to rest by then escalates to an immediate stop
CONTROLLED_STOP_TIMEOUT_S: Final[float] = 5.0
#: after an acknowledgement the torque limit rises from the stop's limits to the drives' soft
#: limits over this time, so that the first ticks of guidance cannot jerk a resting leg
RESUME_RAMP_S: Final[float] = 2.0
_KIND_BIT: Final[dict[FaultKind, int]] = {k: 1 << i for i, k in enumerate(FaultKind)}
_KIND_POS: Final[dict[FaultKind, int]] = {k: i for i, k in enumerate(FaultKind)}


class SupervisorState(enum.Enum):
    RUNNING = "running"
    CONTROLLED_STOP = "controlled_stop"
    IMMEDIATE_STOP = "immediate_stop"


#: the states and a fault bit the tick compares with, as module names: reading an enum's
#: member from its class costs about 0.5 us on Python 3.11, several times a tick
_RUNNING: Final = SupervisorState.RUNNING
_IMMEDIATE_STOP: Final = SupervisorState.IMMEDIATE_STOP
_NON_FINITE_BIT: Final[int] = _KIND_BIT[FaultKind.NON_FINITE]


def _idx(fmt: str) -> tuple[int, int, int, int]:
    a, b, c, d = (_I[fmt.format(j=j, s=s)] for j in ("hip", "knee") for s in ("left", "right"))
    return a, b, c, d


class SafetySupervisor:
    """Limits, fault detection and the graded stop for one session.

    ``records`` holds every fault and warning; :meth:`drain_events` hands new recording events
    to the session (detection, safe state, acknowledgement) without I/O in the loop.
    """

    def __init__(self, limits: SafetyLimits, *, watch_overruns: bool = True,
                 overrun_clock: Callable[[], float] = time.perf_counter,
                 quantised: frozenset[str] = frozenset()) -> None:
        """``overrun_clock``: wall time for a paced live loop; the thread's CPU time
        (``time.thread_time``) for a headless one, where being descheduled is no overrun.
        ``quantised``: the station's channels that repeat at rest
        (:attr:`~gaitway.station.interface.Station.quantised_channels`): a repeat there is no
        stale signal; a quantised joint angle is stale only if it holds while its velocity
        reading says the joint moves."""
        self.limits = limits
        unknown = quantised - set(SAMPLE_CHANNEL_NAMES)
        if unknown:
            raise ValueError(f"quantised channels not in the Sample: {sorted(unknown)}")
        #: per stale-checked reading (the four joint angles, the harness force): quantised?
        self._quantised = tuple(n in quantised for n in (
            *(SAMPLE_CHANNEL_NAMES[i] for i in _idx("{j}_angle_{s}")), "harness_force"))
        dev, pat, tim = limits.device, limits.patient, limits.timing
        self.dt = tim.dt
        self.watch_overruns = watch_overruns
        self._clock = overrun_clock
        roms = (pat.hip_rom, pat.hip_rom, pat.knee_rom, pat.knee_rom)
        self._slo = [r.soft_lo for r in roms]
        self._shi = [r.soft_hi for r in roms]
        self._hlo = [r.hard_lo for r in roms]
        self._hhi = [r.hard_hi for r in roms]
        self._vsoft = [dev.hip_velocity_soft] * 2 + [dev.knee_velocity_soft] * 2
        self._vhard = [dev.hip_velocity_hard] * 2 + [dev.knee_velocity_hard] * 2
        self._tsoft = [dev.hip_torque_soft] * 2 + [dev.knee_torque_soft] * 2
        self._i_ang = _idx("{j}_angle_{s}")
        self._i_vel = _idx("{j}_velocity_{s}")
        self._i_tq = _idx("{j}_torque_{s}")
        self._i_mot = _idx("{j}_motor_angle_{s}")
        self._i_cur = _idx("{j}_drive_current_{s}")
        self._i_tmp = _idx("{j}_drive_temperature_{s}")
        self._i_int = (_I["interaction_torque_thigh_left"], _I["interaction_torque_thigh_right"],
                       _I["interaction_torque_shank_left"], _I["interaction_torque_shank_right"])
        self._i_h = _I["harness_force"]
        self._i_gl = _I["grf_z_left"]
        self._i_gr = _I["grf_z_right"]
        self._i_bl = _I["belt_speed_left"]
        self._i_br = _I["belt_speed_right"]
        self._i_estop = _I["estop"]
        self._i_stop = _I["stop_button"]
        self._i_fw = _I["fault_word"]
        self._i_sto = _idx("{j}_sto_{s}")
        self._weight = pat.weight_n
        self._harness_max = dev.harness_max_fraction * self._weight
        self.records: list[FaultRecord] = []
        self._events: list[tuple[float, str, dict[str, Any]]] = []
        self._reset_counters()
        self.state = SupervisorState.RUNNING
        self.reaction = Reaction.NONE
        self.safe_state_at_s: float | None = None
        self.missed_ticks_total = 0
        self.now_s = 0.0  # session time of the last check (estimated while samples freeze)
        self.overruns_total = 0
        self.warnings_total = 0
        #: the warnings folded into runs; each run is one WARN record (``_run_record``)
        self.warning_runs = EventFolder()
        self._run_record: dict[int, FaultRecord] = {}
        self.limited_ticks = 0
        #: ticks on which the controller asked a drive for more than its continuous (soft)
        #: torque limit; a normal start, walk or resume asks for none (gaitway validate envelope)
        self.clipped_ticks = 0
        self._first = True
        self._prev = [0.0] * 5  # joint angles hip_l, hip_r, knee_l, knee_r, harness force
        self._t_prev = -1.0
        self._wall_prev = 0.0
        self._harness_cmd = 0.0  # last harness command sent
        #: the slack check's reference: the set unloading, or the command when it is lower
        #: (or comes with no set point); see _check_sensors
        self._harness_ref = 0.0
        self._harness_set = 0.0
        self._h_avg = -1.0  # set from the first command
        self._belt_cmd = 0.0  # last belt command sent
        self._belt_expect = 0.0  # belt speed the device should show
        self._stop_cmd = Command()
        self._stop_since = 0.0
        self._brake_until = 0.0  # belt surely at rest by then (immediate stop, no readings)
        self.torque_free_at_s: float | None = None
        self._resume_at = -math.inf  # time of the last accepted acknowledgement

    def _reset_counters(self) -> None:
        self._stale = [0] * 5
        self._enc = [0] * 4
        self._vel = [0] * 4
        self._cur = [0] * 4
        self._tmp = [0] * 4
        self._int = [0] * 4
        self._frozen = 0
        self._overrun = 0
        self._slack = 0
        self._overload = 0
        self._fall = 0
        self._belt_bad = 0
        self._settle = 0
        self._new_soft = 0
        self._soft_mask = 0  # (kind bit << joint) of soft limits active on the last tick
        self._cond = 0  # kinds whose raw condition held on the last tick
        self._seen: set[FaultKind] = set()
        self._open: list[FaultRecord] = []

    # -- records ------------------------------------------------------------------------------
    def _fault(self, kind: FaultKind, t: float, detail: str) -> None:
        self._cond |= _KIND_BIT[kind]
        if kind in self._seen:
            return
        self._seen.add(kind)
        reaction = FAULTS[kind].reaction
        rec = FaultRecord(kind, reaction, t, detail)
        self.records.append(rec)
        self._events.append((t, "fault_detected", {"fault": str(kind), "reaction": reaction.label,
                                                   "detail": detail}))
        if reaction >= Reaction.CONTROLLED_STOP:
            self._open.append(rec)
            if reaction > self.reaction:
                self._latch(reaction, t)
            elif self.safe_state_at_s is not None:
                rec.safe_state_at_s = t  # met while already in the safe state

    def _warn(self, kind: FaultKind, k: int, t: float, detail: str) -> None:
        """A soft limit became active: each rising edge is a warning event; repeats of one
        kind at one joint are folded (gaitway.recording.folding) into one record with its
        count, first and last time, so a limit met every stride cannot flood the record."""
        bit = 1 << (4 * _KIND_POS[kind] + k)
        self._new_soft |= bit
        if self._soft_mask & bit:
            return
        self.warnings_total += 1
        details = {"fault": str(kind), "joint": _JOINT_NAMES[k], "detail": detail}
        self._events.append((t, SAFETY_WARNING, details))
        run = self.warning_runs.offer(t, SAFETY_WARNING, "safety", details)
        assert run is not None  # safety warnings always fold
        rec = self._run_record.get(id(run))
        if rec is None:
            rec = FaultRecord(kind, Reaction.WARN, t, detail, joint=_JOINT_NAMES[k])
            self._run_record[id(run)] = rec
            self.records.append(rec)
        rec.count, rec.last_at_s, rec.detail = run.count, run.last_s, detail

    def _latch(self, reaction: Reaction, t: float) -> None:
        self.reaction = reaction
        self.safe_state_at_s = None
        self.torque_free_at_s = None
        # the belt as the device should show it, braked: its standstill, even unobserved
        self._brake_until = t + self._belt_expect / self.limits.device.belt_brake_decel
        self._settle = 0
        self._stop_since = t
        hold = min(max(self._harness_cmd, self._h_avg, 0.0), self._harness_max)
        if reaction is Reaction.IMMEDIATE_STOP:
            self.state = SupervisorState.IMMEDIATE_STOP
            self._stop_cmd = Command(0.0, 0.0, 0.0, 0.0, hold, 0.0, hold)
        else:
            self.state = SupervisorState.CONTROLLED_STOP
            self._stop_cmd = Command(0.0, 0.0, 0.0, 0.0, hold, 0.0, hold)
        self._events.append((t, "safe_stop_started", {"reaction": reaction.label,
                                                      "harness_hold_n": round(hold, 1)}))

    def drain_events(self) -> list[tuple[float, str, dict[str, Any]]]:
        """Recording events since the last call: (time_s, kind, details)."""
        out, self._events = self._events, []
        return out

    @property
    def has_events(self) -> bool:
        return bool(self._events)

    @property
    def stop_started_at_s(self) -> float:
        return self._stop_since

    @property
    def latched(self) -> bool:
        return self.state is not _RUNNING

    @property
    def in_safe_state(self) -> bool:
        return self.safe_state_at_s is not None

    @property
    def open_faults(self) -> list[FaultRecord]:
        """The stopping faults of the current stop (empty while running)."""
        return list(self._open)

    def note(self, time_s: float, kind: str, **details: Any) -> None:
        """Add an event to the safety record (e.g. a refused acknowledgement); one that
        ends the runs of repeated warnings (an injected fault) ends them here too."""
        self._events.append((time_s, kind, details))
        self.warning_runs.offer(time_s, kind, "safety", details)

    # -- the tick -----------------------------------------------------------------------------
    def check(self, sample: Sample, command: Command) -> Command:
        """Judge one tick: returns the command the drives may receive."""
        v: list[float] = sample.floats
        t = v[0]
        self._cond = 0
        self._new_soft = 0
        first = self._first
        if first:  # harness steps are judged command to command, from the first one
            h0 = command[4]
            if not 0.0 <= h0 <= self._harness_max:  # also NaN: then what it holds now
                h0 = v[self._i_h] if v[self._i_h] == v[self._i_h] else 0.0
            self._harness_cmd = self._h_avg = h0
        # the device's own fault report first: it names the cause of what follows (a drive
        # the station lost reads NaN)
        fw = v[self._i_fw]
        if fw != 0.0 and fw - fw == 0.0:
            word = FaultBit(int(fw))
            for bit, kind in _BIT_KINDS:
                if word & bit:
                    self._fault(kind, t, f"device reports {bit.name}")
        # NaN or infinity anywhere: one sum, NaN and inf both propagate
        total = sum(v)
        finite = total - total == 0.0
        if not finite:
            bad = [n for n, x in zip(SAMPLE_CHANNEL_NAMES, v, strict=True) if not math.isfinite(x)]
            self._fault(FaultKind.NON_FINITE, t, "non-finite reading: " + ", ".join(bad[:4]))
        # watchdog on the sample clock
        if not first:
            if t == self._t_prev:
                self._frozen += 1
                t += self._frozen * self.dt  # the loop's own count of time goes on
                if self._frozen >= self.limits.timing.watchdog_ticks:
                    self._fault(FaultKind.COMMUNICATION_LOSS, t,
                                f"sample time frozen for {self._frozen} ticks")
            else:
                self._frozen = 0
                gap = t - self._t_prev
                if gap > 1.5 * self.dt:
                    missed = round(gap / self.dt) - 1
                    self.missed_ticks_total += missed
                    if missed >= self.limits.timing.missed_ticks_fault:
                        self._fault(FaultKind.MISSED_TICKS, t, f"{missed} ticks missing")
        if self.watch_overruns:
            now = self._clock()
            if not first and now - self._wall_prev > self.limits.timing.overrun_bound_s:
                self._overrun += 1
                self.overruns_total += 1
                if self._overrun >= self.limits.timing.overrun_ticks:
                    self._fault(FaultKind.LOOP_OVERRUN, t,
                                f"{self._overrun} ticks in a row slower than "
                                f"{self.limits.timing.overrun_bound_s * 1e3:.0f} ms")
            else:
                self._overrun = 0
            self._wall_prev = now
        if v[self._i_estop] != 0.0:
            self._fault(FaultKind.EMERGENCY_STOP, t, "emergency stop pressed")
        if v[self._i_stop] != 0.0:
            self._fault(FaultKind.STOP_BUTTON, t, "patient stop button pressed")
        i_sto = self._i_sto
        if finite and (v[i_sto[0]] != 0.0 or v[i_sto[1]] != 0.0 or v[i_sto[2]] != 0.0
                       or v[i_sto[3]] != 0.0):
            on = [_JOINT_NAMES[k] for k in range(4) if v[i_sto[k]] != 0.0]
            self._fault(FaultKind.SAFE_TORQUE_OFF, t,
                        f"safe-torque-off input active at {', '.join(on)}")
        if finite:
            self._check_sensors(v, t, first)
        # once latched, the proposal is discarded: its own faults are no longer news
        cmd = (self._check_command(command, v, t, first)
               if self.state is _RUNNING else command)
        self._soft_mask = self._new_soft
        self._t_prev = v[0]
        self.now_s = t
        self._first = False
        if self.state is not _RUNNING:
            cmd = self._stop_command(v, t)
        hc = self._harness_cmd = cmd[4]
        sp = cmd[6]
        self._harness_ref = sp if 0.0 < sp < hc else hc
        self._harness_set = sp if sp > 0.0 else hc
        self._belt_cmd = cmd[5]
        # the harness command averaged over ~0.5 s: a force loop fooled by a faulty reading
        # may have unloaded the patient by the time the fault is confirmed; the stop holds this
        self._h_avg += 0.002 * (cmd[4] - self._h_avg)
        # the belt the device should show: the sent command, at the device's ramp
        dev = self.limits.device
        step = (dev.belt_brake_decel if self.state is _IMMEDIATE_STOP
                else dev.belt_max_accel) * self.dt
        d = cmd[5] - self._belt_expect
        self._belt_expect += step if d > step else (-step if d < -step else d)
        return cmd

    def _check_sensors(self, v: list[float], t: float, first: bool) -> None:
        dev, pat = self.limits.device, self.limits.patient
        prev = self._prev
        stale = self._stale
        stale_n = self.limits.timing.stale_ticks
        moving = self.limits.timing.stale_moving_rad_s
        quantised = self._quantised
        jump = dev.angle_jump
        ia, im, iv, ic, it, ii = (self._i_ang, self._i_mot, self._i_vel, self._i_cur,
                                  self._i_tmp, self._i_int)
        # every limit and counter read once a tick, not once a joint (the limits are frozen;
        # the counters are only replaced by an acknowledgement, never during a check)
        enc_max, enc_ticks = dev.encoder_mismatch, dev.encoder_mismatch_ticks
        cur_hard, cur_ticks = dev.current_hard, dev.current_hard_ticks
        tmp_hard, tmp_soft, tmp_ticks = (dev.temperature_hard, dev.temperature_soft,
                                         dev.temperature_ticks)
        int_hard, int_soft, int_ticks = (pat.interaction_hard, pat.interaction_soft,
                                         pat.interaction_ticks)
        vel_ticks = dev.velocity_hard_ticks
        hhi, hlo, shi, slo = self._hhi, self._hlo, self._shi, self._slo
        vhard, vsoft = self._vhard, self._vsoft
        n_enc, n_vel, n_cur, n_tmp, n_int = self._enc, self._vel, self._cur, self._tmp, self._int
        for k in (0, 1, 2, 3):
            a = v[ia[k]]
            if not first:
                d = a - prev[k]
                if d > jump or d < -jump:
                    self._fault(FaultKind.IMPLAUSIBLE_JUMP, t,
                                f"{_JOINT_NAMES[k]} angle moved {d:+.3f} rad in one tick")
                if d == 0.0 and (not quantised[k] or moving <= v[iv[k]]
                                 or v[iv[k]] <= -moving):
                    stale[k] += 1
                    if stale[k] >= stale_n:
                        self._fault(FaultKind.STALE_SIGNAL, t,
                                    f"{_JOINT_NAMES[k]} angle unchanged for {stale[k]} ticks"
                                    + (f" at {v[iv[k]]:+.2f} rad/s" if quantised[k] else ""))
                else:
                    stale[k] = 0
            prev[k] = a
            e = a - v[im[k]]
            if e > enc_max or e < -enc_max:
                n_enc[k] += 1
                if n_enc[k] >= enc_ticks:
                    self._fault(FaultKind.ENCODER_MISMATCH, t,
                                f"{_JOINT_NAMES[k]} joint and motor encoders differ by {e:.3f} rad")
            else:
                n_enc[k] = 0
            if a > hhi[k] or a < hlo[k]:
                self._fault(FaultKind.JOINT_RANGE, t,
                            f"{_JOINT_NAMES[k]} at {a:.3f} rad, beyond its hard range "
                            f"{hlo[k]:.2f}..{hhi[k]:.2f}")
            elif a > shi[k] or a < slo[k]:
                self._warn(FaultKind.JOINT_RANGE, k, t,
                           f"{_JOINT_NAMES[k]} at {a:.3f} rad, beyond its soft range")
            w = v[iv[k]]
            lim = vhard[k]
            if w > lim or w < -lim:
                n_vel[k] += 1
                if n_vel[k] >= vel_ticks:
                    self._fault(FaultKind.JOINT_VELOCITY, t,
                                f"{_JOINT_NAMES[k]} velocity {w:.2f} rad/s beyond hard limit")
            else:
                n_vel[k] = 0
                lim = vsoft[k]
                if w > lim or w < -lim:
                    self._warn(FaultKind.JOINT_VELOCITY, k, t,
                               f"{_JOINT_NAMES[k]} velocity {w:.2f} rad/s beyond soft limit")
            c = v[ic[k]]
            if c > cur_hard or c < -cur_hard:
                n_cur[k] += 1
                if n_cur[k] >= cur_ticks:
                    self._fault(FaultKind.DRIVE_OVERCURRENT, t,
                                f"{_JOINT_NAMES[k]} drive current {c:.1f} A")
            else:
                n_cur[k] = 0
            tc = v[it[k]]
            if tc > tmp_hard:
                n_tmp[k] += 1
                if n_tmp[k] >= tmp_ticks:
                    self._fault(FaultKind.DRIVE_OVERTEMPERATURE, t,
                                f"{_JOINT_NAMES[k]} winding at {tc:.1f} degC")
            else:
                n_tmp[k] = 0
                if tc > tmp_soft:
                    self._warn(FaultKind.DRIVE_OVERTEMPERATURE, k, t,
                               f"{_JOINT_NAMES[k]} winding warm, {tc:.1f} degC")
            f = v[ii[k]]
            if f > int_hard or f < -int_hard:
                n_int[k] += 1
                if n_int[k] >= int_ticks:
                    self._fault(FaultKind.INTERACTION_FORCE, t,
                                f"cuff torque {f:.1f} N*m at {_JOINT_NAMES[k]}")
            else:
                n_int[k] = 0
                if f > int_soft or f < -int_soft:
                    self._warn(FaultKind.INTERACTION_FORCE, k, t,
                               f"cuff torque {f:.1f} N*m at {_JOINT_NAMES[k]}")
        # harness force: stale, jump, slack, overload; the fall
        h = v[self._i_h]
        if not first:
            d = h - prev[4]
            if d > dev.force_jump or d < -dev.force_jump:
                self._fault(FaultKind.IMPLAUSIBLE_JUMP, t,
                            f"harness force moved {d:+.0f} N in one tick")
            if d == 0.0 and not quantised[4]:
                stale[4] += 1
                if stale[4] >= stale_n:
                    self._fault(FaultKind.STALE_SIGNAL, t,
                                f"harness force unchanged for {stale[4]} ticks")
            else:
                stale[4] = 0
        prev[4] = h
        # judged against the set unloading, not the force loop's command: that swings with
        # the pelvis (and wound up while a low-support cable was briefly slack: a false stop)
        ref = self._harness_ref
        if ref > 50.0 and h < pat.harness_slack_fraction * ref:
            self._slack += 1
            if self._slack >= (pat.harness_slack_ticks
                                if ref >= pat.harness_low_support_fraction * self._weight
                                else pat.harness_slack_ticks_low_support):
                self._fault(FaultKind.HARNESS_SLACK, t,
                            f"harness force {h:.0f} N against {ref:.0f} N set")
        else:
            self._slack = 0
        if h > pat.harness_overload_fraction * self._weight:
            self._overload += 1
            if self._overload >= pat.harness_overload_ticks:
                self._fault(FaultKind.HARNESS_OVERLOAD, t,
                            f"harness force {h:.0f} N, {h / self._weight:.0%} of body weight")
        else:
            self._overload = 0
        # a fall loads the harness far beyond the set unloading; judged against the set point,
        # not the force loop's command, which dips as the pelvis rises (with high support at
        # speed both feet leave the plates for a moment while the harness holds its set
        # force: that dip made it look like a fall; docs/safety/hazards.toml H14)
        if (v[self._i_gl] < pat.fall_plate_n and v[self._i_gr] < pat.fall_plate_n
                and h > pat.fall_harness_factor * max(self._harness_set, 0.1 * self._weight)):
            self._fall += 1
            if self._fall >= pat.fall_ticks:
                self._fault(FaultKind.FALL, t, f"both plates unloaded, harness at {h:.0f} N")
        else:
            self._fall = 0
        bl, br = v[self._i_bl], v[self._i_br]
        tol = dev.belt_mismatch
        if abs(bl - br) > tol or abs(bl - self._belt_expect) > tol:
            self._belt_bad += 1
            if self._belt_bad >= dev.belt_mismatch_ticks:
                self._fault(FaultKind.BELT_MISMATCH, t,
                            f"belts at {bl:.2f}/{br:.2f} m/s, expected {self._belt_expect:.2f}")
        else:
            self._belt_bad = 0

    def _check_command(self, cmd: Command, v: list[float], t: float, first: bool) -> Command:
        total = cmd[0] + cmd[1] + cmd[2] + cmd[3] + cmd[4] + cmd[5] + cmd[6] + cmd[7]
        if total - total != 0.0:
            proposed = ", ".join(f"{float(x):.4g}" for x in cmd)
            self._fault(FaultKind.COMMAND_NON_FINITE, t, f"controller proposed {proposed}")
            return self._stop_cmd
        dev = self.limits.device
        h, belt = cmd[4], cmd[5]
        bad = ""
        if h < 0.0 or h > self._harness_max:
            bad = f"harness force {h:.0f} N outside 0-{self._harness_max:.0f} N"
        elif not first and abs(h - self._harness_cmd) > dev.harness_step_max:
            bad = f"harness force step {h - self._harness_cmd:+.0f} N in one tick"
        elif belt < 0.0 or belt > dev.belt_max_speed + 1e-6:
            bad = f"belt speed {belt:.2f} m/s outside 0-{dev.belt_max_speed:.2f}"
        elif cmd[7] < 0.0 or cmd[7] > dev.belt_max_speed + 1e-6:
            bad = f"belt set speed {cmd[7]:.2f} m/s outside 0-{dev.belt_max_speed:.2f}"
        if bad:
            self._fault(FaultKind.COMMAND_OUT_OF_RANGE, t, bad)
            return self._stop_cmd
        out: list[float] | None = None
        ia, iv = self._i_ang, self._i_vel
        finite = self._cond & _NON_FINITE_BIT == 0
        ramp = t - self._resume_at
        ramping = 0.0 <= ramp < RESUME_RAMP_S
        clipped = False
        shi, slo, vsoft, tsoft = self._shi, self._slo, self._vsoft, self._tsoft
        for k in (0, 1, 2, 3):
            c = cmd[k]
            lim = c
            if finite:
                a = v[ia[k]]
                if (a > shi[k] and lim > 0.0) or (a < slo[k] and lim < 0.0):
                    lim = 0.0  # no torque pushing further out of the soft range
                w = v[iv[k]]
                if (w > vsoft[k] and lim > 0.0) or (w < -vsoft[k] and lim < 0.0):
                    lim = 0.0  # no torque driving a joint faster than its soft limit
            ts = tsoft[k]
            if lim > ts or lim < -ts:
                clipped = True
            if ramping:  # resuming: the limit rises from the stop's torque, no warnings
                st = self.limits.stop
                t0 = st.hip_torque if k < 2 else st.knee_torque
                tr = t0 + (ts - t0) * ramp / RESUME_RAMP_S
                if lim > tr or lim < -tr:
                    lim = tr if lim > 0.0 else -tr
            elif lim > ts or lim < -ts:
                lim = ts if lim > 0.0 else -ts
                self._warn(FaultKind.DRIVE_TORQUE, k, t,
                           f"{_JOINT_NAMES[k]} command {c:.1f} N*m clipped to {lim:.0f}")
            if lim != c:
                if out is None:
                    out = list(cmd)
                out[k] = lim
        if clipped:
            self.clipped_ticks += 1
        # the belt command never steps faster than the belt may accelerate
        step = dev.belt_max_accel * self.dt
        if belt > self._belt_cmd + step or belt < self._belt_cmd - step:
            if out is None:
                out = list(cmd)
            out[5] = self._belt_cmd + (step if belt > self._belt_cmd else -step)
        if out is None:
            return cmd
        self.limited_ticks += 1
        return command_of(out)

    # -- the stop sequences -------------------------------------------------------------------
    def _stop_command(self, v: list[float], t: float) -> Command:
        st = self.limits.stop
        if self.state is SupervisorState.IMMEDIATE_STOP:
            if self.safe_state_at_s is None and t > self._stop_since:
                # drives torque-free and belt braked to standstill (the harness holds by
                # command). With no fresh readings (communication lost) neither can be
                # confirmed, only commanded: the drives' own watchdog leaves them torque-free
                # and the brake has stopped the belt once its braking time has passed
                if self._frozen == 0:
                    free = True
                    for k in range(4):
                        x = v[self._i_tq[k]]
                        if x == x and abs(x) >= st.torque_free:
                            free = False
                    bl, br = v[self._i_bl], v[self._i_br]
                    rest = ((abs(bl) <= st.rest_belt_speed and abs(br) <= st.rest_belt_speed)
                            or ((bl != bl or br != br) and t >= self._brake_until))
                else:
                    free = True
                    rest = t >= self._brake_until
                if free and self.torque_free_at_s is None:
                    self.torque_free_at_s = t
                    for rec in self._open:
                        if rec.torque_free_at_s is None:
                            rec.torque_free_at_s = t
                if free and rest:
                    self._reach_safe_state(t)
            return self._stop_cmd
        # controlled stop: belt ramps down, legs to standing with limited torque, harness holds
        step = self.limits.device.belt_max_accel * self.dt
        belt = max(0.0, self._belt_cmd - step)
        tq = [0.0, 0.0, 0.0, 0.0]
        rest = belt == 0.0
        for k in range(4):
            a = v[self._i_ang[k]]
            w = v[self._i_vel[k]]
            if not (a == a and w == w):
                continue  # a bad reading gets no torque
            q0 = st.hip_posture if k < 2 else st.knee_posture
            lim = st.hip_torque if k < 2 else st.knee_torque
            x = st.stiffness * (q0 - a) - st.damping * w
            tq[k] = lim if x > lim else (-lim if x < -lim else x)
            if abs(w) > st.rest_velocity:
                rest = False
        if abs(v[self._i_bl]) > st.rest_belt_speed or abs(v[self._i_br]) > st.rest_belt_speed:
            rest = False
        self._settle = self._settle + 1 if rest else 0
        if self.safe_state_at_s is None:
            if self._settle >= self.limits.timing.settle_ticks:
                self._reach_safe_state(t)
            elif t - self._stop_since > CONTROLLED_STOP_TIMEOUT_S:
                self._events.append((t, "safe_stop_escalated", {"reason": "no rest in time"}))
                self._latch(Reaction.IMMEDIATE_STOP, t)
                return self._stop_cmd
        return Command(tq[0], tq[1], tq[2], tq[3], self._stop_cmd.harness_force, belt,
                       self._stop_cmd.harness_setpoint)

    def _reach_safe_state(self, t: float) -> None:
        self.safe_state_at_s = t
        for rec in self._open:
            if rec.safe_state_at_s is None:
                rec.safe_state_at_s = t
        self._events.append((t, "safe_state_reached", {"state": self.state.value}))

    # -- resuming -----------------------------------------------------------------------------
    def ack_refusal(self) -> str | None:
        """Why an acknowledgement now would be refused, or None if it would be accepted."""
        if self.state is SupervisorState.RUNNING:
            return "there is no latched fault to acknowledge"
        if self.safe_state_at_s is None:
            return "the station has not reached its safe state yet; wait, then acknowledge"
        for rec in self._open:
            why = FAULTS[rec.kind].no_resume
            if why:
                return f"{rec.kind} must not be resumed ({why})"
        active = [str(k) for k in self._seen if self._cond & _KIND_BIT[k]]
        if active:
            return (f"the cause is still present ({', '.join(sorted(active))}); remove it "
                    "before acknowledging")
        return None

    def acknowledge(self, by: str, time_s: float) -> None:
        """Clear a latched fault: only in a safe state, only once its cause is gone, never
        for a fault that must not be resumed. Raises UserError saying why not."""
        if not by.strip():
            raise UserError("an acknowledgement must name who gives it")
        why = self.ack_refusal()
        if why is not None:
            raise UserError(why)
        kinds = sorted(str(r.kind) for r in self._open)
        for rec in self._open:
            rec.acknowledged_by = by
            rec.acknowledged_at_s = time_s
        self._events.append((time_s, "fault_acknowledged", {"by": by, "faults": kinds}))
        self.state = SupervisorState.RUNNING
        self.reaction = Reaction.NONE
        self.safe_state_at_s = None
        self.torque_free_at_s = None
        self._resume_at = time_s
        self._reset_counters()
