"""Over-temperature from the twin's own thermal model (not an injected offset): a knee drive
with a tiny thermal capacity heats within seconds, and the supervisor stops on its winding
temperature reading, then on the device's own bit."""

from __future__ import annotations

import dataclasses

from gaitway.safety.faults import FaultKind, Reaction
from gaitway.safety.limits import SafetyLimits
from gaitway.safety.supervisor import SafetySupervisor
from gaitway.station.interface import Command, FaultBit
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import DEVICE, SimStation


def test_winding_heat_up_is_detected_on_the_reading() -> None:
    # 2 J/K instead of 400: the same model, 200 times faster (10 A in 1.2 ohm: 60 K/s)
    fast = dataclasses.replace(DEVICE, knee=dataclasses.replace(DEVICE.knee,
                                                                thermal_capacity=2.0))
    prof = get_profile("healthy")
    st = SimStation(VirtualPatient(prof, seed=3, events=False), seed=3, device=fast)
    sup = SafetySupervisor(SafetyLimits.for_patient(prof.mass_kg), watch_overruns=False)
    s = st.start()
    temps = []
    bit_seen = False
    for _i in range(3000):
        cmd = Command(0.0, 0.0, 70.0, 0.0, 220.0, 0.0)  # the knee stalls at its end stop
        sup.check(s, cmd)  # judged only: the twin is driven hot on purpose
        s = st.step(cmd)
        temps.append(s["knee_drive_temperature_left"])
        bit_seen = bit_seen or bool(s.fault_word & FaultBit.DRIVE_OVERTEMPERATURE)
        if bit_seen:
            break
    st.stop()
    hot = [r for r in sup.records if r.kind is FaultKind.DRIVE_OVERTEMPERATURE]
    warn = [r for r in hot if r.reaction is Reaction.WARN]
    stop = [r for r in hot if r.reaction is Reaction.CONTROLLED_STOP]
    assert warn, sup.records
    assert stop, sup.records
    assert warn[0].detected_at_s < stop[0].detected_at_s
    # the stop came within the debounce (10 ticks) of the reading crossing 105 degC
    lim = sup.limits.device.temperature_hard
    crossed = next(i for i, x in enumerate(temps) if x > lim) * 0.001 + 0.001
    assert 0.0 <= stop[0].detected_at_s - crossed <= 0.011 + 0.010  # + thermal update period
    assert temps[0] < 40.0
    assert max(temps) > lim
    assert bit_seen  # the device's own trip at 110 degC follows
