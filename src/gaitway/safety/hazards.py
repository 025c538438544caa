"""The hazard list: loading it, and checking it against the test suite.

Each hazard (ISO 14971 style: hazard, cause, harm, risk control) names the tests that verify
its risk control. :func:`load_hazards` validates the file; :func:`missing_tests` and
:func:`unverified` tell which hazards lack an existing or a passing test, so CI can fail.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gaitway.errors import UserError
from gaitway.safety.faults import FaultKind

#: the list, relative to the repository root
HAZARD_FILE: Final[str] = "docs/safety/hazards.toml"
_FIELDS: Final[tuple[str, ...]] = ("id", "hazard", "cause", "harm", "risk_control")


@dataclass(frozen=True, slots=True)
class Hazard:
    id: str
    hazard: str
    cause: str
    harm: str
    risk_control: str
    faults: tuple[FaultKind, ...]
    tests: tuple[str, ...]  # pytest node ids; a trailing glob (*) matches parameters

    def matching(self, node_ids: Iterable[str]) -> dict[str, list[str]]:
        """For each named test, the node ids it matches."""
        ids = list(node_ids)
        out = {}
        for t in self.tests:
            # only * is a wildcard: brackets in node ids are literal parameter brackets
            rx = re.compile(re.escape(t).replace(r"\*", ".*") + r"\Z")
            out[t] = [n for n in ids if rx.match(n)]
        return out


def load_hazards(path: Path) -> list[Hazard]:
    """Read and validate the hazard list."""
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read the hazard list {path}: {exc}") from None
    items = raw.get("hazard")
    if not isinstance(items, list) or not items:
        raise UserError(f"{path} holds no [[hazard]] entries")
    out: list[Hazard] = []
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        where = f"{path}: hazard #{n}"
        for f in _FIELDS:
            if not isinstance(item.get(f), str) or not item[f].strip():
                raise UserError(f"{where} needs a non-empty '{f}'")
        if item["id"] in seen:
            raise UserError(f"{where}: id {item['id']} appears twice")
        seen.add(item["id"])
        tests = item.get("tests")
        if not isinstance(tests, list) or not tests or not all(
                isinstance(t, str) and "::" in t for t in tests):
            raise UserError(f"{where} ({item['id']}) must name at least one test node id "
                            "(path::test)")
        try:
            faults = tuple(FaultKind(f) for f in item.get("faults", []))
        except ValueError as exc:
            raise UserError(f"{where} ({item['id']}): {exc}") from None
        out.append(Hazard(item["id"], item["hazard"], item["cause"], item["harm"],
                          item["risk_control"], faults, tuple(tests)))
    return out


def uncovered_faults(hazards: Iterable[Hazard]) -> list[FaultKind]:
    """Fault kinds no hazard mentions."""
    covered = {f for h in hazards for f in h.faults}
    return [k for k in FaultKind if k not in covered]


def missing_tests(hazards: Iterable[Hazard], collected: Iterable[str]) -> list[str]:
    """Named tests that match no collected node id, as 'H01: test'."""
    ids = list(collected)
    return [f"{h.id}: {t}" for h in hazards for t, m in h.matching(ids).items() if not m]


def unverified(hazards: Iterable[Hazard], outcomes: Mapping[str, str]) -> list[str]:
    """Hazards whose named tests did not all run and pass (outcomes: node id -> outcome)."""
    bad: list[str] = []
    for h in hazards:
        for t, nodes in h.matching(outcomes).items():
            if not nodes:
                bad.append(f"{h.id}: {t} did not run")
            for n in nodes:
                if outcomes[n] != "passed":
                    bad.append(f"{h.id}: {n} {outcomes[n]}")
    return bad
