"""Seed decisions on a chunk, and the per-event critical value that threshold scans sort.

Legs of one seed take distinct objects. For legs on one collection whose cuts are nested (each
implies the next, e.g. DoubleMu_15_7 with equal eta and quality), counting is exact (Hall's theorem):
the j-th tightest leg needs at least j passing objects. Otherwise, and for cross conditions,
every combination of objects and every assignment to legs is tried (at most 4 objects per seed).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.errors import AlgorithmError, L1EmuError
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.algorithm import Algorithm, AlgorithmOutput, make_algorithm
from trigger.menu.model import AlgoCut, Cross, Leg, Menu, Seed

__all__ = ["ScanTarget", "SeedEvaluator", "leg_mask"]

NEG = -np.inf


@dataclass(frozen=True)
class ScanTarget:
    """Which threshold a scan varies: ``("leg", i)``, ``("sum", i)`` or ``("algorithm", 0)``."""

    kind: str
    index: int = 0

    @staticmethod
    def default(seed: Seed) -> ScanTarget:
        if seed.legs:
            return ScanTarget("leg", 0)
        if seed.sums:
            return ScanTarget("sum", 0)
        return ScanTarget("algorithm", 0)

    def threshold(self, seed: Seed) -> float:
        if self.kind == "leg":
            return seed.legs[self.index].min_pt
        if self.kind == "sum":
            return seed.sums[self.index].min
        assert seed.algorithm is not None
        return seed.algorithm.min


def _flat(coll: ak.Array, field: str) -> NDArray[Any]:
    return np.asarray(ak.flatten(coll[field], axis=1))


def leg_mask(leg: Leg, coll: ak.Array) -> ak.Array:
    """Jagged boolean: which objects pass ``leg``'s single-object cuts (computed on the flat content)."""
    counts = np.asarray(ak.num(coll, axis=1))
    m = _flat(coll, "pt") >= leg.min_pt
    fields = set(coll.fields)
    if leg.min_abs_eta > 0 or leg.max_abs_eta < math.inf:
        aeta = np.abs(_flat(coll, "eta"))
        if leg.max_abs_eta < math.inf:
            m &= aeta <= leg.max_abs_eta
        if leg.min_abs_eta > 0:
            m &= aeta >= leg.min_abs_eta
    for name, allowed in (("quality", leg.quality), ("iso", leg.iso)):
        if allowed is not None:
            m &= np.isin(_flat(coll, name), np.asarray(allowed))
    if "bx" in fields:
        m &= _flat(coll, "bx") == leg.bx
    return ak.unflatten(m, counts)


def _cross_ok(cross: Cross | None, a: ak.Array, b: ak.Array) -> ak.Array | bool:
    if cross is None:
        return True
    ok: Any = True
    if cross.opposite_charge:
        ok = ok & (a.charge * b.charge < 0)
    if cross.fields() - {"charge"}:
        deta = a.eta - b.eta
        dphi = (a.phi - b.phi + np.pi) % (2 * np.pi) - np.pi
        if cross.min_dr > 0 or cross.max_dr < math.inf:
            dr = np.sqrt(deta**2 + dphi**2)
            ok = ok & (dr >= cross.min_dr) & (dr <= cross.max_dr)
        if cross.min_mass > 0 or cross.max_mass < math.inf:
            mass = np.sqrt(np.maximum(2 * a.pt * b.pt * (np.cosh(deta) - np.cos(dphi)), 0.0))
            ok = ok & (mass >= cross.min_mass) & (mass <= cross.max_mass)
    return ok


def _chain(legs: Sequence[Leg]) -> list[Leg] | None:
    """Legs sorted tightest first if each implies the next, else None."""
    order = sorted(legs, key=lambda leg: -sum(leg.implies(o) for o in legs))
    return order if all(a.implies(b) for a, b in itertools.pairwise(order)) else None


