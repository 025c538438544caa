"""Compile the session tick's modules with mypyc, in place under src/ (run by scripts/setup.sh).

The list of modules is gaitway.compiled.TICK_MODULES; they become one shared library
(``src/gaitway/_tick__mypyc<ext>``) and an extension module next to each ``.py``. The build
runs in a temporary directory; the libraries are then moved into place and the manifest of the
sources' hashes is written last, so an interrupted build leaves a state the guard refuses.
Nothing to do when the manifest already matches the sources (a second setup costs ~0.1 s).

Optional by design, like the C kernels of hatch_build.py: where mypy/mypyc or the C compiler
fails, it warns, removes what an earlier build left, and exits 0: the ``.py`` modules run (the
same sessions, bit for bit, slower). ``--force`` rebuilds; ``--clean`` only removes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def _compiled() -> ModuleType:
    """gaitway/compiled.py by path: the build must not import the package it builds."""
    spec = importlib.util.spec_from_file_location("_gaitway_compiled",
                                                  SRC / "gaitway" / "compiled.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _clean(c: ModuleType) -> None:
    c.MANIFEST.unlink(missing_ok=True)  # first: a half-removed build is never trusted
    for path in c.library_paths(SRC):
        path.unlink(missing_ok=True)


def _build(c: ModuleType, work: Path) -> None:
    from mypyc.build import mypycify  # a dev dependency (mypy); ImportError: fallback
    from setuptools import Distribution

    # pyproject.toml's [tool.mypy] names packages this build does not check
    paths = ["--no-warn-unused-configs",
             *(str(c.source_path(m, SRC).relative_to(ROOT)) for m in c.TICK_MODULES)]
    cwd = os.getcwd()
    os.chdir(ROOT)  # mypy reads pyproject.toml's [tool.mypy] (mypy_path = src)
    try:
        extensions = mypycify(paths, opt_level="3", group_name=c.GROUP,
                              target_dir=str(work / "c"))
        dist = Distribution({"name": "gaitway-tick", "ext_modules": extensions,
                             "package_dir": {"": "src"}, "script_name": "build_compiled.py",
                             "script_args": ["--quiet", "build_ext", "--build-lib",
                                             str(work / "lib"), "--build-temp",
                                             str(work / "tmp")]})
        dist.parse_command_line()
        dist.run_commands()
    finally:
        os.chdir(cwd)
    built = c.library_paths(work / "lib")
    missing = [p.name for p in built if not p.exists()]
    if missing:
        raise RuntimeError(f"the build made no {', '.join(missing)}")
    inputs = c.build_inputs(SRC)
    hashes = c.source_hashes(inputs, SRC)  # the sources as compiled (read again below)
    for made, target in zip(built, c.library_paths(SRC), strict=True):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(made, tmp)
        os.replace(tmp, target)  # a process with the old library loaded keeps its copy
    if c.source_hashes(inputs, SRC) != hashes:
        raise RuntimeError("a source changed during the build")
    import mypy.version

    c.MANIFEST.write_text(json.dumps({
        "format": c.MANIFEST_FORMAT, "ext_suffix": c.extension_suffix(),
        "python": sys.version.split()[0], "mypy": mypy.version.__version__, "group": c.GROUP,
        "built_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sources": hashes,
    }, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    args = parser.parse_args(argv)
    c = _compiled()
    if args.clean:
        _clean(c)
        return 0
    ok, why = c.build_state(SRC)
    if ok and not args.force:
        return 0
    _clean(c)
    t0 = time.perf_counter()
    print(f"gaitway: compiling the tick's {len(c.TICK_MODULES)} modules with mypyc "
          f"({why or 'forced'}; about 2-3 min) ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="gaitway-mypyc-") as tmp:
        try:
            _build(c, Path(tmp))
        except BaseException as exc:  # any failure means: fall back, say so
            if isinstance(exc, KeyboardInterrupt):
                _clean(c)
                raise
            _clean(c)
            sys.stdout.flush()  # mypy's messages first
            detail = "".join(traceback.format_exception_only(exc)).strip()
            print(f"gaitway: WARNING: the tick's modules were not compiled ({detail}); the "
                  ".py modules run (the same sessions, slower)", file=sys.stderr)
            return 0
    print(f"gaitway: compiled in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
