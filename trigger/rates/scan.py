"""Rate versus threshold in one pass, and the threshold for a target rate.

Per event the evaluator gives the highest threshold at which the seed still fires (its critical
value); the loop keeps the finite ones with their weights, ``postprocess`` sorts them once, and the
rate at any threshold ``t`` is the weight of values ``>= t`` (a binary search), exact at every ``t``.
In a file with a cluster branch the error sums the weights of each cluster above ``t`` before squaring
(:mod:`trigger.rates.clusters`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ConfigError
from trigger.io.files import WorkItem
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.evaluate import ScanTarget, SeedEvaluator
from trigger.menu.model import Menu, Seed
from trigger.rates.clusters import ClusterSpan, chunk_runs, global_clusters
from trigger.rates.stats import rate_interval

__all__ = ["Scan", "ScanAccumulator", "ScanPart", "ScanProcessor", "Solution"]


@dataclass(frozen=True)
class ScanPart:
    """One chunk: its events and sum of weights, the finite values with their weights, and (a file with a
    cluster branch) the runs of those events and the chunk's span."""

    n: int
    sumw: float
    values: NDArray[np.float64]
    weights: NDArray[np.float64]
    weighted: bool
    runs: NDArray[np.int64] | None = None
    span: ClusterSpan | None = None


@dataclass
class ScanAccumulator:
    parts: dict[int, ScanPart] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __add__(self, other: ScanAccumulator) -> ScanAccumulator:
        return ScanAccumulator({**self.parts, **other.parts}, self.skipped + other.skipped)


@dataclass(frozen=True)
class Solution:
    target_khz: float
    threshold: float
    rate_khz: float
    err_down: float
    err_up: float
    step: float
    rate_one_step_below_khz: float


@dataclass(frozen=True)
class Scan:
    seed: str
    target: ScanTarget
    menu_threshold: float
    values: NDArray[np.float64]  # sorted ascending
    weights: NDArray[np.float64]
    n: int
    sumw: float
    weighted: bool
    zero_bias_khz: float
    label: str = "threshold"
    skipped: tuple[tuple[str, str], ...] = ()
    #: cluster label (0..C-1) of each value, in the values' order; None: every event its own cluster
    clusters: NDArray[np.int64] | None = None

    @staticmethod
    def of_values(seed: str, values: NDArray[np.float64], weights: NDArray[np.float64], zero_bias_khz: float) -> Scan:
        """The scan of per-event values already at hand (e.g. an algorithm's scores on a zero-bias sample),
        so that :meth:`solve` applies the rate and grid rule of ``l1emu threshold`` to them; weighted as the
        reader decides (a weight other than 1)."""
        order = np.argsort(values, kind="stable")
        weighted = bool(np.any(weights != 1.0))
        v, w = np.asarray(values, np.float64)[order], np.asarray(weights, np.float64)[order]
        return Scan(seed, ScanTarget("algorithm"), 0.0, v, w, len(v), float(w.sum()), weighted, zero_bias_khz)

    def rate(self, threshold: float) -> tuple[float, float, float, int]:
        """``(rate_khz, err_down, err_up, count)`` with the target threshold set to ``threshold``."""
        i = int(np.searchsorted(self.values, threshold, side="left"))
        w = self.weights[i:]
        k = len(w)
        if self.clusters is None:
            sumw2 = float((w * w).sum())
        else:  # copies of one hard interaction: their weights add before squaring
            per_cluster = np.bincount(self.clusters[i:], weights=w)
            sumw2 = float((per_cluster * per_cluster).sum())
        r, lo, hi = rate_interval(k, self.n, float(w.sum()), sumw2, self.sumw, self.weighted, self.zero_bias_khz)
        return r, lo, hi, k

    def curve(self, thresholds: NDArray[np.float64]) -> NDArray[np.float64]:
        """Rows of (threshold, rate, err_down, err_up, count)."""
        return np.array([(t, *self.rate(float(t))) for t in thresholds], dtype=np.float64).reshape(-1, 5)

    def default_thresholds(self, step: float = 1.0, limit: int | None = None) -> NDArray[np.float64]:
        """``0, step, ...`` up to the largest value (or the menu's threshold); at most ``limit`` of them."""
        top = float(self.values[-1]) if len(self.values) else self.menu_threshold
        top = max(top if math.isfinite(top) else self.menu_threshold, self.menu_threshold)
        if limit is not None and top / step + 2 > limit:
            raise ConfigError(
                f"the default thresholds of seed {self.seed} (0 to {top:g} in steps of {step:g}) would be more than "
                f"{limit:,} values: give --thresholds LO:HI:STEP"
            )
        return np.arange(0.0, top + step, step)

    def solve(self, target_khz: float, step: float = 0.5) -> Solution:
        """The lowest threshold on a ``step`` grid whose rate is at most ``target_khz``."""
        finite = self.values[np.isfinite(self.values)]
        top = float(finite[-1]) if len(finite) else 0.0
        # rates are non-increasing in the threshold: binary search on the grid k * step, never materialised
        lo, hi = 0, max(math.ceil((top + step) / step), 0)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.rate(mid * step)[0] <= target_khz:
                hi = mid
            else:
                lo = mid + 1
        t = lo * step
        r, down, up, _ = self.rate(t)
        below = self.rate(t - step)[0] if lo > 0 else r
        return Solution(target_khz, t, r, down, up, step, below)


