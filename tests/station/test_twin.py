"""The simulated station behind the Station interface: lifecycle, limits, physics checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gaitway.control.belt import MIN_SPEED_M_S
from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.station.channels import (
    EMG_MUSCLES,
    N_SAMPLE_CHANNELS,
    SAMPLE_CHANNEL_NAMES,
    SAMPLE_INDEX,
    TRUTH_INDEX,
)
from gaitway.station.interface import Command, Sample, StationError
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import DEVICE, GRAVITY, SimStation


def _walk(st: SimStation, seconds: float, *, guidance: float = 1.0, bws: float = 0.3,
          speed: float = 2.0 / 3.6) -> list[Sample]:
    """The twin under the control stack production runs (guidance), the belt commanded at
    ``speed`` from the first tick (the station's own ramp limits it); speed 0: standing."""
    settings = ControlSettings(guidance=guidance, bws_fraction=bws,
                               speed_m_s=max(speed, MIN_SPEED_M_S), belt_from_rest=speed == 0.0,
                               adapt_to_fatigue=False)
    stack = ControlStack(settings, height_m=st.body.height_m, body_mass_kg=st.body_mass_kg,
                         dt=st.dt)
    stack.walking = speed > 0.0
    out = []
    s = st.last_sample
    for _ in range(int(seconds / st.dt)):
        s = st.step(stack.step(s))
        out.append(s)
    return out


def test_sample_has_every_channel_and_is_read_only(station: SimStation) -> None:
    with station:
        s = station.last_sample
        assert s.values.shape == (N_SAMPLE_CHANNELS,)
        assert set(s.as_dict()) == set(SAMPLE_CHANNEL_NAMES)
        with pytest.raises(ValueError, match="read-only"):
            s.values[1] = 1.0
        assert station.simulated


def test_stop_leaves_drives_torque_free_belt_stopped_harness_holding(station: SimStation) -> None:
    with station:
        _walk(station, 2.0)
        winch_before = station._winch
        assert station.data.ctrl[0:4].any()
    assert not station.running
    assert not station.data.ctrl[0:4].any()
    assert station.model.geom_surfacevel[:, 0].max() == 0.0
    assert station._winch == winch_before  # the cable length is held, the patient not dropped
    with pytest.raises(StationError, match="not running"):
        station.step(Command())


def _walk_then_fail(station: SimStation) -> None:
    with station:
        _walk(station, 0.2)
        raise RuntimeError("boom")


def test_an_exception_inside_the_block_still_stops_the_station(station: SimStation) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _walk_then_fail(station)
    assert not station.running
    assert not station.data.ctrl[0:4].any()


def test_nan_command_never_reaches_a_motor_and_torque_is_limited(station: SimStation) -> None:
    with station:
        s = station.step(Command(math.nan, 500.0, -500.0, math.inf, 100.0, 0.0))
        assert station._torque[0] == 0.0
        assert abs(station._torque[1]) <= DEVICE.hip.peak_torque
        assert abs(station._torque[2]) <= DEVICE.knee.peak_torque
        assert abs(station._torque[3]) <= DEVICE.knee.peak_torque
        assert np.isfinite(s.values).all()


@pytest.mark.parametrize("bad", [math.nan, -0.2, 5.0])
def test_the_twin_tells_its_patient_the_speed_the_belt_is_set_to(station: SimStation,
                                                                 bad: float) -> None:
    """The virtual patient steps for the speed the belt is set to while it ramps there (the
    command's belt set point, gaitway.gait.reference); a set point the twin cannot use
    (non-finite, outside the belt's speeds) is none: the patient holds to the belt's own."""
    with station:
        for _ in range(800):  # the belt ramps to 0.3 m/s within 0.6 s, set to 0.8
            station.step(Command(harness_force=220.0, belt_speed=0.3, belt_setpoint=0.8))
        assert station.patient.hold_speed_m_s == 0.8
        for _ in range(20):
            station.step(Command(harness_force=220.0, belt_speed=0.3, belt_setpoint=bad))
        assert station.patient.hold_speed_m_s == pytest.approx(0.3, abs=1e-9)


def test_force_plates_carry_the_weight_the_harness_does_not(station: SimStation) -> None:
    with station:
        samples = _walk(station, 3.0, bws=0.3, speed=0.0)
    last = np.array([s.values for s in samples[-500:]])
    grf = last[:, SAMPLE_INDEX["grf_z_left"]] + last[:, SAMPLE_INDEX["grf_z_right"]]
    harness = last[:, SAMPLE_INDEX["harness_force"]]
    weight = station.body_mass_kg * GRAVITY
    # standing still: plates + harness hold the patient's weight (the frame counterbalances the
    # orthosis' own weight, so it is not on the plates)
    assert (grf.mean() + harness.mean()) == pytest.approx(weight, rel=0.05)
    assert harness.mean() == pytest.approx(0.3 * weight, rel=0.05)


def test_belt_ramps_with_its_acceleration_limit_and_carries_the_stance_foot(
    station: SimStation,
) -> None:
    with station:
        samples = _walk(station, 6.0, speed=0.6)
    v = np.array([s.belt_speed("left") for s in samples])
    assert v[-1] == pytest.approx(0.6, abs=0.01)
    ramp_s = np.argmax(v > 0.59) * station.dt
    assert ramp_s >= 0.59 / DEVICE.belt_max_accel - 0.05  # never faster than the limit
    # during stance the foot moves backwards with the belt: the hip extends at about v / leg
    # length (the pelvis cannot move forward)
    truth_contacts = np.array([s.grf("left")[2] for s in samples[-3000:]])
    assert (truth_contacts > 100.0).mean() > 0.4


def test_interaction_torque_is_measurable_when_robot_and_patient_disagree() -> None:
    patient = VirtualPatient(get_profile("hemiparetic-left-moderate"), seed=5, events=False)
    with SimStation(patient, seed=5) as st:
        samples = _walk(st, 4.0, guidance=1.0)
    it = np.array([s.interaction_torque("shank", "left") for s in samples[-2000:]])
    assert np.abs(it).max() > 2.0  # newton-metres: well above the 0.05 N*m sensor noise


def test_emg_is_synthetic_noise_modulated_by_activation(station: SimStation) -> None:
    with station:
        samples = _walk(station, 3.0, guidance=0.5)
    emg = np.array([s.emg("vastus_lateralis", "left") for s in samples[-2000:]])
    assert abs(emg.mean()) < 5e-5
    assert 5e-6 < emg.std() < 1e-3  # between the noise floor and full activation


def test_each_muscles_emg_follows_its_true_activation(station: SimStation) -> None:
    """Muscle by muscle, the EMG's amplitude over 50 ms windows rises with the truth channel
    of that muscle's activation (the synthetic EMG follows the modelled muscle activity)."""
    acts: dict[str, list[float]] = {m: [] for m in EMG_MUSCLES}
    emgs: dict[str, list[float]] = {m: [] for m in EMG_MUSCLES}
    with station:
        settings = ControlSettings(guidance=0.5, bws_fraction=0.3, speed_m_s=2.0 / 3.6,
                                   adapt_to_fatigue=False)
        stack = ControlStack(settings, height_m=station.body.height_m,
                             body_mass_kg=station.body_mass_kg, dt=station.dt)
        stack.walking = True
        s = station.last_sample
        for k in range(4000):
            s = station.step(stack.step(s))
            if k < 1000:
                continue
            for m in EMG_MUSCLES:
                acts[m].append(float(station.truth[TRUTH_INDEX[f"truth_activation_{m}_left"]]))
                emgs[m].append(s.emg(m, "left"))
    for m in EMG_MUSCLES:
        a = np.asarray(acts[m]).reshape(-1, 50).mean(axis=1)
        rms = np.sqrt(np.square(np.asarray(emgs[m])).reshape(-1, 50).mean(axis=1))
        assert np.ptp(a) > 0.02, m  # the muscle's activity changes over the gait cycle
        assert np.corrcoef(a, rms)[0, 1] > 0.6, m
    drive = [station.truth[TRUTH_INDEX[f"truth_effort_{s}"]] for s in ("left", "right")]
    assert all(0.0 < d <= 1.0 for d in drive)


def test_start_twice_or_after_stop_is_refused(station: SimStation) -> None:
    station.start()
    with pytest.raises(StationError, match="already started"):
        station.start()
    station.stop()
    with pytest.raises(StationError, match="was stopped"):
        station.start()
