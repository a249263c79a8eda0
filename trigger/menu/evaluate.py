"""Seed decisions on a chunk, and the per-event critical value that threshold scans sort.

Legs of one seed take distinct objects. For legs on one collection whose cuts are nested (each
implies the next, e.g. DoubleMu_15_7 with equal eta and quality), counting is exact (Hall's theorem):
the j-th tightest leg needs at least j passing objects. Otherwise, and for cross conditions,
every combination of objects and every assignment to legs is tried (at most 4 objects per seed).
Cross conditions on a pair of three or four objects, or several of them, go through every
assignment of candidate objects to the seed's object slots (:func:`_slots_value`).
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

from trigger.errors import AlgorithmError, ConfigError, L1EmuError, UnknownNameError
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.algorithm import Algorithm, AlgorithmOutput, Mode, make_algorithm
from trigger.menu.flat import Flat, cached_count, cached_mask, flat_view, leg_mask_flat, per_event_max
from trigger.menu.model import AlgoCut, Cross, Leg, Menu, Seed, SumCross

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
        if seed.algorithm is None:
            raise ConfigError(f"seed {seed.name} has only a stored decision bit ({seed.bit}): no threshold to scan")
        return ScanTarget("algorithm", 0)

    def threshold(self, seed: Seed) -> float:
        if self.kind == "leg":
            return seed.legs[self.index].min_pt
        if self.kind == "sum":
            return seed.sums[self.index].min
        assert seed.algorithm is not None
        return seed.algorithm.min


def leg_mask(leg: Leg, coll: ak.Array) -> ak.Array:
    """Jagged boolean: which objects of ``coll`` pass ``leg``'s single-object cuts."""
    if leg.overlap is not None:
        raise ValueError("overlap removal needs the reference collection: use flat.cached_mask on the chunk")
    counts = np.asarray(ak.num(coll, axis=1))
    fields = {f: np.asarray(ak.flatten(coll[f], axis=1)) for f in coll.fields}
    flat = Flat(len(counts), counts, np.repeat(np.arange(len(counts)), counts), fields)
    return ak.unflatten(leg_mask_flat(leg, flat), counts)


def _chain(legs: Sequence[Leg]) -> list[Leg] | None:
    """Legs sorted tightest first if each implies the next, else None."""
    order = sorted(legs, key=lambda leg: -sum(leg.implies(o) for o in legs))
    return order if all(a.implies(b) for a, b in itertools.pairwise(order)) else None


