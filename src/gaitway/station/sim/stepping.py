"""Who advances the twin's physics by one step: ``mujoco.mj_step`` unless a cohort batch says
otherwise.

A twin asks :func:`physics_step` once, when it is built, and calls the answer once per tick.
Alone, that is ``mujoco.mj_step`` itself (no cost added to a single session). Inside a cohort
batch (:mod:`gaitway.session.batch`) each session runs in its own greenlet, whose context
holds the batch's parking function: the twin's tick hands its model and data to the batch and
waits, and the batch steps every waiting twin together in C. Everything else a tick does is
the same code either way, which is what makes a batched session the same as the one alone.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Final

import mujoco

#: advance ``data`` by one step of ``model`` (``mujoco.mj_step``'s signature)
PhysicsStep = Callable[[mujoco.MjModel, mujoco.MjData], None]

_STEP: Final[ContextVar[PhysicsStep]] = ContextVar("gaitway_physics_step",
                                                   default=mujoco.mj_step)


def physics_step() -> PhysicsStep:
    """The step a twin built now, in this context, uses for each tick."""
    return _STEP.get()


def use_physics_step(step: PhysicsStep) -> None:
    """Twins built from now on in this context (a batch member's greenlet) step with
    ``step``; twins already built keep theirs."""
    _STEP.set(step)


__all__ = ["PhysicsStep", "physics_step", "use_physics_step"]
