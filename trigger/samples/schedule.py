"""Running the chunks of several products (samples, pools) on one set of worker processes.

How the chunks run, not what they make: a product's content depends on its chunks' seeds only, never on
the workers or the order chunks finish in (``tests/test_samples_generate.py`` holds a list made on shared
workers to each sample made alone). So this module is not part of a sample's recipe
(:data:`trigger.samples.provenance._MODEL_MODULES`): scheduling can change without making cached samples
stale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "run_jobs"]


@dataclass
class Job:
    """One product: its chunks, the function that runs one (in a worker: a module-level function, picklable),
    and what makes the product of their results (``finish``, here in the parent, once every chunk is back)."""

    desc: str
    chunks: list[Any]
    run: Callable[[Any], Any]
    finish: Callable[[list[Any]], None]
    size: Callable[[Any], int]  # a chunk's events, for the progress bar
    needs: str = ""  # what must be made before its chunks start (a pool's path); "" nothing
    makes: str = ""  # what it makes that other jobs may need
    results: dict[int, Any] = field(default_factory=dict)


def run_jobs(jobs: list[Job], workers: int, progress: bool, made: frozenset[str] = frozenset()) -> None:
    """Run every job's chunks on one set of ``workers`` processes, finishing each job as its last chunk returns.

    The workers live for the whole run, so each sets up what its chunks share (a detector model, a pool) once,
    not once per product, and later products' chunks keep them busy while the parent finishes earlier ones. A
    job starts once what it ``needs`` is in ``made`` or made by an earlier job of the run. With one worker (or
    one chunk in all) the chunks run here, job after job, in order."""
    if not jobs:
        return
    from tqdm import tqdm

    n_chunks = sum(len(job.chunks) for job in jobs)
    bar = tqdm(
        total=sum(job.size(c) for job in jobs for c in job.chunks),
        desc=jobs[0].desc if len(jobs) == 1 else "generate",
        unit="ev",
        disable=not progress,
        file=sys.stderr,
    )
    try:
        if workers <= 1 or n_chunks == 1:
            for job in jobs:
                for c in job.chunks:
                    job.results[len(job.results)] = job.run(c)
                    bar.update(job.size(c))
                job.finish([job.results[i] for i in range(len(job.chunks))])
            return
        from trigger.workers import process_pool  # workers end with the parent (SIGINT, SIGTERM, errors)

        ready = {"", *made}
        waiting = list(jobs)
        running: dict[Future[Any], tuple[Job, int]] = {}
        with process_pool(min(workers, n_chunks)) as pool:
            while waiting or running:
                for job in [j for j in waiting if j.needs in ready]:
                    waiting.remove(job)
                    running.update({pool.submit(job.run, c): (job, i) for i, c in enumerate(job.chunks)})
                assert running, f"no job can start: {sorted({j.needs for j in waiting})} not made"
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    job, i = running.pop(fut)
                    job.results[i] = fut.result()
                    bar.update(job.size(job.chunks[i]))
                    if len(job.results) == len(job.chunks):
                        job.finish([job.results[k] for k in range(len(job.chunks))])
                        ready.add(job.makes)
    finally:
        bar.close()
