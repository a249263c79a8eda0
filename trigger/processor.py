"""Processors and the run loop (coffea 0.7 style).

A processor maps one chunk to a mergeable accumulator (``a + b``) and keeps no per-event state, so it
pickles to any executor; ``postprocess`` turns the merged accumulator into the result. Accumulators
here are keyed by chunk index, so results do not depend on the order an executor finishes chunks in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar

from trigger.errors import BadInputFileError, L1EmuError
from trigger.features import read_events
from trigger.io.files import Dataset, WorkItem
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema

__all__ = ["ChunkTask", "Processor", "RunResult", "run"]

A = TypeVar("A")
R = TypeVar("R")


class Processor(Protocol):
    def needs(self) -> Needs: ...

    def empty(self) -> Any:
        """The identity of ``+`` for this processor's accumulator."""
        ...

    def process(self, chunk: Chunk) -> Any: ...

    def skipped(self, item: WorkItem, reason: str) -> Any:
        """An accumulator that records an unreadable chunk (``--skip-bad-files``)."""
        ...

    def postprocess(self, accumulator: Any) -> Any:
        """The result: a dataclass with a ``skipped`` field, which :func:`run` fills."""
        ...


@dataclass(frozen=True)
class ChunkTask(Generic[A]):
    """Read one work item and process it: the picklable function executors map over work items."""

    processor: Any
    schema: Schema
    needs: Needs
    skip_bad_files: bool = False

    def __call__(self, item: WorkItem) -> tuple[int, A]:
        try:
            chunk = read_events(item, self.schema, self.needs)
        except BadInputFileError as exc:
            if not self.skip_bad_files:
                raise
            # never silently dropped: the processor records the skipped range in its accumulator
            skipped: A = self.processor.skipped(item, str(exc))
            return item.n, skipped
        try:
            result: A = self.processor.process(chunk)
        except L1EmuError as exc:
            raise type(exc)(f"{exc} (while processing {item.describe()})") from exc
        except Exception as exc:
            raise L1EmuError(f"{type(exc).__name__}: {exc} (while processing {item.describe()})") from exc
        return item.n, result


@dataclass(frozen=True)
class RunResult(Generic[R]):
    result: R
    #: events processed (chunks skipped with ``--skip-bad-files`` not counted)
    events: int
    seconds: float
    chunks: int


def run(
    processor: Any,
    dataset: Dataset,
    executor: Callable[..., Any] | None = None,
    *,
    chunk_size: int = 100_000,
    max_events: int | None = None,
    progress: bool = False,
    skip_bad_files: bool = False,
) -> RunResult[Any]:
    """Map ``processor`` over ``dataset`` in chunks with ``executor`` (iterative by default)."""
    import time

    from trigger.executors import IterativeExecutor

    items = dataset.work_items(chunk_size, max_events)
    task: ChunkTask[Any] = ChunkTask(processor, dataset.schema, processor.needs(), skip_bad_files)
    ex = executor or IterativeExecutor()
    start = time.perf_counter()
    acc = ex(items, task, processor.empty(), progress=progress)
    seconds = time.perf_counter() - start
    result = processor.postprocess(acc)
    # every result type carries ``skipped``: files that did not open, then chunks that did not read
    result = replace(result, skipped=tuple(dataset.skipped) + tuple(result.skipped))
    skipped_events = sum(i.n for i in items if any(i.describe() == p for p, _ in result.skipped))
    return RunResult(result, sum(i.n for i in items) - skipped_events, seconds, len(items))
