"""Large read outputs on ordinary pages (gaitway.recording.pages): the same arrays as
np.empty would give, without numpy's huge-page advice (which cost 0.5-1.1 s of kernel time
for a 30-minute read on the development machine, docs/benchmarks.md, fifth pass)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.recording import RecordingWriter, open_recording, pages
from gaitway.station.channels import ChannelSpec


def _advised_huge(a: np.ndarray) -> bool:
    """Whether the mapping holding ``a`` has the kernel's huge-page advice flag ("hg" in
    /proc/self/smaps' VmFlags, what madvise(MADV_HUGEPAGE) sets)."""
    at = a.__array_interface__["data"][0]
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0] if line else ""
        if "-" in head and ":" not in head:
            lo, hi = (int(v, 16) for v in head.split("-"))
            inside = lo <= at < hi
        elif inside and line.startswith("VmFlags:"):
            return "hg" in line.split()[1:]
    raise AssertionError("the array's mapping was not found in /proc/self/smaps")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    shape=st.one_of(st.integers(0, 3_000_000),
                    st.tuples(st.integers(0, 40), st.integers(0, 200_000))),
    single=st.booleans(),
)
def test_property_empty_is_a_writable_c_array_of_its_shape(
    shape: int | tuple[int, int], single: bool
) -> None:
    dtype = np.float32 if single else np.float64
    a = pages.empty(shape, dtype)
    dims = (shape,) if isinstance(shape, int) else shape
    assert a.shape == dims
    assert a.dtype == dtype
    assert a.flags.c_contiguous
    assert a.flags.writeable
    a[...] = 1.5
    assert np.all(a == 1.5)
    if a.nbytes >= pages.SMALL_BYTES:
        assert not _advised_huge(a)


def test_a_long_read_is_not_advised_huge_pages_and_reads_the_same(tmp_path: Path) -> None:
    """A read whose output passes numpy's 4-MB huge-page limit: its arrays carry no huge-page
    advice (np.empty's did), and the values are what was written (quantised)."""
    channels = (ChannelSpec("time", "s", 1e-6), ChannelSpec("a", "N", 0.01),
                ChannelSpec("b", "rad", 1e-5))
    rows = 700_000
    t = np.arange(rows) * 1e-3
    values = np.column_stack([t, np.sin(t) * 100.0, np.cos(t)])
    with RecordingWriter(tmp_path, channels=channels, metadata={"simulated": True},
                         fsync_seconds=None) as w:
        for r in values:
            w.append(r)
    ts = open_recording(tmp_path).read(dtype=np.float32)
    assert ts["a"].nbytes + ts["b"].nbytes >= pages.SMALL_BYTES
    assert not _advised_huge(ts["a"])
    assert not _advised_huge(ts.time)
    assert np.array_equal(ts.time, np.round(t / 1e-6) * 1e-6)
    assert np.allclose(ts["a"], values[:, 1], atol=0.006)
    assert np.allclose(ts["b"], values[:, 2], atol=6e-6)
