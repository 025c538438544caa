"""The simulated station: a MuJoCo twin of a Lokomat-style trainer with a virtual patient in it.

What the station's own firmware would do lives here too, because a real device does it below
the controller: drive torque and torque-speed limits, a thermal model of the windings, the
harness winch that holds the commanded unloading force through a cable of finite stiffness, and
the belt motor's acceleration limit. Measured channels carry sensor noise; ground truth that only
a simulation knows is kept apart in :attr:`SimStation.truth`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import mujoco
import numpy as np
import numpy.typing as npt
from numpy import frombuffer

from gaitway.errors import UserError
from gaitway.station.channels import (
    N_SAMPLE_CHANNELS,
    N_TRUTH_CHANNELS,
    SAMPLE_INDEX,
    Side,
)
from gaitway.station.interface import (
    Command,
    DisturbanceHooks,
    FaultBit,
    Sample,
    Station,
    StationError,
    TimeBase,
)
from gaitway.station.sim.anthropometrics import Body, build_model
from gaitway.station.sim.patient import PatientEvent, VirtualPatient
from gaitway.station.sim.stepping import physics_step

FloatArray = npt.NDArray[np.float64]
GRAVITY: Final[float] = 9.81
_I = SAMPLE_INDEX


@dataclass(frozen=True, slots=True)
class DriveSpec:
    """One drive's limits at the joint (after the gearbox)."""

    peak_torque: float  # N*m
    max_speed: float  # rad/s, where available torque reaches zero
    torque_constant: float  # N*m per A at the output
    winding_resistance: float = 1.2  # ohm
    thermal_resistance: float = 2.5  # K/W winding to ambient
    thermal_capacity: float = 400.0  # J/K
    max_temperature: float = 110.0  # degC


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """The trainer's hardware, as its data sheet would give it."""

    hip: DriveSpec = DriveSpec(peak_torque=90.0, max_speed=6.0, torque_constant=9.0)
    knee: DriveSpec = DriveSpec(peak_torque=70.0, max_speed=8.0, torque_constant=7.0)
    harness_stiffness: float = 15000.0  # N/m, cable + spring
    harness_damping: float = 300.0  # N*s/m
    harness_bandwidth: float = 30.0  # rad/s of the winch force loop
    harness_max_winch_speed: float = 0.6  # m/s
    harness_max_force_fraction: float = 1.0  # of body weight
    #: the winch never pays out cable past this far below standing height (fall arrest)
    harness_fall_arrest: float = 0.05  # m
    belt_max_speed: float = 3.2 / 3.6  # m/s
    belt_max_accel: float = 0.5  # m/s^2
    #: emergency brake (immediate stop): see docs/safety/belt_brake.md for why 1.5 m/s^2
    belt_brake_decel: float = 1.5  # m/s^2
    ambient_temperature: float = 25.0  # degC


DEVICE: Final = DeviceSpec()

# sensor noise (1 SD) per measured channel; channels not named have none
_NOISE_SD: Final[dict[str, float]] = {
    **{f"{j}_angle_{s}": 1e-5 for j in ("hip", "knee", "ankle") for s in ("left", "right")},
    **{f"{j}_velocity_{s}": 1e-3 for j in ("hip", "knee", "ankle") for s in ("left", "right")},
    **{f"{j}_torque_{s}": 0.05 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"{j}_motor_angle_{s}": 1e-5 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"{j}_drive_current_{s}": 0.01 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"{j}_drive_temperature_{s}": 0.02 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"interaction_torque_{c}_{s}": 0.05 for c in ("thigh", "shank") for s in ("left", "right")},
    **{f"grf_{a}_{s}": 0.5 for a in ("x", "y", "z") for s in ("left", "right")},
    "harness_force": 1.0,
    "pelvis_height": 1e-4,
    "pelvis_lateral": 1e-4,
    "belt_speed_left": 2e-3,
    "belt_speed_right": 2e-3,
    **{f"imu_acc_{a}": 0.02 for a in ("x", "y", "z")},
    **{f"imu_gyro_{a}": 5e-3 for a in ("x", "y", "z")},
}
# The vector layout _sample() writes, checked once against the schema.
assert [_I[n] for n in ("hip_angle_left", "hip_torque_left", "hip_motor_angle_left",
                        "hip_drive_current_left", "hip_drive_temperature_left",
                        "interaction_torque_thigh_left", "grf_x_left", "cop_x_left",
                        "grf_x_right", "cop_x_right", "harness_force", "belt_speed_left",
                        "imu_acc_x", "imu_gyro_x", "emg_tibialis_anterior_left", "estop",
                        "fault_word")] == [1, 13, 17, 21, 25, 29, 33, 36, 38, 41, 43, 46, 48, 51,
                                           54, 62, 64]
