"""The session tick's modules compiled with mypyc, and the guard that keeps them honest.

``scripts/setup.sh`` compiles :data:`TICK_MODULES` with mypyc (``scripts/build_compiled.py``)
into one shared library, ``gaitway/_tick__mypyc.<ext>``, with a small extension module next
to each ``.py``, and writes :data:`MANIFEST` (the SHA-256 of every compiled source and of
every gaitway module they import, since compiled code holds what it learnt of the modules it
imports, e.g. their ``Final`` constants inlined; the Python it was built for). Without a
working compiler or mypy the build warns and writes
nothing: the ``.py`` modules run (the same sessions, bit for bit, slower).

:func:`install_guard` (run by ``gaitway/__init__.py``, before any of these modules can be
imported) decides once per process which code runs: the compiled group when the manifest
matches every source, otherwise every module of the group from its ``.py`` (all or nothing:
compiled modules call each other natively, so a mix is not possible), with one warning that
says to run ``scripts/setup.sh`` when the cause is a source edited since the build.
``GAITWAY_PURE_PYTHON=1`` asks for the ``.py`` modules on purpose (no warning).
:func:`compiled_modules` says which mode runs, for the command line and a recording's
metadata (a result is traceable to the code that made it).

Standard library only, no other gaitway import: it runs inside ``import gaitway``.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Final

#: The modules of one session tick, compiled together (one list: the build reads it too).
#: An interpreted class cannot subclass a compiled one, so every controller is here.
TICK_MODULES: Final[tuple[str, ...]] = (
    "gaitway.station.sim.twin",
    "gaitway.station.sim.stepping",
    "gaitway.station.sim.patient",
    "gaitway.station.sim.motor",
    "gaitway.station.sim.emg",
    "gaitway.control.stack",
    "gaitway.control.refbank",
    "gaitway.control.base",
    "gaitway.control.guidance",
    "gaitway.control.path",
    "gaitway.control.aan",
    "gaitway.control.resist",
    "gaitway.control.switching",
    "gaitway.control.phase",
    "gaitway.control.participation",
    "gaitway.control.bws",
    "gaitway.control.belt",
    "gaitway.control.fatigue",
    "gaitway.gait.reference",
)
#: mypyc's group: the shared library is ``gaitway/_tick__mypyc<ext>``.
GROUP: Final = "gaitway._tick"
#: Environment switch: ``1`` runs the ``.py`` modules even where a current build exists.
PURE_ENV: Final = "GAITWAY_PURE_PYTHON"

PACKAGE_DIR: Final = Path(__file__).resolve().parent
SRC_DIR: Final = PACKAGE_DIR.parent
#: Written by the build after every library is in place; git-ignored like the libraries.
MANIFEST: Final = PACKAGE_DIR / "_tick_build.json"
#: The manifest's format: 2 lists what the compiled modules import as well (build_inputs)
MANIFEST_FORMAT: Final = 2

_mode: str | None = None  # "compiled", "pure (<why>)"


def source_path(module: str, src: Path = SRC_DIR) -> Path:
    return src.joinpath(*module.split(".")).with_suffix(".py")


def extension_suffix() -> str:
    return str(sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def library_paths(src: Path = SRC_DIR) -> list[Path]:
    """Every file the build puts next to the sources: the group's library and one
    extension module per compiled module."""
    ext = extension_suffix()
    names = [GROUP + "__mypyc", *TICK_MODULES]
    return [src.joinpath(*n.split(".")).with_name(n.rsplit(".", 1)[-1] + ext) for n in names]


def source_hashes(modules: Sequence[str] = TICK_MODULES, src: Path = SRC_DIR) -> dict[str, str]:
    return {m: hashlib.sha256(source_path(m, src).read_bytes()).hexdigest() for m in modules}


def build_inputs(src: Path = SRC_DIR) -> list[str]:
    """The compiled modules and every gaitway module they import, directly or not (an import
    inside a function or under ``TYPE_CHECKING`` counts): what the build depends on."""
    seen: set[str] = set()
    todo = list(TICK_MODULES)
    while todo:
        module = todo.pop()
        path = source_path(module, src)
        if module in seen or not path.exists():  # a package, or a name imported from one
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            todo += [n for n in names if n.startswith("gaitway.")]
    return sorted(seen)


def build_state(src: Path = SRC_DIR) -> tuple[bool, str]:
    """(whether the compiled group may be loaded, why not). Reads the manifest and hashes
    the ~300 kB of sources it lists (about a millisecond)."""
    manifest = src / "gaitway" / MANIFEST.name
    present = [p for p in library_paths(src) if p.exists()]
    if not manifest.exists():
        if present:
            return False, "compiled modules without a build manifest (an interrupted build?)"
        return False, "not built"
    try:
        built = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        return False, f"unreadable build manifest ({exc})"
    if built.get("format") != MANIFEST_FORMAT:
        return False, "a build manifest of another format (an older build)"
    if built.get("ext_suffix") != extension_suffix():
        return False, f"built for another Python ({built.get('ext_suffix')})"
    if len(present) != len(TICK_MODULES) + 1:
        return False, "some compiled modules are missing"
    listed: dict[str, str] = built.get("sources", {})
    if not set(TICK_MODULES) <= set(listed):
        return False, "the build compiled other modules"
    changed = []
    for module, digest in sorted(listed.items()):
        path = source_path(module, src)
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            changed.append(module)
    if changed:
        return False, "edited since the build: " + ", ".join(changed)
    return True, ""


class _SourceFinder:
    """A meta path finder (importlib.abc.MetaPathFinder's protocol; the ABC itself costs
    ~20 ms of imports at every start): every module of the group as its ``.py``, ahead of
    the extension modules that the default path finder prefers."""

    def __init__(self, src: Path) -> None:
        self.src = src

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in TICK_MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source_path(fullname, self.src))


def install_guard() -> str:
    """Decide, once per process, whether the compiled group runs; return the mode."""
    global _mode
    if _mode is not None:
        return _mode
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        ok, why = False, f"{PURE_ENV}=1"
    else:
        ok, why = build_state()
        if not ok and why != "not built":
            warnings.warn(f"gaitway: the compiled tick modules are not used ({why}); the .py "
                          "modules run (same results, slower). Run scripts/setup.sh to rebuild.",
                          RuntimeWarning, stacklevel=3)
    if not ok:  # no module of the group is imported yet: they all are below ``gaitway``
        sys.meta_path.insert(0, _SourceFinder(SRC_DIR))
    _mode = "compiled" if ok else f"pure ({why})"
    return _mode


def compiled_modules() -> tuple[str, ...]:
    """The tick's modules running compiled in this process (empty in pure mode): what was
    actually imported from an extension module, not what the build promised."""
    return tuple(m for m in TICK_MODULES
                 if m in sys.modules and not str(getattr(sys.modules[m], "__file__", ""))
                 .endswith(".py"))


def tick_code() -> str:
    """``compiled`` or ``pure (<why>)``: which code runs the tick in this process."""
    return install_guard()


__all__ = ["GROUP", "MANIFEST", "PURE_ENV", "TICK_MODULES", "build_inputs", "build_state",
           "compiled_modules", "install_guard", "library_paths", "source_hashes", "source_path",
           "tick_code"]
