"""The console server's startup objects stay out of the garbage collector's walks (H25)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import httpx
from tests.web.conftest import make_app

from gaitway.web.background import serve
from gaitway.web.heap import frozen_heap


def _full_collection_s() -> float:
    t = time.perf_counter()
    gc.collect()
    return time.perf_counter() - t


def test_what_is_alive_when_serving_starts_stays_out_of_full_collections() -> None:
    heap = [{"n": [i]} for i in range(300_000)]  # a long-lived heap, as a test worker's
    walked = min(_full_collection_s() for _ in range(2))
    with frozen_heap():
        assert gc.get_freeze_count() >= len(heap) * 2
        late = [{"n": [i]} for i in range(1000)]  # made while serving: still collected
        assert gc.is_tracked(late[0])
        frozen = min(_full_collection_s() for _ in range(2))
    assert gc.get_freeze_count() == 0  # collected as before once serving ends
    # a ratio within one run (the machine is shared): the heap's walk is what was saved
    assert frozen < 0.5 * walked, (frozen, walked)
    del heap, late


def test_an_inner_block_ending_leaves_the_outer_blocks_heap_frozen() -> None:
    outer_heap = [{"n": [i]} for i in range(10_000)]
    with frozen_heap():
        outer = gc.get_freeze_count()
        with frozen_heap():
            assert gc.get_freeze_count() >= outer
        assert gc.get_freeze_count() >= outer  # the inner end did not thaw the outer heap
    assert gc.get_freeze_count() == 0
    del outer_heap


def test_the_tests_server_runs_with_the_heap_frozen(tmp_path: Path) -> None:
    app, store, live = make_app(tmp_path, stations=1)
    try:
        with serve(app) as url:
            assert httpx.get(f"{url}/health").status_code == 200
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
    finally:
        live.shutdown()
        store.close()
