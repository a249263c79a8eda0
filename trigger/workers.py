"""Worker processes that end with their parent: process pools for the event loop and for generation.

A worker ignores SIGINT (Ctrl-C reaches the whole process group: the parent decides), and asks the
kernel to send it SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``), so even a parent killed
with SIGKILL leaves no worker running. When the parent stops early (an error, SIGINT, or SIGTERM,
which :func:`install_sigterm` turns into an exception), :func:`process_pool` terminates the workers
instead of waiting for their running tasks, which can take minutes.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from types import FrameType
from typing import Any

__all__ = ["Terminated", "install_sigterm", "process_pool", "terminate_pool", "worker_init"]

_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so every ``finally`` runs (temporaries removed)."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"signal {signum}")


def install_sigterm() -> None:
    """Make SIGTERM unwind the main thread (exit code 143) instead of killing the process on the spot."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def worker_init() -> None:
    """Initializer of every worker: leave SIGINT to the parent, die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def terminate_pool(pool: ProcessPoolExecutor, grace: float = 3.0) -> None:
    """Stop ``pool`` now: cancel what has not started, terminate (then kill) the workers, reap them."""
    procs: list[Any] = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(grace)
            if p.is_alive():
                p.kill()
                p.join(grace)


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A spawn-context pool of ``workers`` processes set up by :func:`worker_init`; on any exception
    (including SIGINT and SIGTERM) its workers are terminated before the exception goes on."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=worker_init)
    try:
        yield pool
    except BaseException:
        terminate_pool(pool)
        raise
    pool.shutdown(wait=True)
