"""The registry of controllers: the one list of the controllers a session can run.

Each entry says what the controller is called, the type of its own settings, how those are
taken from a session's :class:`~gaitway.control.settings.ControlSettings`, how to build it, and
which session changes the console may send while it runs. The CLI's ``--controller`` choices,
the API's validation, the change channel, the control stack's factory and the console page
all read this registry; adding a controller is its module, one entry here and a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from gaitway.control.aan import AanSettings, AssistAsNeededController
from gaitway.control.base import Compensation, Controller, JointGains
from gaitway.control.guidance import GuidanceController
from gaitway.control.path import PathController, PathSettings
from gaitway.control.resist import EventSink, ResistanceController, ResistSettings
from gaitway.control.settings import ControlSettings
from gaitway.errors import UserError

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class ControllerEnv:
    """What every controller is built with besides its own settings: the session's joint
    gains, the exoskeleton's compensation, the guidance level at the moment it is built
    (the stack ramps guidance, so it can differ from the session's setting), and the
    session's event log (``sink(time_s, kind, source, **details)``) for what a controller
    decides by itself (None: nowhere)."""

    gains: JointGains
    compensation: Compensation
    guidance_level: float
    sink: EventSink | None = None


@dataclass(frozen=True, slots=True)
class ControllerSpec(Generic[S]):
    """One controller: name, description (CLI help, console), settings type, factory."""

    name: str
    description: str
    settings_type: type[S]
    settings_of: Callable[[ControlSettings], S]
    build: Callable[[S, ControllerEnv], Controller]
    #: session changes (``ChangeKind`` values) the console may send while this one runs
    console_changes: tuple[str, ...] = ()
    #: True: the reference follows the patient's own phase (the patient sets the cadence);
    #: False: the robot sets it
    patient_timing: bool = False

    def create(self, settings: ControlSettings, env: ControllerEnv) -> Controller:
        return self.build(self.settings_of(settings), env)


def _guidance(gains: JointGains, env: ControllerEnv) -> Controller:
    return GuidanceController(
        level=env.guidance_level, gains=gains, compensation=env.compensation
    )


def _path(s: PathSettings, env: ControllerEnv) -> Controller:
    return PathController(
        width_rad=s.width_rad,
        stiffness=env.gains.hip_stiffness / 3.0,
        damping=env.gains.hip_damping * 0.6,
        flow_nm=s.flow_nm,
        compensation=env.compensation,
    )


def _aan(s: AanSettings, env: ControllerEnv) -> Controller:
    return AssistAsNeededController(settings=s, gains=env.gains, compensation=env.compensation)


def _resist(s: ResistSettings, env: ControllerEnv) -> Controller:
    return ResistanceController(settings=s, compensation=env.compensation, sink=env.sink)


CONTROLLERS: Final[dict[str, ControllerSpec[Any]]] = {
    spec.name: spec
    for spec in (
        ControllerSpec(
            "guidance", "impedance around the reference, 0-100 %",
            JointGains, lambda s: s.gains, _guidance, console_changes=("guidance",),
        ),
        ControllerSpec(
            "path", "a tunnel around the path; the patient sets the timing",
            PathSettings, lambda s: PathSettings(width_rad=s.tunnel_width_rad,
                                                 flow_nm=s.path_flow_nm),
            _path, console_changes=("tunnel_width", "path_flow"), patient_timing=True,
        ),
        ControllerSpec(
            "aan", "assist-as-needed: support adapted stride by stride",
            AanSettings, lambda s: s.aan, _aan, console_changes=("support_bounds",),
        ),
        ControllerSpec(
            "resist", "resistance against the patient's motion (strong patients)",
            ResistSettings, lambda s: ResistSettings(
                damping_nm_s_rad=s.resist_damping, torque_nm=s.resist_torque_nm,
                hip_extension_limit_rad=s.hip_extension_limit_rad),
            # the patient sets the cadence (nothing guides it): the reference follows the
            # patient's phase, so that a switch to guidance or assist-as-needed starts from
            # where the legs are, not from the robot's clock (a switch from the clock's phase
            # pulled the hips to their range's end: joint_range stops, resist -> guidance/aan)
            _resist, console_changes=("resistance",), patient_timing=True,
        ),
    )
}
CONTROLLER_NAMES: Final[tuple[str, ...]] = tuple(CONTROLLERS)


def controller_spec(name: object) -> ControllerSpec[Any]:
    """The registered controller called ``name``; UserError listing the choices if none."""
    spec = CONTROLLERS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise UserError(
            f"controller must be one of {', '.join(CONTROLLER_NAMES)}, got {name!r}"
        )
    return spec


def check_controller(name: object) -> str:
    """``name`` if it is a registered controller (UserError otherwise)."""
    return controller_spec(name).name

