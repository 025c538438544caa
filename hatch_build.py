"""Package build hook: compile the recording decoder's C kernel (gaitway.recording.native).

Optional by design: where no C compiler works, the build says so and goes on, and the package
decodes recordings with numpy (the same values, slower). The library is built next to its
source, so an editable install (``scripts/setup.sh``) finds it in ``src``; a wheel gets it
as a platform-specific file. Written to a temporary name and renamed into place, so a process
that has the old library loaded is never handed a half-written file.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NATIVE = Path("src/gaitway/recording/_native")
SOURCE = NATIVE / "gwdecode.c"
#: No -ffast-math: the kernel must round exactly as numpy does (gwdecode.c).
FLAGS = ["-O3", "-fPIC", "-shared", "-ffp-contract=off", "-fvisibility=hidden"]


def library_filename() -> str:
    """The same name as gaitway.recording.native.library_filename (the build cannot import
    the package it builds)."""
    if sys.platform == "win32":
        return "gwdecode.dll"
    return "libgwdecode.dylib" if sys.platform == "darwin" else "libgwdecode.so"


class NativeDecoderHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        lib = root / NATIVE / library_filename()
        tmp = lib.with_name(f".{lib.name}.{os.getpid()}.tmp")
        cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
        cmd = [*shlex.split(cc), *FLAGS, "-o", str(tmp), str(root / SOURCE)]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
            os.replace(tmp, lib)
        except (OSError, subprocess.CalledProcessError) as exc:
            tmp.unlink(missing_ok=True)
            detail = getattr(exc, "stderr", "") or str(exc)
            self.app.display_warning(
                f"gaitway: the recording decoder's C kernel was not built ({detail.strip()}); "
                "recordings are decoded with numpy (same values, slower)")
            return
        if version != "editable":
            build_data["force_include"][str(lib)] = f"gaitway/recording/_native/{lib.name}"
            build_data["pure_python"] = False
            build_data["infer_tag"] = True