class SeedEvaluator:
    """Decisions for every seed of a menu on a chunk; algorithms are built once per evaluator."""

    def __init__(self, menu: Menu, schema: Schema) -> None:
        self.menu = menu
        self.schema = schema
        self._algos: dict[AlgoCut, Algorithm] = {}
        for seed in menu.seeds:
            where = f" (seed {seed.name})"
            for leg in seed.legs:
                schema.collection(leg.collection, where)
            for s in seed.sums:
                schema.sum(s.sum, where)
            if seed.algorithm is not None:
                self._algos[seed.algorithm] = make_algorithm(
                    seed.algorithm.name, seed.algorithm.kwargs, f"seed {seed.name}"
                )

    # ------------------------------------------------------------ needs
    def needs(self, seeds: Sequence[Seed] | None = None) -> Needs:
        out = Needs()
        for seed in seeds or self.menu.seeds:
            cols: dict[str, set[str]] = {}
            for leg in seed.legs:
                cols.setdefault(leg.collection, set()).update(leg.fields())
                if seed.cross is not None:
                    cols[leg.collection] |= seed.cross.fields()
            for c, f in cols.items():
                have = set(self.schema.collections[c].fields) | {"pt", "eta", "phi"}
                cols[c] = {x for x in f if x in have}
            out = out | Needs({c: frozenset(f) for c, f in cols.items()}, frozenset(s.sum for s in seed.sums))
            if seed.algorithm is not None:
                out = out | self._algos[seed.algorithm].needs()
        return out

    # ------------------------------------------------------------ algorithms
    def algorithm_outputs(self, chunk: Chunk) -> dict[AlgoCut, AlgorithmOutput]:
        out: dict[AlgoCut, AlgorithmOutput] = {}
        for cut, algo in self._algos.items():
            try:
                out[cut] = algo.evaluate(chunk, cut.mode)
            except L1EmuError:
                raise
            except Exception as exc:
                raise AlgorithmError(
                    f"algorithm {cut.name!r} failed on {chunk.item.describe()}: {type(exc).__name__}: {exc}"
                ) from exc
        return out

    @staticmethod
    def algorithm_value(cut: AlgoCut, out: AlgorithmOutput, which: str | None = None) -> NDArray[np.float64]:
        which = which or ("float" if cut.mode == "float" else "fixed")
        return (out.float if which == "float" else out.fixed)[cut.output]

    # ------------------------------------------------------------ decisions
    def decision(
        self, seed: Seed, chunk: Chunk, algos: Mapping[AlgoCut, AlgorithmOutput], which: str | None = None
    ) -> NDArray[np.bool_]:
        """The seed's unprescaled decision; ``which`` picks the float or fixed algorithm output."""
        ok = np.ones(chunk.n, dtype=bool)
        for s in seed.sums:
            v = chunk.sums[s.sum]
            ok &= (v >= s.min) & (v < s.max)
        if seed.algorithm is not None:
            ok &= self.algorithm_value(seed.algorithm, algos[seed.algorithm], which) >= seed.algorithm.min
        if seed.legs:
            ok &= self._legs_value(seed, chunk, None) > NEG
        return ok

    def value(
        self, seed: Seed, target: ScanTarget, chunk: Chunk, algos: Mapping[AlgoCut, AlgorithmOutput]
    ) -> NDArray[np.float64]:
        """Per event, the highest target threshold at which the seed still fires (-inf: never)."""
        rest = seed
        if target.kind == "sum":
            cuts = list(seed.sums)
            cut = cuts.pop(target.index)
            rest = replace(seed, sums=tuple(cuts))
            v = chunk.sums[cut.sum]
            val = np.where(v < cut.max, v, NEG)
        elif target.kind == "algorithm":
            assert seed.algorithm is not None
            rest = replace(seed, algorithm=None)
            val = self.algorithm_value(seed.algorithm, algos[seed.algorithm]).astype(np.float64)
        else:
            val = self._legs_value(seed, chunk, target.index)
            rest = replace(seed, legs=())
        val = np.where(np.isnan(val), NEG, val)
        return np.where(self.decision(rest, chunk, algos), val, NEG)

    def _legs_value(self, seed: Seed, chunk: Chunk, target: int | None) -> NDArray[np.float64]:
        legs = list(seed.legs)
        if target is not None:
            legs[target] = replace(legs[target], min_pt=-math.inf)
        expanded: list[tuple[int, Leg]] = [
            (i, leg) for i, leg in enumerate(legs) for _ in range(leg.multiplicity)
        ]
        groups: dict[str, list[tuple[int, Leg]]] = {}
        for i, leg in expanded:
            groups.setdefault(leg.collection, []).append((i, leg))
        n = chunk.n
        if seed.cross is not None and len(groups) == 2:
            (ca, [(ia, la)]), (cb, [(_, lb)]) = groups.items()
            a, b = chunk.collections[ca], chunk.collections[cb]
            pairs = ak.argcartesian([a, b], axis=1)
            pa, pb = a[pairs["0"]], b[pairs["1"]]
            ok = leg_mask(la, a)[pairs["0"]] & leg_mask(lb, b)[pairs["1"]] & _cross_ok(seed.cross, pa, pb)
            if target is None:
                val = ak.where(ok, np.inf, NEG)
            else:
                val = ak.where(ok, pa.pt if ia == target else pb.pt, NEG)
            return np.asarray(ak.fill_none(ak.max(val, axis=1), NEG), dtype=np.float64)
        result = np.full(n, np.inf)
        for cname, members in groups.items():
            coll = chunk.collections[cname]
            group_legs = [leg for _, leg in members]
            has_target = target is not None and any(i == target for i, _ in members)
            if not has_target and seed.cross is None:
                chain = _chain(group_legs)
                if chain is not None:
                    ok = np.ones(n, dtype=bool)
                    for j, leg in enumerate(chain, 1):
                        ok &= np.asarray(ak.sum(leg_mask(leg, coll), axis=1)) >= j
                    result = np.where(ok, result, NEG)
                    continue
            masks = [leg_mask(leg, coll) for leg in group_legs]
            if has_target and len(group_legs) == 1:
                pts = ak.where(masks[0], coll.pt, NEG)
                val = np.asarray(ak.fill_none(ak.max(pts, axis=1), NEG), dtype=np.float64)
            else:
                slots = [j for j, (i, _) in enumerate(members) if i == target] if has_target else None
                val = _assign_slots(group_legs, masks, coll, seed.cross, slots)
            result = np.minimum(result, val)
        return result