#: the twin's drives have no safe-torque-off input and no holding brake: both read 0
_NO_STO_NO_BRAKE: Final[tuple[float, ...]] = (0.0,) * 8
assert _I["hip_sto_left"] == _I["fault_word"] + 1
assert _I["knee_brake_right"] == _I["fault_word"] + 8
#: a row of Python floats to float64 bytes and an array over them: a few times cheaper per
#: tick than ``np.array(row)``, and the same numbers (the truth's array is read-only)
#: The sample's row and the truth's are packed together, one call a tick: the truth is a
#: read-only view of its part of the bytes
_PACK_SAMPLE_TRUTH: Final = struct.Struct(f"{N_SAMPLE_CHANNELS + N_TRUTH_CHANNELS}d").pack
#: read once: an enum member read from its class costs ~0.5 us on Python 3.11
_NO_FAULT: Final = FaultBit.NONE
_trusted: Final = Sample.trusted
_THERMAL_EVERY: Final[int] = 10  # ticks between thermal-model updates (slow dynamics)
_NOISE_BLOCK: Final[int] = 1000
_COP_MIN_FZ: Final[float] = 20.0  # N: below this a plate reports no centre of pressure
_CONTACT_TRUTH_N: Final[float] = 20.0  # N: a foot loading its belt (not a light scuff)
#: share of one belt's load its neighbour's force sensor reads: none, each belt is a body of
#: its own with its own sensor (lokomat.xml, ``plate_force_*``). Recorded with the station so
#: that the analysis does not raise its toe-off level for a leak a real split-belt treadmill
#: has (``ForcePlateParams.crosstalk_coefficient``, 4 %) and the twin does not.
PLATE_CROSSTALK: Final[float] = 0.0
#: share of body weight the harness holds when the station starts (the patient stands on the
#: belts; the body-weight-support loop then takes the harness to its set force)
START_UNLOADING_FRACTION: Final[float] = 1.0 / 3.0


def _adr(model: mujoco.MjModel, name: str) -> int:
    return int(model.sensor(name).adr[0])


