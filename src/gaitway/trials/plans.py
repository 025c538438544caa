"""Training plans as data: a TOML file says which controller a trial arm uses and how its
settings change week by week (or that it follows the proposal rules of the planning layer).

A plan file::

    name = "aan-decreasing"
    description = "assist-as-needed, support ceiling lowered every week"
    controller = "aan"
    [controller_params]          # fixed for the whole course
    aan_min_pct = 20.0
    [[schedule]]                 # from this week on (1-based) until the next entry
    week = 1
    guidance_pct = 100.0
    bws_pct = 40.0
    speed_kmh = 1.5
    aan_max_pct = 100.0

or ``follow_proposals = true`` with one ``[start]`` table: the first session's settings, then
:func:`gaitway.planning.rules.next_settings` (the clinic's proposal rules, auto-approved) after
every session. Every week's settings are checked with :meth:`SessionSettings.validate` when the
file is read, so a bad plan fails before a cluster starts, with one line naming the file.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from gaitway.errors import UserError
from gaitway.session.settings import SessionSettings

#: settings a plan may set (week by week or fixed): the session settings of the training itself
PLAN_SETTINGS: Final[tuple[str, ...]] = (
    "guidance_pct", "bws_pct", "speed_kmh", "aan_min_pct", "aan_max_pct", "tunnel_width_deg",
    "path_flow_nm", "resist_damping_nms_per_rad", "resist_torque_nm", "hip_rom_scale",
    "knee_rom_scale",
)
#: what every session of a week needs (the rest keep SessionSettings' defaults)
WEEK_REQUIRED: Final[tuple[str, ...]] = ("guidance_pct", "bws_pct", "speed_kmh")
_TOP_KEYS: Final[frozenset[str]] = frozenset(
    {"name", "description", "controller", "controller_params", "schedule", "follow_proposals",
     "start"})
_NAME: Final[re.Pattern[str]] = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
#: a registered profile, only to validate the settings of a plan when it is read
_CHECK_PROFILE: Final[str] = "cohort-0-000"


@dataclass(frozen=True, slots=True)
class WeekSettings:
    """The settings of every session from ``from_week`` (1-based) until the next entry."""

    from_week: int
    values: tuple[tuple[str, float], ...]

    def as_dict(self) -> dict[str, float]:
        return dict(self.values)


@dataclass(frozen=True, slots=True)
class TrialPlan:
    """One arm of a trial: controller, fixed parameters and the weekly schedule."""

    name: str
    description: str
    controller: str
    params: tuple[tuple[str, float], ...]
    schedule: tuple[WeekSettings, ...]
    #: True: ``schedule`` holds one entry (the start); the proposal rules set the rest
    follow_proposals: bool
    source: str

    def week_settings(self, week: int) -> dict[str, float]:
        """The settings of week ``week`` (1-based): the last entry that started by then, with
        the fixed controller parameters."""
        current = self.schedule[0]
        for entry in self.schedule:
            if entry.from_week <= week:
                current = entry
        return {**dict(self.params), **current.as_dict()}

    def session_settings(self, values: dict[str, float], *, profile: str, minutes: float,
                         seed: int, session_index: int) -> SessionSettings:
        base = SessionSettings(profile=profile, minutes=minutes, seed=seed,
                               controller=self.controller, session_index=session_index,
                               patient_events=False)
        return base.replace(**values).validate()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "controller": self.controller, "controller_params": dict(self.params),
                "follow_proposals": self.follow_proposals,
                "schedule": [{"week": w.from_week, **w.as_dict()} for w in self.schedule],
                "source": self.source}


def _number(where: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"{where}: {key} needs a number, got {value!r}")
    return float(value)


def _settings_table(where: str, table: object, *, required: tuple[str, ...]
                    ) -> tuple[tuple[str, float], ...]:
    if not isinstance(table, dict):
        raise UserError(f"{where}: expected a table of settings, got {table!r}")
    unknown = sorted(set(table) - set(PLAN_SETTINGS) - {"week"})
    if unknown:
        raise UserError(f"{where}: unknown setting(s) {', '.join(unknown)}; a plan may set "
                        f"{', '.join(PLAN_SETTINGS)}")
    missing = [k for k in required if k not in table]
    if missing:
        raise UserError(f"{where}: missing {', '.join(missing)}")
    return tuple((k, _number(where, k, table[k])) for k in PLAN_SETTINGS if k in table)


def parse_plan(data: dict[str, Any], *, source: str) -> TrialPlan:
    """A plan from a TOML document's data; UserError with ``source`` on the first mistake."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise UserError(f"plan {source}: unknown key(s) {', '.join(unknown)}; a plan has "
                        f"{', '.join(sorted(_TOP_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UserError(f"plan {source}: name must be 1-40 lower-case letters, digits, - or _, "
                        f"got {name!r}")
    controller = data.get("controller", "guidance")
    if not isinstance(controller, str):
        raise UserError(f"plan {source}: controller must be a name, got {controller!r}")
    params = _settings_table(f"plan {source} [controller_params]",
                             data.get("controller_params", {}), required=())
    follow = data.get("follow_proposals", False)
    if not isinstance(follow, bool):
        raise UserError(f"plan {source}: follow_proposals must be true or false")
    schedule: tuple[WeekSettings, ...]
    if follow:
        if "schedule" in data:
            raise UserError(f"plan {source}: a plan that follows the proposals has a [start] "
                            "table, not a [[schedule]]")
        schedule = (WeekSettings(1, _settings_table(f"plan {source} [start]", data.get("start"),
                                                    required=WEEK_REQUIRED)),)
    else:
        if "start" in data:
            raise UserError(f"plan {source}: [start] is only for follow_proposals = true; "
                            "give a [[schedule]]")
        rows = data.get("schedule")
        if not isinstance(rows, list) or not rows:
            raise UserError(f"plan {source}: give at least one [[schedule]] entry with week, "
                            f"{', '.join(WEEK_REQUIRED)}")
        entries = []
        for i, row in enumerate(rows, 1):
            where = f"plan {source} schedule entry {i}"
            week = row.get("week") if isinstance(row, dict) else None
            if isinstance(week, bool) or not isinstance(week, int) or week < 1:
                raise UserError(f"{where}: week must be a whole number from 1, got {week!r}")
            entries.append(WeekSettings(week, _settings_table(where, row,
                                                              required=WEEK_REQUIRED)))
        weeks = [e.from_week for e in entries]
        if weeks[0] != 1 or weeks != sorted(set(weeks)):
            raise UserError(f"plan {source}: schedule weeks must start at 1 and increase, "
                            f"got {weeks}")
        schedule = tuple(entries)
    plan = TrialPlan(name=name, description=str(data.get("description", "")),
                     controller=controller, params=params, schedule=schedule,
                     follow_proposals=follow, source=source)
    for entry in plan.schedule:
        try:
            plan.session_settings(plan.week_settings(entry.from_week), profile=_CHECK_PROFILE,
                                  minutes=1.0, seed=0, session_index=0)
        except UserError as exc:
            raise UserError(f"plan {source} week {entry.from_week}: {exc}") from None
    return plan


def load_plan(path: str | Path) -> TrialPlan:
    """Read and check one plan file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"plan file {p} does not exist; give a TOML plan "
                        "(see examples/plans/)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"plan file {p} cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"plan file {p} is not valid TOML: {exc}") from None
    return parse_plan(data, source=str(p))


def load_plans(paths: list[str]) -> tuple[TrialPlan, ...]:
    """The trial's arms; at least two, with different names."""
    plans = tuple(load_plan(p) for p in paths)
    if len(plans) < 2:
        raise UserError(f"a trial compares at least two plans, got {len(plans)}; "
                        "give --plans A.toml,B.toml")
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        raise UserError(f"plan names must differ (they name the arms), got {names}")
    return plans
