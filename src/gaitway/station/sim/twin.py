"""The simulated station: a MuJoCo twin of a Lokomat-style trainer with a virtual patient in it.

What the station's own firmware would do lives here too, because a real device does it below
the controller: drive torque and torque-speed limits, a thermal model of the windings, the
harness winch that holds the commanded unloading force through a cable of finite stiffness, and
the belt motor's acceleration limit. Measured channels carry sensor noise; ground truth that only
a simulation knows is kept apart in :attr:`SimStation.truth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import mujoco
import numpy as np
import numpy.typing as npt

from gaitway.errors import UserError
from gaitway.station.channels import (
    N_SAMPLE_CHANNELS,
    N_TRUTH_CHANNELS,
    SAMPLE_INDEX,
)
from gaitway.station.interface import Command, FaultBit, Sample, Station, StationError
from gaitway.station.sim.anthropometrics import Body, build_model
from gaitway.station.sim.patient import VirtualPatient

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
    ambient_temperature: float = 25.0  # degC


DEVICE: Final = DeviceSpec()

# sensor noise (1 SD) per measured channel; channels not named have none
_NOISE_SD: Final[dict[str, float]] = {
    **{f"{j}_angle_{s}": 2e-5 for j in ("hip", "knee", "ankle") for s in ("left", "right")},
    **{f"{j}_velocity_{s}": 2e-3 for j in ("hip", "knee", "ankle") for s in ("left", "right")},
    **{f"{j}_torque_{s}": 0.1 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"{j}_motor_angle_{s}": 2e-5 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"{j}_drive_current_{s}": 0.01 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"{j}_drive_temperature_{s}": 0.05 for j in ("hip", "knee") for s in ("left", "right")},
    **{f"interaction_torque_{c}_{s}": 0.15 for c in ("thigh", "shank") for s in ("left", "right")},
    **{f"grf_{a}_{s}": 1.5 for a in ("x", "y", "z") for s in ("left", "right")},
    "harness_force": 2.0,
    "pelvis_height": 1e-4,
    "pelvis_lateral": 1e-4,
    "belt_speed_left": 2e-3,
    "belt_speed_right": 2e-3,
    **{f"imu_acc_{a}": 0.05 for a in ("x", "y", "z")},
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
_COP_MIN_FZ: Final[float] = 20.0  # N: below this a plate reports no centre of pressure
_CONTACT_TRUTH_N: Final[float] = 20.0  # N: a foot loading its belt (not a light scuff)


def _adr(model: mujoco.MjModel, name: str) -> int:
    return int(model.sensor(name).adr[0])


class SimStation(Station):
    """The MuJoCo twin behind the :class:`Station` interface.

    ``truth`` holds, after each tick, the ground truth in TRUTH_CHANNELS order.
    """

    simulated = True
    dt = 0.001

    def __init__(self, patient: VirtualPatient, *, seed: int, lateral_pelvis: bool = False,
                 device: DeviceSpec = DEVICE) -> None:
        self.patient = patient
        self.device = device
        self.body = Body(patient.profile.height_m, patient.profile.mass_kg)
        self.model = build_model(self.body, lateral_pelvis=lateral_pelvis)
        self.model.opt.timestep = self.dt
        self.data = mujoco.MjData(self.model)
        self._rng = np.random.default_rng(np.random.SeedSequence([seed, 0x57A7]))
        self._noise_sd = np.zeros(N_SAMPLE_CHANNELS)
        for name, sd in _NOISE_SD.items():
            self._noise_sd[_I[name]] = sd
        self._noise = np.zeros((0, N_SAMPLE_CHANNELS))
        self._noise_i = 0
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
        self._pelvis_z0 = float(m.body("pelvis").pos[2])
        self._ankle_q = (m.joint("ankle_left").qposadr[0], m.joint("ankle_right").qposadr[0])
        self._ankle_v = (m.joint("ankle_left").dofadr[0], m.joint("ankle_right").dofadr[0])
        self._tare = np.zeros(6)
        self._running = False
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
    def running(self) -> bool:
        return self._running

    @property
    def body_mass_kg(self) -> float:
        return self.body.mass_kg

    def start(self) -> Sample:
        if self._stopped:
            raise StationError("this station was stopped; create a new one for a new session")
        if self._running:
            raise StationError("station already started")
        self._reset_state()
        d = self.data
        # stand slightly crouched with the harness taking a third of the weight
        d.qpos[self.model.joint("pelvis_z").qposadr[0]] = 0.002
        mujoco.mj_forward(self.model, d)
        # the plates are zeroed with the belts unloaded: only the belts' own weight
        m = self.model
        self._tare[:] = 0.0
        self._tare[2] = float(m.body_subtreemass[m.body("belt_left").id]) * GRAVITY
        self._tare[5] = float(m.body_subtreemass[m.body("belt_right").id]) * GRAVITY
        weight = self.body.mass_kg * GRAVITY
        self._winch = 0.002 + weight / 3.0 / DEVICE.harness_stiffness
        self._running = True
        return self._sample()

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

    # -- operator inputs ----------------------------------------------------------------------
    def press_estop(self) -> None:
        self.estop_pressed = True

    # -- one tick -------------------------------------------------------------------------------
    def step(self, command: Command) -> Sample:
        if not self._running:
            raise StationError("station is not running: use it as 'with station:' or call start()")
        dt = self.dt
        d = self.data
        m = self.model
        sd = d.sensordata
        dev = self.device
        # drives: clip to peak torque and the torque-speed line
        a = self._a_enc
        cmd = (command.hip_torque_left, command.hip_torque_right,
               command.knee_torque_left, command.knee_torque_right)
        tq = self._torque
        for k in range(4):
            spec = dev.hip if k < 2 else dev.knee
            c = cmd[k]
            if c != c:  # NaN never reaches a motor
                c = 0.0
            w = float(sd[a + 6 + (0, 1, 2, 3)[k]])
            avail = spec.peak_torque
            if c * w > 0.0:
                avail *= max(0.0, 1.0 - abs(w) / spec.max_speed)
            tq[k] = avail if c > avail else (-avail if c < -avail else c)
            current = tq[k] / spec.torque_constant
            temp = self._temp[k]
            self._temp[k] = temp + dt * (current * current * spec.winding_resistance
                                         - (temp - dev.ambient_temperature)
                                         / spec.thermal_resistance) / spec.thermal_capacity
        # belt motor with its acceleration limit
        target = min(max(command.belt_speed, 0.0), dev.belt_max_speed)
        if target != target:
            target = 0.0
        dv = target - self._belt
        lim = dev.belt_max_accel * dt
        self._belt += lim if dv > lim else (-lim if dv < -lim else dv)
        bg = self._belt_geoms
        m.geom_surfacevel[bg[0], 0] = -self._belt
        m.geom_surfacevel[bg[1], 0] = -self._belt
        # harness winch holding the commanded unloading force through the cable
        zp = float(sd[self._a_pz])
        vz = float(sd[self._a_pvz])
        stretch = self._winch - zp
        force = (dev.harness_stiffness * stretch - dev.harness_damping * vz) if stretch > 0 else 0.0
        force = max(force, 0.0)
        fmax = dev.harness_max_force_fraction * self.body.mass_kg * GRAVITY
        f_cmd = min(max(command.harness_force, 0.0), fmax)
        if f_cmd == f_cmd:
            vw = dev.harness_bandwidth * (f_cmd - force) / dev.harness_stiffness
            vmax = dev.harness_max_winch_speed
            self._winch += dt * (vmax if vw > vmax else (-vmax if vw < -vmax else vw))
            self._winch = max(self._winch, -dev.harness_fall_arrest)
        self._harness = force
        # the patient
        h = self._a_human
        q = [float(sd[h]), float(sd[h + 1]), float(sd[h + 2]), float(sd[h + 3]),
             float(d.qpos[self._ankle_q[0]]), float(d.qpos[self._ankle_q[1]])]
        dq = [float(sd[h + 4]), float(sd[h + 5]), float(sd[h + 6]), float(sd[h + 7]),
              float(d.qvel[self._ankle_v[0]]), float(d.qvel[self._ankle_v[1]])]
        load = (float(sd[self._a_touch_l]), float(sd[self._a_touch_r]))
        muscles = self.patient.update(dt, self._belt, q, dq, load)
        if self._ticks % 1000 == 0:
            self.patient.drift()
            self.patient.emg.fatigue = self.patient.fatigue
        ctrl = d.ctrl
        ctrl[0] = tq[0]
        ctrl[1] = tq[1]
        ctrl[2] = tq[2]
        ctrl[3] = tq[3]
        ctrl[4:10] = muscles
        ctrl[10] = force
        mujoco.mj_step(m, d)
        self._ticks += 1
        self.time = self._ticks * dt
        for ev in self.patient.due_events(self.time):
            if ev.kind == "stop_button":
                self.stop_button_until = self.time + 1.0
        return self._sample()

    def _sample(self) -> Sample:
        d = self.data
        sd = d.sensordata
        v = np.empty(N_SAMPLE_CHANNELS)
        a = self._a_enc
        v[0] = self.time
        v[1:13] = sd[a:a + 12]
        tq = self._torque
        v[13:17] = tq
        v[17] = sd[a]
        v[18] = sd[a + 1]
        v[19] = sd[a + 2]
        v[20] = sd[a + 3]
        dev = self.device
        v[21] = tq[0] / dev.hip.torque_constant
        v[22] = tq[1] / dev.hip.torque_constant
        v[23] = tq[2] / dev.knee.torque_constant
        v[24] = tq[3] / dev.knee.torque_constant
        v[25:29] = self._temp
        c = self._a_cuff
        v[29:33] = -(self._cuff_k * sd[c:c + 4] + self._cuff_d * sd[c + 4:c + 8])
        # force plates: the sensor sees belt weight + the foot's load; moments give the COP
        fl = sd[self._a_fl:self._a_fl + 3] - self._tare[0:3]
        fr = sd[self._a_fr:self._a_fr + 3] - self._tare[3:6]
        v[33:36] = fl
        v[38:41] = fr
        tl = sd[self._a_tl:self._a_tl + 3]
        tr = sd[self._a_tr:self._a_tr + 3]
        if fl[2] > _COP_MIN_FZ:
            v[36] = -tl[1] / fl[2]
            v[37] = self._belt_y[0] + tl[0] / fl[2]
        else:
            v[36] = 0.0
            v[37] = 0.0
        if fr[2] > _COP_MIN_FZ:
            v[41] = -tr[1] / fr[2]
            v[42] = self._belt_y[1] + tr[0] / fr[2]
        else:
            v[41] = 0.0
            v[42] = 0.0
        v[43] = self._harness
        v[44] = self._pelvis_z0 + sd[self._a_pz]
        v[45] = sd[self._a_py] if self._a_py >= 0 else 0.0
        v[46] = self._belt
        v[47] = self._belt
        v[48:51] = sd[self._a_acc:self._a_acc + 3]
        v[51:54] = sd[self._a_gyro:self._a_gyro + 3]
        v[54:62] = self.patient.emg.next(self.patient.activation)
        v[62] = 1.0 if self.estop_pressed else 0.0
        v[63] = 1.0 if self.time < self.stop_button_until else 0.0
        word = self.fault_word
        for k in range(4):
            spec = dev.hip if k < 2 else dev.knee
            if self._temp[k] > spec.max_temperature:
                word |= FaultBit.DRIVE_OVERTEMPERATURE
        v[64] = float(word)
        # sensor noise from a pre-drawn block
        if self._noise_i >= len(self._noise):
            self._noise = self._rng.standard_normal((1000, N_SAMPLE_CHANNELS)) * self._noise_sd
            self._noise_i = 0
        v += self._noise[self._noise_i]
        self._noise_i += 1
        self._fill_truth()
        return Sample(v)

    def _fill_truth(self) -> None:
        sd = self.data.sensordata
        t = self.truth
        p = self.patient
        t[0] = 1.0 if sd[self._a_touch_l] > _CONTACT_TRUTH_N else 0.0
        t[1] = 1.0 if sd[self._a_touch_r] > _CONTACT_TRUTH_N else 0.0
        t[2:8] = p.voluntary
        h = self._a_human
        t[8:12] = sd[h:h + 4]
        t[12] = p.phase_of(0)
        t[13] = p.phase_of(1)
        t[14] = p.mean_activation(0)
        t[15] = p.mean_activation(1)
        t[16] = p.fatigue

    # -- checks used by the runner and by tests ---------------------------------------------
    def check_speed(self, speed_m_s: float) -> None:
        if not 0.0 <= speed_m_s <= self.device.belt_max_speed + 1e-9:
            raise UserError(
                f"belt speed {speed_m_s * 3.6:.2f} km/h is beyond what the device can reach "
                f"(0-{self.device.belt_max_speed * 3.6:.1f} km/h)"
            )


def weight_n(mass_kg: float) -> float:
    return mass_kg * GRAVITY


