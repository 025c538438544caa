"""The local Dask cluster: its scheduler and workers leave out the background samplers that
would take CPU from the sessions on a machine with as many workers as cores."""

from __future__ import annotations

import dask
from distributed import Worker

from gaitway.trials.cluster import dask_cluster


def _worker_settings(dask_worker: Worker) -> tuple[bool, bool, float]:
    worker = dask_worker  # distributed passes the worker to a run function by this name
    return (bool(dask.config.get("distributed.worker.profile.enabled")),
            "profile" in worker.periodic_callbacks,
            worker.periodic_callbacks["tick"].callback_time)


def test_a_local_clusters_workers_and_scheduler_run_without_the_samplers() -> None:
    with dask_cluster(None, 2) as cluster:
        client = cluster.client
        settings = client.run(_worker_settings)
        tick_ms = client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.periodic_callbacks["tick"].callback_time)
    assert len(settings) == 2
    for profiled, has_profiler, worker_tick_ms in settings.values():
        assert not profiled
        assert not has_profiler
        assert worker_tick_ms == 500.0
    assert tick_ms == 500.0


def test_the_settings_stay_with_the_cluster() -> None:
    """The caller's own Dask configuration is as it was once the cluster is made."""
    before = dask.config.get("distributed.worker.profile.enabled")
    with dask_cluster(None, 1):
        assert dask.config.get("distributed.worker.profile.enabled") == before
    assert dask.config.get("distributed.worker.profile.enabled") == before
