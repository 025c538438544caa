"""Package build hook: compile the C kernels, the recording decoder's
(gaitway.recording.native) and the analytics' lockstep filter (gaitway.analytics.native_filter).

Optional by design: where no C compiler works, the build says so and goes on, and the package
decodes recordings with numpy and filters with scipy (the same values, slower). Each library
is built next to its source, so an editable install (``scripts/setup.sh``) finds it in
``src``; a wheel gets it as a platform-specific file. Written to a temporary name and renamed
into place, so a process that has the old library loaded is never handed a half-written file.
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

#: (source, library stem, what falls back without it), one per kernel.
KERNELS = (
    (Path("src/gaitway/recording/_native/gwdecode.c"), "gwdecode",
     "recordings are decoded with numpy"),
    (Path("src/gaitway/analytics/_native/gwfilter.c"), "gwfilter",
     "zero-phase filters run on scipy alone"),
)
#: No -ffast-math: the kernels must round exactly as numpy and scipy do (see each source).
FLAGS = ["-O3", "-fPIC", "-shared", "-ffp-contract=off", "-fvisibility=hidden"]


def library_filename(stem: str = "gwdecode") -> str:
    """The same names as gaitway.recording.native.library_filename and
    gaitway.analytics.native_filter.library_filename (the build cannot import the package it
    builds)."""
    if sys.platform == "win32":
        return f"{stem}.dll"
    return f"lib{stem}.dylib" if sys.platform == "darwin" else f"lib{stem}.so"


class NativeDecoderHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
        for source, stem, fallback in KERNELS:
            lib = root / source.parent / library_filename(stem)
            tmp = lib.with_name(f".{lib.name}.{os.getpid()}.tmp")
            cmd = [*shlex.split(cc), *FLAGS, "-o", str(tmp), str(root / source)]
            try:
                subprocess.run(cmd, check=True, capture_output=True, text=True)
                os.replace(tmp, lib)
            except (OSError, subprocess.CalledProcessError) as exc:
                tmp.unlink(missing_ok=True)
                detail = getattr(exc, "stderr", "") or str(exc)
                self.app.display_warning(
                    f"gaitway: the C kernel {source.name} was not built ({detail.strip()}); "
                    f"{fallback} (same values, slower)")
                continue
            if version != "editable":
                inside = source.parent.relative_to("src") / lib.name
                build_data["force_include"][str(lib)] = inside.as_posix()
                build_data["pure_python"] = False
                build_data["infer_tag"] = True
