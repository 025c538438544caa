"""Who steps the twin's physics: mj_step alone, the step of the context a twin is built in."""

from __future__ import annotations

import contextvars

import mujoco

from gaitway.station.interface import Command
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.stepping import physics_step, use_physics_step
from gaitway.station.sim.twin import SimStation


def _twin() -> SimStation:
    return SimStation(VirtualPatient(get_profile("healthy"), seed=1), seed=1)


def test_alone_the_twin_steps_with_mj_step() -> None:
    assert physics_step() is mujoco.mj_step
    twin = _twin()
    with twin:
        twin.step(Command())
    assert twin.data.time > 0.0  # mj_step advanced its own data


def test_a_twin_built_in_a_context_steps_with_that_context_s_step() -> None:
    seen: list[tuple[mujoco.MjModel, mujoco.MjData]] = []

    def counting(model: mujoco.MjModel, data: mujoco.MjData) -> None:
        seen.append((model, data))
        mujoco.mj_step(model, data)

    def build() -> SimStation:
        use_physics_step(counting)
        return _twin()

    inside = contextvars.copy_context().run(build)
    outside = _twin()  # built after, outside that context: not affected
    assert physics_step() is mujoco.mj_step
    with inside, outside:
        for _ in range(3):
            inside.step(Command())
            outside.step(Command())
    assert seen == [(inside.model, inside.data)] * 3
    assert inside.data.time == outside.data.time  # the same physics either way