class ScanProcessor:
    def __init__(self, menu: Menu, schema: Schema, seed: Seed, target: ScanTarget | None = None) -> None:
        self.menu = menu
        self.seed = seed
        self.target = target or ScanTarget.default(seed)
        self.evaluator = SeedEvaluator(Menu(menu.name, (seed,), source=menu.source), schema)

    def needs(self) -> Needs:
        return self.evaluator.needs() | Needs(cluster=True)

    def empty(self) -> ScanAccumulator:
        return ScanAccumulator()

    def skipped(self, item: WorkItem, reason: str) -> ScanAccumulator:
        return ScanAccumulator(skipped=[(item.describe(), reason)])

    def process(self, chunk: Chunk) -> ScanAccumulator:
        algos = self.evaluator.algorithm_outputs(chunk)
        v = self.evaluator.value(self.seed, self.target, chunk, algos)
        keep = v > -np.inf
        w = chunk.weight
        runs, span = chunk_runs(chunk, keep)
        part = ScanPart(chunk.n, float(w.sum()), v[keep], w[keep], chunk.weighted, runs, span)
        return ScanAccumulator({chunk.item.index: part})

    def postprocess(self, acc: ScanAccumulator) -> Scan:
        parts = [acc.parts[k] for k in sorted(acc.parts)]
        values = np.concatenate([p.values for p in parts]) if parts else np.zeros(0)
        weights = np.concatenate([p.weights for p in parts]) if parts else np.zeros(0)
        order = np.argsort(values, kind="stable")
        clusters = None
        if any(p.span is not None for p in parts):
            clusters = global_clusters([(len(p.values), p.runs, p.span) for p in parts])[order]
        return Scan(
            self.seed.name,
            self.target,
            self.target.threshold(self.seed),
            values[order],
            weights[order],
            sum(p.n for p in parts),
            float(sum(p.sumw for p in parts)),
            any(p.weighted for p in parts),
            self.menu.zero_bias_khz,
            self._label(),
            tuple(acc.skipped),
            clusters,
        )

    def _label(self) -> str:
        t, s = self.target, self.seed
        if t.kind == "leg":
            return f"leg {t.index} ({s.legs[t.index].collection}) $p_T$ threshold [GeV]"
        if t.kind == "sum":
            return f"{s.sums[t.index].sum} threshold [GeV]"
        assert s.algorithm is not None
        return f"{s.algorithm.name}.{s.algorithm.output} threshold"