class SimStation(Station):
    """The MuJoCo twin behind the :class:`Station` interface.

    ``truth`` holds, after each tick, the ground truth in TRUTH_CHANNELS order.
    """

    simulated = True
    dt = 0.001

    @property
    def time_base(self) -> TimeBase:
        """Simulated time: a busy host slows the session, it never endangers the patient."""
        return TimeBase.SIMULATED

    def __init__(self, patient: VirtualPatient, *, seed: int, lateral_pelvis: bool = False,
                 device: DeviceSpec = DEVICE) -> None:
        super().__init__()
        self.patient = patient
        self.device = device
        self.body = Body(patient.profile.height_m, patient.profile.mass_kg)
        self.model = build_model(self.body, lateral_pelvis=lateral_pelvis)
        self.model.opt.timestep = self.dt
        self.data = mujoco.MjData(self.model)
        #: views into the data made once: each attribute read of MjData makes a new array
        self._d_ctrl = self.data.ctrl
        self._d_sensors = self.data.sensordata
        #: mujoco.mj_step alone; a cohort batch's parking step inside one (sim.stepping)
        self._physics = physics_step()
        self._rng = np.random.default_rng(np.random.SeedSequence([seed, 0x57A7]))
        self._noise_sd = np.zeros(N_SAMPLE_CHANNELS)
        for name, sd in _NOISE_SD.items():
            self._noise_sd[_I[name]] = sd
        if not lateral_pelvis:  # no lateral slide: the channel is a clean zero
            self._noise_sd[_I["pelvis_lateral"]] = 0.0
        self._noise = np.zeros((0, N_SAMPLE_CHANNELS))
        self._noise_i = _NOISE_BLOCK
        m = self.model
        self._a_enc = _adr(m, "enc_hip_left")  # 6 angles then 6 velocities
        self._a_cuff = _adr(m, "cuff_hip_left")  # 4 positions then 4 velocities
        self._a_fl = _adr(m, "plate_force_left")
        self._a_tl = _adr(m, "plate_torque_left")
        self._a_fr = _adr(m, "plate_force_right")
        self._a_tr = _adr(m, "plate_torque_right")
        self._a_pz = _adr(m, "pelvis_z")
        self._a_pvz = _adr(m, "pelvis_vz")
        self._a_py = _adr(m, "pelvis_y") if lateral_pelvis else -1
        self._a_acc = _adr(m, "imu_acc")
        self._a_gyro = _adr(m, "imu_gyro")
        self._a_human = _adr(m, "human_hip_left")  # 4 angles then 4 velocities
        self._a_touch_l = _adr(m, "touch_left")
        self._a_touch_r = _adr(m, "touch_right")
        self._belt_geoms = (m.geom("belt_left").id, m.geom("belt_right").id)
        self._belt_y = (float(m.body("belt_left").pos[1]), float(m.body("belt_right").pos[1]))
        self._cuff_k = np.array([float(m.jnt_stiffness[m.joint(f"cuff_{j}_{s}").id])
                                 for j in ("hip", "knee") for s in ("left", "right")])
        self._cuff_d = np.array([float(m.dof_damping[m.joint(f"cuff_{j}_{s}").dofadr[0]])
                                 for j in ("hip", "knee") for s in ("left", "right")])
        self._cuff_kl: list[float] = self._cuff_k.tolist()
        self._cuff_dl: list[float] = self._cuff_d.tolist()
        self._pelvis_z0 = float(m.body("pelvis").pos[2])
        self._ankle_q = (m.joint("ankle_left").qposadr[0], m.joint("ankle_right").qposadr[0])
        self._ankle_v = (m.joint("ankle_left").dofadr[0], m.joint("ankle_right").dofadr[0])
        self._tare_l = float(m.body_subtreemass[m.body("belt_left").id]) * GRAVITY
        dev = device
        self._peak = [dev.hip.peak_torque] * 2 + [dev.knee.peak_torque] * 2
        self._kt = [dev.hip.torque_constant] * 2 + [dev.knee.torque_constant] * 2
        self._tmax_temp = [dev.hip.max_temperature] * 2 + [dev.knee.max_temperature] * 2
        self._harness_max = dev.harness_max_force_fraction * self.body.mass_kg * GRAVITY
        self._ctrl_list = [0.0] * m.nu
        #: writes the controls into mjData's array in one C call (a list assigned to a numpy
        #: slice converts float by float)
        self._put_ctrl = struct.Struct(f"{m.nu}d").pack_into
        #: the patient's next event time, asked again only once it has come
        self._event_at = patient.next_event_time
        self._felt = [0.0, 0.0, 0.0, 0.0]  # cuff torques on the legs, as the patient feels them
        # the frame's parallelogram counterbalances the orthosis' own weight, as on the Lokomat
        self._exo_counterweight = GRAVITY * sum(
            float(m.body(f"exo_{seg}_{side}").mass[0])
            for seg in ("thigh", "shank") for side in ("left", "right"))
        self._inv_vmax = [1.0 / dev.hip.max_speed] * 2 + [1.0 / dev.knee.max_speed] * 2
        self._belt_max = dev.belt_max_speed
        self._belt_step = dev.belt_max_accel * self.dt
        self._brake_step = dev.belt_brake_decel * self.dt
        self._braked = False
        self._k_harness = dev.harness_stiffness
        self._c_harness = dev.harness_damping
        self._bw_harness = dev.harness_bandwidth
        self._vmax_winch = dev.harness_max_winch_speed
        self._fall_arrest = -dev.harness_fall_arrest
        self._a_ank = _adr(m, "enc_ankle_left")  # angle l, r; velocities 6 further on
        self._sdl: list[float] = []
        self._thermal_word = FaultBit.NONE
        self._belt_applied = 0.0
        self._events_out: list[PatientEvent] = []
        self._stopped = False
        self.truth = np.zeros(N_TRUTH_CHANNELS)
        self.estop_pressed = False
        self.stop_button_until = -1.0
        self.fault_word = FaultBit.NONE
        self._reset_state()

    # -- lifecycle ----------------------------------------------------------------------------
    def _reset_state(self) -> None:
        mujoco.mj_resetData(self.model, self.data)
        self.time = 0.0
        self._torque = [0.0, 0.0, 0.0, 0.0]  # applied drive torque hip_l, hip_r, knee_l, knee_r
        self._temp = [DEVICE.ambient_temperature] * 4
        self._belt = 0.0
        self._winch = 0.0  # cable reel position (m, up +) relative to pelvis rest
        self._harness = 0.0
        self._holding = True
        self._ticks = 0

    @property
    def body_mass_kg(self) -> float:
        return self.body.mass_kg

    def truth_source(self) -> SimStation:
        """The twin knows its truth (:attr:`truth`)."""
        return self

    def start(self) -> Sample:
        if self._stopped:
            raise StationError("this station was stopped; create a new one for a new session")
        if self._running:
            raise StationError("station already started")
        self._reset_state()
        # the patient stands on the belts, in their standing posture, with the harness taking
        # a share of the weight: the first sample shows loaded plates and the harness at its
        # preload (a start in the air, feet dropping onto the belts, was read as a fall)
        weight = self.body.mass_kg * GRAVITY
        preload = START_UNLOADING_FRACTION * weight
        m, d = self.model, self.data
        hip, knee = self.patient.standing_posture  # the exoskeleton set to it, cuffs relaxed
        for side in ("left", "right"):
            d.qpos[m.joint(f"exo_hip_{side}").qposadr[0]] = hip
            d.qpos[m.joint(f"exo_knee_{side}").qposadr[0]] = knee
        self._harness = preload
        self._ctrl_list[10] = self.data.ctrl[10] = preload + self._exo_counterweight
        z = self._standing_height(weight - preload)
        self._winch = z + preload / self.device.harness_stiffness
        self._running = True
        return self._sample()

    def _standing_height(self, plate_load_n: float) -> float:
        """The pelvis height (m, from the model's rest) at which the feet, in the posture set,
        press the plates with ``plate_load_n`` in total: bisection on the contact force."""
        m, d = self.model, self.data
        adr = m.joint("pelvis_z").qposadr[0]
        fl, fr, tare = self._a_fl + 2, self._a_fr + 2, self._tare_l
        lo, hi = -0.05, 0.01  # deep in the plates ... feet in the air
        for _ in range(40):
            z = 0.5 * (lo + hi)
            d.qpos[adr] = z
            mujoco.mj_forward(m, d)
            load = d.sensordata[fl] + d.sensordata[fr] - 2.0 * tare
            if load > plate_load_n:
                lo = z
            else:
                hi = z
        d.qpos[adr] = lo  # the side that carries the load (the force steps at first touch)
        mujoco.mj_forward(m, d)
        return lo

    def stop(self) -> None:
        """Drives torque-free, belt stopped, harness holding its cable length."""
        self._torque = [0.0, 0.0, 0.0, 0.0]
        self.data.ctrl[0:4] = 0.0
        self._belt = 0.0
        for g in self._belt_geoms:
            self.model.geom_surfacevel[g, 0] = 0.0
        self._holding = True
        self._running = False
        self._stopped = True

    # -- operator inputs and disturbances (station.interface.DisturbanceHooks) ---------------
    def disturbance_hooks(self) -> DisturbanceHooks:
        return self

    def press_estop(self) -> None:
        self.estop_pressed = True

    def release_estop(self) -> None:
        self.estop_pressed = False

    def press_stop_button(self, for_s: float) -> None:
        self.stop_button_until = self.time + for_s

    def push_patient_joint(self, joint: str, side: Side, torque_nm: float) -> None:
        self.data.qfrc_applied[self.model.joint(f"cuff_{joint}_{side}").dofadr[0]] = torque_nm

    def engage_belt_brake(self) -> None:
        """Emergency brake: the belt decelerates at ``belt_brake_decel`` to standstill and
        stays there, whatever the command, until released."""
        self._braked = True

    def release_belt_brake(self) -> None:
        self._braked = False

    @property
    def belt_brake_engaged(self) -> bool:
        return self._braked

    # -- one tick -------------------------------------------------------------------------------
    def step(self, command: Command) -> Sample:
        if not self._running:
            raise StationError("station is not running: use it as 'with station:' or call start()")
        sdl = self._sdl  # sensor readings of the last tick, as floats
        # drives: clip to peak torque and the torque-speed line (NaN never reaches a motor)
        tq = self._torque
        ctrl = self._ctrl_list
        a = self._a_enc + 6
        peak, inv_vmax = self._peak, self._inv_vmax
        for k in (0, 1, 2, 3):
            c = command[k]
            if c != c:
                c = 0.0
            avail = peak[k]
            w = sdl[a + k]
            if c * w > 0.0:
                x = 1.0 - (w if w > 0.0 else -w) * inv_vmax[k]  # abs(w), without a call
                avail *= x if x > 0.0 else 0.0  # max(0.0, x), NaN and -0.0 alike
            ctrl[k] = tq[k] = avail if c > avail else (-avail if c < -avail else c)
        self._ticks = ticks = self._ticks + 1
        dt = self.dt
        if ticks % _THERMAL_EVERY == 0:
            self._update_thermal(dt * _THERMAL_EVERY)
        # belt motor with its acceleration limit
        target = command[5]
        if target != target or target < 0.0:  # NaN: stand still
            target = 0.0
        elif target > self._belt_max:
            target = self._belt_max
        belt = self._belt
        lim = self._belt_step
        if self._braked:  # emergency brake: standstill at the braking deceleration
            target = 0.0
            lim = self._brake_step
        if target != belt:
            dv = target - belt
            self._belt = belt = belt + (lim if dv > lim else (-lim if dv < -lim else dv))
            sv = self.model.geom_surfacevel
            sv[self._belt_geoms[0], 0] = -belt
            sv[self._belt_geoms[1], 0] = -belt
        # harness winch holding the commanded unloading force through the cable
        k_h = self._k_harness
        stretch = self._winch - sdl[self._a_pz]
        force = k_h * stretch - self._c_harness * sdl[self._a_pvz]
        if stretch <= 0.0 or force < 0.0:
            force = 0.0
        f_cmd = command[4]
        if f_cmd == f_cmd:
            if f_cmd < 0.0:
                f_cmd = 0.0
            elif f_cmd > self._harness_max:
                f_cmd = self._harness_max
            vw = self._bw_harness * (f_cmd - force) / k_h
            vm = self._vmax_winch
            winch = self._winch + dt * (vm if vw > vm else (-vm if vw < -vm else vw))
            self._winch = winch if winch > self._fall_arrest else self._fall_arrest
        self._harness = force
        ctrl[10] = force + self._exo_counterweight
        # the patient: their nervous system answers at 500 Hz, torques held in between
        patient = self.patient
        if ticks & 1:
            h = self._a_human
            an = self._a_ank
            q = sdl[h:h + 4]
            q.append(sdl[an])
            q.append(sdl[an + 1])
            dq = sdl[h + 4:h + 8]
            dq.append(sdl[an + 6])
            dq.append(sdl[an + 7])
            # the cuffs' torques on the legs (``_felt``): the last sample's interaction
            # torques before their sensor noise, which _sample() left there
            # the belt's set speed as the patient knows it (the console, the therapist):
            # they step for it while the belt ramps (0 on a brake or a stop)
            belt_set = command[7]
            if self._braked or not 0.0 <= belt_set <= self._belt_max:  # NaN too
                belt_set = 0.0
            ctrl[4:10] = patient.update(2.0 * dt, belt, q, dq,
                                        (sdl[self._a_touch_l], sdl[self._a_touch_r]),
                                        self._felt, belt_set)
            if ticks % 1000 == 1:
                patient.drift()
                patient.emg.fatigue = patient.fatigue
        self._put_ctrl(self._d_ctrl, 0, *ctrl)  # the same float64s as ``d_ctrl[:] = ctrl``
        self._physics(self.model, self.data)
        self.time = t = ticks * dt
        if t >= self._event_at:
            for ev in patient.due_events(t):
                if ev.kind == "stop_button":
                    self.stop_button_until = t + 1.0
                self._events_out.append(ev)
            self._event_at = patient.next_event_time
        return self._sample()

    def _update_thermal(self, dt: float) -> None:
        dev = self.device
        for k in range(4):
            spec = dev.hip if k < 2 else dev.knee
            current = self._torque[k] / spec.torque_constant
            temp = self._temp[k]
            self._temp[k] = temp + dt * (current * current * spec.winding_resistance
                                         - (temp - dev.ambient_temperature)
                                         / spec.thermal_resistance) / spec.thermal_capacity

    def _sample(self) -> Sample:
        sdl = self._d_sensors.tolist()
        self._sdl = sdl
        tq = self._torque
        kt = self._kt
        e = self._a_enc
        c = self._a_cuff
        k, dmp = self._cuff_kl, self._cuff_dl  # floats: a numpy scalar costs 10x
        fl, fr, tl, tr = self._a_fl, self._a_fr, self._a_tl, self._a_tr
        tare = self._tare_l
        fzl = sdl[fl + 2] - tare
        fzr = sdl[fr + 2] - tare
        if fzl > _COP_MIN_FZ:
            cxl, cyl = -sdl[tl + 1] / fzl, self._belt_y[0] + sdl[tl] / fzl
        else:
            cxl = cyl = 0.0
        if fzr > _COP_MIN_FZ:
            cxr, cyr = -sdl[tr + 1] / fzr, self._belt_y[1] + sdl[tr] / fzr
        else:
            cxr = cyr = 0.0
        temp = self._temp
        acc, gyr = self._a_acc, self._a_gyro
        p = self.patient
        if self._ticks % _THERMAL_EVERY == 0:
            word = _NO_FAULT
            for j in range(4):
                if temp[j] > self._tmax_temp[j]:
                    word |= FaultBit.DRIVE_OVERTEMPERATURE
            self._thermal_word = word
        belt = self._belt
        # the cuffs' torques on the legs, kept for the patient's next update (``_felt``)
        felt = self._felt
        felt[0] = it0 = -(k[0] * sdl[c] + dmp[0] * sdl[c + 4])
        felt[1] = it1 = -(k[1] * sdl[c + 1] + dmp[1] * sdl[c + 5])
        felt[2] = it2 = -(k[2] * sdl[c + 2] + dmp[2] * sdl[c + 6])
        felt[3] = it3 = -(k[3] * sdl[c + 3] + dmp[3] * sdl[c + 7])
        # sensor noise from a pre-drawn block
        i = self._noise_i
        if i >= _NOISE_BLOCK:
            self._noise = self._rng.standard_normal((_NOISE_BLOCK, N_SAMPLE_CHANNELS))
            self._noise *= self._noise_sd
            i = 0
        self._noise_i = i + 1
        h = self._a_human
        vol = p.voluntary
        act = p.activation
        drive = p.effort.drive
        ph = p.phase
        both = frombuffer(_PACK_SAMPLE_TRUTH(
            self.time,
            *sdl[e:e + 12],
            tq[0], tq[1], tq[2], tq[3],
            *sdl[e:e + 4],
            tq[0] / kt[0], tq[1] / kt[1], tq[2] / kt[2], tq[3] / kt[3],
            temp[0], temp[1], temp[2], temp[3],
            it0, it1, it2, it3,
            sdl[fl], sdl[fl + 1], fzl, cxl, cyl,
            sdl[fr], sdl[fr + 1], fzr, cxr, cyr,
            self._harness,
            self._pelvis_z0 + sdl[self._a_pz],
            sdl[self._a_py] if self._a_py >= 0 else 0.0,
            belt, belt,
            *sdl[acc:acc + 3],
            *sdl[gyr:gyr + 3],
            *p.emg.next_list(p.activation, p.activation_version),
            1.0 if self.estop_pressed else 0.0,
            1.0 if self.time < self.stop_button_until else 0.0,
            float(self.fault_word | self._thermal_word)
            if (self.fault_word or self._thermal_word) else 0.0,  # enum | is slow: skip at 0
            *_NO_STO_NO_BRAKE,
            # the ground truth, TRUTH_CHANNELS order
            1.0 if sdl[self._a_touch_l] > _CONTACT_TRUTH_N else 0.0,
            1.0 if sdl[self._a_touch_r] > _CONTACT_TRUTH_N else 0.0,
            vol[0], vol[1], vol[2], vol[3], vol[4], vol[5],
            sdl[h], sdl[h + 1], sdl[h + 2], sdl[h + 3],
            (ph + p.phase_offset_left) % 1.0, (ph + p.phase_offset_right) % 1.0,
            *act, drive[0], drive[1], p.fatigue,
        ))
        self.truth = both[N_SAMPLE_CHANNELS:]
        v = both[:N_SAMPLE_CHANNELS] + self._noise[i]
        sample = _trusted(v, v.tolist())
        self._last = sample
        return sample

    def drain_events(self) -> list[PatientEvent]:
        """Patient events (stop button, pain report) since the last call, for the recording."""
        out, self._events_out = self._events_out, []
        return out

    # -- checks used by the runner and by tests ---------------------------------------------
    def check_speed(self, speed_m_s: float) -> None:
        if not 0.0 <= speed_m_s <= self.device.belt_max_speed + 1e-9:
            raise UserError(
                f"belt speed {speed_m_s * 3.6:.2f} km/h is beyond what the device can reach "
                f"(0-{self.device.belt_max_speed * 3.6:.1f} km/h)"
            )


def weight_n(mass_kg: float) -> float:
    return mass_kg * GRAVITY


