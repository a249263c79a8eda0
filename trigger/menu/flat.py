"""Flat (numpy) views of a chunk's collections: per-object cuts on contiguous arrays, per-event
counts with ``bincount``, and the sub-chunk of candidate events where combinatorics are worth doing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.io.reader import Chunk
from trigger.menu.model import Leg

__all__ = [
    "Flat",
    "cached_count",
    "cached_mask",
    "flat_view",
    "leg_mask_flat",
    "per_event_count",
    "per_event_max",
]


@dataclass(frozen=True)
class Flat:
    n: int
    counts: NDArray[np.int64]
    event: NDArray[np.int64]  # event index of each object
    fields: dict[str, NDArray[Any]]


def flat_view(chunk: Chunk, name: str) -> Flat:
    key = ("flat", name)
    if key not in chunk.cache:
        coll = chunk.collections[name]
        counts = np.asarray(ak.num(coll, axis=1), dtype=np.int64)
        fields = {f: np.asarray(ak.flatten(coll[f], axis=1)) for f in coll.fields}
        chunk.cache[key] = Flat(chunk.n, counts, np.repeat(np.arange(chunk.n), counts), fields)
    flat: Flat = chunk.cache[key]
    return flat


def leg_mask_flat(leg: Leg, flat: Flat) -> NDArray[np.bool_]:
    """Which objects pass ``leg``'s single-object cuts (conventions in :mod:`trigger.menu.model`)."""
    f = flat.fields
    m = f["pt"] >= leg.min_pt
    if leg.min_abs_eta > 0 or leg.max_abs_eta < math.inf:
        aeta = np.abs(f["eta"])
        if leg.max_abs_eta < math.inf:
            m &= aeta <= leg.max_abs_eta
        if leg.min_abs_eta > 0:
            m &= aeta >= leg.min_abs_eta
    for name, allowed in (("quality", leg.quality), ("iso", leg.iso)):
        if allowed is not None:
            m &= _allowed(f[name], allowed)
    if leg.eta_windows is not None:
        eta = f["eta"]
        m &= np.logical_or.reduce([(eta >= lo) & (eta <= hi) for lo, hi in leg.eta_windows])
    if "bx" in f:
        m &= f["bx"] == leg.bx
    return np.asarray(m, dtype=bool)


def _near(flat: Flat, ref: Flat, ref_mask: NDArray[np.bool_], max_dr: float) -> NDArray[np.bool_]:
    """Which objects of ``flat`` lie within ``max_dr`` of a selected object of ``ref`` in the same event."""
    near = np.zeros(len(flat.event), dtype=bool)
    ri = np.flatnonzero(ref_mask)
    if not len(ri) or not len(near):
        return near
    # every (object, reference) pair of an event: objects are grouped by event in both flat views
    n_ref = np.bincount(ref.event[ri], minlength=flat.n)
    start = np.concatenate([[0], np.cumsum(n_ref)[:-1]])
    reps = n_ref[flat.event]
    obj = np.repeat(np.arange(len(flat.event)), reps)
    offset = np.arange(len(obj)) - np.repeat(np.cumsum(reps) - reps, reps)
    r = ri[start[flat.event[obj]] + offset]
    deta = flat.fields["eta"][obj].astype(np.float64) - ref.fields["eta"][r]
    dphi = (flat.fields["phi"][obj].astype(np.float64) - ref.fields["phi"][r] + np.pi) % (2 * np.pi) - np.pi
    close = deta**2 + dphi**2 < max_dr**2
    near[obj[close]] = True
    return near


def _allowed(values: NDArray[Any], allowed: tuple[int, ...]) -> NDArray[np.bool_]:
    """``values in allowed`` for small non-negative integer codes, by table look-up."""
    v = values.astype(np.int64, copy=False)
    table = np.zeros(max(allowed, default=0) + 2, dtype=bool)
    table[[a for a in allowed if a >= 0]] = True
    inside = (v >= 0) & (v < len(table) - 1)
    return inside & table[np.where(inside, v, len(table) - 1)]


def cached_mask(chunk: Chunk, leg: Leg) -> NDArray[np.bool_]:
    """``leg_mask_flat`` memoised per chunk: seeds sharing a leg (same cuts) share the mask. With overlap
    removal, objects within ``max_dr`` (delta R < max_dr) of a reference object are taken out."""
    key = ("mask", leg.cuts)
    if key not in chunk.cache:
        flat = flat_view(chunk, leg.collection)
        mask = leg_mask_flat(leg, flat)
        if leg.overlap is not None:
            ref = leg.overlap.reference
            mask &= ~_near(flat, flat_view(chunk, ref.collection), cached_mask(chunk, ref), leg.overlap.max_dr)
        chunk.cache[key] = mask
    out: NDArray[np.bool_] = chunk.cache[key]
    return out


def cached_count(chunk: Chunk, leg: Leg) -> NDArray[np.int64]:
    key = ("count", leg.cuts)
    if key not in chunk.cache:
        chunk.cache[key] = per_event_count(flat_view(chunk, leg.collection), cached_mask(chunk, leg))
    count: NDArray[np.int64] = chunk.cache[key]
    return count


def per_event_count(flat: Flat, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    return np.bincount(flat.event[mask], minlength=flat.n).astype(np.int64)


def per_event_max(flat: Flat, mask: NDArray[np.bool_], values: NDArray[Any]) -> NDArray[np.float64]:
    out = np.full(flat.n, -np.inf)
    np.maximum.at(out, flat.event[mask], values[mask].astype(np.float64))
    return out
