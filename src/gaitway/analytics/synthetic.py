"""SIMULATED gait signals with known events, for tests and benchmarks (never for claims).

A plain generator, independent of the physics twin, so the analytics can be checked on arrays
whose truth is exact: double-hump belt forces with crosstalk and noise, a centre of pressure
that rolls heel to toe while the belt carries the foot back, joint angles, and EMG bursts with
known onsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitway.analytics.gait_data import FloatArray, GaitData, GaitEvent, Side, SignalBlock


@dataclass(frozen=True, slots=True)
class SyntheticGait:
    duration_s: float = 30.0
    sampling_rate_hz: float = 1000.0
    stride_time_s: float = 1.1
    stance_fraction: float = 0.62
    right_step_fraction: float = 0.5  # when right heel strike falls in the left stride
    body_mass_kg: float = 70.0
    belt_speed_m_s: float = 1.0
    crosstalk: float = 0.03
    noise_n: float = 3.0
    jitter_s: float = 0.01
    emg: bool = True
    #: muscle -> (start, end) of its burst in the gait cycle (fractions)
    emg_bursts: tuple[tuple[str, float, float], ...] = (("tibialis_anterior", 0.55, 0.95),)
    seed: int = 0


def _stance_shape(tau: FloatArray) -> FloatArray:
    s = np.sin(np.pi * tau) + 0.3 * np.sin(3 * np.pi * tau)
    out: FloatArray = np.clip(s, 0, None) / 0.95
    return out


def generate(cfg: SyntheticGait) -> tuple[GaitData, list[GaitEvent], dict[str, FloatArray]]:
    """The GaitData, its true events, and the true EMG activity (0/1) per channel."""
    rng = np.random.default_rng(cfg.seed)
    fs = cfg.sampling_rate_hz
    n = int(cfg.duration_s * fs)
    t = np.arange(n) / fs
    bw = cfg.body_mass_kg * 9.81
    T = cfg.stride_time_s
    force: dict[str, FloatArray] = {}
    kin: dict[str, FloatArray] = {}
    truth: list[GaitEvent] = []
    offset = {"left": 0.3, "right": 0.3 + cfg.right_step_fraction * T}
    active: dict[str, FloatArray] = {}
    raw_f: dict[str, FloatArray] = {}
    emg: dict[str, FloatArray] = {}
    for side in ("left", "right"):
        side_t: Side = "left" if side == "left" else "right"
        hs_times = np.arange(offset[side], cfg.duration_s, T)
        hs_times = hs_times + rng.uniform(-cfg.jitter_s, cfg.jitter_s, len(hs_times))
        f = np.zeros(n)
        cop = np.full(n, np.nan)
        phase = np.zeros(n)
        for k, h in enumerate(hs_times):
            stance = cfg.stance_fraction * T
            to = h + stance
            i0, i1 = int(np.ceil(h * fs)), int(np.ceil(min(to, cfg.duration_s) * fs))
            if i1 <= i0:
                continue
            tau = (t[i0:i1] - h) / stance
            f[i0:i1] = 1.1 * bw * _stance_shape(tau)
            cop[i0:i1] = 0.3 + 0.25 * tau - cfg.belt_speed_m_s * (t[i0:i1] - h)
            truth.append(GaitEvent(float(h), side_t, "heel_strike"))
            if to < cfg.duration_s:
                truth.append(GaitEvent(float(to), side_t, "toe_off"))
            nxt = hs_times[k + 1] if k + 1 < len(hs_times) else h + T
            j1 = min(int(np.ceil(nxt * fs)), n)
            phase[i0:j1] = (t[i0:j1] - h) / (nxt - h)
        first = int(np.ceil(hs_times[0] * fs)) if len(hs_times) else n
        phase[:first] = ((t[:first] - (offset[side] - T)) / T) % 1.0
        raw_f[side] = f
        force[f"cop_x_{side}"] = cop
        force[f"cop_y_{side}"] = np.where(np.isnan(cop), np.nan, 0.1 if side == "left" else -0.1)
        force[f"belt_speed_{side}"] = np.full(n, cfg.belt_speed_m_s)
        w = 2 * np.pi * phase
        hip = np.radians(10 + 20 * np.cos(w))
        knee = np.radians(30 - 28 * np.cos(w - 0.6) + 8 * np.sin(2 * w))
        kin[f"hip_angle_{side}"] = hip
        kin[f"knee_angle_{side}"] = knee
        kin[f"ankle_angle_{side}"] = np.radians(5 * np.sin(w))
        kin[f"ref_hip_angle_{side}"] = hip + np.radians(1.0) * np.sin(3 * w)
        kin[f"ref_knee_angle_{side}"] = knee + np.radians(2.0) * np.sin(3 * w)
        kin[f"interaction_torque_thigh_{side}"] = 2.0 * np.sin(w)
        kin[f"interaction_torque_shank_{side}"] = 1.0 * np.sin(w)
        kin[f"foot_x_{side}"] = 0.42 * np.sin(hip) + 0.43 * np.sin(hip - knee)
        for muscle, p0, p1 in cfg.emg_bursts if cfg.emg else ():
            on = (phase > p0) & (phase < p1)
            active[f"emg_{muscle}_{side}"] = on.astype(float)
            emg[f"emg_{muscle}_{side}"] = rng.normal(0, 1, n) * (5e-6 + 1e-4 * on)
    for side, other in (("left", "right"), ("right", "left")):
        force[f"grf_z_{side}"] = (
            raw_f[side] + cfg.crosstalk * raw_f[other] + rng.normal(0, cfg.noise_n, n)
        )
    kin["assist_level"] = np.full(n, 0.5)
    kin["pelvis_lateral"] = 0.02 * np.sin(2 * np.pi * t / T)
    data = GaitData(
        source="simulated",
        origin="synthetic gait generator",
        forces=SignalBlock(t, fs, force),
        kinematics=SignalBlock(t, fs, kin),
        emg=SignalBlock(t, fs, emg) if emg else None,
        body_mass_kg=cfg.body_mass_kg,
        duration_s=float(t[-1]),
    )
    truth.sort(key=lambda e: e.time_s)
    return data, truth, active


#: Four muscles with their textbook burst timing, as on the station's EMG channels.
FOUR_MUSCLES: tuple[tuple[str, float, float], ...] = (
    ("tibialis_anterior", 0.55, 0.95),
    ("gastrocnemius_medialis", 0.15, 0.50),
    ("vastus_lateralis", 0.0, 0.20),
    ("biceps_femoris", 0.80, 1.0),
)
