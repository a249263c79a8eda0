"""The rate processor: per chunk, which seeds fired on which events, kept only for events that fired.

Storing the fired events (packed bits, weight) lets ``postprocess`` apply prescale counters in event
order, whatever order an executor returns chunks in, and compute pure and proportional rates exactly.
Memory is ``n_fired * ceil(n_columns / 8) + 16`` bytes per fired event, independent of the input size
for the events that fire nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.evaluate import SeedEvaluator
from trigger.menu.model import Menu

__all__ = ["ChunkTally", "RateAccumulator", "RateProcessor"]


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


@dataclass
class RateAccumulator:
    columns: tuple[str, ...]
    chunks: dict[int, ChunkTally] = field(default_factory=dict)

    def __add__(self, other: RateAccumulator) -> RateAccumulator:
        if other.columns != self.columns:
            raise ValueError("cannot merge rate accumulators of different menus")
        overlap = self.chunks.keys() & other.chunks.keys()
        if overlap:
            raise ValueError(f"chunks {sorted(overlap)[:5]} were processed twice")
        return RateAccumulator(self.columns, {**self.chunks, **other.chunks})

    def ordered(self) -> list[ChunkTally]:
        return [self.chunks[k] for k in sorted(self.chunks)]

    def fired(self) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        """All fired events in event order: (n_fired, n_columns) decisions and weights."""
        tallies = self.ordered()
        ncol = len(self.columns)
        if not tallies:
            return np.zeros((0, ncol), dtype=bool), np.zeros(0)
        bits = np.concatenate([t.fired_bits for t in tallies])
        w = np.concatenate([t.fired_w for t in tallies])
        return np.unpackbits(bits, axis=1, count=ncol).astype(bool), w


def columns_for(menu: Menu) -> tuple[str, ...]:
    """One column per seed, plus float and fixed columns for algorithm seeds."""
    cols = [s.name for s in menu.seeds]
    for s in menu.seeds:
        if s.algorithm is not None and s.algorithm.mode == "both":
            cols += [f"{s.name}@float", f"{s.name}@fixed"]
    return tuple(cols)


class RateProcessor:
    """Seed decisions per chunk -> :class:`RateAccumulator`; ``postprocess`` -> :class:`RateTable`."""

    def __init__(self, menu: Menu, schema: Schema) -> None:
        self.menu = menu
        self.schema = schema
        self.evaluator = SeedEvaluator(menu, schema)
        self.columns = columns_for(menu)
        self.skipped: tuple[tuple[str, str], ...] = ()

    def needs(self) -> Needs:
        return self.evaluator.needs()

    def empty(self) -> RateAccumulator:
        return RateAccumulator(self.columns)

    def process(self, chunk: Chunk) -> RateAccumulator:
        ev = self.evaluator
        algos = ev.algorithm_outputs(chunk)
        cols = [ev.decision(s, chunk, algos) for s in self.menu.seeds]
        truncated: dict[str, int] = {}
        for s in self.menu.seeds:
            if s.algorithm is not None:
                out = algos[s.algorithm]
                if out.truncated:
                    truncated[s.name] = out.truncated
                if s.algorithm.mode == "both":
                    cols.append(ev.decision(s, chunk, algos, "float"))
                    cols.append(ev.decision(s, chunk, algos, "fixed"))
        mat = np.stack(cols, axis=1) if cols else np.zeros((chunk.n, 0), dtype=bool)
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
        return RateAccumulator(self.columns, {chunk.item.index: tally})

    def postprocess(self, acc: RateAccumulator) -> object:
        from trigger.rates.table import build_table

        return build_table(self.menu, acc, skipped=self.skipped)
