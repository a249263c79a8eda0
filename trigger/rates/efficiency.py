"""Efficiency turn-on curves: fraction of signal events where a seed fires, binned in a reference
quantity (the leading object pt of a collection, e.g. generator muons, or an energy sum), with
Clopper-Pearson errors. Counts are unweighted integers, so merging is exact on every executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.io.files import WorkItem
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.evaluate import SeedEvaluator
from trigger.menu.model import Menu, Seed
from trigger.rates.stats import clopper_pearson

__all__ = ["Efficiency", "EfficiencyAccumulator", "EfficiencyProcessor", "Reference"]


@dataclass(frozen=True)
class Reference:
    """``collection`` leading pt (objects with ``|eta| <= max_abs_eta``), or an energy sum if ``is_sum``."""

    name: str
    is_sum: bool = False
    max_abs_eta: float = float("inf")

    @staticmethod
    def parse(text: str, max_abs_eta: float = float("inf")) -> Reference:
        if text.startswith("sum:"):
            return Reference(text[4:], True)
        return Reference(text, False, max_abs_eta)

    def label(self) -> str:
        return f"{self.name}" if self.is_sum else f"leading {self.name} $p_T$"


@dataclass
class EfficiencyAccumulator:
    passed: NDArray[np.int64]
    total: NDArray[np.int64]
    events: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __add__(self, other: EfficiencyAccumulator) -> EfficiencyAccumulator:
        return EfficiencyAccumulator(
            self.passed + other.passed,
            self.total + other.total,
            self.events + other.events,
            self.skipped + other.skipped,
        )


@dataclass(frozen=True)
class Efficiency:
    seed: str
    reference: Reference
    edges: NDArray[np.float64]
    passed: NDArray[np.int64]
    total: NDArray[np.int64]
    events: int
    lo: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    hi: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def value(self) -> NDArray[np.float64]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.total > 0, self.passed / np.maximum(self.total, 1), np.nan)


class EfficiencyProcessor:
    def __init__(self, menu: Menu, schema: Schema, seed: Seed, reference: Reference, edges: NDArray[np.float64]):
        self.menu = menu
        self.seed = replace(seed, prescale=1.0)
        self.reference = reference
        self.edges = np.asarray(edges, dtype=np.float64)
        self.evaluator = SeedEvaluator(Menu(menu.name, (self.seed,), source=menu.source), schema)
        if reference.is_sum:
            schema.sum(reference.name, " (efficiency reference)")
        else:
            schema.collection(reference.name, " (efficiency reference)")

    def needs(self) -> Needs:
        ref = (
            Needs(sums=frozenset({self.reference.name}))
            if self.reference.is_sum
            else Needs({self.reference.name: frozenset({"pt", "eta"})})
        )
        return self.evaluator.needs() | ref

    def empty(self) -> EfficiencyAccumulator:
        nb = len(self.edges) - 1
        return EfficiencyAccumulator(np.zeros(nb, np.int64), np.zeros(nb, np.int64))

    def _reference(self, chunk: Chunk) -> NDArray[np.float64]:
        if self.reference.is_sum:
            return chunk.sums[self.reference.name]
        c = chunk.collections[self.reference.name]
        pt = c.pt[abs(c.eta) <= self.reference.max_abs_eta]
        return np.asarray(ak.fill_none(ak.max(pt, axis=1), np.nan), dtype=np.float64)

    def skipped(self, item: WorkItem, reason: str) -> EfficiencyAccumulator:
        acc = self.empty()
        acc.skipped.append((item.describe(), reason))
        return acc

    def process(self, chunk: Chunk) -> EfficiencyAccumulator:
        algos = self.evaluator.algorithm_outputs(chunk)
        fired = self.evaluator.decision(self.seed, chunk, algos)
        ref = self._reference(chunk)
        ok = np.isfinite(ref)
        total, _ = np.histogram(ref[ok], self.edges)
        passed, _ = np.histogram(ref[ok & fired], self.edges)
        return EfficiencyAccumulator(passed.astype(np.int64), total.astype(np.int64), chunk.n)

    def postprocess(self, acc: EfficiencyAccumulator) -> Efficiency:
        lo, hi = clopper_pearson(acc.passed, acc.total)
        return Efficiency(
            self.seed.name,
            self.reference,
            self.edges,
            acc.passed,
            acc.total,
            acc.events,
            np.asarray(lo),
            np.asarray(hi),
            tuple(acc.skipped),
        )
