"""Gaitway: open software for robot-assisted gait training."""

from gaitway.compiled import compiled_modules, install_guard

__version__ = "0.1.0"

# Before any module of the tick is imported: the compiled group, or every one of them from its
# .py when the build is missing, stale or GAITWAY_PURE_PYTHON=1 (gaitway.compiled).
install_guard()

__all__ = ["__version__", "compiled_modules"]
