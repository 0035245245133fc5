"""The Dask cluster: a local one or a client of a scheduler, the check that its workers run this
dtassess, results gathered in partition order, and cluster failures as problems (D002)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...errors import DtassessError, ExitCode, Problem
from .found import Found

# What `dask worker` sets in each worker process, unset: MALLOC_TRIM_THRESHOLD_ makes glibc
# map and unmap every large NumPy temporary afresh (page faults: pass 1 takes 1.75x as long).
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
# What a worker needs at most, whatever the data (docs/distributed.md, "Memory and time").
WORKER_BYTES = 1 << 30


def default_workers() -> int:
    """Worker processes for a local cluster: one per core, but no more than the free memory
    holds at WORKER_BYTES each (a 16-core laptop with 8 GB free gets 8, not 16)."""
    import psutil  # a dependency of distributed

    cores = os.cpu_count() or 1
    return max(1, min(cores, psutil.virtual_memory().available // WORKER_BYTES))


@contextmanager
def local_cluster(workers: int | None = None) -> Iterator[Any]:
    """A `distributed.LocalCluster` as `score_dask` starts one without a scheduler: `workers`
    worker processes (default: `default_workers()`) of one thread each, any free port, only critical
    log messages (failures reach the client anyway), and without `MALLOC_TRIM_THRESHOLD_`
    (WORKER_ENVIRON). Closed on exit."""
    import logging

    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_ENVIRON):
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # Dask's HTTP server on a free port, not 8787
            silence_logs=logging.CRITICAL,
        )
    try:
        yield cluster
    finally:
        cluster.close()


@contextmanager
def client_for(scheduler: Any, workers: int | None, timeout: float | None):
    """A client of the given scheduler (an address or a `distributed.Client`), or of a local
    cluster started for the job and shut down after it."""
    from distributed import Client

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is None:
        with local_cluster(workers) as cluster, Client(cluster) as client:
            yield client
        return
    kwargs = {} if timeout is None else {"timeout": timeout}
    with Client(scheduler, **kwargs) as client:
        yield client


def cluster_errors() -> tuple[type[BaseException], ...]:
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    return (KilledWorker, CommClosedError, CancelledError, OSError, TimeoutError)


def cluster_problem(exc: BaseException, scheduler: Any) -> DtassessError:
    from distributed import KilledWorker

    where = "a local Dask cluster" if scheduler is None else f"the Dask cluster {scheduler}"
    if isinstance(exc, KilledWorker):
        task = getattr(exc, "task", "a task")
        tries = getattr(exc, "allowed_failures", None)
        on = f"{tries + 1 if isinstance(tries, int) else 'several'} workers"
        what = (
            f"{task} ran on {on} and each of them died while running it: usually too little "
            "memory per worker (more --partitions make smaller tasks), or workers being "
            "stopped"
        )
    elif isinstance(exc, OSError | TimeoutError) and not isinstance(exc, FileNotFoundError):
        what = f"cannot reach it or lost it: {type(exc).__name__}: {exc}"
        if scheduler is not None:
            what += " (is `dask scheduler` running there, and the address right?)"
    else:
        what = f"{type(exc).__name__}: {exc}"
    return DtassessError(
        Problem("D002", f"--engine dask: {where} failed: {what}; nothing was scored"),
        ExitCode.BAD_INPUT,
    )


def warm() -> str:
    """On each worker: what the tasks import (this module imports pandas and the engine),
    imported now and everywhere at once; the version of dtassess there."""
    import pyarrow.parquet  # noqa: F401

    from ... import __version__

    return __version__


def check_workers(client: Any, wait: float) -> None:
    """The cluster has workers, and they run this dtassess."""
    from ... import __version__

    if not client.nthreads():
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise DtassessError(
                Problem(
                    "D002",
                    f"--engine dask: the Dask scheduler has no workers (waited {wait:g} s); "
                    "start some with `dask worker ADDRESS`",
                )
            ) from None
    try:
        versions = client.run(warm)
    except ImportError as exc:
        raise DtassessError(
            Problem(
                "D002",
                f"--engine dask: the Dask workers cannot run dtassess ({exc}); install "
                f"dtassess[dask] {__version__} where they run",
            )
        ) from None
    other = {v for v in versions.values() if v != __version__}
    if other:
        raise DtassessError(
            Problem(
                "D002",
                f"--engine dask: the Dask workers run dtassess {', '.join(sorted(other))}, this "
                f"is {__version__}; install the same version on both",
            )
        )


def results_in_order(client: Any, futures: list) -> Iterator[Found]:
    """The partitions' results in partition order (so that merges give the same numbers on
    every run); the first problem stops the job."""
    try:
        for future in futures:
            found = future.result()
            future.release()
            if found.error is not None:
                raise DtassessError(found.error)
            yield found
    finally:
        client.cancel([f for f in futures if not f.done()])
