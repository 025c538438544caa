"""The controller registry is the one list of controllers: every entry builds its controller,
its console changes are real change kinds, and every consumer (CLI, change channel, stack,
API, console) takes its choices from it."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from gaitway.cli.options import add_training_settings
from gaitway.control.base import Compensation, JointGains
from gaitway.control.changes import ChangeChannel, ChangeKind, ChangeRequest
from gaitway.control.registry import (
    CONTROLLER_NAMES,
    CONTROLLERS,
    ControllerEnv,
    check_controller,
    controller_spec,
)
from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.errors import UserError

ENV = ControllerEnv(JointGains(), Compensation(), guidance_level=0.6)


@pytest.mark.parametrize("name", CONTROLLER_NAMES)
def test_every_entry_builds_its_controller(name: str) -> None:
    spec = CONTROLLERS[name]
    settings = spec.settings_of(ControlSettings(controller=name))
    assert isinstance(settings, spec.settings_type)
    controller = spec.build(settings, ENV)
    assert controller.name == name  # sessions and summaries call it by its registry name
    stack = ControlStack(ControlSettings(controller=name), height_m=1.75, body_mass_kg=70.0)
    assert stack.controller_name == name
    assert stack.patient_timing is spec.patient_timing


@pytest.mark.parametrize("name", CONTROLLER_NAMES)
def test_console_changes_are_change_kinds(name: str) -> None:
    kinds = {k.value for k in ChangeKind}
    assert set(CONTROLLERS[name].console_changes) <= kinds
    assert CONTROLLERS[name].description


def test_session_settings_reach_the_controller() -> None:
    s = ControlSettings(controller="resist", resist_damping=1.5, resist_torque_nm=2.5,
                        tunnel_width_rad=0.1, path_flow_nm=4.0)
    resist = controller_spec("resist").settings_of(s)
    assert (resist.damping_nm_s_rad, resist.torque_nm) == (1.5, 2.5)
    path = controller_spec("path").settings_of(s)
    assert (path.width_rad, path.flow_nm) == (0.1, 4.0)
    guidance = controller_spec("guidance").create(s, ENV)
    assert guidance.assist_level() == pytest.approx(0.6)  # the level at the time it is built


@pytest.mark.parametrize("bad", ["turbo", "", "Guidance", 3, None])
def test_unknown_controllers_are_refused_everywhere(bad: object) -> None:
    with pytest.raises(UserError, match="controller must be one of guidance, path"):
        check_controller(bad)
    with pytest.raises(UserError, match="controller must be one of"):
        ChangeChannel().submit(ChangeRequest(ChangeKind.CONTROLLER, bad, "test"), 0.0)
    if isinstance(bad, str):
        with pytest.raises(UserError, match="controller must be one of"):
            ControlStack(ControlSettings(controller=bad), height_m=1.75, body_mass_kg=70.0)


def test_the_cli_offers_the_registered_controllers() -> None:
    p = argparse.ArgumentParser()
    add_training_settings(p, guidance=100.0, speed=2.0)
    action = next(a for a in p._actions if a.dest == "controller")
    assert tuple(action.choices or ()) == CONTROLLER_NAMES
    for spec in CONTROLLERS.values():
        assert spec.description.replace("%", "%%") in (action.help or "")


def test_an_added_controller_is_offered_without_other_edits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the registry promises: one entry makes a controller buildable by the stack and
    accepted by the change channel (the new entry here reuses resistance as its law)."""
    base = CONTROLLERS["resist"]
    extra = dataclasses.replace(base, name="resist2", description="a second resistance",
                                build=lambda s, env: _named(base.build(s, env), "resist2"))
    monkeypatch.setitem(CONTROLLERS, "resist2", extra)
    assert check_controller("resist2") == "resist2"
    stack = ControlStack(ControlSettings(controller="resist2"), height_m=1.75, body_mass_kg=70.0)
    assert stack.controller_name == "resist2"


def _named(controller, name: str):  # type: ignore[no-untyped-def]
    controller.name = name
    return controller
