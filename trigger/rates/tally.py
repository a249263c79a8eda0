"""The rate processor and its accumulator.

``process`` keeps, per chunk, which seeds fired on the events that fired anything (packed bits and
weights). The accumulator folds chunks **in chunk order** into running sums as soon as the next chunk
in order is present: prescale counters run in event order (exact uGT semantics, identical on every
executor) and memory holds only the chunks that arrived ahead of their turn -- none with the iterative
executor, a few with a pool or Dask -- so peak memory does not grow with the input.

Every sum of squared weights is taken per cluster of crossings sharing a hard interaction, where the file
has a cluster branch (:mod:`trigger.rates.clusters`); the open cluster's partial sum is carried from one
chunk to the next, so memory stays one number per sum.

Sums after prescales are kept in the conventions the :class:`PrescalePlan` asks for (the counter, the
expected value, or both when the table decides from the weights, see :mod:`trigger.rates.acceptance`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from trigger.io.files import WorkItem
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.algorithm import Mode
from trigger.menu.evaluate import SeedEvaluator
from trigger.menu.model import Menu
from trigger.rates.acceptance import Acceptance, counter_acceptance, expected_acceptance
from trigger.rates.clusters import ClusterSpan, OpenCluster, Runs, chunk_runs, run_sums
from trigger.rates.prescale import SCALE, PrescaleMode, acceptance_probability, accepted, initial_counters

__all__ = ["AfterPrescale", "ChunkTally", "PrescalePlan", "RateAccumulator", "RateProcessor", "Summary", "Sums"]


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
    dropped: dict[str, int] = field(default_factory=dict)
    #: run (cluster within the chunk, 0 = its first) of each fired event, and the chunk's span; None for a
    #: file without a cluster branch
    fired_run: NDArray[np.int64] | None = None
    span: ClusterSpan | None = None


@dataclass
class Sums:
    """Count, sum of weights and sum of squared weights of one selection, the squares taken per cluster
    (:mod:`trigger.rates.clusters`): ``closed_sumw2`` holds the clusters already ended, ``open_sumw`` the
    partial sum of the one the last chunk left open (0 without clusters)."""

    count: int = 0
    sumw: float = 0.0
    closed_sumw2: float = 0.0
    open_sumw: float = 0.0

    @property
    def sumw2(self) -> float:
        """Sum over clusters of ``(sum w f)^2``: over events for a file without clusters."""
        return self.closed_sumw2 + self.open_sumw * self.open_sumw

    def add(
        self, factor: NDArray[np.bool_] | NDArray[np.float64], w: NDArray[np.float64], runs: Runs | None = None
    ) -> None:
        """Events count ``w * factor`` (a mask, or acceptance factors in [0, 1]); ``sumw2`` adds ``(w factor)^2``,
        summed per cluster first when the chunk has ``runs``."""
        if factor.dtype == np.bool_:
            sel = w[factor]
            self.count += len(sel)
            self.sumw += float(sel.sum())
            if runs is None:
                self._close()
                self.closed_sumw2 += float((sel * sel).sum())
            else:
                self._add_clusters(sel, runs.ids[factor], runs)
            return
        self.count += int(np.count_nonzero(factor))
        self.sumw += float((w * factor).sum())
        if runs is None:
            self._close()
            self.closed_sumw2 += float(((w * factor) ** 2).sum())
        else:
            self._add_clusters(w * factor, runs.ids, runs)

    def _close(self) -> None:
        if self.open_sumw:
            self.closed_sumw2 += self.open_sumw * self.open_sumw
            self.open_sumw = 0.0

    def _add_clusters(self, values: NDArray[np.float64], ids: NDArray[np.int64], runs: Runs) -> None:
        """Square each cluster's sum once it ends; the chunk's last run stays open for the next chunk."""
        if runs.continues and self.open_sumw:
            values = np.r_[self.open_sumw, values]
            ids = np.r_[np.zeros(1, np.int64), ids]
            self.open_sumw = 0.0
        elif not runs.continues:
            self._close()
        present, sums = run_sums(values, ids)
        if len(present) and present[-1] == runs.last:
            self.open_sumw = float(sums[-1])
            sums = sums[:-1]
        self.closed_sumw2 += float((sums * sums).sum())

    @property
    def n_eff(self) -> float:
        """Effective number of events, ``(sum w)^2 / sum w^2`` (the count for unit weights; the number of
        independent clusters where copies of one hard interaction fire together)."""
        return self.sumw**2 / self.sumw2 if self.sumw2 > 0 else 0.0


@dataclass(frozen=True)
class PrescalePlan:
    """Prescales as counter units (prescale x 100, 0 = disabled), initial counters, and the convention."""

    units: tuple[int, ...]
    initial: tuple[int, ...]
    mode: PrescaleMode = PrescaleMode.AUTO
    #: seed of the random initial counters (None: every counter starts at 0)
    counter_seed: int | None = None
    #: prescale columns tallied beside the menu's prescales: (column name, its plan)
    columns: tuple[tuple[str, PrescalePlan], ...] = ()

    @staticmethod
    def for_menu(menu: Menu, mode: PrescaleMode = PrescaleMode.AUTO, counter_seed: int | None = None) -> PrescalePlan:
        units = tuple(round(s.prescale * SCALE) for s in menu.seeds)
        return PrescalePlan(units, initial_counters(units, counter_seed), mode, counter_seed)

    def with_columns(self, columns: tuple[tuple[str, Menu], ...]) -> PrescalePlan:
        """This plan, also tallying each (name, menu with that column's prescales) in the same convention."""
        plans = tuple((name, PrescalePlan.for_menu(m, self.mode, self.counter_seed)) for name, m in columns)
        return replace(self, columns=plans)

    def describe_counters(self) -> str:
        return "zero" if self.counter_seed is None else f"random (seed {self.counter_seed})"


@dataclass
class AfterPrescale:
    """Sums after prescales in one convention: per seed, pure per seed, proportional per seed, the OR."""

    seed: list[Sums]
    pure: list[Sums]
    share: list[float]
    total: Sums = field(default_factory=Sums)

    @staticmethod
    def empty(n_seeds: int) -> AfterPrescale:
        return AfterPrescale([Sums() for _ in range(n_seeds)], [Sums() for _ in range(n_seeds)], [0.0] * n_seeds)

    def add(self, acc: Acceptance, w: NDArray[np.float64], runs: Runs | None = None) -> None:
        for j in range(len(self.seed)):
            self.seed[j].add(acc.seed[:, j], w, runs)
            self.pure[j].add(acc.pure[:, j], w, runs)
            self.share[j] += float((w * acc.share[:, j]).sum())
        self.total.add(acc.total, w, runs)


@dataclass
class Summary:
    """Running sums over chunks ``[0, next_index)``."""

    n_seeds: int
    n_columns: int
    next_index: int = 0
    n: int = 0
    sumw: float = 0.0
    weighted: bool = False
    mode: PrescaleMode = PrescaleMode.AUTO
    fires: list[int] = field(default_factory=list)
    raw: list[Sums] = field(default_factory=list)
    #: after prescales with the uGT counter / as expected values (None: not asked for)
    counter: AfterPrescale | None = None
    expected: AfterPrescale | None = None
    columns: list[Sums] = field(default_factory=list)
    #: per prescale column of the plan: after prescales with the counter / as expected values
    prescale_columns: list[tuple[AfterPrescale | None, AfterPrescale | None]] = field(default_factory=list)
    n_prescale_columns: int = 0
    differ: dict[int, int] = field(default_factory=dict)
    total_raw: Sums = field(default_factory=Sums)
    nonfinite: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: collection -> objects dropped for a non-finite pt, eta or phi (for every seed)
    dropped: dict[str, int] = field(default_factory=dict)
    #: the cluster the last chunk left open (None: it had no cluster branch)
    open_cluster: OpenCluster | None = None

    def __post_init__(self) -> None:
        s = self.n_seeds
        self.fires = self.fires or [0] * s
        self.raw = self.raw or [Sums() for _ in range(s)]
        if self.counter is None and self.mode is not PrescaleMode.EXPECTED:
            self.counter = AfterPrescale.empty(s)
        if self.expected is None and self.mode is not PrescaleMode.COUNTER:
            self.expected = AfterPrescale.empty(s)
        self.columns = self.columns or [Sums() for _ in range(self.n_columns)]
        self.prescale_columns = self.prescale_columns or [
            (
                AfterPrescale.empty(s) if self.counter is not None else None,
                AfterPrescale.empty(s) if self.expected is not None else None,
            )
            for _ in range(self.n_prescale_columns)
        ]

    def _after(
        self,
        plan: PrescalePlan,
        raw: NDArray[np.bool_],
        w: NDArray[np.float64],
        counter: AfterPrescale | None,
        expected: AfterPrescale | None,
        runs: Runs | None,
    ) -> None:
        """Add this chunk's fires after ``plan``'s prescales, the counters continuing from ``self.fires``."""
        if counter is not None:
            ps = np.zeros_like(raw)
            for j, (p, c0) in enumerate(zip(plan.units, plan.initial, strict=True)):
                where = np.flatnonzero(raw[:, j])
                if p and len(where):
                    ps[where, j] = accepted(self.fires[j] + np.arange(1, len(where) + 1, dtype=np.int64), p, c0)
            counter.add(counter_acceptance(ps), w, runs)
        if expected is not None:
            expected.add(expected_acceptance(raw, acceptance_probability(plan.units)), w, runs)

    def fold(self, t: ChunkTally, plan: PrescalePlan, pairs: tuple[tuple[int, int, int], ...]) -> None:
        """Add the next chunk in order, the counters continuing from the previous chunk."""
        self.next_index += 1
        self.n += t.n
        self.sumw += t.sumw
        self.weighted |= t.weighted
        self.skipped += t.skipped
        for src, dst in ((t.nonfinite, self.nonfinite), (t.truncated, self.truncated), (t.dropped, self.dropped)):
            for k, v in src.items():
                dst[k] = dst.get(k, 0) + v
        dec = np.unpackbits(t.fired_bits, axis=1, count=self.n_columns).astype(bool)
        w = t.fired_w
        raw = dec[:, : self.n_seeds]
        runs = None
        if t.fired_run is not None and t.span is not None:
            runs = Runs(t.fired_run, t.span.runs - 1, t.span.continues(self.open_cluster))
        self.open_cluster = t.span.left_open() if t.span is not None else None
        self._after(plan, raw, w, self.counter, self.expected, runs)
        for (_, column), (counter, expected) in zip(plan.columns, self.prescale_columns, strict=True):
            self._after(column, raw, w, counter, expected, runs)
        for j in range(self.n_seeds):
            self.fires[j] += int(np.count_nonzero(raw[:, j]))
        for j in range(self.n_seeds):
            self.raw[j].add(raw[:, j], w, runs)
        for c in range(self.n_columns):
            self.columns[c].add(dec[:, c], w, runs)
        for seed_j, f, x in pairs:
            self.differ[seed_j] = self.differ.get(seed_j, 0) + int(np.count_nonzero(dec[:, f] != dec[:, x]))
        self.total_raw.add(np.asarray(raw.any(axis=1)), w, runs)


@dataclass
class RateAccumulator:
    columns: tuple[str, ...]
    plan: PrescalePlan
    pairs: tuple[tuple[int, int, int], ...] = ()
    summary: Summary | None = None
    pending: dict[int, ChunkTally] = field(default_factory=dict)

    def __add__(self, other: RateAccumulator) -> RateAccumulator:
        if other.columns != self.columns or other.plan != self.plan:
            raise ValueError("cannot merge rate accumulators of different menus")
        overlap = self.pending.keys() & other.pending.keys()
        for s in (self.summary, other.summary):
            if s is not None:
                overlap |= {k for k in (*self.pending, *other.pending) if k < s.next_index}
        if overlap or (self.summary is not None and other.summary is not None):
            raise ValueError(f"chunks {sorted(overlap)[:5]} were processed twice")
        out = RateAccumulator(
            self.columns,
            self.plan,
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
            s.fold(self.pending.pop(s.next_index), self.plan, self.pairs)


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

    def __init__(self, menu: Menu, schema: Schema, plan: PrescalePlan | None = None) -> None:
        self.menu = menu
        self.schema = schema
        self.evaluator = SeedEvaluator(menu, schema)
        self.columns, self.pairs = columns_for(menu)
        self.plan = plan or PrescalePlan.for_menu(menu)

    def needs(self) -> Needs:
        return self.evaluator.needs() | Needs(cluster=True)

    def empty(self) -> RateAccumulator:
        summary = Summary(
            len(self.menu.seeds),
            len(self.columns),
            mode=self.plan.mode,
            n_prescale_columns=len(self.plan.columns),
        )
        return RateAccumulator(self.columns, self.plan, self.pairs, summary)

    def process(self, chunk: Chunk) -> RateAccumulator:
        ev = self.evaluator
        # the cut seeds first, while the chunk's objects are still in cache (the algorithms' passes evict them)
        first = {j: ev.decision(s, chunk, {}) for j, s in enumerate(self.menu.seeds) if s.algorithm is None}
        algos = ev.algorithm_outputs(chunk)
        cols = [first[j] if j in first else ev.decision(s, chunk, algos) for j, s in enumerate(self.menu.seeds)]
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
        fired_run, span = chunk_runs(chunk, np.asarray(fired))
        tally = ChunkTally(
            n=chunk.n,
            sumw=float(w.sum()),
            sumw2=float((w * w).sum()),
            fired_bits=np.packbits(mat[fired], axis=1),
            fired_w=w[fired].copy(),
            weighted=chunk.weighted,
            nonfinite=dict(chunk.nonfinite),
            truncated=truncated,
            dropped=dict(chunk.dropped),
            fired_run=fired_run,
            span=span,
        )
        return RateAccumulator(self.columns, self.plan, self.pairs, None, {chunk.item.index: tally})

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
        return RateAccumulator(self.columns, self.plan, self.pairs, None, {item.index: tally})

    def postprocess(self, acc: RateAccumulator) -> object:
        from trigger.rates.table import build_table

        return build_table(self.menu, acc, self.plan)
