"""Writing files so that a failure leaves nothing half-written and says so in one line.

Every output Gaitway writes (reports, exports, analysis results) goes to a ``.part`` name
beside its target and is renamed over it only when complete; a full disk, a read-only folder
or a missing folder becomes a :class:`UserError` that names the file, the cause and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from gaitway.errors import UserError

_ADVICE = {
    errno.ENOSPC: "free some disk space or choose another folder",
    errno.EDQUOT: "free some disk space or choose another folder",
    errno.EROFS: "the file system is read-only: choose a folder you can write to",
    errno.EACCES: "choose a folder you can write to",
    errno.EPERM: "choose a folder you can write to",
    errno.ENOENT: "create the folder first or choose another",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
    errno.EISDIR: "that is a folder: give a file name",
    errno.ENAMETOOLONG: "choose a shorter name",
}


def os_error_line(exc: OSError, doing: str) -> str:
    """One line for an OSError: what failed, why, and what to do."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) not in doing else ""
    advice = _ADVICE.get(exc.errno or 0, "check the path and the disk")
    return f"cannot {doing}{where}: {reason}; {advice}"


def check_output_file(path: str | os.PathLike[str], what: str = "the output") -> Path:
    """Refuse, before any work, a file path that cannot be written: a folder, a missing or
    read-only folder to write into."""
    target = Path(path)
    if target.is_dir():
        raise UserError(f"{target} is a folder; give a file name for {what}")
    folder = target.parent
    if not folder.is_dir():
        raise UserError(f"folder {folder} does not exist; create it or choose another for {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"folder {folder} is not writable; choose a folder you can write to "
                        f"for {what}")
    if target.exists() and not os.access(target, os.W_OK):
        raise UserError(f"{target} is read-only; choose another file name for {what}")
    return target


def check_output_folder(path: str | os.PathLike[str], what: str = "the output") -> Path:
    """Refuse, before any work, a folder path that cannot be written into (or created)."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} is a file; give a folder for {what}")
    probe = target
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"{probe} is a file, so {target} cannot be created; choose another "
                        f"folder for {what}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"folder {probe} is not writable; choose a folder you can write to "
                        f"for {what}")
    return target


def part_path(path: Path, suffix: str = "") -> Path:
    return path.with_name(path.name + ".part" + suffix)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path to write (ending in ``suffix``, for writers that insist on
    one); on success it replaces ``path``, on any failure it is removed (and an OSError
    becomes one clear UserError)."""
    target = Path(path)
    if target.is_dir():
        raise UserError(f"{target} is a folder; give a file name to write")
    tmp = part_path(target, suffix)
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UserError(os_error_line(exc, f"write {target}")) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to ``path`` whole, or not at all."""
    target = Path(path)
    with atomic_output(target) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
    return target
