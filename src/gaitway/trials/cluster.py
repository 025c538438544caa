"""The Dask cluster of cohort-scale work (trials, re-analysis): a local cluster of processes
by default, an existing scheduler by address.

Workers get one thread each: a session or an analysis is CPU-bound Python and C that holds the
GIL most of the time, so processes, not threads, use the cores. Closing a local cluster closes
the client first, then the cluster, with distributed's shutdown chatter silenced: a worker's
heartbeat meeting the closed scheduler printed a CommClosedError traceback now and then, and
the scheduler's HTTP server warned that port 8787 was taken. The local workers log only
critical messages; a task's error still reaches the client through its future.

A local cluster leaves out two of distributed's background samplers (:data:`LOCAL_CLUSTER_CONFIG`):
on a machine with as many workers as cores, whatever the scheduler and the workers do between
tasks is taken from the sessions. Measured on the 2-core machine with 2 idle workers over 10 s:
the scheduler's process 0.62 s of CPU and each worker 0.39-0.45 s with the defaults, 0.16 s and
0.07-0.08 s without them. A cluster reached with ``--scheduler`` keeps its own configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from gaitway.errors import UserError

#: Dask settings of a local cluster's scheduler and workers. The event loop's watchdog
#: ("tick", every 20 ms by default) only times how late the loop runs, to warn when it blocks
#: for seconds: every 0.5 s still catches that. The statistical profiler samples the running
#: task's stack every 10 ms for the dashboard, which a local cluster does not start.
LOCAL_CLUSTER_CONFIG: Final[dict[str, object]] = {
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.profile.enabled": False,
}

#: distributed's loggers that report the expected end of connections as warnings on shutdown
_SHUTDOWN_LOGGERS: Final[tuple[str, ...]] = (
    "distributed", "distributed.nanny", "distributed.worker", "distributed.core",
    "distributed.comm", "distributed.batched", "distributed.client", "distributed.scheduler",
)


@dataclass(frozen=True, slots=True)
class Cluster:
    """A connected client and a description of where the work runs."""

    client: Any
    where: str


@contextmanager
def _quiet(loggers: tuple[str, ...] = _SHUTDOWN_LOGGERS) -> Iterator[None]:
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in loggers]
    for log, _level in saved:
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for log, level in saved:
            log.setLevel(level)


@contextmanager
def dask_cluster(scheduler: str | None, workers: int) -> Iterator[Cluster]:
    """A client of the scheduler at ``scheduler``, else of a new local cluster of ``workers``
    processes (closed at the end)."""
    import dask  # heavy: on use only
    from distributed import Client, LocalCluster

    if not 1 <= workers <= 256:
        raise UserError(f"--workers must be within 1-256, got {workers}")
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise UserError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start "
                            "one with 'dask scheduler' or leave out --scheduler") from None
        try:
            yield Cluster(client, f"Dask scheduler {scheduler}")
        finally:
            with _quiet():
                client.close()
        return
    # the settings while the cluster is made: the scheduler reads them here, and each worker's
    # nanny passes the configuration of this moment to its worker process
    with _quiet(), dask.config.set(LOCAL_CLUSTER_CONFIG):
        # no dashboard; the scheduler's small HTTP server (health, metrics) on a free port of
        # this machine, not on 8787 (taken by any other cluster, which prints a warning)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        client = Client(cluster)
    try:
        yield Cluster(client, f"local Dask cluster of {workers} worker processes")
    finally:
        with _quiet():
            client.close()
            cluster.close()
