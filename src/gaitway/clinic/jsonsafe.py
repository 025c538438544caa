"""Values made safe for the store's JSON columns on SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def jsonable(value: Any) -> Any:
    """A copy safe for every JSON column: NaN and infinities become None (PostgreSQL's JSON
    rejects them), numpy scalars and tuples become plain Python."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        f = float(value)  # numpy scalars
    except (TypeError, ValueError):
        return str(value)
    return f if math.isfinite(f) else None