class SeedEvaluator:
    """Decisions for every seed of a menu on a chunk; algorithms are built once per evaluator."""

    def __init__(self, menu: Menu, schema: Schema) -> None:
        self.menu = menu
        self.schema = schema
        #: one instance per (name, options), and the union of the modes of the seeds that use it
        self._algos: dict[tuple[str, str], Algorithm] = {}
        self._modes: dict[tuple[str, str], Mode] = {}
        for seed in menu.seeds:
            where = f" (seed {seed.name})"
            for leg in _all_legs(seed):
                spec = schema.collection(leg.collection, where)
                wanted = (leg.fields() | _cross_fields(seed)) - {
                    "bx",
                    "pt",
                    "eta",
                    "phi",
                }
                missing = sorted(f for f in wanted if not spec.provides(f))
                if missing:
                    raise UnknownNameError(
                        f"seed {seed.name} cuts on {', '.join(missing)} of {leg.collection!r}, which schema "
                        f"{schema.name!r} does not provide (fields: {', '.join(spec.fields)})"
                    )
            for s in seed.sums:
                schema.sum(s.sum, where)
            for sc in seed.sum_crosses:
                if not schema.sum(sc.sum, where).has_phi:
                    raise UnknownNameError(
                        f"seed {seed.name} correlates an object with energy sum {sc.sum!r}, whose direction schema "
                        f"{schema.name!r} does not give (add phi_branch to the sum, or px/py)"
                    )
            if seed.algorithm is not None:
                key = seed.algorithm.instance
                self._algos[key] = make_algorithm(seed.algorithm.name, seed.algorithm.kwargs, f"seed {seed.name}")
                self._modes[key] = self._modes.get(key, seed.algorithm.mode) | seed.algorithm.mode

    # ------------------------------------------------------------ needs
    def needs(self, seeds: Sequence[Seed] | None = None) -> Needs:
        out = Needs()
        for seed in seeds or self.menu.seeds:
            cols: dict[str, set[str]] = {}
            for leg in _all_legs(seed):
                cols.setdefault(leg.collection, set()).update(leg.fields() | _cross_fields(seed))
            for c, f in cols.items():
                spec = self.schema.collections[c]
                cols[c] = {x for x in f if x in ("pt", "eta", "phi") or spec.provides(x)}
            bits = frozenset({seed.bit} if seed.bit else ())
            correlated = frozenset(sc.sum for sc in seed.sum_crosses)
            sums = frozenset(s.sum for s in seed.sums) | correlated
            out = out | Needs({c: frozenset(f) for c, f in cols.items()}, sums, bits, correlated)
            if seed.algorithm is not None:
                out = out | self._algos[seed.algorithm.instance].needs()
        return out

    # ------------------------------------------------------------ algorithms
    def algorithm_outputs(self, chunk: Chunk) -> dict[tuple[str, str], AlgorithmOutput]:
        """Every algorithm instance evaluated once on ``chunk``, keyed by :attr:`AlgoCut.instance`."""
        out: dict[tuple[str, str], AlgorithmOutput] = {}
        for key, algo in self._algos.items():
            try:
                out[key] = algo.evaluate(chunk, self._modes[key])
            except L1EmuError:
                raise
            except Exception as exc:
                raise AlgorithmError(
                    f"algorithm {key[0]!r} failed on {chunk.item.describe()}: {type(exc).__name__}: {exc}"
                ) from exc
        return out

    @staticmethod
    def algorithm_value(
        cut: AlgoCut, algos: Mapping[tuple[str, str], AlgorithmOutput], which: str | None = None
    ) -> NDArray[np.float64]:
        """The output ``cut`` reads: float or fixed as ``which`` says, else as the cut's mode decides."""
        return algos[cut.instance].values(which or cut.mode.deciding)[cut.output]

    # ------------------------------------------------------------ decisions
    def decision(
        self, seed: Seed, chunk: Chunk, algos: Mapping[tuple[str, str], AlgorithmOutput], which: str | None = None
    ) -> NDArray[np.bool_]:
        """The seed's unprescaled decision; ``which`` picks the float or fixed algorithm output."""
        if seed.algorithm is not None and seed.bit is None and not seed.sums and not seed.legs:  # one comparison
            return np.asarray(self.algorithm_value(seed.algorithm, algos, which) >= seed.algorithm.min)
        ok = np.ones(chunk.n, dtype=bool)
        if seed.bit is not None:
            ok &= chunk.event[seed.bit].astype(bool)
        for s in seed.sums:
            v = chunk.sums[s.sum]
            ok &= (v >= s.min) & (v < s.max)
        if seed.algorithm is not None:
            ok &= self.algorithm_value(seed.algorithm, algos, which) >= seed.algorithm.min
        if seed.legs:
            ok &= self._legs_value(seed, chunk, None) > NEG
        return ok

    def value(
        self, seed: Seed, target: ScanTarget, chunk: Chunk, algos: Mapping[tuple[str, str], AlgorithmOutput]
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
            val = self.algorithm_value(seed.algorithm, algos).astype(np.float64)
        else:
            val = self._legs_value(seed, chunk, target.index)
            rest = replace(seed, legs=())
        val = np.where(np.isnan(val), NEG, val)
        return np.where(self.decision(rest, chunk, algos), val, NEG)

    def _legs_value(self, seed: Seed, chunk: Chunk, target: int | None) -> NDArray[np.float64]:
        """Per event: +inf (or, with ``target``, the highest threshold of leg ``target``) where the legs
        can be filled with distinct objects, -inf where not."""
        legs = list(seed.legs)
        if target is not None:
            legs[target] = replace(legs[target], min_pt=-math.inf)
        groups: dict[str, list[tuple[int, Leg]]] = {}
        for i, leg in enumerate(legs):
            for _ in range(leg.multiplicity):
                groups.setdefault(leg.collection, []).append((i, leg))
        n = chunk.n
        if seed.sum_crosses or (seed.crosses and seed.cross is None):  # object-sum, or pairs of 3-4 objects
            return _slots_value(chunk, legs, seed.crosses, target, seed.sum_crosses)
        flats = {c: flat_view(chunk, c) for c in groups}
        masks = {c: [cached_mask(chunk, leg) for _, leg in members] for c, members in groups.items()}
        if seed.cross is not None and len(groups) == 2:
            return self._cross_pair(seed.cross, groups, flats, masks, target, n)
        result = np.full(n, np.inf)
        for cname, members in groups.items():
            flat, group_masks = flats[cname], masks[cname]
            group_legs = [leg for _, leg in members]
            has_target = target is not None and any(i == target for i, _ in members)
            if not has_target and seed.cross is None:
                chain = _chain(group_legs)
                if chain is not None:
                    ok = np.ones(n, dtype=bool)
                    for j, leg in enumerate(chain, 1):
                        ok &= cached_count(chunk, leg) >= j
                    result = np.where(ok, result, NEG)
                    continue
            if has_target and len(group_legs) == 1:
                val = per_event_max(flat, group_masks[0], flat.fields["pt"])
            else:
                slots = [j for j, (i, _) in enumerate(members) if i == target] if has_target else None
                val = _assign_slots(flat, group_masks, seed.cross, slots)
            result = np.minimum(result, val)
        return result

    @staticmethod
    def _cross_pair(
        cross: Cross,
        groups: dict[str, list[tuple[int, Leg]]],
        flats: dict[str, Flat],
        masks: dict[str, list[NDArray[np.bool_]]],
        target: int | None,
        n: int,
    ) -> NDArray[np.float64]:
        """Two legs on two collections with cross conditions: every (a, b) pair of candidates."""
        (ca, [(ia, _)]), (cb, _) = groups.items()
        fa, fb = flats[ca], flats[cb]
        ia_obj, ib_obj, event = _pairs_across(fa, masks[ca][0], fb, masks[cb][0], n)
        ok = _cross_flat(cross, fa.fields, ia_obj, fb.fields, ib_obj)
        if target is None:
            val = np.where(ok, np.inf, NEG)
        else:
            val = np.where(ok, (fa.fields["pt"][ia_obj] if ia == target else fb.fields["pt"][ib_obj]), NEG)
        out = np.full(n, NEG)
        np.maximum.at(out, event, val.astype(np.float64))
        return out


def _all_legs(seed: Seed) -> list[Leg]:
    """The seed's legs and the reference legs of their overlap removal."""
    return [*seed.legs, *(leg.overlap.reference for leg in seed.legs if leg.overlap is not None)]


def _cross_fields(seed: Seed) -> set[str]:
    return set().union(*(c.fields() for c in seed.crosses)) | ({"phi"} if seed.sum_crosses else set())


def _slots_value(
    chunk: Chunk,
    legs: Sequence[Leg],
    crosses: Sequence[Cross],
    target: int | None,
    sum_crosses: Sequence[SumCross] = (),
) -> NDArray[np.float64]:
    """Every assignment of candidate objects to the object slots (legs repeated by multiplicity), distinct
    objects within a collection, every cross condition on its pair and every object-sum condition on its
    object: +inf per event where one passes (or, with ``target``, the highest lowest-pt among the target
    leg's slots), -inf where none does."""
    n = chunk.n
    slots = [(i, leg) for i, leg in enumerate(legs) for _ in range(leg.multiplicity)]
    lists = []
    for _, leg in slots:
        flat = flat_view(chunk, leg.collection)
        idx = np.flatnonzero(cached_mask(chunk, leg))
        lists.append(ak.unflatten(idx, np.bincount(flat.event[idx], minlength=n)))
    combos = ak.cartesian(lists, axis=1)
    event = np.repeat(np.arange(n), np.asarray(ak.num(combos, axis=1)))
    parts = [np.asarray(ak.flatten(combos[str(k)]), dtype=np.int64) for k in range(len(slots))]
    ok = np.ones(len(event), dtype=bool)
    for a, b in itertools.combinations(range(len(slots)), 2):
        if slots[a][1].collection == slots[b][1].collection:
            ok &= parts[a] != parts[b]
    for c in crosses:
        a, b = c.pair
        fa, fb = flat_view(chunk, slots[a][1].collection).fields, flat_view(chunk, slots[b][1].collection).fields
        ok &= _cross_flat(c, fa, parts[a], fb, parts[b])
    for sc in sum_crosses:
        f = flat_view(chunk, slots[sc.obj][1].collection).fields
        ok &= _sum_cross_flat(sc, f["pt"][parts[sc.obj]], f["phi"][parts[sc.obj]], chunk, event)
    if target is None:
        val = np.where(ok, np.inf, NEG)
    else:
        mine = [k for k, (i, _) in enumerate(slots) if i == target]
        pts = [flat_view(chunk, slots[k][1].collection).fields["pt"][parts[k]] for k in mine]
        val = np.where(ok, np.min(np.stack(pts), axis=0).astype(np.float64), NEG)
    out = np.full(n, NEG)
    np.maximum.at(out, event, val)
    return out


def _sum_cross_flat(
    sc: SumCross, pt: NDArray[Any], phi: NDArray[Any], chunk: Chunk, event: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """|delta phi| and transverse mass between objects and their event's sum (a NaN sum passes nothing)."""
    value, direction = chunk.sums[sc.sum][event], chunk.sum_phi[sc.sum][event]
    dphi = np.abs((phi.astype(np.float64) - direction + np.pi) % (2 * np.pi) - np.pi)
    ok = np.isfinite(value) & np.isfinite(direction)
    if sc.min_dphi > 0 or sc.max_dphi < math.inf:
        ok &= (dphi >= sc.min_dphi) & (dphi <= sc.max_dphi)
    if sc.min_mt > 0 or sc.max_mt < math.inf:
        mt = np.sqrt(np.maximum(2 * pt.astype(np.float64) * value * (1.0 - np.cos(dphi)), 0.0))
        ok &= (mt >= sc.min_mt) & (mt <= sc.max_mt)
    return ok


def _local(counts: NDArray[np.int64]) -> ak.Array:
    return ak.unflatten(np.arange(int(counts.sum()), dtype=np.int64), counts)


def _pairs_across(
    fa: Flat, ma: NDArray[np.bool_], fb: Flat, mb: NDArray[np.bool_], n: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Flat object indices of every (a, b) pair of candidates in the same event, and the pair's event."""
    ea = (np.bincount(fa.event[ma], minlength=n) > 0) & (np.bincount(fb.event[mb], minlength=n) > 0)
    ka, kb = ma & ea[fa.event], mb & ea[fb.event]
    ga, gb = np.flatnonzero(ka), np.flatnonzero(kb)
    pairs = ak.cartesian(
        [_local(np.bincount(fa.event[ka], minlength=n)), _local(np.bincount(fb.event[kb], minlength=n))],
        axis=1,
    )
    event = np.repeat(np.arange(n), np.asarray(ak.num(pairs, axis=1)))
    return ga[np.asarray(ak.flatten(pairs["0"]))], gb[np.asarray(ak.flatten(pairs["1"]))], event


def _cross_flat(
    cross: Cross | None,
    fa: dict[str, NDArray[Any]],
    ia: NDArray[np.int64],
    fb: dict[str, NDArray[Any]],
    ib: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Cross conditions on flat pairs: dR and massless invariant mass with dphi wrapped to [-pi, pi)."""
    ok = np.ones(len(ia), dtype=bool)
    if cross is None:
        return ok
    if cross.opposite_charge:
        ok &= fa["charge"][ia] * fb["charge"][ib] < 0
    if cross.same_charge:
        ok &= fa["charge"][ia] * fb["charge"][ib] > 0
    windows = cross.windows()
    if windows:
        deta = fa["eta"][ia].astype(np.float64) - fb["eta"][ib]
        dphi = (fa["phi"][ia].astype(np.float64) - fb["phi"][ib] + np.pi) % (2 * np.pi) - np.pi
        pt2 = 2 * fa["pt"][ia].astype(np.float64) * fb["pt"][ib]
        quantity = {
            "dr": lambda: np.sqrt(deta**2 + dphi**2),
            "mass": lambda: np.sqrt(np.maximum(pt2 * (np.cosh(deta) - np.cos(dphi)), 0.0)),
            "deta": lambda: np.abs(deta),
            "dphi": lambda: np.abs(dphi),
            "mt": lambda: np.sqrt(np.maximum(pt2 * (1.0 - np.cos(dphi)), 0.0)),
        }
        for name, (lo, hi) in windows.items():
            x = quantity[name]()
            ok &= (x >= lo) & (x <= hi)
    return ok


def _assign_slots(
    flat: Flat, masks: Sequence[NDArray[np.bool_]], cross: Cross | None, slots: list[int] | None
) -> NDArray[np.float64]:
    """Max over assignments of distinct objects to the legs (one mask per leg) of the lowest pt among the
    objects in ``slots`` (the scanned leg's copies), or +inf for a plain decision; -inf where none passes.
    Only events with enough candidate objects are combined, on flat numpy indices."""
    n, k = flat.n, len(masks)
    union = np.logical_or.reduce(masks)
    events = np.bincount(flat.event[union], minlength=n) >= k
    keep = union & events[flat.event]
    glob = np.flatnonzero(keep)
    combos = ak.combinations(_local(np.bincount(flat.event[keep], minlength=n)), k, axis=1)
    event = np.repeat(np.arange(n), np.asarray(ak.num(combos, axis=1)))
    parts = [glob[np.asarray(ak.flatten(combos[str(j)]))] for j in range(k)]
    pt = flat.fields["pt"]
    best = np.full(len(event), NEG)
    cross_ok = _cross_flat(cross, flat.fields, parts[0], flat.fields, parts[1]) if cross is not None else None
    for perm in itertools.permutations(range(k)):
        ok = np.ones(len(event), dtype=bool) if cross_ok is None else cross_ok.copy()
        for leg_i, obj_j in enumerate(perm):
            ok &= masks[leg_i][parts[obj_j]]
        if slots:
            low = np.min(np.stack([pt[parts[perm[s]]] for s in slots]), axis=0).astype(np.float64)
            val = np.where(ok, low, NEG)
        else:
            val = np.where(ok, np.inf, NEG)
        best = np.maximum(best, val)
    out = np.full(n, NEG)
    np.maximum.at(out, event, best)
    return out
