"""Large output arrays on ordinary pages: what a read's output is allocated with.

Why: numpy asks the kernel for transparent huge pages on every array of 4 MB or more
(``madvise(MADV_HUGEPAGE)``). On the development machine (a VM with the kernel's THP mode
``madvise``) a fresh process's first touch of 2-MB pages cost 0.5-1.1 s of kernel time for
a 30-minute read's 337 MB of output, against ~0.2 s on 4-kB pages (docs/benchmarks.md,
fifth pass), and no measurable user time was gained by the larger pages (the read writes
each value once). An anonymous mapping that asks for nothing gets the system's default
policy, as any memory numpy does not advise; the values are the same, only the pages differ.
Only for the read's output: the analysis's own temporaries come and go through the allocator's
heap, whose re-used pages cost nothing to touch (the EMG's padded channels from here instead
raised the peak by 5 MB and the CPU time by ~0.3 s, docs/benchmarks.md, fifth pass).
"""

from __future__ import annotations

import mmap
from typing import Any, Final

import numpy as np
import numpy.typing as npt

#: Below this numpy itself does not advise huge pages: a plain ``np.empty``.
SMALL_BYTES: Final = 4 << 20
#: Linux: the pages made in one call (0.16-0.18 s for 337 MB instead of 0.19-0.22 s fault by
#: fault; the caller writes every value anyway); elsewhere not offered, faulted as touched.
_POPULATE: Final = getattr(mmap, "MAP_POPULATE", 0)


def empty(shape: int | tuple[int, ...], dtype: type[np.floating[Any]]) -> npt.NDArray[Any]:
    """``np.empty(shape, dtype)`` (C order, writable), on pages the kernel chooses by its
    default policy for large arrays. The mapping is released with the last array using it."""
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    item = np.dtype(dtype)
    count = int(np.prod(dims, dtype=np.int64))
    if count * item.itemsize < SMALL_BYTES:
        return np.empty(dims, dtype=item)
    size = count * item.itemsize
    if hasattr(mmap, "MAP_ANONYMOUS"):  # POSIX: private, like malloc's own large blocks
        buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _POPULATE)
    else:  # Windows: an anonymous mapping is the only kind
        buf = mmap.mmap(-1, size)
    return np.frombuffer(buf, dtype=item, count=count).reshape(dims)