def _assign_slots(
    legs: Sequence[Leg],
    masks: Sequence[ak.Array],
    coll: ak.Array,
    cross: Cross | None,
    slots: list[int] | None,
) -> NDArray[np.float64]:
    """Max over assignments of distinct objects to ``legs``; the value is the lowest pt among the objects
    in ``slots`` (the scanned leg's copies), or +inf for a plain decision; -inf where none passes."""
    k = len(legs)
    idx = ak.argcombinations(coll, k, axis=1)
    parts = [idx[str(j)] for j in range(k)]
    best: Any = None
    for perm in itertools.permutations(range(k)):
        ok: Any = True
        for leg_i, obj_j in enumerate(perm):
            ok = ok & masks[leg_i][parts[obj_j]]
        if cross is not None:
            ok = ok & _cross_ok(cross, coll[parts[0]], coll[parts[1]])
        if slots:
            low: Any = coll.pt[parts[perm[slots[0]]]]
            for s in slots[1:]:
                low = np.minimum(low, coll.pt[parts[perm[s]]])
            val = ak.where(ok, low, NEG)
        else:
            val = ak.where(ok, np.inf, NEG)
        best = val if best is None else np.maximum(best, val)
    return np.asarray(ak.fill_none(ak.max(best, axis=1), NEG), dtype=np.float64)
