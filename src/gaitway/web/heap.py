"""Keep the garbage collector's pauses in the console server short (hazard H25).

A full collection walks every object the process holds, with every thread stopped (it holds
the interpreter lock), so the server's event loop cannot answer anything, the emergency stop
included, until it ends. What the process holds when serving starts (modules, the app, the
stations' setup; in a test worker, whatever hundreds of earlier tests left) never becomes
garbage while serving, yet each full collection walked it again: measured on the loaded
2-core machine, 0.15 s for ``gaitway serve``'s 260 k objects and 0.4-2.5 s in a pytest
worker (0.4-0.7 M objects in tests/web alone) at every full collection, which came every few
seconds there; the console's e-stop then went unanswered for seconds (8 s once in a full CI
run). :func:`frozen_heap` moves what is alive when serving starts into the collector's
permanent generation (:func:`gc.freeze`), so a full collection walks only what the server
made since.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # blocks open now; the permanent generation is thawed when the last one ends


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Collect once, then leave everything alive now out of later collections while the
    block runs (reference counting still frees it); afterwards it is collected as before.
    Blocks may overlap (two servers in one process, one inside the other or on two threads):
    they share the one permanent generation, which is thawed when the last of them ends, so
    that an inner block ending never exposes an outer server's heap to full walks again."""
    global _depth
    with _lock:
        _depth += 1
        gc.collect()
        gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()
