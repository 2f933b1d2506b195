"""Run independent tasks here, one after another, or on a Dask cluster (Chapters 4-5).

The sweep's cells and the prediction protocol's targets are independent: each
reads the shared inputs and writes (or returns) its own result. :func:`run_tasks`
runs them in this process by default, or on a :mod:`dask.distributed` cluster
when one is asked for:

* ``client`` a :class:`distributed.Client` the reader made (an HPC cluster from
  ``dask-jobqueue``, a cloud cluster, ...), or the address of a running
  scheduler (``"tcp://10.0.0.5:8786"``);
* ``n_workers > 1``, or ``client`` a number of workers: a
  :class:`distributed.LocalCluster` of that many single-threaded worker
  processes on this machine, closed afterwards.

A chapter's ``dask_cluster`` parameter is passed as ``client``, so one plain
value selects all three: ``None`` (here), ``2`` or ``"tcp://host:8786"``.

The shared inputs are sent to the cluster once (``Client.scatter``), not with
every task. Results come back as they finish (with a progress bar) and are
returned in the order of the tasks, so a table is the same whichever way it
was computed, given the same number of threads per process (a worker computes
with one; BLAS with more threads rounds sums differently, which moves an NMF
that stops at its iteration cap: the book's *Running at scale* page). Caches
live in the data folder, which every worker must be able to read and write (on
a cluster: a shared file system); each task writes its files atomically, so
an interrupted run resumes from what finished.

Dask is an optional dependency: ``pip install "compressed-transcriptomics[dask]"``
(``dask[distributed]``; ``dask-jobqueue`` for SLURM, PBS, ...).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

#: Environment variable with a scheduler address every run uses when given no client.
SCHEDULER_VARIABLE = "CT_DASK_SCHEDULER"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "Running on Dask needs dask.distributed: pip install 'dask[distributed]' "
            "(or the package's 'dask' extra). Leave client=None and n_workers=1 to run here."
        ) from None
    return distributed


@contextlib.contextmanager
def dask_client(client: Any = None, n_workers: int = 1) -> Iterator[Any]:
    """Yield the Dask client to run on, or ``None`` to run in this process.

    Parameters
    ----------
    client : distributed.Client, str, int or None
        A client (used as it is, not closed), a scheduler address (connected
        to, and the connection closed at the end), a number of local workers
        (as ``n_workers``), or ``None``: then ``$CT_DASK_SCHEDULER`` when set,
        else ``n_workers`` decides.
    n_workers : int
        With no client: 1 runs here (the default); more starts a
        :class:`distributed.LocalCluster` of that many single-threaded worker
        processes, shut down at the end.

    Examples
    --------
    >>> with dask_client(None, n_workers=1) as client:
    ...     print(client)
    None
    """
    if isinstance(client, int | float) and not isinstance(client, bool):
        client, n_workers = None, client
    if int(n_workers) < 1:
        raise ValueError(f"n_workers must be at least 1, got {n_workers}.")
    client = client if client is not None else os.environ.get(SCHEDULER_VARIABLE) or None
    if client is None and int(n_workers) == 1:
        yield None
        return
    distributed = _distributed()
    if client is not None and not isinstance(client, str):
        yield client
        return
    with contextlib.ExitStack() as stack:
        if isinstance(client, str):
            client = stack.enter_context(distributed.Client(client))
        else:
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=int(n_workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        logger.info("Running on Dask: %s", client)
        yield client


def run_tasks(
    function: Callable[..., Any],
    tasks: Sequence[tuple],
    shared: Any = None,
    client: Any = None,
    n_workers: int = 1,
    progress: bool = True,
    desc: str = "tasks",
    on_done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """Return ``[function(shared, *task) for task in tasks]``, here or on Dask.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled for the workers), called as
        ``function(shared, *task)``.
    tasks : sequence of tuples
        The arguments of each call; small (they travel with every task).
    shared : object
        What every call reads (a dataset, a scorer): sent to the cluster once.
    client, n_workers
        Where to run, see :func:`dask_client`.
    progress : bool
        Show a progress bar over the tasks.
    desc : str
        The progress bar's label.
    on_done : callable, optional
        Called here as ``on_done(index, result)`` when each task finishes (in
        the order they finish on Dask, in task order here).

    Returns
    -------
    list
        The results in the order of ``tasks``. A task that raises stops the
        run with its exception (finished tasks keep what they wrote).

    Examples
    --------
    >>> def scaled(factor, x):
    ...     return factor * x
    >>> run_tasks(scaled, [(1,), (2,), (3,)], shared=10, progress=False)
    [10, 20, 30]
    """
    results: list[Any] = [None] * len(tasks)
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress, unit="task")
    with dask_client(client, n_workers) as dask:
        if dask is None:
            for index, task in enumerate(tasks):
                results[index] = function(shared, *task)
                bar.update()
                if on_done is not None:
                    on_done(index, results[index])
        elif tasks:
            distributed = _distributed()
            shared_future = dask.scatter(shared, broadcast=True, hash=False)
            futures = {
                dask.submit(function, shared_future, *task, pure=False): index
                for index, task in enumerate(tasks)
            }
            try:
                for future in distributed.as_completed(futures):
                    index = futures[future]
                    results[index] = future.result()  # raises the task's exception here
                    bar.update()
                    if on_done is not None:
                        on_done(index, results[index])
            finally:
                dask.cancel(list(futures))
    bar.close()
    return results


__all__ = ["SCHEDULER_VARIABLE", "dask_client", "run_tasks"]
