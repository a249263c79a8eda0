"""Clusters: adjacent crossings of one file that share a hard interaction (re-simulated copies).

A seed driven by the hard event fires in every copy, so the copies are not independent: the variance
of a rate is a sum over clusters ``c`` of ``(sum_{i in c} w_i f_i)^2`` (``f``: the pass mask, or the
acceptance factor after prescales), not over crossings. A cluster is a run of equal adjacent values of
the ``cluster`` branch (:attr:`trigger.io.reader.Chunk.cluster`); it may be split by a chunk boundary,
never by a file boundary. Chunks are folded in order, so only the last (open) cluster's partial sum is
carried from one chunk to the next: :class:`ClusterSpan` says whether a chunk continues it.

>>> runs_of(np.array([7, 7, 3, 3, 3, 7])).tolist()
[0, 0, 1, 1, 1, 2]
>>> ids, sums = run_sums(np.array([1.0, 2.0, 4.0]), np.array([0, 0, 2]))
>>> ids.tolist(), sums.tolist()
([0, 2], [3.0, 4.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from trigger.io.reader import Chunk

__all__ = ["ClusterSpan", "OpenCluster", "Runs", "chunk_runs", "global_clusters", "run_sums", "runs_of"]

#: the open cluster a chunk may continue: file path, tree, the entry after it, its cluster id
OpenCluster = tuple[str, str, int, int]


@dataclass(frozen=True)
class ClusterSpan:
    """A chunk's place among the clusters: its file and entries, the cluster ids of its first and last
    events, and how many runs (clusters, whole or in part) it holds."""

    path: str
    tree: str
    start: int
    stop: int
    first: int
    last: int
    runs: int

    def continues(self, open_cluster: OpenCluster | None) -> bool:
        """Whether this chunk's first run is the rest of ``open_cluster`` (same file, adjacent, same id)."""
        return open_cluster == (self.path, self.tree, self.start, self.first)

    def left_open(self) -> OpenCluster:
        """The cluster this chunk leaves open: its last run, which the next chunk may continue."""
        return (self.path, self.tree, self.stop, self.last)


@dataclass(frozen=True)
class Runs:
    """What one fold needs to sum per cluster: the run (within the chunk) of each event summed, the
    chunk's last run, and whether its run 0 continues the cluster the previous chunk left open."""

    ids: NDArray[np.int64]
    last: int
    continues: bool


def runs_of(cluster: NDArray[np.int64]) -> NDArray[np.int64]:
    """The run of each event, 0 for the first: a new run starts where the cluster id changes."""
    out = np.zeros(len(cluster), dtype=np.int64)
    if len(cluster) > 1:
        np.cumsum(cluster[1:] != cluster[:-1], out=out[1:])
    return out


def chunk_runs(chunk: Chunk, keep: NDArray[np.bool_]) -> tuple[NDArray[np.int64] | None, ClusterSpan | None]:
    """The runs of the ``keep`` events and the chunk's span; ``(None, None)`` without a cluster branch
    (every crossing its own cluster: the plain sums of squares)."""
    if chunk.cluster is None or chunk.n == 0:
        return None, None
    run = runs_of(chunk.cluster)
    item = chunk.item
    span = ClusterSpan(
        item.path, item.tree, item.start, item.stop, int(chunk.cluster[0]), int(chunk.cluster[-1]), int(run[-1]) + 1
    )
    return run[keep], span


def run_sums(values: NDArray[np.float64], ids: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Per run present in ``ids`` (non-decreasing), its id and the sum of its ``values``."""
    if len(values) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    return ids[starts], np.add.reduceat(values, starts)


def global_clusters(parts: list[tuple[int, NDArray[np.int64] | None, ClusterSpan | None]]) -> NDArray[np.int64]:
    """Cluster labels ``0..C-1`` over chunks in order, for each chunk's ``(n kept, runs of the kept events,
    span)``: a run continuing the previous chunk's open cluster keeps its label; a chunk without clusters
    gives every kept event a label of its own."""
    out = []
    next_label = 0
    open_cluster: OpenCluster | None = None
    for n, runs, span in parts:
        if runs is None or span is None:
            out.append(np.arange(next_label, next_label + n, dtype=np.int64))
            next_label += n
            open_cluster = None
            continue
        base = next_label - 1 if span.continues(open_cluster) else next_label
        out.append(base + runs)
        next_label = base + span.runs
        open_cluster = span.left_open()
    return np.concatenate(out) if out else np.zeros(0, np.int64)
