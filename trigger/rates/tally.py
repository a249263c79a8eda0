"""The rate processor and its accumulator.

``process`` keeps, per chunk, which seeds fired on the events that fired anything (packed bits and
weights). The accumulator folds chunks **in chunk order** into running sums as soon as the next chunk
in order is present: prescale counters run in event order (exact uGT semantics, identical on every
executor) and memory holds only the chunks that arrived ahead of their turn -- none with the iterative
executor, a few with a pool or Dask -- so peak memory does not grow with the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from trigger.io.files import WorkItem
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.algorithm import Mode
from trigger.menu.evaluate import SeedEvaluator
from trigger.menu.model import Menu
from trigger.rates.prescale import SCALE

__all__ = ["ChunkTally", "RateAccumulator", "RateProcessor", "Summary", "Sums"]


@dataclass
class ChunkTally:
    n: int
    sumw: float
    sumw2: float
    fired_bits: NDArray[np.uint8]
    fired_w: NDArray[np.float64]
    weighted: bool
    nonfinite: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Sums:
    """Count, sum of weights and sum of squared weights of one selection."""

    count: int = 0
    sumw: float = 0.0
    sumw2: float = 0.0

    def add(self, mask: NDArray[np.bool_], w: NDArray[np.float64]) -> None:
        sel = w[mask]
        self.count += int(mask.sum())
        self.sumw += float(sel.sum())
        self.sumw2 += float((sel * sel).sum())


@dataclass
class Summary:
    """Running sums over chunks ``[0, next_index)``."""

    n_seeds: int
    n_columns: int
    next_index: int = 0
    n: int = 0
    sumw: float = 0.0
    weighted: bool = False
    fires: list[int] = field(default_factory=list)
    raw: list[Sums] = field(default_factory=list)
    prescaled: list[Sums] = field(default_factory=list)
    pure: list[Sums] = field(default_factory=list)
    proportional: list[float] = field(default_factory=list)
    columns: list[Sums] = field(default_factory=list)
    differ: dict[int, int] = field(default_factory=dict)
    total_raw: Sums = field(default_factory=Sums)
    total_prescaled: Sums = field(default_factory=Sums)
    nonfinite: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.n_seeds
        self.fires = self.fires or [0] * s
        self.raw = self.raw or [Sums() for _ in range(s)]
        self.prescaled = self.prescaled or [Sums() for _ in range(s)]
        self.pure = self.pure or [Sums() for _ in range(s)]
        self.proportional = self.proportional or [0.0] * s
        self.columns = self.columns or [Sums() for _ in range(self.n_columns)]

    def fold(self, t: ChunkTally, units: tuple[int, ...], pairs: tuple[tuple[int, int, int], ...]) -> None:
        """Add the next chunk in order; ``units[j]`` is seed j's prescale x 100 (0: disabled)."""
        self.next_index += 1
        self.n += t.n
        self.sumw += t.sumw
        self.weighted |= t.weighted
        self.skipped += t.skipped
        for src, dst in ((t.nonfinite, self.nonfinite), (t.truncated, self.truncated)):
            for k, v in src.items():
                dst[k] = dst.get(k, 0) + v
        dec = np.unpackbits(t.fired_bits, axis=1, count=self.n_columns).astype(bool)
        w = t.fired_w
        raw = dec[:, : self.n_seeds]
        ps = np.zeros_like(raw)
        for j, p in enumerate(units):
            where = np.flatnonzero(raw[:, j])
            if p and len(where):
                nth = self.fires[j] + np.arange(1, len(where) + 1, dtype=np.int64)
                ps[where, j] = (nth * SCALE) // p > ((nth - 1) * SCALE) // p
            self.fires[j] += len(where)
        n_accept = ps.sum(axis=1)
        share = w / np.maximum(n_accept, 1)
        for j in range(self.n_seeds):
            self.raw[j].add(raw[:, j], w)
            self.prescaled[j].add(ps[:, j], w)
            self.pure[j].add(ps[:, j] & (n_accept == 1), w)
            self.proportional[j] += float(share[ps[:, j]].sum())
        for c in range(self.n_columns):
            self.columns[c].add(dec[:, c], w)
        for seed_j, f, x in pairs:
            self.differ[seed_j] = self.differ.get(seed_j, 0) + int(np.count_nonzero(dec[:, f] != dec[:, x]))
        self.total_raw.add(np.asarray(raw.any(axis=1)), w)
        self.total_prescaled.add(np.asarray(ps.any(axis=1)), w)


