"""Executors: ``executor(work_items, fn, accumulator, progress=...) -> accumulator``.

``fn(item)`` returns ``(n_events, accumulator)``; results are folded with ``+``. Iterative (default),
a local process pool, or Dask distributed (a local cluster, or an existing scheduler address).
The progress bar (tqdm, on stderr) counts events and shows events/s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from trigger.errors import L1EmuError
from trigger.extras import import_optional
from trigger.io.files import WorkItem

__all__ = ["DaskExecutor", "IterativeExecutor", "PoolExecutor", "local_cluster", "make_executor"]

Fn = Callable[[WorkItem], tuple[int, Any]]


def _bar(items: Sequence[WorkItem], progress: bool, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=sum(i.n for i in items),
        unit="ev",
        unit_scale=True,
        disable=not progress,
        desc=desc,
        smoothing=0.1,
        dynamic_ncols=True,
    )


def _fold(results: Iterable[tuple[int, Any]], acc: Any, bar: Any) -> Any:
    for n, part in results:
        acc = acc + part
        bar.update(n)
    return acc


class IterativeExecutor:
    """One chunk after another in this process."""

    name = "iterative"

    def __call__(self, items: Sequence[WorkItem], fn: Fn, acc: Any, progress: bool = False) -> Any:
        with _bar(items, progress, self.name) as bar:
            return _fold((fn(i) for i in items), acc, bar)


class PoolExecutor:
    """A local process pool (``concurrent.futures``), ``workers`` processes."""

    name = "pool"

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers

    def __call__(self, items: Sequence[WorkItem], fn: Fn, acc: Any, progress: bool = False) -> Any:
        from concurrent.futures import as_completed

        from trigger.workers import process_pool

        # on an error, Ctrl-C or SIGTERM the workers are terminated, not waited for (trigger.workers)
        with process_pool(self.workers) as pool, _bar(items, progress, self.name) as bar:
            futures = [pool.submit(fn, i) for i in items]
            return _fold((f.result() for f in as_completed(futures)), acc, bar)


class DaskExecutor:
    """Dask distributed: a local cluster of ``workers`` (one thread each), or ``scheduler`` (tcp://host:port)."""

    name = "dask"
    #: seconds to wait for an existing scheduler before saying it cannot be reached
    connect_timeout = 10.0

    def __init__(self, workers: int = 2, scheduler: str | None = None, processes: bool = True) -> None:
        self.workers = workers
        self.scheduler = scheduler
        self.processes = processes

    def __call__(self, items: Sequence[WorkItem], fn: Fn, acc: Any, progress: bool = False) -> Any:
        distributed = import_optional("distributed")
        if self.scheduler:
            try:
                client = distributed.Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise L1EmuError(
                    f"--scheduler {self.scheduler}: cannot reach the Dask scheduler within {self.connect_timeout:g} s "
                    f"({type(exc).__name__}: {exc}); start it (`dask scheduler`) or check the address"
                ) from None
            cluster = None
        else:
            cluster = local_cluster(self.workers, self.processes)
            client = distributed.Client(cluster)
        try:
            with _bar(items, progress, self.name) as bar:
                futures = client.map(fn, list(items), pure=False)
                try:
                    return _fold((f.result() for f in distributed.as_completed(futures)), acc, bar)
                finally:
                    client.cancel(futures)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def local_cluster(workers: int = 2, processes: bool = True) -> Any:
    """A Dask ``LocalCluster`` of ``workers`` single-threaded workers, without the nanny's malloc trim.

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in worker processes; with the many large,
    short-lived numpy buffers of a chunk that made the same loop 1.6x slower inside a worker
    (1 M events: 3.5 s with it, 2.2 s without), so only the thread caps are kept.
    """
    dask = import_optional("dask")
    distributed = import_optional("distributed")
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            silence_logs=40,
        )


def make_executor(name: str, workers: int = 2, scheduler: str | None = None) -> Any:
    """``iterative``, ``pool`` or ``dask`` (``scheduler`` implies dask)."""
    from trigger.errors import UnknownNameError
    from trigger.names import suggest

    if scheduler and name not in ("dask", "iterative"):
        raise UnknownNameError(f"--scheduler needs --executor dask, got {name!r}")
    if scheduler or name == "dask":
        return DaskExecutor(workers, scheduler)
    if name == "iterative":
        return IterativeExecutor()
    if name == "pool":
        return PoolExecutor(workers)
    names = ("iterative", "pool", "dask")
    raise UnknownNameError(f"unknown executor {name!r}{suggest(name, names)} (choose from {', '.join(names)})")
