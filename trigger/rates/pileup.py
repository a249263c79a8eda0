"""Rate versus pile-up: per seed, the rate in bins of the per-event pile-up, a polynomial fit, and the
rate extrapolated to a target pile-up or luminosity.

In a bin, a seed's rate is the zero-bias rate times the fraction of the bin's (weighted) events it
fires, so the curve is what the menu would give at that pile-up with the menu's bunches. In a file with a
cluster branch a bin's sum of squared weights is taken per cluster (copies of one hard interaction in the same
bin add before squaring, :mod:`trigger.rates.clusters`); a cluster split by a chunk boundary is joined when the
chunks are stitched in order, so any chunking and executor give the same errors. The fit is a
weighted least-squares polynomial (degree 1 or 2) through the bins with at least ``min_events``
events and a non-zero error, weights ``1 / sigma^2`` (sigma: the mean of the asymmetric errors; a
weighted bin where the seed never fires has none, and is left out); a seed with too few such bins is
shown unfitted (``PileupCurve.note``); the extrapolation's error
propagates the fit's covariance. A luminosity ``L`` maps to a pile-up ``mu = L sigma_inel / (n_b f_rev)``
(colliding bunches ``n_b``, revolution frequency ``f_rev``). Pile-up is a per-event branch (``nPileup``
in the l1emu samples, ``Pileup_nTrueInt`` in simulated NanoAOD).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from trigger.errors import L1EmuError
from trigger.io.files import WorkItem
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.evaluate import SeedEvaluator
from trigger.menu.model import Menu
from trigger.rates.clusters import ClusterSpan, OpenCluster, chunk_runs
from trigger.rates.stats import rate_interval

__all__ = [
    "ChunkEdges",
    "PileupAccumulator",
    "PileupCurve",
    "PileupProcessor",
    "PileupResult",
    "fit_curve",
    "pileup_for_lumi",
]


def pileup_for_lumi(lumi_cm2s: float, sigma_inel_mb: float, bunches: int, revolution_hz: float) -> float:
    """Mean interactions per crossing at instantaneous luminosity ``lumi_cm2s`` (cm^-2 s^-1).

    >>> round(pileup_for_lumi(7.5e34, 81.0, 2748, 11245.6), 1)  # HL-LHC nominal: about 200
    196.6
    """
    return lumi_cm2s * sigma_inel_mb * 1e-27 / (bunches * revolution_hz)


@dataclass(frozen=True)
class ChunkEdges:
    """A chunk of a file with clusters: its span and, per pile-up bin, the unsquared sums (events' w, then each
    seed's fired w) of its first and last runs, which may continue into the neighbouring chunks."""

    index: int
    span: ClusterSpan
    head: dict[int, NDArray[np.float64]]
    tail: dict[int, NDArray[np.float64]]


@dataclass
class PileupAccumulator:
    """Per pile-up bin index: events, sum w, sum w^2; per seed and bin: count, sum w, sum w^2 of fires,
    and sum w * pile-up (for the bin's mean). Sparse in the bins, so any range merges. In a file with
    clusters, ``bins`` holds the squares of the clusters inside a chunk and ``edges`` the runs at its ends,
    squared when :meth:`stitched` joins them in chunk order."""

    n_seeds: int
    bins: dict[int, NDArray[np.float64]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    weighted: bool = False
    edges: list[ChunkEdges] = field(default_factory=list)

    def _row(self, b: int) -> NDArray[np.float64]:
        if b not in self.bins:
            self.bins[b] = np.zeros((1 + self.n_seeds, 4))
        return self.bins[b]

    def __add__(self, other: PileupAccumulator) -> PileupAccumulator:
        out = PileupAccumulator(
            self.n_seeds,
            {b: v.copy() for b, v in self.bins.items()},
            self.skipped + other.skipped,
            self.weighted or other.weighted,
            self.edges + other.edges,
        )
        for b, v in other.bins.items():
            out._row(b)[:] += v
        return out

    def stitched(self) -> PileupAccumulator:
        """Every cluster's square added: the chunks' end runs joined in chunk order (a run continuing the
        previous chunk's last run is the same cluster), then squared per bin."""
        out = PileupAccumulator(self.n_seeds, {b: v.copy() for b, v in self.bins.items()}, self.skipped, self.weighted)
        open_sums: dict[int, NDArray[np.float64]] = {}
        left_open: OpenCluster | None = None

        def close() -> None:
            for b, v in open_sums.items():
                out._row(b)[:, 2] += v * v
            open_sums.clear()

        for e in sorted(self.edges, key=lambda e: e.index):
            if not e.span.continues(left_open):
                close()
            for b, v in e.head.items():
                open_sums[b] = open_sums.get(b, 0.0) + v
            if e.span.runs > 1:
                close()
                open_sums.update({b: v.copy() for b, v in e.tail.items()})
            left_open = e.span.left_open()
        close()
        return out


@dataclass(frozen=True)
class PileupCurve:
    """One seed: the binned rates and the fit."""

    seed: str
    #: lower bin edges, and the (weighted) mean pile-up of each bin's events
    low_edge: tuple[float, ...]
    mean_pileup: tuple[float, ...]
    events: tuple[int, ...]
    rate_khz: tuple[float, ...]
    err_down: tuple[float, ...]
    err_up: tuple[float, ...]
    degree: int
    #: highest power first (numpy.polyfit), and their covariance
    coefficients: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    chi2: float
    ndf: int
    target_pileup: float | None = None
    target_khz: float | None = None
    target_err_khz: float | None = None
    #: why there is no fit (too few bins), else empty
    note: str = ""
    #: which bins the fit used (enough events, a non-zero error)
    used: tuple[bool, ...] = ()

    @property
    def fitted(self) -> bool:
        return bool(self.coefficients)

    def at(self, mu: float) -> tuple[float, float]:
        """The fitted rate at pile-up ``mu`` and its error from the fit's covariance."""
        powers = np.array([mu**k for k in range(self.degree, -1, -1)])
        cov = np.array(self.covariance)
        return float(powers @ np.array(self.coefficients)), float(math.sqrt(max(powers @ cov @ powers, 0.0)))


@dataclass(frozen=True)
class PileupResult:
    menu: str
    branch: str
    bin_width: float
    curves: tuple[PileupCurve, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def fit_curve(
    x: NDArray[np.float64], y: NDArray[np.float64], sigma: NDArray[np.float64], degree: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, int]:
    """Weighted least squares ``y ~ poly(x)``: coefficients (highest power first), covariance, chi2, ndf.

    >>> c, cov, chi2, ndf = fit_curve(np.array([0., 1, 2]), np.array([1., 3, 5]), np.ones(3), 1)
    >>> [round(float(v), 9) for v in c], round(chi2, 9), ndf
    ([2.0, 1.0], 0.0, 1)
    """
    if len(x) <= degree:
        raise L1EmuError(f"a degree-{degree} fit needs more than {degree} pile-up bins with events, got {len(x)}")
    a = np.vander(x, degree + 1) / sigma[:, None]
    b = y / sigma
    coef = np.asarray(np.linalg.lstsq(a, b, rcond=None)[0], dtype=np.float64)
    cov = np.asarray(np.linalg.inv(a.T @ a), dtype=np.float64)
    chi2 = float(np.sum((a @ coef - b) ** 2))
    return coef, cov, chi2, len(x) - degree - 1


class PileupProcessor:
    """Per chunk, every seed's fires in pile-up bins of ``bin_width``; ``postprocess`` fits them."""

    def __init__(
        self,
        menu: Menu,
        schema: Schema,
        branch: str,
        bin_width: float,
        *,
        degree: int = 1,
        min_events: int = 10,
        target_pileup: float | None = None,
    ) -> None:
        self.menu = menu
        self.evaluator = SeedEvaluator(menu, schema)
        self.branch = branch
        self.bin_width = bin_width
        self.degree = degree
        self.min_events = min_events
        self.target_pileup = target_pileup

    def needs(self) -> Needs:
        return self.evaluator.needs() | Needs(event=frozenset({self.branch}), cluster=True)

    def empty(self) -> PileupAccumulator:
        return PileupAccumulator(len(self.menu.seeds))

    def skipped(self, item: WorkItem, reason: str) -> PileupAccumulator:
        acc = self.empty()
        acc.skipped.append((item.describe(), reason))
        return acc

    def process(self, chunk: Chunk) -> PileupAccumulator:
        pu = np.asarray(chunk.event[self.branch], dtype=np.float64)
        if not np.all(np.isfinite(pu)) or np.any(pu < 0):
            bad = pu[~(np.isfinite(pu) & (pu >= 0))][:3].tolist()
            raise L1EmuError(f"pile-up branch {self.branch!r} holds values that are no pile-up: {bad}")
        algos = self.evaluator.algorithm_outputs(chunk)
        fired = np.stack([self.evaluator.decision(s, chunk, algos) for s in self.menu.seeds], axis=1)
        w = chunk.weight
        index = np.floor(pu / self.bin_width).astype(np.int64)
        acc = self.empty()
        acc.weighted = chunk.weighted
        runs, span = chunk_runs(chunk, np.ones(chunk.n, bool))
        for b in np.unique(index):
            sel = index == b
            wb, fb = w[sel], fired[sel]
            row = acc._row(int(b))
            row[0] = (len(wb), wb.sum(), (wb * wb).sum(), (wb * pu[sel]).sum())
            for j in range(fb.shape[1]):
                wj = wb[fb[:, j]]
                row[1 + j] = (len(wj), wj.sum(), (wj * wj).sum(), 0.0)
        if runs is not None and span is not None:
            acc.edges.append(self._cluster_squares(acc, chunk.item.index, span, runs, index, w, fired))
        return acc

    @staticmethod
    def _cluster_squares(
        acc: PileupAccumulator,
        chunk_index: int,
        span: ClusterSpan,
        runs: NDArray[np.int64],
        index: NDArray[np.int64],
        w: NDArray[np.float64],
        fired: NDArray[np.bool_],
    ) -> ChunkEdges:
        """Replace each bin's per-event squares by the squares of the clusters inside the chunk; return the
        unsquared sums of its first and last runs (they may go on in the neighbouring chunks)."""
        bins, local = np.unique(index, return_inverse=True)
        values = w[:, None] * np.c_[np.ones(len(w), bool), fired]  # (events, 1 + seeds)
        key = runs * len(bins) + local  # runs are non-decreasing: sort by run, then bin
        order = np.argsort(key, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
        sums = np.add.reduceat(values[order], starts, axis=0)
        run_of, bin_of = np.divmod(key[order][starts], len(bins))
        last = span.runs - 1
        head: dict[int, NDArray[np.float64]] = {}
        tail: dict[int, NDArray[np.float64]] = {}
        for b in bins:
            acc._row(int(b))[:, 2] = 0.0
        for r, k, v in zip(run_of, bin_of, sums, strict=True):
            b = int(bins[k])
            if r == 0:
                head[b] = v
            elif r == last:
                tail[b] = v
            else:
                acc._row(b)[:, 2] += v * v
        return ChunkEdges(chunk_index, span, head, tail)

    def postprocess(self, acc: PileupAccumulator) -> PileupResult:
        fitted = curves(
            self.menu,
            acc.stitched(),
            self.bin_width,
            degree=self.degree,
            min_events=self.min_events,
            target_pileup=self.target_pileup,
        )
        return PileupResult(self.menu.name, self.branch, self.bin_width, fitted, tuple(acc.skipped))


def curves(
    menu: Menu,
    acc: PileupAccumulator,
    bin_width: float,
    *,
    degree: int = 1,
    min_events: int = 10,
    target_pileup: float | None = None,
) -> tuple[PileupCurve, ...]:
    """Binned rates and fits of every seed from the folded accumulator."""
    keys = sorted(acc.bins)
    rows = np.stack([acc.bins[b] for b in keys]) if keys else np.zeros((0, 1 + len(menu.seeds), 4))
    total = rows[:, 0]
    n, sumw = total[:, 0], total[:, 1]
    mean = np.divide(total[:, 3], sumw, out=np.zeros_like(sumw), where=sumw != 0)
    zb = menu.zero_bias_khz
    out = []
    for j, seed in enumerate(menu.seeds):
        r = [
            rate_interval(int(c), int(nb), sw, sw2, sall, acc.weighted, zb)
            for (c, sw, sw2, _), nb, sall in zip(rows[:, 1 + j], n, sumw, strict=True)
        ]
        rate = np.array([x[0] for x in r])
        lo, hi = np.array([x[1] for x in r]), np.array([x[2] for x in r])
        use = (n >= min_events) & ((lo + hi) > 0)
        note = ""
        try:
            coef, cov, chi2, ndf = fit_curve(mean[use], rate[use], 0.5 * (lo + hi)[use], degree)
        except L1EmuError as exc:
            coef, cov, chi2, ndf = np.zeros(0), np.zeros((0, 0)), math.nan, 0
            note = f"not fitted: {exc} (a smaller --bin-width or more events)"
        curve = PileupCurve(
            seed.name,
            tuple(float(b * bin_width) for b in keys),
            tuple(mean.tolist()),
            tuple(int(x) for x in n),
            tuple(rate.tolist()),
            tuple(lo.tolist()),
            tuple(hi.tolist()),
            degree,
            tuple(coef.tolist()),
            tuple(tuple(row) for row in cov.tolist()),
            chi2,
            ndf,
            note=note,
            used=tuple(bool(u) for u in use),
        )
        if target_pileup is not None and curve.fitted:
            value, err = curve.at(target_pileup)
            curve = replace(curve, target_pileup=target_pileup, target_khz=value, target_err_khz=err)
        out.append(curve)
    return tuple(out)