@dataclass
class RateAccumulator:
    columns: tuple[str, ...]
    units: tuple[int, ...]
    pairs: tuple[tuple[int, int, int], ...] = ()
    summary: Summary | None = None
    pending: dict[int, ChunkTally] = field(default_factory=dict)

    def __add__(self, other: RateAccumulator) -> RateAccumulator:
        if other.columns != self.columns or other.units != self.units:
            raise ValueError("cannot merge rate accumulators of different menus")
        overlap = self.pending.keys() & other.pending.keys()
        for s in (self.summary, other.summary):
            if s is not None:
                overlap |= {k for k in (*self.pending, *other.pending) if k < s.next_index}
        if overlap or (self.summary is not None and other.summary is not None):
            raise ValueError(f"chunks {sorted(overlap)[:5]} were processed twice")
        out = RateAccumulator(
            self.columns,
            self.units,
            self.pairs,
            self.summary or other.summary,
            {**self.pending, **other.pending},
        )
        out._fold()
        return out

    def _fold(self) -> None:
        s = self.summary
        if s is None:
            return
        while s.next_index in self.pending:
            s.fold(self.pending.pop(s.next_index), self.units, self.pairs)


def columns_for(menu: Menu) -> tuple[tuple[str, ...], tuple[tuple[int, int, int], ...]]:
    """One column per seed, then float and fixed columns for algorithm seeds evaluated in both."""
    cols = [s.name for s in menu.seeds]
    pairs = []
    for j, s in enumerate(menu.seeds):
        if s.algorithm is not None and s.algorithm.mode is Mode.BOTH:
            pairs.append((j, len(cols), len(cols) + 1))
            cols += [f"{s.name}@float", f"{s.name}@fixed"]
    return tuple(cols), tuple(pairs)


class RateProcessor:
    """Seed decisions per chunk -> :class:`RateAccumulator`; ``postprocess`` -> :class:`RateTable`."""

    def __init__(self, menu: Menu, schema: Schema) -> None:
        self.menu = menu
        self.schema = schema
        self.evaluator = SeedEvaluator(menu, schema)
        self.columns, self.pairs = columns_for(menu)
        self.units = tuple(round(s.prescale * SCALE) for s in menu.seeds)

    def needs(self) -> Needs:
        return self.evaluator.needs()

    def empty(self) -> RateAccumulator:
        return RateAccumulator(self.columns, self.units, self.pairs, Summary(len(self.menu.seeds), len(self.columns)))

    def process(self, chunk: Chunk) -> RateAccumulator:
        ev = self.evaluator
        algos = ev.algorithm_outputs(chunk)
        cols = [ev.decision(s, chunk, algos) for s in self.menu.seeds]
        truncated: dict[str, int] = {}
        for s in self.menu.seeds:
            if s.algorithm is not None:
                out = algos[s.algorithm.instance]
                if out.truncated:
                    truncated[s.name] = out.truncated
                if s.algorithm.mode is Mode.BOTH:
                    cols.append(ev.decision(s, chunk, algos, "float"))
                    cols.append(ev.decision(s, chunk, algos, "fixed"))
        mat = np.stack(cols, axis=1)
        fired = mat.any(axis=1)
        w = chunk.weight
        tally = ChunkTally(
            n=chunk.n,
            sumw=float(w.sum()),
            sumw2=float((w * w).sum()),
            fired_bits=np.packbits(mat[fired], axis=1),
            fired_w=w[fired].copy(),
            weighted=chunk.weighted,
            nonfinite=dict(chunk.nonfinite),
            truncated=truncated,
        )
        return RateAccumulator(self.columns, self.units, self.pairs, None, {chunk.item.index: tally})

    def skipped(self, item: WorkItem, reason: str) -> RateAccumulator:
        nbytes = (len(self.columns) + 7) // 8
        tally = ChunkTally(
            0,
            0.0,
            0.0,
            np.zeros((0, nbytes), np.uint8),
            np.zeros(0),
            False,
            skipped=[(item.describe(), reason)],
        )
        return RateAccumulator(self.columns, self.units, self.pairs, None, {item.index: tally})

    def postprocess(self, acc: RateAccumulator) -> object:
        from trigger.rates.table import build_table

        return build_table(self.menu, acc)
