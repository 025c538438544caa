"""CSV files with documented columns.

Two layouts are accepted:

1. A header row naming the columns with Gaitway channel names: ``time`` (s, required), then any
   of ``grf_z_left``, ``grf_z_right`` (N, positive when loaded), ``grf_x_*``, ``grf_y_*`` (N),
   ``cop_x_*``, ``cop_y_*`` (m), ``belt_speed_left``/``_right`` (m/s),
   ``{hip,knee,ankle}_angle_{left,right}`` (rad, or degrees when the name ends in ``_deg``),
   ``ref_{hip,knee}_angle_*``, ``pelvis_lateral`` (m), ``emg_<muscle>_<side>`` (V).
2. No header and exactly two numeric columns: time (s) and the vertical force (N) under one
   belt. One belt cannot say which foot it carries; its events are reported as side ``left``
   and the output notes it.

Time is re-based to start at zero. A slightly irregular clock (a logger's jitter) is resampled
onto a uniform grid; a gap longer than three sample periods is refused rather than bridged.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from gaitway.analytics.gait_data import FloatArray, GaitData, SignalBlock
from gaitway.errors import UserError

_FORCE_PREFIXES = ("grf_", "cop_", "belt_speed_")
_SIDE = r"_(left|right)"
DOCUMENTED = re.compile(
    "^(time|pelvis_lateral|assist_level|guidance"
    f"|grf_[xyz]{_SIDE}|cop_[xy]{_SIDE}|belt_speed{_SIDE}"
    f"|(ref_)?(hip|knee|ankle)_angle{_SIDE}(_deg)?"
    f"|(hip|knee|ankle)_velocity{_SIDE}|interaction_torque_(thigh|shank){_SIDE}"
    f"|foot_x{_SIDE}|toe_x{_SIDE}|emg_[a-z_]+{_SIDE})$"
)


def _uniform(time: FloatArray, name: str) -> tuple[FloatArray, float]:
    dt = np.diff(time)
    if len(dt) == 0 or np.any(dt <= 0):
        raise UserError(f"{name}: the time column must increase strictly (check the sort order)")
    step = float(np.median(dt))
    big = np.flatnonzero(dt > 3 * step)
    if len(big):
        i = int(big[0])
        raise UserError(
            f"{name}: gap of {dt[i]:.3f} s in the time column at t={time[i] - time[0]:.3f} s; "
            "split the file at the gap"
        )
    n = round((time[-1] - time[0]) / step) + 1
    return time[0] + np.arange(n) * step, 1.0 / step


def _text(path: Path) -> str:
    """The file as text, or one clear error: unreadable, binary or not UTF-8."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror})") from None
    if b"\0" in raw[:65536]:
        raise UserError(f"{path.name}: a binary file, not CSV text; give a .csv file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path.name}: not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x}); save "
            "the file as UTF-8 CSV"
        ) from None


def _table(path: Path, lines: list[str], width: int, first_line: int) -> FloatArray:
    """Parse numeric rows strictly: every row as wide as the first, every cell a number or
    empty (a missing value, NaN); text says where it is."""
    table = np.empty((len(lines), width), dtype=np.float64)
    for i, row in enumerate(csv.reader(lines)):
        if len(row) != width:
            raise UserError(f"{path.name}: line {first_line + i} has {len(row)} values, "
                            f"expected {width}; the file is malformed")
        for j, cell in enumerate(row):
            cell = cell.strip()
            if not cell:
                table[i, j] = np.nan
                continue
            try:
                table[i, j] = float(cell)
            except ValueError:
                raise UserError(f"{path.name}: line {first_line + i}, column {j + 1}: "
                                f"{cell[:20]!r} is not a number") from None
    return table


def read_csv(path: Path) -> GaitData:
    text = _text(path)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise UserError(f"{path.name}: the file is empty")
    first = next(csv.reader([lines[0]]))
    has_header = any(not _is_number(x) for x in first)
    body = lines[1:] if has_header else lines
    if len(body) < 10:
        raise UserError(f"{path.name}: only {len(body)} rows; too short to analyse")
    table = _table(path, body, len(first), 2 if has_header else 1)
    if np.isnan(table).all(axis=1).any():
        raise UserError(f"{path.name}: a row holds no numbers; the file is malformed")
    if np.isinf(table).any():
        i, j = (int(k[0]) for k in np.nonzero(np.isinf(table)))
        raise UserError(f"{path.name}: line {i + 1 + has_header}, column {j + 1} is infinite")
    notes: list[str] = []
    if has_header:
        names = [x.strip() for x in first]
        unknown = [n for n in names if not DOCUMENTED.match(n)]
        if unknown:
            raise UserError(
                f"{path.name}: unknown column(s) {', '.join(map(repr, unknown))}; use the "
                "documented names (time, grf_z_left, knee_angle_left_deg, ...)"
            )
        if "time" not in names:
            raise UserError(f"{path.name}: no 'time' column; see the documented CSV columns")
        if len(names) != table.shape[1]:
            raise UserError(f"{path.name}: {len(names)} names but {table.shape[1]} columns")
        cols = {n: table[:, i] for i, n in enumerate(names)}
    else:
        if table.shape[1] != 2:
            raise UserError(
                f"{path.name}: a CSV without a header must have two columns (time, force); "
                f"found {table.shape[1]}. Add a header row with documented column names"
            )
        cols = {"time": table[:, 0], "grf_z_left": table[:, 1]}
        notes.append("single-belt CSV (time, force): events reported as side 'left'")
    t_raw = cols.pop("time")
    if np.isnan(t_raw).any():
        i = int(np.flatnonzero(np.isnan(t_raw))[0])
        raise UserError(f"{path.name}: line {i + 1 + has_header}: the time is missing or NaN; "
                        "every row needs a time")
    t, fs = _uniform(t_raw, path.name)
    force: dict[str, FloatArray] = {}
    kin: dict[str, FloatArray] = {}
    emg: dict[str, FloatArray] = {}
    for name, x in cols.items():
        missing = np.isnan(x)
        if missing.all():
            raise UserError(f"{path.name}: column {name!r} holds no numbers")
        if missing.any():  # said, never silent: bridged linearly like the resampling
            notes.append(f"column {name!r}: {int(missing.sum())} missing value(s) (empty or "
                         "NaN) filled by linear interpolation")
            x = np.interp(t_raw, t_raw[~missing], x[~missing])
        v = np.interp(t, t_raw, x)
        if name.endswith("_deg"):
            name, v = name[:-4], np.radians(v)
        if name.startswith(_FORCE_PREFIXES):
            force[name] = v
        elif name.startswith("emg_"):
            emg[name] = v
        else:
            kin[name] = v
    t0 = t - t[0]
    return GaitData(
        source="real",
        origin=f"CSV file {path.name}",
        forces=SignalBlock(t0, fs, force) if force else None,
        kinematics=SignalBlock(t0, fs, kin) if kin else None,
        emg=SignalBlock(t0, fs, emg) if emg else None,
        notes=notes,
        duration_s=float(t0[-1]),
    )


def _is_number(x: str) -> bool:
    try:
        float(x)
    except ValueError:
        return False
    return True
